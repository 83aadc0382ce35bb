//! Replicas starting together: each `serve` migrates under a database lock, so four
//! processes started at once on an empty PostgreSQL all become ready and the schema is migrated
//! once; `--no-migrate` leaves it to `migrate`, and `migrate --check` tells a pipeline whether
//! anything is pending.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use sea_orm::ConnectionTrait;

use crate::support::{Backend, SECRET, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

fn serve(url: &str, extra: &[&str]) -> Child {
    Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("DATABASE_URL", url)
        .env("TENANCY_JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The address a started service prints, or its stderr when it exits instead.
fn address(child: &mut Child) -> Result<String, String> {
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    match line.trim().strip_prefix("listening on http://") {
        Some(addr) => Ok(addr.to_owned()),
        None => {
            let _ = child.wait();
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            Err(err)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_replicas_starting_together_migrate_once() {
    let Some((url, _dir)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let mut children: Vec<Child> = (0..4).map(|_| serve(&url, &[])).collect();
    let addrs: Vec<Result<String, String>> = children.iter_mut().map(address).collect();
    for (i, addr) in addrs.iter().enumerate() {
        let addr = addr
            .as_ref()
            .unwrap_or_else(|err| panic!("replica {i} failed: {err}"));
        let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
        assert_eq!(ready.status(), 200, "replica {i}");
    }
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM seaql_migrations".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    let migrations = <migration::Migrator as migration::MigratorTrait>::migrations().len() as i64;
    assert_eq!(
        row.try_get_by_index::<i64>(0).unwrap(),
        migrations,
        "each migration applied once"
    );
    for mut child in children {
        child.kill().ok();
        child.wait().ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_migrate_leaves_migrations_to_the_migrate_verb() {
    let (url, _dir) = fresh_database(Backend::Sqlite).await.unwrap();
    let check = |url: &str| {
        Command::new(BIN)
            .args(["migrate", "--check"])
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    };
    let pending = check(&url);
    assert_eq!(
        pending.status.code(),
        Some(1),
        "pending migrations fail the check"
    );
    assert!(
        String::from_utf8_lossy(&pending.stdout)
            .contains("pending: m20261123_000001_tenancy_graph")
    );
    // A replica that does not migrate starts on an empty database, and answers nothing useful.
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("TENANCY_MIGRATE", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = address(&mut child).unwrap();
    let still = check(&url);
    assert_eq!(
        still.status.code(),
        Some(1),
        "serve with TENANCY_MIGRATE=false migrated nothing"
    );
    let _ = addr;
    child.kill().ok();
    child.wait().ok();
    let applied = Command::new(BIN)
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(applied.status.success());
    let clean = check(&url);
    assert_eq!(clean.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("no pending migrations"));
}
