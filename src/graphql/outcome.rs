//! Tells request errors from execution results.
//!
//! async-graphql answers both with a `Response` whose `data` may be null, but the GraphQL-over-HTTP
//! spec treats them differently: a request that never started executing (unparsable, invalid,
//! over a limit) is answered without `data`, and with 400 under `application/graphql-response+json`.
//! The HTTP layer puts a `Started` flag into each request; the extension raises it when execution
//! begins, which async-graphql does only once parsing, validation and the limits have passed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::Response;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};

/// Raised when execution of the request's operation begins.
#[derive(Clone, Default)]
pub struct Started(Arc<AtomicBool>);

impl Started {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The extension that raises `Started`.
pub struct TrackExecution;

impl ExtensionFactory for TrackExecution {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TrackExecution)
    }
}

#[async_trait::async_trait]
impl Extension for TrackExecution {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(started) = ctx.data_opt::<Started>() {
            started.0.store(true, Ordering::Release);
        }
        next.run(ctx, operation_name).await
    }
}
