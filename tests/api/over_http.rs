//! GraphQL over HTTP, where the spec asks more than graphql-http's audit enforces (the audit runs
//! in `scripts/http-audit.sh`): GET never mutates, media types are negotiated, and request
//! errors are told from execution results by status and by the absence of `data`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::backend_tests;
use crate::support::TestApp;
use crate::support::{admin, error_code};

const GQL_RESPONSE: &str = "application/graphql-response+json";

backend_tests! {
    a_mutation_over_get_is_405_and_changes_nothing,
    responses_use_the_media_type_the_client_accepts,
    request_errors_are_400_without_data_under_the_graphql_response_type,
    malformed_http_requests_are_4xx_with_a_code,
}

async fn a_mutation_over_get_is_405_and_changes_nothing(app: TestApp) {
    let query = "mutation { ensureOrganization(shortName: \"ViaGet\") { created } }";
    let path = format!(
        "/graphql?query={}",
        url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    );
    let bearer = format!("Bearer {}", admin());
    let (statements, resp) = app
        .statements_around(app.raw(
            Method::GET,
            &path,
            &[("accept", GQL_RESPONSE), ("authorization", &bearer)],
            None,
        ))
        .await;
    assert_eq!(resp.status, StatusCode::METHOD_NOT_ALLOWED, "{}", resp.text);
    assert_eq!(resp.header("allow"), "POST");
    assert_eq!(statements, 0);
    assert_eq!(app.count("organization").await, 0);
    // The same document by POST runs.
    let body = app.as_user(&admin(), query, json!({})).await;
    assert_eq!(
        body["data"]["ensureOrganization"]["created"], true,
        "{body}"
    );
}

async fn responses_use_the_media_type_the_client_accepts(app: TestApp) {
    let query = json!({ "query": "{ __typename }" });
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GQL_RESPONSE), GQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GQL_RESPONSE,
        ),
    ] {
        let resp = app.post_json(&query, accept).await;
        assert_eq!(resp.status, StatusCode::OK);
        assert!(
            resp.header("content-type").starts_with(expected),
            "{accept:?}: {}",
            resp.header("content-type")
        );
    }
    let resp = app.post_json(&query, Some("text/plain")).await;
    assert_eq!(resp.status, StatusCode::NOT_ACCEPTABLE);
}

async fn request_errors_are_400_without_data_under_the_graphql_response_type(app: TestApp) {
    for document in ["{", "{ noSuchField }", "query($id: ID!) { __typename }"] {
        let body = json!({ "query": document });
        let resp = app.post_json(&body, Some(GQL_RESPONSE)).await;
        assert_eq!(
            resp.status,
            StatusCode::BAD_REQUEST,
            "{document}: {}",
            resp.text
        );
        assert!(
            resp.body.get("data").is_none() && resp.body["errors"][0]["message"].is_string(),
            "{}",
            resp.text
        );
        // Legacy JSON clients get 200 for the same answer.
        let resp = app.post_json(&body, Some("application/json")).await;
        assert_eq!(resp.status, StatusCode::OK, "{document}");
        assert!(resp.body.get("data").is_none(), "{}", resp.text);
    }
    // A field error is an execution result: 200, with data.
    let resp = app
        .post_json(
            &json!({ "query": r#"{ organization(shortName: "a b") { name } }"# }),
            Some(GQL_RESPONSE),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(error_code(&resp.body), "BAD_USER_INPUT");
    assert!(resp.body.get("data").is_some(), "{}", resp.text);
    // A bad token refuses the request before it runs: 401.
    let resp = app
        .raw(
            Method::POST,
            "/graphql",
            &[
                ("content-type", "application/json"),
                ("accept", GQL_RESPONSE),
                ("authorization", "Bearer not.a.token"),
            ],
            Some(json!({ "query": "{ __typename }" }).to_string()),
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&resp.body), "UNAUTHENTICATED");
}

async fn malformed_http_requests_are_4xx_with_a_code(app: TestApp) {
    let query = json!({ "query": "{ __typename }" }).to_string();
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<String>, StatusCode);
    let cases: [Case; 5] = [
        (&[], Some(query.clone()), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (
            &[("content-type", "text/plain")],
            Some(query.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            &[("content-type", "application/json")],
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            &[("content-type", "application/json")],
            Some("{ \"not a JSON".into()),
            StatusCode::BAD_REQUEST,
        ),
        (
            &[("content-type", "application/json")],
            Some(r#"{"qeury":"{ __typename }"}"#.into()),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (headers, body, status) in cases {
        let (statements, resp) = app
            .statements_around(app.raw(Method::POST, "/graphql", headers, body.clone()))
            .await;
        assert_eq!(resp.status, status, "{headers:?} {body:?}: {}", resp.text);
        assert_eq!(error_code(&resp.body), "BAD_REQUEST", "{}", resp.text);
        assert_eq!(statements, 0);
    }
    let resp = app
        .raw(
            Method::PUT,
            "/graphql",
            &[("content-type", "application/json")],
            Some(query),
        )
        .await;
    assert_eq!(resp.status, StatusCode::METHOD_NOT_ALLOWED);
}
