//! `Subscription.changes`: the change log, replayed from a cursor and then live (DESIGN 9).
//!
//! A subscription reads what its caller may see after its cursor (one statement, visibility in
//! the SQL as everywhere), then waits for the change feed to move. Change ids are drawn in
//! commit order (`repo::change::begin_logging`), so resuming after an id can miss nothing and
//! repeats nothing.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::{Context, Result, Subscription};
use entity::change_log;
use futures::Stream;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::time::Instant;

use super::context::ContextExt;
use super::object::{Change, ChangeEntity};
use crate::access::Scope;
use crate::domain::page::{PageArgs, SortKey, SortKind};
use crate::error::AppError;
use crate::live::{ChangeFeed, Readers};
use crate::repo::change::{self, ChangeFilter};

/// Changes read per statement.
const BATCH: u64 = 256;
/// How long a subscription rides out a database it cannot read before it ends with an error.
const OUTAGE: Duration = Duration::from_secs(30);
/// How often a failed read of the log is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// The longest an idle subscription sleeps (a bound for tokens that never expire).
const IDLE_WAKE: Duration = Duration::from_secs(3600);

/// What ended a wait for the change feed.
enum Woken {
    Moved,
    Timer,
    Closed,
}

#[derive(Default)]
pub struct SubscriptionRoot;

/// Live changes of the tenancy graph, over graphql-ws (WebSocket) or server-sent events.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every change the caller may see, in commit order. Without `after` it starts with the next change; with `after` (a change's cursor or id) it first replays what follows it, then goes on live, with no gap and no duplicate. It ends with UNAUTHENTICATED when the token expires.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A change's cursor or id: replay the changes after it first (only new changes when absent)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only changes of these kinds of record (all when absent).")]
        entities: Option<Vec<ChangeEntity>>,
    ) -> Result<impl Stream<Item = Result<Change>> + use<>> {
        let feed = ctx.data_unchecked::<Arc<ChangeFeed>>();
        // One WebSocket carries many subscriptions: bounded (an SSE request holds one).
        let slot = match ctx.data_opt::<SubscriptionBudget>() {
            Some(budget) => Some(budget.take()?),
            None => None,
        };
        let readers = feed.readers();
        let replay = after.is_some();
        let cursor = match after {
            // The log as committed now (the feed may not have heard of the latest commit yet).
            None => {
                let db = ctx.db().clone();
                read_within(&readers, OUTAGE, move || async move {
                    change::last_id(&db).await
                })
                .await?
            }
            Some(after) => after_id(&after)?,
        };
        let mut feed = feed.subscribe();
        // Without `after` the log was just read: read it again only once the feed is past that.
        let read = replay || *feed.borrow_and_update() > cursor;
        let live = Live {
            db: ctx.db().clone(),
            scope: ctx.request().scope.clone(),
            filter: ChangeFilter {
                entities: entities
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                since: None,
            },
            cursor,
            buffer: VecDeque::new(),
            feed,
            readers,
            read,
            done: false,
            _slot: slot,
        };
        Ok(futures::stream::unfold(live, |mut live| async move {
            let item = live.next().await?;
            Some((item, live))
        }))
    }
}

/// Runs `read` on the feed's readers and waits at most `limit` for it, its turn included: an
/// error when it did not run or did not get a turn in time.
async fn read_within<T, F, Fut>(readers: &Readers, limit: Duration, read: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    match tokio::time::timeout(limit, readers.run(read)).await {
        Ok(Some(answer)) => answer,
        Ok(None) => Err(AppError::internal(anyhow::anyhow!(
            "the change log read did not run"
        ))),
        Err(_) => Err(AppError::internal(anyhow::anyhow!(
            "the change log could not be read within {} s",
            OUTAGE.as_secs()
        ))),
    }
}

/// A change's cursor (as lists give it) or its id.
fn after_id(after: &str) -> Result<i64, AppError> {
    if let Ok(id) = after.parse::<i64>() {
        return Ok(id);
    }
    match PageArgs::parse(Some(0), Some(after), SortKind::Int)?.after {
        Some(SortKey::Int(id)) => Ok(id),
        _ => Err(AppError::bad_input("after", "not a change cursor or id")),
    }
}

struct Live {
    db: DatabaseConnection,
    scope: Arc<Scope>,
    filter: ChangeFilter,
    /// The last change id this subscription is past (seen, or invisible to it).
    cursor: i64,
    buffer: VecDeque<change_log::Model>,
    feed: watch::Receiver<i64>,
    /// Where the log is read (`ChangeFeed::readers`).
    readers: Arc<Readers>,
    /// Whether the log may hold something new for this subscription: at the start of a replay (or when the feed is already past a new one's cursor), after a full batch, after the feed moved, after a failed read. An idle subscription reads nothing.
    read: bool,
    done: bool,
    /// Released when the subscription ends.
    _slot: Option<BudgetSlot>,
}

/// Subscriptions one WebSocket connection may hold at once.
pub const PER_CONNECTION: usize = 32;

/// The subscriptions of one connection.
#[derive(Clone, Default)]
pub struct SubscriptionBudget(Arc<AtomicUsize>);

pub struct BudgetSlot(Arc<AtomicUsize>);

impl SubscriptionBudget {
    fn take(&self) -> Result<BudgetSlot, AppError> {
        let held = self.0.fetch_add(1, Ordering::AcqRel);
        let slot = BudgetSlot(self.0.clone());
        if held >= PER_CONNECTION {
            return Err(AppError::TooManyRequests {
                message: format!("at most {PER_CONNECTION} subscriptions per connection"),
            });
        }
        Ok(slot)
    }
}

impl Drop for BudgetSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Live {
    async fn next(&mut self) -> Option<Result<Change>> {
        if self.done {
            return None;
        }
        // Since when a read has been wanted and not answered: an outage, or a queue for turns
        // that does not move, ends the subscription after `OUTAGE`.
        let mut wanted_since: Option<Instant> = None;
        loop {
            // Nothing more is delivered once the token has expired, buffered rows included.
            if let Some(expired) = self.expired() {
                self.done = true;
                return Some(Err(expired.into()));
            }
            if let Some(row) = self.buffer.pop_front() {
                self.cursor = row.id;
                return Some(Ok(Change(row)));
            }
            if self.read {
                let since = *wanted_since.get_or_insert_with(Instant::now);
                // Everything up to the feed's id is committed: read it before querying, so
                // that an empty answer moves the cursor past what this caller may not see.
                let known = *self.feed.borrow_and_update();
                match self
                    .read_after(OUTAGE.saturating_sub(since.elapsed()))
                    .await
                {
                    Ok(rows) if !rows.is_empty() => {
                        wanted_since = None;
                        // A full batch may have more behind it; a short one is all there is.
                        self.read = rows.len() as u64 == BATCH;
                        self.buffer.extend(rows);
                        continue;
                    }
                    Ok(_) => {
                        wanted_since = None;
                        self.cursor = self.cursor.max(known);
                        self.read = false;
                    }
                    Err(err) => {
                        if since.elapsed() >= OUTAGE {
                            self.done = true;
                            return Some(Err(err.into()));
                        }
                        tracing::warn!(error = ?err, "subscription: cannot read the change log");
                    }
                }
            }
            match self.wait().await {
                // A subscription that read the log itself may already be past the feed.
                Woken::Moved => self.read |= *self.feed.borrow() > self.cursor,
                Woken::Timer => {}
                // The feed is gone: the server is stopping.
                Woken::Closed => {
                    self.done = true;
                    return None;
                }
            }
        }
    }

    /// The changes after the cursor this caller may see (a batch), read by the feed's readers
    /// within `limit`.
    async fn read_after(&self, limit: Duration) -> Result<Vec<change_log::Model>, AppError> {
        let (db, scope, filter) = (self.db.clone(), self.scope.clone(), self.filter.clone());
        let cursor = self.cursor;
        read_within(&self.readers, limit, move || async move {
            change::after(&db, &scope, &filter, cursor, BATCH).await
        })
        .await
    }

    /// Waits for the feed to move. A failed read is retried after a second; otherwise an idle
    /// subscription wakes for nothing but its token's expiry (10,000 of them must cost nothing).
    async fn wait(&mut self) -> Woken {
        let limit = if self.read {
            RETRY
        } else {
            self.until_expiry()
        };
        match tokio::time::timeout(limit, self.feed.changed()).await {
            Ok(Ok(())) => Woken::Moved,
            Ok(Err(_)) => Woken::Closed,
            Err(_) => Woken::Timer,
        }
    }

    /// Time left until the token expires (just past it), at most `IDLE_WAKE`.
    fn until_expiry(&self) -> Duration {
        let Some(expires) = self.scope.expires else {
            return IDLE_WAKE;
        };
        let left = expires
            .saturating_mul(1000)
            .saturating_sub(chrono::Utc::now().timestamp_millis());
        Duration::from_millis(u64::try_from(left).unwrap_or(0) + 1).min(IDLE_WAKE)
    }

    fn expired(&self) -> Option<AppError> {
        let expires = self.scope.expires?;
        (chrono::Utc::now().timestamp() >= expires).then(|| AppError::Unauthenticated {
            message: "the token expired; subscribe again with a new one".into(),
        })
    }
}
