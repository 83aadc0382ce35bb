//! The change log: one row per change of any record, written in the transaction of the change.
//!
//! `before` and `after` hold the record as JSON text (the same text on both engines). The id
//! columns name what the change concerns, and `public` whether an anonymous caller could see
//! the record before or after it: visibility of a change is computed in SQL from these, like
//! every other read.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// The caller's subject, or the CLI verb (`backfill`, `seed`, `backfill (ada)`).
    pub actor: Option<String>,
    /// `CREATED`, `UPDATED`, `DEACTIVATED`, `REACTIVATED` or `REMOVED`.
    pub kind: String,
    /// `ORGANIZATION`, `COURSE_LINK`, `PARTNER`, `SITE`, `PARTNER_ORGANIZATION`,
    /// `SITE_ORGANIZATION` or `GRANT`.
    pub entity: String,
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub public: bool,
    pub organization_id: Option<i64>,
    pub partner_id: Option<i64>,
    /// A second partner whose administrators see the change (a site's partner before a move).
    pub other_partner_id: Option<i64>,
    pub site_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
