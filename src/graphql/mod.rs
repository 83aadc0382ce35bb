//! The GraphQL API: schema, output types, queries, loaders. Independent of the web framework.

pub mod batch;
pub mod connection;
pub mod context;
pub mod limits;
pub mod loader;
pub mod mutation;
pub mod object;
pub mod order;
pub mod plain;
pub mod query;
pub mod schema;
pub mod subscription;

pub use schema::{AppSchema, build_schema, sdl};
