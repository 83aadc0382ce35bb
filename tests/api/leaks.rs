//! Errors never show SQL, driver text, file paths or panic messages, whatever goes wrong: the
//! database losing its tables under a running service, and malformed input of every kind.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::TestApp;
use crate::support::admin;

/// Text that would betray the implementation.
const TELLTALES: [&str; 12] = [
    "select ",
    "insert into",
    "sqlx",
    "sqlite",
    "postgres",
    ".rs:",
    "panicked",
    "no such table",
    "relation \"",
    "error returned from database",
    "tenancy.db",
    "/tmp/",
];

fn assert_no_telltale(what: &str, text: &str) {
    let lower = text.to_ascii_lowercase();
    for telltale in TELLTALES {
        assert!(!lower.contains(telltale), "{what}: {telltale:?} in {text}");
    }
}

const READS: [&str; 6] = [
    "{ organizations { totalCount edges { node { shortName } } } }",
    r#"{ organization(shortName: "MITx") { name courses { totalCount } } }"#,
    r#"{ partner(shortCode: "edx") { organizations { edges { node { sites { totalCount } } } } } }"#,
    "{ sites { edges { node { domain partner { shortCode } } } } }",
    r#"{ courseOrganizations(courseKey: "course-v1:MITx+6.002x+2020") { shortName } }"#,
    r#"{ _entities(representations: [{ __typename: "Organization", shortName: "MITx" }]) { ... on Organization { name } } }"#,
];

const WRITES: [&str; 4] = [
    r#"mutation { ensureOrganization(shortName: "Gone") { created } }"#,
    r#"mutation { linkCourse(courseKey: "course-v1:Gone+A+B") { created } }"#,
    r#"mutation { createPartner(input: { shortCode: "p", name: "P" }) { shortCode } }"#,
    r#"mutation { deactivateOrganization(shortName: "MITx") { active } }"#,
];

backend_tests! {
    a_broken_database_answers_internal_and_nothing_more,
    malformed_input_is_answered_without_internals,
}

async fn a_broken_database_answers_internal_and_nothing_more(app: TestApp) {
    app.seed_demo().await;
    // Every table vanishes under the running service, as after a bad restore.
    for table in [
        "course_link",
        "partner_organization",
        "site_organization",
        "role_grant",
        "site",
        "organization",
        "partner",
    ] {
        app.db
            .execute_unprepared(&format!("ALTER TABLE {table} RENAME TO gone_{table}"))
            .await
            .unwrap();
    }
    let mut internal = 0;
    for query in READS.iter().chain(WRITES.iter()) {
        let body = app.as_user(&admin(), query, json!({})).await;
        let text = body.to_string();
        assert_no_telltale(query, &text);
        let codes: Vec<&str> = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["extensions"]["code"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert!(!codes.is_empty(), "{query}: no error in {text}");
        if codes.iter().all(|c| *c == "INTERNAL") {
            internal += 1;
            for error in body["errors"].as_array().unwrap() {
                assert_eq!(error["message"], "internal error", "{query}");
            }
        }
    }
    assert!(
        internal >= READS.len(),
        "database failures answer INTERNAL ({internal})"
    );
    let ready = app.raw(Method::GET, "/readyz", &[], None).await;
    assert_no_telltale("readyz", &ready.text);
}

async fn malformed_input_is_answered_without_internals(app: TestApp) {
    let gql = [("content-type", "application/json")];
    let bodies = [
            "".to_owned(),
            "{".to_owned(),
            "\u{0}\u{1}".to_owned(),
            "[[[[[[[[[[".to_owned(),
            json!({ "query": 42 }).to_string(),
            json!({ "query": "{ organizations(first: 99999999999) { totalCount } }" }).to_string(),
            json!({ "query": "query($n: Int) { organizations(first: $n) { totalCount } }", "variables": { "n": "ten" } }).to_string(),
            json!({ "query": "{ organizations(after: \"'; DROP TABLE organization; --\") { totalCount } }" }).to_string(),
            json!({ "query": "{ organization(shortName: \"\\u0000\") { name } }" }).to_string(),
            json!({ "query": "{ courseOrganization(courseKey: \"course-v1:\") { name } }" }).to_string(),
            json!({ "query": format!("{{ {} }}", "a{".repeat(5000)) }).to_string(),
            json!({ "query": format!("{{ organizations(search: {}1{}) {{ totalCount }} }}", "[".repeat(5000), "]".repeat(5000)) }).to_string(),
            json!({ "query": "mutation { createSite(input: { domain: \"a b\", name: \"\" }) { domain } }" }).to_string(),
            json!({ "query": "{ _entities(representations: [{ __typename: \"Nope\" }, 1, null]) { __typename } }" }).to_string(),
        ];
    for body in bodies {
        let resp = app
            .raw(Method::POST, "/graphql", &gql, Some(body.clone()))
            .await;
        assert!(resp.status.as_u16() < 500, "{body}: {}", resp.status);
        assert_no_telltale(&body, &resp.text);
        let errors = resp.body["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "{body}: {}", resp.text);
    }
    // Bad tokens of every kind.
    for token in [
        "x",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.e30.",
        &"A".repeat(10_000),
    ] {
        let bearer = format!("Bearer {token}");
        let resp = app
            .raw(
                Method::POST,
                "/graphql",
                &[
                    ("content-type", "application/json"),
                    ("authorization", &bearer),
                ],
                Some(json!({ "query": "{ viewer { subject } }" }).to_string()),
            )
            .await;
        assert_no_telltale(token, &resp.text);
        assert_eq!(
            resp.body["errors"][0]["extensions"]["code"],
            Value::from("UNAUTHENTICATED"),
            "{}",
            resp.text
        );
    }
}
