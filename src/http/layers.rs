//! What wraps every route, from the outside in:
//!
//! 1. a request id (`x-request-id`): the client's when it sent a usable one, a new UUID
//!    otherwise; it is echoed in the response and recorded in the request's tracing span, so a
//!    client's report can be matched to the logs;
//! 2. the tracing span and its request/response events;
//! 3. the request counter (`tenancy_http_requests_total`), outside the next two so that panics
//!    and refused bodies are counted with the status they were answered;
//! 4. a panic guard that answers 500 with a plain JSON error and logs the panic, so a bug never
//!    drops the connection or shows its message to the client;
//! 5. the body size limit (413), enforced while the body streams in, before anything parses it.

use std::any::Any;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id kept; longer or odd ones are replaced.
const MAX_REQUEST_ID: usize = 128;

pub fn wrap(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    routes
        // axum's own limit would answer first, with its own default: the layer below rules.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(state.config.limits.body_bytes))
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(span_for))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::map_request(drop_unusable_request_id))
}

/// Removes a client request id that is too long or holds anything but `[A-Za-z0-9._:-]`, so
/// that a new one is made: ids end up in logs, where they must stay short and plain.
async fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = req.headers().get(&REQUEST_ID).is_none_or(|id| {
        let id = id.as_bytes();
        !id.is_empty()
            && id.len() <= MAX_REQUEST_ID
            && id
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
    });
    if !usable {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

fn span_for(req: &Request<Body>) -> tracing::Span {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("");
    // The path only: a GET's query string holds the whole GraphQL document and its variables.
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = req.uri().path(),
        request_id,
    )
}

async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    state
        .metrics
        .http_requests
        .with_label_values(&[route.as_str(), status.as_str()])
        .inc();
    tracing::debug!(
        route,
        status,
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    response
}

/// The answer to a panic: logged in full, answered with nothing of it.
fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "a request handler panicked");
    let body = AppError::internal(anyhow::anyhow!("a request handler panicked"))
        .errors_body()
        .to_string();
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// The layers around a route that panics, as `wrap` applies them to the real routes.
    fn panicking_app() -> Router {
        async fn boom() -> &'static str {
            let path = "src/secret.rs:12";
            panic!("SELECT * FROM organization failed at {path}")
        }
        let routes = Router::new().route("/boom", get(boom));
        let metrics = crate::metrics::Metrics::new();
        let state = test_state(metrics);
        wrap(routes, &state).with_state(state)
    }

    fn test_state(metrics: crate::metrics::Metrics) -> AppState {
        let config = std::sync::Arc::new(crate::config::Config::for_database("sqlite::memory:"));
        let db = sea_orm::DatabaseConnection::default();
        AppState::for_tests(db, config, metrics)
    }

    #[tokio::test]
    async fn a_panic_is_a_500_with_a_plain_json_error() -> TestResult {
        let req = Request::get("/boom").body(Body::empty())?;
        let res = panicking_app().oneshot(req).await?;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().contains_key(&REQUEST_ID), "the id is echoed");
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        let body: serde_json::Value = serde_json::from_slice(&body)?;
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
        let text = body.to_string();
        for telltale in ["SELECT", "secret", ".rs:", "panicked", "failed"] {
            assert!(!text.contains(telltale), "{telltale} in {text}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn request_ids_are_echoed_or_made() -> TestResult {
        for (sent, kept) in [
            (Some("abc-123.x:y"), true),
            (Some("has spaces"), false),
            (Some(&*"x".repeat(MAX_REQUEST_ID + 1)), false),
            (None, false),
        ] {
            let mut req = Request::get("/missing");
            if let Some(id) = sent {
                req = req.header(&REQUEST_ID, id);
            }
            let res = panicking_app().oneshot(req.body(Body::empty())?).await?;
            let echoed = res
                .headers()
                .get(&REQUEST_ID)
                .ok_or("no request id")?
                .to_str()?;
            assert!(!echoed.is_empty());
            assert_eq!(Some(echoed) == sent, kept, "{sent:?} -> {echoed}");
        }
        Ok(())
    }
}
