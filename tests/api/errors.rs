//! Bad input answers a stable `extensions.code`.

use serde_json::json;

use crate::backend_tests;
use crate::support::TestApp;
use crate::support::error_code;

backend_tests! {
    unknown_partner_filter_is_bad_user_input,
    malformed_values_are_rejected_with_their_field,
    invalid_course_keys_are_reported_as_such,
    any_bearer_token_without_a_secret_is_unauthenticated with |c| c.jwt_secret = None,
}

async fn unknown_partner_filter_is_bad_user_input(app: TestApp) {
    app.seed_demo().await;
    let body = app
        .gql(
            r#"{ organizations(partner: "nope") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "partner");
    let body = app
        .gql(
            r#"{ sites(partner: "way-too-long-code") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let body = app
        .gql(
            r#"{ organizations(site: "nowhere.example") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "site");
}

async fn malformed_values_are_rejected_with_their_field(app: TestApp) {
    for (query, field) in [
        (
            r#"{ organization(shortName: "MIT x") { name } }"#,
            "shortName",
        ),
        (r#"{ organization(shortName: "") { name } }"#, "shortName"),
        (r#"{ partner(shortCode: "a+b") { name } }"#, "shortCode"),
        (r#"{ organizations(first: -1) { totalCount } }"#, "first"),
        (
            r#"{ organizations(first: 100000) { totalCount } }"#,
            "first",
        ),
        (
            r#"{ organizations(after: "not-a-cursor") { totalCount } }"#,
            "after",
        ),
    ] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{query}: {body}"
        );
    }
}

async fn invalid_course_keys_are_reported_as_such(app: TestApp) {
    for key in [
        "",
        "course-v1:MITx+6.002x",
        "Course-V1:MITx+A+B",
        "MITx/6.002x",
        "lib:MITx",
        "course-v1:MITx+a b+c",
    ] {
        let body = app
            .gql(
                "query($k: String!) { courseOrganization(courseKey: $k) { shortName } }",
                json!({ "k": key }),
            )
            .await;
        assert_eq!(error_code(&body), "INVALID_COURSE_KEY", "{key:?}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["courseKey"], key);
    }
}

async fn any_bearer_token_without_a_secret_is_unauthenticated(app: TestApp) {
    let body = app
        .gql_with("{ viewer { subject } }", json!({}), |r| {
            r.header("authorization", "Bearer abc.def.ghi")
        })
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(body.get("data").is_none_or(|d| d.is_null()), "{body}");
}
