//! The HTTP surface around GraphQL: health, readiness, metrics, GraphiQL.

use reqwest::header;

use crate::backend_tests;
use crate::support::TestApp;

backend_tests! {
    health_readiness_and_metrics_answer,
    browsers_get_graphiql_with_local_assets_only,
    get_requests_without_html_run_queries,
}

async fn health_readiness_and_metrics_answer(app: TestApp) {
    let health = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = app.client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("# TYPE tenancy_sql_statements_total counter"),
        "{text}"
    );
    assert!(
        text.contains(r#"tenancy_http_requests_total{route="/healthz",status="200"} 1"#),
        "{text}"
    );
}

async fn browsers_get_graphiql_with_local_assets_only(app: TestApp) {
    let page = app
        .client()
        .get(app.url("/graphql"))
        .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("graphiql"), "{html}");
    let mut assets = 0;
    for src in html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/graphiql/assets/"))
    {
        let asset = app.client().get(app.url(src)).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{src}");
        assets += 1;
    }
    assert!(
        assets >= 3,
        "GraphiQL, React and ReactDOM come from the binary"
    );
    for external in ["http://", "https://", "//unpkg", "//cdn"] {
        assert!(
            !html.contains(external),
            "no external reference ({external}) in {html}"
        );
    }
    let missing = app
        .client()
        .get(app.url("/graphiql/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

async fn get_requests_without_html_run_queries(app: TestApp) {
    let resp = app
        .client()
        .get(app.url("/graphql?query=%7B__typename%7D"))
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["__typename"], "Query");
}
