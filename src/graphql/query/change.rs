use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};

use super::top_level;
use crate::domain::page::{PageArgs, SortKind};
use crate::graphql::connection::ChangeConnection;
use crate::graphql::context::ContextExt;
use crate::graphql::object::{Change, ChangeEntity};
use crate::repo::change::{ChangeFilter, list};

#[derive(Default)]
pub struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// The change log, oldest first: every change of a record the caller could see before or after it. Resume from the cursor of the last change seen.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 100 when absent, at most 1000.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the page before: this page starts after it.")]
        after: Option<String>,
        #[graphql(desc = "Only changes of these kinds of record (all when absent).")]
        entities: Option<Vec<ChangeEntity>>,
        #[graphql(desc = "Only changes made at or after this time (RFC 3339).")] since: Option<
            DateTime<Utc>,
        >,
    ) -> Result<ChangeConnection> {
        let args = PageArgs::parse(first, after.as_deref(), SortKind::Int)?;
        let filter = ChangeFilter {
            entities: entities
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            since,
        };
        let page = top_level(ctx, list(&ctx.request().scope, &filter), &args).await?;
        Ok(ChangeConnection::from_page(page, Change))
    }
}
