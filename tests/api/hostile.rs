//! Hostile and clumsy clients: batches that starved
//! everyone, amplification through `_entities` and `first`, connections never reaped, response
//! keys out of order, errors without codes or repeated per parent, and a burst from one client
//! refused.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::backend_tests;
use crate::support::*;

/// Where `key` first appears in `text` (response key order is checked on the raw JSON text:
/// `serde_json::Value` sorts its keys).
fn at(text: &str, key: &str) -> usize {
    text.find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no key {key} in {text}"))
}

/// Whether the server has closed `stream` (EOF or reset), waiting up to `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar before the close: keep reading to the end.
            Ok(Ok(_)) => continue,
        }
    }
}

/// `n` representations of MITx, each asking `courses(first: 1000)`.
fn hostile_entities(n: usize) -> Value {
    let reps: Vec<Value> = (0..n)
        .map(|_| json!({ "__typename": "Organization", "shortName": "MITx" }))
        .collect();
    json!({
        "query": "query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { shortName courses(first: 1000) { edges { node { courseKey } } } } } }",
        "variables": { "r": reps },
    })
}

backend_tests! {
    a_batch_of_ten_answers_at_once_while_other_clients_keep_answering with |c| c.limits.concurrent_queries = 2,
    the_hostile_entities_request_is_refused_before_the_database,
    first_and_aliases_multiply_the_cost with |c| c.limits.query_cost = 1000,
    an_answer_over_the_response_budget_is_replaced_by_a_coded_error with |c| c.limits.response_bytes = 2000,
    idle_connections_are_reaped with |c| c.limits.header_read_timeout = Duration::from_secs(1),
    connections_over_the_limit_wait_for_one_to_close with |c| {
        c.limits.connections = 2;
        c.limits.header_read_timeout = Duration::from_secs(1);
    },
    dripped_headers_are_cut with |c| c.limits.header_read_timeout = Duration::from_secs(1),
    a_dripped_body_is_cut with |c| c.limits.body_read_timeout = Duration::from_secs(1),
    response_keys_follow_the_selection_with_aliases_and_fragments,
    every_error_has_a_code,
    a_bad_nested_argument_is_reported_once,
    a_burst_of_64_from_one_client_completes with |c| c.limits.inflight_per_client = tenancy_gateway::config::Limits::DEFAULT.inflight_per_client,
    behind_a_trusted_proxy_each_forwarded_client_has_its_own_share with |c| {
        c.limits.inflight_per_client = 1;
        c.limits.queued_per_client = 0;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        // The held body must outlast the asks on a slow machine (the default cuts it at 10 s).
        c.limits.body_read_timeout = Duration::from_secs(60);
    },
    metrics_can_need_a_token with |c| c.metrics_token = Some(tenancy_gateway::config::Secret("metrics-token".into())),
    metrics_can_move_to_another_address with |c| c.metrics_listen = Some("127.0.0.1:0".into()),
}

async fn a_batch_of_ten_answers_at_once_while_other_clients_keep_answering(app: TestApp) {
    let batch: Vec<Value> = (0..10)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let batch = json!(batch);
    let started = Instant::now();
    let resp = app.post_json(&batch, None).await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(
        resp.body.as_array().map(Vec::len),
        Some(10),
        "{}",
        resp.text
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a batch of 10 took {:?}",
        started.elapsed()
    );

    // Eight clients sending batches of two list queries, and another client's single queries.
    app.seed_wide("wide", "W", 30, 2).await;
    let list = json!({ "query": "{ organizations(first: 1000) { edges { node { shortName courses { totalCount } } } } }" });
    let started = Instant::now();
    let batches = (0..8).map(|_| {
        let batch = json!([list.clone(), list.clone()]);
        let app = &app;
        async move {
            for _ in 0..3 {
                let resp = app.post_json(&batch, None).await;
                assert_eq!(resp.status, StatusCode::OK);
                assert!(
                    resp.body[1]["data"]["organizations"]["edges"].is_array(),
                    "{}",
                    resp.text
                );
            }
        }
    });
    let other = async {
        for _ in 0..10 {
            let data = app
                .data("{ organizations(first: 1) { totalCount } }", json!({}))
                .await;
            assert_eq!(data["organizations"]["totalCount"], 30);
        }
    };
    tokio::join!(futures::future::join_all(batches), other);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

async fn the_hostile_entities_request_is_refused_before_the_database(app: TestApp) {
    app.seed_demo().await;
    let (statements, resp) = app
        .statements_around(app.post_json(&hostile_entities(2000), None))
        .await;
    assert_eq!(error_code(&resp.body), "QUERY_TOO_COMPLEX", "{}", resp.text);
    assert!(resp.body.get("data").is_none());
    assert_eq!(statements, 0, "statements for a refused request");
    // A federation router's ordinary batch still passes.
    let resp = app.post_json(&hostile_entities(1), None).await;
    assert!(resp.body.get("errors").is_none(), "{}", resp.text);
}

async fn first_and_aliases_multiply_the_cost(app: TestApp) {
    // 1 + 1 + 400 * (1 + 1) = 802 fields at most.
    let page = |n: u32| format!("organizations(first: {n}) {{ edges {{ node {{ shortName }} }} }}");
    let body = app.gql(&format!("{{ {} }}", page(400)), json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let body = app.gql(&format!("{{ {} }}", page(600)), json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    let body = app
        .gql(&format!("{{ a: {p} b: {p} }}", p = page(400)), json!({}))
        .await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    // Through a variable too, and nested pages multiply: 1 + 1 + 10 * (1 + 1 + 1 + 1 + 100 * 2).
    let q = "query($n: Int) { organizations(first: $n) { edges { node { shortName courses { edges { node { courseKey } } } } } } }";
    let body = app.gql(q, json!({ "n": 10 })).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    let body = app.gql(q, json!({ "n": 1 })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

async fn an_answer_over_the_response_budget_is_replaced_by_a_coded_error(app: TestApp) {
    app.seed_wide("wide", "W", 60, 0).await;
    let body = app
        .gql(
            "{ organizations(first: 1000) { edges { node { shortName name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "RESPONSE_TOO_LARGE", "{body:#}");
    assert!(body["data"].is_null());
    let small = app
        .gql(
            "{ organizations(first: 2) { edges { node { shortName } } } }",
            json!({}),
        )
        .await;
    assert!(small.get("errors").is_none(), "{small:#}");
    // In a batch, the one operation over the budget is replaced, the others answer.
    let resp = app
        .post_json(
            &json!([
                { "query": "{ organizations(first: 1000) { edges { node { shortName name } } } }" },
                { "query": "{ organizations(first: 1) { totalCount } }" },
            ]),
            None,
        )
        .await;
    assert_eq!(error_code(&resp.body[0]), "RESPONSE_TOO_LARGE");
    assert_eq!(resp.body[1]["data"]["organizations"]["totalCount"], 60);
}

async fn idle_connections_are_reaped(app: TestApp) {
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // A keep-alive connection that asked once, then went quiet.
    let mut kept = TcpStream::connect(app.addr).await.unwrap();
    let body = json!({ "query": "{ __typename }" }).to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    kept.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0u8; 4096];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    let mut closed = 0;
    for stream in &mut idle {
        if closed_within(stream, Duration::from_secs(10)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 300, "idle connections closed");
    assert!(
        closed_within(&mut kept, Duration::from_secs(5)).await,
        "the idle keep-alive connection is closed"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    // The service still answers.
    assert_eq!(
        app.data("{ __typename }", json!({})).await["__typename"],
        "Query"
    );
}

async fn connections_over_the_limit_wait_for_one_to_close(app: TestApp) {
    let _idle: Vec<TcpStream> = vec![
        TcpStream::connect(app.addr).await.unwrap(),
        TcpStream::connect(app.addr).await.unwrap(),
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let request = || {
        app.client()
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ __typename }" }))
    };
    let waited = request().timeout(Duration::from_millis(400)).send().await;
    assert!(
        waited.is_err(),
        "a third connection is not served while two are open: {waited:?}"
    );
    // Once the idle ones are reaped, it is.
    let served = request()
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
}

async fn dripped_headers_are_cut(app: TestApp) {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut cut = false;
    for i in 0..40 {
        if stream
            .write_all(format!("X-Drip-{i}: a\r\n").as_bytes())
            .await
            .is_err()
        {
            cut = true;
            break;
        }
        if closed_within(&mut stream, Duration::from_millis(250)).await {
            cut = true;
            break;
        }
    }
    assert!(cut, "a connection dripping headers stayed open");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn a_dripped_body_is_cut(app: TestApp) {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let body = json!({ "query": "{ __typename }" }).to_string();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    for byte in body.bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if !answer.is_empty() {
            break;
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("BAD_REQUEST"), "{answer}");
    assert!(
        closed_within(&mut stream, Duration::from_secs(2)).await,
        "the connection is closed"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

async fn response_keys_follow_the_selection_with_aliases_and_fragments(app: TestApp) {
    app.seed_demo().await;
    let q = r#"{ b: partners { totalCount } a: organizations { totalCount }
                     organization(shortName: "MITx") { ...Links name ... on Organization { active } shortName } }
                   fragment Links on Organization { courses { totalCount } sites { totalCount } }"#;
    let resp = app.post_json(&json!({ "query": q }), None).await;
    assert!(resp.body.get("errors").is_none(), "{}", resp.text);
    let text = &resp.text;
    assert!(at(text, "b") < at(text, "a"), "{text}");
    let keys = ["courses", "sites", "name", "active", "shortName"];
    for pair in keys.windows(2) {
        assert!(at(text, pair[0]) < at(text, pair[1]), "{pair:?} in {text}");
    }
}

async fn every_error_has_a_code(app: TestApp) {
    let cases = [
        ("{ organizations(", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ ...A } fragment A on Query { ...A }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        // async-graphql's wording of coercion errors is pinned here: a release that rewords
        // them fails this test rather than losing the code.
        (
            r#"{ organizations(first: "ten") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
    ];
    for (query, code) in cases {
        let body = app.gql(query, json!({})).await;
        assert_eq!(error_code(&body), code, "{query}: {body:#}");
    }
    let body = app
        .gql(
            "query($n: Int) { organizations(first: $n) { totalCount } }",
            json!({ "n": "ten" }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
    for error in body["errors"].as_array().unwrap() {
        assert!(error["extensions"]["code"].is_string(), "{body:#}");
    }
}

async fn a_bad_nested_argument_is_reported_once(app: TestApp) {
    app.seed_wide("wide", "W", 47, 1).await;
    let body = app
        .gql(
            "{ organizations { edges { node { courses(first: -1) { totalCount } } } } }",
            json!({}),
        )
        .await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

async fn a_burst_of_64_from_one_client_completes(app: TestApp) {
    let token = admin();
    let calls = (0..64).map(|i| {
        let app = &app;
        let token = &token;
        async move {
            let q = format!(
                r#"mutation {{ ensureOrganization(shortName: "Burst{i}X") {{ created }} }}"#
            );
            app.gql_with(&q, json!({}), |r| r.bearer_auth(token)).await
        }
    });
    for body in futures::future::join_all(calls).await {
        assert!(body.get("errors").is_none(), "{body:#}");
        assert_eq!(body["data"]["ensureOrganization"]["created"], true);
    }
}

async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_share(app: TestApp) {
    // Client 192.0.2.1 (as the proxy says) keeps one request in flight: its body is unfinished.
    let mut held = app.hold(Some("192.0.2.1")).await;
    let ask = |client: &'static str| {
        let app = &app;
        async move {
            app.client()
                .post(app.url("/graphql"))
                .header("x-forwarded-for", client)
                .json(&json!({ "query": "{ __typename }" }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let mut refused = false;
    let mut seen = Vec::new();
    for _ in 0..100 {
        let status = ask("192.0.2.1").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
        seen.push(status.as_u16());
        // A held request the server took while an ask was in flight was itself refused.
        if held.answered() {
            held = app.hold(Some("192.0.2.1")).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        refused,
        "the same forwarded client is over its share: {seen:?}"
    );
    // Another client behind the same proxy is not.
    assert_eq!(ask("192.0.2.2").await, StatusCode::OK);
    // A forged header from the client itself does not move it: the proxy appended the truth.
    assert_eq!(
        ask("192.0.2.2, 192.0.2.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let answer = held.finish().await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

async fn metrics_can_need_a_token(app: TestApp) {
    let resp = app.client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = app
        .client()
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("tenancy_sql_statements_total")
    );
}

async fn metrics_can_move_to_another_address(app: TestApp) {
    let resp = app.client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 404, "not on the API's address");
}
