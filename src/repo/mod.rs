//! The read side's SQL: scoped selects for lists, relations and lookups.
//!
//! Every builder here starts from the entity's visibility condition (`domain::scope`), so the
//! caller's access rules are part of the one statement that loads the rows.

pub mod course;
pub mod organization;
pub mod partner;
pub mod site;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};

/// A case-insensitive substring match of `needle` on either expression (`%` and `_` taken
/// literally).
pub fn search(needle: &str, key_col: Expr, name_col: Expr) -> sea_orm::sea_query::Condition {
    let escaped: String = needle
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("%{escaped}%");
    sea_orm::sea_query::Condition::any()
        .add(key_col.like(LikeExpr::new(pattern.clone()).escape('\\')))
        .add(Expr::from(Func::lower(name_col)).like(LikeExpr::new(pattern).escape('\\')))
}
