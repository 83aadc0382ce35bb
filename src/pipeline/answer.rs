//! What the pipeline answers, and how an answer is written within the response budget
//! (`--max-response-bytes`), whatever the transport.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::OwnedSemaphorePermit;

use super::coding;
use super::response_cache::{Entry, Ticket};
use crate::error::AppError;

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// It ran (and may have field errors).
    Executed,
    /// It never ran: unparsable, invalid, over a limit, a bad token, a refused transport.
    Refused,
    /// It ran past the time limit and was stopped.
    TimedOut,
}

/// How an answer may be cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cacheability {
    /// Mutations, subscriptions and answers that never ran.
    NoStore,
    /// A query answered for an authenticated caller: only that caller's cache may keep it.
    Private,
    /// A query answered for an anonymous caller.
    Public,
}

pub struct Answer {
    pub response: async_graphql::Response,
    pub kind: Kind,
    /// The query's execution slot, held until the answer is written: the answer's value tree
    /// is what a slot bounds.
    pub slot: Option<OwnedSemaphorePermit>,
    /// How HTTP caches may keep the answer.
    pub cache: Cacheability,
    /// The response cache's answer (then `response` is empty and nothing ran).
    pub kept: Option<Arc<Entry>>,
    /// Where to keep this answer once it is written, if it is complete and error-free.
    pub ticket: Option<Box<Ticket>>,
}

impl Answer {
    /// An operation that never ran, with its errors coded.
    pub fn refused(errors: Vec<async_graphql::ServerError>) -> Answer {
        Answer {
            response: async_graphql::Response::from_errors(coding::refused(errors)),
            kind: Kind::Refused,
            slot: None,
            cache: Cacheability::NoStore,
            kept: None,
            ticket: None,
        }
    }

    pub fn refused_with(error: AppError) -> Answer {
        Answer::refused(vec![error.into_server_error()])
    }

    pub fn kept(entry: Arc<Entry>, cache: Cacheability) -> Answer {
        Answer {
            response: async_graphql::Response::default(),
            kind: Kind::Executed,
            slot: None,
            cache,
            kept: Some(entry),
            ticket: None,
        }
    }

    /// Whether the operation never ran and one of its errors has `code`.
    pub fn refused_for(&self, code: &str) -> bool {
        self.kind == Kind::Refused && has_code(&self.response, code)
    }

    /// The answer as the JSON the GraphQL-over-HTTP spec asks for: an operation that never ran
    /// has no `data` entry; an executed one over `max_bytes` is replaced by RESPONSE_TOO_LARGE
    /// (writing stops at the budget, the answer is never buffered in full). `true` with the
    /// bytes when they are the complete executed answer, which caches may keep.
    pub fn to_json(&self, max_bytes: usize) -> (Bytes, bool) {
        if let Some(kept) = &self.kept {
            return (kept.body.clone(), true);
        }
        if self.kind != Kind::Executed {
            return (Bytes::from(refused_body(&self.response).to_string()), false);
        }
        match capped_json(&self.response, max_bytes) {
            Some(bytes) => (Bytes::from(bytes), true),
            None => (Bytes::from(too_large(max_bytes).to_string()), false),
        }
    }

    /// The answer as a GraphQL response for a socket, within the same budget.
    pub fn into_response(self, max_bytes: usize) -> async_graphql::Response {
        if let Some(kept) = &self.kept {
            return serde_json::from_slice(&kept.body)
                .unwrap_or_else(|_| internal("a kept answer could not be read back".to_owned()));
        }
        if self.kind == Kind::Executed && !fits(&self.response, max_bytes) {
            return async_graphql::Response::from_errors(vec![
                too_large_error(max_bytes).into_server_error(),
            ]);
        }
        self.response
    }

    /// Hands a complete, error-free answer's bytes to the response cache when the query took a
    /// ticket (`tag`: the bytes' `ETag`).
    pub fn keep(self, bytes: &Bytes, tag: &http::HeaderValue) {
        let complete = self.response.errors.is_empty() && self.response.extensions.is_empty();
        if let (Some(ticket), true) = (self.ticket, complete) {
            ticket.keep(bytes.clone(), tag.clone());
        }
    }
}

fn has_code(response: &async_graphql::Response, code: &str) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|c| c == &async_graphql::Value::from(code))
    })
}

fn internal(what: String) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![
        AppError::internal(anyhow::anyhow!(what)).into_server_error(),
    ])
}

/// The body of an operation that never ran: its errors, no `data`.
fn refused_body(response: &async_graphql::Response) -> Value {
    let mut value = serde_json::to_value(response).unwrap_or_else(|_| {
        AppError::internal(anyhow::anyhow!(
            "a GraphQL response could not be serialized"
        ))
        .errors_body()
    });
    if let Value::Object(map) = &mut value {
        map.remove("data");
    }
    value
}

fn too_large_error(max_bytes: usize) -> AppError {
    AppError::ResponseTooLarge {
        message: format!(
            "the answer is larger than the {max_bytes}-byte limit; ask for fewer items (first) or fields"
        ),
    }
}

fn too_large(max_bytes: usize) -> Value {
    let mut body = too_large_error(max_bytes).errors_body();
    if let Value::Object(map) = &mut body {
        map.insert("data".to_owned(), Value::Null);
    }
    body
}

/// `{"errors": [error]}`, for refusals made before any GraphQL work (the HTTP adapter's).
pub fn errors_only(error: AppError) -> Value {
    let error = serde_json::to_value(error.into_server_error())
        .unwrap_or_else(|_| json!({ "message": "internal error" }));
    json!({ "errors": [error] })
}

/// The answer as JSON, or `None` once it passes `max_bytes` (writing stops there).
fn capped_json(response: &async_graphql::Response, max_bytes: usize) -> Option<Vec<u8>> {
    let mut writer = Capped {
        bytes: Vec::with_capacity(INITIAL_CAPACITY.min(max_bytes)),
        max: max_bytes,
        count_only: false,
        written: 0,
    };
    serde_json::to_writer(&mut writer, response).ok()?;
    Some(writer.bytes)
}

/// Whether the answer's JSON fits in `max_bytes` (counted, not kept).
fn fits(response: &async_graphql::Response, max_bytes: usize) -> bool {
    let mut writer = Capped {
        bytes: Vec::new(),
        max: max_bytes,
        count_only: true,
        written: 0,
    };
    serde_json::to_writer(&mut writer, response).is_ok()
}

/// Most answers fit; a large one grows from here in a few doublings.
const INITIAL_CAPACITY: usize = 4096;

struct Capped {
    bytes: Vec<u8>,
    max: usize,
    count_only: bool,
    written: usize,
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
        self.written = self.written.saturating_add(buf.len());
        if self.written > self.max {
            return Err(std::io::Error::other("over the response budget"));
        }
        if !self.count_only {
            self.bytes.extend_from_slice(buf);
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executed(data: serde_json::Value) -> Answer {
        let value = async_graphql::Value::from_json(data).unwrap_or_default();
        Answer {
            response: async_graphql::Response::new(value),
            kind: Kind::Executed,
            slot: None,
            cache: Cacheability::Public,
            kept: None,
            ticket: None,
        }
    }

    fn code(body: &[u8]) -> String {
        let value: Value = serde_json::from_slice(body).unwrap_or_default();
        value["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn answers_over_the_budget_are_replaced_on_every_transport() {
        let big = executed(json!({ "a": "x".repeat(200) }));
        let (bytes, complete) = big.to_json(100);
        assert!(!complete);
        assert_eq!(code(&bytes), "RESPONSE_TOO_LARGE");
        let response = big.into_response(100);
        let body = serde_json::to_vec(&response).unwrap_or_default();
        assert_eq!(code(&body), "RESPONSE_TOO_LARGE");
        let small = executed(json!({ "a": 1 }));
        assert_eq!(
            small.to_json(100),
            (Bytes::from_static(b"{\"data\":{\"a\":1}}"), true)
        );
    }

    #[test]
    fn refusals_have_no_data() {
        let refused = Answer::refused_with(AppError::bad_request("no"));
        let (bytes, complete) = refused.to_json(1000);
        assert!(!complete);
        let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert!(value.get("data").is_none(), "{value}");
        assert_eq!(code(&bytes), "BAD_REQUEST");
        assert!(refused.refused_for("BAD_REQUEST"));
    }
}
