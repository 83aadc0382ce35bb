//! The caller of one request or command, made once (docs/access.md): who asks (its `Scope`, from
//! the request's token through `auth`) and whether a write its browser cookies authenticate
//! proved it comes from a page that could read the CSRF token. GraphQL (every transport,
//! through the pipeline), the REST API and the command line make their caller here, and
//! `actor` is the only way a service is handed one.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, header};

use super::{AuthSource, Scope};
use crate::auth::{self, Verifier};
use crate::config::Config;
use crate::error::AppError;
use crate::service::Actor;

#[derive(Clone, Debug)]
pub struct Caller {
    pub scope: Arc<Scope>,
    /// `Err` (FORBIDDEN) when the caller's writes may not go on: authenticated by cookies alone
    /// without the CSRF proof.
    writes: Result<(), AppError>,
}

impl Caller {
    /// The caller of an HTTP request; `host` is the host it named (the service's own origin).
    pub fn of_request(
        verifier: &Verifier,
        config: &Config,
        headers: &HeaderMap,
        host: Option<&str>,
    ) -> Result<Caller, AppError> {
        let scope = auth::authenticate(verifier, config, headers)?;
        // Cookies travel with any request to this host: a write they authenticate must prove it
        // comes from a page that could read the CSRF token (and, with an Origin, an allowed one).
        let writes = match scope.authenticated_by {
            Some(AuthSource::Cookie) => auth::csrf::check(config, headers, host),
            _ => Ok(()),
        };
        Ok(Caller {
            scope: Arc::new(scope),
            writes,
        })
    }

    /// The caller of a socket: the `Authorization` value `connection_init` names, else the
    /// upgrade request's header or cookies. A socket cannot carry the CSRF token, so one that
    /// cookies alone authenticate is read-only.
    pub fn of_socket(
        verifier: &Verifier,
        config: &Config,
        headers: &HeaderMap,
        authorization: Option<&str>,
    ) -> Result<Caller, AppError> {
        let scope = match authorization {
            Some(value) => {
                let value =
                    HeaderValue::from_str(value).map_err(|_| AppError::Unauthenticated {
                        message: "the Authorization value is not a valid header value".into(),
                    })?;
                let mut given = HeaderMap::new();
                given.insert(header::AUTHORIZATION, value);
                auth::authenticate(verifier, config, &given)?
            }
            None => auth::authenticate(verifier, config, headers)?,
        };
        let writes = match scope.authenticated_by {
            Some(AuthSource::Cookie) => Err(AppError::Forbidden {
                message:
                    "a WebSocket authenticated by cookies alone is read-only (it cannot carry \
                          the CSRF token): send the token in connection_init's Authorization, or \
                          the mutation by POST"
                        .into(),
            }),
            _ => Ok(()),
        };
        Ok(Caller {
            scope: Arc::new(scope),
            writes,
        })
    }

    /// An operator at the command line, running `verb` (`--actor NAME` when given).
    pub fn operator(verb: &str, actor: Option<&str>) -> Caller {
        Caller {
            scope: Arc::new(Scope::operator(verb, actor)),
            writes: Ok(()),
        }
    }

    /// Whether a write of this caller may go on as far as the browser goes (grants are the
    /// services' to check).
    pub fn may_write(&self) -> Result<(), AppError> {
        self.writes.clone()
    }
}

/// A service's view of the caller: on `db`, in the configured mode, counting its retries and
/// moving `committed` after each commit (both `None` at the command line).
pub fn actor<'a>(
    scope: &'a Scope,
    db: &'a sea_orm::DatabaseConnection,
    autocreate: bool,
    retries: Option<&'a prometheus::IntCounterVec>,
    committed: Option<&'a crate::live::Generation>,
) -> Actor<'a> {
    Actor {
        db,
        scope,
        autocreate,
        retries,
        committed,
    }
}
