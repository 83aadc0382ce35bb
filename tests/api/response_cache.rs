//! The response cache (`--response-cache`): a repeated query is answered from memory without
//! SQL, for callers with the same view only, and never after a write, whoever made it.

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{TestApp, admin, token};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

const LIST: &str = "{ organizations { totalCount edges { node { shortName name } } } }";
const RENAME: &str =
    r#"mutation { updateOrganization(shortName: "MITx", input: { name: "Renamed" }) { name } }"#;

async fn hits(app: &TestApp) -> f64 {
    app.metric(r#"tenancy_response_cache_lookups_total{result="hit"}"#)
        .await
}

async fn misses(app: &TestApp) -> f64 {
    app.metric(r#"tenancy_response_cache_lookups_total{result="miss"}"#)
        .await
}

/// Seeds the demo graph as another process would (straight into the database) and waits until
/// the service's change feed has read it, so that what the tests keep is not dropped by the
/// feed catching up.
async fn seeded(app: &TestApp) {
    app.seed_demo().await;
    let logged = last_change(app).await;
    assert!(logged > 0.0);
    until_feed_reads(app, logged).await;
}

/// The change log's last id, read from the database.
async fn last_change(app: &TestApp) -> f64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COALESCE(MAX(id), 0) AS id FROM change_log",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "id").unwrap() as f64
}

/// Waits (at most 5 s) until the feed's position reaches `id`; returns how long it took.
async fn until_feed_reads(app: &TestApp, id: f64) -> Duration {
    let started = Instant::now();
    while app.metric("tenancy_change_feed_position").await < id {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the feed is not at {id} after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

/// MITx's name in `body` (the list answer).
fn name_of_mitx(body: &Value) -> &str {
    body["data"]["organizations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no list in {body:#}"))
        .iter()
        .find(|e| e["node"]["shortName"] == "MITx")
        .and_then(|e| e["node"]["name"].as_str())
        .unwrap_or_else(|| panic!("no MITx in {body:#}"))
}

/// Repeats `LIST` until MITx's name is `name`, for at most five seconds (the change feed
/// polls SQLite every 200 ms and PostgreSQL every second, NOTIFY aside).
async fn until_named(app: &TestApp, name: &str) -> Duration {
    let started = Instant::now();
    loop {
        let body = app.gql(LIST, json!({})).await;
        if name_of_mitx(&body) == name {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still {:?} after 5 s",
            name_of_mitx(&body)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

backend_tests! {
    a_repeated_query_is_answered_from_memory_without_sql,
    a_kept_answer_has_the_same_etag_and_a_get_naming_it_is_not_modified,
    a_write_through_graphql_is_read_back_at_once,
    a_write_by_another_service_on_the_database_is_seen_through_the_change_feed,
    a_write_by_the_command_line_is_seen_through_the_change_feed,
    callers_with_another_view_never_share_an_answer,
    queries_with_errors_are_never_kept_and_a_consistency_token_needs_replicas,
    turned_off_every_query_runs with |c| c.response_cache.enabled = false,
    the_bound_evicts with |c| c.response_cache.bytes = 8 * 1024,
}

async fn a_repeated_query_is_answered_from_memory_without_sql(app: TestApp) {
    seeded(&app).await;
    let list = "{ organizations { edges { node { shortName } } } }";
    let (hits0, misses0) = (hits(&app).await, misses(&app).await);
    let (cold, first) = app.statements_during(app.gql(list, json!({}))).await;
    assert!(cold > 0, "the first answer runs its query");
    assert_eq!(misses(&app).await - misses0, 1.0);
    let (warm, again) = app.statements_during(app.gql(list, json!({}))).await;
    assert_eq!(warm, 0, "a repeat issues no SQL");
    assert_eq!(hits(&app).await - hits0, 1.0);
    assert_eq!(again, first);
    // Other variables, another operation name or another Host are other answers.
    let host = |r: reqwest::RequestBuilder| r.header("host", "edx.org");
    let (other_host, _) = app
        .statements_during(app.gql_with(list, json!({}), host))
        .await;
    assert!(other_host > 0, "another Host runs its query");
    let named = "query A { organizations { totalCount } } query B { partners { totalCount } }";
    let app = &app;
    let send = |op: &'static str| async move {
        let body = json!({ "query": named, "operationName": op });
        app.post_json(&body, None).await.body
    };
    let a = send("A").await;
    let b = send("B").await;
    assert_ne!(a, b);
    assert_eq!(send("A").await, a);
    assert_eq!(send("B").await, b);
    assert!(app.metric("tenancy_response_cache_bytes").await > 0.0);
}

async fn a_kept_answer_has_the_same_etag_and_a_get_naming_it_is_not_modified(app: TestApp) {
    seeded(&app).await;
    let path = "/graphql?query=%7Borganizations%7BtotalCount%7D%7D";
    let accept = [("accept", "application/graphql-response+json")];
    let first = app.raw(Method::GET, path, &accept, None).await;
    let hits0 = hits(&app).await;
    let second = app.raw(Method::GET, path, &accept, None).await;
    assert_eq!(hits(&app).await - hits0, 1.0);
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.text, first.text);
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(second.header("cache-control"), "public, max-age=0");
    assert_eq!(second.header("content-type"), first.header("content-type"));
    let tag = first.header("etag").to_owned();
    let (sql, revalidated) = app
        .statements_around(app.raw(
            Method::GET,
            path,
            &[accept[0], ("if-none-match", &tag)],
            None,
        ))
        .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert_eq!(sql, 0, "revalidating a kept answer costs no SQL");
}

async fn a_write_through_graphql_is_read_back_at_once(app: TestApp) {
    seeded(&app).await;
    assert_eq!(
        name_of_mitx(&app.gql(LIST, json!({})).await),
        "Massachusetts Institute of Technology"
    );
    let hits0 = hits(&app).await;
    app.gql(LIST, json!({})).await;
    assert_eq!(hits(&app).await - hits0, 1.0, "the answer is kept");
    let renamed = app.as_user(&admin(), RENAME, json!({})).await;
    assert_eq!(
        renamed["data"]["updateOrganization"]["name"], "Renamed",
        "{renamed:#}"
    );
    // No waiting: the commit itself moved the generation.
    let (sql, after) = app.statements_during(app.gql(LIST, json!({}))).await;
    assert_eq!(name_of_mitx(&after), "Renamed");
    assert!(sql > 0, "the kept answer was dropped");
}

async fn a_write_by_another_service_on_the_database_is_seen_through_the_change_feed(app: TestApp) {
    seeded(&app).await;
    app.gql(LIST, json!({})).await;
    let hits0 = hits(&app).await;
    app.gql(LIST, json!({})).await;
    assert_eq!(hits(&app).await - hits0, 1.0, "the answer is kept");
    let other = TestApp::spawn_on(app.database_url(), |_| {}).await;
    let renamed = other.as_user(&admin(), RENAME, json!({})).await;
    assert_eq!(
        renamed["data"]["updateOrganization"]["name"], "Renamed",
        "{renamed:#}"
    );
    let waited = until_named(&app, "Renamed").await;
    eprintln!("another service's write seen after {waited:?}");
}

async fn a_write_by_the_command_line_is_seen_through_the_change_feed(app: TestApp) {
    let count = "{ organizations { totalCount } }";
    assert_eq!(
        app.data(count, json!({})).await["organizations"]["totalCount"],
        0
    );
    app.data(count, json!({})).await;
    let seeded = Command::new(BIN)
        .args(["seed", "--demo", "--database-url", app.database_url()])
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    let started = Instant::now();
    loop {
        let total = app.data(count, json!({})).await["organizations"]["totalCount"].clone();
        if total != 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the seed is not seen after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn callers_with_another_view_never_share_an_answer(app: TestApp) {
    seeded(&app).await;
    let mit = token("catalog", false, &["content_org:MITx"]);
    let harvard = token("catalog", false, &["content_org:HarvardX"]);
    let names = |body: &Value| -> Vec<String> {
        body["data"]["organizations"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["shortName"].as_str().unwrap().to_owned())
            .collect()
    };
    for _ in 0..2 {
        assert_eq!(names(&app.as_user(&mit, LIST, json!({})).await), ["MITx"]);
        assert_eq!(
            names(&app.as_user(&harvard, LIST, json!({})).await),
            ["HarvardX"]
        );
        assert!(
            names(&app.gql(LIST, json!({})).await).len() > 2,
            "anonymous sees the directory"
        );
    }
    // Another token that says the same shares the answer (its expiry is no part of the view).
    let hits0 = hits(&app).await;
    let (sql, _) = app
        .statements_during(app.as_user(
            &token("catalog", false, &["content_org:MITx"]),
            LIST,
            json!({}),
        ))
        .await;
    assert_eq!((sql, hits(&app).await - hits0), (0, 1.0));
    // A grant is a write: the viewer that had none sees it next time.
    let grants = "{ viewer { grants { role organization { shortName } } } }";
    let ada = token("ada", false, &[]);
    for _ in 0..2 {
        assert_eq!(
            app.as_user(&ada, grants, json!({})).await["data"]["viewer"]["grants"],
            json!([])
        );
    }
    let grant =
        r#"mutation { grantRole(subject: "ada", role: ORG_ADMIN, organization: "MITx") { role } }"#;
    app.admin_data(grant, json!({})).await;
    let after = app.as_user(&ada, grants, json!({})).await;
    assert_eq!(
        after["data"]["viewer"]["grants"],
        json!([{ "role": "ORG_ADMIN", "organization": { "shortName": "MITx" } }])
    );
}

async fn queries_with_errors_are_never_kept_and_a_consistency_token_needs_replicas(app: TestApp) {
    seeded(&app).await;
    let missing =
        r#"{ partner(shortCode: "nope") { name } organizations(partner: "nope") { totalCount } }"#;
    for _ in 0..2 {
        let (sql, body) = app.statements_during(app.gql(missing, json!({}))).await;
        assert!(body.get("errors").is_some(), "{body:#}");
        assert!(sql > 0, "an answer with errors is run again");
    }
    // Without read replicas a consistency token means nothing: a forged one cannot make
    // every request run its query (`read_replicas.rs` has the service with replicas).
    let token = |r: reqwest::RequestBuilder| r.header("x-tenancy-consistency", "0");
    app.gql_with(LIST, json!({}), token).await;
    for _ in 0..2 {
        let (sql, _) = app
            .statements_during(app.gql_with(LIST, json!({}), token))
            .await;
        assert_eq!(sql, 0, "answered from the cache");
    }
}

async fn turned_off_every_query_runs(app: TestApp) {
    app.seed_demo().await;
    for _ in 0..3 {
        let (sql, _) = app.statements_during(app.gql(LIST, json!({}))).await;
        assert!(sql > 0);
    }
    assert_eq!((hits(&app).await, misses(&app).await), (0.0, 0.0));
}

async fn the_bound_evicts(app: TestApp) {
    seeded(&app).await;
    let lookup =
        "query($s: String!) { organization(shortName: $s) { shortName name description } }";
    for i in 0..60 {
        app.gql(lookup, json!({ "s": format!("Org{i}") })).await;
    }
    assert!(app.metric("tenancy_response_cache_evictions_total").await > 0.0);
    let held = app.metric("tenancy_response_cache_bytes").await;
    assert!(held > 0.0 && held <= 8.0 * 1024.0, "{held} bytes held");
    // An answer larger than the bound is never kept, and still answered.
    let (sql, body) = app.statements_during(app.gql(LIST, json!({}))).await;
    assert!(sql > 0 && body["data"]["organizations"]["totalCount"].as_i64() > Some(0));
    let lists: String = (0..10)
            .map(|i| format!("l{i}: organizations {{ edges {{ node {{ shortName name description logoUrl active created modified }} }} }} "))
            .collect();
    let big = format!("{{ {lists} }}");
    let big = big.as_str();
    let first = app.gql(big, json!({})).await;
    assert!(
        first.to_string().len() > 8 * 1024,
        "the answer is larger than the bound"
    );
    let (sql, again) = app.statements_during(app.gql(big, json!({}))).await;
    assert!(sql > 0, "too large to keep");
    assert_eq!(again, first);
}
