//! Running one GraphQL operation: the per-request context, the time limit and the metrics.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use axum::http::{HeaderMap, header};

use crate::auth;
use crate::error::AppError;
use crate::graphql::batch::BatchQueue;
use crate::graphql::context::RequestCtx;
use crate::graphql::limits;
use crate::graphql::loader::Loaders;
use crate::graphql::outcome::Started;
use crate::http::AppState;

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// It ran (and may have field errors).
    Executed,
    /// It never ran: unparsable, invalid, over a limit, or a bad token.
    Refused,
    /// It ran past the time limit and was stopped.
    TimedOut,
}

pub struct Answer {
    pub response: async_graphql::Response,
    pub kind: Kind,
}

/// The type of operation the request selects, when its document parses and says. The parsed
/// document stays in the request, so the schema does not parse it again.
pub fn operation(req: &mut async_graphql::Request) -> Option<OperationType> {
    // A document nested too deep must not reach the parser; the schema refuses it with a code.
    if limits::nesting(&req.query) > limits::MAX_NESTING {
        return None;
    }
    let name = req.operation_name.clone();
    req.parsed_query()
        .ok()
        .and_then(|doc| operation_type(doc, name.as_deref()))
}

/// Runs one operation and records it in the metrics.
pub async fn run(state: &AppState, headers: &HeaderMap, mut req: async_graphql::Request) -> Answer {
    let started_at = Instant::now();
    let operation = operation(&mut req);
    let answer = execute(state, headers, req).await;
    let label = match operation {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    };
    let outcome = match answer.kind {
        Kind::Executed if answer.response.errors.is_empty() => "ok",
        Kind::Executed => "error",
        Kind::Refused => "rejected",
        Kind::TimedOut => "timeout",
    };
    let metrics = &state.metrics;
    metrics
        .graphql_requests
        .with_label_values(&[label, outcome])
        .inc();
    metrics
        .graphql_duration
        .with_label_values(&[label])
        .observe(started_at.elapsed().as_secs_f64());
    tracing::debug!(operation = label, outcome, "graphql");
    answer
}

/// The type of the operation the request selects, when the document says.
fn operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Builds the per-request context (caller, host, loaders) and executes within the time limit.
async fn execute(state: &AppState, headers: &HeaderMap, req: async_graphql::Request) -> Answer {
    let scope = match auth::scope_from_headers(&state.config, headers) {
        Ok(scope) => Arc::new(scope),
        Err(err) => {
            return Answer {
                response: async_graphql::Response::from_errors(vec![err.into_server_error()]),
                kind: Kind::Refused,
            };
        }
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let queue = BatchQueue::default();
    let loaders = Loaders::new(
        &state.db,
        scope.clone(),
        &queue,
        &state.metrics.loader_batch_size,
    );
    let started = Started::default();
    let req = req.data(started.clone()).data(RequestCtx {
        scope,
        host,
        loaders,
    });
    let limit = state.config.limits.request_timeout;
    // Dropping the execution on timeout drops its queued batches and rolls back any open
    // transaction; statements already sent to the database finish there.
    match tokio::time::timeout(limit, queue.drive(state.schema.execute(req))).await {
        Ok(response) => Answer {
            kind: if started.get() {
                Kind::Executed
            } else {
                Kind::Refused
            },
            response,
        },
        Err(_) => {
            tracing::warn!(limit_ms = limit.as_millis(), "GraphQL operation timed out");
            let err = AppError::Timeout {
                message: format!(
                    "the operation did not finish within the {} ms time limit and was stopped",
                    limit.as_millis()
                ),
            };
            Answer {
                response: async_graphql::Response::from_errors(vec![err.into_server_error()]),
                kind: Kind::TimedOut,
            }
        }
    }
}
