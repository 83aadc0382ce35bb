//! The REST differential of docs/adopting.md: one scripted sequence of GET/PUT/POST/PATCH/DELETE
//! calls against the real edx-organizations (from PyPI, hosted by tests/python/orgs_peer with
//! the LMS's pagination and edx-drf-extensions' JwtAuthentication) and against the service,
//! with the same tokens; status codes and JSON bodies must agree, ids and timestamps aside.

use std::process::{Child, Command, Stdio};

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::import::{peer_script, python};
use crate::support::TestApp;
use crate::support::{SECRET, claims, hs256};

/// The Django peer, killed when dropped.
pub struct Peer {
    child: Child,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The peer on a database of its own, or on `database` (a Django URL).
pub fn start_peer(database: Option<&str>) -> Option<Peer> {
    start_peer_with(database, None)
}

/// The peer, over https with a certificate of a private CA it writes to `tls_dir` (ca.pem) when given.
pub fn start_peer_with(database: Option<&str>, tls_dir: Option<&std::path::Path>) -> Option<Peer> {
    let python = python()?;
    let dir = tempfile::tempdir().unwrap();
    let database = database.map_or_else(
        || format!("sqlite:///{}", dir.path().join("peer.db").display()),
        str::to_owned,
    );
    let mut command = Command::new(python);
    command
        .arg(peer_script("serve.py"))
        .env("ORGS_PEER_DATABASE", database)
        .env("ORGS_PEER_JWT_SECRET", SECRET)
        .stdout(Stdio::piped());
    if let Some(dir) = tls_dir {
        command.env("ORGS_PEER_TLS_DIR", dir);
    }
    let mut child = command.spawn().unwrap();
    let base = crate::support::listening_on(&mut child);
    Some(Peer {
        child,
        base,
        _dir: dir,
    })
}

/// A token both accept: the peer checks `iss` and `aud`, the service (one secret) ignores them.
pub fn token(username: &str, administrator: bool) -> String {
    hs256(&claims(
        username,
        json!({"iss": "https://lms.test/oauth2", "aud": "openedx", "administrator": administrator}),
    ))
}

/// Drops what legitimately differs: ids, timestamps and the host of links.
fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for field in ["id", "created", "modified"] {
                map.remove(field);
            }
            for link in ["next", "previous"] {
                if let Some(Value::String(url)) = map.get_mut(link) {
                    *url = url
                        .split_once("/api/")
                        .map(|(_, rest)| format!("/api/{rest}"))
                        .unwrap_or_default();
                }
            }
            map.values_mut().for_each(normalize);
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

async fn call(client: &reqwest::Client, base: &str, step: &Step) -> (u16, Value) {
    let mut request = client.request(
        step.0.clone(),
        format!("{base}/api/organizations/v0/organizations/{}", step.1),
    );
    if let Some(token) = &step.2 {
        request = request.header("authorization", format!("JWT {token}"));
    }
    if let Some(body) = &step.3 {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let mut body = serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null);
    normalize(&mut body);
    (status, body)
}

type Step = (Method, String, Option<String>, Option<Value>);

fn script() -> Vec<Step> {
    let admin = Some(token("staff", true));
    let user = Some(token("ada", false));
    let step = |m: Method, path: &str, who: &Option<String>, body: Option<Value>| {
        (m, path.to_owned(), who.clone(), body)
    };
    let org = |short: &str, name: &str| json!({"short_name": short, "name": name});
    let mut steps = vec![
        step(Method::GET, "", &None, None),
        step(Method::GET, "", &user, None),
        step(Method::PUT, "edX/", &user, Some(org("edX", "edX"))),
        step(
            Method::PUT,
            "edX/",
            &admin,
            Some(json!({"short_name": "edX", "name": "edX Inc.", "description": "The founder"})),
        ),
        step(Method::PUT, "MITx/", &admin, Some(org("MITx", "MIT"))),
        step(Method::GET, "edX/", &user, None),
        step(Method::GET, "nope/", &user, None),
        step(Method::GET, "edX/", &None, None),
        step(
            Method::PUT,
            "edX/",
            &admin,
            Some(json!({"short_name": "edX", "name": "x", "active": false})),
        ),
        step(
            Method::PUT,
            "edX/",
            &admin,
            Some(json!({"short_name": "edX"})),
        ),
        step(Method::PUT, "edX/", &admin, Some(json!({"name": "  "}))),
        step(
            Method::PUT,
            "edX/",
            &admin,
            Some(org("edX", &"n".repeat(256))),
        ),
        step(
            Method::PUT,
            "edX/",
            &admin,
            Some(json!({"short_name": "edX", "name": null})),
        ),
        step(
            Method::PUT,
            "edX/",
            &admin,
            Some(json!({"short_name": "edX", "name": "edX 2"})),
        ),
        step(Method::GET, "edX/", &user, None),
        step(
            Method::PUT,
            "edX/",
            &admin,
            Some(json!({"short_name": "edX", "name": "edX 3", "description": ""})),
        ),
        step(
            Method::PUT,
            "edX/",
            &admin,
            Some(json!({"short_name": "edX", "name": "edX 3", "description": null})),
        ),
        step(Method::PUT, "edX/", &admin, Some(org("edX2", "renamed"))),
        step(Method::GET, "edX/", &user, None),
        step(Method::GET, "edX2/", &user, None),
        step(Method::PUT, "edX2/", &admin, Some(org("MITx", "taken"))),
        step(Method::PUT, "zzz/", &admin, Some(org("edX2", "taken too"))),
        step(
            Method::PUT,
            "HX/",
            &admin,
            Some(json!({"short_name": "HX", "name": "Harvard", "description": "d", "extra": 1})),
        ),
        step(
            Method::PUT,
            "new/",
            &admin,
            Some(org("other", "created from the body")),
        ),
        step(Method::POST, "", &admin, Some(org("P", "p"))),
        step(Method::POST, "", &user, Some(org("P", "p"))),
        step(Method::POST, "", &None, Some(org("P", "p"))),
        step(Method::PUT, "", &admin, Some(org("P", "p"))),
        step(Method::PATCH, "edX2/", &admin, Some(json!({"name": "p"}))),
        step(Method::PATCH, "edX2/", &None, Some(json!({"name": "p"}))),
        step(Method::DELETE, "edX2/", &admin, None),
        step(Method::DELETE, "edX2/", &user, None),
        step(Method::POST, "edX2/", &admin, Some(org("P", "p"))),
    ];
    for i in 0..14 {
        let short = format!("Org{i:02}");
        steps.push(step(
            Method::PUT,
            &format!("{short}/"),
            &admin,
            Some(org(&short, &format!("Organization {i}"))),
        ));
    }
    for query in [
        "",
        "?page=2",
        "?page=3",
        "?page=4",
        "?page=0",
        "?page=abc",
        "?page=last",
        "?page_size=5&page=3",
        "?page_size=500",
        "?page_size=0",
        "?page_size=x&page=2",
        "?page=2&page_size=7&other=1",
    ] {
        steps.push(step(Method::GET, query, &user, None));
    }
    steps
}

backend_tests! {
    rest_api_agrees_with_the_real_edx_organizations,
}

async fn rest_api_agrees_with_the_real_edx_organizations(app: TestApp) {
    let Some(peer) = start_peer(None) else { return };
    let client = crate::support::http_client();
    let ours = app.url("").trim_end_matches('/').to_owned();
    let steps = script();
    let mut disagreements = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let theirs = call(&client, &peer.base, step).await;
        let mine = call(&client, &ours, step).await;
        if theirs != mine {
            disagreements.push(format!(
                "step {n} {} {}: edx-organizations {theirs:?}, service {mine:?}",
                step.0, step.1
            ));
        }
    }
    eprintln!(
        "REST differential: {} requests compared, {} disagreements",
        steps.len(),
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
