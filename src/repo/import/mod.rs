//! Readers of the Open edX services' own databases (MySQL as Open edX runs it, PostgreSQL or
//! SQLite), for import. Read-only: plain SELECTs in each table's id order. Column types differ
//! between engines and Django versions (MySQL `tinyint(1)` flags, PostgreSQL `integer` ids,
//! JSON in text or JSON columns), so flags are read through `CASE` and values decoded leniently.

pub mod discovery;
pub mod ecommerce;
pub mod lms;
pub mod organizations_api;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, QueryResult,
    Statement, StreamTrait,
};

use crate::error::{AppError, AppResult};

/// A source that is not what the import can read, by the user's mistake: not a database URL,
/// a file that is missing or unreadable, a server that does not answer, another application's
/// database. Carried inside `AppError::Internal` up to the service, which names the setting and
/// what it expected (`service::import`); anything else stays an internal error.
#[derive(Debug, thiserror::Error)]
#[error("{problem}")]
pub struct SourceProblem {
    pub problem: String,
    pub hint: String,
}

fn problem(problem: impl Into<String>, hint: impl Into<String>) -> AppError {
    AppError::internal(SourceProblem {
        problem: problem.into(),
        hint: hint.into(),
    })
}

/// Connects to a source database; a SQLite file is opened read-only.
pub async fn connect(url: &str) -> AppResult<DatabaseConnection> {
    check_url(url)?;
    let url = if url.starts_with("sqlite:") && !url.contains("mode=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=ro")
    } else {
        url.to_owned()
    };
    let mut opts = ConnectOptions::new(url.clone());
    opts.sqlx_logging(false)
        .max_connections(2)
        .connect_timeout(Duration::from_secs(10));
    Database::connect(opts).await.map_err(|e| {
        if let Some(known) = not_readable(&e) {
            return known;
        }
        let cause = crate::db::open::redact(&url, root_cause(&e));
        problem(
            format!("cannot connect ({cause})"),
            "check that the server runs and accepts connections there, and the user, password \
             and database name in the URL",
        )
    })
}

/// Refuses, before any driver sees it, a URL of no engine the import reads and a SQLite file
/// that is missing or unreadable (the driver would answer "unable to open database file").
fn check_url(url: &str) -> AppResult<()> {
    const ENGINES: [&str; 5] = [
        "mysql://",
        "mariadb://",
        "postgres://",
        "postgresql://",
        "sqlite:",
    ];
    if !ENGINES.iter().any(|scheme| url.starts_with(scheme)) {
        let hint = if url.contains("://") {
            "the import reads MySQL (as Open edX runs it), PostgreSQL or SQLite: \
             mysql://USER:PASSWORD@HOST:PORT/DB, postgres://... or sqlite://FILE"
                .to_owned()
        } else {
            format!(
                "for a SQLite file write sqlite://{url}; for a server mysql://USER:PASSWORD@HOST:PORT/DB"
            )
        };
        return Err(problem("not a database URL", hint));
    }
    let Some(path) = crate::db::open::sqlite_path(url) else {
        return Ok(());
    };
    // The service's message shows the path first; these say what is wrong with it.
    match std::fs::metadata(&path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(problem(
            "no such file",
            "check the path: sqlite:///ABSOLUTE/PATH, or sqlite://RELATIVE/PATH from the \
             current directory",
        )),
        Ok(meta) if meta.is_dir() => Err(problem(
            "a directory, not a database file",
            "name the database file in it",
        )),
        _ => match std::fs::File::open(&path) {
            Ok(_) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => Err(problem(
                "cannot read the file: permission denied",
                "run the import as a user who may read it, or copy the file somewhere readable",
            )),
            Err(err) => Err(problem(
                format!("cannot read the file: {err}"),
                "check the file and its directory",
            )),
        },
    }
}

/// The innermost cause of a driver error (the layers above repeat it).
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// A failed read: a user's mistake when the database lacks the tables or columns the import
/// reads (another application's database, or no database at all), else an internal error.
fn read_failed(err: sea_orm::DbErr, sql: &str) -> AppError {
    not_readable(&err)
        .unwrap_or_else(|| AppError::internal(anyhow::anyhow!("reading the source: {err} ({sql})")))
}

/// The user's mistakes a database names when it is opened or read: not a SQLite file, no such
/// table, no such column.
fn not_readable(err: &sea_orm::DbErr) -> Option<AppError> {
    let database = match err {
        sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
        | sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)) => e.as_database_error(),
        _ => None,
    };
    // The database's own words ("no such table: organizations_organization"), without the
    // driver's wrapping.
    let cause = database.map_or_else(|| root_cause(err), |d| d.message().to_owned());
    let code = database
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
        .unwrap_or_default();
    let code = code.as_str();
    // PostgreSQL and MySQL answer SQLSTATEs; SQLite its result code and a message.
    if matches!(code, "42P01" | "42S02") || cause.contains("no such table") {
        return Some(problem(
            format!("it has no table the import reads ({cause})"),
            "point it at that service's own database, the one its Django migrations made",
        ));
    }
    if matches!(code, "42703" | "42S22") || cause.contains("no such column") {
        return Some(problem(
            format!("a table lacks a column the import reads ({cause})"),
            "the import reads the tables of current Open edX releases; is this database from \
             a much older or newer one?",
        ));
    }
    if code == "26" || cause.contains("file is not a database") {
        return Some(problem(
            "the file is not a SQLite database",
            "name the SQLite database file, or the server's URL",
        ));
    }
    None
}

async fn rows(db: &DatabaseConnection, sql: &str) -> AppResult<Vec<QueryResult>> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .map_err(|e| read_failed(e, sql))
}

/// Runs `f` on each row as the driver streams them.
async fn each_row(
    db: &DatabaseConnection,
    sql: &str,
    mut f: impl FnMut(&QueryResult) -> AppResult<()>,
) -> AppResult<()> {
    use futures::TryStreamExt;
    let failed = |e: sea_orm::DbErr| read_failed(e, sql);
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
