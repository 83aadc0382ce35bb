//! Tells request errors from execution results.
//!
//! async-graphql answers both with a `Response` whose `data` may be null, but the GraphQL-over-HTTP
//! spec treats them differently: a request that never started executing (unparsable, invalid,
//! over a limit) is answered without `data`, and with 400 under `application/graphql-response+json`.
//!
//! The response itself tells: execution always yields an object, unless a non-null root field
//! failed, and then the error carries that field's path. A refusal (parsing, validation, operation
//! selection) is null data with errors that have no path. The one execution error without a path
//! is async-graphql's own "Entity not found." for an `_entities` representation of a type this
//! subgraph does not have, which is a request error in all but name.
//!
//! (An async-graphql extension could flag the start of execution instead, but any extension
//! makes async-graphql route every field through its extension chain, at a sixth of the CPU of
//! a large list.)

use async_graphql::{Response, Value};

/// Whether execution began, judging by the response (see the module documentation).
pub fn executed(response: &Response) -> bool {
    response.data != Value::Null || response.errors.iter().any(|e| !e.path.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{PathSegment, ServerError};

    #[test]
    fn refusals_are_null_data_with_pathless_errors() {
        let refused = Response::from_errors(vec![ServerError::new("Unknown field", None)]);
        assert!(!executed(&refused));

        let mut root_failed = ServerError::new("boom", None);
        root_failed.path = vec![PathSegment::Field("organizations".into())];
        assert!(executed(&Response::from_errors(vec![root_failed])));

        let data = Value::from_json(serde_json::json!({ "a": null })).unwrap_or_default();
        let mut partial = Response::new(data);
        partial.errors.push(ServerError::new("field error", None));
        assert!(executed(&partial));
    }
}
