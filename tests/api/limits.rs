//! Limits that stop hostile work before the database: each one triggers, costs no SQL statement,
//! answers `QUERY_TOO_COMPLEX` (or 413, or 504 for time), and ordinary queries still pass.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{Backend, TestApp, admin, error_code};

/// Fields nested `depth` deep: organizations -> edges -> node -> partners -> edges -> node -> ...
/// (pages of two, so that what the answer could hold stays under the cost limit).
fn nested(depth: usize) -> String {
    const CYCLE: [&str; 6] = [
        "organizations(first: 2)",
        "edges",
        "node",
        "partners(first: 2)",
        "edges",
        "node",
    ];
    let wrappers = depth - 1;
    let mut q = String::from("{ ");
    for i in 0..wrappers {
        q.push_str(CYCLE[i % CYCLE.len()]);
        q.push_str(" { ");
    }
    q.push_str("__typename");
    q.push_str(&" }".repeat(wrappers + 1));
    q
}

/// `n` aliases of one root list.
fn aliases(n: usize) -> String {
    let fields: Vec<String> = (0..n)
        .map(|i| format!("a{i}: organizations {{ totalCount }}"))
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

/// Fragments that spread the next one twice, `levels` deep: 2^levels fields once expanded.
fn fragment_bomb(levels: usize) -> String {
    let mut q = String::from("{ ...F0 }");
    for i in 0..levels {
        q.push_str(&format!(
            " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
            n = i + 1
        ));
    }
    q.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
    q
}

/// The request is refused with QUERY_TOO_COMPLEX, without data, and without a statement.
async fn assert_refused_before_the_database(app: &TestApp, query: &str) -> Value {
    let (statements, body) = app.statements_during(app.gql(query, json!({}))).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(
        body.get("data").is_none(),
        "a refused request has no data: {body}"
    );
    assert_eq!(statements, 0, "statements for a refused query");
    body
}

/// The first item of the introspection fixture is a comment; the query follows it.
const INTROSPECTION: &str = include_str!("../data/introspection.graphql");

/// partner -> organizations -> courses -> organization(s), as in `statements.rs`.
const NESTED: &str = r#"query($code: String!) { partner(shortCode: $code) {
  organizations(first: 1000) { totalCount edges { node { shortName
    partners { edges { node { shortCode } } }
    courses { totalCount edges { node { courseKey organization { shortName } organizations { shortName } } } } } } } } }"#;

/// Another connection holding the lock writes need, so that mutations stay in flight.
async fn hold_write_lock(app: &TestApp, backend: Backend) -> sea_orm::DatabaseTransaction {
    match backend {
        Backend::Sqlite => app
            .db
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .unwrap(),
        Backend::Postgres => {
            let tx = app.db.begin().await.unwrap();
            tx.execute_unprepared("LOCK TABLE organization IN ACCESS EXCLUSIVE MODE")
                .await
                .unwrap();
            tx
        }
    }
}

backend_tests! {
    ordinary_and_introspection_queries_pass_the_default_limits,
    a_query_nested_too_deep_is_refused,
    the_depth_limit_is_configurable with |c| c.limits.query_depth = 5,
    aliases_add_complexity,
    the_complexity_limit_is_configurable with |c| c.limits.query_complexity = 10,
    a_fragment_bomb_is_refused_at_once,
    deeply_nested_values_are_refused_before_the_parser,
    async_graphql_limits_answer_the_same_code with |c| c.limits.query_depth = 60,
    batches_are_capped,
    bodies_over_the_limit_are_413,
    one_client_cannot_hold_more_than_its_share_of_requests with |c| {
        c.limits.inflight_per_client = 2;
        c.limits.queued_per_client = 0;
        // The held bodies must outlast the asks on a slow machine (the default cuts them at 10 s).
        c.limits.body_read_timeout = Duration::from_secs(60);
    },
    operations_past_the_time_limit_are_stopped with |c| c.limits.request_timeout = Duration::from_millis(300),
}

async fn ordinary_and_introspection_queries_pass_the_default_limits(app: TestApp) {
    app.seed_wide("wide", "W", 20, 3).await;
    let data = app.data(NESTED, json!({ "code": "wide" })).await;
    assert_eq!(data["partner"]["organizations"]["totalCount"], 20);
    let (statements, body) = app
        .statements_during(app.gql(INTROSPECTION, json!({})))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert!(
        body["data"]["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.len() > 20)
    );
    assert_eq!(statements, 0, "introspection never reaches the database");
    // 16 levels is the default limit: the deepest allowed query runs.
    let body = app.gql(&nested(16), json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

async fn a_query_nested_too_deep_is_refused(app: TestApp) {
    let body = assert_refused_before_the_database(&app, &nested(17)).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("17") && message.contains("16"),
        "{message}"
    );
}

async fn the_depth_limit_is_configurable(app: TestApp) {
    assert_refused_before_the_database(&app, &nested(6)).await;
    assert!(app.gql(&nested(5), json!({})).await.get("errors").is_none());
}

async fn aliases_add_complexity(app: TestApp) {
    // Two fields per alias: 250 aliases are 500 fields (the default limit), 251 are too many.
    let body = app.gql(&aliases(250), json!({})).await;
    assert!(
        body.get("errors").is_none(),
        "{}",
        &body.to_string()[..200.min(body.to_string().len())]
    );
    let body = assert_refused_before_the_database(&app, &aliases(251)).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("502"),
        "{body}"
    );
}

async fn the_complexity_limit_is_configurable(app: TestApp) {
    assert_refused_before_the_database(&app, &aliases(6)).await;
    assert!(
        app.gql(&aliases(5), json!({}))
            .await
            .get("errors")
            .is_none()
    );
}

async fn a_fragment_bomb_is_refused_at_once(app: TestApp) {
    // 2^40 fields once expanded; expanding it would keep a core busy for hours.
    let started = Instant::now();
    assert_refused_before_the_database(&app, &fragment_bomb(40)).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A fragment that spreads itself is invalid, and is refused as such.
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    let (statements, body) = app.statements_during(app.gql(cycle, json!({}))).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("within itself"),
        "{body}"
    );
    assert_eq!(statements, 0);
}

async fn deeply_nested_values_are_refused_before_the_parser(app: TestApp) {
    // 2,000 nested lists in an argument overflowed the parser's stack and aborted the process.
    let deep = format!(
        "{{ organizations(search: {}\"x\"{}) {{ totalCount }} }}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let body = assert_refused_before_the_database(&app, &deep).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nests"),
        "{body}"
    );
    // The same by GET, and deep JSON variables (refused by the JSON reader).
    let path = format!("/graphql?query={}", "%5B".repeat(10_000));
    let resp = app.raw(Method::GET, &path, &[], None).await;
    assert_eq!(error_code(&resp.body), "QUERY_TOO_COMPLEX", "{}", resp.text);
    let vars = format!(
        r#"{{"query":"{{ __typename }}","variables":{{"v":{}1{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let resp = app
        .raw(
            Method::POST,
            "/graphql",
            &[("content-type", "application/json")],
            Some(vars),
        )
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    // The service is still there.
    assert_eq!(
        app.data("{ __typename }", json!({})).await["__typename"],
        "Query"
    );
}

async fn async_graphql_limits_answer_the_same_code(app: TestApp) {
    // With our depth limit out of the way, async-graphql's recursion limit (32) answers.
    let body = assert_refused_before_the_database(&app, &nested(40)).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("recursion"),
        "{body}"
    );
}

async fn batches_are_capped(app: TestApp) {
    let one = json!({ "query": "{ organizations { totalCount } }" });
    let (statements, resp) = app
        .statements_around(app.post_json(&json!(vec![one.clone(); 11]), None))
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&resp.body), "QUERY_TOO_COMPLEX", "{}", resp.text);
    assert_eq!(statements, 0, "no operation of an oversized batch runs");
    let resp = app
        .post_json(&json!([one, { "query": "{ __typename }" }]), None)
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.text);
    assert_eq!(resp.body[0]["data"]["organizations"]["totalCount"], 0);
    assert_eq!(resp.body[1]["data"]["__typename"], "Query");
}

async fn bodies_over_the_limit_are_413(app: TestApp) {
    let backend = app.backend;
    // Padding inside the document: a valid request, only too large.
    let big = |bytes: usize| json!({ "query": format!("{{ organizations {{ totalCount }} }}{}", " ".repeat(bytes)) });
    let before = app.metric("tenancy_sql_statements_total").await;
    assert_eq!(app.status_for_declared_body(2 * 1024 * 1024 + 1).await, 413);
    assert_eq!(
        app.metric("tenancy_sql_statements_total").await,
        before,
        "refused before any statement"
    );
    assert_eq!(
        app.post_json(&big(1024 * 1024), None).await.status,
        StatusCode::OK
    );
    // The configured limit rules, above axum's own 2 MB default too.
    let app = TestApp::spawn_with(backend, |c| c.limits.body_bytes = 3 * 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(
        app.post_json(&big(2 * 1024 * 1024 + 1), None).await.status,
        StatusCode::OK
    );
    assert_eq!(app.status_for_declared_body(3 * 1024 * 1024 + 1).await, 413);
}

async fn one_client_cannot_hold_more_than_its_share_of_requests(app: TestApp) {
    // Two requests stay in flight while their bodies are still arriving.
    let mut held = vec![app.hold(None).await, app.hold(None).await];
    // The server accepts them in the background; allow it a generous moment on a busy machine.
    let mut refused = None;
    for _ in 0..600 {
        let resp = app
            .post_json(&json!({ "query": "{ __typename }" }), None)
            .await;
        if resp.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(resp);
            break;
        }
        // A held request the server took while this one was in flight was itself refused.
        for one in held.iter_mut() {
            if one.answered() {
                *one = app.hold(None).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = refused.expect("a third request is refused while two are in flight");
    assert_eq!(error_code(&refused.body), "TOO_MANY_REQUESTS");
    assert_eq!(refused.header("retry-after"), "1");
    let health = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "operators' endpoints are not counted");
    // The held requests complete normally once their bodies arrive.
    for one in held {
        let answer = one.finish().await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains(r#""__typename":"Query""#), "{answer}");
    }
    // The slots are free again.
    let resp = app
        .post_json(&json!({ "query": "{ __typename }" }), None)
        .await;
    assert_eq!(resp.status, StatusCode::OK);
}

async fn operations_past_the_time_limit_are_stopped(app: TestApp) {
    let backend = app.backend;
    // Another connection holds the lock the mutation needs, so it would wait for seconds.
    let lock = hold_write_lock(&app, backend).await;
    let ensure =
        json!({ "query": r#"mutation { ensureOrganization(shortName: "Blocked") { created } }"# });
    let started = Instant::now();
    let bearer = format!("Bearer {}", admin());
    let resp = app
        .raw(
            Method::POST,
            "/graphql",
            &[
                ("content-type", "application/json"),
                ("authorization", &bearer),
            ],
            Some(ensure.to_string()),
        )
        .await;
    let waited = started.elapsed();
    assert_eq!(resp.status, StatusCode::GATEWAY_TIMEOUT, "{}", resp.text);
    assert_eq!(error_code(&resp.body), "TIMEOUT");
    assert!(resp.body.get("data").is_none(), "{}", resp.text);
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    lock.rollback().await.unwrap();
    // The stopped mutation wrote nothing, and the service goes on answering.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let data = app
        .data(
            r#"{ organization(shortName: "Blocked") { shortName } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["organization"], Value::Null);
    let timeouts = app
        .metric(r#"tenancy_graphql_requests_total{operation="mutation",outcome="timeout"}"#)
        .await;
    assert_eq!(timeouts, 1.0);
}
