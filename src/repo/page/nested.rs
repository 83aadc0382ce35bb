//! Many parents' pages in one statement: LATERAL on PostgreSQL, a range per parent on SQLite
//! (the module comment of `repo::page`).

use sea_orm::DbBackend;
use sea_orm::sea_query::{
    Alias, Asterisk, ColumnRef, CommonTableExpression, Expr, ExprTrait, Func, JoinType, Order,
    Query, WithClause,
};

use super::{
    BOUND, PAGE, PARENT, PID, PS, PagedQuery, SINCE, SORT, TOTAL, VALUES, after_cursor, counter,
    page_of,
};
use crate::domain::page::PageArgs;

fn correlated() -> Expr {
    Expr::col((Alias::new(PS), Alias::new(PID)))
}

/// Every parent's page in one statement (see the module comment).
pub(super) fn nested(
    query: &PagedQuery,
    parent: &ColumnRef,
    parents: &[i64],
    args: &PageArgs,
    count: bool,
    backend: DbBackend,
) -> sea_orm::sea_query::WithQuery {
    let values_col = Expr::col((Alias::new(VALUES), Alias::new("column1")));
    let total = match count {
        true => {
            let mut c = counter(&query.select);
            c.and_where(Expr::col(parent.clone()).eq(values_col.clone()));
            Expr::SubQuery(None, Box::new(c.into()))
        }
        false => Expr::val(0i64),
    };
    let mut ps = Query::select()
        .expr_as(values_col.clone(), Alias::new(PID))
        .expr_as(total, Alias::new(TOTAL))
        .from_values(parents.iter().copied(), Alias::new(VALUES))
        .take();
    if backend != DbBackend::Postgres {
        // SQLite: the sort key of the parent's row just past its page (NULL when the page
        // holds the rest), found once per parent by an index walk of `first + 1` rows.
        let mut bound = page_of(query, args);
        bound
            .and_where(Expr::col(parent.clone()).eq(values_col))
            .clear_selects()
            .column(query.sort.clone())
            .limit(1)
            .offset(args.first);
        ps.expr_as(
            Expr::SubQuery(None, Box::new(bound.into())),
            Alias::new(BOUND),
        );
    }
    let cte = CommonTableExpression::new()
        .query(ps)
        .table_name(Alias::new(PS))
        .materialized(true)
        .to_owned();
    let mut page = page_of(query, args);
    page.and_where(Expr::col(parent.clone()).eq(correlated()));
    let ps_col = |c: &str| Expr::col((Alias::new(PS), Alias::new(c)));
    let outer = if backend == DbBackend::Postgres {
        Query::select()
            .expr_as(ps_col(PID), Alias::new(PARENT))
            .expr_as(ps_col(TOTAL), Alias::new(TOTAL))
            .column((Alias::new(PAGE), Asterisk))
            .from(Alias::new(PS))
            .join_lateral(
                JoinType::InnerJoin,
                page,
                Alias::new(PAGE),
                Expr::cust("TRUE"),
            )
            .order_by(Alias::new(PARENT), Order::Asc)
            .order_by(Alias::new(SORT), Order::Asc)
            .take()
    } else {
        // No LATERAL: each parent's rows from the cursor up to its bound, a range seek per
        // parent. (A correlated `IN (page keys)` was run again for every candidate row: 200
        // parents' page of 200 rows cost 40,000 lookups.) A BLOB sorts after every number and
        // text in SQLite, so `x'ff'` stands for "no bound".
        let mut rows = query.select.clone();
        after_cursor(&mut rows, &query.sort, args);
        rows.expr_as(Expr::col(query.sort.clone()), Alias::new(SORT));
        if let Some(since) = &query.since {
            rows.expr_as(Expr::col(since.clone()), Alias::new(SINCE));
        }
        rows.expr_as(ps_col(PID), Alias::new(PARENT))
            .expr_as(ps_col(TOTAL), Alias::new(TOTAL))
            .inner_join(Alias::new(PS), Expr::col(parent.clone()).eq(correlated()))
            .and_where(
                Expr::col(query.sort.clone())
                    .lte(Func::coalesce([ps_col(BOUND), Expr::cust("x'ff'")])),
            )
            .order_by(Alias::new(PARENT), Order::Asc)
            .order_by(Alias::new(SORT), Order::Asc);
        rows
    };
    WithClause::new().cte(cte).to_owned().query(outer)
}
