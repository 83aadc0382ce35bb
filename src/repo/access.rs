//! Whether one row meets a condition: how the access checks of a write ask the visibility and
//! grant conditions (`access::visibility`) about the record they are about.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait, Iden};

use crate::error::AppResult;

/// `SELECT 1 FROM <entity> WHERE <id_column> = id AND <condition> LIMIT 1` found a row.
pub async fn row_meets<C, E>(
    db: &C,
    entity: E,
    id_column: E::Column,
    id: i64,
    condition: Condition,
) -> AppResult<bool>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Column: Iden,
{
    let select = Query::select()
        .expr(Expr::val(1))
        .from(entity)
        .and_where(Expr::col((entity, id_column)).eq(id))
        .cond_where(condition)
        .limit(1)
        .take();
    Ok(db.query_one(&select).await?.is_some())
}
