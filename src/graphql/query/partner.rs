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
    async fn partner(&self, ctx: &Context<'_>, short_code: String) -> Result<Option<Partner>> {
        let code = dom::partner_code("shortCode", &short_code)?;
        Ok(super::lookup::partner(ctx, &code).await?)
    }

    /// Partners by short code; `search` matches short code or name.
    async fn partners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
        include_inactive: Option<bool>,
    ) -> Result<PartnerConnection> {
        let args = PageArgs::parse(first, after.as_deref(), SortKind::Text)?;
        let search = dom::search("search", search)?;
        let query = list(
            &ctx.request().scope,
            search.as_deref(),
            include_inactive.unwrap_or(false),
        );
        let page = top_level(ctx, query, &args).await?;
        Ok(PartnerConnection::from_page(page, Partner))
    }
}
