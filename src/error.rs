//! The one error type of the service.
//!
//! Domain services return `Result<T, AppError>`; each variant carries a stable code that becomes
//! `extensions.code` in GraphQL responses. `AppError` deliberately does not implement `Display`:
//! async-graphql converts anything displayable into a code-less error, so leaving `Display` out
//! lets our own `From<AppError>` conversion apply to every `?` in a resolver and no error can lose
//! its code on the way out. Internal errors are logged with their detail here and answered as
//! `INTERNAL` with a fixed message, so no SQL or driver text reaches a client.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

#[derive(Debug, Clone)]
pub enum AppError {
    /// A bad argument value; `field` names the argument (`input.shortName`, `courseKey`, ...).
    BadUserInput {
        field: String,
        message: String,
    },
    InvalidCourseKey {
        key: String,
        reason: String,
    },
    /// Validate mode (`TENANCY_ORGANIZATIONS_AUTOCREATE=false`) met an unknown organization.
    OrganizationNotFound {
        short_name: String,
    },
    NotFound {
        message: String,
    },
    AlreadyExists {
        message: String,
    },
    Unauthenticated {
        message: String,
    },
    Forbidden {
        message: String,
    },
    QueryTooComplex {
        message: String,
    },
    /// The HTTP request is not a GraphQL request: not JSON, no `query`, a wrong media type.
    BadRequest {
        message: String,
    },
    /// The transport cannot carry this operation (a mutation sent by GET).
    MethodNotAllowed {
        message: String,
    },
    /// The operation ran past `--request-timeout` and was stopped.
    Timeout {
        message: String,
    },
    /// The client has too many requests in flight (`--max-inflight-per-client`).
    TooManyRequests {
        message: String,
    },
    /// The document is not GraphQL (Apollo's `GRAPHQL_PARSE_FAILED`).
    ParseFailed {
        message: String,
    },
    /// The document does not fit the schema (Apollo's `GRAPHQL_VALIDATION_FAILED`).
    ValidationFailed {
        message: String,
    },
    /// The answer would exceed `--max-response-bytes`.
    ResponseTooLarge {
        message: String,
    },
    /// A write still conflicted with concurrent writes (serialization failure or deadlock)
    /// after every retry; worth trying again later.
    WriteConflict {
        message: String,
    },
    /// Shared so that errors can fan out to every key of a dataloader batch.
    Internal(Arc<anyhow::Error>),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::InvalidCourseKey { .. } => "INVALID_COURSE_KEY",
            AppError::OrganizationNotFound { .. } => "ORGANIZATION_NOT_FOUND",
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::AlreadyExists { .. } => "ALREADY_EXISTS",
            AppError::Unauthenticated { .. } => "UNAUTHENTICATED",
            AppError::Forbidden { .. } => "FORBIDDEN",
            AppError::QueryTooComplex { .. } => "QUERY_TOO_COMPLEX",
            AppError::BadRequest { .. } => "BAD_REQUEST",
            AppError::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            AppError::Timeout { .. } => "TIMEOUT",
            AppError::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            AppError::ParseFailed { .. } => "GRAPHQL_PARSE_FAILED",
            AppError::ValidationFailed { .. } => "GRAPHQL_VALIDATION_FAILED",
            AppError::ResponseTooLarge { .. } => "RESPONSE_TOO_LARGE",
            AppError::WriteConflict { .. } => "WRITE_CONFLICT",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client sees.
    pub fn message(&self) -> String {
        match self {
            AppError::BadUserInput { field, message } => {
                format!("invalid value for {field}: {message}")
            }
            AppError::InvalidCourseKey { key, reason } => {
                format!("invalid course key {key:?}: {reason}")
            }
            AppError::OrganizationNotFound { short_name } => format!(
                "organization {short_name:?} does not exist and organizations are not auto-created"
            ),
            AppError::NotFound { message }
            | AppError::AlreadyExists { message }
            | AppError::Unauthenticated { message }
            | AppError::Forbidden { message }
            | AppError::QueryTooComplex { message }
            | AppError::BadRequest { message }
            | AppError::MethodNotAllowed { message }
            | AppError::Timeout { message }
            | AppError::TooManyRequests { message }
            | AppError::ParseFailed { message }
            | AppError::ValidationFailed { message }
            | AppError::ResponseTooLarge { message }
            | AppError::WriteConflict { message } => message.clone(),
            AppError::Internal(_) => "internal error".to_owned(),
        }
    }

    /// The message for an operator at the command line: an internal error names its cause
    /// (driver text included, with any URL password masked), unlike the client's message.
    pub fn for_operator(&self) -> String {
        match self {
            AppError::Internal(err) => {
                format!("internal error: {}", mask_passwords(&format!("{err:#}")))
            }
            other => other.message(),
        }
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        AppError::NotFound {
            message: message.into(),
        }
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        AppError::AlreadyExists {
            message: message.into(),
        }
    }

    pub fn too_complex(message: impl Into<String>) -> Self {
        AppError::QueryTooComplex {
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest {
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(Arc::new(err.into()))
    }

    /// The SQLSTATE of the database error behind an internal error, if that is what it is.
    pub fn sqlstate(&self) -> Option<String> {
        use sea_orm::{DbErr, RuntimeErr};
        let AppError::Internal(err) = self else {
            return None;
        };
        let (DbErr::Conn(RuntimeErr::SqlxError(sqlx))
        | DbErr::Exec(RuntimeErr::SqlxError(sqlx))
        | DbErr::Query(RuntimeErr::SqlxError(sqlx))) = err.downcast_ref::<DbErr>()?
        else {
            return None;
        };
        Some(sqlx.as_database_error()?.code()?.into_owned())
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::Internal(Arc::new(err.into()))
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if let AppError::Internal(err) = self {
            tracing::error!(error = ?err, "internal error");
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                AppError::BadUserInput { field, .. } => ext.set("field", field.as_str()),
                AppError::InvalidCourseKey { key, .. } => ext.set("courseKey", key.as_str()),
                AppError::OrganizationNotFound { short_name } => {
                    ext.set("shortName", short_name.as_str())
                }
                _ => {}
            }
        })
    }
}

impl AppError {
    /// The error as a top-level GraphQL error, for answers given outside any resolver (no
    /// location, no path).
    pub fn into_server_error(self) -> async_graphql::ServerError {
        let err = self.extend();
        let mut server = async_graphql::ServerError::new(err.message, None);
        server.extensions = err.extensions;
        server
    }
}

impl AppError {
    /// `{"errors": [this error]}`: the body of an answer given outside GraphQL execution
    /// (refusals of the HTTP layer, the answer to a panic).
    pub fn errors_body(self) -> serde_json::Value {
        let error = serde_json::to_value(self.into_server_error())
            .unwrap_or_else(|_| serde_json::json!({ "message": "internal error" }));
        serde_json::json!({ "errors": [error] })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// `scheme://user:password@host` becomes `scheme://user:***@host` wherever it appears.
pub fn mask_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail() {
        let err: async_graphql::Error =
            AppError::internal(anyhow::anyhow!("syntax error at or near \"SELECT\"")).into();
        assert_eq!(err.message, "internal error");
        let ext = format!("{:?}", err.extensions);
        assert!(ext.contains("INTERNAL"), "{ext}");
        assert!(!ext.contains("SELECT"), "{ext}");
    }

    #[test]
    fn operators_see_the_cause_without_passwords() {
        let err = AppError::internal(anyhow::anyhow!(
            "error connecting to postgres://tenancy:hunter2@db:5432/tenancy: refused"
        ));
        let text = err.for_operator();
        assert!(
            text.contains("refused") && text.contains("tenancy:***@db"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn bad_input_names_its_field() {
        let err: async_graphql::Error =
            AppError::bad_input("shortName", "must not be empty").into();
        let ext = format!("{:?}", err.extensions);
        assert!(
            ext.contains("BAD_USER_INPUT") && ext.contains("shortName"),
            "{ext}"
        );
    }
}
