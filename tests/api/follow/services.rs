//! Following course-discovery and ecommerce beside the LMS (their tables as peer/models.py
//! makes them, in the LMS's database here): partners and memberships they add reach the graph;
//! the LMS stays the owner of its organizations; and `import --apply --follow` follows as a
//! process of its own.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tenancy_gateway::config::Secret;

use super::{INTERVAL, Lms, changes, eventually, following, organization};
use crate::support::{Backend, TestApp, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

const PARTNERS: &str = r#"{ partners(first: 100, includeInactive: true) { edges { node {
  shortCode name organizations(first: 100) { edges { node { shortName name } } } } } } }"#;

/// `shortCode -> [(member short name, its name)]`.
async fn partners(app: &TestApp) -> Vec<(String, String, Vec<(String, String)>)> {
    let data = app.admin_data(PARTNERS, json!({})).await;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out: Vec<_> = data["partners"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            let mut members: Vec<(String, String)> = n["organizations"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (text(&m["node"]["shortName"]), text(&m["node"]["name"])))
                .collect();
            members.sort();
            (text(&n["shortCode"]), text(&n["name"]), members)
        })
        .collect();
    out.sort();
    out
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_ecommerce_partners_and_memberships_are_followed() {
    let Some(mut lms) = Lms::start("sqlite").await else {
        return;
    };
    lms.run(json!({"op": "add_org", "short_name": "edX", "name": "edX Inc."}));
    lms.run(json!({"op": "add_partner", "short_code": "edx", "name": "edX Partner", "domain": "discovery.test"}));
    lms.run(
        json!({"op": "add_partner_org", "partner": "edx", "key": "edX", "name": "edX (discovery)"}),
    );
    let url = lms.url.clone();
    let app = TestApp::spawn_with(Backend::Postgres, |config| {
        following(&url)(config);
        config.follow.discovery_database = Some(Secret(url.clone()));
        config.follow.ecommerce_database = Some(Secret(url.clone()));
    })
    .await;
    let Some(app) = app else { return };
    let edx = (
        "edx".to_owned(),
        "edX Partner".to_owned(),
        vec![pair("edX", "edX Inc.")],
    );
    eventually("the first import", Duration::from_secs(10), || async {
        (partners(&app).await == vec![edx.clone()]).then_some(())
    })
    .await;

    // Discovery adds an organization the LMS lacks, with its membership; ecommerce a partner.
    lms.run(
        json!({"op": "add_partner_org", "partner": "edx", "key": "HarvardX", "name": "Harvard"}),
    );
    lms.run(json!({"op": "add_ecommerce_partner", "short_code": "mitpe", "name": "MIT PE"}));
    // The LMS renames its organization: discovery's name for it never wins.
    lms.run(json!({"op": "rename", "short_name": "edX", "name": "edX (renamed)"}));
    let want = vec![
        (
            "edx".to_owned(),
            "edX Partner".to_owned(),
            vec![pair("HarvardX", "Harvard"), pair("edX", "edX (renamed)")],
        ),
        ("mitpe".to_owned(), "MIT PE".to_owned(), vec![]),
    ];
    eventually(
        "discovery's and ecommerce's changes",
        Duration::from_secs(10),
        || async { (partners(&app).await == want).then_some(()) },
    )
    .await;
    tokio::time::sleep(INTERVAL * 3).await;
    assert_eq!(partners(&app).await, want);
    let site = app
        .admin_data(
            r#"{ site(domain: "discovery.test") { partner { shortCode } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(site["site"]["partner"]["shortCode"], "edx");
    let log: Vec<_> = changes(&app).await;
    let once = |entity: &str, key: &str| {
        let n = log
            .iter()
            .filter(|c| c.0 == "follow" && c.2 == entity && c.3 == key)
            .count();
        assert_eq!(n, 1, "{entity} {key}: {log:?}");
    };
    once("PARTNER_ORGANIZATION", "edx/HarvardX");
    once("PARTNER_ORGANIZATION", "edx/edX");
    once("PARTNER", "mitpe");
    once("ORGANIZATION", "HarvardX");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_apply_follow_follows_as_a_process_of_its_own() {
    let Some(mut lms) = Lms::start("sqlite").await else {
        return;
    };
    lms.run(json!({"op": "add_org", "short_name": "CliX", "name": "Cli X"}));
    let (database, _dir) = fresh_database(Backend::Sqlite).await.unwrap();
    // A service on the same database (not following, and migrating it first) shows what the
    // process applies.
    let app = TestApp::spawn_on(&database, |_| {}).await;
    let follower = Command::new(BIN)
        .args(["import", "--apply", "--follow", "--database-url", &database])
        .args(["--lms-database", &lms.url, "--follow-interval", "200ms"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    eventually("the first import", Duration::from_secs(15), || async {
        organization(&app, "CliX").await
    })
    .await;
    lms.run(json!({"op": "link", "short_name": "CliX", "course": "course-v1:CliX+C1+2025"}));
    let want = Some((
        "Cli X".to_owned(),
        true,
        vec![("course-v1:CliX+C1+2025".to_owned(), true)],
    ));
    eventually("the link", Duration::from_secs(10), || async {
        (organization(&app, "CliX").await == want).then_some(())
    })
    .await;
    let _ = Command::new("kill").arg(follower.id().to_string()).status();
    let out = tokio::task::block_in_place(|| follower.wait_with_output()).unwrap();
    assert!(out.status.success(), "SIGTERM ends it cleanly: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("following every 200ms"), "{stderr}");
    let actors: Vec<String> = changes(&app).await.into_iter().map(|c| c.0).collect();
    assert!(
        !actors.is_empty() && actors.iter().all(|a| a == "follow"),
        "{actors:?}"
    );
    // `--follow` needs `--apply`.
    let refused = Command::new(BIN)
        .args([
            "import",
            "--follow",
            "--database-url",
            &database,
            "--lms-database",
            &lms.url,
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--apply"));
}
