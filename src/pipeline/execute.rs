//! Stage 4, execute: the operation runs, against the right database, within its time.
//!
//! A query is answered from the response cache when an answer for the same request (document,
//! variables, caller, host) is kept for the current generation; otherwise it waits for one of
//! the query slots (`--max-concurrent-queries`), reads from a replica when one qualifies
//! (`replicas`; a consistency token asks for one that has caught up, and means nothing without
//! replicas), and runs again on the primary when the replica failed it. Mutations and
//! subscriptions run on the primary. Every execution has its own loaders, whose batches the
//! request's own task drives (`graphql::batch`), and stops at `--request-timeout`: dropping it
//! drops its queued batches and rolls back any open transaction.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use futures::StreamExt;
use futures::stream::BoxStream;

use super::answer::{Answer, Cacheability, Kind};
use super::context::{copy, failed_internally, request_ctx};
use super::prepare::Checked;
use super::response_cache::{Key, Lookup};
use super::{Pipeline, Receipt, finish};
use crate::access::Scope;
use crate::error::AppError;
use crate::graphql::batch::BatchQueue;
use crate::graphql::subscription::SubscriptionBudget;

pub async fn run(
    pipeline: &Pipeline,
    receipt: &Receipt,
    scope: &Arc<Scope>,
    checked: Checked,
) -> Answer {
    let Checked {
        request: req,
        document: doc,
        operation,
    } = checked;
    let cache = match operation {
        Some(OperationType::Query) if scope.authenticated_by.is_some() => Cacheability::Private,
        Some(OperationType::Query) => Cacheability::Public,
        _ => Cacheability::NoStore,
    };
    let host = receipt.host();
    let consistency = pipeline
        .replicas
        .configured()
        .then(|| receipt.headers().get(crate::replicas::CONSISTENCY_HEADER))
        .flatten()
        .and_then(|v| v.to_str().ok());
    // A query with a consistency token wants a replica that has caught up, which a kept answer
    // cannot promise: it always runs (`response_cache`'s module comment).
    let mut ticket = None;
    if operation == Some(OperationType::Query) && consistency.is_none() {
        match pipeline.responses.lookup(Key::new(&req, scope, host)) {
            Some(Lookup::Hit(entry)) => return Answer::kept(entry, cache),
            Some(Lookup::Miss(miss)) => ticket = Some(miss),
            None => {}
        }
    }
    // Queries may read from a replica; mutations write to the primary.
    let route = match operation {
        Some(OperationType::Query) => pipeline.replicas.for_query(consistency),
        _ => crate::replicas::Route {
            db: pipeline.primary().clone(),
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
    let operation_name = req.operation_name.clone();
    let work = async {
        let slot = match operation {
            Some(OperationType::Query) => pipeline.query_slots.clone().acquire_owned().await.ok(),
            _ => None,
        };
        let mut response = once(pipeline, scope, host, req, route.db).await;
        if let Some((replica, req)) = again
            && failed_internally(&response)
        {
            pipeline.replicas.fell_back(replica, &pipeline.metrics);
            let primary = pipeline.primary().clone();
            response = once(pipeline, scope, host, req, primary).await;
        }
        (response, slot)
    };
    let limit = pipeline.config.limits.request_timeout;
    match tokio::time::timeout(limit, work).await {
        Ok((response, slot)) => {
            let finished = finish::Finished {
                response,
                document: &doc,
                operation_name: operation_name.as_deref(),
                operation,
                slot,
                cache,
                ticket,
            };
            finished.answer(pipeline).await
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
                slot: None,
                cache: Cacheability::NoStore,
                kept: None,
                ticket: None,
            }
        }
    }
}

/// Executes `req` once against `db`, its loaders driven by this task.
async fn once(
    pipeline: &Pipeline,
    scope: &Arc<Scope>,
    host: Option<&str>,
    req: async_graphql::Request,
    db: sea_orm::DatabaseConnection,
) -> async_graphql::Response {
    let queue = BatchQueue::default();
    let req = req.data(request_ctx(pipeline, scope, host, db, &queue));
    queue.drive(pipeline.schema.execute(req)).await
}

/// Starts a subscription on the primary; its events are coded as they come, each driving its
/// own loaders. `budget` bounds a socket's subscriptions.
pub fn subscribe(
    pipeline: &Pipeline,
    receipt: &Receipt,
    scope: &Arc<Scope>,
    checked: Checked,
    budget: Option<SubscriptionBudget>,
) -> BoxStream<'static, Answer> {
    let queue = BatchQueue::default();
    let ctx = request_ctx(
        pipeline,
        scope,
        receipt.host(),
        pipeline.primary().clone(),
        &queue,
    );
    let mut req = checked.request.data(ctx);
    if let Some(budget) = budget {
        req = req.data(budget);
    }
    let events = pipeline.schema.execute_stream(req);
    futures::stream::unfold((events, queue), |(mut events, queue)| async move {
        let event = queue.drive(events.next()).await?;
        Some((finish::event(event), (events, queue)))
    })
    .boxed()
}
