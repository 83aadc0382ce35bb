//! Prometheus metrics, one registry per running service (tests run many services in one
//! process, so nothing here is global).

use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
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
    pub replica_lag: prometheus::GaugeVec,
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
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "tenancy_http_requests_total",
                "HTTP requests answered, by route and status",
            ),
            &["route", "status"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let sql_statements = IntCounter::new(
            "tenancy_sql_statements_total",
            "SQL statements executed, counted at the database connection",
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let sql_errors = IntCounter::new("tenancy_sql_errors_total", "SQL statements that failed")
            .unwrap_or_else(|_| unreachable!("static metric definition"));
        let pool_statements = IntCounterVec::new(
            Opts::new(
                "tenancy_db_pool_statements_total",
                "SQL statements executed, by connection pool (primary, replica0, ...)",
            ),
            &["pool"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let replica_lag = prometheus::GaugeVec::new(
            Opts::new(
                "tenancy_replica_lag_seconds",
                "Replay lag of each read replica as last measured (-1: it does not answer)",
            ),
            &["pool"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let graphql_requests = IntCounterVec::new(
            Opts::new(
                "tenancy_graphql_requests_total",
                "GraphQL operations answered, by operation type and outcome",
            ),
            &["operation", "outcome"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let graphql_duration = HistogramVec::new(
            HistogramOpts::new(
                "tenancy_graphql_request_duration_seconds",
                "Time to answer one GraphQL operation, by operation type",
            ),
            &["operation"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let loader_batch_size = HistogramVec::new(
            HistogramOpts::new(
                "tenancy_dataloader_batch_size",
                "Keys loaded per dataloader batch (one statement each), by loader",
            )
            .buckets(BATCH_BUCKETS.to_vec()),
            &["loader"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let replica_fallbacks = IntCounterVec::new(
            Opts::new(
                "tenancy_replica_fallbacks_total",
                "Queries that failed on a read replica and were run again on the primary, by replica",
            ),
            &["pool"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let write_retries = IntCounterVec::new(
            Opts::new(
                "tenancy_write_retries_total",
                "Write transactions retried, by reason (serialization_failure or deadlock)",
            ),
            &["reason"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let response_cache = IntCounterVec::new(
            Opts::new(
                "tenancy_response_cache_lookups_total",
                "Queries looked up in the response cache, by result (hit or miss)",
            ),
            &["result"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        // Both series exist from the start, so a dashboard's hit ratio is defined at once.
        for result in ["hit", "miss"] {
            response_cache.with_label_values(&[result]);
        }
        let documents = IntCounterVec::new(
            Opts::new(
                "tenancy_document_cache_lookups_total",
                "Documents looked up in the cache of parsed and validated documents, by result (hit or miss)",
            ),
            &["result"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        for result in ["hit", "miss"] {
            documents.with_label_values(&[result]);
        }
        let response_cache_evictions = IntCounter::new(
            "tenancy_response_cache_evictions_total",
            "Answers the response cache dropped (or never admitted) to stay within its bytes",
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let response_cache_bytes = IntGauge::new(
            "tenancy_response_cache_bytes",
            "Bytes of answers and keys the response cache holds",
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let change_feed_position = IntGauge::new(
            "tenancy_change_feed_position",
            "The last change log id the change feed has read (any process's writes)",
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let live_subscriptions = IntGauge::new(
            "tenancy_live_subscriptions",
            "Subscriptions open now, over WebSocket and server-sent events",
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "tenancy_db_pool_connections",
                "Open database connections, by state (idle or in_use)",
            ),
            &["state"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let pool_max = IntGauge::new(
            "tenancy_db_pool_max_connections",
            "The most database connections the pool may open",
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let collectors: [Box<dyn Collector>; 18] = [
            Box::new(http_requests.clone()),
            Box::new(sql_statements.clone()),
            Box::new(sql_errors.clone()),
            Box::new(pool_statements.clone()),
            Box::new(replica_lag.clone()),
            Box::new(replica_fallbacks.clone()),
            Box::new(graphql_requests.clone()),
            Box::new(graphql_duration.clone()),
            Box::new(loader_batch_size.clone()),
            Box::new(write_retries.clone()),
            Box::new(response_cache.clone()),
            Box::new(response_cache_evictions.clone()),
            Box::new(documents.clone()),
            Box::new(response_cache_bytes.clone()),
            Box::new(change_feed_position.clone()),
            Box::new(live_subscriptions.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_max.clone()),
        ];
        for collector in collectors {
            // Registration only fails on duplicate names, which a fresh registry cannot have.
            let _ = registry.register(collector);
        }
        Metrics {
            registry,
            http_requests,
            sql_statements,
            sql_errors,
            pool_statements,
            replica_lag,
            replica_fallbacks,
            graphql_requests,
            graphql_duration,
            loader_batch_size,
            write_retries,
            response_cache,
            response_cache_evictions,
            documents,
            response_cache_bytes,
            change_feed_position,
            live_subscriptions,
            pool_connections,
            pool_max,
        }
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

    /// Adds series kept by another module (the follower's). Registering a name twice is a
    /// programming error, logged and ignored.
    pub fn register(&self, collector: Box<dyn Collector>) {
        if let Err(err) = self.registry.register(collector) {
            tracing::error!(error = %err, "a metric could not be registered");
        }
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
