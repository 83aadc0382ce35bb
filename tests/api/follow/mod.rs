//! Following a running Open edX (docs/adopting.md): an LMS database made and changed by the real
//! edx-organizations app (tests/python/orgs_peer/change.py, one process per LMS, driven over
//! its stdin) on SQLite, PostgreSQL and MariaDB, followed by `serve`.

mod changes;
mod cost;
mod late;
mod outage;
mod replicas;
mod services;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenancy_gateway::config::{Config, Secret};

use crate::import::{django_url, peer_script, python, source_database};
use crate::support::TestApp;

/// The follow interval of the tests.
pub const INTERVAL: Duration = Duration::from_millis(200);

/// An LMS database and the edx-organizations process that changes it.
pub struct Lms {
    pub url: String,
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    _guard: Option<tempfile::TempDir>,
}

impl Lms {
    /// A fresh LMS database on `engine` (`sqlite`, `postgres`, `mariadb`), migrated by the app;
    /// `None` (skipped) where the engine or the Python venv is not configured.
    pub async fn start(engine: &str) -> Option<Lms> {
        let (url, guard) = source_database(engine).await?;
        Lms::on(url, guard)
    }

    /// The app on the database at `url` (a URL the service reads).
    pub fn on(url: String, guard: Option<tempfile::TempDir>) -> Option<Lms> {
        let mut child = Command::new(python()?)
            .arg(peer_script("change.py"))
            .env("ORGS_PEER_DATABASE", django_url(&url))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start change.py");
        let input = child.stdin.take().expect("stdin");
        let mut output = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        output.read_line(&mut line).expect("change.py's first line");
        assert_eq!(line.trim(), "ready", "change.py did not start on {url}");
        Some(Lms {
            url,
            child,
            input,
            output,
            _guard: guard,
        })
    }

    /// Runs one command (see change.py); when its commit ended.
    pub fn run(&mut self, cmd: Value) -> Instant {
        let answer = tokio::task::block_in_place(|| {
            writeln!(self.input, "{cmd}").expect("write to change.py");
            self.input.flush().expect("flush");
            let mut line = String::new();
            self.output.read_line(&mut line).expect("read change.py");
            line
        });
        assert!(answer.starts_with("ok"), "{cmd}: {answer}");
        Instant::now()
    }
}

impl Drop for Lms {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Configures a service to follow `lms` every `INTERVAL`.
pub fn following(lms: &str) -> impl FnOnce(&mut Config) {
    let lms = lms.to_owned();
    move |config: &mut Config| {
        config.follow.lms_database = Some(Secret(lms));
        config.follow.lms_media_url = Some("https://lms.test/media/".into());
        config.follow.interval = INTERVAL;
    }
}

/// Polls `check` (every 20 ms) until it answers `Some`, for at most `within`; the answer and how
/// long it took.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(found) = check().await {
            return (found, start.elapsed());
        }
        assert!(
            start.elapsed() < within,
            "{what}: not seen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const ORGANIZATION: &str = r#"query($s: String!) { organization(shortName: $s, includeInactive: true) {
  shortName name active courses(first: 100, includeInactive: true) { edges { active node { courseKey } } } } }"#;

/// An organization as the graph shows it to an administrator: `(name, active, [(course, active)])`.
pub async fn organization(
    app: &TestApp,
    short_name: &str,
) -> Option<(String, bool, Vec<(String, bool)>)> {
    let data = app.admin_data(ORGANIZATION, json!({"s": short_name})).await;
    let org = data.get("organization").filter(|o| !o.is_null())?;
    let mut courses: Vec<(String, bool)> = org["courses"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["courseKey"].as_str().unwrap().to_owned(),
                e["active"].as_bool().unwrap(),
            )
        })
        .collect();
    courses.sort();
    Some((
        org["name"].as_str().unwrap().to_owned(),
        org["active"].as_bool().unwrap(),
        courses,
    ))
}

/// Every change in the log: `(actor, kind, entity, key)`, oldest first.
pub async fn changes(app: &TestApp) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .admin_data(
                r#"query($after: String) { changes(first: 1000, after: $after) {
                     edges { node { actor kind entity key } } pageInfo { hasNextPage endCursor } } }"#,
                json!({"after": after}),
            )
            .await;
        for e in data["changes"]["edges"].as_array().unwrap() {
            let n = &e["node"];
            let text = |f: &str| n[f].as_str().unwrap_or_default().to_owned();
            out.push((text("actor"), text("kind"), text("entity"), text("key")));
        }
        if data["changes"]["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = data["changes"]["pageInfo"]["endCursor"].clone();
    }
}

/// The value of a series in a service's `/metrics` (0 when absent).
pub async fn metric(client: &reqwest::Client, base: &str, series: &str) -> f64 {
    crate::support::metric_at(client, base, series)
        .await
        .unwrap_or(0.0)
}

/// `/readyz` as JSON: its status code and body.
pub async fn readyz(client: &reqwest::Client, base: &str) -> (u16, Value) {
    let r = client
        .get(format!("{base}/readyz"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("readyz");
    (r.status().as_u16(), r.json().await.expect("JSON"))
}
