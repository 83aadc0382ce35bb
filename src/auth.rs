//! Authentication: turns the request's bearer token into a `Scope`.
//!
//! Tokens are Open edX style JWTs signed with HS256: `sub` (or `preferred_username`), optional
//! `administrator: true`, optional `filters` such as `["content_org:MITx"]`. Only HS256 is
//! accepted (no `none`, no algorithm switch), `exp` is required, and `iss`/`aud` are checked
//! when configured. A token that does not verify is an error on every operation, never
//! anonymous.

use axum::http::{HeaderMap, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::domain::scope::Scope;
use crate::error::AppError;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Claims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub administrator: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    pub exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

const CONTENT_ORG: &str = "content_org:";

fn unauthenticated(message: impl Into<String>) -> AppError {
    AppError::Unauthenticated {
        message: message.into(),
    }
}

/// Anonymous without an `Authorization` header; otherwise the verified token's scope.
pub fn scope_from_headers(config: &Config, headers: &HeaderMap) -> Result<Scope, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Scope::anonymous());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer <token>`"))?;
    scope_from_token(config, token)
}

pub fn scope_from_token(config: &Config, token: &str) -> Result<Scope, AppError> {
    let Some(secret) = &config.jwt_secret else {
        return Err(unauthenticated(
            "this server accepts no tokens (TENANCY_JWT_SECRET is not set)",
        ));
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp"]);
    if let Some(iss) = &config.jwt_issuer {
        validation.set_issuer(&[iss]);
        validation.required_spec_claims.insert("iss".into());
    }
    match &config.jwt_audience {
        Some(aud) => {
            validation.set_audience(&[aud]);
            validation.required_spec_claims.insert("aud".into());
        }
        None => validation.validate_aud = false,
    }
    let data = decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.0.as_bytes()),
        &validation,
    )
    .map_err(|err| {
        tracing::debug!(error = %err, "rejected token");
        unauthenticated(format!("invalid token: {}", reason(&err)))
    })?;
    let claims = data.claims;
    let subject = claims
        .sub
        .or(claims.preferred_username)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| unauthenticated("invalid token: no subject (sub or preferred_username)"))?;
    let orgs: Vec<String> = claims
        .filters
        .iter()
        .filter_map(|f| f.strip_prefix(CONTENT_ORG))
        .map(str::to_lowercase)
        .collect();
    Ok(Scope {
        subject: Some(subject),
        administrator: claims.administrator,
        org_filter: (!orgs.is_empty()).then_some(orgs),
        filters: claims.filters,
        expires: i64::try_from(claims.exp).ok(),
    })
}

/// A short, safe reason (no token contents).
fn reason(err: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match err.kind() {
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "algorithm not accepted (HS256 only)"
        }
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::MissingRequiredClaim(_) => "missing a required claim",
        _ => "malformed",
    }
}

/// Mints an HS256 token (the `token` verb and tests).
pub fn mint(secret: &str, claims: &Claims) -> Result<String, AppError> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            jwt_secret: Some(crate::config::Secret("s3cret".into())),
            ..Config::for_database("sqlite::memory:")
        }
    }

    fn claims() -> Claims {
        Claims {
            sub: Some("ada".into()),
            filters: vec!["content_org:MITx".into(), "user:me".into()],
            exp: chrono::Utc::now().timestamp() as u64 + 60,
            ..Claims::default()
        }
    }

    /// A test step's error, as text.
    fn msg(err: AppError) -> String {
        err.message()
    }

    #[test]
    fn a_valid_token_becomes_a_scope() -> Result<(), String> {
        let token = mint("s3cret", &claims()).map_err(msg)?;
        let scope = scope_from_token(&config(), &token).map_err(msg)?;
        assert_eq!(scope.subject.as_deref(), Some("ada"));
        assert_eq!(scope.org_filter, Some(vec!["mitx".to_owned()]));
        assert!(!scope.administrator);
        Ok(())
    }

    #[test]
    fn bad_tokens_are_unauthenticated() -> Result<(), String> {
        let expired = Claims {
            exp: 1_000_000,
            ..claims()
        };
        let forged = mint("other", &claims()).map_err(msg)?;
        let none_alg = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"alg":"none","typ":"JWT"}"#
            ),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"sub":"ada","exp":99999999999}"#
            )
        );
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &claims(),
            &EncodingKey::from_secret(b"s3cret"),
        )
        .map_err(|e| e.to_string())?;
        for token in [
            mint("s3cret", &expired).map_err(msg)?,
            forged,
            none_alg,
            hs512,
            "garbage".into(),
        ] {
            let code = scope_from_token(&config(), &token).err().map(|e| e.code());
            assert_eq!(code, Some("UNAUTHENTICATED"), "{token}");
        }
        let no_secret = Config::for_database("sqlite::memory:");
        let token = mint("s3cret", &claims()).map_err(msg)?;
        let code = scope_from_token(&no_secret, &token).err().map(|e| e.code());
        assert_eq!(code, Some("UNAUTHENTICATED"));
        Ok(())
    }
}
