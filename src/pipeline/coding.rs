//! Every error with a code, and each error once (the finish stage's coding, and the refusals'
//! of every stage).
//!
//! Our resolvers answer with `AppError`, which always carries `extensions.code`. async-graphql's
//! own errors carry none; they are given the codes Apollo Server uses:
//! `GRAPHQL_VALIDATION_FAILED` for a document that does not fit the schema, `BAD_USER_INPUT` for
//! an argument or variable value that cannot be coerced to its type (async-graphql reports these
//! as "Invalid value for argument ..." while validating, or "Failed to parse ..." while
//! resolving; `tests/api/hostile.rs` pins both, so a release that rewords them fails there), and
//! `QUERY_TOO_COMPLEX` for its own limits (`limits::code_limit_error`). Parse errors are coded
//! where the document is parsed (`documents`). An `_entities` representation it cannot resolve
//! is `BAD_USER_INPUT`; any other uncoded execution error would be a bug: `INTERNAL`, logged.
//!
//! A field error repeats once per parent when the same bad argument is used under a list (a nested
//! `courses(first: -1)` under 47 organizations answered 47 errors): errors with the same code and
//! message at the same path, list indices aside, are reported once, at their first place.

use async_graphql::{PathSegment, ServerError, Value};

use crate::error::AppError;
use crate::graphql::limits;

/// Async-graphql's message prefixes for values that cannot be coerced to their input type.
const COERCION_MESSAGES: [&str; 2] = ["Invalid value for argument", "Failed to parse"];

/// Codes a response's errors as refusals or execution errors, judging by the response
/// (`began`); true when it executed.
pub fn response(response: &mut async_graphql::Response) -> bool {
    let executed = began(response);
    let errors = std::mem::take(&mut response.errors);
    response.errors = if executed {
        self::executed(errors)
    } else {
        refused(errors)
    };
    executed
}

/// The errors of a request that never ran, each with a code.
pub fn refused(errors: Vec<ServerError>) -> Vec<ServerError> {
    dedupe(
        errors
            .into_iter()
            .map(limits::code_limit_error)
            .map(|err| code(err, false))
            .collect(),
    )
}

/// The errors of an executed operation, each with a code, each once.
pub fn executed(errors: Vec<ServerError>) -> Vec<ServerError> {
    dedupe(errors.into_iter().map(|err| code(err, true)).collect())
}

/// Whether execution began, judging by the response.
///
/// async-graphql answers refusals and execution results alike with a `Response` whose `data`
/// may be null, but the GraphQL-over-HTTP spec treats them differently: a request that never
/// started executing (unparsable, invalid, an unknown operation) is answered without `data`.
/// The response itself tells: execution always yields an object, unless a non-null root field
/// failed, and then the error carries that field's path. A refusal is null data with errors
/// that have no path. The one execution error without a path is async-graphql's own "Entity not
/// found." for an `_entities` representation of a type this subgraph does not have, which is a
/// request error in all but name. (An extension could flag the start of execution instead, but
/// any extension makes async-graphql route every field through its chain, at a sixth of the
/// CPU of a large list.)
fn began(response: &async_graphql::Response) -> bool {
    response.data != Value::Null || response.errors.iter().any(|e| !e.path.is_empty())
}

fn has_code(err: &ServerError) -> bool {
    err.extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

fn code(err: ServerError, executed: bool) -> ServerError {
    if has_code(&err) {
        return err;
    }
    let message = err.message.clone();
    let app = if COERCION_MESSAGES.iter().any(|m| message.starts_with(m)) {
        let field = argument_name(&message).unwrap_or("argument").to_owned();
        AppError::bad_input(field, message)
    } else if !executed {
        AppError::ValidationFailed { message }
    } else if is_entities(&err) {
        // async-graphql's own answer to a representation it cannot resolve (a type this subgraph
        // lacks, a key it does not take): the client's input.
        AppError::bad_input("representations", message)
    } else {
        // No resolver of ours answers without a code; anything else is a bug, logged here.
        tracing::error!(error = %message, "an uncoded error during execution");
        AppError::internal(anyhow::anyhow!(message))
    };
    let internal = matches!(app, AppError::Internal(_));
    let mut coded = app.into_server_error();
    // The message is async-graphql's own, not "invalid value for ...: ..." (an internal error
    // keeps its fixed message).
    if !internal {
        coded.message = err.message;
    }
    coded.locations = err.locations;
    coded.path = err.path;
    coded
}

fn is_entities(err: &ServerError) -> bool {
    matches!(err.path.first(), Some(PathSegment::Field(name)) if name == "_entities")
}

/// `"first"` in `Invalid value for argument "first", expected type "Int"`.
fn argument_name(message: &str) -> Option<&str> {
    let start = message.find('"')? + 1;
    let len = message[start..].find('"')?;
    Some(&message[start..start + len])
}

fn dedupe(errors: Vec<ServerError>) -> Vec<ServerError> {
    if errors.len() < 2 {
        return errors;
    }
    let mut seen: Vec<(String, Option<Value>, Vec<String>)> = Vec::new();
    errors
        .into_iter()
        .filter(|err| {
            let code = err.extensions.as_ref().and_then(|e| e.get("code")).cloned();
            let path: Vec<String> = err
                .path
                .iter()
                .filter_map(|seg| match seg {
                    PathSegment::Field(name) => Some(name.clone()),
                    PathSegment::Index(_) => None,
                })
                .collect();
            let key = (err.message.clone(), code, path);
            if seen.contains(&key) {
                false
            } else {
                seen.push(key);
                true
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_null_data_with_pathless_errors() {
        let refused =
            async_graphql::Response::from_errors(vec![ServerError::new("Unknown field", None)]);
        assert!(!began(&refused));

        let mut root_failed = ServerError::new("boom", None);
        root_failed.path = vec![PathSegment::Field("organizations".into())];
        assert!(began(&async_graphql::Response::from_errors(vec![
            root_failed
        ])));

        let data = Value::from_json(serde_json::json!({ "a": null })).unwrap_or_default();
        let mut partial = async_graphql::Response::new(data);
        partial.errors.push(ServerError::new("field error", None));
        assert!(began(&partial));
    }

    fn code_of(err: &ServerError) -> String {
        err.extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .map(|c| c.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn uncoded_errors_get_apollo_codes() {
        let errors = refused(vec![
            ServerError::new("Unknown field \"x\" on type \"Query\".", None),
            ServerError::new(
                "Invalid value for argument \"first\", expected type \"Int\"",
                None,
            ),
        ]);
        assert_eq!(code_of(&errors[0]), "\"GRAPHQL_VALIDATION_FAILED\"");
        assert_eq!(code_of(&errors[1]), "\"BAD_USER_INPUT\"");
        assert!(errors[1].message.starts_with("Invalid value for argument"));
    }

    #[test]
    fn the_same_error_under_every_parent_is_reported_once() {
        let at = |i: usize| {
            let mut err = AppError::bad_input("first", "must be at least 0").into_server_error();
            err.path = vec![
                PathSegment::Field("organizations".into()),
                PathSegment::Index(i),
                PathSegment::Field("courses".into()),
            ];
            err
        };
        let errors = executed((0..47).map(at).collect());
        assert_eq!(errors.len(), 1);
    }
}
