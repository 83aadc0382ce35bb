//! Read replicas on real PostgreSQL streaming replication: `scripts/test.sh` makes a
//! replica of the test cluster with `pg_basebackup -R` (`TENANCY_TEST_POSTGRES_REPLICA_URL`).
//! A replica that has not replayed the service's migrations is not read from; queries read from
//! it once it has (counted per pool in `/metrics`); with its replay paused, a query that sends
//! the consistency token of a write still sees it (from the primary), a query without one reads
//! the replica only while its lag is within the bound, and `/readyz` reports it lagging; a
//! replica that is down is skipped; a query that fails on a replica is answered by the primary.
//! One test pauses replay, so the shared replica is paused by no one else, and replay is
//! resumed even when it fails.

use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, admin, fresh_database};

const CREATE: &str =
    r#"mutation($s: String!) { ensureOrganization(shortName: $s) { organization { shortName } } }"#;
const READ: &str = r#"query($s: String!) { organization(shortName: $s) { shortName } }"#;

/// The replica's URL for the database `primary_url` names, or `None` (skip) outside CI.
fn replica_url(primary_url: &str) -> Option<String> {
    let Ok(replica) = std::env::var("TENANCY_TEST_POSTGRES_REPLICA_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "TENANCY_TEST_POSTGRES_REPLICA_URL must be set in CI (scripts/test.sh sets it)"
        );
        eprintln!(
            "skipped: TENANCY_TEST_POSTGRES_REPLICA_URL is not set (scripts/test.sh sets it)"
        );
        return None;
    };
    let (base, _) = replica.rsplit_once('/').unwrap();
    let (_, name) = primary_url.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

/// Resumes replay when dropped, so a failing test leaves the shared replica running.
struct Resume(String);

impl Drop for Resume {
    fn drop(&mut self) {
        let url = self.0.clone();
        let _ = std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                if let Ok(db) = sea_orm::Database::connect(&url).await {
                    let _ = db.execute_unprepared("SELECT pg_wal_replay_resume()").await;
                }
            })
        })
        .join();
    }
}

async fn readyz(app: &TestApp) -> (u16, String) {
    let r = app.client().get(app.url("/readyz")).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn until_ready_says(app: &TestApp, what: &str) -> String {
    let start = Instant::now();
    loop {
        let (status, body) = readyz(app).await;
        assert_eq!(status, 200, "ready while the primary is up: {body}");
        if body.contains(what) {
            return body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "/readyz never said {what:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn read(app: &TestApp, name: &str, token: Option<&str>) -> Value {
    let body = app
        .gql_with(READ, json!({ "s": name }), |r| match token {
            Some(t) => r.header("x-tenancy-consistency", t),
            None => r,
        })
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["organization"].clone()
}

/// Reads `name` (sending `token`) until the replica serves a read (its statement count moves),
/// and returns that answer. Within the lag bound: a replica replays a write well within it and
/// is measured every 250 ms; on a busy cluster (other tests writing) a measurement or two may
/// pass before it is seen to have replayed the token's position.
async fn until_read_from_replica(app: &TestApp, name: &str, token: Option<&str>) -> Value {
    let start = Instant::now();
    loop {
        let before = replica_statements(app).await;
        let seen = read(app, name, token).await;
        if replica_statements(app).await > before {
            return seen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "queries never read the replica (token {token:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn fallbacks(app: &TestApp) -> f64 {
    app.metric(r#"tenancy_replica_fallbacks_total{pool="replica0"}"#)
        .await
}

async fn replica_statements(app: &TestApp) -> f64 {
    app.metric(r#"tenancy_db_pool_statements_total{pool="replica0"}"#)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_read_from_a_streaming_replica_within_the_lag_bound() {
    let Some((url, _)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let Some(replica) = replica_url(&url) else {
        return;
    };
    // The new database reaches the replica by replication.
    let start = Instant::now();
    let replica_db = loop {
        if let Ok(db) = sea_orm::Database::connect(&replica).await {
            break db;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the database never reached the replica"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Replay paused before the service migrates: the replica lacks its tables.
    replica_db
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .unwrap();
    let _resume = Resume(replica.clone());
    let replica_for_config = replica.clone();
    let app = TestApp::spawn_on(&url, move |c| {
        c.database_replica_urls = vec![replica_for_config];
        c.replica_max_lag = Duration::from_secs(1);
    })
    .await;
    let token = admin();
    until_ready_says(&app, "replica0: behind the schema (not read from)").await;
    let before = replica_statements(&app).await;
    assert_eq!(read(&app, "MITx", None).await, Value::Null);
    assert_eq!(
        replica_statements(&app).await,
        before,
        "a replica without the schema is not read from"
    );
    assert_eq!(fallbacks(&app).await, 0.0, "nor tried and failed");
    replica_db
        .execute_unprepared("SELECT pg_wal_replay_resume()")
        .await
        .unwrap();

    let created = app.as_user(&token, CREATE, json!({ "s": "MITx" })).await;
    let consistency = created["extensions"]["consistency"]
        .as_str()
        .unwrap()
        .to_owned();
    until_ready_says(&app, "replica0: ok").await;

    // A query reads from the replica (its pool's statement count moves), with or without the
    // token of a write the replica has replayed.
    let seen = until_read_from_replica(&app, "MITx", Some(&consistency)).await;
    assert_eq!(
        seen["shortName"], "MITx",
        "the replica has replayed the token"
    );
    // Without the token a query may be up to the lag bound behind: it sees the write once the
    // replica has replayed it, which happens well within the bound.
    let start = Instant::now();
    while read(&app, "MITx", None).await["shortName"] != "MITx" {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "not seen within the lag bound"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    until_read_from_replica(&app, "MITx", None).await;

    // Replay paused: a write the replica does not have.
    replica_db
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .unwrap();
    let paused = app
        .as_user(&token, CREATE, json!({ "s": "HarvardX" }))
        .await;
    assert!(paused.get("errors").is_none(), "{paused}");
    let written = Instant::now();
    let token2 = paused["extensions"]["consistency"]
        .as_str()
        .unwrap()
        .to_owned();
    // With its token the write is seen at once (the primary answers), at every moment.
    for _ in 0..5 {
        assert_eq!(
            read(&app, "HarvardX", Some(&token2)).await["shortName"],
            "HarvardX"
        );
    }
    // Without it a query may miss the write only while the replica is within the lag bound
    // (plus one measurement interval, 250 ms). The lag is how long the replica has been seen
    // behind the primary, known to within one measurement interval: it is not called lagging
    // before the bound less that interval has passed since the write (nor long after).
    let body = until_ready_says(&app, "replica0: lagging").await;
    assert!(body.starts_with("ready"), "{body}");
    assert!(
        written.elapsed() >= Duration::from_millis(750),
        "lagging only past the bound, less one interval: {:?}",
        written.elapsed()
    );
    let seen = read(&app, "HarvardX", None).await;
    assert_eq!(
        seen["shortName"], "HarvardX",
        "a lagging replica is not read from"
    );
    let before = replica_statements(&app).await;
    read(&app, "MITx", None).await;
    assert_eq!(
        replica_statements(&app).await,
        before,
        "the lagging replica is skipped"
    );

    replica_db
        .execute_unprepared("SELECT pg_wal_replay_resume()")
        .await
        .unwrap();
    until_ready_says(&app, "replica0: ok").await;
    // Caught up: read from the replica again.
    let seen = until_read_from_replica(&app, "HarvardX", Some(&token2)).await;
    assert_eq!(seen["shortName"], "HarvardX");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_is_down_is_skipped_and_reported() {
    let Some((url, _)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    // Nothing listens on this port: a replica that is down (the shared one stays up).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_on(&url, move |c| {
        c.database_replica_urls = vec![format!("postgres://postgres@127.0.0.1:{port}/postgres")];
    })
    .await;
    let created = app.as_user(&admin(), CREATE, json!({ "s": "MITx" })).await;
    assert!(created.get("errors").is_none(), "{created}");
    until_ready_says(&app, "replica0: down").await;
    for _ in 0..5 {
        assert_eq!(read(&app, "MITx", None).await["shortName"], "MITx");
    }
    assert_eq!(
        app.metric(r#"tenancy_replica_lag_seconds{pool="replica0"}"#)
            .await,
        -1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_that_fails_on_a_replica_is_answered_by_the_primary() {
    let Some((url, _)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let Some(replica) = replica_url(&url) else {
        return;
    };
    // A real replica, caught up, but of the wrong database ("postgres", which has none of our
    // tables): every query sent there fails on the replica.
    let (base, _) = replica.rsplit_once('/').unwrap();
    let wrong = format!("{base}/postgres");
    let app = TestApp::spawn_on(&url, move |c| {
        c.database_replica_urls = vec![wrong];
    })
    .await;
    let created = app.as_user(&admin(), CREATE, json!({ "s": "MITx" })).await;
    assert!(created.get("errors").is_none(), "{created}");
    until_ready_says(&app, "replica0: ok").await;
    let before = replica_statements(&app).await;
    let body = app.gql(READ, json!({ "s": "MITx" })).await;
    assert!(
        body.get("errors").is_none(),
        "the client sees no error: {body}"
    );
    assert_eq!(body["data"]["organization"]["shortName"], "MITx");
    assert!(
        replica_statements(&app).await > before,
        "it was tried on the replica"
    );
    assert_eq!(fallbacks(&app).await, 1.0, "and counted as a fallback");
}
