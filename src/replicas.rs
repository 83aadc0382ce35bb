//! Read replicas: which database a request reads from (`TENANCY_DATABASE_REPLICA_URLS`).
//!
//! Queries read from a PostgreSQL streaming replica that answers and whose replay lag is
//! within `TENANCY_REPLICA_MAX_LAG`; mutations and subscriptions, and queries when no replica
//! qualifies, use the primary. A background task measures every replica a few times per lag
//! bound: its lag is zero once it has replayed all the primary had written at the time of the
//! measurement, else how long it has been behind (`lag`). A replica that has not replayed the
//! schema the service migrated to is not read from, and a query that fails on a replica is run
//! again on the primary (`fell_back`). A mutation's answer carries the primary's WAL position after it committed
//! (`extensions.consistency`); a query that sends it back (`X-Tenancy-Consistency`) reads from a
//! replica only once that replica has replayed that far, else from the primary.

mod lag;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::metrics::Metrics;

/// The request header that carries a consistency token back.
pub const CONSISTENCY_HEADER: &str = "x-tenancy-consistency";

pub struct Replicas {
    primary: DatabaseConnection,
    replicas: Vec<Replica>,
    max_lag: Duration,
    /// Round robin among the replicas that qualify.
    next: AtomicUsize,
}

struct Replica {
    /// `replica0`, `replica1`, ... (the pool label in `/metrics`).
    name: String,
    db: DatabaseConnection,
    /// Measures it (`db::connect_probe`).
    probe: DatabaseConnection,
    health: Mutex<Health>,
}

/// Where a query reads: the database, and which replica it is (`None`: the primary).
pub struct Route {
    pub db: DatabaseConnection,
    pub replica: Option<usize>,
}

/// A replica as last measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Health {
    pub up: bool,
    /// It has replayed the migrations the service runs on (else it is not read from).
    pub schema: bool,
    /// Replay lag in seconds (`None`: not measured, or down).
    pub lag: Option<f64>,
    /// How far it has replayed the primary's WAL.
    pub replayed: u64,
}

impl Replicas {
    /// No replicas: everything reads from the primary.
    pub fn none(primary: DatabaseConnection) -> Arc<Replicas> {
        Arc::new(Replicas {
            primary,
            replicas: Vec::new(),
            max_lag: Duration::from_secs(1),
            next: AtomicUsize::new(0),
        })
    }

    /// Connects (lazily) to the configured replicas and starts measuring them.
    pub async fn start(
        primary: DatabaseConnection,
        config: &Config,
        metrics: &Metrics,
    ) -> anyhow::Result<Arc<Replicas>> {
        let mut replicas = Vec::new();
        for (i, url) in config.database_replica_urls.iter().enumerate() {
            let url = url.trim();
            if url.is_empty() {
                continue;
            }
            anyhow::ensure!(
                url.starts_with("postgres"),
                "TENANCY_DATABASE_REPLICA_URLS takes PostgreSQL URLs"
            );
            let name = format!("replica{i}");
            let db = crate::db::connect_pool(url, metrics, &name).await?;
            let probe = crate::db::connect_probe(url).await?;
            // Not measured yet: reported as not answering until the first measurement.
            metrics
                .replica_lag
                .with_label_values(&[name.as_str()])
                .set(-1.0);
            // Shown at zero from the start, so a rise is visible.
            metrics
                .replica_fallbacks
                .with_label_values(&[name.as_str()]);
            replicas.push(Replica {
                name,
                db,
                probe,
                health: Mutex::default(),
            });
        }
        let this = Arc::new(Replicas {
            primary,
            replicas,
            max_lag: config.replica_max_lag,
            next: AtomicUsize::new(0),
        });
        if !this.replicas.is_empty() {
            tokio::spawn(probe(Arc::downgrade(&this), metrics.clone()));
        }
        Ok(this)
    }

    pub fn configured(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// The database a query reads from: a qualifying replica, else the primary. With a
    /// consistency token, a replica qualifies only once it has replayed that far.
    pub fn for_query(&self, token: Option<&str>) -> Route {
        let primary = Route {
            db: self.primary.clone(),
            replica: None,
        };
        if self.replicas.is_empty() {
            return primary;
        }
        let needed = match token {
            // A token we cannot read is served by the primary, which is never behind.
            Some(token) => match parse_token(token) {
                Some(lsn) => lsn,
                None => return primary,
            },
            None => 0,
        };
        let max_lag = self.max_lag.as_secs_f64();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.replicas.len();
        for i in 0..n {
            let index = (start + i) % n;
            let replica = &self.replicas[index];
            let health = replica.health();
            if health.usable(max_lag) && lag::replayed_through(health.replayed, needed) {
                return Route {
                    db: replica.db.clone(),
                    replica: Some(index),
                };
            }
        }
        primary
    }

    /// A query failed on replica `index` and is run again on the primary: counted, and the
    /// replica is not read from again until the next measurement finds it answering.
    pub fn fell_back(&self, index: usize, metrics: &Metrics) {
        let Some(replica) = self.replicas.get(index) else {
            return;
        };
        tracing::warn!(
            replica = replica.name,
            "a query failed on a read replica; the primary answers it"
        );
        metrics
            .replica_fallbacks
            .with_label_values(&[replica.name.as_str()])
            .inc();
        replica.health.lock().unwrap_or_else(|e| e.into_inner()).up = false;
    }

    /// The primary, for a query run again there.
    pub fn primary(&self) -> &DatabaseConnection {
        &self.primary
    }

    /// The token of everything committed on the primary so far (after a mutation).
    pub async fn consistency_token(&self) -> Option<String> {
        if self.replicas.is_empty() {
            return None;
        }
        crate::db::primary_lsn(&self.primary)
            .await
            .map(|lsn| format!("{lsn:016x}"))
    }

    /// Each replica's name and health, for `/readyz`.
    pub fn report(&self) -> Vec<(String, Health, bool)> {
        let max_lag = self.max_lag.as_secs_f64();
        self.replicas
            .iter()
            .map(|r| {
                let health = r.health();
                (r.name.clone(), health, health.usable(max_lag))
            })
            .collect()
    }

    /// The replicas' connection pools, for `/metrics`.
    pub fn pools(&self) -> impl Iterator<Item = (&str, &DatabaseConnection)> {
        self.replicas.iter().map(|r| (r.name.as_str(), &r.db))
    }
}

impl Replica {
    fn health(&self) -> Health {
        *self.health.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Health {
    /// Answering, with the schema, and within the lag bound (in seconds).
    pub fn usable(&self, max_lag: f64) -> bool {
        self.up && self.schema && self.lag.is_some_and(|lag| lag <= max_lag)
    }
}

/// The token is the LSN in hex; clients treat it as opaque.
fn parse_token(token: &str) -> Option<u64> {
    u64::from_str_radix(token.trim(), 16).ok()
}

/// Measures every replica, a few times per lag bound (between 50 and 250 ms), until the
/// service is gone. The first measurement of the primary is taken after the service migrated
/// (`Replicas::start` runs after `migrate`): it is the schema a replica must have.
async fn probe(replicas: Weak<Replicas>, metrics: Metrics) {
    let mut samples = None;
    loop {
        let Some(this) = replicas.upgrade() else {
            return;
        };
        let every = (this.max_lag / 4).clamp(Duration::from_millis(50), Duration::from_millis(250));
        let samples = samples.get_or_insert_with(|| lag::Samples::new(this.max_lag));
        // The primary's position first: a replica that has replayed it is caught up.
        if let Some(lsn) = crate::db::primary_lsn(&this.primary).await {
            samples.push(Instant::now(), lsn);
        }
        for replica in &this.replicas {
            let health = match crate::db::replica_position(&replica.probe).await {
                Some((replayed, age)) => Health {
                    up: true,
                    schema: samples.has_schema(replayed),
                    // Behind for longer than the samples reach: the age of the last transaction
                    // it replayed bounds how much it misses.
                    lag: samples
                        .lag(replayed, Instant::now())
                        .map(|d| d.as_secs_f64())
                        .or(age.map(|a| a.max(0.0))),
                    replayed,
                },
                None => Health::default(),
            };
            metrics
                .replica_lag
                .with_label_values(&[replica.name.as_str()])
                .set(health.lag.filter(|_| health.up).unwrap_or(-1.0));
            *replica.health.lock().unwrap_or_else(|e| e.into_inner()) = health;
        }
        drop(this);
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lsns_in_hex() {
        assert_eq!(
            parse_token(&format!("{:016x}", 0x16_b374_d848u64)),
            Some(0x16_b374_d848)
        );
        assert_eq!(parse_token("not a token"), None);
        assert_eq!(crate::db::parse_lsn("16/B374D848"), Some(0x16_b374_d848));
    }
}
