//! Endpoints for operators: liveness, readiness and Prometheus metrics.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// How long `/readyz` waits for a query execution slot before it calls the service unready.
pub const READY_SLOT_WAIT: Duration = Duration::from_secs(1);

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers, has every migration of this binary, and a query could
/// run: an execution slot (`--max-concurrent-queries`) is free now or within `READY_SLOT_WAIT`.
/// A service whose slots are all held by slow queries answers 503 `query slots exhausted`, so
/// that a load balancer sends new clients elsewhere until they free up. A database behind the
/// binary (`serve --no-migrate` before the `migrate` job ran) answers 503 and names what is
/// pending; the service becomes ready once `migrate` has run, and the answer is remembered.
///
/// Replicas and the follower are reported, not required: a follower that cannot read its
/// sources makes the answer `degraded` but still 200 (queries answer; probes keep routing).
/// `Accept: application/json` gets the same as JSON.
pub async fn readyz(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let unready = |why: String| (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
    let slot = tokio::time::timeout(
        READY_SLOT_WAIT,
        state.pipeline.query_slots().clone().acquire_owned(),
    );
    match slot.await {
        Ok(Ok(slot)) => drop(slot),
        _ => {
            return unready(
                "query slots exhausted: every execution slot stayed busy for 1 s".to_owned(),
            );
        }
    }
    if !crate::db::ping(&state.db).await {
        return unready("database unavailable".to_owned());
    }
    if let Err(behind) = state.schema_state.check(&state.db).await {
        return unready(format!(
            "database schema behind this binary: {} of {} migrations pending (first: {}); \
             hint: run `tenancy-gateway migrate`, this service becomes ready once it has run",
            behind.pending.len(),
            behind.known,
            behind.pending.first().map_or("", String::as_str)
        ));
    }
    // Replicas are reported, not required: queries fall back to the primary.
    let mut body = "ready".to_owned();
    let mut replicas = serde_json::Map::new();
    for (name, health, usable) in state.replicas.report() {
        let lag = health
            .lag
            .map_or("unknown".to_owned(), |l| format!("{l:.3}s"));
        let state = match (health.up, health.schema, usable) {
            (false, _, _) => "down".to_owned(),
            (true, false, _) => "behind the schema (not read from)".to_owned(),
            (true, true, true) => format!("ok, lag {lag}"),
            (true, true, false) => format!("lagging, lag {lag} (not read from)"),
        };
        body.push_str(&format!("\n{name}: {state}"));
        replicas.insert(name.to_string(), state.into());
    }
    let follower = state.follow.as_ref().map(|f| &f.status);
    if let Some(follower) = follower {
        body.push_str(&format!("\n{}", follower.line()));
    }
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if !wants_json {
        return body.into_response();
    }
    let degraded = follower.is_some_and(|f| f.degraded());
    axum::Json(serde_json::json!({
        "status": if degraded { "degraded" } else { "ready" },
        "database": "ok",
        "replicas": replicas,
        "follower": follower.map(|f| f.json()),
    }))
    .into_response()
}

/// Prometheus metrics; with `TENANCY_METRICS_TOKEN`, only for `Authorization: Bearer <token>`.
pub async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), token.0.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need the metrics token",
            )
                .into_response();
        }
    }
    // The pool keeps no history, so its gauges are read at each scrape.
    if let Some(usage) = crate::db::pool_usage(&state.db) {
        state.metrics.set_pool_usage(usage);
    }
    state.responses.report();
    if let Some(feed) = &state.feed {
        let open = i64::try_from(feed.subscriptions()).unwrap_or(i64::MAX);
        state.metrics.live_subscriptions.set(open);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[tokio::test]
    async fn readiness_fails_while_every_query_slot_stays_busy() -> TestResult {
        let mut config = crate::config::Config::for_database("sqlite::memory:");
        config.limits.concurrent_queries = 1;
        let config = std::sync::Arc::new(config);
        let db = sea_orm::Database::connect("sqlite::memory:").await?;
        crate::db::migrate(&db).await?;
        let state = AppState::for_tests(db, config, crate::metrics::Metrics::new());
        let app = super::super::router(state.clone());
        let ready = |app: axum::Router| async move {
            let res = app
                .oneshot(axum::http::Request::get("/readyz").body(Body::empty())?)
                .await?;
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), 1024).await?;
            Ok::<_, Box<dyn std::error::Error>>((status, String::from_utf8(body.to_vec())?))
        };
        assert_eq!(ready(app.clone()).await?.0, StatusCode::OK);
        let held = state.pipeline.query_slots().clone().acquire_owned().await?;
        let (status, body) = ready(app.clone()).await?;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("query slots exhausted"), "{body}");
        drop(held);
        assert_eq!(ready(app).await?.0, StatusCode::OK);
        Ok(())
    }
}
