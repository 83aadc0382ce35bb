//! The change log (docs/design.md): every write through every entry point leaves exactly its change
//! rows, in its own transaction, and each caller sees the changes of what it could see.

use std::process::Command;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{Backend, TestApp, admin, error_code, fresh_database, token};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

const CHANGES: &str = r#"query($after: String, $entities: [ChangeEntity!]) {
  changes(first: 1000, after: $after, entities: $entities) {
    totalCount
    pageInfo { endCursor }
    edges { node { id kind entity key actor before after } }
  }
}"#;

/// (kind, entity, key) of a change.
type Triple = (String, String, String);

/// (kind, entity, key) of each change.
fn triples(changes: &Value) -> Vec<Triple> {
    changes["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["entity"].as_str().unwrap().to_owned(),
                n["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn t(kind: &str, entity: &str, key: &str) -> Triple {
    (kind.to_owned(), entity.to_owned(), key.to_owned())
}

/// Reads the log as `token` sees it, resuming after `cursor`.
struct Reader<'a> {
    app: &'a TestApp,
    token: String,
    cursor: Value,
}

impl Reader<'_> {
    /// The changes since the last call.
    async fn next(&mut self) -> Vec<Triple> {
        let body = self
            .app
            .as_user(&self.token, CHANGES, json!({ "after": self.cursor }))
            .await;
        assert!(body.get("errors").is_none(), "{body:#}");
        let changes = &body["data"]["changes"];
        if !changes["pageInfo"]["endCursor"].is_null() {
            self.cursor = changes["pageInfo"]["endCursor"].clone();
        }
        triples(changes)
    }
}

/// Runs a mutation as administrator `ada` and returns the changes it logged.
async fn logged(
    app: &TestApp,
    reader: &mut Reader<'_>,
    mutation: &str,
) -> Vec<(String, String, String)> {
    let body = app
        .as_user(&token("ada", true, &[]), mutation, json!({}))
        .await;
    assert!(body.get("errors").is_none(), "{mutation}: {body:#}");
    reader.next().await
}

backend_tests! {
    every_mutation_logs_exactly_its_changes,
    a_write_that_rolls_back_leaves_no_change_row,
    seed_logs_the_demo_graph_once,
    history_follows_each_record,
}

async fn every_mutation_logs_exactly_its_changes(app: TestApp) {
    let mut log = Reader {
        app: &app,
        token: admin(),
        cursor: Value::Null,
    };
    let cases: Vec<(&str, Vec<Triple>)> = vec![
        (
            r#"mutation { createPartner(input: {shortCode: "edx", name: "edX"}) { shortCode } }"#,
            vec![t("CREATED", "PARTNER", "edx")],
        ),
        (
            r#"mutation { updatePartner(shortCode: "edx", input: {name: "edX Inc."}) { shortCode } }"#,
            vec![t("UPDATED", "PARTNER", "edx")],
        ),
        (
            r#"mutation { updatePartner(shortCode: "edx", input: {name: "edX Inc."}) { shortCode } }"#,
            vec![],
        ),
        (
            r#"mutation { createPartner(input: {shortCode: "mitpe", name: "MIT PE"}) { shortCode } }"#,
            vec![t("CREATED", "PARTNER", "mitpe")],
        ),
        (
            r#"mutation { createSite(input: {domain: "edx.org", name: "edX", partner: "edx"}) { domain } }"#,
            vec![t("CREATED", "SITE", "edx.org")],
        ),
        (
            r#"mutation { updateSite(domain: "edx.org", input: {partner: "mitpe"}) { domain } }"#,
            vec![t("UPDATED", "SITE", "edx.org")],
        ),
        (
            r#"mutation { createOrganization(input: {shortName: "MITx", name: "MIT"}) { shortName } }"#,
            vec![t("CREATED", "ORGANIZATION", "MITx")],
        ),
        (
            r#"mutation { updateOrganization(shortName: "mitx", input: {description: "Cambridge"}) { shortName } }"#,
            vec![t("UPDATED", "ORGANIZATION", "MITx")],
        ),
        (
            r#"mutation { ensureOrganization(shortName: "HarvardX") { created } }"#,
            vec![t("CREATED", "ORGANIZATION", "HarvardX")],
        ),
        (
            r#"mutation { ensureOrganization(shortName: "harvardx") { created } }"#,
            vec![],
        ),
        (
            r#"mutation { linkCourse(courseKey: "course-v1:MITx+6.002x+2024") { created } }"#,
            vec![t(
                "CREATED",
                "COURSE_LINK",
                "course-v1:MITx+6.002x+2024/MITx",
            )],
        ),
        (
            r#"mutation { linkCourse(courseKey: "course-v1:MITx+6.002x+2024") { created } }"#,
            vec![],
        ),
        (
            r#"mutation { linkCourse(courseKey: "VJx/V101/2024") { created } }"#,
            vec![
                t("CREATED", "ORGANIZATION", "VJx"),
                t("CREATED", "COURSE_LINK", "VJx/V101/2024/VJx"),
            ],
        ),
        (
            r#"mutation { unlinkCourse(courseKey: "VJx/V101/2024", organization: "VJx") { created } }"#,
            vec![t("DEACTIVATED", "COURSE_LINK", "VJx/V101/2024/VJx")],
        ),
        (
            r#"mutation { linkCourse(courseKey: "VJx/V101/2024") { created } }"#,
            vec![t("REACTIVATED", "COURSE_LINK", "VJx/V101/2024/VJx")],
        ),
        (
            r#"mutation { deactivateOrganization(shortName: "MITx") { active } }"#,
            vec![
                t("DEACTIVATED", "ORGANIZATION", "MITx"),
                t(
                    "DEACTIVATED",
                    "COURSE_LINK",
                    "course-v1:MITx+6.002x+2024/MITx",
                ),
            ],
        ),
        (
            r#"mutation { deactivateOrganization(shortName: "MITx") { active } }"#,
            vec![],
        ),
        (
            r#"mutation { reactivateOrganization(shortName: "MITx") { active } }"#,
            vec![
                t("REACTIVATED", "ORGANIZATION", "MITx"),
                t(
                    "REACTIVATED",
                    "COURSE_LINK",
                    "course-v1:MITx+6.002x+2024/MITx",
                ),
            ],
        ),
        (
            r#"mutation { addOrganizationToPartner(partner: "mitpe", organization: "MITx") { shortCode } }"#,
            vec![t("CREATED", "PARTNER_ORGANIZATION", "mitpe/MITx")],
        ),
        (
            r#"mutation { addOrganizationToPartner(partner: "mitpe", organization: "MITx") { shortCode } }"#,
            vec![],
        ),
        (
            r#"mutation { addOrganizationToSite(site: "edx.org", organization: "MITx") { domain } }"#,
            vec![t("CREATED", "SITE_ORGANIZATION", "edx.org/MITx")],
        ),
        (
            r#"mutation { removeOrganizationFromSite(site: "edx.org", organization: "MITx") { domain } }"#,
            vec![t("REMOVED", "SITE_ORGANIZATION", "edx.org/MITx")],
        ),
        (
            r#"mutation { removeOrganizationFromPartner(partner: "mitpe", organization: "MITx") { shortCode } }"#,
            vec![t("REMOVED", "PARTNER_ORGANIZATION", "mitpe/MITx")],
        ),
        (
            r#"mutation { grantRole(subject: "bo", role: ORG_STAFF, organization: "MITx") { role } }"#,
            vec![t("CREATED", "GRANT", "bo/ORG_STAFF/MITx")],
        ),
        (
            r#"mutation { grantRole(subject: "bo", role: ORG_STAFF, organization: "MITx") { role } }"#,
            vec![],
        ),
        (
            r#"mutation { grantRole(subject: "cy", role: PARTNER_ADMIN, partner: "edx") { role } }"#,
            vec![t("CREATED", "GRANT", "cy/PARTNER_ADMIN/edx")],
        ),
        (
            r#"mutation { revokeRole(subject: "bo", role: ORG_STAFF, organization: "MITx") }"#,
            vec![t("REMOVED", "GRANT", "bo/ORG_STAFF/MITx")],
        ),
        (
            r#"mutation { backfill(courseKeys: ["lib:NewX:a", "course-v1:MITx+B+1"], apply: true) { linksCreated } }"#,
            vec![
                t("CREATED", "ORGANIZATION", "NewX"),
                t("CREATED", "COURSE_LINK", "lib:NewX:a/NewX"),
                t("CREATED", "COURSE_LINK", "course-v1:MITx+B+1/MITx"),
            ],
        ),
        (
            r#"mutation { backfill(courseKeys: ["lib:NewX:a", "lib:OtherX:b"]) { linksCreated } }"#,
            vec![],
        ),
    ];
    for (mutation, expected) in cases {
        let mut got = logged(&app, &mut log, mutation).await;
        let mut expected = expected;
        // One write logs its rows in one order; compare as sets where a statement wrote many.
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{mutation}");
    }
    let everything = app.admin_data(CHANGES, json!({})).await;
    let nodes = everything["changes"]["edges"].as_array().unwrap();
    assert!(
        nodes.iter().all(|e| e["node"]["actor"] == "ada"),
        "every change names its actor"
    );
    let site_move = nodes
        .iter()
        .find(|e| e["node"]["key"] == "edx.org" && e["node"]["kind"] == "UPDATED")
        .unwrap();
    assert_eq!(site_move["node"]["before"]["partner"], "edx");
    assert_eq!(site_move["node"]["after"]["partner"], "mitpe");
    let link = nodes
        .iter()
        .find(|e| e["node"]["key"] == "lib:NewX:a/NewX")
        .unwrap();
    assert_eq!(
        link["node"]["after"],
        json!({"courseKey": "lib:NewX:a", "organization": "NewX", "active": true})
    );
    assert!(link["node"]["before"].is_null());
}

async fn a_write_that_rolls_back_leaves_no_change_row(app: TestApp) {
    let backend = app.backend;
    // The link insert fails after the organization was created in the same transaction.
    let trigger = match backend {
        Backend::Sqlite => vec![
            "CREATE TRIGGER boom BEFORE INSERT ON course_link WHEN NEW.course_key LIKE '%BoomX%' \
                 BEGIN SELECT RAISE(ABORT, 'boom'); END",
        ],
        Backend::Postgres => vec![
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN \
                 IF NEW.course_key LIKE '%BoomX%' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ \
                 LANGUAGE plpgsql",
            "CREATE TRIGGER boom BEFORE INSERT ON course_link FOR EACH ROW EXECUTE FUNCTION boom()",
        ],
    };
    use sea_orm::ConnectionTrait;
    for statement in trigger {
        app.db.execute_unprepared(statement).await.unwrap();
    }
    let before = app.snapshot().await;
    let body = app
        .as_user(
            &admin(),
            r#"mutation { linkCourse(courseKey: "course-v1:BoomX+A+1") { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "INTERNAL");
    let backfill = app.as_user(&admin(), r#"mutation { backfill(courseKeys: ["lib:OkX:a", "lib:BoomX:b"], apply: true) { linksCreated } }"#, json!({})).await;
    assert_eq!(error_code(&backfill), "INTERNAL");
    assert_eq!(
        app.snapshot().await,
        before,
        "no organization, link or change row"
    );
    assert!(before.is_empty());
}

async fn seed_logs_the_demo_graph_once(app: TestApp) {
    app.seed_demo().await;
    let all = app.admin_data(CHANGES, json!({})).await;
    // 6 organizations, 3 partners, 3 sites, 6 + 6 memberships, 12 course links.
    assert_eq!(all["changes"]["totalCount"], 36);
    let nodes = all["changes"]["edges"].as_array().unwrap();
    assert!(
        nodes
            .iter()
            .all(|e| e["node"]["kind"] == "CREATED" && e["node"]["actor"] == "seed")
    );
    let mitx = nodes.iter().find(|e| e["node"]["key"] == "MITx").unwrap();
    assert_eq!(
        mitx["node"]["after"]["description"],
        "edX Consortium member"
    );
    app.seed_demo().await;
    assert_eq!(
        app.admin_data(CHANGES, json!({})).await["changes"]["totalCount"],
        36,
        "seeding again adds nothing"
    );
}

async fn history_follows_each_record(app: TestApp) {
    app.seed_demo().await;
    app.admin_data(
        r#"mutation { updateOrganization(shortName: "VJx", input: {name: "VJ"}) { name } }"#,
        json!({}),
    )
    .await;
    let q = r#"{
          organization(shortName: "VJx") { history { totalCount edges { node { kind entity key } } } }
          partner(shortCode: "mitpe") { history { totalCount edges { node { entity key } } } }
          site(domain: "edx.org") { history(first: 2) { totalCount pageInfo { hasNextPage } edges { node { entity key } } } }
        }"#;
    let data = app.data(q, json!({})).await;
    let vjx = triples(&data["organization"]["history"]);
    assert_eq!(vjx[0], t("CREATED", "ORGANIZATION", "VJx"));
    assert_eq!(vjx.last().unwrap(), &t("UPDATED", "ORGANIZATION", "VJx"));
    // VJx: itself twice, its membership of edx and of edx.org, its course link.
    assert_eq!(data["organization"]["history"]["totalCount"], 5);
    let mitpe: Vec<&str> = data["partner"]["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["entity"].as_str().unwrap())
        .collect();
    assert_eq!(
        mitpe,
        [
            "PARTNER",
            "PARTNER_ORGANIZATION",
            "SITE",
            "SITE_ORGANIZATION"
        ]
    );
    assert_eq!(
        data["site"]["history"]["totalCount"], 5,
        "edx.org and the four organizations it presents"
    );
    assert_eq!(data["site"]["history"]["pageInfo"]["hasNextPage"], true);
}

/// What each kind of caller sees of the log (docs/design.md): the changes of records it could see
/// before or after them; grant changes only for administrators and covering admins.
mod visibility {
    use super::*;

    async fn arrange(app: &TestApp) {
        app.seed_demo().await;
        // SecretX exists only inactive: nobody without a grant ever saw it.
        app.admin_data(r#"mutation { backfill(courseKeys: ["course-v1:SecretX+S+1"], apply: true, inactive: true) { linksCreated } }"#, json!({})).await;
        app.admin_data(r#"mutation { addOrganizationToPartner(partner: "hxplus", organization: "SecretX") { shortCode } }"#, json!({})).await;
        for (subject, role, target) in [
            ("staff", "ORG_STAFF", "organization: \"SecretX\""),
            ("oadmin", "ORG_ADMIN", "organization: \"SecretX\""),
            ("padmin", "PARTNER_ADMIN", "partner: \"hxplus\""),
        ] {
            app.admin_data(&format!("mutation {{ grantRole(subject: \"{subject}\", role: {role}, {target}) {{ role }} }}"), json!({})).await;
        }
        // MITx leaves the public directory: everyone saw it, so everyone sees it go.
        app.admin_data(
            r#"mutation { deactivateOrganization(shortName: "MITx") { active } }"#,
            json!({}),
        )
        .await;
    }

    async fn keys(app: &TestApp, token: Option<String>) -> Vec<String> {
        let body = match token {
            Some(t) => app.as_user(&t, CHANGES, json!({})).await,
            None => app.gql(CHANGES, json!({})).await,
        };
        assert!(body.get("errors").is_none(), "{body:#}");
        let changes = &body["data"]["changes"];
        let keys: Vec<String> = triples(changes)
            .into_iter()
            .map(|(_, e, k)| format!("{e} {k}"))
            .collect();
        assert_eq!(
            changes["totalCount"].as_u64().unwrap() as usize,
            keys.len(),
            "totalCount counts what is listed"
        );
        keys
    }

    fn secret(keys: &[String]) -> Vec<&str> {
        keys.iter()
            .filter(|k| k.contains("SecretX"))
            .map(String::as_str)
            .collect()
    }

    fn grants(keys: &[String]) -> Vec<&str> {
        keys.iter()
            .filter(|k| k.starts_with("GRANT"))
            .map(String::as_str)
            .collect()
    }

    backend_tests! {
        each_caller_sees_the_changes_of_what_it_could_see,
        the_log_costs_the_same_over_5_and_500_records,
    }

    async fn each_caller_sees_the_changes_of_what_it_could_see(app: TestApp) {
        arrange(&app).await;
        let all = keys(&app, Some(admin())).await;
        assert_eq!(
            all.len(),
            36 + 3 + 3 + 6,
            "seed, SecretX (org, link, membership), grants, MITx and its 5 links"
        );

        let anonymous = keys(&app, None).await;
        assert!(secret(&anonymous).is_empty(), "{anonymous:?}");
        assert!(grants(&anonymous).is_empty());
        assert!(anonymous.contains(&"ORGANIZATION MITx".to_owned()));
        assert_eq!(
            anonymous
                .iter()
                .filter(|k| *k == "ORGANIZATION MITx")
                .count(),
            2,
            "created, then deactivated"
        );
        assert!(anonymous.contains(&"COURSE_LINK course-v1:MITx+6.002x+2024_T1/MITx".to_owned()));

        let staff = keys(&app, Some(token("staff", false, &[]))).await;
        assert_eq!(
            secret(&staff),
            [
                "ORGANIZATION SecretX",
                "COURSE_LINK course-v1:SecretX+S+1/SecretX",
                "PARTNER_ORGANIZATION hxplus/SecretX"
            ]
        );
        assert!(grants(&staff).is_empty(), "ORG_STAFF is not an admin");

        let oadmin = keys(&app, Some(token("oadmin", false, &[]))).await;
        assert_eq!(secret(&oadmin).len(), 3 + 2);
        assert_eq!(
            grants(&oadmin),
            [
                "GRANT staff/ORG_STAFF/SecretX",
                "GRANT oadmin/ORG_ADMIN/SecretX"
            ]
        );

        let padmin = keys(&app, Some(token("padmin", false, &[]))).await;
        assert_eq!(secret(&padmin).len(), 3 + 2);
        assert_eq!(grants(&padmin).len(), 3, "its members' grants and its own");

        let filtered = keys(&app, Some(token("catalog", true, &["content_org:MITx"]))).await;
        assert!(
            filtered
                .iter()
                .all(|k| !k.starts_with("ORGANIZATION ") || k == "ORGANIZATION MITx"),
            "{filtered:?}"
        );
        assert!(secret(&filtered).is_empty());
        assert!(grants(&filtered).is_empty());
        assert!(
            filtered.contains(&"PARTNER edx".to_owned()),
            "partners stay visible"
        );
        assert!(
            !filtered.iter().any(|k| k.contains("HarvardX")),
            "{filtered:?}"
        );

        // The same rule holds for histories.
        let q = r#"{ organization(shortName: "SecretX", includeInactive: true) { history { totalCount } } }"#;
        assert_eq!(
            app.as_user(&token("staff", false, &[]), q, json!({})).await["data"]["organization"]["history"]
                ["totalCount"],
            3
        );
        assert_eq!(
            app.as_user(&token("oadmin", false, &[]), q, json!({}))
                .await["data"]["organization"]["history"]["totalCount"],
            5
        );
        assert!(app.gql(q, json!({})).await["data"]["organization"].is_null());
    }

    async fn the_log_costs_the_same_over_5_and_500_records(app: TestApp) {
        let keys = |n: usize| {
            (0..n)
                .map(|i| format!("\"lib:Org{i:03}X:a\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let q = r#"{ changes(first: 1000) { totalCount edges { cursor node { id at actor kind entity key before after } } }
                        organizations(first: 1000) { edges { node { history { totalCount edges { node { key } } } } } } }"#;
        let mut costs = Vec::new();
        for n in [5, 500] {
            app.admin_data(
                &format!(
                    "mutation {{ backfill(courseKeys: [{}], apply: true) {{ linksCreated }} }}",
                    keys(n)
                ),
                json!({}),
            )
            .await;
            let (cost, body) = app
                .statements_during(app.as_user(&admin(), q, json!({})))
                .await;
            assert!(body.get("errors").is_none(), "{body:#}");
            assert!(body["data"]["changes"]["totalCount"].as_u64().unwrap() >= 2 * n as u64);
            costs.push(cost);
        }
        assert_eq!(
            costs[0], costs[1],
            "statements for 5 and 500 changed records: {costs:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_writes_are_logged_with_the_verb_and_actor() {
    let (url, _dir) = fresh_database(Backend::Sqlite).await.unwrap();
    let run = |args: &[&str], input: &str| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys.txt");
        std::fs::write(&file, input).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args(args).env("DATABASE_URL", &url);
        if args[0] == "backfill" {
            cmd.arg(&file);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["seed", "--demo"], "");
    run(
        &["backfill", "--apply", "--actor", "ops"],
        "course-v1:NewX+A+1\nlib:MITx:new\n",
    );
    let app = TestApp::spawn_on(&url, |_| {}).await;
    let all = app.admin_data(CHANGES, json!({})).await;
    let actors: Vec<&str> = all["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors.iter().filter(|a| **a == "seed").count(), 36);
    assert_eq!(actors[36..], ["backfill (ops)"; 3], "{actors:?}");
}
