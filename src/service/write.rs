//! The write transaction of every use case, and its retries.
//!
//! PostgreSQL may abort a transaction that did nothing wrong: a serialization failure (SQLSTATE
//! 40001, under `SERIALIZABLE` or `REPEATABLE READ`, which operators may make the database's
//! default) or a deadlock victim (40P01). Both are safe to run again from the start, since the
//! aborted attempt changed nothing; so `transaction!` runs a use case's body again, after a
//! jittered exponential backoff, a bounded number of times. A client sees `WRITE_CONFLICT` only
//! when every attempt failed.

use std::ops::ControlFlow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

use super::Actor;
use crate::domain::change::NewChange;
use crate::domain::course_key::CourseKey;
use crate::error::{AppError, AppResult};
use crate::repo;

/// Attempts in all (the first and its retries). Conflicts clear in one or two retries; the
/// bound keeps a hot row from holding a request for long.
const ATTEMPTS: u32 = 8;
/// The first backoff; doubled each retry, up to `MAX_BACKOFF`, then a random part of it slept.
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_millis(200);

/// One write transaction and the changes it made, logged when it commits.
pub struct Write {
    txn: DatabaseTransaction,
    actor: Option<String>,
    changes: Vec<NewChange>,
    /// A dry run: roll back instead of committing.
    roll_back: bool,
    /// Moved after the commit (`Actor::committed`).
    committed: Option<crate::live::Generation>,
    /// When the changes are logged: set by the first `log_now`, so that every change row of
    /// the transaction carries one time.
    logged_at: Option<DateTime<Utc>>,
    /// Links inserted by `link` whose position is still to stamp: (organization, course key).
    unstamped: Vec<(i64, String)>,
}

/// Runs a block as one write transaction of `actor`, committed with its change log, and runs
/// it again on serialization failures and deadlocks:
/// `transaction!(actor, |write| { ...; Ok(value) })` is an `AppResult` of the value. An error
/// from the block rolls back. The block may run more than once, so it must not act outside the
/// transaction and must not move values it did not make (clone them).
///
/// A macro rather than a function taking an async closure: the block is awaited in place, so the
/// use case's future stays `Send` for the resolvers (a generic async-closure argument loses that
/// to higher-ranked lifetimes).
macro_rules! transaction {
    ($actor:expr, |$write:ident| $body:block) => {{
        let actor: $crate::service::Actor<'_> = $actor;
        let mut attempts = $crate::service::write::Attempts::new(actor);
        loop {
            let mut txn = match $crate::service::Write::begin(actor).await {
                Ok(txn) => txn,
                Err(err) => break Err(err),
            };
            let result = {
                let $write = &mut txn;
                $crate::service::write::typed(async { $body }).await
            };
            match attempts.settle(txn, result).await {
                ::std::ops::ControlFlow::Break(result) => break result,
                ::std::ops::ControlFlow::Continue(()) => {}
            }
        }
    }};
}
pub(crate) use transaction;

/// Fixes a block's output to `AppResult` (so `?` inside it knows its error type).
pub fn typed<T>(body: impl Future<Output = AppResult<T>>) -> impl Future<Output = AppResult<T>> {
    body
}

/// The attempts of one `transaction!`.
pub struct Attempts<'a> {
    actor: Actor<'a>,
    made: u32,
}

impl<'a> Attempts<'a> {
    pub fn new(actor: Actor<'a>) -> Self {
        Attempts { actor, made: 0 }
    }

    /// Ends an attempt: commits a successful one; then either the result to return, or (after
    /// the backoff) `Continue` to run the block again.
    pub async fn settle<T>(
        &mut self,
        write: Write,
        result: AppResult<T>,
    ) -> ControlFlow<AppResult<T>> {
        self.made += 1;
        let result = match result {
            Ok(value) if write.roll_back => Ok(value),
            Ok(value) => write.commit().await.map(|()| value),
            // Dropping the transaction rolls it back.
            Err(err) => Err(err),
        };
        let Err(err) = result else {
            return ControlFlow::Break(result);
        };
        let Some(reason) = retryable(&err) else {
            return ControlFlow::Break(Err(err));
        };
        if self.made >= ATTEMPTS {
            tracing::warn!(reason, attempts = self.made, "write conflict: giving up");
            return ControlFlow::Break(Err(AppError::WriteConflict {
                message: format!(
                    "the write conflicted with concurrent writes ({reason}) {} times; try again",
                    self.made
                ),
            }));
        }
        if let Some(counter) = self.actor.retries {
            counter.with_label_values(&[reason]).inc();
        }
        tokio::time::sleep(backoff(self.made)).await;
        ControlFlow::Continue(())
    }
}

impl Write {
    /// Starts the transaction of one attempt (`transaction!` calls it).
    pub async fn begin(actor: Actor<'_>) -> AppResult<Write> {
        let txn = crate::db::begin_write(actor.db).await?;
        repo::change::serialize_snapshot_writers(&txn).await?;
        Ok(Write {
            txn,
            actor: actor.scope.subject.clone(),
            changes: Vec::new(),
            roll_back: false,
            committed: actor.committed.cloned(),
            logged_at: None,
            unstamped: Vec::new(),
        })
    }

    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Makes this a dry run: the transaction is rolled back at the end of the body.
    pub fn roll_back(&mut self) {
        self.roll_back = true;
    }

    /// Inserts an active course link unless one exists; true if inserted. Its position (link
    /// order, DESIGN 4.1: `courseOrganization` is the first linked) is the second step of the
    /// same write, taken under the change log's lock when the changes are appended, so
    /// positions follow commit order.
    pub async fn link(&mut self, key: &CourseKey, organization_id: i64) -> AppResult<bool> {
        let inserted =
            repo::course::write::insert_if_absent(&self.txn, key, organization_id).await?;
        if inserted {
            self.unstamped
                .push((organization_id, key.as_str().to_owned()));
        }
        Ok(inserted)
    }

    /// Records a change (`None`: the write changed nothing).
    pub fn log(&mut self, change: Option<NewChange>) {
        self.changes.extend(change);
    }

    /// Replaces the last change recorded (a row changed again in the same use case).
    pub fn replace_last(&mut self, change: Option<NewChange>) {
        self.changes.pop();
        self.log(change);
    }

    /// The changes recorded so far, taken out (to be logged later, in another order).
    pub fn take_changes(&mut self) -> Vec<NewChange> {
        std::mem::take(&mut self.changes)
    }

    /// Records changes taken out by `take_changes`.
    pub fn log_all(&mut self, changes: Vec<NewChange>) {
        self.changes.extend(changes);
    }

    /// Takes the change log's lock (held to the end of the transaction) and appends the changes
    /// recorded so far now rather than at the commit: for a use case that goes on to log rows
    /// in bulk (`repo::bulk::log`) after them. Returns the time to log those at (with `actor`).
    pub async fn log_now(&mut self) -> AppResult<DateTime<Utc>> {
        let at = *self.logged_at.get_or_insert_with(Utc::now);
        repo::change::begin_logging(&self.txn).await?;
        self.append(at).await?;
        Ok(at)
    }

    /// Under the change log's lock: stamps the positions of the links `link` inserted, then
    /// appends the changes recorded so far.
    async fn append(&mut self, at: DateTime<Utc>) -> AppResult<()> {
        if !self.unstamped.is_empty() {
            let created: Vec<(i64, &str)> = self
                .unstamped
                .iter()
                .map(|(organization_id, key)| (*organization_id, key.as_str()))
                .collect();
            repo::course::write::stamp_positions(&self.txn, Some(&created)).await?;
            self.unstamped.clear();
        }
        let changes = self.take_changes();
        repo::change::append(&self.txn, self.actor.as_deref(), at, changes).await
    }

    /// Who the changes are logged as.
    pub fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// Appends the change log and commits, as one transaction.
    async fn commit(mut self) -> AppResult<()> {
        let at = self.logged_at.unwrap_or_else(Utc::now);
        if !self.changes.is_empty() || !self.unstamped.is_empty() {
            repo::change::begin_logging(&self.txn).await?;
            self.append(at).await?;
        }
        let committed = self.txn.commit().await;
        // Moved whatever the outcome: a commit that failed on the way back may have applied.
        if let Some(generation) = &self.committed {
            generation.committed();
        }
        committed?;
        Ok(())
    }
}

/// Why `err` is worth running the transaction again: the `reason` label of the retry counter.
fn retryable(err: &AppError) -> Option<&'static str> {
    match err.sqlstate()?.as_str() {
        "40001" => Some("serialization_failure"),
        "40P01" => Some("deadlock"),
        _ => None,
    }
}

/// Full jitter: a random time up to the exponential bound, so retries of transactions that
/// conflicted with one another do not meet again.
fn backoff(attempt: u32) -> Duration {
    let bound = FIRST_BACKOFF
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_BACKOFF);
    let fraction = f64::from(getrandom::u32().unwrap_or(u32::MAX / 2)) / f64::from(u32::MAX);
    bound.mul_f64(fraction.max(0.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..20 {
            let d = backoff(attempt);
            assert!(d <= MAX_BACKOFF, "{attempt}: {d:?}");
            let bound = FIRST_BACKOFF
                .saturating_mul(1 << attempt.min(16))
                .min(MAX_BACKOFF);
            assert!(d >= bound.mul_f64(0.1), "{attempt}: {d:?}");
        }
    }
}
