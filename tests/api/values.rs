//! One table of values past a limit or holding a NUL (docs/design.md), through every entry
//! point: GraphQL arguments and inputs (`BAD_USER_INPUT` with the field, `INVALID_COURSE_KEY`
//! for keys), the edx-organizations REST API (400 naming the field, 404 for a lookup), the
//! backfill (mutation and CLI: invalid keys, exit status 2) and import from an LMS database the
//! real edx-organizations app filled (cut, left out or skipped, reported by table and key).
//! Nothing refused is stored: the database's rows are compared, not counted.

use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{TestApp, admin, error_code, run_with_stdin};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");
const REST: &str = "/api/organizations/v0/organizations/";
const NUL: &str = "a\u{0}b";

fn long(n: usize) -> String {
    "x".repeat(n)
}

/// An https URL of exactly `n` characters.
fn url(n: usize) -> String {
    let head = "https://lms.test/";
    format!("{head}{}", "u".repeat(n - head.len()))
}

/// A course key of `n` characters (valid but for its length).
fn key(n: usize) -> String {
    let head = "course-v1:ValX+";
    format!("{head}{}+1", "c".repeat(n - head.len() - 2))
}

/// (operation, variables, code, field): each must be refused.
fn graphql_cases() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    const CREATE: &str =
        "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }";
    const UPDATE: &str = "mutation($i: UpdateOrganizationInput!) { updateOrganization(shortName: \"ValX\", input: $i) { id } }";
    const ENSURE: &str = "mutation($s: String!, $n: String) { ensureOrganization(shortName: $s, name: $n) { created } }";
    const PARTNER: &str = "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }";
    const UPDATE_PARTNER: &str = "mutation($i: UpdatePartnerInput!) { updatePartner(shortCode: \"valp\", input: $i) { id } }";
    const SITE: &str = "mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }";
    const UPDATE_SITE: &str =
        "mutation($i: UpdateSiteInput!) { updateSite(domain: \"val.test\", input: $i) { id } }";
    const GRANT: &str = "mutation($s: String!) { grantRole(subject: $s, role: ORG_STAFF, organization: \"ValX\") { role } }";
    const REVOKE: &str = "mutation($s: String!) { revokeRole(subject: $s, role: ORG_STAFF, organization: \"ValX\") }";
    const LINK: &str = "mutation($k: String!) { linkCourse(courseKey: $k) { created } }";
    const SEARCH: &str = "query($s: String) { organizations(search: $s) { totalCount } }";
    const PARTNERS: &str = "query($s: String) { partners(search: $s) { totalCount } }";
    const LOOKUP: &str = "query($s: String!) { organization(shortName: $s) { id } }";
    let org = |field: &str, value: Value| {
        let mut input = json!({"shortName": "NewX", "name": "New"});
        input[field] = value;
        json!({ "i": input })
    };
    let partner = |field: &str, value: Value| {
        let mut input = json!({"shortCode": "newp", "name": "New Partner"});
        input[field] = value;
        json!({ "i": input })
    };
    let site = |field: &str, value: Value| {
        let mut input = json!({"domain": "new.test", "name": "New"});
        input[field] = value;
        json!({ "i": input })
    };
    let bad = "BAD_USER_INPUT";
    vec![
        (
            CREATE,
            org("shortName", json!(long(256))),
            bad,
            "input.shortName",
        ),
        (
            CREATE,
            org("shortName", json!("New\u{0}X")),
            bad,
            "input.shortName",
        ),
        (CREATE, org("name", json!(long(256))), bad, "input.name"),
        (CREATE, org("name", json!(NUL)), bad, "input.name"),
        (
            CREATE,
            org("description", json!(long(10_001))),
            bad,
            "input.description",
        ),
        (
            CREATE,
            org("description", json!(NUL)),
            bad,
            "input.description",
        ),
        (
            CREATE,
            org("logoUrl", json!(url(256))),
            bad,
            "input.logoUrl",
        ),
        (
            CREATE,
            org("logoUrl", json!(url(2_009))),
            bad,
            "input.logoUrl",
        ),
        (
            CREATE,
            org("logoUrl", json!(format!("{}\u{0}", url(30)))),
            bad,
            "input.logoUrl",
        ),
        (UPDATE, json!({"i": {"name": long(256)}}), bad, "input.name"),
        (UPDATE, json!({"i": {"name": NUL}}), bad, "input.name"),
        (
            UPDATE,
            json!({"i": {"description": long(50_000)}}),
            bad,
            "input.description",
        ),
        (
            UPDATE,
            json!({"i": {"description": NUL}}),
            bad,
            "input.description",
        ),
        (
            UPDATE,
            json!({"i": {"logoUrl": url(2_009)}}),
            bad,
            "input.logoUrl",
        ),
        (ENSURE, json!({"s": "NewX", "n": long(256)}), bad, "name"),
        (ENSURE, json!({"s": "NewX", "n": NUL}), bad, "name"),
        (ENSURE, json!({"s": NUL}), bad, "shortName"),
        (
            PARTNER,
            partner("shortCode", json!(long(9))),
            bad,
            "input.shortCode",
        ),
        (
            PARTNER,
            partner("name", json!(long(129))),
            bad,
            "input.name",
        ),
        (PARTNER, partner("name", json!(NUL)), bad, "input.name"),
        (
            PARTNER,
            partner("lmsUrl", json!(url(2_009))),
            bad,
            "input.lmsUrl",
        ),
        (
            PARTNER,
            partner("marketingSiteUrl", json!(format!("{}\u{0}", url(30)))),
            bad,
            "input.marketingSiteUrl",
        ),
        (
            UPDATE_PARTNER,
            json!({"i": {"name": long(129)}}),
            bad,
            "input.name",
        ),
        (
            UPDATE_PARTNER,
            json!({"i": {"studioUrl": url(256)}}),
            bad,
            "input.studioUrl",
        ),
        (
            SITE,
            site("domain", json!(format!("{}.test", long(96)))),
            bad,
            "input.domain",
        ),
        (
            SITE,
            site("domain", json!("new\u{0}.test")),
            bad,
            "input.domain",
        ),
        (SITE, site("name", json!(long(51))), bad, "input.name"),
        (SITE, site("name", json!(NUL)), bad, "input.name"),
        (
            UPDATE_SITE,
            json!({"i": {"name": long(51)}}),
            bad,
            "input.name",
        ),
        (GRANT, json!({"s": long(256)}), bad, "subject"),
        (GRANT, json!({"s": NUL}), bad, "subject"),
        (REVOKE, json!({"s": NUL}), bad, "subject"),
        (LINK, json!({"k": key(256)}), "INVALID_COURSE_KEY", ""),
        (
            LINK,
            json!({"k": "course-v1:ValX+a\u{0}b+1"}),
            "INVALID_COURSE_KEY",
            "",
        ),
        (SEARCH, json!({"s": long(256)}), bad, "search"),
        (SEARCH, json!({"s": NUL}), bad, "search"),
        (PARTNERS, json!({"s": NUL}), bad, "search"),
        (LOOKUP, json!({"s": long(256)}), bad, "shortName"),
        (LOOKUP, json!({"s": NUL}), bad, "shortName"),
    ]
}

/// (path, body, field): each PUT must be a 400 naming the field.
fn rest_cases() -> Vec<(&'static str, Value, &'static str)> {
    let body = |field: &str, value: Value| {
        let mut b = json!({"short_name": "ValX", "name": "Val"});
        b[field] = value;
        b
    };
    vec![
        ("ValX", body("name", json!(long(256))), "name"),
        ("ValX", body("name", json!(NUL)), "name"),
        ("NewX", body("short_name", json!(long(256))), "short_name"),
        ("NewX", body("short_name", json!("New\u{0}X")), "short_name"),
        (
            "ValX",
            body("description", json!(long(10_001))),
            "description",
        ),
        (
            "NewX",
            body("description", json!(long(50_000))),
            "description",
        ),
        ("ValX", body("description", json!(NUL)), "description"),
        ("ValX", body("logo_url", json!(url(2_009))), "logo_url"),
        ("NewX", body("logo_url", json!(url(256))), "logo_url"),
        (
            "ValX",
            body("logo_url", json!(format!("{}\u{0}", url(30)))),
            "logo_url",
        ),
    ]
}

/// Runs the binary's `backfill --apply` on `database` with `keys` on stdin.
fn cli_backfill(database: &str, keys: &str, args: &[&str]) -> (i32, String) {
    let out = run_with_stdin(
        Command::new(BIN)
            .args(["backfill", "--apply", "--database-url", database])
            .args(args)
            .env("RUST_LOG", "warn"),
        keys.as_bytes(),
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), text)
}

async fn arrange(app: &TestApp) {
    for q in [
        r#"mutation { createOrganization(input: {shortName: "ValX", name: "Val"}) { id } }"#,
        r#"mutation { createPartner(input: {shortCode: "valp", name: "Val Partner"}) { id } }"#,
        r#"mutation { createSite(input: {domain: "val.test", name: "Val", partner: "valp"}) { id } }"#,
    ] {
        app.admin_data(q, json!({})).await;
    }
}

backend_tests! {
    over_limit_and_nul_values_are_refused_and_nothing_is_stored,
    import_cuts_leaves_out_or_skips_what_does_not_fit_and_reports_it,
}

async fn over_limit_and_nul_values_are_refused_and_nothing_is_stored(app: TestApp) {
    arrange(&app).await;
    let before = app.snapshot().await;
    for (operation, variables, code, field) in graphql_cases() {
        let body = app.as_user(&admin(), operation, variables.clone()).await;
        let what = format!(
            "{operation} {}",
            &variables.to_string()[..variables.to_string().len().min(120)]
        );
        assert_eq!(error_code(&body), code, "{what}: {body}");
        if !field.is_empty() {
            assert_eq!(
                body["errors"][0]["extensions"]["field"], field,
                "{what}: {body}"
            );
        }
    }
    assert_eq!(app.snapshot().await, before, "GraphQL stored nothing");

    for (path, body, field) in rest_cases() {
        let (status, answer) = app
            .rest(
                Method::PUT,
                &format!("{REST}{path}/"),
                Some(&admin()),
                Some(body),
            )
            .await;
        assert_eq!(status, 400, "{path} {field}: {answer}");
        assert!(answer[field].is_array(), "{path} {field}: {answer}");
    }
    for path in [long(256), "a%00b".to_owned(), "%00".to_owned()] {
        let (status, answer) = app
            .rest(Method::GET, &format!("{REST}{path}/"), Some(&admin()), None)
            .await;
        assert_eq!(status, 404, "GET {path}: {answer}");
    }
    assert_eq!(app.snapshot().await, before, "REST stored nothing");

    let invalid = [
        key(256),
        "course-v1:ValX+a\u{0}b+1".to_owned(),
        format!("course-v1:{}+C+1", long(256)),
    ];
    let report = app.admin_data(
            "mutation($k: [String!]!) { backfill(courseKeys: $k, apply: true) { organizationsCreated linksCreated invalidKeys { line } } }",
            json!({ "k": invalid }),
        ).await;
    assert_eq!(
        report["backfill"],
        json!({"organizationsCreated": 0, "linksCreated": 0, "invalidKeys": [{"line": 1}, {"line": 2}, {"line": 3}]})
    );
    let (code, out) = cli_backfill(
        app.database_url(),
        &format!("{}\n", invalid.join("\n")),
        &[],
    );
    assert_eq!(code, 2, "{out}");
    for line in ["line 1", "line 2", "line 3"] {
        assert!(out.contains(line), "{line}: {out}");
    }
    // The actor the change log would name, as a subject is checked everywhere.
    let (code, out) = cli_backfill(
        app.database_url(),
        "course-v1:ValX+A+1\n",
        &["--actor", &long(256)],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--actor") && out.contains("must be 1-255 characters"),
        "{out}"
    );
    assert_eq!(app.snapshot().await, before, "the backfill stored nothing");
}

async fn import_cuts_leaves_out_or_skips_what_does_not_fit_and_reports_it(app: TestApp) {
    let logo = url(2_009);
    let rows = json!({
        "organizations": [
            {"short_name": "BigX", "name": long(300), "description": "d".repeat(50_000), "logo": logo},
            {"short_name": "NulX", "name": "Nul\u{0}Name"},
            {"short_name": "Bad\u{0}X", "name": "Bad"},
            {"short_name": "OkX", "name": "Ok", "description": "a\u{0}b"},
        ],
        "links": [
            {"course_id": "course-v1:BigX+A+1", "short_name": "BigX"},
            {"course_id": key(256).replace("ValX", "BigX"), "short_name": "BigX"},
            {"course_id": "course-v1:NulX+A+1", "short_name": "NulX"},
            {"course_id": "course-v1:OkX+A+1", "short_name": "OkX"},
        ],
    });
    let Some((lms, _guard)) = crate::import::lms_with(&rows).await else {
        return;
    };
    let report = crate::import::import_lms(&app, &lms).await;
    let conflicts = report.conflicts.join("\n");
    for expected in [
        r#"organizations_organization "BigX": name of 300 characters cut to fit"#,
        r#"organizations_organization "BigX": description of 50000 characters cut to 10000"#,
        r#"organizations_organization "BigX": logo of 2009 characters left out"#,
        r#"organizations_organization "NulX": skipped: name must be 1-255 characters, not blank, without NUL"#,
        "organizations_organization \"Bad\\0X\": skipped: short name",
        r#"organizations_organization "OkX": description left out"#,
        r#"organizations_organizationcourse "course-v1:BigX+ccc"#,
    ] {
        assert!(
            conflicts.contains(expected),
            "{expected}\nnot in:\n{conflicts}"
        );
    }
    // What was stored, field by field: nothing past a limit, nothing of a skipped row.
    let stored = app.admin_data(
            "{ organizations(includeInactive: true) { edges { node { shortName name description logoUrl courses { edges { node { courseKey } } } } } } }",
            json!({}),
        ).await;
    assert_eq!(
        stored["organizations"]["edges"],
        json!([
            {"node": {"shortName": "BigX", "name": long(255), "description": "d".repeat(10_000), "logoUrl": null,
                      "courses": {"edges": [{"node": {"courseKey": "course-v1:BigX+A+1"}}]}}},
            {"node": {"shortName": "OkX", "name": "Ok", "description": null, "logoUrl": null,
                      "courses": {"edges": [{"node": {"courseKey": "course-v1:OkX+A+1"}}]}}},
        ])
    );
    // A second run: the cut values are what is stored, so nothing changes.
    let before = app.snapshot().await;
    crate::import::assert_changed_nothing(&crate::import::import_lms(&app, &lms).await);
    assert_eq!(app.snapshot().await, before);
}
