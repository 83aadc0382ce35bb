//! Import (docs/adopting.md) from databases an Open edX installation would hold: edx-organizations'
//! tables made and filled by the real app (tests/python/orgs_peer/fill.py, in the venv
//! scripts/test.sh makes), on SQLite, PostgreSQL and MariaDB. Every source must give the same
//! graph, on both target engines; a second run changes nothing; history names `import`.

use std::path::PathBuf;
use std::process::Command;

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tenancy_gateway::access::Scope;
use tenancy_gateway::domain::backfill::Progress;
use tenancy_gateway::domain::import::Sources;
use tenancy_gateway::repo::import::organizations_api;
use tenancy_gateway::service::{Actor, import};

use crate::backend_tests;
use crate::support::{Backend, TestApp, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

/// An environment variable scripts/test.sh sets: required in CI, else `None` with a note.
pub fn required_env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) => Some(value),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{name} must be set in CI (scripts/test.sh sets it)"
            );
            eprintln!("skipped: {name} is not set (scripts/test.sh sets it)");
            None
        }
    }
}

/// The Python of the venv holding edx-organizations.
pub fn python() -> Option<String> {
    required_env("TENANCY_TEST_PYTHON")
}

pub fn peer_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python/orgs_peer")
        .join(name)
}

/// A fresh, empty source database on `engine` (`sqlite`, `postgres`, `mariadb`), kept alive by
/// the returned guard.
pub async fn source_database(engine: &str) -> Option<(String, Option<tempfile::TempDir>)> {
    match engine {
        "sqlite" => fresh_database(Backend::Sqlite).await,
        "postgres" => fresh_database(Backend::Postgres).await,
        _ => {
            let admin = required_env("TENANCY_TEST_MARIADB_URL")?;
            let db = Database::connect(&admin).await.expect("MariaDB");
            let name = format!("lms_{}_{}", std::process::id(), rand_suffix());
            db.execute_unprepared(&format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
                .await
                .unwrap();
            let base = admin.rsplit_once('/').unwrap().0;
            Some((format!("{base}/{name}"), None))
        }
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Django's spelling of a URL (`sqlite:///PATH`, no `?mode=`).
pub fn django_url(url: &str) -> String {
    match url.strip_prefix("sqlite://") {
        Some(rest) => format!(
            "sqlite:///{}",
            rest.split('?').next().unwrap().trim_start_matches('/')
        ),
        None => url.to_owned(),
    }
}

/// A source database filled by the real app, as the import reads it (`None`: skipped).
async fn filled(engine: &str) -> Option<(String, Option<tempfile::TempDir>)> {
    let python = python()?;
    let (url, guard) = source_database(engine).await?;
    let out = Command::new(python)
        .arg(peer_script("fill.py"))
        .env("ORGS_PEER_DATABASE", django_url(&url))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fill.py on {engine}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((url, guard))
}

/// An LMS database (SQLite) whose organizations and links the real edx-organizations app saved
/// from `rows` (tests/python/orgs_peer/fill_rows.py); `None`: skipped.
pub async fn lms_with(rows: &Value) -> Option<(String, Option<tempfile::TempDir>)> {
    let python = python()?;
    let (url, guard) = source_database("sqlite").await?;
    let out = crate::support::run_with_stdin(
        Command::new(python)
            .arg(peer_script("fill_rows.py"))
            .env("ORGS_PEER_DATABASE", django_url(&url)),
        rows.to_string().as_bytes(),
    );
    assert!(
        out.status.success(),
        "fill_rows.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((url, guard))
}

/// Imports the LMS database at `url` (its organizations and links) into `app`, applied.
/// Asserts that a report (of a second run) created and updated nothing.
pub fn assert_changed_nothing(report: &import::ImportReport) {
    assert!(
        report
            .tables
            .iter()
            .all(|t| t.created == 0 && t.updated == 0),
        "idempotent: {:?}",
        report.tables
    );
}

pub async fn import_lms(app: &TestApp, url: &str) -> import::ImportReport {
    let urls = import::SourceUrls {
        lms: Some(url.to_owned()),
        ..import::SourceUrls::default()
    };
    let sources = import::read(&urls, None)
        .await
        .unwrap_or_else(|e| panic!("{}", e.for_operator()));
    run_sources(app, &sources, true).await
}

const GRAPH: &str = r#"{
  organizations(first: 100, includeInactive: true) { edges { node {
    shortName name description logoUrl active
    courses(first: 100, includeInactive: true) { edges { active node { courseKey } } }
    sites { edges { node { domain } } }
    partners { edges { node { shortCode } } } } } }
  partners(first: 100, includeInactive: true) { edges { node {
    shortCode name active lmsUrl studioUrl marketingSiteUrl sites { edges { node { domain } } } } } }
  sites(first: 100, includeInactive: true) { edges { node { domain name active partner { shortCode } } } }
}"#;

const ORGANIZATIONS: &str = r#"{ organizations(first: 100, includeInactive: true) { edges { node {
  shortName name description logoUrl active partners { edges { node { shortCode } } } } } } }"#;

async fn import_into(app: &TestApp, url: &str, apply: bool) -> import::ImportReport {
    import_with(app, url, apply, None).await
}

/// Imports from `url`, with the organizations of an API instead of the LMS database when given.
async fn import_with(
    app: &TestApp,
    url: &str,
    apply: bool,
    api: Option<&str>,
) -> import::ImportReport {
    let from_api = match api {
        Some(api) => Some(
            organizations_api::organizations(
                &crate::support::http_client(),
                api,
                &crate::rest_differential::token("staff", true),
            )
            .await
            .unwrap_or_else(|e| panic!("{}", e.for_operator())),
        ),
        None => None,
    };
    let urls = import::SourceUrls {
        lms: api.is_none().then(|| url.to_owned()),
        discovery: Some(url.to_owned()),
        ecommerce: Some(url.to_owned()),
        media_url: Some("https://lms.test/media/".into()),
    };
    let sources = import::read(&urls, from_api)
        .await
        .unwrap_or_else(|e| panic!("{}", e.for_operator()));
    run_sources(app, &sources, apply).await
}

/// Imports rows already read, as operator `import (ci)`.
pub async fn run_sources(app: &TestApp, sources: &Sources, apply: bool) -> import::ImportReport {
    let scope = Scope::operator("import", Some("ci"));
    let actor = Actor {
        db: &app.db,
        scope: &scope,
        autocreate: true,
        retries: None,
        committed: None,
    };
    import::run(actor, sources, apply, &Progress::default())
        .await
        .unwrap_or_else(|e| panic!("{}", e.for_operator()))
}

fn created(report: &import::ImportReport) -> Vec<(&str, u64, u64)> {
    report
        .tables
        .iter()
        .map(|t| (t.table, t.created, t.updated))
        .collect()
}

backend_tests! {
    imports_from_every_engine_build_the_same_graph,
    import_from_the_rest_api_gives_the_same_organizations,
    import_on_the_command_line_prints_the_plan_and_applies,
    import_from_an_https_api_trusts_the_given_ca_only,
}

async fn imports_from_every_engine_build_the_same_graph(app: TestApp) {
    let backend = app.backend;
    let mut graphs: Vec<(&str, Value)> = Vec::new();
    for engine in ["sqlite", "postgres", "mariadb"] {
        let Some((url, _guard)) = filled(engine).await else {
            continue;
        };
        let target = TestApp::spawn(backend).await.unwrap();
        let dry = import_into(&target, &url, false).await;
        assert_eq!(
            target.count("organization").await,
            0,
            "a dry run writes nothing"
        );
        let applied = import_into(&target, &url, true).await;
        assert_eq!(
            created(&dry),
            created(&applied),
            "the plan counts what --apply does"
        );
        assert_eq!(
            created(&applied),
            [
                ("organizations", 4, 0),
                ("course links", 5, 0),
                ("partners", 2, 0),
                ("sites", 5, 0),
                ("partner organizations", 2, 0),
                ("site organizations", 3, 0)
            ]
        );
        assert!(
            applied.conflicts.iter().any(|c| c.contains("the LMS wins")),
            "{:?}",
            applied.conflicts
        );
        assert_changed_nothing(&import_into(&target, &url, true).await);
        let changes = target.count("change_log").await;
        assert!(changes >= 21, "every row logged: {changes}");
        graphs.push((engine, target.admin_data(GRAPH, json!({})).await));
    }
    let Some((_, first)) = graphs.first() else {
        return;
    };
    let orgs = &first["organizations"]["edges"];
    let edx = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["shortName"] == "edX")
        .unwrap();
    assert_eq!(edx["node"]["name"], "edX Inc.");
    assert_eq!(
        edx["node"]["logoUrl"],
        "https://lms.test/media/organization_logos/edx.png"
    );
    assert_eq!(edx["node"]["courses"]["edges"].as_array().unwrap().len(), 3);
    assert_eq!(edx["node"]["sites"]["edges"].as_array().unwrap().len(), 2);
    let gone = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["shortName"] == "Gone")
        .unwrap();
    assert_eq!(
        (
            gone["node"]["active"].clone(),
            gone["node"]["sites"]["edges"].as_array().unwrap().len()
        ),
        (json!(false), 0)
    );
    assert!(
        orgs.as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["shortName"] == "HarvardX"
                && e["node"]["partners"]["edges"][0]["node"]["shortCode"] == "edx")
    );
    let sites = first["sites"]["edges"].as_array().unwrap();
    assert!(
        sites.iter().any(|s| s["node"]["domain"] == "discovery.test"
            && s["node"]["partner"]["shortCode"] == "edx")
    );
    for (engine, graph) in &graphs[1..] {
        assert_eq!(
            graph, first,
            "{engine} gives another graph than {}",
            graphs[0].0
        );
    }
    drop(app);
}

async fn import_from_the_rest_api_gives_the_same_organizations(app: TestApp) {
    let backend = app.backend;
    let Some((url, _guard)) = filled("sqlite").await else {
        return;
    };
    let Some(peer) = crate::rest_differential::start_peer(Some(&django_url(&url))) else {
        return;
    };
    let api = format!("{}/api/organizations/v0/organizations/", peer.base);
    import_with(&app, &url, true, Some(&api)).await;
    let from_api = app.admin_data(ORGANIZATIONS, json!({})).await;
    let target = TestApp::spawn(backend).await.unwrap();
    import_into(&target, &url, true).await;
    let from_db = target.admin_data(ORGANIZATIONS, json!({})).await;
    // The API lists active organizations only; everything else must be the same.
    let active: Vec<&Value> = from_db["organizations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["active"] == true)
        .collect();
    let listed: Vec<&Value> = from_api["organizations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(listed, active);
    assert_eq!(listed.len(), 3, "edX, MITx and discovery's HarvardX");
}

async fn import_on_the_command_line_prints_the_plan_and_applies(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let Some((url, _guard)) = filled("sqlite").await else {
        return;
    };
    let Some((database, _dir)) = fresh_database(backend).await else {
        return;
    };
    // A dry run reads a migrated database and never migrates one itself.
    let migrated = Command::new(BIN)
        .args(["migrate", "--database-url", &database])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    let run = |apply: bool| {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "import",
            "--database-url",
            &database,
            "--lms-database",
            &url,
            "--discovery-database",
            &url,
            "--actor",
            "ada",
        ]);
        if apply {
            cmd.arg("--apply");
        }
        cmd.env("RUST_LOG", "warn").output().unwrap()
    };
    let dry = run(false);
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success() && text.contains("dry run") && text.contains("organizations"),
        "{text}"
    );
    assert!(
        text.contains("--lms-media-url"),
        "the logo path is reported: {text}"
    );
    let applied = run(true);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let app = TestApp::spawn_on(&database, |_| {}).await;
    assert_eq!(app.count("organization").await, 4, "edx folds into edX");
    let history = app
        .admin_data(
            r#"{ changes(first: 1) { edges { node { actor } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        history["changes"]["edges"][0]["node"]["actor"],
        "import (ada)"
    );
}

async fn import_from_an_https_api_trusts_the_given_ca_only(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let Some((url, _guard)) = filled("sqlite").await else {
        return;
    };
    let tls = tempfile::tempdir().unwrap();
    let Some(peer) =
        crate::rest_differential::start_peer_with(Some(&django_url(&url)), Some(tls.path()))
    else {
        return;
    };
    assert!(peer.base.starts_with("https://127.0.0.1:"), "{}", peer.base);
    let api = format!("{}/api/organizations/v0/organizations/", peer.base);
    let Some((database, _dir)) = fresh_database(backend).await else {
        return;
    };
    let token = crate::rest_differential::token("staff", true);
    let run = |ca: Option<&std::path::Path>| {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "import",
            "--database-url",
            &database,
            "--organizations-api",
            &api,
            "--token",
            &token,
            "--apply",
        ]);
        if let Some(ca) = ca {
            cmd.arg("--ca-cert").arg(ca);
        }
        cmd.env("RUST_LOG", "warn").output().unwrap()
    };
    // A private CA the system does not know: refused, saying why.
    let refused = run(None);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "a private CA must not be trusted without --ca-cert"
    );
    assert!(
        stderr.contains("certificate") && stderr.contains(&peer.base),
        "{stderr}"
    );
    let trusted = run(Some(&tls.path().join("ca.pem")));
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    let app = TestApp::spawn_on(&database, |_| {}).await;
    let listed = app.admin_data(ORGANIZATIONS, json!({})).await;
    let names: Vec<&str> = listed["organizations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["shortName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "the API's active organizations (edX, MITx): {names:?}"
    );
}
