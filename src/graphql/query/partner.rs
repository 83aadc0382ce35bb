use async_graphql::{Context, Object, Result};

use super::top_level;
use crate::domain::page::{PageArgs, SortKind};
use crate::domain::{self as dom};
use crate::graphql::connection::PartnerConnection;
use crate::graphql::context::ContextExt;
use crate::graphql::object::Partner;
use crate::repo::partner::list;

#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// A partner by short code (case-insensitive).
    async fn partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The short code, such as edx (any case).")] short_code: String,
    ) -> Result<Option<Partner>> {
        let code = dom::partner_code("shortCode", &short_code)?;
        Ok(super::lookup::partner(ctx, &code).await?)
    }

    /// Partners by short code; `search` matches short code or name.
    async fn partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
        #[graphql(desc = "Only short codes or names containing this text (any case).")]
        search: Option<String>,
        #[graphql(desc = "Include the inactive records the caller may see (false when absent).")]
        include_inactive: Option<bool>,
    ) -> Result<PartnerConnection> {
        let args = PageArgs::parse(first, after.as_deref(), SortKind::Text)?;
        let search = dom::search("search", search)?;
        let query = list(
            &ctx.request().scope,
            search.as_ref(),
            include_inactive.unwrap_or(false),
        );
        let page = top_level(ctx, query, &args).await?;
        Ok(PartnerConnection::from_page(page, Partner))
    }
}
