//! Wakes subscriptions when the change log grows, whichever process or replica wrote it:
//! PostgreSQL's LISTEN/NOTIFY (every commit that logs changes notifies), and a periodic poll of
//! the log's last id, which also covers SQLite, writes by other processes (the CLI) and a lost
//! notification (which then costs latency, never an event).
//!
//! The feed only says "the log is at id N now"; each subscription reads what it may see after
//! its own cursor (`repo::change::after`).
//!
//! It also moves a `Generation`, which the response cache keys its answers by: a change seen
//! here (another process's or replica's write) moves it, and so does a write this process
//! commits, at once (`service::Write`), so that a client reads its own writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::repo;

mod readers;
pub use readers::Readers;

pub struct ChangeFeed {
    last: watch::Sender<i64>,
    generation: Generation,
    tasks: Vec<JoinHandle<()>>,
    readers: Arc<Readers>,
}

/// Subscriptions' reads of the log that run at once (`Readers`); the rest of the pool is left
/// to queries.
const READERS: usize = 4;

/// A counter that moves whenever the data may have changed: this process committed a write,
/// the feed saw a newer change id, or the feed could not read the log (and so cannot tell).
/// An answer computed while it stayed put may be reused until it moves.
#[derive(Clone, Debug, Default)]
pub struct Generation {
    count: Arc<AtomicU64>,
    /// This process committed a write: the feed reads the log now rather than at its next poll.
    commits: Arc<tokio::sync::Notify>,
}

impl Generation {
    pub fn current(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    pub fn bump(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    /// A write of this process committed (or may have): moves the counter and wakes the feed,
    /// so that this process's subscribers hear of it at once on SQLite too.
    pub fn committed(&self) {
        self.bump();
        self.commits.notify_one();
    }

    /// Resolves after the next `committed` (at once if one came since the last call).
    async fn commit_seen(&self) {
        self.commits.notified().await;
    }
}

impl ChangeFeed {
    /// Starts watching the log of the database at `url`, on connections of its own: its polls
    /// are no request's statements (`tenancy_sql_statements_total` counts requests' work).
    /// `position` shows the last id read (`tenancy_change_feed_position`).
    pub async fn start(url: &str, position: prometheus::IntGauge) -> anyhow::Result<ChangeFeed> {
        let db = crate::db::connect(url, &crate::metrics::Metrics::new()).await?;
        let initial = repo::change::last_id(&db).await.unwrap_or(0);
        position.set(initial);
        let (last, _) = watch::channel(initial);
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        // NOTIFY wakes PostgreSQL subscribers at once; the poll is the fallback there.
        let every = if postgres {
            Duration::from_secs(1)
        } else {
            Duration::from_millis(200)
        };
        let mut tasks = Vec::new();
        let woken = if postgres {
            let (wake, woken) = tokio::sync::mpsc::channel::<()>(1);
            tasks.push(tokio::spawn(listen(url.to_owned(), wake)));
            Some(woken)
        } else {
            None
        };
        let generation = Generation::default();
        let feed = Feed {
            last: last.clone(),
            generation: generation.clone(),
            position,
        };
        tasks.push(tokio::spawn(poll(db, feed, every, woken)));
        Ok(ChangeFeed {
            last,
            generation,
            tasks,
            readers: Arc::new(Readers::new(READERS)),
        })
    }

    /// A feed that never moves (a service without subscribers to wake, in tests).
    pub fn idle() -> ChangeFeed {
        ChangeFeed {
            last: watch::channel(0).0,
            generation: Generation::default(),
            tasks: Vec::new(),
            readers: Arc::new(Readers::new(READERS)),
        }
    }

    /// A receiver of the last committed change id.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.last.subscribe()
    }

    /// Where subscriptions read the log (`READERS` reads at once).
    pub fn readers(&self) -> Arc<Readers> {
        self.readers.clone()
    }

    /// Subscriptions open now: each holds one receiver, and nothing else does.
    pub fn subscriptions(&self) -> usize {
        self.last.receiver_count()
    }

    /// The last committed change id known.
    pub fn last(&self) -> i64 {
        *self.last.borrow()
    }

    /// The counter this feed moves (and local commits move too).
    pub fn generation(&self) -> Generation {
        self.generation.clone()
    }
}

impl Drop for ChangeFeed {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// What the poller moves.
struct Feed {
    last: watch::Sender<i64>,
    generation: Generation,
    position: prometheus::IntGauge,
}

/// Reads the log's last id every `every`, or at once when woken by a notification. Without a
/// notifier (SQLite) only the timer wakes it: a closed channel would answer at once, forever.
async fn poll(
    db: DatabaseConnection,
    feed: Feed,
    every: Duration,
    mut woken: Option<tokio::sync::mpsc::Receiver<()>>,
) {
    let Feed {
        last,
        generation,
        position,
    } = feed;
    loop {
        match repo::change::last_id(&db).await {
            Ok(id) => {
                if id > *last.borrow() {
                    generation.bump();
                    position.set(id);
                }
                last.send_if_modified(|known| {
                    let newer = id > *known;
                    if newer {
                        *known = id;
                    }
                    newer
                });
            }
            Err(err) => {
                // A write may be committing meanwhile: cached answers must not outlive it.
                generation.bump();
                tracing::debug!(error = ?err, "change feed: cannot read the log");
            }
        }
        let notified = async {
            match &mut woken {
                Some(woken) => woken.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = notified => {}
            _ = generation.commit_seen() => {}
        }
    }
}

/// Forwards PostgreSQL notifications to the poller, reconnecting after a failure.
async fn listen(url: String, wake: tokio::sync::mpsc::Sender<()>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let listener = async {
            let mut listener = PgListener::connect(&url).await?;
            listener.listen(repo::change::CHANNEL).await?;
            loop {
                listener.recv().await?;
                let _ = wake.try_send(());
            }
            #[allow(unreachable_code)]
            Ok::<(), sea_orm::sqlx::Error>(())
        };
        if let Err(err) = listener.await {
            tracing::warn!(error = %err, "change feed: LISTEN failed; polling until it is back");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An idle SQLite feed reads the log once per period: in a second of 200 ms periods, a
    /// handful of statements, never a busy loop. (A slower machine can only read it less often,
    /// so the bound cannot flake.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_sqlite_feed_polls_once_per_period() -> anyhow::Result<()> {
        let metrics = crate::metrics::Metrics::new();
        let db = crate::db::connect("sqlite::memory:", &metrics).await?;
        crate::db::migrate(&db).await?;
        let before = metrics.sql_statements.get();
        let (last, _) = watch::channel(0);
        let feed = Feed {
            last,
            generation: Generation::default(),
            position: prometheus::IntGauge::new("position", "position")?,
        };
        let task = tokio::spawn(poll(db, feed, Duration::from_millis(200), None));
        tokio::time::sleep(Duration::from_secs(1)).await;
        task.abort();
        let polls = metrics.sql_statements.get() - before;
        assert!((1..=8).contains(&polls), "{polls} statements in one second");
        Ok(())
    }

    /// A commit of this process wakes the feed at once: with a poll period of an hour, the
    /// feed still hears of the change.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_local_commit_wakes_the_feed() -> anyhow::Result<()> {
        use sea_orm::ConnectionTrait;
        let metrics = crate::metrics::Metrics::new();
        let db = crate::db::connect("sqlite::memory:", &metrics).await?;
        crate::db::migrate(&db).await?;
        let (last, mut heard) = watch::channel(0);
        let generation = Generation::default();
        let feed = Feed {
            last,
            generation: generation.clone(),
            position: prometheus::IntGauge::new("position", "position")?,
        };
        let before = metrics.sql_statements.get();
        let task = tokio::spawn(poll(db.clone(), feed, Duration::from_secs(3600), None));
        // The first poll has read the empty log; the next would be an hour away.
        while metrics.sql_statements.get() == before {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        db.execute_unprepared(
            "INSERT INTO change_log (at, kind, entity, key, public) \
             VALUES ('2026-11-30T00:00:00Z', 'CREATED', 'ORGANIZATION', 'WokenX', true)",
        )
        .await?;
        generation.committed();
        let moved =
            tokio::time::timeout(Duration::from_secs(10), heard.wait_for(|id| *id > 0)).await;
        task.abort();
        assert!(moved.is_ok(), "the feed did not hear of the commit");
        Ok(())
    }
}
