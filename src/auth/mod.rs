//! Authentication: turns a request's token into a `Scope`, as docs/openedx.md has it.
//!
//! `sources` finds the token (the `Authorization` header, `JWT` or `Bearer`, else the two
//! micro-frontend cookies), `verify` checks it as edx-drf-extensions does (JWK sets with RS256
//! and RS512, issuers with HS256 secrets, `exp`/`iat`/`nbf`, `version`), `claims` says what it
//! means, `mint` makes tokens for local use and `local` keeps the secret that gives a new
//! SQLite installation its first token with no setup. A header token that fails verification is
//! `UNAUTHENTICATED`, never anonymous; a cookie token that fails makes the request anonymous,
//! so that the frontend can refresh its cookies.

pub mod claims;
pub mod csrf;
pub mod local;
pub mod mint;
mod settings;
pub mod sources;
pub mod verify;

use axum::http::HeaderMap;

pub use self::mint::{Claims, mint, mint_rs512};
pub use self::verify::Verifier;
use crate::access::{AuthSource, Scope};
use crate::config::Config;
use crate::error::AppError;
use sources::Presented;

fn unauthenticated(message: impl Into<String>) -> AppError {
    AppError::Unauthenticated {
        message: message.into(),
    }
}

/// The caller of a request: anonymous without a token (or with a failing cookie token), the
/// token's scope when it verifies, `UNAUTHENTICATED` for a failing header token.
pub fn authenticate(
    verifier: &Verifier,
    config: &Config,
    headers: &HeaderMap,
) -> Result<Scope, AppError> {
    match sources::presented(config, headers)? {
        Presented::Nothing => Ok(Scope::anonymous()),
        Presented::BrokenCookie => {
            tracing::debug!("half of the JWT cookies: anonymous");
            Ok(Scope::anonymous())
        }
        Presented::Token(token, AuthSource::Cookie) => {
            match scope_of(verifier, &token, AuthSource::Cookie) {
                Ok(scope) => Ok(scope),
                Err(err) => {
                    tracing::debug!(reason = err.message(), "cookie token refused: anonymous");
                    Ok(Scope::anonymous())
                }
            }
        }
        Presented::Token(token, AuthSource::Header) => {
            scope_of(verifier, &token, AuthSource::Header)
        }
    }
}

/// The scope of one token from `source`.
pub fn scope_of(verifier: &Verifier, token: &str, source: AuthSource) -> Result<Scope, AppError> {
    let payload = verifier.verify(token, verify::now()).map_err(|reason| {
        tracing::debug!(reason, "rejected token");
        unauthenticated(format!("invalid token: {reason}"))
    })?;
    let mut scope = claims::scope(&payload, source).ok_or_else(|| {
        unauthenticated("invalid token: no subject (preferred_username, username or sub)")
    })?;
    // Accepted until `exp` plus the leeway, as the verification itself has it.
    scope.expires = scope
        .expires
        .map(|exp| exp.saturating_add(verifier.leeway()));
    Ok(scope)
}

/// The scope of a header token under `config` (tests and tools; the service builds its
/// `Verifier` once).
pub fn scope_from_token(config: &Config, token: &str) -> Result<Scope, AppError> {
    let verifier = Verifier::from_config(config).map_err(|e| unauthenticated(e.to_string()))?;
    scope_of(&verifier, token, AuthSource::Header)
}
