//! The root types and the schema builder.

use std::sync::Arc;

use async_graphql::extensions::ExtensionFactory;
use async_graphql::{MergedObject, SDLExportOptions, Schema, SchemaBuilder, ValidationMode};
use sea_orm::DatabaseConnection;

use super::mutation::{BackfillMutation, CourseMutation, DirectoryMutation, OrganizationMutation};
use super::query::{
    ChangeQuery, CourseQuery, EntityQuery, OrganizationQuery, PartnerQuery, SiteQuery, ViewerQuery,
};
use super::subscription::SubscriptionRoot;
use crate::config::Config;
use crate::live::ChangeFeed;

/// Reads of the tenancy graph: partners, sites, organizations, course links, the caller and the change log.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    PartnerQuery,
    SiteQuery,
    OrganizationQuery,
    CourseQuery,
    ViewerQuery,
    ChangeQuery,
    EntityQuery,
);

/// Writes to the tenancy graph; each runs in one transaction and is recorded in the change log.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    OrganizationMutation,
    CourseMutation,
    DirectoryMutation,
    BackfillMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .enable_federation()
    // Routers route `subscription { changes }` to this subgraph (over WebSocket or SSE) only
    // when the federation SDL declares the type; async-graphql leaves it out by default.
    .enable_subscription_in_federation()
}

/// The executable schema; per-request data (`RequestCtx`) is added by the pipeline, which also
/// validates each document before it reaches this schema (`pipeline::documents`), so it checks
/// only what its fast mode does (fragment cycles, the recursion depth).
pub fn build_schema(
    db: DatabaseConnection,
    config: Arc<Config>,
    feed: Arc<ChangeFeed>,
) -> AppSchema {
    // No extensions: with any, async-graphql routes every field through them.
    builder()
        .validation_mode(ValidationMode::Fast)
        .data(db)
        .data(config)
        .data(feed)
        .finish()
}

/// A copy of the schema that validates documents and never executes them: `stop` ends every
/// operation before its first resolver.
pub fn validator(stop: impl ExtensionFactory) -> AppSchema {
    builder()
        .validation_mode(ValidationMode::Strict)
        .extension(stop)
        .finish()
}

/// The federation SDL (what `tenancy-gateway schema` prints and `schema.graphql` holds).
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}
