//! docs/openedx.md: CORS for the allowed origins and CSRF for cookie-authenticated writes.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::*;

const ORIGIN: &str = "http://mfe.test:2000";
const ENSURE: &str = r#"mutation { ensureOrganization(shortName: "NewX") { created } }"#;

async fn browser_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.cors_allowed_origins = vec![ORIGIN.to_owned(), "http://other.test".to_owned()]
    })
    .await
    .unwrap()
}

/// A CSRF token and the cookie header that goes with it.
async fn csrf(app: &TestApp) -> (String, String) {
    let resp = app
        .client()
        .get(app.url("/csrf/api/v1/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    let token = body["csrfToken"].as_str().unwrap().to_owned();
    assert!(
        set_cookie.starts_with(&format!("csrftoken={token};")),
        "{set_cookie}"
    );
    (token.clone(), format!("csrftoken={token}"))
}

backend_tests! {
    allowed_origins_get_cors_headers_and_others_none,
    nothing_allowed_by_default,
    cookie_writes_need_the_csrf_token,
    the_csrf_endpoint_keeps_a_usable_cookie,
}

async fn allowed_origins_get_cors_headers_and_others_none(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = browser_app(backend).await;
    let allowed = app
        .client()
        .post(app.url("/graphql"))
        .header("origin", ORIGIN)
        .json(&json!({ "query": "{ viewer { subject } }" }))
        .send()
        .await
        .unwrap();
    let h = allowed.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        h.get_all("vary").iter().any(|v| v
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("origin"))
    );
    let preflight = app
        .client()
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, x-csrftoken",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    assert_eq!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .replace(' ', ""),
        "GET,POST,OPTIONS"
    );
    let allow = h["access-control-allow-headers"].to_str().unwrap();
    for name in [
        "authorization",
        "content-type",
        "use-jwt-cookie",
        "x-csrftoken",
        "x-requested-with",
        "apollographql-client-name",
        "apollographql-client-version",
    ] {
        assert!(allow.contains(name), "{name} in {allow}");
    }
    for origin in [
        "http://evil.test",
        "http://mfe.test:2001",
        "http://mfe.test:2000/",
    ] {
        let other = app
            .client()
            .post(app.url("/graphql"))
            .header("origin", origin)
            .json(&json!({ "query": "{ viewer { subject } }" }))
            .send()
            .await
            .unwrap();
        assert!(
            other.headers().get("access-control-allow-origin").is_none(),
            "{origin}"
        );
        assert!(
            other
                .headers()
                .get("access-control-allow-credentials")
                .is_none(),
            "{origin}"
        );
        let preflight = app
            .client()
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }
}

async fn nothing_allowed_by_default(app: TestApp) {
    let resp = app
        .client()
        .post(app.url("/graphql"))
        .header("origin", ORIGIN)
        .json(&json!({ "query": "{ viewer { subject } }" }))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

async fn cookie_writes_need_the_csrf_token(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = browser_app(backend).await;
    let admin = hs256(&claims("root", json!({ "administrator": true })));
    let jwt = jwt_cookies(&admin);
    let (token, csrf_cookie) = csrf(&app).await;
    let before = app.snapshot().await;
    let send = |cookie: String, header: Option<String>, origin: Option<&'static str>| {
        let app = &app;
        async move {
            app.gql_with(ENSURE, json!({}), |mut r| {
                r = r.header("cookie", cookie);
                if let Some(h) = header {
                    r = r.header("x-csrftoken", h);
                }
                if let Some(o) = origin {
                    r = r.header("origin", o);
                }
                r
            })
            .await
        }
    };
    let refused = [
        send(jwt.clone(), None, None).await,
        send(format!("{jwt}; {csrf_cookie}"), None, Some(ORIGIN)).await,
        send(jwt.clone(), Some(token.clone()), None).await,
        send(format!("{jwt}; {csrf_cookie}"), Some("0".repeat(64)), None).await,
        send(
            format!("{jwt}; {csrf_cookie}"),
            Some(token.clone()),
            Some("http://evil.test"),
        )
        .await,
    ];
    for body in refused {
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("CSRF")
        );
    }
    assert_eq!(app.snapshot().await, before, "nothing written");
    let ok = send(
        format!("{jwt}; {csrf_cookie}"),
        Some(token.clone()),
        Some(ORIGIN),
    )
    .await;
    assert_eq!(ok["data"]["ensureOrganization"]["created"], true, "{ok}");
    // Queries by cookie and writes by header need no CSRF token.
    let query = app
        .gql_with("{ viewer { subject } }", json!({}), |r| {
            r.header("cookie", jwt.clone())
        })
        .await;
    assert_eq!(query["data"]["viewer"]["subject"], "root");
    let by_header = app
        .as_user(
            &admin,
            r#"mutation { ensureOrganization(shortName: "HeaderX") { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        by_header["data"]["ensureOrganization"]["created"], true,
        "{by_header}"
    );
}

async fn the_csrf_endpoint_keeps_a_usable_cookie(app: TestApp) {
    let (token, cookie) = csrf(&app).await;
    let again: Value = app
        .client()
        .get(app.url("/csrf/api/v1/token"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["csrfToken"], token.as_str());
    let (other, _) = csrf(&app).await;
    assert_ne!(other, token, "a new caller gets a new token");
}
