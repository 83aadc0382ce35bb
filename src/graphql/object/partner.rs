use async_graphql::parser::types::SelectionSet;
use async_graphql::{Context, ID, Object, Result, Value};
use chrono::{DateTime, Utc};
use entity::partner;

use super::{Organization, Site, children};
use crate::domain::page::SortKind;
use crate::graphql::connection::{ChangeConnection, OrganizationConnection, SiteConnection};
use crate::graphql::context::ContextExt;
use crate::graphql::plain::{self, Plain};

/// A business partner across sites and back-office systems, identified by its short code.
#[derive(Clone, Debug)]
pub struct Partner(pub partner::Model);

/// A business partner (ecommerce and the catalog), such as edx: a collection of organizations and sites.
#[Object]
impl Partner {
    /// An opaque identifier of this partner in this service.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unique short code, such as edx (compared case-insensitively).
    async fn short_code(&self) -> &str {
        &self.0.short_code
    }

    /// The display name, such as edX.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// False once deactivated: inactive partners show only to those who may see them.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// The LMS this partner runs on, if set.
    async fn lms_url(&self) -> Option<&str> {
        self.0.lms_url.as_deref()
    }

    /// The Studio this partner authors in, if set.
    async fn studio_url(&self) -> Option<&str> {
        self.0.studio_url.as_deref()
    }

    /// The marketing site, if set.
    async fn marketing_site_url(&self) -> Option<&str> {
        self.0.marketing_site_url.as_deref()
    }

    /// When the record was created.
    async fn created(&self) -> DateTime<Utc> {
        self.0.created
    }

    /// When the record last changed.
    async fn modified(&self) -> DateTime<Utc> {
        self.0.modified
    }

    /// The sites configured for this partner.
    async fn sites(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
    ) -> Result<SiteConnection> {
        let loader = &ctx.request().loaders.partner_sites;
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

    /// The member organizations; edges carry the membership's `since`.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
        #[graphql(desc = "Include the inactive records the caller may see (false when absent).")]
        include_inactive: Option<bool>,
    ) -> Result<OrganizationConnection> {
        let loader = &ctx.request().loaders.partner_organizations;
        let inactive = include_inactive.unwrap_or(false);
        let page = children(
            ctx,
            loader,
            self.0.id,
            (first, after),
            SortKind::Text,
            inactive,
        )
        .await?;
        Ok(OrganizationConnection::from_page(page, Organization))
    }

    /// Every change of this partner the caller may see, oldest first: the partner itself, its sites, its members and its grants.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
    ) -> Result<ChangeConnection> {
        let loader = &ctx.request().loaders.partner_history;
        Ok(super::history(ctx, loader, self.0.id, (first, after)).await?)
    }
}

/// The fields above that read only the row, for pages built by `flat`.
impl Plain for Partner {
    fn plain(&self, name: &str, _: &SelectionSet) -> Option<Value> {
        let p = &self.0;
        Some(match name {
            "id" => Value::String(p.id.to_string()),
            "shortCode" => Value::String(p.short_code.clone()),
            "name" => Value::String(p.name.clone()),
            "active" => Value::Boolean(p.active),
            "lmsUrl" => Value::from(p.lms_url.clone()),
            "studioUrl" => Value::from(p.studio_url.clone()),
            "marketingSiteUrl" => Value::from(p.marketing_site_url.clone()),
            "created" => plain::scalar(&p.created),
            "modified" => plain::scalar(&p.modified),
            _ => return None,
        })
    }
}
