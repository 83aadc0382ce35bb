//! Runs Relay-style keyset pages, for one list or for many parents in one statement.
//!
//! A page is an index seek to the cursor plus `first + 1` rows (the extra row tells whether there
//! is a next page), so it costs the same over a thousand rows as over a million. Many parents'
//! pages are still one statement (docs/design.md): the parents are a `VALUES` list, and each
//! parent's page is a correlated subquery on it:
//! * PostgreSQL: `JOIN LATERAL (<page of pg_ps.pg_pid> ORDER BY sort LIMIT first + 1)`;
//! * SQLite (no LATERAL): the CTE also finds, per parent, the sort key just past its page (an
//!   index walk of `first + 1` rows), and the rows are a range seek per parent from the cursor
//!   to that key (tests/api/pages.rs reads the plan).
//!
//! `totalCount` is counted only when asked for, as a scalar subquery per parent (computed once,
//! in a materialized CTE); a parent whose page after the cursor is empty gets its count from one
//! more statement, since no row of that page carries it.

use std::collections::HashMap;

use sea_orm::sea_query::{
    Alias, Asterisk, ColumnRef, Expr, ExprTrait, Func, Order, SelectStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement};

use crate::domain::page::{Page, PageArgs, PageItem, SortKey, SortKind};
use crate::error::AppResult;

mod nested;

use nested::nested;

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
/// The parents, with their counts: a materialized CTE.
const PS: &str = "pg_ps";
const PID: &str = "pg_pid";
/// The `VALUES` list of parents; both engines name its column `column1`.
const VALUES: &str = "pg_v";
const PAGE: &str = "pg";
/// SQLite: per parent, the sort key just past its page.
const BOUND: &str = "pg_bound";

/// Runs one statement (two when a count is asked for past the end of some parent's list) and
/// returns the page of every parent in `parents` that has rows.
pub async fn fetch<M, C>(
    db: &C,
    query: PagedQuery,
    parents: &[i64],
    args: &PageArgs,
    count: bool,
) -> AppResult<HashMap<i64, Page<M>>>
where
    M: FromQueryResult,
    C: ConnectionTrait,
{
    let Some(parent) = query.parent.clone() else {
        let page = top_level(db, query, args, count).await?;
        return Ok(HashMap::from([(0, page)]));
    };
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(statement(&query, parents, args, count, backend))
        .await?;
    let mut pages = collect(rows, &query, args)?;
    if count && args.after.is_some() {
        let missing: Vec<i64> = parents
            .iter()
            .copied()
            .filter(|p| !pages.contains_key(p))
            .collect();
        if !missing.is_empty() {
            let counts = counts_of(&query.select, &parent, &missing);
            for row in db.query_all(&counts).await? {
                let id: i64 = row.try_get("", PARENT)?;
                let total = Page {
                    total: u64::try_from(row.try_get::<i64>("", TOTAL)?).unwrap_or(0),
                    ..Page::empty(args)
                };
                pages.insert(id, total);
            }
        }
    }
    Ok(pages)
}

/// Runs a top-level list (no parent): one statement for the page and, if asked, its total.
pub async fn top_level<M: FromQueryResult, C: ConnectionTrait>(
    db: &C,
    query: PagedQuery,
    args: &PageArgs,
    count: bool,
) -> AppResult<Page<M>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(statement(&query, &[], args, count, backend))
        .await?;
    let mut pages = collect(rows, &query, args)?;
    if let Some(page) = pages.remove(&0) {
        return Ok(page);
    }
    let mut page = Page::empty(args);
    if count && args.after.is_some() {
        let row = db.query_one(&counter(&query.select)).await?;
        let total: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
        page.total = u64::try_from(total).unwrap_or(0);
    }
    Ok(page)
}

/// The statement `fetch` runs for `parents` (ignored for a top-level list); public so that tests
/// can read its plan.
pub fn statement(
    query: &PagedQuery,
    parents: &[i64],
    args: &PageArgs,
    count: bool,
    backend: DbBackend,
) -> Statement {
    match &query.parent {
        Some(parent) => backend.build(&nested(query, parent, parents, args, count, backend)),
        None => {
            let mut select = page_of(query, args);
            select.expr_as(Expr::val(0i64), Alias::new(PARENT));
            let total = match count {
                true => Expr::SubQuery(None, Box::new(counter(&query.select).into())),
                false => Expr::val(0i64),
            };
            select.expr_as(total, Alias::new(TOTAL));
            backend.build(&select)
        }
    }
}

/// The list's rows after the cursor, in order, at most `first + 1`, with the sort key (and the
/// edge's `since`) under known names.
fn page_of(query: &PagedQuery, args: &PageArgs) -> SelectStatement {
    let mut select = query.select.clone();
    select.expr_as(Expr::col(query.sort.clone()), Alias::new(SORT));
    if let Some(since) = &query.since {
        select.expr_as(Expr::col(since.clone()), Alias::new(SINCE));
    }
    after_cursor(&mut select, &query.sort, args);
    select
        .order_by(query.sort.clone(), Order::Asc)
        .limit(args.first + 1);
    select
}

fn after_cursor(select: &mut SelectStatement, sort: &ColumnRef, args: &PageArgs) {
    if let Some(key) = &args.after {
        select.and_where(Expr::col(sort.clone()).gt(key.value()));
    }
}

/// `SELECT COUNT(*)` over the list's rows (all of them, not only those after the cursor).
fn counter(select: &SelectStatement) -> SelectStatement {
    let mut count = select.clone();
    count
        .clear_selects()
        .clear_order_by()
        .expr(Func::count(Expr::col(Asterisk)));
    count
}

/// `SELECT parent, COUNT(*) ... GROUP BY parent` for the parents named.
fn counts_of(select: &SelectStatement, parent: &ColumnRef, parents: &[i64]) -> SelectStatement {
    let mut count = select.clone();
    count
        .clear_selects()
        .clear_order_by()
        .expr_as(Expr::col(parent.clone()), Alias::new(PARENT))
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new(TOTAL))
        .and_where(Expr::col(parent.clone()).is_in(parents.iter().copied()))
        .group_by_col(parent.clone());
    count
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

/// Groups rows (already in parent and sort order) into pages.
fn collect<M: FromQueryResult>(
    rows: Vec<QueryResult>,
    query: &PagedQuery,
    args: &PageArgs,
) -> AppResult<HashMap<i64, Page<M>>> {
    let mut pages: HashMap<i64, Page<M>> = HashMap::new();
    for row in rows {
        let parent_id: i64 = row.try_get("", PARENT)?;
        let page = match pages.entry(parent_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Page {
                total: total_of(&row)?,
                ..Page::empty(args)
            }),
        };
        if page.items.len() as u64 == args.first {
            page.has_next = true;
            continue;
        }
        let key = match query.sort_kind {
            SortKind::Text => SortKey::Text(row.try_get("", SORT)?),
            SortKind::Int => SortKey::Int(row.try_get("", SORT)?),
        };
        // Asked only where selected: a missing column is an error, and errors allocate.
        let since = match query.since {
            Some(_) => row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", SINCE)?,
            None => None,
        };
        page.items.push(PageItem {
            node: M::from_query_result(&row, "")?,
            key,
            since,
        });
    }
    Ok(pages)
}

fn total_of(row: &QueryResult) -> AppResult<u64> {
    // PostgreSQL answers COUNT(*) as int8 but a literal 0 as int4 or int8.
    let total = match row.try_get::<i64>("", TOTAL) {
        Ok(v) => v,
        Err(_) => i64::from(row.try_get::<i32>("", TOTAL)?),
    };
    Ok(u64::try_from(total).unwrap_or(0))
}
