//! docs/openedx.md over HTTP: token sources, verification rules and claim meanings.

use serde_json::{Value, json};
use tenancy_gateway::config::Secret;

use crate::backend_tests;
use crate::support::*;

const VIEWER: &str =
    "{ viewer { subject administrator filters restricted scopes authenticatedBy } }";
const ENSURE: &str = r#"mutation { ensureOrganization(shortName: "NewX") { created } }"#;

impl TestApp {
    async fn with_header(&self, value: &str, query: &str) -> Value {
        let value = value.to_owned();
        self.gql_with(query, json!({}), |r| r.header("authorization", value))
            .await
    }

    async fn with_cookie(&self, cookie: &str, query: &str) -> Value {
        let cookie = cookie.to_owned();
        self.gql_with(query, json!({}), |r| r.header("cookie", cookie))
            .await
    }
}

/// The viewer a header token gives, or the error code.
async fn viewer_of(app: &TestApp, token: &str) -> Result<Value, String> {
    let body = app.with_header(&format!("JWT {token}"), VIEWER).await;
    match body.get("errors") {
        Some(_) => Err(error_code(&body).to_owned()),
        None => Ok(body["data"]["viewer"].clone()),
    }
}

/// A service that trusts the example JWK set and one LMS issuer.
async fn lms_app(
    backend: Backend,
    configure: impl FnOnce(&mut tenancy_gateway::config::Config),
) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.jwt_public_signing_jwk_set = Some(PUBLIC_JWK_SET.to_owned());
        c.jwt_issuers = Some(Secret(
            json!([{"issuer": "https://lms.test/oauth2", "audience": "openedx", "secret_key": SECRET}]).to_string(),
        ));
        configure(c);
    })
    .await
    .unwrap()
}

backend_tests! {
    jwt_and_bearer_schemes_in_any_case,
    two_authorization_headers_and_bad_tokens_are_refused_with_a_challenge,
    cookies_authenticate_and_bad_cookies_are_anonymous,
    the_subject_is_the_username,
    superuser_is_administrator_and_scopes_are_shown,
    a_restricted_token_reads_but_writes_nothing,
    filters_restrict_and_fail_closed,
    version_iat_exp_and_nbf_are_checked,
    the_leeway_is_configurable,
    lms_tokens_verify_with_the_jwk_set_and_issuers,
    nothing_configured_refuses_every_token,
    the_shorthand_secret_keeps_its_issuer_and_audience,
    cookie_names_are_configurable,
}

async fn jwt_and_bearer_schemes_in_any_case(app: TestApp) {
    let token = hs256(&claims("ada", json!({})));
    for scheme in ["JWT", "jwt", "Bearer", "bearer", "BEARER"] {
        let body = app.with_header(&format!("{scheme} {token}"), VIEWER).await;
        assert_eq!(body["data"]["viewer"]["subject"], "ada", "{scheme}: {body}");
        assert_eq!(body["data"]["viewer"]["authenticatedBy"], "HEADER");
    }
    for bad in [format!("Basic {token}"), token.clone(), "JWT".to_owned()] {
        assert_eq!(
            error_code(&app.with_header(&bad, VIEWER).await),
            "UNAUTHENTICATED",
            "{bad}"
        );
    }
}

async fn two_authorization_headers_and_bad_tokens_are_refused_with_a_challenge(app: TestApp) {
    let token = hs256(&claims("ada", json!({})));
    let two = app
        .client()
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .header("authorization", format!("JWT {token}"))
        .header("authorization", format!("JWT {token}"))
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    assert_eq!(two.status(), 401);
    assert_eq!(two.headers()["www-authenticate"], "JWT realm=\"api\"");
    let body: Value = two.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let forged = app
        .client()
        .post(app.url("/graphql"))
        .header("authorization", "JWT a.b.c")
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    assert!(forged.headers().contains_key("www-authenticate"));
}

async fn cookies_authenticate_and_bad_cookies_are_anonymous(app: TestApp) {
    let good = hs256(&claims("ada", json!({})));
    let body = app.with_cookie(&jwt_cookies(&good), VIEWER).await;
    assert_eq!(body["data"]["viewer"]["subject"], "ada", "{body}");
    assert_eq!(body["data"]["viewer"]["authenticatedBy"], "COOKIE");
    let expired = hs256(&claims("ada", json!({ "exp": now() - 3600 })));
    let forged = format!("{}x", good);
    let (half, _) = good.rsplit_once('.').unwrap();
    for cookie in [
        jwt_cookies(&expired),
        jwt_cookies(&forged),
        format!("edx-jwt-cookie-header-payload={half}"),
    ] {
        let body = app.with_cookie(&cookie, VIEWER).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert!(body["data"]["viewer"]["subject"].is_null(), "{body}");
        assert!(body["data"]["viewer"]["authenticatedBy"].is_null());
    }
    // A header token wins over the cookies.
    let bob = hs256(&claims("bob", json!({})));
    let bob_header = format!("JWT {bob}");
    let body = app
        .gql_with(VIEWER, json!({}), |r| {
            r.header("cookie", jwt_cookies(&good))
                .header("authorization", bob_header)
        })
        .await;
    assert_eq!(body["data"]["viewer"]["subject"], "bob");
}

async fn the_subject_is_the_username(app: TestApp) {
    let all = claims("ada", json!({ "username": "ada-u", "sub": "hash" }));
    assert_eq!(
        viewer_of(&app, &hs256(&all)).await.unwrap()["subject"],
        "ada"
    );
    let no_preferred = claims(
        "x",
        json!({ "preferred_username": null, "username": "ada-u" }),
    );
    assert_eq!(
        viewer_of(&app, &hs256(&no_preferred)).await.unwrap()["subject"],
        "ada-u"
    );
    let sub_only = claims("x", json!({ "preferred_username": null, "sub": "hash" }));
    assert_eq!(
        viewer_of(&app, &hs256(&sub_only)).await.unwrap()["subject"],
        "hash"
    );
    let none = claims("x", json!({ "preferred_username": null, "sub": null }));
    assert_eq!(
        viewer_of(&app, &hs256(&none)).await.unwrap_err(),
        "UNAUTHENTICATED"
    );
}

async fn superuser_is_administrator_and_scopes_are_shown(app: TestApp) {
    let viewer = viewer_of(&app, &hs256(&claims("root", json!({ "superuser": true }))))
        .await
        .unwrap();
    assert_eq!(viewer["administrator"], true);
    assert_eq!(viewer["scopes"], json!(["user_id", "email", "profile"]));
    let token = hs256(&claims("root", json!({ "superuser": true })));
    let body = app.as_user(&token, ENSURE, json!({})).await;
    assert_eq!(
        body["data"]["ensureOrganization"]["created"], true,
        "{body}"
    );
}

async fn a_restricted_token_reads_but_writes_nothing(app: TestApp) {
    let token = hs256(&claims(
        "root",
        json!({ "administrator": true, "is_restricted": true }),
    ));
    assert_eq!(viewer_of(&app, &token).await.unwrap()["restricted"], true);
    let before = app.snapshot().await;
    let body = app.as_user(&token, ENSURE, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("is_restricted")
    );
    assert_eq!(app.snapshot().await, before);
    let reads = app
        .as_user(&token, "{ organizations { totalCount } }", json!({}))
        .await;
    assert!(reads.get("errors").is_none(), "{reads}");
}

async fn filters_restrict_and_fail_closed(app: TestApp) {
    for name in ["MITx", "HarvardX"] {
        app.admin_data(
            &format!(r#"mutation {{ ensureOrganization(shortName: "{name}") {{ created }} }}"#),
            json!({}),
        )
        .await;
    }
    let count = |filters: Value| {
        let token = hs256(&claims("reader", json!({ "filters": filters })));
        let app = &app;
        async move {
            let body = app
                .as_user(&token, "{ organizations { totalCount } }", json!({}))
                .await;
            body["data"]["organizations"]["totalCount"]
                .as_i64()
                .unwrap_or_else(|| panic!("{body}"))
        }
    };
    assert_eq!(count(json!(["user:me"])).await, 2);
    assert_eq!(count(json!(["content_org:mitx", "user:me"])).await, 1);
    assert_eq!(
        count(json!(["content_org:MITx", "content_org:HarvardX"])).await,
        2
    );
    for closed in [
        json!(["MITx"]),
        json!(["content_org:"]),
        json!(["content_org:MITx", "junk"]),
        json!("content_org:MITx"),
    ] {
        assert_eq!(count(closed.clone()).await, 0, "{closed}");
    }
}

async fn version_iat_exp_and_nbf_are_checked(app: TestApp) {
    for (changes, accepted) in [
        (json!({}), true),
        (json!({ "version": "2.0.0" }), false),
        (json!({ "version": "1.9" }), false),
        (json!({ "version": null }), true),
        (json!({ "iat": null }), false),
        (json!({ "exp": null }), false),
        (json!({ "iat": now() + 600 }), false),
        (json!({ "nbf": now() + 600 }), false),
        (json!({ "nbf": now() - 600 }), true),
        (json!({ "exp": now() - 5 }), false),
    ] {
        let result = viewer_of(&app, &hs256(&claims("ada", changes.clone()))).await;
        assert_eq!(result.is_ok(), accepted, "{changes}: {result:?}");
    }
}

async fn the_leeway_is_configurable(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = TestApp::spawn_with(backend, |c| {
        c.jwt_leeway = std::time::Duration::from_secs(30)
    })
    .await
    .unwrap();
    let late = hs256(&claims(
        "ada",
        json!({ "exp": now() - 5, "nbf": now() + 5 }),
    ));
    assert!(viewer_of(&app, &late).await.is_ok());
    let too_late = hs256(&claims("ada", json!({ "exp": now() - 60 })));
    assert!(viewer_of(&app, &too_late).await.is_err());
}

async fn lms_tokens_verify_with_the_jwk_set_and_issuers(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = lms_app(backend, |_| {}).await;
    let lms = |changes: Value| {
        let mut c = claims(
            "ada",
            json!({ "iss": "https://lms.test/oauth2", "aud": "openedx" }),
        );
        c.as_object_mut()
            .unwrap()
            .extend(changes.as_object().unwrap().clone());
        c
    };
    assert_eq!(
        viewer_of(&app, &rs512(&lms(json!({})))).await.unwrap()["subject"],
        "ada"
    );
    assert!(
        viewer_of(&app, &hs256(&lms(json!({})))).await.is_ok(),
        "the issuer's SECRET_KEY"
    );
    assert!(
        viewer_of(&app, &rs512(&lms(json!({ "aud": ["x", "openedx"] }))))
            .await
            .is_ok()
    );
    for bad in [
        json!({ "iss": "https://evil.test" }),
        json!({ "aud": "other" }),
        json!({ "aud": null }),
    ] {
        assert!(
            viewer_of(&app, &rs512(&lms(bad.clone()))).await.is_err(),
            "{bad}"
        );
        assert!(
            viewer_of(&app, &hs256(&lms(bad.clone()))).await.is_err(),
            "{bad}"
        );
    }
    drop(app);
    let lax = lms_app(backend, |c| c.jwt_verify_audience = false).await;
    assert!(
        viewer_of(&lax, &rs512(&lms(json!({ "aud": "other" }))))
            .await
            .is_ok()
    );
}

async fn nothing_configured_refuses_every_token(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = TestApp::spawn_with(backend, |c| c.jwt_secret = None)
        .await
        .unwrap();
    assert_eq!(
        viewer_of(&app, &hs256(&claims("ada", json!({}))))
            .await
            .unwrap_err(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        viewer_of(&app, &rs512(&claims("ada", json!({}))))
            .await
            .unwrap_err(),
        "UNAUTHENTICATED"
    );
}

async fn the_shorthand_secret_keeps_its_issuer_and_audience(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = TestApp::spawn_with(backend, |c| {
        c.jwt_issuer = Some("https://local.test".into());
        c.jwt_audience = Some("tenancy".into());
    })
    .await
    .unwrap();
    let good = claims(
        "ada",
        json!({ "iss": "https://local.test", "aud": "tenancy" }),
    );
    assert!(viewer_of(&app, &hs256(&good)).await.is_ok());
    for bad in [
        json!({ "iss": null, "aud": "tenancy" }),
        json!({ "iss": "https://local.test", "aud": "x" }),
    ] {
        let mut c = good.clone();
        c.as_object_mut()
            .unwrap()
            .extend(bad.as_object().unwrap().clone());
        c.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        assert_eq!(
            viewer_of(&app, &hs256(&c)).await.unwrap_err(),
            "UNAUTHENTICATED",
            "{bad}"
        );
    }
    // A plain Bearer token of the local shorthand, as before.
    let body = app.as_user(&hs256(&good), VIEWER, json!({})).await;
    assert_eq!(body["data"]["viewer"]["authenticatedBy"], "HEADER");
}

async fn cookie_names_are_configurable(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = TestApp::spawn_with(backend, |c| {
        c.jwt_cookie_header_payload_name = "stage-jwt-hp".into();
        c.jwt_cookie_signature_name = "stage-jwt-sig".into();
    })
    .await
    .unwrap();
    let token = hs256(&claims("ada", json!({})));
    let (hp, sig) = token.rsplit_once('.').unwrap();
    let body = app
        .with_cookie(&format!("stage-jwt-hp={hp}; stage-jwt-sig={sig}"), VIEWER)
        .await;
    assert_eq!(body["data"]["viewer"]["subject"], "ada", "{body}");
    let default_names = app.with_cookie(&jwt_cookies(&token), VIEWER).await;
    assert!(default_names["data"]["viewer"]["subject"].is_null());
}
