//! Two `serve` processes on one PostgreSQL, both told to follow: one follows (it holds the
//! follower lock); killed with SIGKILL, the other takes over within two intervals, and every
//! LMS change is applied exactly once.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{INTERVAL, Lms, eventually, metric};
use crate::support::{Backend, SECRET, fresh_database, http_client, listening_on};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

struct Serve {
    child: Child,
    base: String,
}

impl Serve {
    fn start(database: &str, lms: &str) -> Serve {
        let mut child = Command::new(BIN)
            .arg("serve")
            .env("DATABASE_URL", database)
            .env("TENANCY_LISTEN", "127.0.0.1:0")
            .env("TENANCY_JWT_SECRET", SECRET)
            .env("TENANCY_FOLLOW_LMS_DATABASE", lms)
            .env(
                "TENANCY_FOLLOW_INTERVAL",
                format!("{}ms", INTERVAL.as_millis()),
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start serve");
        let base = listening_on(&mut child);
        Serve { child, base }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn leaders(client: &reqwest::Client, serves: &[&Serve]) -> Vec<f64> {
    let mut out = Vec::new();
    for s in serves {
        out.push(metric(client, &s.base, "tenancy_follow_leader").await);
    }
    out
}

/// `(actor, kind, entity, key)` of every change, counted, read from the database itself.
async fn logged(db: &sea_orm::DatabaseConnection) -> BTreeMap<(String, String, String), i64> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT kind, entity, key, COUNT(*) AS n FROM change_log WHERE actor = 'follow' \
             GROUP BY kind, entity, key",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let text = |c: &str| r.try_get::<String>("", c).unwrap();
            (
                (text("kind"), text("entity"), text("key")),
                r.try_get::<i64>("", "n").unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_follows_and_another_takes_over_when_it_is_killed() {
    let Some((database, _)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let Some(mut lms) = Lms::start("sqlite").await else {
        return;
    };
    lms.run(json!({"op": "add_org", "short_name": "KillX", "name": "Kill X"}));
    let (a, b) = (
        Serve::start(&database, &lms.url),
        Serve::start(&database, &lms.url),
    );
    let client = http_client();
    let (both, _) = eventually("one leader", Duration::from_secs(15), || async {
        let l = leaders(&client, &[&a, &b]).await;
        (l.iter().sum::<f64>() == 1.0).then_some(l)
    })
    .await;
    // It stays one: the other keeps asking, and keeps being refused.
    tokio::time::sleep(INTERVAL * 5).await;
    assert_eq!(leaders(&client, &[&a, &b]).await, both);
    let (leader, other) = if both[0] == 1.0 { (a, b) } else { (b, a) };
    let db = sea_orm::Database::connect(&database).await.unwrap();
    let applied = |key: &'static str| {
        let db = db.clone();
        async move {
            let n: i64 = logged(&db)
                .await
                .into_iter()
                .filter(|((_, _, k), _)| k == key)
                .map(|(_, n)| n)
                .sum();
            (n > 0).then_some(())
        }
    };
    // Changes while the leader follows, then kill it mid-stream.
    for n in 0..5 {
        let course = format!("course-v1:KillX+K{n}+2024");
        lms.run(json!({"op": "link", "short_name": "KillX", "course": course}));
    }
    eventually("the leader's link", Duration::from_secs(10), || {
        applied("course-v1:KillX+K0+2024/KillX")
    })
    .await;
    lms.run(json!({"op": "rename", "short_name": "KillX", "name": "Kill X 2"}));
    let mut leader = leader;
    leader.child.kill().expect("SIGKILL the leader");
    let killed = Instant::now();
    leader.child.wait().unwrap();
    lms.run(json!({"op": "link", "short_name": "KillX", "course": "course-v1:KillX+K5+2024"}));
    let (takeover, _) = eventually("the takeover", Duration::from_secs(10), || async {
        let leads = metric(&client, &other.base, "tenancy_follow_leader").await == 1.0;
        leads.then(|| killed.elapsed())
    })
    .await;
    for n in 6..10 {
        let course = format!("course-v1:KillX+K{n}+2024");
        lms.run(json!({"op": "link", "short_name": "KillX", "course": course}));
    }
    eventually("the last link", Duration::from_secs(10), || {
        applied("course-v1:KillX+K9+2024/KillX")
    })
    .await;
    tokio::time::sleep(INTERVAL * 3).await;
    let log = logged(&db).await;
    let mut want: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    let mut put = |kind: &str, entity: &str, key: String| {
        want.insert((kind.into(), entity.into(), key), 1);
    };
    put("CREATED", "SITE", "example.com".into());
    put("CREATED", "ORGANIZATION", "KillX".into());
    put("UPDATED", "ORGANIZATION", "KillX".into());
    for n in 0..10 {
        put(
            "CREATED",
            "COURSE_LINK",
            format!("course-v1:KillX+K{n}+2024/KillX"),
        );
    }
    assert_eq!(log, want, "every LMS change applied exactly once");
    eprintln!("follow takeover after SIGKILL: {takeover:?} (interval {INTERVAL:?})");
    assert!(
        takeover <= INTERVAL * 2 + Duration::from_millis(800),
        "the other replica took {takeover:?} to take over"
    );
    drop(leader);
}
