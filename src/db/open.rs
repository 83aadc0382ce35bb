//! Opening a database as a person at the command line needs it: errors that name the database
//! (never its password) and say what to do, read-only opening for dry runs, and a clean close.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

/// Where the setting comes from, for messages: the flag, and the variable that holds it
/// (`TENANCY_DATABASE_URL` wins over `DATABASE_URL`).
pub fn setting() -> &'static str {
    if std::env::var_os(crate::config::DATABASE_URL_ENV).is_some_and(|v| !v.is_empty()) {
        "--database-url / TENANCY_DATABASE_URL"
    } else {
        "--database-url / DATABASE_URL"
    }
}

/// The SQLite file a `sqlite:` URL names, made absolute; `None` for other engines and for
/// in-memory databases.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return None;
    }
    let path = PathBuf::from(path);
    Some(match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path,
    })
}

/// The database as start-up lines and errors show it: a SQLite file as an absolute path, any
/// other URL without its password.
pub fn display(url: &str) -> String {
    if let Some(path) = sqlite_path(url) {
        return path.display().to_string();
    }
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Removes the URL's password from a message (drivers may echo their URL).
pub fn redact(url: &str, message: String) -> String {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        Some(password) if !password.is_empty() => message.replace(&password, "***"),
        _ => message,
    }
}

/// The innermost cause of an error: drivers wrap one message in several layers that each
/// repeat it, so the chain would print it twice.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// One line for a failed connection: the database, the setting, the cause and a hint.
pub fn connect_error(url: &str, err: &sea_orm::DbErr) -> anyhow::Error {
    let cause = redact(url, root_cause(err));
    let hint = if let Some(path) = sqlite_path(url) {
        let dir = path
            .parent()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        if url.contains("mode=rwc") {
            format!("check that the directory {dir} exists and is writable")
        } else {
            "check that the file exists, or add ?mode=rwc to the URL to create it".to_owned()
        }
    } else {
        "check that the server runs and accepts connections there, and the user, password \
         and database name (form: postgres://USER:PASSWORD@HOST:PORT/DB)"
            .to_owned()
    };
    anyhow::anyhow!(
        "cannot open the database {} ({}): {cause}; hint: {hint}",
        display(url),
        setting()
    )
}

/// One direct PostgreSQL connection attempt (closed at once): its error, if any.
pub async fn direct_attempt(url: &str) -> Option<sea_orm::DbErr> {
    use sea_orm::sqlx::Connection;
    if !url.starts_with("postgres") {
        return None;
    }
    let attempt = sea_orm::sqlx::postgres::PgConnection::connect(url);
    match tokio::time::timeout(std::time::Duration::from_secs(5), attempt).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            None
        }
        Ok(Err(err)) => Some(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
            std::sync::Arc::new(err),
        ))),
        Err(_) => Some(sea_orm::DbErr::Custom(
            "no answer within 5 s (a firewall, or the wrong host?)".to_owned(),
        )),
    }
}

/// Refuses a database that a read-only verb cannot use: missing, or not migrated.
pub async fn require_migrated(db: &DatabaseConnection, url: &str) -> anyhow::Result<()> {
    let pending = super::schema::pending(db).await.len();
    if pending > 0 {
        anyhow::bail!(
            "the database {} ({}) is not migrated ({pending} migrations pending) and a \
             dry run never changes it; hint: run `tenancy-gateway migrate` first, or pass --apply",
            display(url),
            setting()
        );
    }
    Ok(())
}

/// Closes the pool of a run that wrote nothing (a dry run), without a checkpoint: a
/// read-only connection cannot merge the write-ahead log (beside a running server SQLite
/// answers "disk I/O error"), and there is nothing of its own to merge.
pub async fn release(db: DatabaseConnection) {
    let _ = db.close().await;
}

/// Merges SQLite's write-ahead log into the database file and closes the pool, so that a copy
/// of the file taken after a clean stop holds every write.
pub async fn close(db: DatabaseConnection) {
    if db.get_database_backend() == DbBackend::Sqlite
        && let Err(err) = db
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
    {
        tracing::warn!(error = %err, "the SQLite checkpoint at shutdown failed");
    }
    let _ = db.close().await;
}
