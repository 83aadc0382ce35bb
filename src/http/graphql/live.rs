//! What the two subscription transports share: the caller and its per-request context.

use std::sync::Arc;

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
    }
}

pub fn host(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
