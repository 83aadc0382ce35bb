//! Query fields, one module per domain, merged into `QueryRoot` in `schema.rs`.

mod change;
mod course;
mod federation;
mod lookup;
mod organization;
mod partner;
mod site;
mod viewer;

pub use change::ChangeQuery;
pub use course::CourseQuery;
pub use federation::EntityQuery;
pub use organization::OrganizationQuery;
pub use partner::PartnerQuery;
pub use site::SiteQuery;
pub use viewer::ViewerQuery;

use ::entity::site as site_entity;
use async_graphql::Context;
use sea_orm::FromQueryResult;

use super::context::ContextExt;
use crate::domain::page::{Page, PageArgs};
use crate::domain::{self as dom, tenant};
use crate::error::AppResult;
use crate::repo::page::PagedQuery;

/// Runs a top-level list: one statement for the page and, only where `totalCount` is selected,
/// its total.
async fn top_level<M: FromQueryResult>(
    ctx: &Context<'_>,
    query: PagedQuery,
    args: &PageArgs,
) -> AppResult<Page<M>> {
    let count = ctx.look_ahead().field("totalCount").exists();
    crate::repo::page::top_level(ctx.db(), query, args, count).await
}

/// The site named by the request's `Host` header (`domain::tenant`).
async fn current_site(ctx: &Context<'_>) -> AppResult<Option<site_entity::Model>> {
    let Some(host) = ctx.request().host.as_deref() else {
        return Ok(None);
    };
    let keys = tenant::host_keys(host);
    let found = ctx
        .request()
        .loaders
        .site_by_key
        .load_many(keys.clone())
        .await?;
    Ok(keys.iter().find_map(|k| found.get(k).cloned()))
}

/// The partner a list is filtered to (`domain::tenant::partner_filter`).
async fn partner_filter(ctx: &Context<'_>, partner: Option<&str>) -> AppResult<Option<i64>> {
    match partner {
        Some(code) => {
            let code = dom::partner_code("partner", code)?;
            let found = lookup::partner(ctx, &code).await?.map(|p| p.0.id);
            tenant::partner_filter(Some((&code, found)), None)
        }
        None => {
            let site_partner = current_site(ctx).await?.and_then(|s| s.partner_id);
            tenant::partner_filter(None, site_partner)
        }
    }
}
