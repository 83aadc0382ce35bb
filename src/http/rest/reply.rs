//! Answers shaped as DRF writes them: organization objects, the LMS's numbered pages and
//! `{"detail": ...}` / `{"field": [...]}` errors.

use axum::Json;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use entity::organization;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::service::edx_organizations::NumberedPage;

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn json_of(o: &organization::Model) -> Value {
    json!({
        "id": o.id,
        "created": time(&o.created),
        "modified": time(&o.modified),
        "name": o.name,
        "short_name": o.short_name,
        "description": o.description,
        "logo": o.logo_url,
        "active": o.active,
    })
}

pub fn object(o: &organization::Model) -> Response {
    Json(json_of(o)).into_response()
}

/// DRF's links: the request's query parameters sorted by name (values in their order), with
/// `page` set, or dropped for the first page (`replace_query_param` / `remove_query_param`).
fn link(base: &str, number: u64, query: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = query
        .iter()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if number > 1 {
        pairs.push(("page", number.to_string()));
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    if pairs.is_empty() {
        return base.to_owned();
    }
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        encoded.append_pair(k, &v);
    }
    format!("{base}?{}", encoded.finish())
}

pub fn page(page: &NumberedPage, base: &str, query: &[(String, String)]) -> Response {
    let next = (page.number < page.pages).then(|| link(base, page.number + 1, query));
    let previous = (page.number > 1).then(|| link(base, page.number - 1, query));
    Json(json!({
        "next": next,
        "previous": previous,
        "count": page.count,
        "num_pages": page.pages,
        "current_page": page.number,
        "start": (page.number - 1) * page.size,
        "results": page.results.iter().map(json_of).collect::<Vec<_>>(),
    }))
    .into_response()
}

pub fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "detail": message }))).into_response()
}

pub fn not_permitted() -> Response {
    detail(
        StatusCode::FORBIDDEN,
        "You do not have permission to perform this action.",
    )
}

pub fn method_not_allowed(method: &Method) -> Response {
    detail(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method \"{method}\" not allowed."),
    )
}

pub fn error(err: AppError) -> Response {
    match err {
        AppError::BadUserInput { field, message } => {
            (StatusCode::BAD_REQUEST, Json(json!({ field: [message] }))).into_response()
        }
        AppError::Unauthenticated { message } => {
            let mut response = detail(StatusCode::UNAUTHORIZED, &message);
            // DRF names the first authentication class's scheme (edx's JwtAuthentication).
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("JWT realm=\"api\""),
            );
            response
        }
        AppError::Forbidden { message } => detail(StatusCode::FORBIDDEN, &message),
        AppError::NotFound { message }
        | AppError::OrganizationNotFound {
            short_name: message,
        } => detail(StatusCode::NOT_FOUND, &message),
        // Conflicting concurrent writes, retried already: the client may try again.
        AppError::WriteConflict { message } => detail(StatusCode::SERVICE_UNAVAILABLE, &message),
        other => {
            let message = other.message();
            tracing::warn!(code = other.code(), message, "REST request failed");
            detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "A server error occurred.",
            )
        }
    }
}
