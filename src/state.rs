//! What every request handler shares: the database, the pipeline and its parts, the change
//! feed, the follower. Made once by `app`, cloned into each handler (its fields are handles).

use std::sync::Arc;

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
    /// The follower of the Open edX databases (`TENANCY_FOLLOW_*`), when on.
    pub follow: Option<Arc<crate::follow::Following>>,
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
            follow: None,
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

    /// The same state with its follower.
    pub fn with_follow(mut self, follow: crate::follow::Following) -> Self {
        self.follow = Some(Arc::new(follow));
        self
    }

    /// The same state with the token verifier built from the configuration.
    pub fn with_verifier(mut self, verifier: crate::auth::Verifier) -> Self {
        self.verifier = Arc::new(verifier);
        self.rebuilt()
    }
}

#[cfg(test)]
impl AppState {
    /// A state for the HTTP layer's unit tests: the schema built here, with an idle change feed.
    pub fn for_tests(db: DatabaseConnection, config: Arc<Config>, metrics: Metrics) -> Self {
        let feed = Arc::new(crate::live::ChangeFeed::idle());
        let schema = crate::graphql::build_schema(db.clone(), config.clone(), feed);
        AppState::new(db, schema, metrics, config)
    }
}
