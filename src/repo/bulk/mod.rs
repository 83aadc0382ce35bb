//! Bulk statements with many bound parameters, shared by the backfill and the import: a
//! multi-row insert of links (`links`) and the change log of rows written in bulk, built by the
//! database from those rows (`log`), and large inserts on PostgreSQL without the indexes that
//! are cheaper to build again after (`rebuild`).
//!
//! Every placeholder is used once and positionally (`?` on SQLite, `$n` on PostgreSQL): SQLite
//! resolves named or repeated parameters (`$1`, `?1`) with a linear search per occurrence, which
//! makes a 30,000-parameter statement quadratic. Batches are padded to a power of two by
//! repeating their last item (harmless in an `IN` list and for `ON CONFLICT DO NOTHING`), so
//! the prepared-statement cache sees a dozen statement texts per shape, not one per size.

pub mod links;
pub mod log;
pub mod rebuild;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, Statement, Value};

/// Parameters per statement, a power of two under SQLite's limit of 32766 (PostgreSQL: 65535).
pub(crate) const MAX_PARAMS: usize = 16_384;
/// The smallest padded batch.
const MIN_BATCH: usize = 16;

/// The padded length of a batch of `n` items (at most `MAX_PARAMS`).
pub(crate) fn padded(n: usize) -> usize {
    n.next_power_of_two().clamp(MIN_BATCH, MAX_PARAMS)
}

/// `batch` followed by copies of its last item up to `padded(batch.len())` items.
pub(crate) fn pad<T>(batch: &[T]) -> impl Iterator<Item = &T> {
    let extra = batch
        .last()
        .map(|last| std::iter::repeat_n(last, padded(batch.len()) - batch.len()));
    batch.iter().chain(extra.into_iter().flatten())
}

/// SQL text with positional placeholders for one backend.
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    params: usize,
}

impl Sql {
    pub fn new(backend: DbBackend, text: &str) -> Self {
        Sql {
            backend,
            text: text.to_owned(),
            params: 0,
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub fn param(&mut self) -> &mut Self {
        self.params += 1;
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.params.to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// `n` comma-separated placeholders.
    pub fn list(&mut self, n: usize) -> &mut Self {
        for i in 0..n {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.param();
        }
        self
    }

    /// `(?, ?), (?, ?), ...`: `rows` tuples of `width` placeholders.
    pub fn rows(&mut self, rows: usize, width: usize) -> &mut Self {
        for r in 0..rows {
            self.text.push_str(if r > 0 { ", (" } else { "(" });
            self.list(width);
            self.text.push(')');
        }
        self
    }

    pub fn statement(&self, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text.as_str(), values)
    }
}

pub(crate) async fn query<C: ConnectionTrait>(
    db: &C,
    sql: &Sql,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(sql.statement(values)).await
}

pub(crate) async fn execute<C: ConnectionTrait>(
    db: &C,
    sql: &Sql,
    values: Vec<Value>,
) -> Result<ExecResult, DbErr> {
    db.execute_raw(sql.statement(values)).await
}

/// `UPDATE {table} SET active = {active}, modified = now WHERE active <> {active} AND {column}
/// IN (ids)`, in batches; returns the ids of the rows changed.
pub(crate) async fn set_active<C: ConnectionTrait>(
    db: &C,
    table: &str,
    column: &str,
    ids: &[i64],
    active: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<i64>, DbErr> {
    let mut changed = Vec::new();
    for batch in ids.chunks(MAX_PARAMS) {
        let mut sql = Sql::new(db.get_database_backend(), "UPDATE ");
        sql.push(table).push(" SET active = ").param();
        sql.push(", modified = ")
            .param()
            .push(" WHERE active = ")
            .param();
        sql.push(" AND ").push(column).push(" IN (");
        sql.list(padded(batch.len())).push(") RETURNING id");
        let mut values: Vec<Value> = vec![active.into(), now.into(), (!active).into()];
        values.extend(pad(batch).map(|&id| Value::from(id)));
        changed.extend(id_column(query(db, &sql, values).await?)?);
    }
    Ok(changed)
}

/// Room for a bulk write's working set (a million links, their change rows and indexes) in
/// SQLite's page cache: with the default 2 MiB, pages spill to the WAL and are read back
/// within the transaction, and that I/O, not SQLite's own work, dominated an import. The
/// cache grows only as pages are used; the connection keeps the setting (bulk writes run in
/// one-shot commands).
pub(crate) async fn widen_cache<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA cache_size = -524288").await?;
    }
    Ok(())
}

/// The largest id of `table` (0 when empty).
pub(crate) async fn max_id<C: ConnectionTrait>(db: &C, table: &str) -> Result<i64, DbErr> {
    let sql = Sql::new(
        db.get_database_backend(),
        &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
    );
    let rows = query(db, &sql, Vec::new()).await?;
    Ok(id_column(rows)?.first().copied().unwrap_or(0))
}

/// The first column of every row, as ids.
pub(crate) fn id_column(rows: Vec<QueryResult>) -> Result<Vec<i64>, DbErr> {
    rows.iter().map(|row| row.try_get_by_index(0)).collect()
}

/// A JSON object built by the database from `(key, SQL expression)` pairs, as text.
pub(crate) fn json_object(backend: DbBackend, pairs: &[(&str, &str)]) -> String {
    let args: Vec<String> = pairs
        .iter()
        .map(|(key, expr)| format!("'{key}', {expr}"))
        .collect();
    match backend {
        DbBackend::Postgres => format!("json_build_object({})::text", args.join(", ")),
        _ => format!("json_object({})", args.join(", ")),
    }
}

/// A boolean SQL expression as a JSON boolean inside `json_object` (SQLite has no boolean
/// type: its 0 or 1 becomes `json('true')` or `json('false')`).
pub(crate) fn flag_json(backend: DbBackend, expr: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("({expr})"),
        _ => format!("json(CASE WHEN {expr} THEN 'true' ELSE 'false' END)"),
    }
}
