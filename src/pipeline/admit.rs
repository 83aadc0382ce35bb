//! Stage 3, admit: who is asking, and may this transport carry what they ask?
//!
//! In order: a GET never writes (it may be prefetched or sent cross-site); the caller is the
//! request's (`access::Caller::of_request`: a failing header token is UNAUTHENTICATED, a
//! failing cookie token anonymous) or the socket's, whose expiry is checked again for every
//! operation; a mutation must be one the caller may write as far as the browser goes (a
//! cookie-authenticated write proves it comes from a page that could read the CSRF token, which
//! a socket cannot do). Grants are the services' to check; nothing here reads the database.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;

use super::{Credentials, Pipeline, Receipt, Transport};
use crate::access::{Caller, Scope};
use crate::config::Config;
use crate::error::AppError;

pub fn admit(
    pipeline: &Pipeline,
    receipt: &Receipt,
    credentials: &Credentials,
    operation: Option<OperationType>,
    transport: Transport,
) -> Result<Arc<Scope>, AppError> {
    let mutation = operation == Some(OperationType::Mutation);
    if mutation && !transport.may_write() {
        return Err(AppError::MethodNotAllowed {
            message: "mutations are accepted only in POST requests".into(),
        });
    }
    let caller = match credentials {
        Credentials::Request => Arc::new(Caller::of_request(
            &pipeline.verifier,
            &pipeline.config,
            receipt.headers(),
            receipt.host(),
        )?),
        Credentials::Socket { caller, .. } => {
            if caller.scope.expired(chrono::Utc::now().timestamp()) {
                return Err(AppError::Unauthenticated {
                    message: "the token expired; connect again with a new one".into(),
                });
            }
            caller.clone()
        }
    };
    if mutation {
        caller.may_write()?;
    }
    Ok(caller.scope.clone())
}

/// Whether a page of `origin` may reach the service with the browser's cookies: the service's
/// own origin, or one in `TENANCY_CORS_ALLOWED_ORIGINS`.
pub fn origin_allowed(config: &Config, receipt: &Receipt, origin: &str) -> bool {
    crate::auth::csrf::origin_allowed(config, receipt.host(), origin)
}
