//! HTTP responses for GraphQL answers: the status code and body the GraphQL-over-HTTP spec asks
//! for under each media type.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::caching::{self, Cacheability};
use super::media::MediaType;
use super::run::{Answer, Kind};
use crate::error::AppError;

/// The response to one operation; an answer over `max_bytes` is replaced by RESPONSE_TOO_LARGE.
/// `max_age` is what a public answer's `Cache-Control` allows (`caching`).
pub fn single(media: MediaType, answer: Answer, max_bytes: usize, max_age: u32) -> Response {
    let status = status(media, &answer);
    let cache = answer.cache;
    if let Some(kept) = &answer.kept {
        let mut response = respond_bytes(StatusCode::OK, media, kept.body.clone());
        caching::mark(&mut response, cache, max_age, Some(kept.etag.clone()));
        return response;
    }
    // The common case is written straight to bytes: going through a `Value` tree first cost
    // a second serialization of every response (a seventh of a large list's CPU).
    if answer.kind == Kind::Executed {
        let Some(bytes) = capped_json(&answer.response, max_bytes) else {
            let mut response = respond(StatusCode::OK, media, too_large(max_bytes));
            caching::mark(&mut response, Cacheability::NoStore, max_age, None);
            return response;
        };
        let bytes = Bytes::from(bytes);
        let tag = (cache != Cacheability::NoStore).then(|| caching::etag(&bytes));
        keep(answer, &bytes, tag.as_ref());
        let mut response = respond_bytes(status, media, bytes);
        caching::mark(&mut response, cache, max_age, tag);
        return response;
    }
    let challenge = refused_with(&answer, "UNAUTHENTICATED");
    let mut response = challenged(respond(status, media, body(answer)), challenge);
    caching::mark(&mut response, Cacheability::NoStore, max_age, None);
    response
}

/// One operation of a batch, written out as soon as it ends, so that its execution slot and
/// value tree are released before the next operation runs.
pub struct Part {
    /// One JSON value.
    body: Vec<u8>,
    challenge: bool,
}

pub fn part(answer: Answer, max_bytes: usize) -> Part {
    let challenge = refused_with(&answer, "UNAUTHENTICATED");
    let bytes = if let Some(kept) = &answer.kept {
        kept.body.to_vec()
    } else if answer.kind == Kind::Executed {
        match capped_json(&answer.response, max_bytes) {
            Some(bytes) => {
                if answer.ticket.is_some() {
                    let kept = Bytes::from(bytes.clone());
                    let tag = caching::etag(&kept);
                    keep(answer, &kept, Some(&tag));
                }
                bytes
            }
            None => too_large(max_bytes).to_string().into_bytes(),
        }
    } else {
        body(answer).to_string().into_bytes()
    };
    Part {
        body: bytes,
        challenge,
    }
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

/// Hands a complete, error-free answer's bytes to the response cache when the query took a
/// ticket (and the answer is something an HTTP cache could keep too: it has a tag).
fn keep(answer: Answer, bytes: &Bytes, tag: Option<&HeaderValue>) {
    let complete = answer.response.errors.is_empty() && answer.response.extensions.is_empty();
    if let (Some(ticket), Some(tag), true) = (answer.ticket, tag, complete) {
        ticket.keep(bytes.clone(), tag.clone());
    }
}

/// The answer as JSON, or `None` once it passes `max_bytes` (writing stops there).
fn capped_json(response: &async_graphql::Response, max_bytes: usize) -> Option<Vec<u8>> {
    let mut writer = Capped {
        bytes: Vec::with_capacity(INITIAL_CAPACITY.min(max_bytes)),
        max: max_bytes,
    };
    serde_json::to_writer(&mut writer, response).ok()?;
    Some(writer.bytes)
}

/// Most answers fit; a large one grows from here in a few doublings.
const INITIAL_CAPACITY: usize = 4096;

struct Capped {
    bytes: Vec<u8>,
    max: usize,
}

impl std::io::Write for Capped {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    /// What serde_json calls, once per token: the default `write_all` loops over `write`.
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.bytes.len().saturating_add(buf.len()) > self.max {
            return Err(std::io::Error::other("over the response budget"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn too_large(max_bytes: usize) -> Value {
    let error = AppError::ResponseTooLarge {
        message: format!(
            "the answer is larger than the {max_bytes}-byte limit; ask for fewer items (first) or fields"
        ),
    };
    let mut body = errors_only(error);
    if let Value::Object(map) = &mut body {
        map.insert("data".to_owned(), Value::Null);
    }
    body
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

/// Whether the operation never ran, refused with `code`.
fn refused_with(answer: &Answer, code: &str) -> bool {
    answer.kind == Kind::Refused
        && answer.response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|ext| ext.get("code"))
                .is_some_and(|c| c == &async_graphql::Value::from(code))
        })
}

/// A request refused before any GraphQL work: the error alone, with `status`.
pub fn refuse(status: StatusCode, media: MediaType, error: AppError) -> Response {
    respond(status, media, errors_only(error))
}

/// A GET of a mutation: 405, and where to send it instead.
pub fn mutation_over_get(media: MediaType) -> Response {
    let error = AppError::bad_request("mutations are accepted only in POST requests");
    let mut response = refuse(StatusCode::METHOD_NOT_ALLOWED, media, error);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
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
        // application/json predates status codes for GraphQL errors: 200 for every answer.
        (_, MediaType::Json) | (Kind::Executed, MediaType::GraphqlResponse) => StatusCode::OK,
        (Kind::Refused, MediaType::GraphqlResponse) => {
            if refused_with(answer, "UNAUTHENTICATED") {
                StatusCode::UNAUTHORIZED
            } else if refused_with(answer, "FORBIDDEN") {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

/// The response body; an operation that never ran has no `data` entry at all, as the GraphQL
/// spec asks of request errors.
fn body(answer: Answer) -> Value {
    let ran = answer.kind == Kind::Executed;
    let mut value = serde_json::to_value(&answer.response).unwrap_or_else(|_| {
        errors_only(AppError::internal(anyhow::anyhow!(
            "a GraphQL response could not be serialized"
        )))
    });
    if !ran && let Value::Object(map) = &mut value {
        map.remove("data");
    }
    value
}

fn errors_only(error: AppError) -> Value {
    let error = serde_json::to_value(error.into_server_error())
        .unwrap_or_else(|_| json!({ "message": "internal error" }));
    json!({ "errors": [error] })
}

fn respond(status: StatusCode, media: MediaType, body: Value) -> Response {
    respond_bytes(status, media, body.to_string().into_bytes())
}

fn respond_bytes(status: StatusCode, media: MediaType, body: impl Into<Bytes>) -> Response {
    let body: Bytes = body.into();
    (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
}
