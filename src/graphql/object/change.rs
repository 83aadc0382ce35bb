use async_graphql::{Enum, ID, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::change_log;
use serde_json::Value;

use crate::domain::change as dom;
use crate::error::AppError;

/// What happened to the record.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::change::ChangeKind")]
pub enum ChangeKind {
    /// The record was created.
    Created,
    /// Some of its fields changed.
    Updated,
    /// Soft-deleted (`active` went false).
    Deactivated,
    /// It became active again.
    Reactivated,
    /// A membership or grant that no longer exists.
    Removed,
}

/// The kind of record a change is about.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::change::ChangeEntity")]
pub enum ChangeEntity {
    /// An organization.
    Organization,
    /// A course linked to an organization.
    CourseLink,
    /// A partner.
    Partner,
    /// A site.
    Site,
    /// An organization's membership of a partner.
    PartnerOrganization,
    /// A site presenting an organization.
    SiteOrganization,
    /// A role granted to a subject.
    Grant,
}

/// One change of the tenancy graph, written in the same transaction as the change itself.
#[derive(Clone, Debug)]
pub struct Change(pub change_log::Model);

fn record(text: Option<&str>) -> Result<Option<Json<Value>>> {
    text.map(|t| {
        serde_json::from_str(t)
            .map(Json)
            .map_err(|e| AppError::internal(e).into())
    })
    .transpose()
}

fn stored<T>(value: Option<T>, what: &str, raw: &str) -> Result<T> {
    value.ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown {what} {raw:?}")).into())
}

/// One change of the tenancy graph, written in the same transaction as the change itself.
#[Object]
impl Change {
    /// Increasing in commit order on one database; also the cursor a consumer resumes from.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// When the change was committed.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who made it: the caller's subject, or the command (`backfill`, `seed (ada)`).
    async fn actor(&self) -> Option<&str> {
        self.0.actor.as_deref()
    }

    /// What happened to the record.
    async fn kind(&self) -> Result<ChangeKind> {
        stored(dom::ChangeKind::parse(&self.0.kind), "kind", &self.0.kind).map(Into::into)
    }

    /// The kind of record changed.
    async fn entity(&self) -> Result<ChangeEntity> {
        stored(
            dom::ChangeEntity::parse(&self.0.entity),
            "entity",
            &self.0.entity,
        )
        .map(Into::into)
    }

    /// The record as users name it: a short name, `courseKey/organization`, a short code, a domain, `partner/organization`, `site/organization`, `subject/role/target`.
    async fn key(&self) -> &str {
        &self.0.key
    }

    /// The record before the change; null when it was created.
    async fn before(&self) -> Result<Option<Json<Value>>> {
        record(self.0.before.as_deref())
    }

    /// The record after the change; null when it was removed.
    async fn after(&self) -> Result<Option<Json<Value>>> {
        record(self.0.after.as_deref())
    }
}

/// History pages always go through async-graphql (their enums and JSON are not worth a second
/// way of writing them).
impl crate::graphql::plain::Plain for Change {
    fn plain(
        &self,
        _: &str,
        _: &async_graphql::parser::types::SelectionSet,
    ) -> Option<async_graphql::Value> {
        None
    }
}
