//! Readers of the Open edX services' own databases (MySQL as Open edX runs it, PostgreSQL or
//! SQLite), for import. Read-only: plain SELECTs in each table's id order. Column types differ
//! between engines and Django versions (MySQL `tinyint(1)` flags, PostgreSQL `integer` ids,
//! JSON in text or JSON columns), so flags are read through `CASE` and values decoded leniently.

pub mod discovery;
pub mod ecommerce;
pub mod feed;
pub mod lms;
pub mod organizations_api;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, QueryResult,
    Statement, StreamTrait,
};

use crate::error::{AppError, AppResult};

/// Connects to a source database; a SQLite file is opened read-only.
pub async fn connect(url: &str) -> AppResult<DatabaseConnection> {
    connect_counted(url, None).await
}

/// Connects like `connect`, counting every statement in `statements` (what following costs
/// the source: `tenancy_follow_source_statements_total`).
pub async fn connect_counted(
    url: &str,
    statements: Option<prometheus::IntCounter>,
) -> AppResult<DatabaseConnection> {
    let url = if url.starts_with("sqlite:") && !url.contains("mode=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=ro")
    } else {
        url.to_owned()
    };
    let following = statements.is_some();
    let mut opts = ConnectOptions::new(url);
    opts.sqlx_logging(false)
        .max_connections(2)
        .connect_timeout(Duration::from_secs(10));
    if following {
        // A follower keeps its connections across rounds: a source that went away fails the
        // round within seconds (and is retried), rather than holding it for the default 30 s.
        opts.acquire_timeout(Duration::from_secs(3))
            .connect_timeout(Duration::from_secs(3));
    }
    let mut db = Database::connect(opts)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("cannot open a source database: {e}")))?;
    if let Some(counter) = statements {
        db.set_metric_callback(move |_| counter.inc());
    }
    Ok(db)
}

async fn rows(db: &DatabaseConnection, sql: &str) -> AppResult<Vec<QueryResult>> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("reading the source: {e} ({sql})")))
}

/// Runs `f` on each row as the driver streams them.
async fn each_row(
    db: &DatabaseConnection,
    sql: &str,
    mut f: impl FnMut(&QueryResult) -> AppResult<()>,
) -> AppResult<()> {
    use futures::TryStreamExt;
    let failed =
        |e: sea_orm::DbErr| AppError::internal(anyhow::anyhow!("reading the source: {e} ({sql})"));
    let backend = db.get_database_backend();
    let mut stream = db
        .stream_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .map_err(failed)?;
    while let Some(row) = stream.try_next().await.map_err(failed)? {
        f(&row)?;
    }
    Ok(())
}

/// A text column cast so that every engine answers a string (JSON columns included).
fn as_text(db: &DatabaseConnection, column: &str) -> String {
    match db.get_database_backend() {
        DbBackend::MySql => format!("CAST({column} AS CHAR)"),
        _ => format!("CAST({column} AS TEXT)"),
    }
}

fn int(row: &QueryResult, column: &str) -> AppResult<i64> {
    if let Ok(v) = row.try_get::<i64>("", column) {
        return Ok(v);
    }
    if let Ok(v) = row.try_get::<i32>("", column) {
        return Ok(i64::from(v));
    }
    if let Ok(v) = row.try_get::<bool>("", column) {
        return Ok(i64::from(v));
    }
    Err(AppError::internal(anyhow::anyhow!(
        "source column {column} is not an integer"
    )))
}

fn text(row: &QueryResult, column: &str) -> AppResult<String> {
    Ok(opt_text(row, column)?.unwrap_or_default())
}

fn opt_text(row: &QueryResult, column: &str) -> AppResult<Option<String>> {
    match row.try_get::<Option<String>>("", column) {
        Ok(v) => Ok(v),
        // MySQL answers binary-collated text as bytes.
        Err(_) => Ok(row
            .try_get::<Option<Vec<u8>>>("", column)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())),
    }
}

/// A non-empty optional text (Django stores "no value" as NULL or as "").
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// `(domain, name)` of a service's `django_site`, by id.
async fn sites(db: &DatabaseConnection) -> AppResult<Vec<(i64, String, String)>> {
    rows(db, "SELECT id, domain, name FROM django_site ORDER BY id")
        .await?
        .iter()
        .map(|r| Ok((int(r, "id")?, text(r, "domain")?, text(r, "name")?)))
        .collect()
}
