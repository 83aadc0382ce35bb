//! The HTTP surface: GraphQL (POST and GET), GraphiQL and the admin console for browsers, health, readiness, metrics.
//!
//! `graphql` speaks GraphQL over HTTP, `ops` answers operators, and `layers` wraps every route
//! in the protections and observability shared by all of them.

mod admin;
mod browser;
mod fairness;
mod graphiql;
mod graphql;
mod hints;

pub use graphql::ResponseCache;
pub use hints::{PageHints, set as set_page_hints};
mod layers;
mod ops;
mod rest;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::graphql::AppSchema;
use crate::graphql::documents::Documents;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where queries read (`TENANCY_DATABASE_REPLICA_URLS`); the primary when none is set.
    pub replicas: Arc<crate::replicas::Replicas>,
    pub schema: AppSchema,
    pub metrics: Metrics,
    pub config: Arc<Config>,
    /// Execution slots for queries (`Limits::concurrent_queries`).
    pub query_slots: Arc<tokio::sync::Semaphore>,
    pub documents: Arc<Documents>,
    /// Open subscription connections per client (WebSocket and SSE).
    pub live_clients: Arc<graphql::LiveClients>,
    /// The token keys and rules, read from the configuration at start-up.
    pub verifier: Arc<crate::auth::Verifier>,
    /// Answers to repeated queries, and the generation that commits move.
    pub responses: graphql::ResponseCache,
    /// The change feed subscriptions wait on (its receivers are the open subscriptions).
    pub feed: Option<Arc<crate::live::ChangeFeed>>,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        schema: AppSchema,
        metrics: Metrics,
        config: Arc<Config>,
    ) -> Self {
        let slots = config.limits.query_slots(&config.database_url);
        AppState {
            replicas: crate::replicas::Replicas::none(db.clone()),
            db,
            schema,
            query_slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            documents: Arc::default(),
            live_clients: Arc::default(),
            verifier: Arc::new(crate::auth::Verifier::refuse_all()),
            responses: graphql::ResponseCache::new(
                &config.response_cache,
                crate::live::Generation::default(),
                &metrics,
            ),
            feed: None,
            metrics,
            config,
        }
    }

    /// The same state whose response cache follows `feed` (other processes' writes).
    pub fn with_feed(mut self, feed: &Arc<crate::live::ChangeFeed>) -> Self {
        self.responses = self.responses.following(feed.generation());
        self.feed = Some(feed.clone());
        self
    }

    /// The same state reading from `replicas`.
    pub fn with_replicas(mut self, replicas: Arc<crate::replicas::Replicas>) -> Self {
        self.replicas = replicas;
        self
    }

    /// The same state with the token verifier built from the configuration.
    pub fn with_verifier(mut self, verifier: crate::auth::Verifier) -> Self {
        self.verifier = Arc::new(verifier);
        self
    }
}

pub fn router(state: AppState) -> Router {
    let mut routes = Router::new()
        // A person who opens the bare address wants GraphiQL.
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/graphql") }),
        )
        .route(
            "/graphql",
            get(graphql::get)
                .post(graphql::post)
                .layer(axum::middleware::from_fn_with_state(
                    fairness::Fairness::new(&state.config),
                    fairness::limit_per_client,
                )),
        )
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
    let routes = layers::wrap(routes, &state).layer(axum::middleware::from_fn_with_state(
        state.clone(),
        browser::cors,
    ));
    routes.with_state(state)
}

/// `/metrics` alone, for `--metrics-listen`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}
