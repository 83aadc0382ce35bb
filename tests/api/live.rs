//! Live changes (docs/design.md) over Server-Sent Events: replay from a cursor then live, with no gap
//! and no duplicate, filtered by visibility, ended when the token expires, and reaching the
//! subscribers of another replica. (The WebSocket transport is driven by the npm `graphql-ws`
//! client in `tests/node/subscriptions.mjs`, SSE also by `graphql-sse` there.)

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{Backend, TestApp, admin, fresh_database, token};

const SUBSCRIBE: &str = "subscription($after: String, $entities: [ChangeEntity!]) { changes(after: $after, entities: $entities) { id kind entity key actor } }";

/// One open SSE subscription: the events it has delivered so far.
pub struct Events {
    response: reqwest::Response,
    pending: String,
}

impl Events {
    pub async fn open(app: &TestApp, variables: Value, bearer: Option<&str>) -> Events {
        let mut req = app
            .client()
            .post(app.url("/graphql"))
            .header("accept", "text/event-stream")
            .json(&json!({ "query": SUBSCRIBE, "variables": variables }));
        if let Some(token) = bearer {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let response = req.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Events {
            response,
            pending: String::new(),
        }
    }

    /// The next event (`next` payloads and `complete`), waiting at most `limit`.
    async fn next(&mut self, limit: Duration) -> Option<(String, Value)> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if event.is_empty() {
                    continue; // a keep-alive comment
                }
                let data = if data.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(&data).unwrap()
                };
                return Some((event, data));
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.pending.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(_) | Err(_) => return None,
            }
        }
    }

    /// The next `n` changes (their `changes` payloads).
    pub async fn changes(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        while out.len() < n {
            let (event, data) = self
                .next(Duration::from_secs(20))
                .await
                .unwrap_or_else(|| panic!("only {} of {n} changes arrived: {out:?}", out.len()));
            assert_eq!(event, "next", "{data}");
            assert!(data.get("errors").is_none(), "{data}");
            out.push(data["data"]["changes"].clone());
        }
        out
    }
}

async fn ensure(app: &TestApp, name: &str) {
    app.admin_data(
        "mutation($n: String!) { ensureOrganization(shortName: $n) { created } }",
        json!({ "n": name }),
    )
    .await;
}

fn keys(changes: &[Value]) -> Vec<&str> {
    changes.iter().map(|c| c["key"].as_str().unwrap()).collect()
}

backend_tests! {
    a_subscription_outlives_the_read_and_idle_timeouts with |c| {
        c.limits.header_read_timeout = Duration::from_millis(500);
        c.limits.body_read_timeout = Duration::from_millis(500);
    },
    a_subscription_replays_from_its_cursor_then_streams_live,
    subscribers_receive_only_what_they_may_see,
    an_idle_subscription_reads_nothing,
    one_client_holds_at_most_16_subscription_connections,
    a_subscription_ends_when_its_token_expires,
}

async fn a_subscription_outlives_the_read_and_idle_timeouts(app: TestApp) {
    let mut events = Events::open(&app, json!({}), None).await;
    // Quiet for longer than either timeout: the stream stays open.
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure(&app, "LateX").await;
    assert_eq!(keys(&events.changes(1).await), ["LateX"]);
}

async fn a_subscription_replays_from_its_cursor_then_streams_live(app: TestApp) {
    for name in ["AX", "BX", "CX"] {
        ensure(&app, name).await;
    }
    let listed = app
        .admin_data("{ changes { edges { cursor node { id } } } }", json!({}))
        .await;
    let first = listed["changes"]["edges"][0]["cursor"].clone();
    let mut events = Events::open(&app, json!({ "after": first }), None).await;
    let replayed = events.changes(2).await;
    assert_eq!(
        keys(&replayed),
        ["BX", "CX"],
        "replay starts after the cursor"
    );
    for name in ["DX", "EX"] {
        ensure(&app, name).await;
    }
    let live = events.changes(2).await;
    assert_eq!(keys(&live), ["DX", "EX"]);
    let ids: Vec<i64> = replayed
        .iter()
        .chain(&live)
        .map(|c| c["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive, no gap, no duplicate: {ids:?}"
    );
    // An id works as a cursor too; without one the stream starts with the next change.
    let mut by_id = Events::open(&app, json!({ "after": ids[2].to_string() }), None).await;
    assert_eq!(keys(&by_id.changes(1).await), ["EX"]);
    // Without `after` it starts with a change after the subscription began: never an older
    // one. (When it begins is up to the server, so write until one arrives.)
    let mut from_now = Events::open(&app, json!({}), None).await;
    let mut written = Vec::new();
    let first = loop {
        let name = format!("Now{}X", written.len());
        ensure(&app, &name).await;
        written.push(name);
        if let Some((_, data)) = from_now.next(Duration::from_millis(300)).await {
            break data["data"]["changes"]["key"].as_str().unwrap().to_owned();
        }
        assert!(written.len() < 50, "no change arrived");
    };
    assert!(
        written.contains(&first),
        "{first} is not older than the subscription"
    );
}

async fn subscribers_receive_only_what_they_may_see(app: TestApp) {
    // From the start of the (empty) log: a subscription's resolver may start after the
    // writes below, and a client that must not miss anything names where it starts.
    let mut anonymous = Events::open(&app, json!({ "after": "0" }), None).await;
    let mut administrator = Events::open(&app, json!({ "after": "0" }), Some(&admin())).await;
    let mut links_only = Events::open(
        &app,
        json!({ "entities": ["COURSE_LINK"], "after": "0" }),
        Some(&admin()),
    )
    .await;
    app.admin_data(r#"mutation { backfill(courseKeys: ["lib:HiddenX:a"], apply: true, inactive: true) { linksCreated } }"#, json!({})).await;
    app.admin_data(r#"mutation { grantRole(subject: "bo", role: ORG_STAFF, organization: "HiddenX") { role } }"#, json!({})).await;
    ensure(&app, "PublicX").await;
    assert_eq!(
        keys(&administrator.changes(4).await),
        [
            "HiddenX",
            "lib:HiddenX:a/HiddenX",
            "bo/ORG_STAFF/HiddenX",
            "PublicX"
        ]
    );
    assert_eq!(
        keys(&anonymous.changes(1).await),
        ["PublicX"],
        "nothing hidden, no grant, before it"
    );
    assert_eq!(
        keys(&links_only.changes(1).await),
        ["lib:HiddenX:a/HiddenX"]
    );
    let mut staff = Events::open(
        &app,
        json!({ "after": "0" }),
        Some(&token("bo", false, &[])),
    )
    .await;
    assert_eq!(
        keys(&staff.changes(3).await),
        ["HiddenX", "lib:HiddenX:a/HiddenX", "PublicX"],
        "ORG_STAFF sees its organization, not the grant"
    );
}

async fn an_idle_subscription_reads_nothing(app: TestApp) {
    let mut events = Events::open(&app, json!({ "after": "0" }), None).await;
    ensure(&app, "FirstX").await;
    assert_eq!(keys(&events.changes(1).await), ["FirstX"]);
    // The notification of that write may still wake the subscription once; then it idles.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (statements, _) = app
        .statements_during(async {
            tokio::time::sleep(Duration::from_millis(3500)).await;
            Value::Null
        })
        .await;
    assert_eq!(
        statements, 0,
        "idle subscriptions cost no statement (the feed polls on its own connection)"
    );
}

async fn one_client_holds_at_most_16_subscription_connections(app: TestApp) {
    let mut open = Vec::new();
    for _ in 0..16 {
        open.push(Events::open(&app, json!({}), None).await);
    }
    let refused = app
        .client()
        .post(app.url("/graphql"))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": SUBSCRIBE }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_MANY_REQUESTS");
    drop(open.pop());
    // The server notices the closed stream when it next writes to it (an event or the
    // keep-alive): a change makes it write.
    ensure(&app, "FreedX").await;
    let mut again = None;
    for _ in 0..100 {
        let resp = app
            .client()
            .post(app.url("/graphql"))
            .header("accept", "text/event-stream")
            .json(&json!({ "query": SUBSCRIBE }))
            .send()
            .await
            .unwrap();
        if resp.status() == 200 {
            again = Some(resp);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(again.is_some(), "a closed connection frees its slot");
}

async fn a_subscription_ends_when_its_token_expires(app: TestApp) {
    let soon = {
        use tenancy_gateway::auth::{Claims, mint};
        let claims = Claims {
            sub: Some("ada".into()),
            iat: Some(chrono::Utc::now().timestamp() as u64),
            exp: (chrono::Utc::now().timestamp() + 2) as u64,
            ..Claims::default()
        };
        mint(crate::support::SECRET, &claims).unwrap()
    };
    let mut events = Events::open(&app, json!({}), Some(&soon)).await;
    let (event, data) = events
        .next(Duration::from_secs(20))
        .await
        .expect("an event");
    assert_eq!(event, "next");
    assert_eq!(
        data["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{data}"
    );
    let (event, _) = events.next(Duration::from_secs(5)).await.expect("complete");
    assert_eq!(event, "complete");
}

/// Two replicas on one PostgreSQL: a change committed through one reaches the subscribers of the
/// other (NOTIFY wakes them; the poll is the fallback), and concurrent writers on both lose
/// nothing and repeat nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_reach_the_subscribers_of_every_replica() {
    let Some((url, _dir)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let a = TestApp::spawn_on(&url, |_| {}).await;
    let b = TestApp::spawn_on(&url, |_| {}).await;
    let mut on_a = Events::open(&a, json!({ "after": "0" }), None).await;
    let started = Instant::now();
    ensure(&b, "RemoteX").await;
    assert_eq!(keys(&on_a.changes(1).await), ["RemoteX"]);
    eprintln!(
        "a change written through replica B reached a subscriber of replica A in {:?}",
        started.elapsed()
    );

    // 8 writers, 4 on each replica, 10 writes each.
    let writers = (0..8).map(|w| {
        let app = if w % 2 == 0 { &a } else { &b };
        async move {
            for i in 0..10 {
                let body = app
                    .as_user(
                        &admin(),
                        "mutation($n: String!) { ensureOrganization(shortName: $n) { created } }",
                        json!({ "n": format!("W{w}N{i}") }),
                    )
                    .await;
                assert!(body.get("errors").is_none(), "{body}");
            }
        }
    });
    futures::future::join_all(writers).await;
    let streamed = on_a.changes(80).await;
    let listed = a
        .admin_data(
            "{ changes(first: 1000) { edges { node { id key } } } }",
            json!({}),
        )
        .await;
    let listed: Vec<Value> = listed["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|e| e["node"].clone())
        .collect();
    let ids = |v: &[Value]| {
        v.iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&streamed),
        ids(&listed),
        "the stream holds every committed change, once, in commit order"
    );
}

mod counted;

/// A CLI backfill in another process reaches a subscriber of the running service (the poll on
/// SQLite, NOTIFY on PostgreSQL).
mod cli_writes {
    use super::*;

    backend_tests! {
        a_cli_backfill_reaches_subscribers,
    }

    async fn a_cli_backfill_reaches_subscribers(app: TestApp) {
        let mut events = Events::open(
            &app,
            json!({ "entities": ["ORGANIZATION"], "after": "0" }),
            None,
        )
        .await;
        let url = app.database_url().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys.txt");
        std::fs::write(&file, "course-v1:CliX+A+1\nlib:CliY:b\n").unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tenancy-gateway"))
            .args(["backfill", "--apply", "--actor", "ops"])
            .arg(&file)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(keys(&events.changes(2).await), ["CliX", "CliY"]);
    }
}
