//! `import --organizations-api` against a tiny HTTP server made here (docs/adopting.md): the
//! token goes to the origin given and nowhere else, and pages that link back to a page already
//! read stop the import instead of looping.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tenancy_gateway::repo::import::organizations_api;

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");
const PATH: &str = "/api/organizations/v0/organizations/";

/// What a page answers: `next` (a URL, with `{A}` and `{B}` standing for the two servers), or
/// a redirect to it.
#[derive(Clone)]
enum Answer {
    Page { next: Option<String> },
    Redirect(String),
}

/// A request a server saw: the page asked for, and its `Authorization` header.
type Request = (usize, Option<String>);

/// A server whose page `n` (`?page=n`, 1 without) answers `pages[n - 1]`; it records the
/// `Authorization` header of every request.
#[derive(Clone, Default)]
struct Api {
    pages: Arc<Mutex<Vec<Answer>>>,
    /// `(page, authorization)` of each request.
    seen: Arc<Mutex<Vec<Request>>>,
    others: Arc<Mutex<(String, String)>>,
}

async fn page(
    State(api): State<Api>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let n: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    api.seen.lock().unwrap().push((n, auth));
    let (a, b) = api.others.lock().unwrap().clone();
    let fill = |s: &str| s.replace("{A}", &a).replace("{B}", &b);
    let answer = api.pages.lock().unwrap().get(n - 1).cloned();
    match answer {
        Some(Answer::Page { next }) => axum::Json(json!({
            "count": 99, "num_pages": 9, "current_page": n, "start": 0, "previous": null,
            "next": next.map(|n| fill(&n)),
            "results": [{"short_name": format!("Org{n}"), "name": format!("Org {n}"),
                         "description": null, "logo": null, "active": true}],
        }))
        .into_response(),
        Some(Answer::Redirect(to)) => {
            (StatusCode::FOUND, [("location", fill(&to))]).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts a server; its base URL (`http://127.0.0.1:PORT`).
async fn serve(api: &Api) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().route(PATH, get(page)).with_state(api.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Servers A and B; A answers `pages`, B a single page without `next`.
async fn two(pages: Vec<Answer>) -> (Api, String, Api, String) {
    let (a, b) = (Api::default(), Api::default());
    *a.pages.lock().unwrap() = pages;
    *b.pages.lock().unwrap() = vec![Answer::Page { next: None }];
    let (a_base, b_base) = (serve(&a).await, serve(&b).await);
    for api in [&a, &b] {
        *api.others.lock().unwrap() = (a_base.clone(), b_base.clone());
    }
    (a, a_base, b, b_base)
}

fn next(url: &str) -> Answer {
    Answer::Page {
        next: Some(url.to_owned()),
    }
}

async fn import(base: &str) -> Result<Vec<String>, String> {
    let client = organizations_api::client(None).unwrap();
    organizations_api::organizations(&client, &format!("{base}{PATH}"), "secret-token")
        .await
        .map(|orgs| orgs.into_iter().map(|o| o.short_name).collect())
        .map_err(|e| e.for_operator())
}

fn pages_read(api: &Api) -> Vec<usize> {
    api.seen.lock().unwrap().iter().map(|(n, _)| *n).collect()
}

#[tokio::test]
async fn next_links_on_the_origin_are_followed_with_the_token() {
    let (a, base, _, _) = two(vec![
        next(&format!("{{A}}{PATH}?page=2&page_size=100")),
        // Relative links are resolved against the page, on the same origin.
        next("?page=3&page_size=100"),
        Answer::Page { next: None },
    ])
    .await;
    assert_eq!(import(&base).await.unwrap(), ["Org1", "Org2", "Org3"]);
    let seen = a.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|(_, auth)| auth.as_deref() == Some("JWT secret-token")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused_before_any_request() {
    let (a, base, b, b_base) = two(vec![next(&format!("{{B}}{PATH}?page=1"))]).await;
    let err = import(&base).await.unwrap_err();
    assert!(
        err.contains("leaves") && err.contains(&b_base) && err.contains(&base),
        "{err}"
    );
    assert_eq!(pages_read(&a), [1]);
    assert!(pages_read(&b).is_empty(), "B was asked: {:?}", b.seen);
    // Another port of the same host is another origin too.
    let other_port = base.rsplit_once(':').unwrap().0.to_owned() + ":1";
    let (_, base, _, _) = two(vec![next(&format!("{other_port}{PATH}"))]).await;
    assert!(import(&base).await.unwrap_err().contains("leaves"));
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let (a, base, b, _) = two(vec![
        next(&format!("{{A}}{PATH}?page=2")),
        Answer::Redirect(format!("{{B}}{PATH}")),
    ])
    .await;
    let err = import(&base).await.unwrap_err();
    assert!(err.contains("redirects") && err.contains("token"), "{err}");
    assert_eq!(pages_read(&a), [1, 2]);
    assert!(pages_read(&b).is_empty(), "B was asked: {:?}", b.seen);
}

#[tokio::test]
async fn pages_that_link_back_stop_the_import() {
    // A page whose next link is itself (the spelling differs only in query order).
    let (a, base, _, _) = two(vec![next(&format!("{{A}}{PATH}?page_size=100"))]).await;
    let err = import(&base).await.unwrap_err();
    assert!(err.contains("already read"), "{err}");
    assert_eq!(pages_read(&a), [1]);
    // Three pages in a circle: each read once.
    let (a, base, _, _) = two(vec![
        next(&format!("{{A}}{PATH}?page=2&page_size=100")),
        next(&format!("{{A}}{PATH}?page=3&page_size=100")),
        next(&format!("{{A}}{PATH}?page_size=100&page=2")),
    ])
    .await;
    let err = import(&base).await.unwrap_err();
    assert!(
        err.contains("already read") && err.contains("page=2"),
        "{err}"
    );
    assert_eq!(pages_read(&a), [1, 2, 3]);
}

#[tokio::test]
async fn the_command_line_says_why_and_writes_nothing() {
    let (_, base, b, _) = two(vec![next(&format!("{{B}}{PATH}"))]).await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let api = format!("{base}{PATH}");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(BIN)
            .args(["import", "--database-url", &database, "--apply"])
            .args(["--organizations-api", &api, "--token", "secret-token"])
            .env("RUST_LOG", "warn")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("leaves") && stderr.contains("not followed"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-token"), "{stderr}");
    assert!(pages_read(&b).is_empty());
}
