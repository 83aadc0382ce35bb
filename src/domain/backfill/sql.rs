//! Bulk statements. Parameters are numbered (`$n`), which PostgreSQL and SQLite (through sqlx)
//! both accept, so one SQL text serves both engines and values shared by every row (`active`,
//! the timestamp) are bound once.

use std::fmt::Write;

use sea_orm::{ConnectionTrait, DbErr, ExecResult, QueryResult, Statement, Value};

/// Bound parameters per statement: under SQLite's 32766 (PostgreSQL allows 65535).
pub(super) const MAX_PARAMS: usize = 30_000;

/// `$first, $first+1, ...` (`n` parameters).
pub(super) fn list(first: usize, n: usize) -> String {
    let mut sql = String::with_capacity(n * 7);
    for i in first..first + n {
        if i > first {
            sql.push_str(", ");
        }
        let _ = write!(sql, "${i}");
    }
    sql
}

/// `(row(first)), (row(first + width)), ...` for `rows` rows of `width` parameters each;
/// `row` writes one tuple's inside given its first parameter number.
pub(super) fn rows(first: usize, rows: usize, width: usize, row: impl Fn(usize) -> String) -> String {
    let mut sql = String::with_capacity(rows * (width * 8 + 4));
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&row(first + r * width));
        sql.push(')');
    }
    sql
}

pub(super) async fn query<C: ConnectionTrait>(
    db: &C,
    sql: String,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
}

pub(super) async fn execute<C: ConnectionTrait>(
    db: &C,
    sql: String,
    values: Vec<Value>,
) -> Result<ExecResult, DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
}

/// Runs `UPDATE {table} SET active = true, modified = $now WHERE active = false AND {column}
/// IN (ids)` in batches; returns the rows changed.
pub(super) async fn activate<C: ConnectionTrait>(
    db: &C,
    table: &str,
    column: &str,
    ids: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, DbErr> {
    let mut changed = 0;
    for batch in ids.chunks(MAX_PARAMS - 3) {
        let sql = format!(
            "UPDATE {table} SET active = $1, modified = $2 WHERE active = $3 AND {column} IN ({})",
            list(4, batch.len())
        );
        let mut values: Vec<Value> = vec![true.into(), now.into(), false.into()];
        values.extend(batch.iter().map(|&id| Value::from(id)));
        changed += execute(db, sql, values).await?.rows_affected();
    }
    Ok(changed)
}
