//! HTTP responses for GraphQL answers: the status code and body the GraphQL-over-HTTP spec asks
//! for under each media type.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::media::MediaType;
use super::run::{Answer, Kind};
use crate::error::AppError;

/// The response to one operation.
pub fn single(media: MediaType, answer: Answer) -> Response {
    let status = status(media, &answer);
    // The common case is written straight to bytes: going through a `Value` tree first cost
    // a second serialization of every response (a seventh of a large list's CPU).
    if answer.kind == Kind::Executed
        && let Ok(bytes) = serde_json::to_vec(&answer.response)
    {
        return respond_bytes(status, media, bytes);
    }
    let challenge = refused_with(&answer, "UNAUTHENTICATED");
    challenged(respond(status, media, body(answer)), challenge)
}

/// The response to a batch: a JSON array with one answer per operation, in order. Operations of
/// a batch fail or succeed one by one, so the batch as a whole is answered 200.
pub fn batch(media: MediaType, answers: Vec<Answer>) -> Response {
    let challenge = answers.iter().any(|a| refused_with(a, "UNAUTHENTICATED"));
    let bodies: Vec<Value> = answers.into_iter().map(body).collect();
    challenged(
        respond(StatusCode::OK, media, Value::Array(bodies)),
        challenge,
    )
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

fn respond_bytes(status: StatusCode, media: MediaType, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
}
