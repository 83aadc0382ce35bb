use async_graphql::parser::types::SelectionSet;
use async_graphql::{Context, ID, Object, Result, Value};
use chrono::{DateTime, Utc};
use entity::site;

use super::{Organization, Partner, children};
use crate::domain::page::SortKind;
use crate::graphql::connection::{ChangeConnection, OrganizationConnection};
use crate::graphql::context::ContextExt;
use crate::graphql::plain::{self, Plain};

/// A web site (Django Sites), identified by its domain, configured for at most one partner.
#[derive(Clone, Debug)]
pub struct Site(pub site::Model);

/// A web site (Django Sites) such as edx.org, configured for at most one partner, presenting organizations.
#[Object]
impl Site {
    /// An opaque identifier of this site in this service.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unique domain, such as edx.org (compared case-insensitively).
    async fn domain(&self) -> &str {
        &self.0.domain
    }

    /// The display name, such as edX.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// False once deactivated: inactive sites show only to those who may see them.
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

    /// The partner this site is configured for, if any.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let Some(id) = self.0.partner_id else {
            return Ok(None);
        };
        Ok(ctx
            .request()
            .loaders
            .partner_by_id
            .load_one(id)
            .await?
            .map(Partner))
    }

    /// The organizations this site presents; edges carry the membership's `since`.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
    ) -> Result<OrganizationConnection> {
        let loader = &ctx.request().loaders.site_organizations;
        let page = children(
            ctx,
            loader,
            self.0.id,
            (first, after),
            SortKind::Text,
            false,
        )
        .await?;
        Ok(OrganizationConnection::from_page(page, Organization))
    }

    /// Every change of this site the caller may see, oldest first: the site itself and the organizations it presents.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
    ) -> Result<ChangeConnection> {
        let loader = &ctx.request().loaders.site_history;
        Ok(super::history(ctx, loader, self.0.id, (first, after)).await?)
    }
}

/// The fields above that read only the row, for pages built by `flat`.
impl Plain for Site {
    fn plain(&self, name: &str, _: &SelectionSet) -> Option<Value> {
        let s = &self.0;
        Some(match name {
            "id" => Value::String(s.id.to_string()),
            "domain" => Value::String(s.domain.clone()),
            "name" => Value::String(s.name.clone()),
            "active" => Value::Boolean(s.active),
            "created" => plain::scalar(&s.created),
            "modified" => plain::scalar(&s.modified),
            _ => return None,
        })
    }
}
