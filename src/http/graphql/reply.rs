//! HTTP responses for the pipeline's answers: the status code and body the GraphQL-over-HTTP
//! spec asks for under each media type, and the refusals the adapter makes itself.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::caching;
use super::media::MediaType;
use crate::error::AppError;
use crate::pipeline::answer::errors_only;
use crate::pipeline::{Answer, Cacheability, Kind};

/// The response to one operation; an answer over `max_bytes` is replaced by RESPONSE_TOO_LARGE.
/// `max_age` is what a public answer's `Cache-Control` allows (`caching`).
pub fn single(media: MediaType, answer: Answer, max_bytes: usize, max_age: u32) -> Response {
    let status = status(media, &answer);
    let challenge = answer.refused_for("UNAUTHENTICATED");
    let (bytes, complete) = answer.to_json(max_bytes);
    let cache = if complete {
        answer.cache
    } else {
        Cacheability::NoStore
    };
    let tag = match (&answer.kept, cache) {
        (Some(kept), _) => Some(kept.etag.clone()),
        (None, Cacheability::NoStore) => None,
        (None, _) => Some(caching::etag(&bytes)),
    };
    if let (None, Some(tag)) = (&answer.kept, &tag) {
        answer.keep(&bytes, tag);
    }
    let mut response = challenged(respond_bytes(status, media, bytes), challenge);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    caching::mark(&mut response, cache, max_age, tag);
    response
}

/// One operation of a batch, written out as soon as it ends, so that its execution slot and
/// value tree are released before the next operation runs.
pub struct Part {
    /// One JSON value.
    body: Bytes,
    challenge: bool,
}

pub fn part(answer: Answer, max_bytes: usize) -> Part {
    let challenge = answer.refused_for("UNAUTHENTICATED");
    let (body, complete) = answer.to_json(max_bytes);
    if complete && answer.kept.is_none() && answer.ticket.is_some() {
        let tag = caching::etag(&body);
        answer.keep(&body, &tag);
    }
    Part { body, challenge }
}

/// The response to a batch: a JSON array with one answer per operation, in order. Operations of
/// a batch fail or succeed one by one, so the batch as a whole is answered 200.
pub fn batch(media: MediaType, parts: Vec<Part>) -> Response {
    let challenge = parts.iter().any(|p| p.challenge);
    let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.body.len() + 1).sum::<usize>() + 1);
    bytes.push(b'[');
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(&part.body);
    }
    bytes.push(b']');
    let mut response = challenged(respond_bytes(StatusCode::OK, media, bytes), challenge);
    // A batch may mix callers' views and mutations; it is never kept.
    caching::mark(&mut response, Cacheability::NoStore, 0, None);
    response
}

/// A refused operation as plain JSON with the status of its refusal (an SSE request's).
pub fn refused_json(answer: Answer, max_bytes: usize) -> Response {
    let status = refused_status(&answer);
    let challenge = answer.refused_for("UNAUTHENTICATED");
    let (bytes, _) = answer.to_json(max_bytes);
    let mut response = challenged(respond_bytes(status, MediaType::Json, bytes), challenge);
    caching::mark(&mut response, Cacheability::NoStore, 0, None);
    response
}

/// A refused token is answered with the scheme to use, as edx-drf-extensions does.
fn challenged(mut response: Response, challenge: bool) -> Response {
    if challenge {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("JWT realm=\"api\""),
        );
    }
    response
}

/// A request refused before any GraphQL work: the error alone, with `status`.
pub fn refuse(status: StatusCode, media: MediaType, error: AppError) -> Response {
    respond(status, media, errors_only(error))
}

/// 429 for a client over its share (`pipeline::receive`) or its live connections.
pub fn too_many(error: AppError) -> Response {
    let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, MediaType::Json, error);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// 406, for a client that accepts neither JSON type. The body is JSON all the same: there is
/// nothing else to say it in.
pub fn not_acceptable() -> Response {
    let error = AppError::bad_request(
        "this endpoint answers application/graphql-response+json or application/json",
    );
    respond(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        errors_only(error),
    )
}

fn status(media: MediaType, answer: &Answer) -> StatusCode {
    match (answer.kind, media) {
        (Kind::TimedOut, _) => StatusCode::GATEWAY_TIMEOUT,
        // A GET that would write is refused by its method, whatever the media type.
        (Kind::Refused, _) if answer.refused_for("METHOD_NOT_ALLOWED") => {
            StatusCode::METHOD_NOT_ALLOWED
        }
        // application/json predates status codes for GraphQL errors: 200 for every answer.
        (_, MediaType::Json) | (Kind::Executed, MediaType::GraphqlResponse) => StatusCode::OK,
        (Kind::Refused, MediaType::GraphqlResponse) => refused_status(answer),
    }
}

fn refused_status(answer: &Answer) -> StatusCode {
    [
        ("UNAUTHENTICATED", StatusCode::UNAUTHORIZED),
        ("FORBIDDEN", StatusCode::FORBIDDEN),
        ("TOO_MANY_REQUESTS", StatusCode::TOO_MANY_REQUESTS),
        ("METHOD_NOT_ALLOWED", StatusCode::METHOD_NOT_ALLOWED),
    ]
    .into_iter()
    .find_map(|(code, status)| answer.refused_for(code).then_some(status))
    .unwrap_or(StatusCode::BAD_REQUEST)
}

fn respond(status: StatusCode, media: MediaType, body: Value) -> Response {
    respond_bytes(status, media, body.to_string().into_bytes())
}

fn respond_bytes(status: StatusCode, media: MediaType, body: impl Into<Bytes>) -> Response {
    let body: Bytes = body.into();
    (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
}
