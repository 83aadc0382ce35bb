use async_graphql::{Context, Object, Result};

use super::{current_site, partner_filter, top_level};
use crate::domain::page::{PageArgs, SortKind};
use crate::domain::{self as dom};
use crate::graphql::connection::SiteConnection;
use crate::graphql::context::ContextExt;
use crate::graphql::object::Site;
use crate::repo::site::list;

#[derive(Default)]
pub struct SiteQuery;

#[Object]
impl SiteQuery {
    /// A site by domain (case-insensitive; retried without the port).
    async fn site(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The domain, such as edx.org (any case; a port is ignored).")]
        domain: String,
    ) -> Result<Option<Site>> {
        let domain = dom::domain("domain", &domain)?;
        Ok(super::lookup::site(ctx, &domain).await?)
    }

    /// Sites by domain. Without `partner`, a request to a site configured for a partner lists that partner's sites.
    async fn sites(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
        #[graphql(desc = "Only the sites configured for this partner (its short code).")]
        partner: Option<String>,
        #[graphql(desc = "Include the inactive records the caller may see (false when absent).")]
        include_inactive: Option<bool>,
    ) -> Result<SiteConnection> {
        let args = PageArgs::parse(first, after.as_deref(), SortKind::Text)?;
        let partner_id = partner_filter(ctx, partner.as_deref()).await?;
        let page = top_level(
            ctx,
            list(
                &ctx.request().scope,
                partner_id,
                include_inactive.unwrap_or(false),
            ),
            &args,
        )
        .await?;
        Ok(SiteConnection::from_page(page, Site))
    }

    /// The site this request was made to, from its `Host` header.
    async fn current_site(&self, ctx: &Context<'_>) -> Result<Option<Site>> {
        Ok(current_site(ctx).await?.map(Site))
    }
}
