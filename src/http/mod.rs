//! The HTTP surface: GraphQL (POST, GET, WebSocket and SSE, adapters of `pipeline`), GraphiQL and the admin console for browsers, the edx-organizations REST API, health, readiness, metrics.
//!
//! `graphql` speaks GraphQL over HTTP, `ops` answers operators, and `layers` wraps every route
//! in the protections and observability shared by all of them.

mod admin;
mod browser;
mod graphiql;
mod graphql;
mod hints;

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
use crate::metrics::Metrics;
use crate::pipeline::{Parts, Pipeline, ResponseCache};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where queries read (`TENANCY_DATABASE_REPLICA_URLS`); the primary when none is set.
    pub replicas: Arc<crate::replicas::Replicas>,
    pub metrics: Metrics,
    pub config: Arc<Config>,
    /// The token keys and rules, read from the configuration at start-up.
    pub verifier: Arc<crate::auth::Verifier>,
    /// Answers to repeated queries, and the generation that commits move.
    pub responses: ResponseCache,
    /// The change feed subscriptions wait on (its receivers are the open subscriptions).
    pub feed: Option<Arc<crate::live::ChangeFeed>>,
    /// Whether the database has every migration (`/readyz`), remembered once it has.
    pub schema_state: crate::db::schema::SchemaState,
    /// The one door of every GraphQL operation, built from the fields above.
    pub pipeline: Arc<Pipeline>,
    schema: AppSchema,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        schema: AppSchema,
        metrics: Metrics,
        config: Arc<Config>,
    ) -> Self {
        let responses = ResponseCache::new(
            &config.response_cache,
            crate::live::Generation::default(),
            &metrics,
        );
        let replicas = crate::replicas::Replicas::none(db.clone());
        let verifier = Arc::new(crate::auth::Verifier::refuse_all());
        let pipeline = Arc::new(Pipeline::new(Parts {
            schema: schema.clone(),
            config: config.clone(),
            verifier: verifier.clone(),
            replicas: replicas.clone(),
            responses: responses.clone(),
            metrics: metrics.clone(),
        }));
        AppState {
            replicas,
            db,
            schema,
            verifier,
            responses,
            feed: None,
            schema_state: crate::db::schema::SchemaState::default(),
            pipeline,
            metrics,
            config,
        }
    }

    /// The pipeline again, after a part changed.
    fn rebuilt(mut self) -> Self {
        self.pipeline = Arc::new(Pipeline::new(Parts {
            schema: self.schema.clone(),
            config: self.config.clone(),
            verifier: self.verifier.clone(),
            replicas: self.replicas.clone(),
            responses: self.responses.clone(),
            metrics: self.metrics.clone(),
        }));
        self
    }

    /// The same state whose response cache follows `feed` (other processes' writes).
    pub fn with_feed(mut self, feed: &Arc<crate::live::ChangeFeed>) -> Self {
        self.responses = self.responses.following(feed.generation());
        self.feed = Some(feed.clone());
        self.rebuilt()
    }

    /// The same state reading from `replicas`.
    pub fn with_replicas(mut self, replicas: Arc<crate::replicas::Replicas>) -> Self {
        self.replicas = replicas;
        self.rebuilt()
    }

    /// The same state with the token verifier built from the configuration.
    pub fn with_verifier(mut self, verifier: crate::auth::Verifier) -> Self {
        self.verifier = Arc::new(verifier);
        self.rebuilt()
    }
}

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
