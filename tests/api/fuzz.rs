//! Random GraphQL documents and variables thrown at the live server (proptest, bounded):
//! nothing may panic, every answer is a well-formed HTTP response, and the server keeps serving.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

/// Pieces of GraphQL that make near-valid documents likely.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    ",",
    "!",
    "=",
    "...",
    "$v",
    "$w",
    "@skip(if: true)",
    "@include(if: $v)",
    "query",
    "mutation",
    "fragment F on Organization",
    "on",
    "Organization",
    "Partner",
    "F",
    "organizations",
    "organization",
    "partner",
    "partners",
    "sites",
    "site",
    "currentSite",
    "viewer",
    "courseOrganization",
    "courseOrganizations",
    "_entities",
    "_service",
    "sdl",
    "__typename",
    "__schema",
    "types",
    "name",
    "edges",
    "node",
    "courses",
    "totalCount",
    "pageInfo",
    "endCursor",
    "shortName",
    "shortCode",
    "first:",
    "after:",
    "search:",
    "courseKey:",
    "shortName:",
    "representations:",
    "includeInactive:",
    "1",
    "-1",
    "0",
    "2147483648",
    "1.5",
    "true",
    "null",
    "\"MITx\"",
    "\"\"",
    "\"course-v1:a+b+c\"",
    "\"\\u0000\"",
    "\"\u{1F600}\"",
    "ensureOrganization",
    "linkCourse",
    "backfill",
    "courseKeys:",
    "apply:",
    "#comment\n",
    "\n",
    "\"\"\"block\"\"\"",
];

fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.join(" ")),
        1 => any::<String>(),
        1 => "[{}()\\[\\]\":a-z ]{0,200}",
    ]
}

fn variables() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::hash_map("[a-z$]{1,3}", inner, 0..4).prop_map(|m| json!(m)),
        ]
    });
    prop_oneof![Just(Value::Null), value]
}

#[test]
fn random_documents_never_break_the_server() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(async {
        let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
        app.seed_demo().await;
        app
    });
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(document(), variables()), |(query, vars)| {
            let (status, text) = rt.block_on(async {
                let resp = app
                    .client()
                    .post(app.url("/graphql"))
                    .json(&json!({ "query": query, "variables": vars }))
                    .send()
                    .await
                    .expect("the server answers");
                let status = resp.status().as_u16();
                (status, resp.text().await.expect("body"))
            });
            prop_assert!(status < 500, "status {status} for {query:?}: {text}");
            let body: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {text}")))?;
            prop_assert!(
                body.get("data").is_some() || body.get("errors").is_some(),
                "{text}"
            );
            for telltale in ["panicked", ".rs:", "sqlx", "SELECT"] {
                prop_assert!(!text.contains(telltale), "{telltale} in {text}");
            }
            Ok(())
        })
        .unwrap();
    let alive = rt
        .block_on(async { app.client().get(app.url("/healthz")).send().await })
        .unwrap();
    assert_eq!(alive.status(), 200);
}
