//! Many concurrent clients mixing reads and writes (bounded, loopback only): afterwards every
//! acknowledged write is there exactly once and nothing else was written.

use std::collections::BTreeSet;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::backend_tests;
use crate::support::{TestApp, admin};

const CLIENTS: usize = 16;
const OPS: usize = 30;

pub(crate) const ENSURE: &str =
    r#"mutation($s: String!) { ensureOrganization(shortName: $s) { organization { shortName } } }"#;
pub(crate) const LINK: &str =
    r#"mutation($k: String!) { linkCourse(courseKey: $k) { created organization { shortName } } }"#;
pub(crate) const UNLINK: &str = r#"mutation($k: String!, $o: String!) { unlinkCourse(courseKey: $k, organization: $o) { created } }"#;
pub(crate) const READ: &str = r#"{ organizations(first: 50) { totalCount edges { node { shortName courses(first: 5) { totalCount } } } } }"#;

#[derive(Default)]
struct Acknowledged {
    organizations: BTreeSet<String>,
    active_links: BTreeSet<(String, String)>,
    inactive_links: BTreeSet<(String, String)>,
    errors: Vec<String>,
}

async fn client(app: Arc<TestApp>, n: usize) -> Acknowledged {
    let token = admin();
    let mut ack = Acknowledged::default();
    for i in 0..OPS {
        // Shared names make the clients contend for the same rows.
        let org = if i % 2 == 0 {
            format!("Shared{}", i % 3)
        } else {
            format!("Client{n}")
        };
        let key = format!("course-v1:{org}+C{n}x{i}+R");
        let body = match i % 5 {
            0 => app.as_user(&token, ENSURE, json!({ "s": org })).await,
            1 | 2 => app.as_user(&token, LINK, json!({ "k": key })).await,
            3 => {
                // Link then unlink: the link ends up inactive.
                let linked = app.as_user(&token, LINK, json!({ "k": key })).await;
                if linked.get("errors").is_some() {
                    ack.errors.push(linked.to_string());
                    continue;
                }
                ack.organizations.insert(entity::keys::fold(&org));
                let body = app
                    .as_user(&token, UNLINK, json!({ "k": key, "o": org }))
                    .await;
                if body.get("errors").is_none() {
                    ack.inactive_links
                        .insert((key.clone(), entity::keys::fold(&org)));
                }
                body
            }
            _ => app.gql(READ, json!({})).await,
        };
        if body.get("errors").is_some() {
            ack.errors.push(body.to_string());
            continue;
        }
        match i % 5 {
            0 => {
                ack.organizations.insert(entity::keys::fold(&org));
            }
            1 | 2 => {
                ack.organizations.insert(entity::keys::fold(&org));
                ack.active_links.insert((key, entity::keys::fold(&org)));
            }
            _ => {}
        }
    }
    ack
}

async fn rows(app: &TestApp, sql: &str) -> BTreeSet<(String, String)> {
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).unwrap(),
                r.try_get_by_index::<String>(1).unwrap(),
            )
        })
        .collect()
}

/// Runs the 16 clients, client `n` against `apps[n % apps.len()]`, and checks that exactly the
/// acknowledged writes are in the database.
async fn run_and_check(apps: &[Arc<TestApp>]) {
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(client(apps[n % apps.len()].clone(), n)))
        .collect();
    let mut all = Acknowledged::default();
    for task in tasks {
        let ack = task.await.unwrap();
        all.organizations.extend(ack.organizations);
        all.active_links.extend(ack.active_links);
        all.inactive_links.extend(ack.inactive_links);
        all.errors.extend(ack.errors);
    }
    assert!(
        all.errors.is_empty(),
        "every operation succeeds under contention: {:?}",
        &all.errors[..all.errors.len().min(3)]
    );

    let app = &apps[0];
    let orgs = rows(app, "SELECT short_name_key, short_name FROM organization").await;
    let keys: BTreeSet<String> = orgs.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        keys, all.organizations,
        "exactly the acknowledged organizations"
    );
    assert_eq!(
        app.count("organization").await as usize,
        keys.len(),
        "each exactly once"
    );

    let link_sql = |active: bool| {
        format!(
            "SELECT l.course_key, o.short_name_key FROM course_link l JOIN organization o ON o.id = l.organization_id WHERE l.active = {}",
            if active { "TRUE" } else { "FALSE" }
        )
    };
    assert_eq!(
        rows(app, &link_sql(true)).await,
        all.active_links,
        "acknowledged links are active"
    );
    assert_eq!(
        rows(app, &link_sql(false)).await,
        all.inactive_links,
        "acknowledged unlinks are inactive"
    );
    assert_eq!(
        app.count("course_link").await as usize,
        all.active_links.len() + all.inactive_links.len(),
        "no link row beyond the acknowledged ones"
    );
}

backend_tests! {
    concurrent_clients_leave_exactly_the_acknowledged_writes,
}

async fn concurrent_clients_leave_exactly_the_acknowledged_writes(app: TestApp) {
    run_and_check(&[Arc::new(app)]).await;
}

/// The same load across three service instances on one PostgreSQL database whose transactions
/// are SERIALIZABLE: no error reaches a client and exactly the acknowledged writes
/// remain. (Write transactions there take the change log's lock before their snapshot, so they
/// do not abort one another; any abort left would be retried inside the services.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_services_on_a_serializable_database_lose_nothing() {
    let Some(url) = crate::retries::serializable_database().await else {
        return;
    };
    let mut apps = Vec::new();
    for _ in 0..3 {
        apps.push(Arc::new(TestApp::spawn_on(&url, |_| {}).await));
    }
    run_and_check(&apps).await;
    let mut retries = 0.0;
    for app in &apps {
        let text = app
            .client()
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        retries += text
            .lines()
            .filter(|l| l.starts_with("tenancy_write_retries_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>();
    }
    eprintln!("write retries across the three services: {retries}");
}
