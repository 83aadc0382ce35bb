//! The follower (docs/adopting.md): a task of `serve` (or of `import --apply --follow`) that runs a
//! round (`service::follow`) every interval, and after a failure waits longer each time
//! (`domain::follow::backoff`) while the service keeps answering.
//!
//! On PostgreSQL one replica follows at a time: the one holding the follower lock
//! (`repo::follow::Leader`); the others ask for it every interval, so when the follower dies
//! another takes over within one interval (plus its round). On SQLite the serving process
//! follows. The marks' swap (`repo::follow::swap`) keeps even two followers from applying a
//! change twice.
//!
//! Its state is reported in `/readyz` (a follower that cannot read a source makes the service
//! degraded, not unready: queries still answer) and in `/metrics` (`tenancy_follow_*`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus::IntCounterVec;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::access::Scope;
use crate::domain::follow::backoff;
use crate::live::Generation;
use crate::metrics::Metrics;
use crate::repo::follow::Leader;
use crate::service::follow::{Follower, Kind, Round, Settings};

mod series;
use series::Counters;

/// The follower of a running service: its state, and its task (stopped when dropped).
pub struct Following {
    pub status: Arc<Status>,
    task: JoinHandle<()>,
}

impl Drop for Following {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Who runs the rounds, and how.
pub struct Options {
    pub settings: Settings,
    pub interval: Duration,
    /// Written in the change log (`follow`, or `follow (NAME)`).
    pub scope: Scope,
    pub autocreate: bool,
    /// Moved after each round that wrote (`None` at the command line).
    pub committed: Option<Generation>,
    pub retries: Option<IntCounterVec>,
}

/// Starts following in the background, on `db` (at `url`), counting in `metrics`.
pub fn start(db: DatabaseConnection, url: &str, options: Options, metrics: &Metrics) -> Following {
    let status = Arc::new(Status::new(&options.settings));
    let counters = Counters::register(metrics, &status);
    let leader = url.starts_with("postgres").then(|| Leader::new(url));
    let task = tokio::spawn(run(db, leader, options, status.clone(), counters));
    Following { status, task }
}

/// Follows until `stop` resolves (`import --apply --follow`).
pub async fn run_until(
    db: DatabaseConnection,
    url: &str,
    options: Options,
    stop: impl Future<Output = ()>,
) {
    let following = start(db, url, options, &Metrics::new());
    stop.await;
    drop(following);
}

async fn run(
    db: DatabaseConnection,
    mut leader: Option<Leader>,
    options: Options,
    status: Arc<Status>,
    counters: Counters,
) {
    let mut follower = Follower::new(&options.settings, &counters.source_statements);
    let mut failures = 0u32;
    loop {
        if let Some(leader) = &mut leader
            && !leader.hold().await
        {
            status.set_role(Role::Standby);
            counters.leader.set(0);
            tokio::time::sleep(options.interval).await;
            continue;
        }
        counters.leader.set(1);
        let actor = crate::access::actor(
            &options.scope,
            &db,
            options.autocreate,
            options.retries.as_ref(),
            options.committed.as_ref(),
        );
        let started = Instant::now();
        let outcome = follower.round(actor).await;
        let ok = counters.count(&outcome, started.elapsed());
        status.after(&follower.kinds(), &outcome, started);
        if let Ok(round) = &outcome
            && let Some(report) = &round.applied
        {
            let written: u64 = report.tables.iter().map(|t| t.created + t.updated).sum();
            tracing::info!(
                rows_read = round.rows_read,
                written,
                ms = started.elapsed().as_millis(),
                "follow: round applied"
            );
        }
        failures = if ok { 0 } else { failures.saturating_add(1) };
        let wait = if ok {
            options.interval
        } else {
            backoff(options.interval, failures)
        };
        status.set_retry(if ok { None } else { Some(wait) });
        tokio::time::sleep(wait).await;
    }
}

/// What the follower is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// No round has finished yet (the first imports every source).
    Starting,
    Following,
    /// Another replica holds the follower lock.
    Standby,
}

/// A source's state.
#[derive(Clone, Debug, Default)]
struct SourceState {
    /// Since when it has failed, and why (logged in full; reported as a kind of failure).
    failing: Option<(Instant, String)>,
}

#[derive(Debug)]
struct Inner {
    role: Role,
    sources: BTreeMap<&'static str, SourceState>,
    /// Our own database failed the last round (the writes, or the marks).
    writing: Option<(Instant, String)>,
    /// When the last round that read every source began: the graph is in step with them as
    /// of then.
    in_step: Option<Instant>,
    started: Instant,
    retry_in: Option<Duration>,
}

/// The follower's state, for `/readyz` and `/metrics`.
#[derive(Debug)]
pub struct Status(Mutex<Inner>);

impl Status {
    fn new(settings: &Settings) -> Self {
        let mut sources = BTreeMap::new();
        for (kind, url) in [
            (Kind::Lms, &settings.lms),
            (Kind::Discovery, &settings.discovery),
            (Kind::Ecommerce, &settings.ecommerce),
        ] {
            if url.is_some() {
                sources.insert(kind.name(), SourceState::default());
            }
        }
        Status(Mutex::new(Inner {
            role: Role::Starting,
            sources,
            writing: None,
            in_step: None,
            started: Instant::now(),
            retry_in: None,
        }))
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_role(&self, role: Role) {
        self.inner().role = role;
    }

    fn set_retry(&self, wait: Option<Duration>) {
        self.inner().retry_in = wait;
    }

    fn after(&self, kinds: &[Kind], outcome: &crate::error::AppResult<Round>, started: Instant) {
        let mut inner = self.inner();
        inner.role = Role::Following;
        match outcome {
            Ok(round) => {
                inner.writing = None;
                for kind in kinds {
                    let failed = round.failed.iter().find(|(k, _)| k == kind);
                    if let Some(state) = inner.sources.get_mut(kind.name()) {
                        state.failing = match (failed, state.failing.take()) {
                            (None, _) => None,
                            (Some(_), Some(since)) => Some(since),
                            (Some((_, err)), None) => Some((started, kind_of(err))),
                        };
                    }
                }
                if round.failed.is_empty() && !round.superseded {
                    inner.in_step = Some(started);
                }
            }
            Err(err) => {
                let since = inner.writing.take().map_or(started, |(since, _)| since);
                inner.writing = Some((since, kind_of(err)));
            }
        }
    }

    /// Seconds since the graph was last known in step with every source (since the start
    /// while no round has been).
    pub fn lag(&self) -> f64 {
        let inner = self.inner();
        inner
            .in_step
            .unwrap_or(inner.started)
            .elapsed()
            .as_secs_f64()
    }

    /// Whether the follower is failing to read a source or to write.
    pub fn degraded(&self) -> bool {
        let inner = self.inner();
        inner.writing.is_some() || inner.sources.values().any(|s| s.failing.is_some())
    }

    /// The follower in `/readyz`'s JSON: `state` is `starting`, `following`, `standby` or
    /// `degraded`; a failing source names what failed (never a URL or a message of its
    /// database) and for how long.
    pub fn json(&self) -> Value {
        let lag = self.lag();
        let degraded = self.degraded();
        let inner = self.inner();
        let state = match (inner.role, degraded) {
            (Role::Standby, _) => "standby",
            (_, true) => "degraded",
            (Role::Starting, false) => "starting",
            (Role::Following, false) => "following",
        };
        let failing = |f: &Option<(Instant, String)>| match f {
            None => json!({"state": "ok"}),
            Some((since, what)) => json!({
                "state": "failing",
                "failure": what,
                "failingForSeconds": round3(since.elapsed().as_secs_f64()),
            }),
        };
        let sources: serde_json::Map<String, Value> = inner
            .sources
            .iter()
            .map(|(name, s)| ((*name).to_owned(), failing(&s.failing)))
            .collect();
        let mut out = json!({
            "state": state,
            "sources": sources,
            "target": failing(&inner.writing),
        });
        if inner.role != Role::Standby {
            out["lagSeconds"] = json!(round3(lag));
        }
        if let Some(wait) = inner.retry_in.filter(|_| degraded) {
            out["retryInSeconds"] = json!(round3(wait.as_secs_f64()));
        }
        out
    }

    /// One line of `/readyz`'s text: `follower: following (lag 1.2s)`, or what fails.
    pub fn line(&self) -> String {
        let report = self.json();
        let mut line = format!("follower: {}", report["state"].as_str().unwrap_or("?"));
        if let Some(lag) = report["lagSeconds"].as_f64() {
            line.push_str(&format!(", lag {lag:.1}s"));
        }
        let mut failing: Vec<String> = Vec::new();
        if let Some(sources) = report["sources"].as_object() {
            for (name, s) in sources {
                if s["state"] == "failing" {
                    failing.push(format!("{name}: {}", s["failure"].as_str().unwrap_or("?")));
                }
            }
        }
        if report["target"]["state"] == "failing" {
            failing.push("writing the rounds failed".to_owned());
        }
        if !failing.is_empty() {
            line.push_str(&format!(" ({}; retrying)", failing.join(", ")));
        }
        line
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// What kind of failure an error is, fit for a public page: the detail is in the log. Drivers
/// word a lost connection in either case ("Connection refused", "connection closed", "Broken
/// pipe"), so both spellings are looked for.
fn kind_of(err: &crate::error::AppError) -> String {
    const LOST: [&str; 8] = [
        "cannot open",
        "onnect",
        "pool timed out",
        "Broken pipe",
        "broken pipe",
        "reset",
        "Closed",
        "closed",
    ];
    let detail = err.for_operator();
    let what = if LOST.iter().any(|l| detail.contains(l)) {
        "cannot connect"
    } else if detail.contains("reading the source") {
        "a read failed"
    } else {
        "an error"
    };
    what.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_source_makes_the_follower_degraded_and_says_only_what_failed() {
        let settings = Settings {
            lms: Some("mysql://u:secret@db/lms".into()),
            ..Settings::default()
        };
        let status = Status::new(&settings);
        assert_eq!(status.json()["state"], "starting");
        let err = crate::error::AppError::internal(anyhow::anyhow!(
            "cannot open a source database: connection refused (mysql://u:secret@db/lms)"
        ));
        let round = Round {
            failed: vec![(Kind::Lms, err)],
            ..Round::default()
        };
        status.after(&[Kind::Lms], &Ok(round), Instant::now());
        status.set_retry(Some(Duration::from_millis(400)));
        let report = status.json();
        assert_eq!(report["state"], "degraded");
        assert_eq!(report["sources"]["lms"]["failure"], "cannot connect");
        assert_eq!(report["retryInSeconds"], 0.4);
        assert!(!report.to_string().contains("secret"), "{report}");
        assert!(
            status.line().starts_with("follower: degraded"),
            "{}",
            status.line()
        );
        status.after(&[Kind::Lms], &Ok(Round::default()), Instant::now());
        assert_eq!(status.json()["state"], "following");
        assert!(status.lag() < 1.0);
        assert!(status.json().get("retryInSeconds").is_none());
    }
}
