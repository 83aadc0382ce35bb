//! A large import into PostgreSQL while the service reads and writes links: the
//! import holds `course_link`'s lock while its indexes are rebuilt (`repo::bulk::rebuild`), so
//! a read and a write that arrive then wait for its commit and answer without error; the write
//! of a link the import also creates finds it (no duplicate, logged once), and every index is
//! back afterwards. An import that cannot have the locks within half a second (a transaction
//! holds one of the tables) inserts with the indexes in place instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use tenancy_gateway::domain::import::{SourceLink, SourceOrg, Sources};

use crate::support::{Backend, TestApp, admin};

const LINKS: usize = 12_000;

fn sources(links: usize) -> Sources {
    Sources {
        organizations: vec![SourceOrg {
            short_name: "ImpA".into(),
            name: "ImpA University".into(),
            description: None,
            logo: None,
            active: true,
        }],
        links: (0..links)
            .map(|i| SourceLink {
                course_key: format!("course-v1:ImpA+R{i}+2024"),
                short_name: "ImpA".into(),
                active: true,
            })
            .collect(),
        ..Sources::default()
    }
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    scalar_in(&app.db, sql).await
}

/// Whether some transaction holds `course_link`'s ACCESS EXCLUSIVE lock now.
async fn links_locked(app: &TestApp) -> bool {
    scalar(
        app,
        "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
         WHERE c.relname = 'course_link' AND l.mode = 'AccessExclusiveLock' AND l.granted",
    )
    .await
        > 0
}

const COUNT: &str = r#"{ organization(shortName: "ImpA") { courses(first: 1) { totalCount } } }"#;
const LINK: &str = r#"mutation($k: String!) { linkCourse(courseKey: $k) { created } }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_writes_wait_for_a_large_import_and_then_answer() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    // The organization first, so that the service can write its links during the import.
    crate::import::run_sources(&app, &sources(0), true).await;
    let done = AtomicBool::new(false);
    let import = async {
        let report = crate::import::run_sources(&app, &sources(LINKS), true).await;
        done.store(true, Ordering::SeqCst);
        report
    };
    let client = async {
        // Wait for the lock (the import's rebuild), then read and write through the service.
        while !links_locked(&app).await {
            assert!(
                !done.load(Ordering::SeqCst),
                "the import never locked the links"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let token = admin();
        let (read, existing, new) = tokio::join!(
            app.as_user(&token, COUNT, json!({})),
            app.as_user(&token, LINK, json!({"k": "course-v1:ImpA+R5+2024"})),
            app.as_user(&token, LINK, json!({"k": "course-v1:ImpA+Side+2024"})),
        );
        (read, existing, new)
    };
    let (report, (read, existing, new)) = tokio::join!(import, client);
    assert_eq!(report.tables[1].created, LINKS as u64);
    for body in [&read, &existing, &new] {
        assert!(body.get("errors").is_none(), "{body}");
    }
    // Both waited for the commit (whether this task saw the import return first is a race):
    // the read sees every imported link, and the write finds the link the import created.
    let seen = &read["data"]["organization"]["courses"]["totalCount"];
    assert!(seen.as_u64().unwrap() >= LINKS as u64, "{read}");
    assert_eq!(
        existing["data"]["linkCourse"]["created"],
        Value::Bool(false)
    );
    assert_eq!(new["data"]["linkCourse"]["created"], Value::Bool(true));

    let links = scalar(&app, "SELECT COUNT(*) FROM course_link").await;
    assert_eq!(links, LINKS as i64 + 1);
    let logged = scalar(
        &app,
        "SELECT COUNT(*) FROM change_log WHERE entity = 'COURSE_LINK' AND kind = 'CREATED'",
    )
    .await;
    assert_eq!(logged, links, "each link logged once");
    let indexes = scalar(
        &app,
        "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'course_link'",
    )
    .await;
    let keys = scalar(
        &app,
        "SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'course_link'::regclass \
         AND contype = 'f' AND convalidated",
    )
    .await;
    assert_eq!((indexes, keys), (5, 1), "indexes and foreign key back");
}

/// The object ids of `course_link`'s indexes (new ones when they were built again).
async fn index_oids(app: &TestApp) -> Vec<i64> {
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT indexrelid::bigint FROM pg_index WHERE indrelid = 'course_link'::regclass \
             ORDER BY indexrelid",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_that_cannot_lock_the_tables_keeps_the_indexes() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    crate::import::run_sources(&app, &sources(0), true).await;
    let before = index_oids(&app).await;
    // Another transaction reading organizations, open for the whole import.
    let other = sea_orm::Database::connect(app.database_url())
        .await
        .unwrap();
    let reading = other.begin().await.unwrap();
    scalar_in(&reading, "SELECT COUNT(*) FROM organization").await;
    let report = crate::import::run_sources(&app, &sources(LINKS), true).await;
    reading.rollback().await.unwrap();
    assert_eq!(report.tables[1].created, LINKS as u64);
    assert_eq!(index_oids(&app).await, before, "no index was dropped");
    let logged = scalar(
        &app,
        "SELECT COUNT(*) FROM change_log WHERE entity = 'COURSE_LINK' AND kind = 'CREATED'",
    )
    .await;
    assert_eq!(logged, LINKS as i64);
}

async fn scalar_in(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}
