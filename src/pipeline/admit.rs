//! Stage 3, admit: who is asking, and may this transport carry what they ask?
//!
//! In order: a GET never writes (it may be prefetched or sent cross-site); the caller is the
//! request's token (`auth::authenticate`: a failing header token is UNAUTHENTICATED, a failing
//! cookie token anonymous) or the socket's, whose expiry is checked again for every operation;
//! a mutation authenticated by the browser's cookies alone must prove it comes from a page that
//! could read the CSRF token (`auth::csrf`), which a socket cannot do, so such a socket is
//! read-only. Grants are the services' to check; nothing here reads the database.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use http::{HeaderMap, HeaderValue, header};

use super::{Caller, Pipeline, Receipt, Transport};
use crate::auth;
use crate::config::Config;
use crate::domain::scope::{AuthSource, Scope};
use crate::error::AppError;

pub fn admit(
    pipeline: &Pipeline,
    receipt: &Receipt,
    caller: &Caller,
    operation: Option<OperationType>,
    transport: Transport,
) -> Result<Arc<Scope>, AppError> {
    let mutation = operation == Some(OperationType::Mutation);
    if mutation && !transport.may_write() {
        return Err(AppError::MethodNotAllowed {
            message: "mutations are accepted only in POST requests".into(),
        });
    }
    let scope = match caller {
        Caller::Request => Arc::new(auth::authenticate(
            &pipeline.verifier,
            &pipeline.config,
            receipt.headers(),
        )?),
        Caller::Socket { scope, .. } => {
            if scope.expired(chrono::Utc::now().timestamp()) {
                return Err(AppError::Unauthenticated {
                    message: "the token expired; connect again with a new one".into(),
                });
            }
            scope.clone()
        }
    };
    if mutation && scope.authenticated_by == Some(AuthSource::Cookie) {
        if !transport.carries_csrf_token() {
            return Err(AppError::Forbidden {
                message:
                    "a WebSocket authenticated by cookies alone is read-only (it cannot carry \
                          the CSRF token): send the token in connection_init's Authorization, or \
                          the mutation by POST"
                        .into(),
            });
        }
        auth::csrf::check(&pipeline.config, receipt.headers(), receipt.host())?;
    }
    Ok(scope)
}

/// The caller of a socket: the `Authorization` value `connection_init` names, else the upgrade
/// request's header or cookies.
pub fn connection_caller(
    pipeline: &Pipeline,
    headers: &HeaderMap,
    authorization: Option<&str>,
) -> Result<Scope, AppError> {
    let Some(value) = authorization else {
        return auth::authenticate(&pipeline.verifier, &pipeline.config, headers);
    };
    let value = HeaderValue::from_str(value).map_err(|_| AppError::Unauthenticated {
        message: "the Authorization value is not a valid header value".into(),
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, value);
    auth::authenticate(&pipeline.verifier, &pipeline.config, &headers)
}

/// Whether a page of `origin` may reach the service with the browser's cookies: the service's
/// own origin, or one in `TENANCY_CORS_ALLOWED_ORIGINS`.
pub fn origin_allowed(config: &Config, receipt: &Receipt, origin: &str) -> bool {
    auth::csrf::origin_allowed(config, receipt.host(), origin)
}
