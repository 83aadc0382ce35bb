//! The edx-organizations REST API (docs/adopting.md) on both engines: pagination, upsert, rename,
//! reactivation, refusals and their DRF bodies, visibility, history and CSRF. The differential
//! against the real app is `rest_differential`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{TestApp, admin, jwt_cookies, token};

const BASE: &str = "/api/organizations/v0/organizations/";

impl TestApp {
    /// (status, body or Null) of a REST call with a bearer token (`None`: anonymous).
    pub async fn rest(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client().request(method, self.url(path));
        if let Some(token) = token {
            request = request.header("authorization", format!("JWT {token}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn put_org(&self, path: &str, body: Value) -> (u16, Value) {
        self.rest(
            Method::PUT,
            &format!("{BASE}{path}/"),
            Some(&admin()),
            Some(body),
        )
        .await
    }
}

fn names(page: &Value) -> Vec<&str> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["short_name"].as_str().unwrap())
        .collect()
}

backend_tests! {
    rest_pages_as_the_lms_does,
    rest_put_upserts_renames_and_reactivates,
    rest_refuses_as_drf_does,
    rest_keeps_content_org_filters_and_csrf,
}

async fn rest_pages_as_the_lms_does(app: TestApp) {
    for i in 0..23 {
        let (status, _) = app
            .put_org(
                &format!("o{i}"),
                json!({"name": format!("O {i}"), "short_name": format!("o{i}")}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let user = token("ada", false, &[]);
    let (status, page) = app.rest(Method::GET, BASE, Some(&user), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            page["count"].clone(),
            page["num_pages"].clone(),
            page["current_page"].clone(),
            page["start"].clone()
        ),
        (json!(23), json!(3), json!(1), json!(0))
    );
    assert_eq!(names(&page)[..3], ["o0", "o1", "o2"], "creation order");
    assert!(page["previous"].is_null());
    assert!(
        page["next"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{BASE}?page=2"))
    );
    let (_, last) = app
        .rest(
            Method::GET,
            &format!("{BASE}?page=3&page_size=10"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(names(&last), ["o20", "o21", "o22"]);
    assert!(last["next"].is_null());
    assert!(
        last["previous"]
            .as_str()
            .unwrap()
            .ends_with("?page=2&page_size=10")
    );
    let (_, big) = app
        .rest(
            Method::GET,
            &format!("{BASE}?page_size=500"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(
        (big["num_pages"].clone(), names(&big).len()),
        (json!(1), 23)
    );
    let (_, second) = app
        .rest(
            Method::GET,
            &format!("{BASE}?page=2&page_size=5"),
            Some(&user),
            None,
        )
        .await;
    assert!(
        second["previous"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{BASE}?page_size=5"))
    );
    assert_eq!(second["start"], 5);
    let (status, body) = app
        .rest(Method::GET, &format!("{BASE}?page=4"), Some(&user), None)
        .await;
    assert_eq!((status, body), (404, json!({"detail": "Invalid page."})));
    let (status, body) = app.rest(Method::GET, BASE, None, None).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"detail": "Authentication credentials were not provided."})
        )
    );
}

async fn rest_put_upserts_renames_and_reactivates(app: TestApp) {
    let (status, created) = app.put_org("edX", json!({"name": "edX Inc", "short_name": "edX", "description": "d", "logo_url": "https://cdn.test/l.png"})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            created["name"].as_str(),
            created["logo"].as_str(),
            created["active"].as_bool()
        ),
        (Some("edX Inc"), Some("https://cdn.test/l.png"), Some(true))
    );
    let (_, updated) = app
        .put_org("edX", json!({"name": "edX 2", "short_name": "edX"}))
        .await;
    assert_eq!(
        (
            updated["name"].as_str(),
            updated["description"].as_str(),
            updated["id"].clone()
        ),
        (Some("edX 2"), Some("d"), created["id"].clone())
    );
    let (_, renamed) = app
        .put_org("edX", json!({"name": "edX 2", "short_name": "edX2"}))
        .await;
    assert_eq!(
        (renamed["short_name"].as_str(), renamed["id"].clone()),
        (Some("edX2"), created["id"].clone())
    );
    let user = token("ada", false, &[]);
    let (status, _) = app
        .rest(Method::GET, &format!("{BASE}edX/"), Some(&user), None)
        .await;
    assert_eq!(status, 404);
    let (status, found) = app
        .rest(Method::GET, &format!("{BASE}edx2/"), Some(&user), None)
        .await;
    assert_eq!(
        (status, found["short_name"].as_str()),
        (200, Some("edX2")),
        "case-insensitive"
    );
    // Deactivated through GraphQL: GET hides it, PUT brings it back.
    app.admin_data(
        r#"mutation { deactivateOrganization(shortName: "edX2") { active } }"#,
        json!({}),
    )
    .await;
    let (status, body) = app
        .rest(Method::GET, &format!("{BASE}edX2/"), Some(&user), None)
        .await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"detail": "No Organization matches the given query."})
        )
    );
    let (status, back) = app
        .put_org("edX2", json!({"name": "edX 3", "short_name": "edX2"}))
        .await;
    assert_eq!((status, back["active"].as_bool()), (200, Some(true)));
    // Renaming onto a taken short name, case-insensitively.
    app.put_org("MIT", json!({"name": "MIT", "short_name": "MIT"}))
        .await;
    let (status, body) = app
        .put_org("edX2", json!({"name": "x", "short_name": "mit"}))
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"short_name": ["organization with this Short Name already exists."]})
        )
    );
    // History names the caller.
    let history = app
        .admin_data(
            r#"{ changes(first: 50) { edges { node { actor kind key } } } }"#,
            json!({}),
        )
        .await;
    let edges = history["changes"]["edges"].as_array().unwrap();
    assert!(
        edges
            .iter()
            .any(|e| e["node"]["kind"] == "REACTIVATED" && e["node"]["key"] == "edX2")
    );
    assert!(
        edges
            .iter()
            .filter(|e| e["node"]["key"] != "edX2" || e["node"]["kind"] != "REACTIVATED")
            .all(|e| e["node"]["actor"] == "admin")
    );
}

async fn rest_refuses_as_drf_does(app: TestApp) {
    let user = token("ada", false, &[]);
    let org = format!("{BASE}edX/");
    let (status, body) = app
        .rest(
            Method::PUT,
            &org,
            Some(&user),
            Some(json!({"name": "e", "short_name": "edX"})),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"detail": "You do not have permission to perform this action."})
        )
    );
    let (status, body) = app
        .put_org(
            "edX",
            json!({"name": "e", "short_name": "edX", "active": false}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!(["Value of 'active' may not be specified via Organizations HTTP API."])
        )
    );
    let (status, body) = app
        .put_org("edX", json!({"name": "  ", "description": 5}))
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"name": ["This field may not be blank."], "short_name": ["This field is required."]})
        )
    );
    let (status, body) = app
        .put_org("edX", json!({"name": "x".repeat(256), "short_name": "edX"}))
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"name": ["Ensure this field has no more than 255 characters."]})
        )
    );
    let (status, body) = app
        .rest(
            Method::POST,
            BASE,
            Some(&admin()),
            Some(json!({"name": "e", "short_name": "e"})),
        )
        .await;
    assert_eq!(
        (status, body),
        (405, json!({"detail": "Method \"POST\" not allowed."}))
    );
    let (status, body) = app.rest(Method::DELETE, &org, Some(&admin()), None).await;
    assert_eq!(
        (status, body),
        (405, json!({"detail": "Method \"DELETE\" not allowed."}))
    );
    let (status, body) = app
        .rest(
            Method::PATCH,
            &org,
            Some(&admin()),
            Some(json!({"name": "e"})),
        )
        .await;
    assert_eq!((status, body), (405, Value::Null));
    let (status, _) = app.rest(Method::PATCH, &org, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(app.count("organization").await, 0, "nothing written");
}

async fn rest_keeps_content_org_filters_and_csrf(app: TestApp) {
    for name in ["edX", "MIT"] {
        app.put_org(name, json!({"name": name, "short_name": name}))
            .await;
    }
    let filtered = token("bot", true, &["content_org:edX"]);
    let (_, page) = app.rest(Method::GET, BASE, Some(&filtered), None).await;
    assert_eq!(
        (names(&page), page["count"].clone()),
        (vec!["edX"], json!(1))
    );
    let (status, _) = app
        .rest(Method::GET, &format!("{BASE}MIT/"), Some(&filtered), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .rest(
            Method::PUT,
            &format!("{BASE}MIT/"),
            Some(&filtered),
            Some(json!({"name": "m", "short_name": "MIT"})),
        )
        .await;
    assert_eq!(status, 403);
    // A cookie-authenticated PUT needs the CSRF token.
    let cookies = jwt_cookies(&admin());
    let put = |extra: Option<&'static str>| {
        let mut request = app
            .client()
            .put(app.url(&format!("{BASE}edX/")))
            .json(&json!({"name": "e2", "short_name": "edX"}));
        request = match extra {
            Some(csrf) => request
                .header("cookie", format!("{cookies}; csrftoken={csrf}"))
                .header("x-csrftoken", csrf),
            None => request.header("cookie", cookies.clone()),
        };
        request.send()
    };
    assert_eq!(put(None).await.unwrap().status().as_u16(), 403);
    let token = "a".repeat(32);
    let token: &'static str = Box::leak(token.into_boxed_str());
    assert_eq!(put(Some(token)).await.unwrap().status().as_u16(), 200);
}
