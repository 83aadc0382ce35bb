//! Stage 5, finish: the answer as clients get it. Every error coded once (`coding`), the keys in
//! the order the document selected them (`graphql::order`: async-graphql writes a list of flat
//! rows in its own order), the consistency token a mutation's answer carries, and the metrics of
//! every operation whatever became of it.

use std::time::Instant;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use tokio::sync::OwnedSemaphorePermit;

use super::answer::{Answer, Cacheability, Kind};
use super::response_cache::Ticket;
use super::{Pipeline, coding};
use crate::graphql::order::Plan;
use crate::metrics::Metrics;

/// An execution that ended in time.
pub struct Finished<'a> {
    pub response: async_graphql::Response,
    pub document: &'a ExecutableDocument,
    pub operation_name: Option<&'a str>,
    pub operation: Option<OperationType>,
    pub slot: Option<OwnedSemaphorePermit>,
    pub cache: Cacheability,
    pub ticket: Option<Box<Ticket>>,
}

impl Finished<'_> {
    pub async fn answer(self, pipeline: &Pipeline) -> Answer {
        let mut response = self.response;
        let kind = if coding::response(&mut response) {
            if let Some(plan) = Plan::for_operation(self.document, self.operation_name) {
                plan.apply(&mut response.data);
            }
            Kind::Executed
        } else {
            Kind::Refused
        };
        // What a client sends back to read its own writes from a replica.
        if self.operation == Some(OperationType::Mutation)
            && let Some(token) = pipeline.replicas.consistency_token().await
        {
            response.extensions.insert(
                "consistency".to_owned(),
                async_graphql::Value::String(token),
            );
        }
        let executed = kind == Kind::Executed;
        Answer {
            response,
            kind,
            slot: self.slot,
            cache: if executed {
                self.cache
            } else {
                Cacheability::NoStore
            },
            kept: None,
            ticket: self.ticket.filter(|_| executed),
        }
    }
}

/// One event of a subscription, coded.
pub fn event(mut response: async_graphql::Response) -> Answer {
    let kind = if coding::response(&mut response) {
        Kind::Executed
    } else {
        Kind::Refused
    };
    Answer {
        response,
        kind,
        slot: None,
        cache: Cacheability::NoStore,
        kept: None,
        ticket: None,
    }
}

fn label(operation: Option<OperationType>) -> &'static str {
    match operation {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// Counts an operation answered once (`tenancy_graphql_requests_total`, its duration).
pub fn record(
    metrics: &Metrics,
    operation: Option<OperationType>,
    answer: &Answer,
    started: Instant,
) {
    let outcome = match answer.kind {
        Kind::Executed if answer.response.errors.is_empty() => "ok",
        Kind::Executed => "error",
        Kind::Refused => "rejected",
        Kind::TimedOut => "timeout",
    };
    count(metrics, label(operation), outcome, started);
}

/// Counts a subscription that started.
pub fn record_start(metrics: &Metrics, started: Instant) {
    count(metrics, "subscription", "ok", started);
}

fn count(metrics: &Metrics, operation: &str, outcome: &str, started: Instant) {
    metrics
        .graphql_requests
        .with_label_values(&[operation, outcome])
        .inc();
    metrics
        .graphql_duration
        .with_label_values(&[operation])
        .observe(started.elapsed().as_secs_f64());
    tracing::debug!(operation, outcome, "graphql");
}
