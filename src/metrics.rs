//! Prometheus metrics, one registry per running service (tests run many services in one
//! process, so nothing here is global).

use prometheus::{Encoder, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub sql_statements: IntCounter,
    pub sql_errors: IntCounter,
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
        for collector in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(sql_statements.clone()),
            Box::new(sql_errors.clone()),
        ] {
            // Registration only fails on duplicate names, which a fresh registry cannot have.
            let _ = registry.register(collector);
        }
        Metrics {
            registry,
            http_requests,
            sql_statements,
            sql_errors,
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
