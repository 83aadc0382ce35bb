//! GraphQL output types. Each wraps its entity model, so renaming a column does not change the
//! API, and resolves relations through the request's dataloaders.

mod change;
mod course;
mod grant;
mod organization;
mod partner;
mod site;

pub use change::{Change, ChangeEntity, ChangeKind};
pub use course::Course;
pub use grant::{Grant, Role};
pub use organization::Organization;
pub use partner::Partner;
pub use site::Site;

use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;

use super::loader::{ChildKey, Paged};
use crate::domain::page::{Page, PageArgs, SortKind};
use crate::error::AppResult;

/// Loads one page of a parent's children through a paged relation loader.
async fn children<R: super::loader::paged::Relation>(
    ctx: &Context<'_>,
    loader: &DataLoader<Paged<R>>,
    parent: i64,
    (first, after): (Option<i32>, Option<String>),
    kind: SortKind,
    include_inactive: bool,
) -> AppResult<Page<R::Row>> {
    let args = PageArgs::parse(first, after.as_deref(), kind)?;
    let key = ChildKey {
        parent,
        args: args.clone(),
        include_inactive,
        count: ctx.look_ahead().field("totalCount").exists(),
    };
    Ok(match loader.load_one(key).await? {
        // The batch that made it has let go of it by now, so this moves the rows, not copies.
        Some(page) => Arc::try_unwrap(page).unwrap_or_else(|shared| (*shared).clone()),
        None => Page::empty(&args),
    })
}

/// Loads one page of a record's history (oldest first) through a history loader.
async fn history<R: super::loader::paged::Relation<Row = entity::change_log::Model>>(
    ctx: &Context<'_>,
    loader: &DataLoader<Paged<R>>,
    parent: i64,
    page: (Option<i32>, Option<String>),
) -> AppResult<super::connection::ChangeConnection> {
    let page = children(ctx, loader, parent, page, SortKind::Int, false).await?;
    Ok(super::connection::ChangeConnection::from_page(page, Change))
}
