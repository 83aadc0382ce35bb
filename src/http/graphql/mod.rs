//! GraphQL over HTTP, as the GraphQL-over-HTTP spec has it: POST (JSON, single or batched) for
//! every operation, GET for queries only, `application/graphql-response+json` or
//! `application/json` as the client accepts, GraphiQL for browsers, and the two live transports
//! (`ws`: WebSocket, `sse`: Server-Sent Events).
//!
//! Adapters only: `media` negotiates types, `parse` reads requests, `reply` turns answers into
//! status codes and bodies, `caching` sets the HTTP caching headers. Every operation is handed to
//! `pipeline`, the one door, which checks and runs it.

mod caching;
mod media;
mod parse;
mod reply;
mod sse;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use self::parse::Parsed;
use crate::error::AppError;
use crate::pipeline::{Credentials, Receipt, Transport};
use crate::state::AppState;

/// The request's peer address (absent in in-process tests of the router).
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Stage 1 for an HTTP request: its client's slot, taken before the body is read.
fn receive(
    state: &AppState,
    req: &Request,
) -> impl Future<Output = Result<Receipt, Response>> + Send + use<> {
    let headers = Arc::new(req.headers().clone());
    let peer = peer(req.extensions());
    let pipeline = state.pipeline.clone();
    async move {
        pipeline
            .receive(peer, headers)
            .await
            .map_err(reply::too_many)
    }
}

pub async fn post(State(state): State<AppState>, req: Request) -> Response {
    let Some(media) = negotiate(req.headers()) else {
        return reply::not_acceptable();
    };
    if let Err(err) = media::check_body_type(req.headers()) {
        let error = AppError::bad_request(err.message());
        return reply::refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, media, error);
    }
    let receipt = match receive(&state, &req).await {
        Ok(receipt) => receipt,
        Err(refused) => return refused,
    };
    let body = match read_body(&state, req).await {
        Ok(body) => body,
        Err((status, error)) => {
            let mut response = reply::refuse(status, media, error);
            if status == StatusCode::REQUEST_TIMEOUT {
                response.headers_mut().insert(
                    axum::http::header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
            }
            return response;
        }
    };
    let parsed = match parse::from_json_body(&body, state.config.limits.batch_size) {
        Ok(parsed) => parsed,
        Err(error) => return reply::refuse(StatusCode::BAD_REQUEST, media, error),
    };
    let limits = &state.config.limits;
    let pipeline = &state.pipeline;
    match parsed {
        Parsed::Single(req) if sse::wanted(receipt.headers()) => {
            sse::stream(&state, receipt, *req, Transport::Sse).await
        }
        Parsed::Single(req) => {
            let answer = pipeline
                .run(&receipt, &Credentials::Request, *req, Transport::Post)
                .await;
            reply::single(
                media,
                answer,
                limits.response_bytes,
                state.config.cache_max_age,
            )
        }
        Parsed::Batch(requests) => {
            // One after another: a batch takes no more of the database pool than one request.
            // Each answer is written out (and its execution slot released) before the next
            // operation asks for one: a batch never holds more than one slot.
            let mut parts = Vec::with_capacity(requests.len());
            for req in requests {
                let answer = pipeline
                    .run(&receipt, &Credentials::Request, req, Transport::Post)
                    .await;
                parts.push(reply::part(answer, limits.response_bytes));
            }
            reply::batch(media, parts)
        }
    }
}

/// The body, within `--body-read-timeout` (a body dripped a byte at a time must not hold the
/// connection, and this task, for ever) and the size limit.
async fn read_body(state: &AppState, req: Request) -> Result<Bytes, (StatusCode, AppError)> {
    let read_limit = state.config.limits.body_read_timeout;
    let Ok(read) = tokio::time::timeout(read_limit, Bytes::from_request(req, &())).await else {
        let error = AppError::bad_request(format!(
            "the request body did not arrive within {} ms",
            read_limit.as_millis()
        ));
        return Err((StatusCode::REQUEST_TIMEOUT, error));
    };
    read.map_err(|rejection| {
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
        (status, error)
    })
}

/// The type of JSON answers; an event-stream client gets refusals as plain JSON.
fn negotiate(headers: &HeaderMap) -> Option<media::MediaType> {
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
    let receipt = match receive(&state, &req).await {
        Ok(receipt) => receipt,
        Err(refused) => return refused,
    };
    if sse::wanted(receipt.headers()) {
        return sse::stream(&state, receipt, request, Transport::SseGet).await;
    }
    let answer = state
        .pipeline
        .run(&receipt, &Credentials::Request, request, Transport::Get)
        .await;
    let limits = &state.config.limits;
    caching::not_modified(
        receipt.headers(),
        reply::single(
            media,
            answer,
            limits.response_bytes,
            state.config.cache_max_age,
        ),
    )
}
