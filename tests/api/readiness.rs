//! Readiness tells the truth about the schema, on both engines: `serve --no-migrate`
//! on an unmigrated or half-migrated database answers `/readyz` 503 naming what is pending, so
//! a `--no-migrate` replica waits for the `migrate` job, and becomes ready once `migrate` has
//! run, without a restart; a ready service's probe reads no migration table. The `probe` verb
//! (the image's health check) says the same with its exit status.

use std::process::{Child, Command, Output, Stdio};

use migration::{Migrator, MigratorTrait};
use serde_json::json;

use crate::support::{Backend, fresh_database, http_client, listening_on};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

/// A service that is stopped when the test ends, passed or failed.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn serve_without_migrating(url: &str) -> Served {
    let child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--no-migrate"])
        .env_remove("TENANCY_DATABASE_URL")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Served(child)
}

async fn readyz(base: &str) -> (u16, String) {
    let res = http_client()
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn probe(url: &str) -> Output {
    Command::new(BIN).args(["probe", url]).output().unwrap()
}

/// Statements the service has run on its primary pool, read from `/metrics`.
async fn statements(base: &str) -> u64 {
    let text = http_client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("tenancy_sql_statements_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no tenancy_sql_statements_total in {text}"))
}

async fn behind_until_migrated(backend: Backend) {
    let Some((url, _dir)) = fresh_database(backend).await else {
        return;
    };
    let known = Migrator::migrations().len();
    let mut served = serve_without_migrating(&url);
    let base = listening_on(&mut served.0);

    let before = statements(&base).await;
    let (status, body) = readyz(&base).await;
    let read = statements(&base).await - before;
    assert!(read > 0, "an unready service reads its migration table");
    assert_eq!(status, 503, "unmigrated: {body}");
    assert!(
        body.contains(&format!("{known} of {known} migrations pending"))
            && body.contains("tenancy-gateway migrate"),
        "{body}"
    );
    let unready = probe(&format!("{base}/readyz"));
    assert_eq!(unready.status.code(), Some(1), "{unready:?}");
    let why = String::from_utf8_lossy(&unready.stderr);
    assert_eq!(why.lines().count(), 1, "one line: {why}");
    assert!(
        why.starts_with("not ready: ") && why.contains("503") && why.contains("pending"),
        "{why}"
    );

    // Half-migrated: the first migration only.
    let db = sea_orm::Database::connect(&url).await.unwrap();
    Migrator::up(&db, Some(1)).await.unwrap();
    db.close().await.unwrap();
    let (status, body) = readyz(&base).await;
    assert_eq!(status, 503, "half-migrated: {body}");
    assert!(
        body.contains(&format!("{} of {known} migrations pending", known - 1)),
        "{body}"
    );

    let migrated = Command::new(BIN)
        .arg("migrate")
        .env_remove("TENANCY_DATABASE_URL")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    let (status, body) = readyz(&base).await;
    assert_eq!((status, body.as_str()), (200, "ready"), "after migrate");
    let ready = probe(&format!("{base}/readyz"));
    assert!(ready.status.success(), "{ready:?}");
    assert_eq!(String::from_utf8_lossy(&ready.stdout).trim(), "ready");

    // The same process serves queries and writes now.
    let answer: serde_json::Value = http_client()
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ organizations { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({ "data": { "organizations": { "totalCount": 0 } } })
    );

    // Once ready, the schema answer is remembered: a probe reads no migration table (the
    // ping, run unprepared, is not counted either way).
    let before = statements(&base).await;
    for _ in 0..5 {
        assert_eq!(readyz(&base).await.0, 200);
    }
    assert_eq!(statements(&base).await - before, 0, "no reads once ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_not_ready_until_migrated() {
    behind_until_migrated(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_not_ready_until_migrated() {
    behind_until_migrated(Backend::Postgres).await;
}

#[test]
fn probe_of_a_service_that_is_not_there_fails_in_one_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let out = probe(&format!("http://{addr}/readyz"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let why = String::from_utf8_lossy(&out.stderr);
    assert_eq!(why.lines().count(), 1, "{why}");
    assert!(
        why.starts_with(&format!("not ready: http://{addr}/readyz did not answer")),
        "{why}"
    );
    let bad = Command::new(BIN)
        .args(["probe", "127.0.0.1:8000"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "a usage error: {bad:?}");
}
