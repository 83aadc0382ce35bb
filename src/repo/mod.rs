//! All SQL: the scoped selects of the read side (lists, relations, lookups, pages) and every
//! write (`*/write.rs`, `membership`, `grant`, `change`, `backfill`).
//!
//! Every read builder starts from the entity's visibility condition (`access::visibility`), so the
//! caller's access rules are part of the one statement that loads the rows.
//!
//! Layer rule: SQL lives here and nowhere else; no rules (who may, what to log) live here. The
//! services call these functions inside their transaction; the GraphQL loaders call the read
//! side. Checked by `tests/api/layers.rs`.

pub mod access;
pub mod backfill;
pub mod bulk;
pub mod change;
pub mod course;
pub mod grant;
pub mod import;
pub mod membership;
pub mod organization;
pub mod page;
pub mod partner;
pub mod site;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SelectStatement};
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::domain::names::Search;
use crate::error::AppResult;

/// A select built here, run by `rows`.
pub type Select = SelectStatement;

/// Runs a select and maps its rows.
pub async fn rows<M: FromQueryResult, C: ConnectionTrait>(
    db: &C,
    select: &SelectStatement,
) -> AppResult<Vec<M>> {
    let stmt = db.get_database_backend().build(select);
    Ok(M::find_by_statement(stmt).all(db).await?)
}

/// Whether a write failed on a unique index.
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// A case-insensitive substring match of `needle` on either expression (`%` and `_` taken
/// literally): the identity key folded as keys are, the name lower-cased by the database.
pub fn search(needle: &Search, key_col: Expr, name_col: Expr) -> sea_orm::sea_query::Condition {
    let pattern = |text: String| {
        let escaped: String = text
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        LikeExpr::new(format!("%{escaped}%")).escape('\\')
    };
    sea_orm::sea_query::Condition::any()
        .add(key_col.like(pattern(needle.key().into_string())))
        .add(Expr::from(Func::lower(name_col)).like(pattern(needle.lowered())))
}
