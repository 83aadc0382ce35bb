//! Fault tests: a backfill killed mid-run leaves the database as it was (SQLite and PostgreSQL),
//! and PostgreSQL stopped and restarted under a running service is reported by `/readyz`,
//! answered with a clean `INTERNAL` error while it is down, and recovered from with no restart.

use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use entity::{course_link, organization};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Statement};

use crate::support::{Backend, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

/// One `COUNT(*)` on `db`.
async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("n")
}

mod backfill_killed;
mod postgres_restarted;
