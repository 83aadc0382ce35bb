//! Prometheus metrics, one registry per running service (tests run many services in one
//! process, so nothing here is global).

use prometheus::core::Collector;
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub sql_statements: IntCounter,
    pub sql_errors: IntCounter,
    /// Statements by connection pool (`primary`, `replica0`, ...).
    pub pool_statements: IntCounterVec,
    /// Each read replica's replay lag in seconds (-1 while it does not answer).
    pub replica_lag: GaugeVec,
    /// Queries a replica failed (an error on it) and the primary answered instead, by replica.
    pub replica_fallbacks: IntCounterVec,
    /// GraphQL operations by type (`query`, `mutation`, `unknown` when unparsable) and outcome
    /// (`ok`, `error`: ran with errors, `rejected`: never ran, `timeout`).
    pub graphql_requests: IntCounterVec,
    /// Time from receiving an operation to having its answer, by operation type.
    pub graphql_duration: HistogramVec,
    /// Keys per dataloader batch, by loader (the type name of the loader or relation).
    pub loader_batch_size: HistogramVec,
    /// Write transactions run again after a serialization failure or deadlock, by reason.
    pub write_retries: IntCounterVec,
    /// Response cache lookups by result (`hit`, `miss`), and answers evicted by its bound.
    pub response_cache: IntCounterVec,
    pub response_cache_evictions: IntCounter,
    /// Documents looked up in the prepare stage's cache of parsed and validated documents, by
    /// result (`hit`, `miss`).
    pub documents: IntCounterVec,
    /// Bytes the response cache holds, read at each scrape.
    pub response_cache_bytes: IntGauge,
    /// The last change id the change feed has read (what subscriptions and the response
    /// cache know of the log).
    pub change_feed_position: IntGauge,
    /// Subscriptions open now (WebSocket and SSE), read at each scrape.
    pub live_subscriptions: IntGauge,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
}

/// Batch sizes from single lookups up to a router's `_entities` call.
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 15000.0,
];

/// Connection pool usage, read when metrics are scraped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl Metrics {
    pub fn new() -> Self {
        let r = Registrar(Registry::new());
        let metrics = Metrics {
            http_requests: r.counters(
                "tenancy_http_requests_total",
                "HTTP requests answered, by route and status",
                &["route", "status"],
            ),
            sql_statements: r.counter(
                "tenancy_sql_statements_total",
                "SQL statements executed, counted at the database connection",
            ),
            sql_errors: r.counter("tenancy_sql_errors_total", "SQL statements that failed"),
            pool_statements: r.counters(
                "tenancy_db_pool_statements_total",
                "SQL statements executed, by connection pool (primary, replica0, ...)",
                &["pool"],
            ),
            replica_lag: r.float_gauges(
                "tenancy_replica_lag_seconds",
                "Replay lag of each read replica as last measured (-1: it does not answer)",
                &["pool"],
            ),
            replica_fallbacks: r.counters(
                "tenancy_replica_fallbacks_total",
                "Queries that failed on a read replica and were run again on the primary, by replica",
                &["pool"],
            ),
            graphql_requests: r.counters(
                "tenancy_graphql_requests_total",
                "GraphQL operations answered, by operation type and outcome",
                &["operation", "outcome"],
            ),
            graphql_duration: r.histograms(
                "tenancy_graphql_request_duration_seconds",
                "Time to answer one GraphQL operation, by operation type",
                &["operation"],
                None,
            ),
            loader_batch_size: r.histograms(
                "tenancy_dataloader_batch_size",
                "Keys loaded per dataloader batch (one statement each), by loader",
                &["loader"],
                Some(BATCH_BUCKETS),
            ),
            write_retries: r.counters(
                "tenancy_write_retries_total",
                "Write transactions retried, by reason (serialization_failure or deadlock)",
                &["reason"],
            ),
            response_cache: r.counters(
                "tenancy_response_cache_lookups_total",
                "Queries looked up in the response cache, by result (hit or miss)",
                &["result"],
            ),
            response_cache_evictions: r.counter(
                "tenancy_response_cache_evictions_total",
                "Answers the response cache dropped (or never admitted) to stay within its bytes",
            ),
            documents: r.counters(
                "tenancy_document_cache_lookups_total",
                "Documents looked up in the cache of parsed and validated documents, by result (hit or miss)",
                &["result"],
            ),
            response_cache_bytes: r.gauge(
                "tenancy_response_cache_bytes",
                "Bytes of answers and keys the response cache holds",
            ),
            change_feed_position: r.gauge(
                "tenancy_change_feed_position",
                "The last change log id the change feed has read (any process's writes)",
            ),
            live_subscriptions: r.gauge(
                "tenancy_live_subscriptions",
                "Subscriptions open now, over WebSocket and server-sent events",
            ),
            pool_connections: r.gauges(
                "tenancy_db_pool_connections",
                "Open database connections, by state (idle or in_use)",
                &["state"],
            ),
            pool_max: r.gauge(
                "tenancy_db_pool_max_connections",
                "The most database connections the pool may open",
            ),
            registry: r.0,
        };
        // Both series exist from the start, so a dashboard's hit ratio is defined at once.
        for result in ["hit", "miss"] {
            metrics.response_cache.with_label_values(&[result]);
            metrics.documents.with_label_values(&[result]);
        }
        metrics
    }

    /// Records the pool's state; called at each scrape, since the pool keeps no history.
    pub fn set_pool_usage(&self, usage: PoolUsage) {
        let idle = i64::from(usage.idle.min(usage.open));
        let in_use = i64::from(usage.open) - idle;
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(in_use);
        self.pool_max.set(i64::from(usage.max));
    }

    /// Registers the series another module keeps (the follower's), as these are.
    pub fn registrar(&self) -> Registrar {
        Registrar(self.registry.clone())
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Makes each series and registers it in one step, so a field cannot be left out of the
/// registry. The definitions are static: a bad name or a duplicate is a programming error the
/// unit test below catches.
pub struct Registrar(Registry);

impl Registrar {
    pub fn add<M: Collector + Clone + 'static>(&self, made: prometheus::Result<M>) -> M {
        let metric = made.unwrap_or_else(|err| unreachable!("static metric definition: {err}"));
        if let Err(err) = self.0.register(Box::new(metric.clone())) {
            unreachable!("metric registered twice: {err}");
        }
        metric
    }

    pub fn counter(&self, name: &str, help: &str) -> IntCounter {
        self.add(IntCounter::new(name, help))
    }

    pub fn counters(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        self.add(IntCounterVec::new(Opts::new(name, help), labels))
    }

    pub fn gauge(&self, name: &str, help: &str) -> IntGauge {
        self.add(IntGauge::new(name, help))
    }

    pub fn gauges(&self, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
        self.add(IntGaugeVec::new(Opts::new(name, help), labels))
    }

    pub fn float_gauges(&self, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
        self.add(GaugeVec::new(Opts::new(name, help), labels))
    }

    pub fn histograms(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
        buckets: Option<&[f64]>,
    ) -> HistogramVec {
        let mut opts = HistogramOpts::new(name, help);
        if let Some(buckets) = buckets {
            opts = opts.buckets(buckets.to_vec());
        }
        self.add(HistogramVec::new(opts, labels))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_registered_and_rendered() {
        let metrics = Metrics::new();
        metrics
            .http_requests
            .with_label_values(&["/graphql", "200"])
            .inc();
        metrics.set_pool_usage(PoolUsage {
            open: 3,
            idle: 1,
            max: 8,
        });
        let text = metrics.render();
        for name in [
            "tenancy_http_requests_total",
            "tenancy_sql_statements_total",
            "tenancy_response_cache_lookups_total{result=\"hit\"} 0",
            "tenancy_document_cache_lookups_total{result=\"miss\"} 0",
            "tenancy_db_pool_connections{state=\"in_use\"} 2",
            "tenancy_db_pool_max_connections 8",
            "tenancy_live_subscriptions 0",
        ] {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
    }
}
