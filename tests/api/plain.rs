//! Pages whose edges ask only for plain fields are built without async-graphql's per-field
//! resolvers (`src/graphql/plain.rs`). The answer must be byte for byte what async-graphql
//! answers: each query is sent as written and again with its edges' selections wrapped in an
//! inline fragment (`edges { ... { node { .. } } }`, the same selection), which `flat` leaves to
//! async-graphql. (`@include(if: true)` would not do: async-graphql strips it before executing.)

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::backend_tests;
use crate::support::{TestApp, admin};

/// The raw body of a query sent as administrator (inactive records show).
async fn raw(app: &TestApp, query: &str) -> String {
    let resp = app
        .client()
        .post(app.url("/graphql"))
        .header("authorization", format!("Bearer {}", admin()))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request");
    resp.text().await.expect("body")
}

/// `query` answered both ways: `<<` and `>>` mark the selections to wrap.
async fn same_both_ways(app: &TestApp, query: &str) {
    let flat = raw(app, &query.replace("<<", "").replace(">>", "")).await;
    let resolved = raw(app, &query.replace("<<", "... {").replace(">>", "}")).await;
    assert!(!flat.contains("\"errors\""), "{flat}");
    assert_eq!(
        flat, resolved,
        "flat and resolved answers differ for {query}"
    );
}

async fn seed(app: &TestApp) {
    app.seed_demo().await;
    // Nulls and non-nulls in every optional field, and inactive rows, on both ways.
    for sql in [
        "UPDATE organization SET description = 'Desc \"quoted\" é', logo_url = 'https://x/l.png' \
         WHERE short_name_key = 'mitx'",
        "UPDATE organization SET active = FALSE WHERE short_name_key = 'vjx'",
        "UPDATE course_link SET active = FALSE WHERE id = (SELECT MIN(id) FROM course_link)",
    ] {
        app.db.execute_unprepared(sql).await.expect("arrange");
    }
}

backend_tests! {
    flat_pages_answer_what_async_graphql_answers,
    flat_pages_leave_relations_to_async_graphql,
}

async fn flat_pages_answer_what_async_graphql_answers(app: TestApp) {
    seed(&app).await;
    let queries = [
        // Every plain field, aliases and __typename at both levels.
        "{ organizations(includeInactive: true) { totalCount edges { << cursor since \
             __typename node { __typename id shortName n: name description logoUrl active \
             created modified } >> } pageInfo { endCursor } } }",
        // A key selected twice: async-graphql merges it, so it goes that way.
        "{ organizations { edges { << node { shortName } node { name } >> } } }",
        // Plain nested pages under a parent that is resolved.
        "{ organizations(first: 3) { edges { node { shortName \
             partners { edges { << since cursor node { id shortCode name active lmsUrl \
             studioUrl marketingSiteUrl created modified } >> } } \
             sites { edges { << node { id domain name active created modified } >> } } \
             courses(includeInactive: true) { edges { << cursor since active \
             node { courseKey } >> } } } } } }",
        "{ partners { edges { << node { shortCode name lmsUrl created } >> } } \
             sites { edges { << cursor node { domain active modified } >> } } }",
    ];
    for query in queries {
        same_both_ways(&app, query).await;
    }
}

async fn flat_pages_leave_relations_to_async_graphql(app: TestApp) {
    seed(&app).await;
    // A node asking for a relation next to plain fields: resolved, with its loader.
    let data = app
        .admin_data(
            "{ organizations(first: 1) { edges { node { shortName courses { totalCount } } } } }",
            json!({}),
        )
        .await;
    let node = &data["organizations"]["edges"][0]["node"];
    assert!(node["shortName"].is_string(), "{data}");
    assert!(node["courses"]["totalCount"].as_i64().is_some(), "{data}");
    same_both_ways(
        &app,
        "{ organizations { edges { << node { shortName courses(first: 2) { edges { node { \
             courseKey organization { shortName } } } } } >> } } }",
    )
    .await;
}
