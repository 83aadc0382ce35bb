//! A large insert into a PostgreSQL table without its secondary indexes and foreign keys: they
//! are dropped first and built again after. Building an index over a million rows is one sort
//! (0.3-0.7 s on the 2-core bench machine), keeping it up to date row by row costs 2-3 s, and
//! each row's foreign-key check (a trigger per row) adds 5 µs: a million links took 17 s to
//! insert with their four secondary indexes and foreign key, 2.2 s and 1.5 s of rebuilding
//! this way.
//!
//! Dropping takes the ACCESS EXCLUSIVE lock of the table and of the tables its foreign keys
//! reference, to the end of the transaction: their readers wait for the commit. So only writes
//! that at least double a large table do it (`worth_it`). DDL is transactional on PostgreSQL: a
//! failed or killed write leaves every index and key as it was.

use sea_orm::{ConnectionTrait, DbBackend, Value};

use super::{Sql, query};
use crate::error::{AppError, AppResult};

/// From this many new rows on, rebuilding may pay.
pub const REBUILD_FROM: usize = 10_000;

/// Whether inserting `new` rows into `table` is worth rebuilding its indexes: PostgreSQL, at
/// least `REBUILD_FROM` rows, and at least as many as the table holds (a rebuild sorts them
/// all). The rows are counted only when the planner's estimate does not already say the table
/// is far larger (counting fifty million links to import ten thousand would cost seconds).
pub async fn worth_it<C: ConnectionTrait>(db: &C, table: &str, new: usize) -> AppResult<bool> {
    if db.get_database_backend() != DbBackend::Postgres || new < REBUILD_FROM {
        return Ok(false);
    }
    let sql = format!(
        "SELECT CASE WHEN reltuples > 2 * $1::float8 THEN reltuples::bigint \
         ELSE (SELECT COUNT(*) FROM {table}) END FROM pg_class WHERE oid = $2::regclass"
    );
    let rows = query(db, &pg(&sql), vec![(new as i64).into(), table.into()]).await?;
    let held: i64 = first(&rows)?.unwrap_or(0);
    Ok(new as i64 >= held)
}

/// A table this transaction holds the ACCESS EXCLUSIVE lock of (and of those it references):
/// no one else reads or writes them until the commit.
pub struct Locked {
    table: String,
}

/// How long to wait for the locks before inserting with the indexes in place instead: less
/// than PostgreSQL's default `deadlock_timeout` (1 s), so that when a writer holding one of the
/// tables waits for this transaction, this one gives way before either is called a deadlock
/// victim; and readers queued behind the lock request wait at most this long for it.
const LOCK_WAIT: &str = "500ms";

/// Locks `table`, so that its indexes and foreign keys may be dropped, and the tables its
/// foreign keys reference (dropping one takes the referenced table's ACCESS EXCLUSIVE lock too:
/// its triggers go). Those are locked first, in the order writers take them (an organization,
/// then its links). `None` (nothing locked) when this role does not own them all, which it must
/// to drop and add the keys, or when the locks are not granted within `LOCK_WAIT` (another
/// transaction holds one of the tables, perhaps while it waits for rows this one wrote).
pub async fn lock<C: ConnectionTrait>(db: &C, table: &str) -> AppResult<Option<Locked>> {
    let referenced = query(
        db,
        &pg(
            "SELECT DISTINCT confrelid::regclass::text FROM pg_constraint \
             WHERE conrelid = $1::regclass AND contype = 'f' AND confrelid <> conrelid",
        ),
        vec![table.into()],
    )
    .await?;
    let mut tables = referenced
        .iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect::<Result<Vec<_>, _>>()?;
    tables.push(table.to_owned());
    let owned = query(
        db,
        &pg(
            "SELECT bool_and(pg_has_role(relowner, 'USAGE')) FROM pg_class \
             WHERE oid = ANY($1::text[]::regclass[])",
        ),
        vec![tables.clone().into()],
    )
    .await?;
    if first::<bool>(&owned)? != Some(true) {
        return Ok(None);
    }
    // In a savepoint, so that a lock not granted leaves the transaction as it was; the
    // timeout is set inside it and put back before it is released.
    db.execute_unprepared("SAVEPOINT tenancy_rebuild_lock")
        .await?;
    db.execute_unprepared(&format!("SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        .await?;
    let locked = db
        .execute_unprepared(&format!(
            "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
            tables.join(", ")
        ))
        .await;
    match locked.map_err(AppError::from) {
        Ok(_) => {
            db.execute_unprepared("SET LOCAL lock_timeout TO DEFAULT")
                .await?;
            db.execute_unprepared("RELEASE SAVEPOINT tenancy_rebuild_lock")
                .await?;
            Ok(Some(Locked {
                table: table.to_owned(),
            }))
        }
        Err(e) if e.sqlstate().as_deref() == Some(LOCK_NOT_AVAILABLE) => {
            db.execute_unprepared("ROLLBACK TO SAVEPOINT tenancy_rebuild_lock")
                .await?;
            tracing::info!(table, "tables busy: inserting with their indexes in place");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// SQLSTATE of a lock not granted within `lock_timeout`.
const LOCK_NOT_AVAILABLE: &str = "55P03";

impl Locked {
    /// Drops the table's indexes, but the primary key and those backing constraints, and its
    /// foreign keys. Its unique indexes go too: the caller inserts only rows it knows to be
    /// missing (the lock keeps them missing), and building the index again checks it.
    pub async fn drop_indexes<C: ConnectionTrait>(self, db: &C) -> AppResult<Deferred> {
        let table = self.table;
        let indexes = pairs(
            db,
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = $1::regclass AND NOT i.indisprimary \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
             ORDER BY c.relname",
            &table,
        )
        .await?;
        let foreign_keys = pairs(
            db,
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname",
            &table,
        )
        .await?;
        for (name, _) in &foreign_keys {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT {}",
                ident(name)
            ))
            .await?;
        }
        for (name, _) in &indexes {
            db.execute_unprepared(&format!("DROP INDEX {}", ident(name)))
                .await?;
        }
        Ok(Deferred {
            table,
            indexes: indexes
                .into_iter()
                .map(|(_, definition)| definition)
                .collect(),
            foreign_keys,
        })
    }
}

/// What was dropped from a table, to be built again by `restore`.
pub struct Deferred {
    table: String,
    /// `CREATE INDEX` statements, as PostgreSQL describes the indexes.
    indexes: Vec<String>,
    /// Foreign keys: (name, definition).
    foreign_keys: Vec<(String, String)>,
}

impl Deferred {
    /// Builds the dropped indexes and foreign keys again (adding a foreign key checks every row
    /// with one join, not a trigger per row; a unique index checks its rows as it is built).
    pub async fn restore<C: ConnectionTrait>(self, db: &C) -> AppResult<()> {
        for definition in &self.indexes {
            db.execute_unprepared(definition).await?;
        }
        for (name, definition) in &self.foreign_keys {
            db.execute_unprepared(&format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
                self.table,
                ident(name)
            ))
            .await?;
        }
        Ok(())
    }
}

fn pg(text: &str) -> Sql {
    Sql::new(DbBackend::Postgres, text)
}

/// Two text columns of every row, for the query `sql` about `table` (its `$1`).
async fn pairs<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    table: &str,
) -> AppResult<Vec<(String, String)>> {
    let rows = query(db, &pg(sql), vec![Value::from(table)]).await?;
    let pairs = rows
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    Ok(pairs)
}

/// The first column of the first row.
fn first<T: sea_orm::TryGetable>(rows: &[sea_orm::QueryResult]) -> AppResult<Option<T>> {
    Ok(rows.first().map(|r| r.try_get_by_index(0)).transpose()?)
}

/// A PostgreSQL identifier, quoted.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
