//! Per-request data the resolvers read: the caller's scope, the request's host and the loaders.

use std::sync::Arc;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::loader::Loaders;
use crate::access::Scope;
use crate::config::Config;

pub struct RequestCtx {
    pub scope: Arc<Scope>,
    /// The `Host` header, for `currentSite` and the default partner filter.
    pub host: Option<String>,
    pub loaders: Loaders,
    /// The database this request reads from: a read replica for a query when one qualifies,
    /// else the primary (always for mutations and subscriptions).
    pub db: DatabaseConnection,
    /// `tenancy_write_retries_total`, for the mutations' `Actor`.
    pub write_retries: prometheus::IntCounterVec,
    /// Moved by this request's commits (the response cache's read-your-writes).
    pub generation: crate::live::Generation,
}

pub trait ContextExt {
    fn request(&self) -> &RequestCtx;
    fn db(&self) -> &DatabaseConnection;
    fn config(&self) -> &Config;
}

impl ContextExt for Context<'_> {
    fn request(&self) -> &RequestCtx {
        // The HTTP layer adds a RequestCtx to every request before executing it.
        self.data_unchecked::<RequestCtx>()
    }

    fn db(&self) -> &DatabaseConnection {
        &self.request().db
    }

    fn config(&self) -> &Config {
        self.data_unchecked::<Arc<Config>>()
    }
}
