//! HTTP caching (docs/operating.md), as a gateway (Apollo Router) or a browser sees it: every
//! answer says whether it may be kept, query answers carry an `ETag`, and a GET that names the
//! current one is answered 304 without a body.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::backend_tests;
use crate::support::{TestApp, admin};

const QUERY: &str =
    "/graphql?query=%7Borganizations%7BtotalCount%20edges%7Bnode%7BshortName%7D%7D%7D%7D";

async fn get(app: &TestApp, extra: &[(&str, &str)]) -> crate::support::raw::Answer {
    let mut headers = vec![("accept", "application/graphql-response+json")];
    headers.extend_from_slice(extra);
    app.raw(Method::GET, QUERY, &headers, None).await
}

backend_tests! {
    a_get_naming_the_current_etag_is_not_modified_until_a_write,
    cache_control_says_who_may_keep_an_answer,
    anonymous_answers_last_as_configured with |c| c.cache_max_age = 60,
}

async fn a_get_naming_the_current_etag_is_not_modified_until_a_write(app: TestApp) {
    app.seed_demo().await;
    let first = get(&app, &[]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let tag = first.header("etag").to_owned();
    assert!(tag.starts_with('"') && tag.len() > 2, "etag {tag:?}");
    assert_eq!(first.header("cache-control"), "public, max-age=0");
    assert!(
        first.header("vary").contains("Authorization"),
        "{:?}",
        first.headers
    );
    let again = get(&app, &[("if-none-match", &tag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.text, "");
    assert_eq!(again.header("etag"), tag);
    assert_eq!(again.header("cache-control"), "public, max-age=0");
    let other = get(&app, &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(other.status, StatusCode::OK);
    // A write changes the answer, so the old tag no longer matches.
    let created = app
            .as_user(&admin(), r#"mutation { createOrganization(input: { shortName: "NewX", name: "New" }) { shortName } }"#, json!({}))
            .await;
    assert!(created.get("errors").is_none(), "{created:#}");
    let after = get(&app, &[("if-none-match", &tag)]).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(after.header("etag"), tag);
}

async fn cache_control_says_who_may_keep_an_answer(app: TestApp) {
    app.seed_demo().await;
    let bearer = format!("Bearer {}", admin());
    let private = get(&app, &[("authorization", &bearer)]).await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.text);
    assert_eq!(private.header("cache-control"), "private");
    assert!(!private.header("etag").is_empty());
    // POST, as Apollo Router sends queries to a subgraph: cacheable all the same.
    let post = app
        .post_json(
            &json!({ "query": "{ organizations { totalCount } }" }),
            None,
        )
        .await;
    assert_eq!(post.header("cache-control"), "public, max-age=0");
    assert!(!post.header("etag").is_empty());
    let mutation =
        json!({ "query": r#"mutation { ensureOrganization(shortName: "Zed") { created } }"# });
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
    ];
    let wrote = app
        .raw(
            Method::POST,
            "/graphql",
            &headers,
            Some(mutation.to_string()),
        )
        .await;
    assert_eq!(wrote.status, StatusCode::OK, "{}", wrote.text);
    assert_eq!(wrote.header("cache-control"), "no-store");
    assert_eq!(wrote.header("etag"), "");
    let refused = app.post_json(&json!({ "query": "{ nope }" }), None).await;
    assert_eq!(refused.header("cache-control"), "no-store");
}

async fn anonymous_answers_last_as_configured(app: TestApp) {
    app.seed_demo().await;
    assert_eq!(
        get(&app, &[]).await.header("cache-control"),
        "public, max-age=60"
    );
}
