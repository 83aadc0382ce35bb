use async_graphql::parser::types::SelectionSet;
use async_graphql::{Context, ID, Object, Result, Value};
use chrono::{DateTime, Utc};
use entity::organization;

use super::{Course, Partner, Site, children};
use crate::domain::page::SortKind;
use crate::graphql::connection::{
    ChangeConnection, CourseConnection, PartnerConnection, SiteConnection,
};
use crate::graphql::context::ContextExt;
use crate::graphql::plain::{self, Plain};

/// An institution that owns courses (edx-organizations' Organization).
#[derive(Clone, Debug)]
pub struct Organization(pub organization::Model);

/// An institution that owns courses (edx-organizations' Organization), such as MITx.
#[Object]
impl Organization {
    /// An opaque identifier of this organization in this service.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Unique, compared case-insensitively; the first spelling stored is kept.
    async fn short_name(&self) -> &str {
        &self.0.short_name
    }

    /// The display name, such as Massachusetts Institute of Technology.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A longer description, if any.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The URL of its logo, if any.
    async fn logo_url(&self) -> Option<&str> {
        self.0.logo_url.as_deref()
    }

    /// False once deactivated: inactive organizations show only to those who may see them.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// When the record was created.
    async fn created(&self) -> DateTime<Utc> {
        self.0.created
    }

    /// When the record last changed.
    async fn modified(&self) -> DateTime<Utc> {
        self.0.modified
    }

    /// The partners this organization belongs to; edges carry the membership's `since`.
    async fn partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
    ) -> Result<PartnerConnection> {
        let loader = &ctx.request().loaders.organization_partners;
        let page = children(
            ctx,
            loader,
            self.0.id,
            (first, after),
            SortKind::Text,
            false,
        )
        .await?;
        Ok(PartnerConnection::from_page(page, Partner))
    }

    /// The sites that present this organization; edges carry the membership's `since`.
    async fn sites(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
    ) -> Result<SiteConnection> {
        let loader = &ctx.request().loaders.organization_sites;
        let page = children(
            ctx,
            loader,
            self.0.id,
            (first, after),
            SortKind::Text,
            false,
        )
        .await?;
        Ok(SiteConnection::from_page(page, Site))
    }

    /// Linked course runs and libraries, in link order; edges carry when the link was made.
    async fn courses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
        #[graphql(desc = "Include the inactive records the caller may see (false when absent).")]
        include_inactive: Option<bool>,
    ) -> Result<CourseConnection> {
        let loader = &ctx.request().loaders.organization_courses;
        let inactive = include_inactive.unwrap_or(false);
        let page = children(
            ctx,
            loader,
            self.0.id,
            (first, after),
            SortKind::Int,
            inactive,
        )
        .await?;
        Ok(CourseConnection::from_page(page, Course::from_link))
    }

    /// Every change of this organization the caller may see, oldest first: the organization itself, its course links, memberships and grants.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
    ) -> Result<ChangeConnection> {
        let loader = &ctx.request().loaders.organization_history;
        Ok(super::history(ctx, loader, self.0.id, (first, after)).await?)
    }
}

/// The fields above that read only the row, for pages built by `flat` (same values, same order
/// of concerns: `tests/api/plain.rs` compares both ways).
impl Plain for Organization {
    fn plain(&self, name: &str, _: &SelectionSet) -> Option<Value> {
        let o = &self.0;
        Some(match name {
            "id" => Value::String(o.id.to_string()),
            "shortName" => Value::String(o.short_name.clone()),
            "name" => Value::String(o.name.clone()),
            "description" => Value::from(o.description.clone()),
            "logoUrl" => Value::from(o.logo_url.clone()),
            "active" => Value::Boolean(o.active),
            "created" => plain::scalar(&o.created),
            "modified" => plain::scalar(&o.modified),
            _ => return None,
        })
    }
}
