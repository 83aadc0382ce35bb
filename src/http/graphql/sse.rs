//! GraphQL over Server-Sent Events, the graphql-sse protocol's "distinct connections" mode: a
//! request that accepts `text/event-stream` gets one `next` event per result and a `complete`
//! event at the end, on its own connection.

use std::convert::Infallible;
use std::net::IpAddr;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};

use super::live;
use super::media::MediaType;
use super::reply;
use super::run::Prepared;
use crate::error::AppError;
use crate::http::AppState;

/// Whether the client asks for an event stream.
pub fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().starts_with("text/event-stream"))
}

/// Streams the operation's results as events; refusals before execution are JSON answers.
pub async fn stream(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    prepared: Prepared,
) -> Response {
    let scope = match live::scope(state, headers) {
        Ok(scope) => scope,
        Err(err) => return reply::refuse(StatusCode::UNAUTHORIZED, MediaType::Json, err),
    };
    if let Err(err) = prepared.check(&state.config.limits) {
        return refuse(err);
    }
    let connection = match state.live_clients.enter(live::client(state, peer, headers)) {
        Ok(connection) => connection,
        Err(err) => return reply::refuse(StatusCode::TOO_MANY_REQUESTS, MediaType::Json, err),
    };
    let ctx = live::context(state, scope, live::host(state, peer, headers));
    let request = prepared.into_request().data(ctx);
    // The connection is counted for as long as its stream lives.
    let results = state.schema.execute_stream(request).map(move |response| {
        let _counted = &connection;
        crate::graphql::coded::response(response)
    });
    events(results).into_response()
}

fn refuse(error: async_graphql::ServerError) -> Response {
    let body = async_graphql::Response::from_errors(vec![error]);
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn events(
    results: impl Stream<Item = async_graphql::Response> + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let next = results.map(|response| {
        let data = serde_json::to_string(&response).unwrap_or_else(|_| {
            AppError::internal(anyhow::anyhow!("unserializable response"))
                .errors_body()
                .to_string()
        });
        Ok(Event::default().event("next").data(data))
    });
    let complete = futures::stream::once(async { Ok(Event::default().event("complete").data("")) });
    Sse::new(next.chain(complete)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
