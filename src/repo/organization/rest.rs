//! The edx-organizations REST API's reads: visible active organizations in creation order.

use entity::organization;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::visible;
use crate::access::Scope;
use crate::domain::names::Key;
use crate::error::AppResult;

/// How many active organizations the caller sees.
pub async fn count<C: ConnectionTrait>(db: &C, scope: &Scope) -> AppResult<u64> {
    let mut select = Query::select();
    select
        .expr_as(Expr::col(organization::Column::Id).count(), "n")
        .from_subquery(visible(scope, false), "v");
    let row = db.query_one(&select).await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// One page of them (by id, which is creation order).
pub async fn page<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offset: u64,
    limit: u64,
) -> AppResult<Vec<organization::Model>> {
    let mut select = visible(scope, false);
    select
        .order_by((organization::Entity, organization::Column::Id), Order::Asc)
        .offset(offset)
        .limit(limit);
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|r| organization::Model::from_query_result(r, "").map_err(Into::into))
        .collect()
}

/// One active organization the caller sees, by folded short name.
pub async fn one<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    key: &Key,
) -> AppResult<Option<organization::Model>> {
    let mut select = visible(scope, false);
    select.and_where(Expr::col((organization::Entity, organization::Column::ShortNameKey)).eq(key));
    let row = db.query_one(&select).await?;
    row.map(|r| organization::Model::from_query_result(&r, "").map_err(Into::into))
        .transpose()
}
