//! Runs Relay-style pages, for one list or for many parents in one statement.
//!
//! A page of children for many parents is one SQL statement: window functions number the rows of
//! each parent (rows after the cursor first) and count them, and the outer query keeps `first + 1`
//! rows per parent. The extra row tells whether there is a next page; when a parent has no row
//! after the cursor, one row before it still comes back so that its `totalCount` is known.

use std::collections::HashMap;

use sea_orm::sea_query::{
    Alias, Asterisk, ColumnRef, Expr, ExprTrait, Func, Order, Query, SelectStatement,
    WindowStatement,
};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult};

use crate::domain::page::{Page, PageArgs, PageItem, SortKey, SortKind};
use crate::error::AppResult;

/// A list query before pagination: `select` has the node's columns, joins and filters.
pub struct PagedQuery {
    pub select: SelectStatement,
    /// The parent id column that groups rows; `None` for a top-level list.
    pub parent: Option<ColumnRef>,
    /// The column the list is ordered by (unique within a parent).
    pub sort: ColumnRef,
    pub sort_kind: SortKind,
    /// The column holding the edge's `since`, if the edge has one.
    pub since: Option<ColumnRef>,
}

const PARENT: &str = "pg_parent";
const SORT: &str = "pg_sort";
const SINCE: &str = "pg_since";
const TOTAL: &str = "pg_total";
const AFTER: &str = "pg_after";
const RN: &str = "pg_rn";

/// Runs one statement and returns the page of every parent that has rows.
pub async fn fetch<M, C>(
    db: &C,
    query: PagedQuery,
    args: &PageArgs,
) -> AppResult<HashMap<i64, Page<M>>>
where
    M: FromQueryResult,
    C: ConnectionTrait,
{
    let PagedQuery {
        mut select,
        parent,
        sort,
        sort_kind,
        since,
    } = query;
    let window = || match &parent {
        Some(col) => WindowStatement::partition_by(col.clone()),
        None => WindowStatement::new(),
    };
    let after_flag = match &args.after {
        Some(key) => Expr::case(Expr::col(sort.clone()).gt(key.value()), 1)
            .finally(0)
            .into(),
        None => Expr::val(1),
    };
    let mut numbered = window();
    numbered
        .order_by_expr(after_flag.clone(), Order::Desc)
        .order_by(sort.clone(), Order::Asc);
    select
        .expr_as(
            parent
                .clone()
                .map(Expr::col)
                .unwrap_or_else(|| Expr::val(0i64)),
            Alias::new(PARENT),
        )
        .expr_as(Expr::col(sort.clone()), Alias::new(SORT))
        .expr_as(after_flag, Alias::new(AFTER))
        .expr_window_as(
            Func::count(Expr::col(Asterisk)),
            window(),
            Alias::new(TOTAL),
        )
        .expr_window_as(Expr::cust("ROW_NUMBER()"), numbered, Alias::new(RN));
    let has_since = since.is_some();
    if let Some(since) = since {
        select.expr_as(Expr::col(since), Alias::new(SINCE));
    }
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(select, Alias::new("pg"))
        .and_where(Expr::col(Alias::new(RN)).lte(args.first as i64 + 1))
        .order_by(Alias::new(PARENT), Order::Asc)
        .order_by(Alias::new(RN), Order::Asc)
        .take();
    let rows = db.query_all(&outer).await?;

    let mut pages: HashMap<i64, Page<M>> = HashMap::new();
    for row in rows {
        let parent_id: i64 = row.try_get("", PARENT)?;
        let total: i64 = row.try_get("", TOTAL)?;
        let page = pages.entry(parent_id).or_insert_with(|| Page {
            total: u64::try_from(total).unwrap_or(0),
            ..Page::empty(args)
        });
        if !is_after(&row)? {
            continue;
        }
        if page.items.len() as u64 == args.first {
            page.has_next = true;
            continue;
        }
        let key = match sort_kind {
            SortKind::Text => SortKey::Text(row.try_get("", SORT)?),
            SortKind::Int => SortKey::Int(row.try_get("", SORT)?),
        };
        // Asked only where selected: a missing column is an error, and errors allocate.
        let since = if has_since {
            row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", SINCE)?
        } else {
            None
        };
        page.items.push(PageItem {
            node: M::from_query_result(&row, "")?,
            cursor: key.cursor(),
            since,
        });
    }
    Ok(pages)
}

fn is_after(row: &QueryResult) -> AppResult<bool> {
    // SQLite answers an integer, PostgreSQL may answer int4 or int8 depending on the literal.
    if let Ok(v) = row.try_get::<i64>("", AFTER) {
        return Ok(v == 1);
    }
    Ok(row.try_get::<i32>("", AFTER)? == 1)
}

/// A membership table between parents and children (`partner_organization`, ...).
pub struct Edge<T> {
    pub table: T,
    /// The edge's column holding the parent id (what pages are grouped by).
    pub parent: ColumnRef,
    /// The edge's column holding the child id.
    pub child: ColumnRef,
    /// When the edge was made (`since`).
    pub created: ColumnRef,
}

/// Children (`select`: the visible rows of the child table, whose id is `child_id`) of many
/// parents through a membership edge: one statement for every parent's page, each edge's
/// `created` given as its `since`.
pub fn through<T: sea_orm::sea_query::IntoTableRef>(
    mut select: SelectStatement,
    child_id: ColumnRef,
    edge: Edge<T>,
    parents: &[i64],
    sort: ColumnRef,
) -> PagedQuery {
    select
        .inner_join(edge.table, Expr::col(edge.child).equals(child_id))
        .and_where(Expr::col(edge.parent.clone()).is_in(parents.iter().copied()));
    PagedQuery {
        select,
        parent: Some(edge.parent),
        sort,
        sort_kind: SortKind::Text,
        since: Some(edge.created),
    }
}

/// Runs a top-level list (no parent): one statement for the page and its total.
pub async fn top_level<M: FromQueryResult, C: ConnectionTrait>(
    db: &C,
    query: PagedQuery,
    args: &PageArgs,
) -> AppResult<Page<M>> {
    let mut pages = fetch::<M, _>(db, query, args).await?;
    Ok(pages.remove(&0).unwrap_or_else(|| Page::empty(args)))
}
