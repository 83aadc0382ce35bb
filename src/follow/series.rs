//! The follower's series in `/metrics` (`tenancy_follow_*`): rounds, their duration, rows read
//! and applied, errors, leadership, the sources' statements, and the lag read when scraped.

use std::sync::Arc;
use std::time::Duration;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, IntGauge, Opts};

use super::Status;
use crate::metrics::Metrics;
use crate::service::follow::Round;

/// The follower's series in `/metrics`.
pub(super) struct Counters {
    rounds: IntCounterVec,
    duration: prometheus::HistogramVec,
    rows_read: prometheus::IntCounter,
    rows_applied: IntCounterVec,
    errors: IntCounterVec,
    pub(super) leader: IntGauge,
    pub(super) source_statements: IntCounterVec,
}

impl Counters {
    pub(super) fn register(metrics: &Metrics, status: &Arc<Status>) -> Counters {
        let r = metrics.registrar();
        let counters = Counters {
            rounds: r.counters(
                "tenancy_follow_rounds_total",
                "Follow rounds, by outcome (applied: wrote changes; idle: nothing had changed; \
                 failed: a source or the writes failed)",
                &["outcome"],
            ),
            duration: r.histograms(
                "tenancy_follow_round_duration_seconds",
                "Time a follow round took (reading the sources and writing), by outcome",
                &["outcome"],
                Some(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    30.0, 60.0,
                ]),
            ),
            rows_read: r.counter(
                "tenancy_follow_rows_read_total",
                "Rows the follower read from its sources because they changed",
            ),
            rows_applied: r.counters(
                "tenancy_follow_rows_applied_total",
                "Rows the follower created or changed here, by table",
                &["table"],
            ),
            errors: r.counters(
                "tenancy_follow_errors_total",
                "Follow rounds that failed, by what failed (a source's name, or target)",
                &["source"],
            ),
            leader: r.gauge(
                "tenancy_follow_leader",
                "1 while this process follows, 0 while another replica does",
            ),
            source_statements: r.counters(
                "tenancy_follow_source_statements_total",
                "Statements the follower ran on each source database",
                &["source"],
            ),
        };
        r.add(Lag::new(status.clone()));
        for outcome in ["applied", "idle", "failed"] {
            counters.rounds.with_label_values(&[outcome]);
        }
        counters
    }

    /// Counts a round that took `took`; whether it went well.
    pub(super) fn count(&self, outcome: &crate::error::AppResult<Round>, took: Duration) -> bool {
        match outcome {
            Ok(round) => {
                self.rows_read.inc_by(round.rows_read);
                for (kind, _) in &round.failed {
                    self.errors.with_label_values(&[kind.name()]).inc();
                }
                if let Some(report) = &round.applied {
                    for t in &report.tables {
                        self.rows_applied
                            .with_label_values(&[t.table])
                            .inc_by(t.created + t.updated);
                    }
                }
                let outcome = match (round.failed.is_empty(), &round.applied) {
                    (false, _) => "failed",
                    (true, Some(_)) => "applied",
                    (true, None) => "idle",
                };
                self.rounds.with_label_values(&[outcome]).inc();
                self.duration
                    .with_label_values(&[outcome])
                    .observe(took.as_secs_f64());
                round.failed.is_empty()
            }
            Err(err) => {
                tracing::warn!(error = %err.for_operator(), "follow: the round could not be written");
                self.errors.with_label_values(&["target"]).inc();
                self.rounds.with_label_values(&["failed"]).inc();
                self.duration
                    .with_label_values(&["failed"])
                    .observe(took.as_secs_f64());
                false
            }
        }
    }
}

/// `tenancy_follow_lag_seconds`, computed when scraped.
#[derive(Clone)]
struct Lag {
    status: Arc<Status>,
    desc: Desc,
}

impl Lag {
    fn new(status: Arc<Status>) -> prometheus::Result<Lag> {
        let desc = Desc::new(
            "tenancy_follow_lag_seconds".to_owned(),
            "Seconds since the graph was last known in step with every followed source (the \
             start of the last round that read them all)"
                .to_owned(),
            Vec::new(),
            std::collections::HashMap::new(),
        )?;
        Ok(Lag { status, desc })
    }
}

impl Collector for Lag {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let gauge = prometheus::Gauge::with_opts(Opts::new(
            self.desc.fq_name.clone(),
            self.desc.help.clone(),
        ))
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        gauge.set(self.status.lag());
        gauge.collect()
    }
}
