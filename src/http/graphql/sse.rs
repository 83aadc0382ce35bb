//! GraphQL over Server-Sent Events, the graphql-sse protocol's "distinct connections" mode: a
//! request that accepts `text/event-stream` gets one `next` event per result and a `complete`
//! event at the end, on its own connection. A document refused before it ran (unparsable,
//! invalid, over a limit) is answered in the stream, as graphql-sse's own handler does; a caller
//! or client refused (UNAUTHENTICATED, FORBIDDEN, TOO_MANY_REQUESTS, METHOD_NOT_ALLOWED) gets
//! plain JSON with the status of its refusal, before any stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};

use super::reply;
use crate::pipeline::{Answer, Credentials, Receipt, Transport};
use crate::state::AppState;

/// Whether the client asks for an event stream.
pub fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().starts_with("text/event-stream"))
}

/// Streams the operation's results as events.
pub async fn stream(
    state: &AppState,
    receipt: Receipt,
    request: async_graphql::Request,
    transport: Transport,
) -> Response {
    let max_bytes = state.config.limits.response_bytes;
    match state
        .pipeline
        .stream(receipt, &Credentials::Request, request, transport)
        .await
    {
        Ok(answers) => events(answers, max_bytes).into_response(),
        Err(refused) if CALLER_REFUSALS.iter().any(|code| refused.refused_for(code)) => {
            reply::refused_json(refused, max_bytes)
        }
        Err(refused) => events(futures::stream::iter([refused]), max_bytes).into_response(),
    }
}

/// Refusals of the caller or the client rather than of the document.
const CALLER_REFUSALS: [&str; 4] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "TOO_MANY_REQUESTS",
    "METHOD_NOT_ALLOWED",
];

fn events(
    answers: impl Stream<Item = Answer> + Send + 'static,
    max_bytes: usize,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let next = answers.map(move |answer| {
        let (bytes, _) = answer.to_json(max_bytes);
        let data = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Event::default().event("next").data(data))
    });
    let complete = futures::stream::once(async { Ok(Event::default().event("complete").data("")) });
    Sse::new(next.chain(complete)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
