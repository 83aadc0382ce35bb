//! PostgreSQL stopped and restarted under a running service.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::support::{PgCluster, TestApp, admin, error_code};

const READ: &str = r#"{ organization(shortName: "MITx") { shortName } }"#;
const WRITE: &str = r#"mutation($n: String!) { ensureOrganization(shortName: $n) { created organization { shortName } } }"#;

/// Words of driver, pool or network errors that must not reach a client.
const DRIVER_TEXT: &[&str] = &[
    "sqlx",
    "pool",
    "connect",
    "refused",
    "postgres",
    "database",
    "timed out",
    "timeout",
    "io error",
    "127.0.0.1",
    "shutdown",
    "terminat",
];

async fn readyz(app: &TestApp) -> StatusCode {
    app.client()
        .get(app.url("/readyz"))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .expect("/readyz answers")
        .status()
}

/// Polls `/readyz` until it answers `want`; how long that took.
async fn readyz_becomes(app: &TestApp, want: StatusCode, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = readyz(app).await;
        if status == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "/readyz still answers {status} after {:?} (want {want})",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A GraphQL request that must answer within `within`: the body, and how long it took.
async fn timed(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (Value, Duration) {
    let started = Instant::now();
    let request = async {
        match token {
            Some(token) => app.as_user(token, query, variables).await,
            None => app.gql(query, variables).await,
        }
    };
    let body = tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .unwrap_or_else(|_| panic!("no answer within 10 s to {query}"));
    (body, started.elapsed())
}

fn assert_clean_internal(body: &Value) {
    assert_eq!(error_code(body), "INTERNAL", "{body:#}");
    assert_eq!(body["errors"][0]["message"], "internal error", "{body:#}");
    let errors = body["errors"].to_string().to_ascii_lowercase();
    for word in DRIVER_TEXT {
        assert!(!errors.contains(word), "driver text {word:?} in {body:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_reports_the_outage_and_recovers_by_itself() {
    let test_started = Instant::now();
    let Some(cluster) = tokio::task::spawn_blocking(PgCluster::start)
        .await
        .expect("join")
    else {
        return;
    };
    let admin_db = sea_orm::Database::connect(cluster.url())
        .await
        .expect("connect to the cluster");
    admin_db
        .execute_unprepared("CREATE DATABASE tenancy")
        .await
        .expect("create database");
    admin_db.close().await.ok();
    let url = format!("postgres://postgres@127.0.0.1:{}/tenancy", cluster.port);
    // What a query meets while the database is down, so no response cache: it may answer a
    // repeated read from memory until its change feed notices the outage (correct, as nothing
    // can be written meanwhile, but not what this test is about).
    let app = TestApp::spawn_on(&url, |c| c.response_cache.enabled = false).await;
    let token = admin();

    // Up: ready, reads and writes work.
    assert_eq!(readyz(&app).await, StatusCode::OK);
    app.admin_data(WRITE, json!({ "n": "MITx" })).await;
    assert_eq!(
        app.data(READ, json!({})).await,
        json!({ "organization": { "shortName": "MITx" } })
    );

    // A subscriber rides the outage out: it is still there afterwards and loses nothing.
    let mut subscriber = crate::live::Events::open(&app, json!({}), None).await;

    // Down.
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.pg_stop_fast();
        cluster
    })
    .await
    .expect("join");
    // Each of these waits for the pool's acquire timeout (5 s), so they run side by side.
    let stopped = Instant::now();
    let (unready_after, (read, read_took), (write, write_took)) = tokio::join!(
        readyz_becomes(
            &app,
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10)
        ),
        timed(&app, None, READ, json!({})),
        timed(&app, Some(&token), WRITE, json!({ "n": "HarvardX" })),
    );
    assert_clean_internal(&read);
    assert_clean_internal(&write);
    let down_for = stopped.elapsed();

    // Up again on the same port: the service notices by itself.
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.pg_start();
        cluster
    })
    .await
    .expect("join");
    let restarted = Instant::now();
    readyz_becomes(&app, StatusCode::OK, Duration::from_secs(15)).await;
    loop {
        let (body, _) = timed(&app, None, READ, json!({})).await;
        if body.get("errors").is_none() {
            assert_eq!(
                body["data"],
                json!({ "organization": { "shortName": "MITx" } })
            );
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(15),
            "queries still fail 15 s after the restart: {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_after = restarted.elapsed();
    let created = app.admin_data(WRITE, json!({ "n": "HarvardX" })).await;
    assert_eq!(
        created["ensureOrganization"]["created"], true,
        "the write during the outage wrote nothing"
    );
    let after_outage = subscriber.changes(1).await;
    assert_eq!(
        after_outage[0]["key"], "HarvardX",
        "the subscription survived the outage"
    );
    drop(app);
    drop(cluster);
    eprintln!(
        "PostgreSQL restart: /readyz 503 after {unready_after:?}, a read failed in {read_took:?}, \
         a write in {write_took:?} (down {down_for:?}); recovered {recovered_after:?} after the \
         restart; the test {:?}",
        test_started.elapsed()
    );
}
