//! The executor subscriptions run on (WebSocket and SSE): the schema, with every error coded and
//! reported once (`refine`), as the HTTP path does for queries and mutations. async-graphql's
//! WebSocket protocol drives an `Executor` itself, so the coding sits here rather than in an
//! adapter.

use std::future::Future;
use std::sync::Arc;

use async_graphql::futures_util::stream::{BoxStream, StreamExt};
use async_graphql::{Data, Executor, Request, Response};

use super::refine;
use super::schema::AppSchema;

#[derive(Clone)]
pub struct Coded(pub AppSchema);

/// A response with its errors coded: refused ones as refusals, the rest as execution errors.
pub fn response(mut response: Response) -> Response {
    refine::response(&mut response);
    response
}

impl Executor for Coded {
    fn execute(&self, request: Request) -> impl Future<Output = Response> + Send {
        let schema = self.0.clone();
        async move { response(schema.execute(request).await) }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        Executor::execute_stream(&self.0, request, session_data)
            .map(response)
            .boxed()
    }
}
