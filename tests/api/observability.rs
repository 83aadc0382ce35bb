//! What an operator sees: Prometheus series for GraphQL operations, latency, the database pool
//! and dataloader batches, and a request id on every response.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::support::TestApp;

backend_tests! {
    graphql_operations_are_counted_by_type_and_outcome,
    every_response_carries_a_request_id,
}

async fn graphql_operations_are_counted_by_type_and_outcome(app: TestApp) {
    app.seed_wide("wide", "W", 3, 2).await;
    app.data(r#"{ partner(shortCode: "wide") { organizations { edges { node { courses { totalCount } } } } } }"#, json!({})).await;
    app.gql(
        r#"mutation { ensureOrganization(shortName: "X") { created } }"#,
        json!({}),
    )
    .await;
    app.gql("{ nope }", json!({})).await;
    let series = [
        (
            r#"tenancy_graphql_requests_total{operation="query",outcome="ok"}"#,
            1.0,
        ),
        (
            r#"tenancy_graphql_requests_total{operation="mutation",outcome="error"}"#,
            1.0,
        ),
        (
            r#"tenancy_graphql_requests_total{operation="query",outcome="rejected"}"#,
            1.0,
        ),
        (
            r#"tenancy_graphql_request_duration_seconds_count{operation="query"}"#,
            2.0,
        ),
        (
            r#"tenancy_graphql_request_duration_seconds_count{operation="mutation"}"#,
            1.0,
        ),
        // partner -> organizations -> courses: one batch per level.
        (
            r#"tenancy_dataloader_batch_size_count{loader="PartnerOrganizations"}"#,
            1.0,
        ),
        (
            r#"tenancy_dataloader_batch_size_sum{loader="OrganizationCourses"}"#,
            3.0,
        ),
    ];
    for (name, value) in series {
        assert_eq!(app.metric(name).await, value, "{name}");
    }
    assert!(app.metric("tenancy_db_pool_max_connections").await >= 1.0);
    let open = app
        .metric(r#"tenancy_db_pool_connections{state="idle"}"#)
        .await
        + app
            .metric(r#"tenancy_db_pool_connections{state="in_use"}"#)
            .await;
    assert!(open >= 1.0, "the pool keeps a connection open");
    assert!(
        app.metric(
            r#"tenancy_graphql_request_duration_seconds_bucket{operation="query",le="+Inf"}"#
        )
        .await
            >= 2.0
    );
}

async fn every_response_carries_a_request_id(app: TestApp) {
    let sent = app
        .raw(
            Method::GET,
            "/healthz",
            &[("x-request-id", "trace-42")],
            None,
        )
        .await;
    assert_eq!(
        sent.header("x-request-id"),
        "trace-42",
        "a usable id is echoed"
    );
    let made = app
        .post_json(&json!({ "query": "{ __typename }" }), None)
        .await;
    let id = made.header("x-request-id");
    assert_eq!(id.len(), 36, "a UUID is made when none is sent: {id:?}");
    let other = app
        .post_json(&json!({ "query": "{ __typename }" }), None)
        .await;
    assert_ne!(
        other.header("x-request-id"),
        id,
        "each request gets its own"
    );
    let refused = app
        .raw(
            Method::POST,
            "/graphql",
            &[("x-request-id", "bad id with spaces")],
            None,
        )
        .await;
    assert_eq!(refused.status, 415);
    assert_eq!(
        refused.header("x-request-id").len(),
        36,
        "an unusable id is replaced"
    );
}
