//! What browsers need (docs/openedx.md): CORS for the origins in
//! `TENANCY_CORS_ALLOWED_ORIGINS` (tower-http's layer: credentials allowed, every other origin
//! gets no CORS headers) and the CSRF token endpoint frontend-platform calls before a write.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower_http::cors::{AllowCredentials, AllowOrigin, CorsLayer};

use crate::auth::csrf;
use crate::config::Config;

/// The headers frontend-platform and Apollo clients send.
const ALLOW_HEADERS: [&str; 7] = [
    "authorization",
    "content-type",
    "use-jwt-cookie",
    "x-csrftoken",
    "x-requested-with",
    "apollographql-client-name",
    "apollographql-client-version",
];

/// CORS for the configured origins; none when the list is empty.
pub fn cors(config: &Config) -> Option<CorsLayer> {
    if config.cors_allowed_origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = config
        .cors_allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    // Credentials only with an allowed origin: any other origin gets no CORS header at all.
    let allowed = origins.clone();
    let credentials = AllowCredentials::predicate(move |origin, _| allowed.contains(origin));
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(credentials)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers(ALLOW_HEADERS.map(HeaderName::from_static))
            // A day, as django-cors-headers.
            .max_age(Duration::from_secs(86400)),
    )
}

/// `GET /csrf/api/v1/token`: `{"csrfToken": ...}`, also set as the `csrftoken` cookie (the
/// caller's own cookie is kept when it has a usable one).
pub async fn csrf_token(headers: HeaderMap) -> Response {
    let existing =
        crate::auth::sources::cookie(&headers, csrf::COOKIE).filter(|t| csrf::well_formed(t));
    let token = match existing {
        Some(token) => token,
        None => match csrf::new_token() {
            Ok(token) => token,
            Err(err) => {
                let body = json!({ "errors": [{ "message": err.message() }] });
                return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
            }
        },
    };
    let cookie = format!(
        "{}={token}; Path=/; SameSite=Lax; Max-Age=31449600",
        csrf::COOKIE
    );
    let mut response = Json(json!({ "csrfToken": token })).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
