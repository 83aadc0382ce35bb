//! Database connection: the engine is chosen by the URL; every statement is counted.

pub mod open;
pub mod schema;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

use crate::metrics::{Metrics, PoolUsage};

/// Rows sqlx's SQLite worker thread may hand over before the reading task takes them.
const ROW_BUFFER: usize = 2048;

/// Connects, configures the engine and counts every statement in `metrics` (as the primary's).
/// Errors name the database (without its password) and say what to check.
pub async fn connect(url: &str, metrics: &Metrics) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, Some(metrics), false, "primary").await
}

/// Connects like `connect`; statements are counted in the total and under `pool` (`primary`,
/// `replica0`, ...).
pub async fn connect_pool(
    url: &str,
    metrics: &Metrics,
    pool: &str,
) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, Some(metrics), false, pool).await
}

/// A replica's pool for measuring it: its statements are not counted, so that the per-pool
/// statement counts in `/metrics` are the queries' own.
pub async fn connect_probe(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, None, false, "probe").await
}

/// Connects for reading only (dry runs): a SQLite file must exist and is opened read-only, and
/// the database must be migrated already; nothing is created or changed.
pub async fn connect_read_only(url: &str, metrics: &Metrics) -> anyhow::Result<DatabaseConnection> {
    connect_existing(url, metrics, true).await
}

/// Connects to a database that must exist and be migrated already, creating and migrating
/// nothing; `read_only` opens a SQLite file read-only. (`import`'s dry run plans by writing in
/// a transaction it rolls back, so it cannot open the file read-only.)
pub async fn connect_existing(
    url: &str,
    metrics: &Metrics,
    read_only: bool,
) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = open::sqlite_path(url)
        && !path.exists()
    {
        anyhow::bail!(
            "the database {} ({}) does not exist and a dry run never creates it; hint: run \
             `tenancy-gateway migrate` (or `seed --demo`, or `serve`) first, or pass --apply",
            path.display(),
            open::setting()
        );
    }
    let db = connect_with(url, Some(metrics), read_only, "primary").await?;
    open::require_migrated(&db, url).await?;
    Ok(db)
}

async fn connect_with(
    url: &str,
    metrics: Option<&Metrics>,
    read_only: bool,
    pool: &str,
) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5));
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the one writer; the busy timeout makes concurrent
        // writers wait for the lock instead of failing with SQLITE_BUSY.
        opts.max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(move |o| {
                let o = if read_only {
                    o.read_only(true).create_if_missing(false)
                } else {
                    o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                };
                o.synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .row_buffer_size(ROW_BUFFER)
            });
    } else if pool == "primary" {
        opts.max_connections(16).min_connections(1);
    } else if pool == "probe" {
        // One statement at a time, lazily like the replica's own pool.
        opts.max_connections(1)
            .min_connections(0)
            .connect_lazy(true)
            .acquire_timeout(Duration::from_secs(1))
            .connect_timeout(Duration::from_secs(1));
    } else {
        // A replica that is down at start must not stop the service: it is connected to when
        // first probed, and probed again until it answers.
        opts.max_connections(16)
            .min_connections(0)
            .connect_lazy(true)
            .acquire_timeout(Duration::from_secs(1))
            .connect_timeout(Duration::from_secs(1));
    }
    // A PostgreSQL pool reports a refused connection as "pool timed out" after its whole
    // acquire timeout: one direct attempt first gives the server's answer at once. (Not for a
    // replica, which may be down at start.)
    if pool == "primary"
        && let Some(err) = open::direct_attempt(url).await
    {
        return Err(open::connect_error(url, &err));
    }
    let mut db = Database::connect(opts)
        .await
        .map_err(|err| open::connect_error(url, &err))?;
    let Some(metrics) = metrics else {
        return Ok(db);
    };
    let statements = metrics.sql_statements.clone();
    let errors = metrics.sql_errors.clone();
    let by_pool = metrics.pool_statements.with_label_values(&[pool]);
    db.set_metric_callback(move |info| {
        statements.inc();
        by_pool.inc();
        if info.failed {
            errors.inc();
        }
    });
    Ok(db)
}

/// Applies pending migrations and returns their names (none when the schema is up to date).
/// On PostgreSQL under an advisory lock held by a transaction for the whole run, so replicas
/// starting together migrate once and the others wait, then find nothing to do (SQLite
/// serializes writers by itself). Logs only what it applies: sea-orm-migration's own lines
/// ("Applying all pending migrations") come only when something is pending.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    use sea_orm::TransactionTrait;
    if db.get_database_backend() != DbBackend::Postgres {
        return apply_pending(db).await;
    }
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    let result = apply_pending(db).await;
    lock.commit().await?;
    result
}

async fn apply_pending(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let pending: Vec<String> = Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if !pending.is_empty() {
        Migrator::up(db, None).await?;
        tracing::info!(count = pending.len(), "database migrated");
    }
    Ok(pending)
}

/// The migrations not applied yet (`migrate --check`).
pub async fn pending_migrations(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    Ok(Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// The advisory lock key of migrations ("migrate" in ASCII, as a number).
const MIGRATION_LOCK: i64 = 0x6d696772617465;

/// A cheap round trip for `/readyz`.
/// Bounded by one second: while the database is down the pool would otherwise wait its whole
/// acquire timeout, and a load balancer's health check would see a timeout instead of the 503.
pub async fn ping(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(1), db.execute_unprepared("SELECT 1")).await,
        Ok(Ok(_))
    )
}

/// The connection pool's current usage, for `/metrics`.
pub fn pool_usage(db: &DatabaseConnection) -> Option<PoolUsage> {
    // The backend is checked first: the pool getters panic on the other engine.
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some(usage(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ))
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some(usage(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ))
        }
        _ => None,
    }
}

fn usage(open: u32, idle: usize, max: u32) -> PoolUsage {
    PoolUsage {
        open,
        idle: u32::try_from(idle).unwrap_or(u32::MAX),
        max,
    }
}

pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Starts a write transaction. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE):
/// a deferred transaction that reads first and writes later fails with SQLITE_BUSY when another
/// writer committed in between, whereas an immediate one waits for the lock (busy timeout).
/// A write transaction (`begin_write`), or a read-only one: on PostgreSQL one snapshot
/// (repeatable read, read only), so a dry run reads a consistent state and cannot write.
pub async fn begin(
    db: &DatabaseConnection,
    write: bool,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{AccessMode, IsolationLevel, TransactionOptions, TransactionTrait};
    if write {
        return begin_write(db).await;
    }
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    db.begin_with_options(TransactionOptions {
        isolation_level: postgres.then_some(IsolationLevel::RepeatableRead),
        access_mode: postgres.then_some(AccessMode::ReadOnly),
        ..Default::default()
    })
    .await
}

/// A write transaction: on SQLite it takes the write lock up front (a deferred transaction
/// that read first could not upgrade once another writer committed).
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: sqlite.then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Where a PostgreSQL primary's WAL ends now: the LSN a replica must have replayed to show
/// everything committed so far (the consistency token of a mutation). The insert position, not
/// the write position: with `synchronous_commit = off` a commit record may not be written yet.
pub async fn primary_lsn(db: &DatabaseConnection) -> Option<u64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_wal_insert_lsn()::text",
        ))
        .await
        .ok()??;
    parse_lsn(&row.try_get_by_index::<String>(0).ok()?)
}

/// A streaming replica's replay position and the commit time of the last transaction it
/// replayed (seconds before now); `None` when it does not answer or is no replica.
pub async fn replica_position(db: &DatabaseConnection) -> Option<(u64, Option<f64>)> {
    let probe = db.query_one_raw(sea_orm::Statement::from_string(
        DbBackend::Postgres,
        "SELECT pg_last_wal_replay_lsn()::text, \
         EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8",
    ));
    let row = tokio::time::timeout(Duration::from_secs(1), probe)
        .await
        .ok()?
        .ok()??;
    let lsn = parse_lsn(&row.try_get_by_index::<Option<String>>(0).ok()??)?;
    Some((lsn, row.try_get_by_index::<Option<f64>>(1).ok()?))
}

/// `16/B374D848` (PostgreSQL's text form of an LSN) as a number.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}
