//! Stage 2, prepare: is this a document the service will run, within its limits?
//!
//! In order: the size of the document (`--max-body-bytes`, whatever carried it), the bracket
//! pre-check and parsing (`documents`, which parses and validates each distinct document once),
//! the operation the request selects, the values of its variables (`variables`), then depth,
//! complexity (the document's) and cost (the document's with these variables). A refusal here
//! runs nothing and reads no token.

use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ServerError, ServerResult};

use super::Pipeline;
use crate::error::AppError;
use crate::graphql::limits;

/// A request after this stage: the operation it selects (when the document says) and whether
/// it may go on.
pub struct Prepared {
    operation: Option<OperationType>,
    outcome: Result<Checked, Vec<ServerError>>,
}

/// A request that passed this stage.
pub struct Checked {
    pub request: async_graphql::Request,
    /// The parsed document (the answer's key order follows it).
    pub document: Arc<ExecutableDocument>,
    pub operation: Option<OperationType>,
}

impl Prepared {
    /// The operation's type, for metrics and the transport rules; `None` when unknown.
    pub fn operation(&self) -> Option<OperationType> {
        self.operation
    }

    pub fn checked(self) -> Result<Checked, Vec<ServerError>> {
        self.outcome
    }
}

pub async fn prepare(pipeline: &Pipeline, mut request: async_graphql::Request) -> Prepared {
    let limits = &pipeline.config.limits;
    if request.query.len() > limits.body_bytes {
        let error = AppError::bad_request(format!(
            "the document is larger than {} bytes",
            limits.body_bytes
        ));
        return refused(None, vec![error.into_server_error()]);
    }
    let document = match pipeline.documents.parse(&mut request) {
        Ok(document) => document,
        Err(err) => return refused(None, vec![err]),
    };
    let operation = operation_type(&document.document, request.operation_name.as_deref());
    let shaped = document
        .shape
        .clone()
        .and_then(|shape| limits::check(shape, limits.query_depth, limits.query_complexity));
    if let Err(err) = shaped {
        return refused(operation, vec![err]);
    }
    if let Err(errors) = document.validated(&request).await {
        return refused(operation, errors);
    }
    let checked = (|| -> ServerResult<()> {
        super::variables::check(&pipeline.documents.inputs, &document.document, &request)?;
        limits::check_cost(
            limits::cost(&document.document, &request.variables),
            limits.query_cost,
        )
    })();
    match checked {
        Ok(()) => Prepared {
            operation,
            outcome: Ok(Checked {
                request,
                document: document.document.clone(),
                operation,
            }),
        },
        Err(err) => refused(operation, vec![err]),
    }
}

fn refused(operation: Option<OperationType>, errors: Vec<ServerError>) -> Prepared {
    Prepared {
        operation,
        outcome: Err(errors),
    }
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
