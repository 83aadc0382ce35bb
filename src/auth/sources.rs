//! Where a token comes from (docs/openedx.md): the `Authorization` header (`JWT` or `Bearer`,
//! case-insensitive), else the two micro-frontend cookies joined with `.`.

use axum::http::{HeaderMap, header};

use crate::access::AuthSource;
use crate::config::Config;
use crate::error::AppError;

/// What the request carries.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented {
    /// No token at all: anonymous.
    Nothing,
    /// A token and where it came from.
    Token(String, AuthSource),
    /// Only one of the two JWT cookies (or an empty one): anonymous, as edx-drf-extensions
    /// treats it, so that the frontend refreshes its cookies.
    BrokenCookie,
}

fn unauthenticated(message: &str) -> AppError {
    AppError::Unauthenticated {
        message: message.to_owned(),
    }
}

/// The request's token. A malformed `Authorization` header (another scheme, no token, two
/// headers) is an error, never anonymous.
pub fn presented(config: &Config, headers: &HeaderMap) -> Result<Presented, AppError> {
    let mut authorization = headers.get_all(header::AUTHORIZATION).iter();
    if let Some(value) = authorization.next() {
        if authorization.next().is_some() {
            return Err(unauthenticated(
                "send one Authorization header, not several",
            ));
        }
        return bearer(value.to_str().ok()).map(|t| Presented::Token(t, AuthSource::Header));
    }
    let payload = cookie(headers, &config.jwt_cookie_header_payload_name);
    let signature = cookie(headers, &config.jwt_cookie_signature_name);
    Ok(match (payload, signature) {
        (None, None) => Presented::Nothing,
        (Some(p), Some(s)) if !p.is_empty() && !s.is_empty() => {
            Presented::Token(format!("{p}.{s}"), AuthSource::Cookie)
        }
        _ => Presented::BrokenCookie,
    })
}

/// The token of `JWT <token>` or `Bearer <token>` (the scheme in any case). Anything else is
/// refused with what was wrong and what to send, never read as anonymous.
fn bearer(value: Option<&str>) -> Result<String, AppError> {
    const FORM: &str = "expected `JWT <token>` or `Bearer <token>`";
    let refused = |what: &str, hint: &str| {
        unauthenticated(&format!(
            "the Authorization header {what}: {FORM}; hint: {hint}"
        ))
    };
    let value = value
        .ok_or_else(|| refused("is not text", "send the token as ASCII text"))?
        .trim();
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(if value.is_empty() {
            refused(
                "is empty",
                "send a token, or no Authorization header to read anonymously",
            )
        } else if value.matches('.').count() == 2 {
            refused(
                "has no scheme",
                "put `JWT ` before the token: {\"Authorization\": \"JWT <the token>\"}",
            )
        } else {
            refused("has no token", "send `JWT ` followed by the token")
        });
    };
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("jwt") && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(refused(
            &format!("has the scheme {scheme:?}"),
            "Open edX tokens go as `JWT <token>` (or `Bearer <token>`)",
        ));
    }
    if token.is_empty() || token.contains(' ') {
        return Err(refused(
            "does not hold one token",
            "send the scheme, one space and the token",
        ));
    }
    Ok(token.to_owned())
}

/// The value of the cookie `name` (the first one, across every `Cookie` header).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value_trimmed().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn config() -> Config {
        Config::for_database("sqlite::memory:")
    }

    #[test]
    fn header_schemes_are_case_insensitive() {
        for value in ["JWT a.b.c", "jwt a.b.c", "Bearer a.b.c", "bEaReR  a.b.c "] {
            let got = presented(&config(), &headers(&[("authorization", value)]));
            assert_eq!(
                got.ok(),
                Some(Presented::Token("a.b.c".into(), AuthSource::Header)),
                "{value}"
            );
        }
        for value in ["Basic a.b.c", "Bearer", "Bearer ", "a.b.c", "JWT a b", ""] {
            let got = presented(&config(), &headers(&[("authorization", value)]));
            let message = got.err().map(|e| e.message()).unwrap_or_default();
            assert!(
                message.contains("JWT <token>") && message.contains("hint: "),
                "{value:?}: {message}"
            );
        }
        let message = presented(&config(), &headers(&[("authorization", "a.b.c")]))
            .err()
            .map(|e| e.message())
            .unwrap_or_default();
        assert!(message.contains("has no scheme"), "{message}");
        let two = headers(&[
            ("authorization", "JWT a.b.c"),
            ("authorization", "JWT a.b.c"),
        ]);
        assert!(presented(&config(), &two).is_err());
    }

    #[test]
    fn the_two_cookies_make_one_token() {
        let both = headers(&[(
            "cookie",
            "a=1; edx-jwt-cookie-header-payload=h.p; edx-jwt-cookie-signature=s",
        )]);
        assert_eq!(
            presented(&config(), &both).ok(),
            Some(Presented::Token("h.p.s".into(), AuthSource::Cookie))
        );
        let half = headers(&[("cookie", "edx-jwt-cookie-header-payload=h.p")]);
        assert_eq!(
            presented(&config(), &half).ok(),
            Some(Presented::BrokenCookie)
        );
        let none = headers(&[("cookie", "csrftoken=x")]);
        assert_eq!(presented(&config(), &none).ok(), Some(Presented::Nothing));
        let header_wins = headers(&[
            (
                "cookie",
                "edx-jwt-cookie-header-payload=h.p; edx-jwt-cookie-signature=s",
            ),
            ("authorization", "JWT x.y.z"),
        ]);
        assert_eq!(
            presented(&config(), &header_wins).ok(),
            Some(Presented::Token("x.y.z".into(), AuthSource::Header))
        );
    }
}
