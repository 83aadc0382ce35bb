use async_graphql::{Context, Object, Result};

use super::{partner_filter, top_level};
use crate::domain::page::{PageArgs, SortKind};
use crate::domain::{self as dom, tenant};
use crate::graphql::connection::OrganizationConnection;
use crate::graphql::context::ContextExt;
use crate::graphql::object::Organization;
use crate::repo::organization::{ListFilter, list};

#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// An organization by short name (case-insensitive).
    async fn organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The short name, such as MITx (any case).")] short_name: String,
        #[graphql(desc = "Include the inactive records the caller may see (false when absent).")]
        include_inactive: Option<bool>,
    ) -> Result<Option<Organization>> {
        let name = dom::short_name("shortName", &short_name)?;
        Ok(super::lookup::organization(ctx, &name, include_inactive.unwrap_or(false)).await?)
    }

    /// Organizations by short name. Without `partner`, a request to a site configured for a partner lists that partner's organizations.
    #[allow(clippy::too_many_arguments)]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
        #[graphql(desc = "Only the members of this partner (its short code, such as edx).")]
        partner: Option<String>,
        #[graphql(
            desc = "Only the organizations this site presents (its domain, such as edx.org)."
        )]
        site: Option<String>,
        #[graphql(desc = "Only short names or names containing this text (any case).")]
        search: Option<String>,
        #[graphql(desc = "Include the inactive records the caller may see (false when absent).")]
        include_inactive: Option<bool>,
    ) -> Result<OrganizationConnection> {
        let args = PageArgs::parse(first, after.as_deref(), SortKind::Text)?;
        let partner_id = partner_filter(ctx, partner.as_deref()).await?;
        let site_id = match site {
            None => None,
            Some(domain) => {
                let domain = dom::domain("site", &domain)?;
                let loader = &ctx.request().loaders.site_by_key;
                let found = loader.load_one(domain.key()).await?.map(|s| s.id);
                Some(tenant::required("site", &domain, found)?)
            }
        };
        let filter = ListFilter {
            search: dom::search("search", search)?,
            partner_id,
            site_id,
            include_inactive: include_inactive.unwrap_or(false),
        };
        let page = top_level(ctx, list(&ctx.request().scope, &filter), &args).await?;
        Ok(OrganizationConnection::from_page(page, Organization))
    }
}
