//! GraphQL over HTTP, as the GraphQL-over-HTTP spec has it: POST (JSON, single or batched) for
//! every operation, GET for queries only, `application/graphql-response+json` or
//! `application/json` as the client accepts, and GraphiQL for browsers.
//!
//! `media` negotiates types, `parse` reads requests, `run` executes one operation in its
//! per-request context and `reply` turns answers into status codes and bodies.

mod cache;
mod caching;

pub use cache::ResponseCache;
mod live;

pub use live::LiveClients;
mod media;
mod parse;
mod reply;
mod run;
mod sse;
mod ws;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use async_graphql::parser::types::OperationType;

use self::parse::Parsed;
use self::run::run;
use super::AppState;
use crate::error::AppError;

pub async fn post(State(state): State<AppState>, req: Request) -> Response {
    let Some(media) = negotiate(req.headers()) else {
        return reply::not_acceptable();
    };
    if let Err(err) = media::check_body_type(req.headers()) {
        let error = AppError::bad_request(err.message());
        return reply::refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, media, error);
    }
    let headers = req.headers().clone();
    let peer = live::peer(req.extensions());
    // A body dripped a byte at a time must not hold the connection (and this task) for ever.
    let read_limit = state.config.limits.body_read_timeout;
    let Ok(read) = tokio::time::timeout(read_limit, Bytes::from_request(req, &())).await else {
        let error = AppError::bad_request(format!(
            "the request body did not arrive within {} ms",
            read_limit.as_millis()
        ));
        let mut response = reply::refuse(StatusCode::REQUEST_TIMEOUT, media, error);
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return response;
    };
    let body = match read {
        Ok(body) => body,
        Err(rejection) => {
            // The body-limit layer cuts bodies without a Content-Length; others are 413'd there.
            let status = rejection.status();
            let error = if status == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::bad_request(format!(
                    "the request body is larger than {} bytes",
                    state.config.limits.body_bytes
                ))
            } else {
                AppError::bad_request("the request body could not be read")
            };
            return reply::refuse(status, media, error);
        }
    };
    let parsed = match parse::from_json_body(&body, state.config.limits.batch_size) {
        Ok(parsed) => parsed,
        Err(error) => return reply::refuse(StatusCode::BAD_REQUEST, media, error),
    };
    let headers = &headers;
    let max_bytes = state.config.limits.response_bytes;
    match parsed {
        Parsed::Single(req) if sse::wanted(headers) => {
            sse::stream(&state, headers, peer, run::prepare(&state, *req)).await
        }
        Parsed::Single(req) => {
            let prepared = run::prepare(&state, *req);
            let max_age = state.config.cache_max_age;
            reply::single(
                media,
                run(&state, headers, peer, prepared).await,
                max_bytes,
                max_age,
            )
        }
        Parsed::Batch(requests) => {
            // One after another: a batch takes no more of the database pool than one request.
            // Each answer is written out (and its execution slot released) before the next
            // operation asks for one: a batch never holds more than one slot.
            let mut parts = Vec::with_capacity(requests.len());
            for req in requests {
                let answer = run(&state, headers, peer, run::prepare(&state, req)).await;
                parts.push(reply::part(answer, max_bytes));
            }
            reply::batch(media, parts)
        }
    }
}

/// The type of JSON answers; an event-stream client gets refusals as plain JSON.
fn negotiate(headers: &axum::http::HeaderMap) -> Option<media::MediaType> {
    if sse::wanted(headers) {
        return Some(media::MediaType::Json);
    }
    media::negotiate(headers)
}

/// GET serves GraphiQL to browsers, subscriptions over WebSocket and SSE, and queries (never
/// mutations) to everyone else.
pub async fn get(State(state): State<AppState>, req: Request) -> Response {
    if ws::is_upgrade(req.headers()) {
        return ws::upgrade(state, req).await;
    }
    if media::wants_html(req.headers()) {
        return super::graphiql::page().await.into_response();
    }
    let Some(media) = negotiate(req.headers()) else {
        return reply::not_acceptable();
    };
    let request = match parse::from_query_string(req.uri().query().unwrap_or("")) {
        Ok(request) => request,
        Err(error) => return reply::refuse(StatusCode::BAD_REQUEST, media, error),
    };
    // GET must not change anything (it may be cached, prefetched or sent cross-site).
    let prepared = run::prepare(&state, request);
    if sse::wanted(req.headers()) && prepared.operation == Some(OperationType::Subscription) {
        return sse::stream(
            &state,
            req.headers(),
            live::peer(req.extensions()),
            prepared,
        )
        .await;
    }
    if prepared
        .operation
        .is_some_and(|op| op != OperationType::Query)
    {
        return reply::mutation_over_get(media);
    }
    let max_bytes = state.config.limits.response_bytes;
    let max_age = state.config.cache_max_age;
    let answer = run(
        &state,
        req.headers(),
        live::peer(req.extensions()),
        prepared,
    )
    .await;
    caching::not_modified(
        req.headers(),
        reply::single(media, answer, max_bytes, max_age),
    )
}
