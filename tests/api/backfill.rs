//! Backfill (docs/design.md): the domain operation on both engines and its statement budget (the
//! CLI verb and the mutation: `backfill_cli.rs`).

use entity::{course_link, organization};
use sea_orm::{EntityTrait, QueryOrder};
use tenancy_gateway::access::Scope;
use tenancy_gateway::domain::backfill::{BackfillOptions, BackfillReport};
use tenancy_gateway::service::{Actor, backfill};

use crate::backend_tests;
use crate::support::{Backend, TestApp, fresh_database};

fn numbered(lines: &[&str]) -> Vec<(usize, String)> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, (*l).to_owned()))
        .collect()
}

async fn run(app: &TestApp, lines: &[&str], apply: bool, inactive: bool) -> BackfillReport {
    let scope = Scope::operator("backfill", None);
    let actor = Actor {
        db: &app.db,
        scope: &scope,
        autocreate: true,
        retries: None,
        committed: None,
    };
    backfill::run(
        actor,
        numbered(lines),
        BackfillOptions { apply, inactive },
        None,
    )
    .await
    .map_err(|e| e.message())
    .expect("backfill")
}

/// (short name, active), by short name.
async fn orgs(app: &TestApp) -> Vec<(String, bool)> {
    organization::Entity::find()
        .order_by_asc(organization::Column::ShortName)
        .all(&app.db)
        .await
        .expect("organizations")
        .into_iter()
        .map(|o| (o.short_name, o.active))
        .collect()
}

/// (course key, organization short name, active), by course key.
async fn links(app: &TestApp) -> Vec<(String, String, bool)> {
    let mut links: Vec<_> = course_link::Entity::find()
        .find_also_related(organization::Entity)
        .all(&app.db)
        .await
        .expect("links")
        .into_iter()
        .map(|(l, o)| (l.course_key, o.expect("organization").short_name, l.active))
        .collect();
    links.sort();
    links
}

fn counts(r: &BackfillReport) -> [u64; 4] {
    [
        r.organizations_created,
        r.organizations_reactivated,
        r.links_created,
        r.links_reactivated,
    ]
}

async fn deactivate(app: &TestApp, short_name: &str) {
    app.admin_data(
        "mutation($n: String!) { deactivateOrganization(shortName: $n) { active } }",
        serde_json::json!({ "n": short_name }),
    )
    .await;
}

async fn unlink(app: &TestApp, key: &str, short_name: &str) {
    app.admin_data(
        "mutation($k: String!, $n: String!) { unlinkCourse(courseKey: $k, organization: $n) { created } }",
        serde_json::json!({ "k": key, "n": short_name }),
    )
    .await;
}

const KEYS: &[&str] = &[
    "course-v1:MITx+6.002x+2024_T1",
    "MITx/6.002x/2012_Fall",
    "library-v1:MITx+Problems",
    "lib:HarvardX:cs50-problems",
    "course-v1:HarvardX+CS50x+2024",
    "course-v1:MITx+6.002x+2024_T1",
    "course-v1:DartmouthX+ENGL.01.X+2024_T1",
];

backend_tests! {
    a_dry_run_counts_exactly_and_writes_nothing,
    a_rerun_creates_nothing,
    short_names_differing_in_case_are_one_organization,
    an_existing_spelling_wins_over_the_input,
    inactive_organizations_come_back_with_their_links,
    inactive_creates_inactive_rows_and_reactivates_nothing,
    invalid_keys_are_reported_with_their_lines_and_skipped,
    an_empty_input_does_nothing,
}

async fn a_dry_run_counts_exactly_and_writes_nothing(app: TestApp) {
    let dry = run(&app, KEYS, false, false).await;
    assert!(!dry.applied);
    // The duplicate key is one link.
    assert_eq!(counts(&dry), [3, 0, 6, 0]);
    assert_eq!(dry.keys_read, 7);
    assert_eq!(
        dry.organizations_to_create,
        ["DartmouthX", "HarvardX", "MITx"]
    );
    assert_eq!(dry.sample_links_to_create.len(), 6);
    assert_eq!(dry.sample_links_to_create[0].organization, "DartmouthX");
    assert!(
        orgs(&app).await.is_empty(),
        "a dry run writes no organization"
    );
    assert!(links(&app).await.is_empty(), "a dry run writes no link");

    let applied = run(&app, KEYS, true, false).await;
    assert!(applied.applied);
    assert_eq!(
        counts(&applied),
        counts(&dry),
        "apply does what the dry run said"
    );
    assert_eq!(
        orgs(&app).await,
        [
            ("DartmouthX".into(), true),
            ("HarvardX".into(), true),
            ("MITx".into(), true)
        ]
    );
    let written = links(&app).await;
    assert_eq!(written.len(), 6);
    assert!(written.contains(&("lib:HarvardX:cs50-problems".into(), "HarvardX".into(), true)));
    assert!(written.contains(&("MITx/6.002x/2012_Fall".into(), "MITx".into(), true)));
}

async fn a_rerun_creates_nothing(app: TestApp) {
    run(&app, KEYS, true, false).await;
    let dry = run(&app, KEYS, false, false).await;
    assert_eq!(counts(&dry), [0; 4]);
    let again = run(&app, KEYS, true, false).await;
    assert_eq!(counts(&again), [0; 4]);
    assert!(again.organizations_to_create.is_empty() && again.sample_links_to_create.is_empty());
    assert_eq!(orgs(&app).await.len(), 3);
    assert_eq!(links(&app).await.len(), 6);
}

async fn short_names_differing_in_case_are_one_organization(app: TestApp) {
    let keys = [
        "course-v1:edx+Later+1",
        "course-v1:edX+DemoX+2020",
        "library-v1:edx+lib1",
    ];
    let dry = run(&app, &keys, false, false).await;
    assert_eq!(dry.organizations_to_create, ["edX"], "edX sorts before edx");
    assert_eq!(counts(&dry), [1, 0, 3, 0]);
    run(&app, &keys, true, false).await;
    assert_eq!(orgs(&app).await, [("edX".into(), true)]);
    let links = links(&app).await;
    assert_eq!(links.len(), 3);
    assert!(
        links.iter().all(|(_, org, active)| org == "edX" && *active),
        "{links:?}"
    );
}

async fn an_existing_spelling_wins_over_the_input(app: TestApp) {
    run(&app, &["course-v1:mitx+Old+1"], true, false).await;
    let report = run(&app, &["course-v1:MITx+New+1", "lib:MITX:x"], true, false).await;
    assert_eq!(counts(&report), [0, 0, 2, 0]);
    assert_eq!(report.sample_links_to_create[0].organization, "mitx");
    assert_eq!(orgs(&app).await, [("mitx".into(), true)]);
    assert!(links(&app).await.iter().all(|(_, org, _)| org == "mitx"));
}

async fn inactive_organizations_come_back_with_their_links(app: TestApp) {
    run(
        &app,
        &[
            "course-v1:MITx+A+1",
            "course-v1:MITx+B+1",
            "course-v1:HarvardX+C+1",
            "course-v1:HarvardX+D+1",
        ],
        true,
        false,
    )
    .await;
    // MITx is deactivated (with both links); one HarvardX link is unlinked.
    deactivate(&app, "MITx").await;
    unlink(&app, "course-v1:HarvardX+C+1", "HarvardX").await;

    // Only MITx+A is named, but MITx+B comes back with its organization.
    let input = [
        "course-v1:MITx+A+1",
        "course-v1:HarvardX+C+1",
        "course-v1:HarvardX+E+1",
    ];
    let dry = run(&app, &input, false, false).await;
    assert_eq!(counts(&dry), [0, 1, 1, 3]);
    assert_eq!(dry.links_reactivated_with_organizations, 2);
    assert_eq!(dry.organizations_to_reactivate, ["MITx"]);
    assert_eq!(
        dry.sample_links_to_reactivate.len(),
        2,
        "the two links named in the input"
    );
    assert!(
        links(&app).await.iter().filter(|l| !l.2).count() == 3,
        "the dry run changed nothing"
    );

    let applied = run(&app, &input, true, false).await;
    assert_eq!(counts(&applied), counts(&dry));
    assert_eq!(applied.links_reactivated_with_organizations, 2);
    assert!(orgs(&app).await.iter().all(|o| o.1));
    let links = links(&app).await;
    assert_eq!(links.len(), 5);
    assert!(links.iter().all(|l| l.2), "{links:?}");
    assert_eq!(counts(&run(&app, &input, true, false).await), [0; 4]);
}

async fn inactive_creates_inactive_rows_and_reactivates_nothing(app: TestApp) {
    run(
        &app,
        &[
            "course-v1:MITx+A+1",
            "course-v1:HarvardX+C+1",
            "course-v1:HarvardX+D+1",
        ],
        true,
        false,
    )
    .await;
    deactivate(&app, "MITx").await;
    unlink(&app, "course-v1:HarvardX+C+1", "HarvardX").await;

    let input = [
        "course-v1:MITx+A+1",
        "course-v1:MITx+B+1",
        "course-v1:HarvardX+C+1",
        "course-v1:VJx+V+1",
    ];
    let dry = run(&app, &input, false, true).await;
    assert_eq!(counts(&dry), [1, 0, 2, 0]);
    assert!(
        dry.organizations_to_reactivate.is_empty() && dry.sample_links_to_reactivate.is_empty()
    );
    let applied = run(&app, &input, true, true).await;
    assert_eq!(counts(&applied), counts(&dry));
    assert_eq!(
        orgs(&app).await,
        [
            ("HarvardX".into(), true),
            ("MITx".into(), false),
            ("VJx".into(), false)
        ]
    );
    assert_eq!(
        links(&app).await,
        [
            ("course-v1:HarvardX+C+1".into(), "HarvardX".into(), false),
            ("course-v1:HarvardX+D+1".into(), "HarvardX".into(), true),
            ("course-v1:MITx+A+1".into(), "MITx".into(), false),
            ("course-v1:MITx+B+1".into(), "MITx".into(), false),
            ("course-v1:VJx+V+1".into(), "VJx".into(), false),
        ]
    );
    // Without --inactive, the same input brings everything back.
    assert_eq!(counts(&run(&app, &input, true, false).await), [0, 2, 0, 4]);
}

async fn invalid_keys_are_reported_with_their_lines_and_skipped(app: TestApp) {
    let input = [
        "# exported from the LMS",
        "course-v1:MITx+A+1",
        "",
        "not a key",
        "  course-v1:HarvardX+B+1  ",
        "course-v1:MITx+A",
        "block-v1:MITx+A+1+type@html+block@x",
    ];
    let report = run(&app, &input, true, false).await;
    let invalid: Vec<(usize, &str)> = report
        .invalid_keys
        .iter()
        .map(|k| (k.line, k.key.as_str()))
        .collect();
    assert_eq!(
        invalid,
        [
            (4, "not a key"),
            (6, "course-v1:MITx+A"),
            (7, "block-v1:MITx+A+1+type@html+block@x")
        ]
    );
    assert!(report.invalid_keys.iter().all(|k| !k.reason.is_empty()));
    assert_eq!(report.keys_read, 2);
    assert_eq!(counts(&report), [2, 0, 2, 0]);
    assert_eq!(links(&app).await.len(), 2);
}

async fn an_empty_input_does_nothing(app: TestApp) {
    let report = run(&app, &["", "# nothing"], true, false).await;
    assert_eq!(counts(&report), [0; 4]);
    assert!(report.applied && report.invalid_keys.is_empty());
}

/// A 10,000-key backfill costs a handful of statements, not one per key or organization.
async fn statement_budget(backend: Backend) {
    let Some((url, _dir)) = fresh_database(backend).await else {
        return;
    };
    let metrics = tenancy_gateway::metrics::Metrics::new();
    let db = tenancy_gateway::db::connect(&url, &metrics)
        .await
        .expect("connect");
    tenancy_gateway::db::migrate(&db).await.expect("migrate");
    let keys: Vec<(usize, String)> = (0..10_000)
        .map(|n| (n + 1, format!("course-v1:Org{:03}+C{n}+2025", n % 100)))
        .collect();
    let opts = |apply| BackfillOptions {
        apply,
        inactive: false,
    };
    let mut costs = Vec::new();
    for apply in [false, true, true] {
        let before = metrics.sql_statements.get();
        let scope = Scope::operator("backfill", None);
        let actor = Actor {
            db: &db,
            scope: &scope,
            autocreate: true,
            retries: None,
            committed: None,
        };
        let report = backfill::run(actor, keys.clone(), opts(apply), None)
            .await
            .map_err(|e| e.message())
            .expect("backfill");
        costs.push(metrics.sql_statements.get() - before);
        assert_eq!(report.invalid_keys.len(), 0);
    }
    // dry run, fresh apply, re-run (which reads the 10,000 existing links back)
    assert!(
        costs.iter().all(|&c| c <= 20),
        "statements per backfill: {costs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_statement_budget() {
    statement_budget(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_statement_budget() {
    statement_budget(Backend::Postgres).await;
}
