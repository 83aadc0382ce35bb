//! Per-client fairness: one client (by peer address) may have at most
//! `--max-inflight-per-client` GraphQL requests in flight; more are answered 429 at once, so a
//! single client cannot take every database connection of the pool and starve the others.
//! Behind a router every request has the router's address, so set the limit there instead (or
//! high here) when one is in front.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use crate::error::AppError;
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Fairness {
    per_client: usize,
    slots: Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>,
}

impl Fairness {
    pub fn new(per_client: usize) -> Self {
        Fairness {
            per_client: per_client.max(1),
            slots: Arc::default(),
        }
    }

    fn slot(&self, ip: IpAddr) -> Option<Arc<Semaphore>> {
        let mut slots = self.slots.lock().ok()?;
        Some(
            slots
                .entry(ip)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_client)))
                .clone(),
        )
    }

    /// Forgets an idle client, so the map holds only clients with requests in flight.
    fn release(&self, ip: IpAddr) {
        if let Ok(mut slots) = self.slots.lock()
            && slots.get(&ip).is_some_and(|s| {
                Arc::strong_count(s) == 1 && s.available_permits() == self.per_client
            })
        {
            slots.remove(&ip);
        }
    }
}

pub async fn limit_per_client(
    State(fairness): State<Fairness>,
    req: Request,
    next: Next,
) -> Response {
    // Without a peer address (in-process tests of the router) there is no client to count.
    let Some(ip) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return next.run(req).await;
    };
    let Some(slot) = fairness.slot(ip) else {
        return next.run(req).await;
    };
    let Ok(permit) = slot.clone().try_acquire_owned() else {
        return too_many();
    };
    drop(slot);
    let response = next.run(req).await;
    drop(permit);
    fairness.release(ip);
    response
}

fn too_many() -> Response {
    let body = AppError::TooManyRequests {
        message: "too many requests in flight from this client; retry shortly".into(),
    }
    .errors_body();
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "1")],
        Json(body),
    )
        .into_response()
}
