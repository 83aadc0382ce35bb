//! Whether a database has every migration this binary knows: `/readyz` is not ready while any
//! is pending (a `--no-migrate` replica waits for the `migrate` job), and the read-only verbs
//! refuse such a database.
//!
//! `seaql_migrations` is read directly: sea-orm-migration's own check creates that table, and
//! neither a probe nor a dry run may write.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// The migrations of this binary that the database has not applied, oldest first; all of them
/// when it has no migration table. A database ahead of the binary (a newer release migrated it)
/// has none pending.
pub async fn pending(db: &DatabaseConnection) -> Vec<String> {
    let applied: Vec<String> = match db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await
    {
        Ok(rows) => rows
            .iter()
            .filter_map(|row| row.try_get::<String>("", "version").ok())
            .collect(),
        Err(err) => {
            tracing::debug!(error = %err, "no migration table readable: nothing applied");
            Vec::new()
        }
    };
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|name| !applied.contains(name))
        .collect()
}

/// The schema as `/readyz` sees it: read until the database has every migration, then
/// remembered (migrations are never undone under a running service), so a ready service's
/// probes cost no statement for it.
#[derive(Clone, Debug, Default)]
pub struct SchemaState {
    current: Arc<AtomicBool>,
}

impl SchemaState {
    /// `Ok` when every migration is applied, else what is still pending.
    pub async fn check(&self, db: &DatabaseConnection) -> Result<(), Behind> {
        if self.current.load(Ordering::Acquire) {
            return Ok(());
        }
        let pending = pending(db).await;
        if pending.is_empty() {
            self.current.store(true, Ordering::Release);
            Ok(())
        } else {
            Err(Behind {
                pending,
                known: Migrator::migrations().len(),
            })
        }
    }
}

/// A database behind the binary: the migrations it lacks, of the `known` ones.
#[derive(Debug)]
pub struct Behind {
    pub pending: Vec<String>,
    pub known: usize,
}
