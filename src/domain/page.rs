//! Relay-style pagination, for one list or for many parents in one statement.
//!
//! A page of children for many parents is one SQL statement: window functions number the rows of
//! each parent (rows after the cursor first) and count them, and the outer query keeps `first + 1`
//! rows per parent. The extra row tells whether there is a next page; when a parent has no row
//! after the cursor, one row before it still comes back so that its `totalCount` is known.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{
    Alias, Asterisk, ColumnRef, Expr, ExprTrait, Func, Order, Query, SelectStatement, Value,
    WindowStatement,
};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult};

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 100;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// What a list is ordered by, which decides what its cursors hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKind {
    /// A case-folded identity (short name, short code, domain).
    Text,
    /// An autoincrement id (creation order).
    Int,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SortKey {
    Text(String),
    Int(i64),
}

impl SortKey {
    pub fn cursor(&self) -> String {
        let raw = match self {
            SortKey::Text(s) => format!("t:{s}"),
            SortKey::Int(i) => format!("i:{i}"),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(cursor: &str, kind: SortKind) -> Option<SortKey> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        match (kind, raw.split_once(':')?) {
            (SortKind::Text, ("t", s)) => Some(SortKey::Text(s.to_owned())),
            (SortKind::Int, ("i", i)) => i.parse().ok().map(SortKey::Int),
            _ => None,
        }
    }

    fn value(&self) -> Value {
        match self {
            SortKey::Text(s) => s.clone().into(),
            SortKey::Int(i) => (*i).into(),
        }
    }
}

/// Validated `first`/`after` arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub first: u64,
    pub after: Option<SortKey>,
}

impl PageArgs {
    pub fn parse(first: Option<i32>, after: Option<&str>, kind: SortKind) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(AppError::bad_input("first", "must not be negative")),
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(AppError::bad_input(
                    "first",
                    format!("must be at most {MAX_PAGE_SIZE}"),
                ));
            }
            Some(n) => n as u64,
        };
        let after = match after {
            None => None,
            Some(c) => Some(
                SortKey::decode(c, kind)
                    .ok_or_else(|| AppError::bad_input("after", "not a cursor of this list"))?,
            ),
        };
        Ok(PageArgs { first, after })
    }
}

/// One edge of a page.
#[derive(Clone, Debug)]
pub struct PageItem<T> {
    pub node: T,
    pub cursor: String,
    /// When the edge itself was made (membership `since`, course link creation); `None` for
    /// top-level lists.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<PageItem<T>>,
    pub has_next: bool,
    pub has_previous: bool,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn empty(args: &PageArgs) -> Self {
        Page {
            items: Vec::new(),
            has_next: false,
            has_previous: args.after.is_some(),
            total: 0,
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_typed() -> AppResult<()> {
        let key = SortKey::Text("mitx".into());
        let args = PageArgs::parse(Some(5), Some(&key.cursor()), SortKind::Text)?;
        assert_eq!(args.after, Some(key.clone()));
        assert!(PageArgs::parse(None, Some(&key.cursor()), SortKind::Int).is_err());
        let id = SortKey::Int(42);
        assert_eq!(
            PageArgs::parse(None, Some(&id.cursor()), SortKind::Int)?.after,
            Some(id)
        );
        Ok(())
    }

    #[test]
    fn bad_page_arguments_are_user_errors() {
        for (first, after) in [(Some(-1), None), (Some(1001), None), (None, Some("%%%"))] {
            let err = PageArgs::parse(first, after, SortKind::Text).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT");
        }
        assert_eq!(
            PageArgs::parse(None, None, SortKind::Text).unwrap().first,
            DEFAULT_PAGE_SIZE
        );
    }
}
