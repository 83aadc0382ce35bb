//! Query fields, one module per domain, merged into `QueryRoot` in `schema.rs`.

mod course;
mod entity;
mod lookup;
mod organization;
mod partner;
mod site;
mod viewer;

pub use course::CourseQuery;
pub use entity::EntityQuery;
pub use organization::OrganizationQuery;
pub use partner::PartnerQuery;
pub use site::SiteQuery;
pub use viewer::ViewerQuery;

use ::entity::site as site_entity;
use async_graphql::Context;
use sea_orm::FromQueryResult;

use super::context::ContextExt;
use crate::domain::page::{self, Page, PageArgs, PagedQuery};
use crate::domain::{self as dom};
use crate::error::{AppError, AppResult};

/// Runs a top-level list: one statement for the page and its total.
async fn top_level<M: FromQueryResult>(
    ctx: &Context<'_>,
    query: PagedQuery,
    args: &PageArgs,
) -> AppResult<Page<M>> {
    let mut pages = page::fetch::<M, _>(ctx.db(), query, args).await?;
    Ok(pages.remove(&0).unwrap_or_else(|| Page::empty(args)))
}

/// The site named by the request's `Host` header: matched case-insensitively, then retried
/// without the port, as Django's `get_current_site` does.
async fn current_site(ctx: &Context<'_>) -> AppResult<Option<site_entity::Model>> {
    let Some(host) = ctx.request().host.as_deref() else {
        return Ok(None);
    };
    let Ok(domain) = dom::names::Domain::parse(host) else {
        return Ok(None);
    };
    let mut keys = vec![domain.key()];
    if let Some(bare) = domain.without_port() {
        keys.push(bare.to_lowercase());
    }
    let loader = &ctx.request().loaders.site_by_key;
    let found = loader.load_many(keys.clone()).await?;
    Ok(keys.iter().find_map(|k| found.get(k).cloned()))
}

/// The partner a list is filtered to: the `partner` argument if given (an unknown code is a
/// user error), else the partner of the request's site, else none.
async fn partner_filter(ctx: &Context<'_>, partner: Option<&str>) -> AppResult<Option<i64>> {
    match partner {
        Some(code) => {
            let code = dom::partner_code("partner", code)?;
            let found = lookup::partner(ctx, &code).await?;
            found.map(|p| Some(p.0.id)).ok_or_else(|| {
                AppError::bad_input(
                    "partner",
                    format!("no partner with short code {:?}", code.as_str()),
                )
            })
        }
        None => Ok(current_site(ctx).await?.and_then(|s| s.partner_id)),
    }
}
