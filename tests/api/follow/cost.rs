//! What following costs an LMS that changes nothing: one statement per followed table each
//! round (counted at the source connection), and each engine runs the feed statement as index
//! ranges on its primary keys, never a scan of the table (asked with the engine's own EXPLAIN
//! on a source of 20,000 links).

use std::process::Command;
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use tenancy_gateway::domain::follow::Feed;
use tenancy_gateway::repo::import::feed::{self, LINKS, ORGANIZATIONS};

use super::{INTERVAL, eventually, following, metric};
use crate::import::{django_url, peer_script, python, source_database};
use crate::support::{Backend, TestApp};

/// Statements of an idle round: the organizations' feed, the links' feed, and one digest of
/// the small tables (sites, site configurations).
const PER_IDLE_ROUND: f64 = 3.0;

/// A source filled in bulk by the real app's tables (tests/python/orgs_peer/fill_bulk.py).
async fn bulk_source(engine: &str) -> Option<(String, Option<tempfile::TempDir>)> {
    let python = python()?;
    let (url, guard) = source_database(engine).await?;
    let out = tokio::task::block_in_place(|| {
        Command::new(python)
            .arg(peer_script("fill_bulk.py"))
            .args(["2000", "20000"])
            .env("ORGS_PEER_DATABASE", django_url(&url))
            .output()
            .unwrap()
    });
    assert!(
        out.status.success(),
        "fill_bulk.py on {engine}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((url, guard))
}

/// The engine's plan of the feed statement, as text.
async fn plan(url: &str, statement: Statement) -> String {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let explain = match backend {
        DbBackend::Sqlite => "EXPLAIN QUERY PLAN ",
        _ => "EXPLAIN ",
    };
    let sql = format!("{explain}{}", statement.sql);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            statement.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .unwrap();
    let mut text = Vec::new();
    let column = |row: &sea_orm::QueryResult, name: &str| {
        row.try_get::<Option<String>>("", name)
            .map(Option::unwrap_or_default)
            .or_else(|_| {
                row.try_get::<Option<Vec<u8>>>("", name)
                    .map(|v| String::from_utf8_lossy(&v.unwrap_or_default()).into_owned())
            })
            .unwrap_or_default()
    };
    for row in rows {
        match backend {
            // MariaDB: the table, its access type and the index used.
            DbBackend::MySql => {
                for name in ["table", "type", "key"] {
                    text.push(column(&row, name));
                }
            }
            // PostgreSQL's one text column; SQLite's `detail`.
            DbBackend::Postgres => text.push(column(&row, "QUERY PLAN")),
            _ => text.push(column(&row, "detail")),
        }
        text.push("\n".into());
    }
    db.close().await.unwrap();
    text.join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_reads_index_ranges_on_every_engine() {
    for engine in ["sqlite", "postgres", "mariadb"] {
        let Some((url, _guard)) = bulk_source(engine).await else {
            continue;
        };
        let db = Database::connect(&url).await.unwrap();
        let backend = db.get_database_backend();
        // A history as long as the table (fill_bulk.py writes rows without one), and the
        // statistics an installation's database would have.
        db.execute_unprepared(
            "INSERT INTO organizations_historicalorganizationcourse (id, created, modified, \
             course_id, active, history_date, history_type, organization_id) SELECT id, created, \
             modified, course_id, active, modified, '+', organization_id \
             FROM organizations_organizationcourse",
        )
        .await
        .unwrap();
        let analyze = match backend {
            DbBackend::MySql => "ANALYZE TABLE organizations_historicalorganizationcourse",
            _ => "ANALYZE organizations_historicalorganizationcourse",
        };
        db.execute_unprepared(analyze).await.unwrap();
        db.close().await.unwrap();
        // An idle round: above the largest ids, with a gap below.
        let links = Feed {
            top: 20_000,
            gaps: vec![(19_990, 0)],
        };
        let history = Feed {
            top: 20_000,
            gaps: Vec::new(),
        };
        let text = plan(
            &url,
            feed::changed_statement(backend, &LINKS, &links, &history),
        )
        .await;
        let orgs = Feed {
            top: 2000,
            gaps: Vec::new(),
        };
        let none = Feed::default();
        let org_text = plan(
            &url,
            feed::changed_statement(backend, &ORGANIZATIONS, &orgs, &none),
        )
        .await;
        let checked = [
            (LINKS.table, &text),
            (LINKS.history, &text),
            (ORGANIZATIONS.table, &org_text),
        ];
        for (table, text) in checked {
            let lines: Vec<&str> = text.lines().filter(|l| l.contains(table)).collect();
            assert!(
                !lines.is_empty(),
                "{engine}: {table} not in the plan:\n{text}"
            );
            for line in lines {
                let scan = match backend {
                    // SQLite: SEARCH ... USING INTEGER PRIMARY KEY, not SCAN.
                    DbBackend::Sqlite => line.contains("SCAN") || !line.contains("PRIMARY KEY"),
                    // PostgreSQL: an index scan on the primary key, not Seq Scan.
                    DbBackend::Postgres => line.contains("Seq Scan"),
                    // MariaDB: access type `range` (or `index_merge`), not `ALL`.
                    _ => line.split_whitespace().any(|w| w == "ALL"),
                };
                assert!(!scan, "{engine}: {table} is scanned:\n{text}");
            }
        }
        eprintln!("follow feed on {engine}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_round_costs_one_statement_per_followed_table() {
    let Some((url, _guard)) = bulk_source("postgres").await else {
        return;
    };
    let app = TestApp::spawn_with(Backend::Sqlite, following(&url))
        .await
        .unwrap();
    let client = app.client().clone();
    let base = format!("http://{}", app.addr);
    let series = |name: &str| format!("tenancy_follow_{name}");
    let statements = series("source_statements_total{source=\"lms\"}");
    let idle = series("rounds_total{outcome=\"idle\"}");
    // The first round imports 20,000 links; then rounds find nothing.
    eventually("idle rounds", Duration::from_secs(60), || async {
        (metric(&client, &base, &idle).await >= 2.0).then_some(())
    })
    .await;
    let before = (
        metric(&client, &base, &statements).await,
        metric(&client, &base, &idle).await,
    );
    tokio::time::sleep(INTERVAL * 12).await;
    let after = (
        metric(&client, &base, &statements).await,
        metric(&client, &base, &idle).await,
    );
    let rounds = after.1 - before.1;
    let spent = after.0 - before.0;
    eprintln!("follow: {rounds} idle rounds ran {spent} statements on the source");
    assert!(rounds >= 5.0, "only {rounds} rounds in {:?}", INTERVAL * 12);
    // A round in flight at either reading may have run some of its statements.
    assert!(
        (spent - PER_IDLE_ROUND * rounds).abs() <= PER_IDLE_ROUND,
        "{spent} statements for {rounds} idle rounds"
    );
    assert_eq!(
        metric(&client, &base, &series("rounds_total{outcome=\"failed\"}")).await,
        0.0
    );
}
