//! One service process killed mid-load: three real `serve` processes share one
//! PostgreSQL database; 16 clients write and read through them; one process gets SIGKILL while
//! they run. Its clients see connection errors (nothing acknowledged), the other processes'
//! clients see no error at all, and the database holds every acknowledged write, and nothing
//! else but what the requests cut off by the kill may have committed before it.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

// The load test's operations: both tests drive the same mix.
use crate::load::{ENSURE, LINK, READ, UNLINK};
use crate::support::{Backend, SECRET, admin, fresh_database, http_client, listening_on};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");
const PROCESSES: usize = 3;
const CLIENTS: usize = 16;
const OPS: usize = 40;
/// Operations acknowledged (by all processes) before the kill: the load is well under way.
const KILL_AFTER: usize = 120;

/// A `serve` process on `url` and the address it listens on. Its logs are dropped: a pipe
/// nobody reads would fill and stall it.
fn serve(url: &str) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", url)
        .env("TENANCY_JWT_SECRET", SECRET)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = listening_on(&mut child);
    let addr = base.strip_prefix("http://").unwrap_or(&base).to_owned();
    (child, addr)
}

/// What one client was told, and what it cannot know.
#[derive(Default)]
struct Outcome {
    organizations: BTreeSet<String>,
    active: BTreeSet<(String, String)>,
    inactive: BTreeSet<(String, String)>,
    /// Writes whose request failed in transport: they may or may not have committed.
    doubtful_organizations: BTreeSet<String>,
    doubtful_links: BTreeSet<(String, String)>,
    /// Transport errors (the connection failed) and error answers.
    transport_errors: Vec<String>,
    answered_errors: Vec<String>,
    done: usize,
}

/// Sends one operation; `Err` when the request failed in transport (no answer).
async fn send(
    client: &reqwest::Client,
    addr: &str,
    query: &str,
    vars: Value,
) -> Result<Value, String> {
    let resp = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(admin())
        .json(&json!({ "query": query, "variables": vars }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    resp.json().await.map_err(|e| e.to_string())
}

/// Client `n`: like `load.rs`'s clients, through one process; it stops at its first transport
/// error (its process is gone), as a client without a load balancer would.
async fn client(addr: String, n: usize, acked: Arc<AtomicUsize>) -> Outcome {
    let http = http_client();
    let mut out = Outcome::default();
    for i in 0..OPS {
        let org = if i % 2 == 0 {
            format!("Shared{}", i % 3)
        } else {
            format!("Client{n}")
        };
        let key = format!("course-v1:{org}+C{n}x{i}+R");
        let link = (key.clone(), entity::keys::fold(&org));
        let (query, vars) = match i % 5 {
            0 => (ENSURE, json!({ "s": org })),
            1..=3 => (LINK, json!({ "k": key })),
            _ => (READ, json!({})),
        };
        let body = match send(&http, &addr, query, vars).await {
            Ok(body) => body,
            Err(err) => {
                out.transport_errors.push(err);
                out.doubtful_organizations.insert(entity::keys::fold(&org));
                if i % 5 != 0 {
                    out.doubtful_links.insert(link);
                }
                return out;
            }
        };
        if body.get("errors").is_some() {
            out.answered_errors.push(body.to_string());
            continue;
        }
        match i % 5 {
            0 => {
                out.organizations.insert(entity::keys::fold(&org));
            }
            1 | 2 => {
                out.organizations.insert(entity::keys::fold(&org));
                out.active.insert(link);
            }
            3 => {
                // Linked; now unlinked: the link ends inactive.
                out.organizations.insert(entity::keys::fold(&org));
                let vars = json!({ "k": key, "o": org });
                match send(&http, &addr, UNLINK, vars).await {
                    Ok(body) if body.get("errors").is_none() => {
                        out.inactive.insert(link);
                    }
                    Ok(body) => {
                        out.active.insert(link);
                        out.answered_errors.push(body.to_string());
                    }
                    Err(err) => {
                        out.transport_errors.push(err);
                        out.doubtful_links.insert(link);
                        return out;
                    }
                }
            }
            _ => {}
        }
        out.done += 1;
        acked.fetch_add(1, Ordering::SeqCst);
    }
    out
}

async fn pairs(db: &sea_orm::DatabaseConnection, sql: &str) -> BTreeSet<(String, String)> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let first = r.try_get_by_index::<String>(0).unwrap();
            (first, r.try_get_by_index::<String>(1).unwrap_or_default())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_service_mid_load_loses_nothing_acknowledged() {
    let Some((url, _)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let mut processes: Vec<(Child, String)> = (0..PROCESSES).map(|_| serve(&url)).collect();
    let acked = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let addr = processes[n % PROCESSES].1.clone();
            tokio::spawn(client(addr, n, acked.clone()))
        })
        .collect();
    while acked.load(Ordering::SeqCst) < KILL_AFTER {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // SIGKILL: no shutdown, requests in flight are cut off.
    processes[0].0.kill().unwrap();
    processes[0].0.wait().unwrap();

    let mut all = Outcome::default();
    let mut acknowledged_by_the_killed = 0;
    for (n, task) in clients.into_iter().enumerate() {
        let out = task.await.unwrap();
        assert!(
            out.answered_errors.is_empty(),
            "client {n}: {:?}",
            out.answered_errors
        );
        if n % PROCESSES == 0 {
            assert_eq!(
                out.transport_errors.len(),
                1,
                "client {n} of the killed process stops at its connection error"
            );
            assert!(out.done < OPS);
            acknowledged_by_the_killed += out.done;
        } else {
            assert!(
                out.transport_errors.is_empty(),
                "client {n}: {:?}",
                out.transport_errors
            );
            assert_eq!(out.done, OPS, "client {n} of a surviving process finished");
        }
        all.organizations.extend(out.organizations);
        all.active.extend(out.active);
        all.inactive.extend(out.inactive);
        all.doubtful_organizations
            .extend(out.doubtful_organizations);
        all.doubtful_links.extend(out.doubtful_links);
    }
    assert!(
        acknowledged_by_the_killed > 0,
        "the killed process had acknowledged writes"
    );
    // The surviving processes still answer.
    for (_, addr) in &processes[1..] {
        let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
        assert_eq!(ready.status(), 200);
    }

    let db = sea_orm::Database::connect(&url).await.unwrap();
    let orgs: BTreeSet<String> = pairs(&db, "SELECT short_name_key, '' FROM organization")
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(
        orgs.is_superset(&all.organizations),
        "every acknowledged organization is there"
    );
    let unexplained: Vec<_> = orgs
        .difference(&all.organizations)
        .filter(|o| !all.doubtful_organizations.contains(*o))
        .collect();
    assert!(
        unexplained.is_empty(),
        "organizations nobody wrote: {unexplained:?}"
    );

    let links = |active: bool| {
        format!(
            "SELECT l.course_key, o.short_name_key FROM course_link l JOIN organization o \
             ON o.id = l.organization_id WHERE l.active = {active}"
        )
    };
    let active = pairs(&db, &links(true)).await;
    let inactive = pairs(&db, &links(false)).await;
    assert!(
        active.is_superset(&all.active),
        "acknowledged links are active"
    );
    assert!(
        inactive.is_superset(&all.inactive),
        "acknowledged unlinks are inactive"
    );
    let unexplained: Vec<_> = active
        .difference(&all.active)
        .chain(inactive.difference(&all.inactive))
        .filter(|l| !all.doubtful_links.contains(*l))
        .collect();
    assert!(
        unexplained.is_empty(),
        "links nobody was told of: {unexplained:?}"
    );

    for (mut child, _) in processes.drain(1..) {
        child.kill().ok();
        child.wait().ok();
    }
}
