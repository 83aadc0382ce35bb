//! Per-client fairness (DESIGN 11): one client may have at most `--max-inflight-per-client`
//! GraphQL requests in flight, so that it cannot take every database connection of the pool and
//! starve the others. A request over that share waits in the client's own short queue (at most
//! `--max-queued-per-client` requests, each for at most `--client-queue-timeout`) and is answered
//! 429 only when the queue is full or its wait ends: a burst from one client is smoothed, not
//! refused.
//!
//! The client is the peer address, or behind trusted proxies the one they forward
//! (`forwarded::client_ip`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::forwarded;
use crate::config::{Cidr, Config};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Fairness {
    per_client: usize,
    queue: usize,
    wait: Duration,
    trusted: Arc<[Cidr]>,
    clients: Arc<Mutex<HashMap<IpAddr, Arc<Client>>>>,
}

struct Client {
    slots: Semaphore,
    waiting: AtomicUsize,
}

impl Fairness {
    pub fn new(config: &Config) -> Self {
        let limits = &config.limits;
        Fairness {
            per_client: limits.inflight_per_client.max(1),
            queue: limits.queued_per_client,
            wait: limits.client_queue_timeout,
            trusted: config.trusted_proxies.clone().into(),
            clients: Arc::default(),
        }
    }

    fn client(&self, ip: IpAddr) -> Option<Arc<Client>> {
        let mut clients = self.clients.lock().ok()?;
        Some(
            clients
                .entry(ip)
                .or_insert_with(|| {
                    Arc::new(Client {
                        slots: Semaphore::new(self.per_client),
                        waiting: AtomicUsize::new(0),
                    })
                })
                .clone(),
        )
    }

    /// Forgets an idle client, so the map holds only clients with requests in flight.
    fn release(&self, ip: IpAddr) {
        if let Ok(mut clients) = self.clients.lock()
            && clients.get(&ip).is_some_and(|c| {
                Arc::strong_count(c) == 1 && c.slots.available_permits() == self.per_client
            })
        {
            clients.remove(&ip);
        }
    }
}

pub async fn limit_per_client(
    State(fairness): State<Fairness>,
    req: Request,
    next: Next,
) -> Response {
    // Without a peer address (in-process tests of the router) there is no client to count.
    let Some(peer) = forwarded::peer(req.extensions()) else {
        return next.run(req).await;
    };
    let ip = forwarded::client_ip(&fairness.trusted, peer, req.headers());
    let Some(client) = fairness.client(ip) else {
        return next.run(req).await;
    };
    let response = queue_then_run(&fairness, &client, req, next).await;
    drop(client);
    fairness.release(ip);
    response
}

/// Runs the request once the client has a slot, after waiting in its queue if need be.
async fn queue_then_run(
    fairness: &Fairness,
    client: &Client,
    req: Request,
    next: Next,
) -> Response {
    let permit = match client.slots.try_acquire() {
        Ok(permit) => Some(permit),
        Err(_) => {
            // Over its share: wait in the client's queue, if there is room.
            if client.waiting.fetch_add(1, Ordering::SeqCst) >= fairness.queue {
                client.waiting.fetch_sub(1, Ordering::SeqCst);
                None
            } else {
                let waited = tokio::time::timeout(fairness.wait, client.slots.acquire()).await;
                client.waiting.fetch_sub(1, Ordering::SeqCst);
                waited.ok().and_then(Result::ok)
            }
        }
    };
    match permit {
        Some(permit) => {
            let response = next.run(req).await;
            drop(permit);
            response
        }
        None => too_many(),
    }
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
