//! Executing a request against one database, and what running a query again on the primary
//! (after a replica failed it) needs.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;

use crate::graphql::batch::BatchQueue;
use crate::graphql::context::RequestCtx;
use crate::graphql::loader::Loaders;
use crate::http::AppState;

/// What executing an operation needs besides the request and the database.
pub(super) struct Run<'a> {
    pub state: &'a AppState,
    pub scope: &'a Arc<crate::domain::scope::Scope>,
    pub host: &'a Option<String>,
}

impl Run<'_> {
    /// Executes `req` against `db` with fresh loaders (nothing read from another database is
    /// reused).
    pub async fn execute(
        &self,
        req: async_graphql::Request,
        db: sea_orm::DatabaseConnection,
    ) -> async_graphql::Response {
        let state = self.state;
        let queue = BatchQueue::default();
        let loaders = Loaders::new(
            &db,
            self.scope.clone(),
            &queue,
            &state.metrics.loader_batch_size,
        );
        let req = req.data(RequestCtx {
            scope: self.scope.clone(),
            host: self.host.clone(),
            loaders,
            db,
            write_retries: state.metrics.write_retries.clone(),
            generation: state.responses.generation().clone(),
        });
        queue.drive(state.schema.execute(req)).await
    }
}

/// The same request, to run again (none with uploads, which a query does not take).
pub(super) fn copy(
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
pub(super) fn failed_internally(response: &async_graphql::Response) -> bool {
    response.errors.iter().any(|err| {
        err.extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from("INTERNAL"))
    })
}
