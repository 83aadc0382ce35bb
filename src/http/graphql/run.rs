//! Running one GraphQL operation: the per-request context, the time limit and the metrics.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ServerError, ServerResult};
use axum::http::HeaderMap;
use tokio::sync::OwnedSemaphorePermit;

use super::cache::{Entry, Key, Lookup, Ticket};
use super::caching::Cacheability;
use crate::auth;
use crate::domain::scope::AuthSource;
use crate::error::AppError;
use crate::graphql::limits::{self, Shape};
use crate::graphql::order::Plan;
use crate::graphql::refine;
use crate::http::AppState;

mod execute;

use execute::{Run, copy, failed_internally};

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
    /// The query's execution slot, held until the answer is serialized: the answer's value tree
    /// is what a slot bounds.
    pub _slot: Option<OwnedSemaphorePermit>,
    /// How HTTP caches may keep the answer.
    pub cache: Cacheability,
    /// The response cache's answer (then `response` is empty and nothing ran).
    pub kept: Option<Arc<Entry>>,
    /// Where to keep this answer once it is written, if it is complete and error-free.
    pub ticket: Option<Box<Ticket>>,
}

impl Answer {
    fn refused(errors: Vec<ServerError>) -> Answer {
        Answer {
            response: async_graphql::Response::from_errors(refine::refused(errors)),
            kind: Kind::Refused,
            _slot: None,
            cache: Cacheability::NoStore,
            kept: None,
            ticket: None,
        }
    }

    fn kept(entry: Arc<Entry>, cache: Cacheability) -> Answer {
        Answer {
            response: async_graphql::Response::default(),
            kind: Kind::Executed,
            _slot: None,
            cache,
            kept: Some(entry),
            ticket: None,
        }
    }
}

/// A request whose document has been parsed (or refused) and whose operation type is known.
pub struct Prepared {
    request: async_graphql::Request,
    shape: ServerResult<(Shape, Arc<ExecutableDocument>)>,
    pub operation: Option<OperationType>,
}

/// Parses the request's document (through the cache) and finds the operation it selects. Errors
/// are kept for `run`, which reports them after checking the caller's token.
pub fn prepare(state: &AppState, mut request: async_graphql::Request) -> Prepared {
    let shape = state.documents.parse(&mut request);
    let operation = match shape {
        Ok(_) => {
            let name = request.operation_name.clone();
            request
                .parsed_query()
                .ok()
                .and_then(|doc| operation_type(doc, name.as_deref()))
        }
        Err(_) => None,
    };
    Prepared {
        request,
        shape,
        operation,
    }
}

impl Prepared {
    /// The parse result and the query limits, as `execute` checks them.
    pub fn check(&self, limits: &crate::config::Limits) -> Result<(), ServerError> {
        let (shape, doc) = self.shape.clone()?;
        check_limits(shape, &doc, &self.request.variables, limits)
    }

    pub fn into_request(self) -> async_graphql::Request {
        self.request
    }
}

/// Depth and complexity (the document's), then cost (the document's with these variables).
fn check_limits(
    shape: Shape,
    doc: &ExecutableDocument,
    variables: &async_graphql::Variables,
    limits: &crate::config::Limits,
) -> Result<(), ServerError> {
    limits::check(shape, limits.query_depth, limits.query_complexity)?;
    limits::check_cost(limits::cost(doc, variables), limits.query_cost)
}

/// Runs one operation and records it in the metrics.
pub async fn run(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    prepared: Prepared,
) -> Answer {
    let started_at = Instant::now();
    let operation = prepared.operation;
    let answer = execute(state, headers, peer, prepared).await;
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

/// Builds the per-request context (caller, host, loaders), checks the limits and executes
/// within the time limit; a query first waits for an execution slot, within that limit too.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    prepared: Prepared,
) -> Answer {
    let Prepared {
        request: req,
        shape,
        operation,
    } = prepared;
    let scope = match auth::authenticate(&state.verifier, &state.config, headers) {
        Ok(scope) => Arc::new(scope),
        Err(err) => return Answer::refused(vec![err.into_server_error()]),
    };
    // A browser's cookies travel with any request to this host: a write they authenticate must
    // prove it comes from a page that could read the CSRF token.
    if operation == Some(OperationType::Mutation)
        && scope.authenticated_by == Some(AuthSource::Cookie)
        && let Err(err) = auth::csrf::check(&state.config, headers)
    {
        return Answer::refused(vec![err.into_server_error()]);
    }
    let limits = &state.config.limits;
    let doc = match shape.and_then(|(shape, doc)| {
        check_limits(shape, &doc, &req.variables, limits)?;
        Ok(doc)
    }) {
        Ok(doc) => doc,
        Err(err) => return Answer::refused(vec![err]),
    };
    let operation_name = req.operation_name.clone();
    let cache = match operation {
        Some(OperationType::Query) if scope.authenticated_by.is_some() => Cacheability::Private,
        Some(OperationType::Query) => Cacheability::Public,
        _ => Cacheability::NoStore,
    };
    let host = crate::http::forwarded::host(&state.config.trusted_proxies, peer, headers);
    let consistency = headers
        .get(crate::replicas::CONSISTENCY_HEADER)
        .and_then(|v| v.to_str().ok());
    // A query with a consistency token wants a replica that has caught up, which a kept answer
    // cannot promise: it always runs (`cache`'s module comment).
    let mut ticket = None;
    if operation == Some(OperationType::Query) && consistency.is_none() {
        match state
            .responses
            .lookup(Key::new(&req, &scope, host.as_deref()))
        {
            Some(Lookup::Hit(entry)) => return Answer::kept(entry, cache),
            Some(Lookup::Miss(miss)) => ticket = Some(miss),
            None => {}
        }
    }
    // Queries may read from a replica; mutations write to, and subscriptions follow, the primary.
    let route = match operation {
        Some(OperationType::Query) => state.replicas.for_query(consistency),
        _ => crate::replicas::Route {
            db: state.db.clone(),
            replica: None,
        },
    };
    // A replica's answer may predate a write this process has counted already.
    if route.replica.is_some() {
        ticket = None;
    }
    // A query is only read: if it fails on a replica, the primary answers it instead.
    let again = route
        .replica
        .and_then(|replica| Some((replica, copy(&req, &doc)?)));
    let request = Run {
        state,
        scope: &scope,
        host: &host,
    };
    let work = async {
        let slot = match operation {
            Some(OperationType::Query) => state.query_slots.clone().acquire_owned().await.ok(),
            _ => None,
        };
        let mut response = request.execute(req, route.db).await;
        if let Some((replica, req)) = again
            && failed_internally(&response)
        {
            state.replicas.fell_back(replica, &state.metrics);
            response = request.execute(req, state.replicas.primary().clone()).await;
        }
        (response, slot)
    };
    let limit = limits.request_timeout;
    // Dropping the execution on timeout drops its queued batches and rolls back any open
    // transaction; statements already sent to the database finish there.
    match tokio::time::timeout(limit, work).await {
        Ok((mut response, slot)) => {
            let kind = if refine::response(&mut response) {
                if let Some(plan) = Plan::for_operation(&doc, operation_name.as_deref()) {
                    plan.apply(&mut response.data);
                }
                Kind::Executed
            } else {
                Kind::Refused
            };
            let cache = if kind == Kind::Executed {
                cache
            } else {
                Cacheability::NoStore
            };
            // What a client sends back to read its own writes from a replica.
            if operation == Some(OperationType::Mutation)
                && let Some(token) = state.replicas.consistency_token().await
            {
                response.extensions.insert(
                    "consistency".to_owned(),
                    async_graphql::Value::String(token),
                );
            }
            Answer {
                response,
                kind,
                _slot: slot,
                cache,
                kept: None,
                ticket: ticket.filter(|_| kind == Kind::Executed),
            }
        }
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
                _slot: None,
                cache: Cacheability::NoStore,
                kept: None,
                ticket: None,
            }
        }
    }
}
