//! The per-request context resolvers read (the one place it is built), and what running a query
//! again on the primary (after a replica failed it) needs.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;

use super::Pipeline;
use crate::access::Scope;
use crate::graphql::batch::BatchQueue;
use crate::graphql::context::RequestCtx;
use crate::graphql::loader::Loaders;

/// A context for one execution against `db`, with fresh loaders (nothing read from another
/// database is reused) whose batches `queue` runs.
pub fn request_ctx(
    pipeline: &Pipeline,
    scope: &Arc<Scope>,
    host: Option<&str>,
    db: sea_orm::DatabaseConnection,
    queue: &BatchQueue,
) -> RequestCtx {
    let metrics = &pipeline.metrics;
    RequestCtx {
        loaders: Loaders::new(&db, scope.clone(), queue, &metrics.loader_batch_size),
        scope: scope.clone(),
        host: host.map(str::to_owned),
        db,
        write_retries: metrics.write_retries.clone(),
        generation: pipeline.responses.generation().clone(),
    }
}

/// The same request, to run again (none with uploads, which a query does not take).
pub fn copy(
    req: &async_graphql::Request,
    doc: &Arc<ExecutableDocument>,
) -> Option<async_graphql::Request> {
    if !req.uploads.is_empty() {
        return None;
    }
    let mut again = async_graphql::Request::new(req.query.clone()).variables(req.variables.clone());
    again.operation_name = req.operation_name.clone();
    again.extensions = req.extensions.clone();
    again.introspection_mode = req.introspection_mode;
    again.set_parsed_query(doc.as_ref().clone());
    Some(again)
}

/// Whether an error of ours says the database failed (a replica's error, as the primary would
/// not have it: a dropped connection, a conflict with recovery, a missing table).
pub fn failed_internally(response: &async_graphql::Response) -> bool {
    response.errors.iter().any(|err| {
        err.extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from("INTERNAL"))
    })
}
