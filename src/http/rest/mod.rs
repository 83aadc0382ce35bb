//! The edx-organizations REST API (docs/adopting.md) at `/api/organizations/v0/organizations/`, so
//! that its clients (course-discovery pushes every organization save there) can point here.
//!
//! As DRF does: authentication first (a bad header token is 401), then "signed in" (401), then
//! "administrator for PUT" (403), and only then the method (405).

mod body;
mod reply;

use std::net::IpAddr;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Extensions, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::Value;

use super::graphql::peer;
use crate::access::{self, Caller};
use crate::error::AppError;
use crate::pipeline::forwarded;
use crate::service::{self, edx_organizations as api};
use crate::state::AppState;

const BASE: &str = "/api/organizations/v0/organizations/";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(BASE, any(collection))
        .route(&format!("{BASE}{{short_name}}/"), any(member))
}

/// The signed-in caller of a request (anonymous callers are refused first, as DRF does).
fn caller(state: &AppState, peer: Option<IpAddr>, headers: &HeaderMap) -> Result<Caller, AppError> {
    let host = host(state, peer, headers);
    let caller = Caller::of_request(&state.verifier, &state.config, headers, host.as_deref())?;
    access::decide::require_signed_in(&caller.scope)?;
    Ok(caller)
}

async fn collection(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    extensions: Extensions,
    RawQuery(query): RawQuery,
) -> Response {
    let caller = match caller(&state, peer(&extensions), &headers) {
        Ok(caller) => caller,
        Err(err) => return reply::error(err),
    };
    let scope = &caller.scope;
    if method == Method::PUT && access::decide::require_admin(scope, "PUT").is_err() {
        return reply::not_permitted();
    }
    if method != Method::GET && method != Method::HEAD {
        return reply::method_not_allowed(&method);
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    // Django's `QueryDict.get` answers the last value of a repeated parameter.
    let last = |name: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let page = api::list(&state.db, scope, last("page"), last("page_size")).await;
    match page {
        Ok(page) => {
            let base = link_base(&state, peer(&extensions), &headers);
            reply::page(&page, &base, &query)
        }
        Err(err) => reply::error(err),
    }
}

async fn member(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    extensions: Extensions,
    Path(short_name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let caller = match caller(&state, peer(&extensions), &headers) {
        Ok(caller) => caller,
        Err(err) => return reply::error(err),
    };
    let answer = match method {
        Method::GET | Method::HEAD => api::get(&state.db, &caller.scope, &short_name).await,
        Method::PUT => return put(&state, &caller, &short_name, &body).await,
        // edx-organizations answers PATCH itself, with an empty body.
        Method::PATCH => return StatusCode::METHOD_NOT_ALLOWED.into_response(),
        other => return reply::method_not_allowed(&other),
    };
    match answer {
        Ok(organization) => reply::object(&organization),
        Err(err) => reply::error(err),
    }
}

async fn put(state: &AppState, caller: &Caller, path: &str, body: &[u8]) -> Response {
    if access::decide::require_admin(&caller.scope, "PUT").is_err() {
        return reply::not_permitted();
    }
    // Cookies travel with any request to this host: a write they authenticate needs the CSRF
    // token, as on GraphQL.
    if let Err(err) = caller.may_write() {
        return reply::error(err);
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => {
            return reply::detail(
                StatusCode::BAD_REQUEST,
                &format!("JSON parse error - {err}"),
            );
        }
    };
    let input = match body::parse(&value) {
        Ok(input) => input,
        Err(refusal) => return (StatusCode::BAD_REQUEST, axum::Json(refusal)).into_response(),
    };
    let actor = access::actor(
        &caller.scope,
        &state.db,
        state.config.organizations_autocreate,
        Some(&state.metrics.write_retries),
        Some(state.responses.generation()),
    );
    match service::edx_organizations::put(actor, path, input).await {
        Ok(organization) => reply::object(&organization),
        Err(err) => reply::error(err),
    }
}

/// The host the client reached (forwarded by a trusted proxy, else `Host`).
fn host(state: &AppState, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<String> {
    forwarded::host(&state.config.trusted_proxies, peer, headers)
}

/// The absolute URL of the list as the client reached it (DRF's `build_absolute_uri`):
/// under `TENANCY_PUBLIC_URL` when set, else at the scheme and host trusted proxies forward, else
/// at the request's `Host` over http.
fn link_base(state: &AppState, peer: Option<IpAddr>, headers: &HeaderMap) -> String {
    if let Some(public) = &state.config.public_url {
        return public.join(BASE);
    }
    let proxies = &state.config.trusted_proxies;
    let scheme = forwarded::scheme(proxies, peer, headers).unwrap_or(forwarded::Scheme::Http);
    let host = host(state, peer, headers).unwrap_or_else(|| "localhost".to_owned());
    format!("{}://{host}{BASE}", scheme.as_str())
}
