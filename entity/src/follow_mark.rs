//! How far following an Open edX database has come (docs/adopting.md): one row per source.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_mark")]
pub struct Model {
    /// `lms`, `discovery` or `ecommerce`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub source: String,
    /// The database followed (its URL without a password): marks of another one mean nothing.
    pub origin: String,
    /// The high-water marks, as JSON text (`domain::follow::Marks`).
    pub marks: String,
    pub updated: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
