//! What browsers need (DESIGN section 8.4): CORS for the origins in
//! `TENANCY_CORS_ALLOWED_ORIGINS` (credentials allowed, every other origin gets no CORS headers)
//! and the CSRF token endpoint frontend-platform calls before a write.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::auth::csrf;

const ALLOW_METHODS: &str = "GET, POST, OPTIONS";
const ALLOW_HEADERS: &str = "authorization, content-type, use-jwt-cookie, x-csrftoken, \
     x-requested-with, apollographql-client-name, apollographql-client-version";
/// How long a browser may cache a preflight (a day, as django-cors-headers).
const MAX_AGE: &str = "86400";

/// Answers preflights from allowed origins and marks their responses; leaves others alone.
pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origins = &state.config.cors_allowed_origins;
    let allowed = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| origins.iter().any(|a| a.as_bytes() == o.as_bytes()))
        .cloned();
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = match (&allowed, preflight) {
        (Some(_), true) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(MAX_AGE),
            );
            response
        }
        _ => next.run(req).await,
    };
    let headers = response.headers_mut();
    if !origins.is_empty() {
        // The answer depends on the Origin: caches must keep one per origin.
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    response
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
