//! The HTTP surface: GraphQL (POST, GET, WebSocket and SSE, adapters of `pipeline`), GraphiQL and the admin console for browsers, the edx-organizations REST API, health, readiness, metrics.
//!
//! `graphql` speaks GraphQL over HTTP, `ops` answers operators, and `layers` wraps every route
//! in the protections and observability shared by all of them.

mod admin;
mod browser;
mod graphiql;
mod graphql;
mod hints;
mod layers;
mod ops;
mod rest;

pub use hints::{PageHints, set as set_page_hints};

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let mut routes = Router::new()
        // A person who opens the bare address wants GraphiQL.
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/graphql") }),
        )
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/csrf/api/v1/token", get(browser::csrf_token))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .merge(rest::routes())
        .merge(graphiql::routes())
        .merge(admin::routes());
    // With `--metrics-listen`, metrics are served on that address only (`metrics_router`).
    if state.config.metrics_listen.is_none() {
        routes = routes.route("/metrics", get(ops::metrics));
    }
    let routes = layers::wrap(routes, &state);
    let routes = match browser::cors(&state.config) {
        Some(cors) => routes.layer(cors),
        None => routes,
    };
    routes.with_state(state)
}

/// `/metrics` alone, for `--metrics-listen`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}
