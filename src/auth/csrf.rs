//! CSRF protection for cookie-authenticated writes (docs/openedx.md), as Django and
//! frontend-platform do it: `GET /csrf/api/v1/token` hands out a token and sets it as the
//! `csrftoken` cookie; a cookie-authenticated mutation must echo it in `X-CSRFToken` and, when
//! it sends `Origin`, come from an allowed origin.

use axum::http::{HeaderMap, header};

use crate::config::Config;
use crate::error::AppError;

pub const COOKIE: &str = "csrftoken";
pub const HEADER: &str = "x-csrftoken";

/// A new random token (64 hex digits), or an error when the system has no randomness.
pub fn new_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `token` looks like one this service handed out (or Django's 32/64 characters).
pub fn well_formed(token: &str) -> bool {
    (32..=64).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn forbidden(message: &str) -> AppError {
    AppError::Forbidden {
        message: message.to_owned(),
    }
}

/// Checks a cookie-authenticated write; `host` is the one the request named (the service's
/// own origin is allowed).
pub fn check(config: &Config, headers: &HeaderMap, host: Option<&str>) -> Result<(), AppError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        if !origin_allowed(config, host, origin) {
            return Err(forbidden(
                "CSRF check failed: this origin is not allowed (TENANCY_CORS_ALLOWED_ORIGINS)",
            ));
        }
    }
    let cookie = super::sources::cookie(headers, COOKIE).unwrap_or_default();
    let sent = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if cookie.is_empty() || sent.is_empty() || !same(cookie.as_bytes(), sent.as_bytes()) {
        return Err(forbidden(
            "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value (GET /csrf/api/v1/token)",
        ));
    }
    Ok(())
}

/// An allowed origin, or the service's own at `host` (a same-origin page such as GraphiQL).
pub fn origin_allowed(config: &Config, host: Option<&str>, origin: &str) -> bool {
    if config.cors_allowed_origins.iter().any(|o| o == origin) {
        return true;
    }
    host.is_some_and(|host| {
        origin.strip_prefix("http://") == Some(host)
            || origin.strip_prefix("https://") == Some(host)
    })
}

/// Constant-time equality.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_are_random_and_well_formed() -> Result<(), String> {
        let a = new_token().map_err(|e| e.message())?;
        let b = new_token().map_err(|e| e.message())?;
        assert!(well_formed(&a) && a != b);
        Ok(())
    }

    #[test]
    fn the_header_must_match_the_cookie_and_the_origin_be_allowed() {
        let mut config = Config::for_database("sqlite::memory:");
        config.cors_allowed_origins = vec!["http://mfe.test".into()];
        let mut headers = HeaderMap::new();
        let host = Some("tenancy.test");
        headers.insert(header::COOKIE, HeaderValue::from_static("csrftoken=abc"));
        assert!(check(&config, &headers, host).is_err(), "no header");
        headers.insert(HEADER, HeaderValue::from_static("abd"));
        assert!(check(&config, &headers, host).is_err(), "different");
        headers.insert(HEADER, HeaderValue::from_static("abc"));
        assert!(check(&config, &headers, host).is_ok());
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://evil.test"));
        assert!(check(&config, &headers, host).is_err(), "origin");
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://mfe.test"));
        assert!(check(&config, &headers, host).is_ok());
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://tenancy.test"),
        );
        assert!(check(&config, &headers, host).is_ok(), "its own origin");
    }
}
