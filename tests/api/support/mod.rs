//! `TestApp`: a running service on a fresh database, and a GraphQL client for it.

mod auth;
mod cluster;
mod data;
pub mod raw;
pub mod socket;
mod tokens;

pub use auth::*;
pub use cluster::PgCluster;
pub use tokens::*;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tenancy_gateway::app::Server;
use tenancy_gateway::config::Config;
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// The engine of its database.
    pub backend: Backend,
    /// A direct connection for arranging data and checking what was written.
    pub db: DatabaseConnection,
    url: String,
    client: reqwest::Client,
    _shutdown: oneshot::Sender<()>,
    _dir: Option<tempfile::TempDir>,
}

static NEXT_DB: AtomicU64 = AtomicU64::new(0);

/// The JWT secret every test service is configured with (unless a test changes it).
pub const SECRET: &str = "test-secret-of-at-least-32-bytes!";

/// A fresh, empty database URL on `backend`, or `None` when PostgreSQL is not configured.
pub async fn fresh_database(backend: Backend) -> Option<(String, Option<tempfile::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("tenancy.db").display()
            );
            Some((url, Some(dir)))
        }
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var("TENANCY_TEST_POSTGRES_URL") else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "TENANCY_TEST_POSTGRES_URL must be set in CI (scripts/test.sh sets it)"
                );
                eprintln!(
                    "skipped: TENANCY_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)"
                );
                return None;
            };
            let name = format!(
                "tg_{}_{}_{}",
                std::process::id(),
                NEXT_DB.fetch_add(1, Ordering::SeqCst),
                chrono::Utc::now().timestamp_micros()
            );
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            Some((format!("{base}/{name}"), None))
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        let (url, dir) = fresh_database(backend).await?;
        let mut app = Self::spawn_on(&url, configure).await;
        app._dir = dir;
        Some(app)
    }

    /// Starts the service on the database at `url` (configured like every test service, then
    /// by `configure`).
    pub async fn spawn_on(url: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_database(url.to_owned());
        config.jwt_secret = Some(tenancy_gateway::config::Secret(SECRET.to_owned()));
        // Every test client is 127.0.0.1: the per-client limit has its own test.
        config.limits.inflight_per_client = 10_000;
        configure(&mut config);
        let server = Server::bind(config, "127.0.0.1:0")
            .await
            .expect("start server");
        let addr = server.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        let db = sea_orm::Database::connect(url)
            .await
            .expect("test connection");
        TestApp {
            addr,
            db,
            backend: if url.starts_with("postgres") {
                Backend::Postgres
            } else {
                Backend::Sqlite
            },
            url: url.to_owned(),
            client: http_client(),
            _shutdown: tx,
            _dir: None,
        }
    }

    /// The database the service runs on.
    pub fn database_url(&self) -> &str {
        &self.url
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// POSTs a GraphQL request and returns the whole response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(query, variables, |r| r).await
    }

    /// Like `gql`, with a hook to add headers (Host, Authorization).
    pub async fn gql_with(
        &self,
        query: &str,
        variables: Value,
        edit: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Value {
        let req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        let resp = edit(req).send().await.expect("request");
        resp.json().await.expect("JSON body")
    }

    /// The `data` of a request that must succeed.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// The value of one Prometheus series, as `/metrics` shows it.
    pub async fn metric(&self, series: &str) -> f64 {
        metric_at(&self.client, &self.url(""), series)
            .await
            .unwrap_or_else(|| panic!("no series {series} in {}/metrics", self.url("")))
    }

    /// SQL statements the service ran while `f` ran, read from `/metrics` like anyone could.
    pub async fn statements_during<F: Future<Output = Value>>(&self, f: F) -> (u64, Value) {
        let before = self.metric("tenancy_sql_statements_total").await;
        let value = f.await;
        let after = self.metric("tenancy_sql_statements_total").await;
        ((after - before) as u64, value)
    }
}

/// The code in `extensions.code` of the first error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body:#}"))
}

/// Applies a test's configuration hook (gives the hook's closure its parameter type).
pub fn configure(config: &mut Config, hook: impl FnOnce(&mut Config)) {
    hook(config);
}

/// Runs each listed test once per backend: `backend_tests! { name, other with |c| c.x = y }`
/// makes `sqlite::name` and `postgres::name`, each starting a service (configured by the `with`
/// closure) and calling the module's `async fn name(app: TestApp)`, which rustfmt formats like
/// any function. The PostgreSQL runs return at once when no PostgreSQL is configured.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident $(with $cfg:expr)?),* $(,)?) => {
        mod sqlite {
            // The `with` closures name what their module imports.
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::support::TestApp::spawn_with(
                        $crate::support::Backend::Sqlite,
                        #[allow(unused_variables)]
                        |config| { $( $crate::support::configure(config, $cfg); )? },
                    ).await.unwrap();
                    super::$name(app).await
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::support::TestApp::spawn_with(
                        $crate::support::Backend::Postgres,
                        #[allow(unused_variables)]
                        |config| { $( $crate::support::configure(config, $cfg); )? },
                    ).await else { return };
                    super::$name(app).await
                }
            )*
        }
    };
}

/// The tests' HTTP client: the service's own (reqwest needs the crypto provider it installs).
pub fn http_client() -> reqwest::Client {
    tenancy_gateway::repo::import::organizations_api::client(None).expect("an HTTP client")
}

/// Runs `command` with `input` on its stdin; its output (stdout and stderr captured).
pub fn run_with_stdin(command: &mut std::process::Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// The base URL a started server prints first (`listening on http://...`): the service's
/// binary, or the Python peer, which prints the same line. Panics with what it printed instead.
pub fn listening_on(child: &mut std::process::Child) -> String {
    use std::io::{BufRead, BufReader};
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout piped"))
        .read_line(&mut line)
        .expect("read the first line");
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the server did not start: {line:?}"))
        .to_owned()
}

/// The value of one Prometheus series in the `/metrics` of the service at `base`, if shown.
pub async fn metric_at(client: &reqwest::Client, base: &str, series: &str) -> Option<f64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.trim().parse().ok())
    })
}
