//! What the two subscription transports share: the caller and its per-request context.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::ConnectInfo;
use axum::http::Extensions;

use axum::http::{HeaderMap, HeaderValue, header};

use crate::auth;
use crate::domain::scope::Scope;
use crate::error::AppError;
use crate::graphql::batch::BatchQueue;
use crate::graphql::context::RequestCtx;
use crate::graphql::loader::Loaders;
use crate::http::AppState;

/// The caller of a subscription request, from its headers (or cookies).
pub fn scope(state: &AppState, headers: &HeaderMap) -> Result<Scope, AppError> {
    auth::authenticate(&state.verifier, &state.config, headers)
}

/// The caller named by an `Authorization` value sent in a WebSocket's `connection_init`.
pub fn scope_from_authorization(state: &AppState, value: &str) -> Result<Scope, AppError> {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(value).map_err(|_| AppError::Unauthenticated {
        message: "the Authorization value is not a valid header value".into(),
    })?;
    headers.insert(header::AUTHORIZATION, value);
    auth::authenticate(&state.verifier, &state.config, &headers)
}

/// The per-request context of a subscription. Its fields resolve without loaders (a change is
/// all scalars), so the batch queue is never driven.
pub fn context(state: &AppState, scope: Scope, host: Option<String>) -> RequestCtx {
    let scope = Arc::new(scope);
    let loaders = Loaders::new(
        &state.db,
        scope.clone(),
        &BatchQueue::default(),
        &state.metrics.loader_batch_size,
    );
    RequestCtx {
        scope,
        host,
        loaders,
        db: state.db.clone(),
        write_retries: state.metrics.write_retries.clone(),
        generation: state.responses.generation().clone(),
    }
}

/// The host that names the site (`forwarded::host`: behind trusted proxies, the forwarded one).
pub fn host(state: &AppState, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<String> {
    crate::http::forwarded::host(&state.config.trusted_proxies, peer, headers)
}

/// The client a subscription connection counts against: behind trusted proxies, the forwarded one.
pub fn client(state: &AppState, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    peer.map(|peer| crate::http::forwarded::client_ip(&state.config.trusted_proxies, peer, headers))
}

/// The request's peer address.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Subscription connections (WebSocket or SSE) one client may hold open at once.
pub const CONNECTIONS_PER_CLIENT: usize = 16;

/// Open subscription connections per client address.
#[derive(Default)]
pub struct LiveClients(Mutex<HashMap<IpAddr, usize>>);

/// One open connection, counted until dropped.
pub struct LiveConnection {
    clients: Arc<LiveClients>,
    ip: Option<IpAddr>,
}

impl LiveClients {
    /// Counts a new connection from `ip`, or refuses it past the limit.
    pub fn enter(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<LiveConnection, AppError> {
        if let (Some(ip), Ok(mut open)) = (ip, self.0.lock()) {
            let count = open.entry(ip).or_default();
            if *count >= CONNECTIONS_PER_CLIENT {
                return Err(AppError::TooManyRequests {
                    message: format!(
                        "at most {CONNECTIONS_PER_CLIENT} subscription connections per client"
                    ),
                });
            }
            *count += 1;
        }
        Ok(LiveConnection {
            clients: self.clone(),
            ip,
        })
    }
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        if let (Some(ip), Ok(mut open)) = (self.ip, self.clients.0.lock())
            && let Some(count) = open.get_mut(&ip)
        {
            *count -= 1;
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }
}
