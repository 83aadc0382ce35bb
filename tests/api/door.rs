//! One door (docs/architecture.md): the same documents, ordinary and hostile, sent over every transport
//! (POST, GET, SSE by POST and by GET, WebSocket in both subprotocols) get the same answer: the
//! same code, or the same data as POST. Where a transport itself changes what is allowed, the
//! table says so: a GET never writes (METHOD_NOT_ALLOWED), a socket authenticated by cookies
//! alone is read-only, and a socket from a foreign origin is refused at the upgrade. The service
//! is the real binary, so the test also sees that no message kills it (the same process answers
//! at the end). On SQLite and on PostgreSQL.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tenancy_gateway::pipeline::{SocketProtocol, Transport};

use crate::support::socket::{Protocol, Refused, Socket};
use crate::support::{
    Backend, SECRET, admin, claims, fresh_database, hs256, http_client, jwt_cookies, listening_on,
    token,
};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");
const MFE: &str = "http://mfe.test";

/// A `serve` process on a fresh database with the demo data.
struct Service {
    child: Child,
    addr: String,
    _dir: Option<tempfile::TempDir>,
}

impl Service {
    async fn start(backend: Backend) -> Option<Service> {
        let (url, dir) = fresh_database(backend).await?;
        let seeded = Command::new(BIN)
            .args(["seed", "--demo"])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(seeded.status.success(), "{seeded:?}");
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", &url)
            .env("TENANCY_JWT_SECRET", SECRET)
            .env("TENANCY_JWT_LEEWAY", "0s")
            .env("TENANCY_CORS_ALLOWED_ORIGINS", MFE)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = listening_on(&mut child);
        let addr = base.trim_start_matches("http://").to_owned();
        Some(Service {
            child,
            addr,
            _dir: dir,
        })
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Who sends a document.
#[derive(Clone)]
enum Who {
    Anonymous,
    /// `Authorization: JWT ...` over HTTP, `connection_init`'s Authorization on a socket.
    Header(String),
    /// The LMS's JWT cookies; with the CSRF cookie and header when `csrf`; from `origin`.
    Cookies {
        token: String,
        csrf: bool,
        origin: Option<&'static str>,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Expect {
    Code(&'static str),
    /// The data POST answers, without errors.
    SameData,
}

struct Case {
    name: &'static str,
    query: String,
    variables: Value,
    who: Who,
    mutation: bool,
    expect: Expect,
}

/// What a transport answered.
#[derive(Debug, PartialEq)]
struct Outcome {
    code: Option<String>,
    data: Option<Value>,
}

impl Outcome {
    fn of(body: &Value) -> Outcome {
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                body["errors"][0]
                    .get("message")
                    .map(|_| "UNCODED".to_owned())
            });
        Outcome {
            code,
            data: body.get("data").filter(|d| !d.is_null()).cloned(),
        }
    }

    fn code(code: &str) -> Outcome {
        Outcome {
            code: Some(code.to_owned()),
            data: None,
        }
    }
}

fn cookie_header(who: &Who) -> Option<String> {
    let Who::Cookies { token, csrf, .. } = who else {
        return None;
    };
    let mut cookies = jwt_cookies(token);
    if *csrf {
        cookies.push_str("; csrftoken=0123456789abcdef0123456789abcdef");
    }
    Some(cookies)
}

/// The HTTP headers of `who`.
fn http_headers(who: &Who) -> Vec<(&'static str, String)> {
    let mut headers = Vec::new();
    match who {
        Who::Anonymous => {}
        Who::Header(token) => headers.push(("authorization", format!("JWT {token}"))),
        Who::Cookies { csrf, origin, .. } => {
            headers.push(("cookie", cookie_header(who).unwrap_or_default()));
            if *csrf {
                headers.push(("x-csrftoken", "0123456789abcdef0123456789abcdef".to_owned()));
            }
            if let Some(origin) = origin {
                headers.push(("origin", (*origin).to_owned()));
            }
        }
    }
    headers
}

async fn over_http(addr: &str, case: &Case, transport: Transport) -> Outcome {
    let client = http_client();
    let url = format!("http://{addr}/graphql");
    let sse = matches!(transport, Transport::Sse | Transport::SseGet);
    let mut request = match transport {
        Transport::Post | Transport::Sse => client
            .post(&url)
            .json(&json!({ "query": case.query, "variables": case.variables })),
        _ => {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("query", &case.query)
                .append_pair("variables", &case.variables.to_string())
                .finish();
            client.get(format!("{url}?{query}"))
        }
    };
    request = request.header(
        "accept",
        if sse {
            "text/event-stream"
        } else {
            "application/json"
        },
    );
    for (name, value) in http_headers(&case.who) {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let streamed = response.headers().get("content-type").is_some_and(|t| {
        t.to_str()
            .unwrap_or_default()
            .starts_with("text/event-stream")
    });
    let text = response.text().await.unwrap();
    if streamed {
        let data = text
            .split("\n\n")
            .find_map(|event| {
                event.contains("event: next").then(|| {
                    event
                        .lines()
                        .filter_map(|l| l.strip_prefix("data:"))
                        .map(str::trim)
                        .collect::<String>()
                })
            })
            .unwrap_or_else(|| panic!("no next event in {text}"));
        return Outcome::of(&serde_json::from_str(&data).unwrap());
    }
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{} over {transport:?}: {status} {text}", case.name));
    if status == 405 {
        assert_eq!(
            Outcome::of(&body).code.as_deref(),
            Some("METHOD_NOT_ALLOWED")
        );
    }
    Outcome::of(&body)
}

async fn over_socket(addr: &str, case: &Case, protocol: Protocol) -> Outcome {
    let cookie = cookie_header(&case.who);
    let mut headers = Vec::new();
    if let Some(cookie) = &cookie {
        headers.push(("cookie", cookie.as_str()));
    }
    if let Who::Cookies {
        origin: Some(origin),
        ..
    } = &case.who
    {
        headers.push(("origin", *origin));
    }
    let init = match &case.who {
        Who::Header(token) => json!({ "Authorization": format!("JWT {token}") }),
        _ => json!({}),
    };
    let mut socket = match Socket::connect(addr, protocol, &headers, init).await {
        Ok(socket) => socket,
        Err(Refused::Status(403)) => return Outcome::code("FORBIDDEN"),
        // `connection_init` with a token that does not verify.
        Err(Refused::Closed(_, reason)) if reason.contains("token") => {
            return Outcome::code("UNAUTHENTICATED");
        }
        Err(other) => panic!("{}: the socket was refused: {other:?}", case.name),
    };
    socket_answer(&mut socket, case).await
}

async fn socket_answer(socket: &mut Socket, case: &Case) -> Outcome {
    let answers = socket
        .once(&case.query, case.variables.clone())
        .await
        .unwrap_or_else(|e| panic!("{}: the socket closed: {e:?}", case.name));
    if let Some(error) = answers.error {
        let first = if error.is_array() { &error[0] } else { &error };
        return Outcome::of(&json!({ "errors": [first] }));
    }
    assert_eq!(answers.payloads.len(), 1, "{}: {answers:?}", case.name);
    Outcome::of(&answers.payloads[0])
}

/// `{ ... }` nested `depth` brackets deep inside an argument.
fn deep_brackets(depth: usize) -> String {
    format!(
        "{{ organizations(after: {}\"x\"{}) {{ totalCount }} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// Fragments that spread the next one twice, `levels` deep: 2^levels fields once expanded.
fn fragment_bomb(levels: usize) -> String {
    let mut q = String::from("{ ...F0 }");
    for i in 0..levels {
        q.push_str(&format!(
            " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
            n = i + 1
        ));
    }
    q.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
    q
}

fn cases() -> Vec<Case> {
    let admin_cookies = |csrf, origin| Who::Cookies {
        token: admin(),
        csrf,
        origin,
    };
    let expired = hs256(&claims(
        "ada",
        json!({ "administrator": true, "iat": crate::support::now() - 120, "exp": crate::support::now() - 60 }),
    ));
    let restricted = hs256(&claims(
        "reader",
        json!({ "administrator": true, "is_restricted": true }),
    ));
    let aliases: Vec<String> = (0..300)
        .map(|i| format!("a{i}: viewer {{ subject }}"))
        .collect();
    // Enough to be refused, few enough for a GET's URL.
    let reps: Vec<Value> = (0..520)
        .map(|_| json!({ "__typename": "Organization", "shortName": "MITx" }))
        .collect();
    let ensure =
        "mutation { ensureOrganization(shortName: \"DoorX\") { organization { shortName } } }";
    let case = |name, query: &str, who: Who, mutation, expect| Case {
        name,
        query: query.to_owned(),
        variables: json!({}),
        who,
        mutation,
        expect,
    };
    vec![
        case("deep brackets", &deep_brackets(3000), Who::Anonymous, false, Expect::Code("QUERY_TOO_COMPLEX")),
        case("fragment bomb", &fragment_bomb(20), Who::Anonymous, false, Expect::Code("QUERY_TOO_COMPLEX")),
        case("alias bomb", &format!("{{ {} }}", aliases.join(" ")), Who::Anonymous, false, Expect::Code("QUERY_TOO_COMPLEX")),
        case("over-cost first", "{ organizations(first: 1000) { edges { node { courses(first: 1000) { edges { node { courseKey } } } } } } }", Who::Anonymous, false, Expect::Code("QUERY_TOO_COMPLEX")),
        Case {
            name: "_entities amplification",
            query: "query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { shortName courses(first: 1000) { edges { node { courseKey } } } } } }".into(),
            variables: json!({ "r": reps }),
            who: Who::Anonymous,
            mutation: false,
            expect: Expect::Code("QUERY_TOO_COMPLEX"),
        },
        case("unparsable", "{ organizations(", Who::Anonymous, false, Expect::Code("GRAPHQL_PARSE_FAILED")),
        case("invalid", "{ organizations { nope } }", Who::Anonymous, false, Expect::Code("GRAPHQL_VALIDATION_FAILED")),
        Case {
            name: "a variable of the wrong type",
            query: "query($s: String!) { organization(shortName: $s) { name } }".into(),
            variables: json!({ "s": 5 }),
            who: Who::Anonymous,
            mutation: false,
            expect: Expect::Code("BAD_USER_INPUT"),
        },
        case("expired token", "{ viewer { subject administrator } }", Who::Header(expired.clone()), false, Expect::Code("UNAUTHENTICATED")),
        case("expired token, mutation", ensure, Who::Header(expired), true, Expect::Code("UNAUTHENTICATED")),
        case("cookie mutation without CSRF", ensure, admin_cookies(false, None), true, Expect::Code("FORBIDDEN")),
        case("cookie mutation from a foreign origin", ensure, admin_cookies(true, Some("http://evil.test")), true, Expect::Code("FORBIDDEN")),
        case("cookie query from the allowed origin", "{ viewer { subject authenticatedBy } }", admin_cookies(false, Some(MFE)), false, Expect::SameData),
        case("cookie mutation with CSRF from the allowed origin", ensure, admin_cookies(true, Some(MFE)), true, Expect::SameData),
        case("header mutation", ensure, Who::Header(admin()), true, Expect::SameData),
        case("restricted token mutation", ensure, Who::Header(restricted), true, Expect::Code("FORBIDDEN")),
        case("a query needing loaders", "{ organizations(first: 4) { totalCount edges { node { shortName partners { edges { node { shortCode } } } sites { totalCount } courses(first: 2) { edges { node { courseKey organization { shortName } } } } } } } }", Who::Anonymous, false, Expect::SameData),
        case("introspection", include_str!("../data/introspection.graphql"), Who::Anonymous, false, Expect::SameData),
        Case {
            name: "a lookup with variables",
            query: "query($s: String!) { organization(shortName: $s) { shortName name partners { totalCount } } }".into(),
            variables: json!({ "s": "mitx" }),
            who: Who::Header(token("staff", false, &["content_org:MITx"])),
            mutation: false,
            expect: Expect::SameData,
        },
    ]
}

/// What `transport` must answer to `case`.
fn expected(case: &Case, transport: Transport) -> Expect {
    let socket = matches!(transport, Transport::Socket(_));
    if let Expect::Code(code) = case.expect
        && matches!(
            code,
            "QUERY_TOO_COMPLEX"
                | "GRAPHQL_PARSE_FAILED"
                | "GRAPHQL_VALIDATION_FAILED"
                | "BAD_USER_INPUT"
        )
    {
        // Refused before the transport's own rules matter.
        return case.expect.clone();
    }
    if case.mutation && !transport.may_write() {
        return Expect::Code("METHOD_NOT_ALLOWED");
    }
    if let Who::Cookies { origin, .. } = &case.who {
        if socket && origin.is_some_and(|o| o != MFE) {
            return Expect::Code("FORBIDDEN"); // refused at the upgrade
        }
        if socket && case.mutation {
            return Expect::Code("FORBIDDEN"); // a cookie-only socket is read-only
        }
    }
    case.expect.clone()
}

async fn answer(addr: &str, case: &Case, transport: Transport) -> Outcome {
    // Every transport the pipeline knows has its client here: a new one fails to compile.
    match transport {
        Transport::Post | Transport::Get | Transport::Sse | Transport::SseGet => {
            over_http(addr, case, transport).await
        }
        Transport::Socket(SocketProtocol::TransportWs) => {
            over_socket(addr, case, Protocol::TransportWs).await
        }
        Transport::Socket(SocketProtocol::LegacyWs) => {
            over_socket(addr, case, Protocol::LegacyWs).await
        }
    }
}

async fn parity_table(backend: Backend) {
    let Some(mut service) = Service::start(backend).await else {
        return;
    };
    let addr = service.addr.clone();
    // Sockets whose token expires while they are open (the leeway is 0 here).
    let soon = crate::support::now() + 2;
    let expiring = hs256(&claims(
        "ada",
        json!({ "administrator": true, "exp": soon }),
    ));
    let mut open = Vec::new();
    for protocol in [Protocol::TransportWs, Protocol::LegacyWs] {
        let init = json!({ "Authorization": format!("JWT {expiring}") });
        open.push(Socket::connect(&addr, protocol, &[], init).await.unwrap());
    }
    let mut failures = Vec::new();
    for case in cases() {
        let mut reference = None;
        for transport in Transport::all() {
            let want = expected(&case, transport);
            let got = answer(&addr, &case, transport).await;
            let ok = match &want {
                Expect::Code(code) => got.code.as_deref() == Some(*code),
                Expect::SameData => {
                    got.code.is_none()
                        && got.data.is_some()
                        && reference.get_or_insert_with(|| got.data.clone()) == &got.data
                }
            };
            if !ok {
                failures.push(format!(
                    "{} over {transport:?}: expected {want:?}, got {got:?}",
                    case.name
                ));
            }
        }
    }
    // A batch is a POST body; a socket message that holds one is not an operation.
    let batch: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ viewer { subject } }" }))
        .collect();
    let body: Value = http_client()
        .post(format!("http://{addr}/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        Outcome::of(&body).code.as_deref(),
        Some("QUERY_TOO_COMPLEX"),
        "{body}"
    );
    for protocol in [Protocol::TransportWs, Protocol::LegacyWs] {
        let mut socket = Socket::connect(&addr, protocol, &[], json!({}))
            .await
            .unwrap();
        let kind = if protocol == Protocol::TransportWs {
            "subscribe"
        } else {
            "start"
        };
        socket
            .send(json!({ "id": "1", "type": kind, "payload": batch }))
            .await;
        match socket.receive().await {
            Err(Refused::Closed(code, _)) => {
                assert!(code >= 1002, "{protocol:?}: closed with {code}")
            }
            other => panic!("{protocol:?}: a batch on a socket was answered: {other:?}"),
        }
    }
    // The expiring sockets: after `exp`, every operation is refused, a query as a mutation.
    let wait = (soon - crate::support::now() + 1).max(0) as u64;
    tokio::time::sleep(Duration::from_secs(wait)).await;
    for (socket, protocol) in open.iter_mut().zip(["graphql-transport-ws", "graphql-ws"]) {
        for query in [
            "{ viewer { subject } }",
            "mutation { ensureOrganization(shortName: \"LateX\") { created } }",
        ] {
            let case = Case {
                name: "expired socket",
                query: query.into(),
                variables: json!({}),
                who: Who::Anonymous,
                mutation: false,
                expect: Expect::Code("UNAUTHENTICATED"),
            };
            let got = socket_answer(socket, &case).await;
            if got.code.as_deref() != Some("UNAUTHENTICATED") {
                failures.push(format!("{query} on an expired {protocol} socket: {got:?}"));
            }
        }
    }
    // Nothing of that killed or wedged the process.
    assert!(
        service.child.try_wait().unwrap().is_none(),
        "the service exited"
    );
    let health = http_client()
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        failures.is_empty(),
        "transports disagree:\n{}",
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_answers_the_table_alike_on_sqlite() {
    parity_table(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_answers_the_table_alike_on_postgres() {
    parity_table(Backend::Postgres).await;
}
