//! Backfill: edx-platform's `backfill_orgs_and_org_courses` (edx-organizations'
//! `bulk_add_organizations` + `bulk_add_organization_courses`) over a list of course keys.
//!
//! The operation runs in three steps, each in its own module:
//! * `parse`: lines to course keys, grouped by organization (short names that differ only in
//!   case are one group); invalid keys are collected with their line numbers.
//! * `plan`: reads what exists (bulk `IN` lookups, only for organizations that exist: a new
//!   organization cannot have links yet) and decides every row to create or reactivate. The dry
//!   run stops here, so its counts are exactly what `apply` would do.
//! * `apply`: writes the plan with multi-row inserts and set-based updates, in one transaction.
//!
//! Rules worth knowing:
//! * Blank lines and lines starting with `#` (after trimming) are skipped here, so the CLI and
//!   the GraphQL mutation behave the same; surrounding whitespace of a key is ignored.
//! * Case folding: an existing organization wins; otherwise the smallest spelling in sorted
//!   (code point) order becomes the short name, so `edX` beats `edx`. Links of every spelling go
//!   to that organization; each distinct course key is one link.
//! * Reactivating an organization reactivates its links, as `organization::set_active` does,
//!   and `links_reactivated` counts every link row that goes from inactive to active (those are
//!   also counted in `links_reactivated_with_organizations`). With `inactive`, new rows are
//!   created inactive and nothing is reactivated, as edx-organizations' `activate=False`.
//! * Apply reports the rows the statements actually changed; without concurrent writers they
//!   equal the dry run's counts.

mod apply;
mod parse;
mod plan;
mod sql;

use indicatif::ProgressBar;
use sea_orm::{
    AccessMode, DatabaseConnection, DbBackend, IsolationLevel, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::error::{AppError, AppResult};

/// How many planned links of each kind the report lists.
pub const SAMPLE_LINKS: usize = 10;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackfillOptions {
    /// Write the plan; without it nothing is written (dry run).
    pub apply: bool,
    /// Create organizations and links inactive and reactivate nothing.
    pub inactive: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidKey {
    /// 1-based, as in the input.
    pub line: usize,
    pub key: String,
    pub reason: String,
}

/// A link the plan creates or reactivates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedLink {
    pub course_key: String,
    /// The short name of the organization it goes to.
    pub organization: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackfillReport {
    /// True when the changes were written (`apply`), false for a dry run.
    pub applied: bool,
    /// Valid key lines read (duplicates included).
    pub keys_read: u64,
    pub organizations_created: u64,
    pub organizations_reactivated: u64,
    pub links_created: u64,
    /// Every link that goes from inactive to active, including links of reactivated orgs.
    pub links_reactivated: u64,
    /// The part of `links_reactivated` that comes back with its reactivated organization.
    pub links_reactivated_with_organizations: u64,
    pub invalid_keys: Vec<InvalidKey>,
    /// Short names of the organizations created (or to create), sorted.
    pub organizations_to_create: Vec<String>,
    /// Short names of the organizations reactivated (or to reactivate), sorted.
    pub organizations_to_reactivate: Vec<String>,
    /// The first `SAMPLE_LINKS` links to create, in organization then key order.
    pub sample_links_to_create: Vec<PlannedLink>,
    /// The first `SAMPLE_LINKS` links named in the input to reactivate.
    pub sample_links_to_reactivate: Vec<PlannedLink>,
}

/// Backfills organizations and course links from `keys`: (1-based line number, raw line) pairs.
///
/// A dry run (`apply: false`) plans inside a read-only transaction that is rolled back, so it
/// writes nothing; `apply` plans and writes in one transaction, all or nothing.
pub async fn run(
    db: &DatabaseConnection,
    keys: Vec<(usize, String)>,
    opts: BackfillOptions,
    progress: Option<&ProgressBar>,
) -> AppResult<BackfillReport> {
    let progress = Progress(progress.cloned());
    // Parsing is CPU work on up to millions of lines: keep it off the async workers.
    let parsed = {
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || parse::parse(keys, &progress))
            .await
            .map_err(AppError::internal)?
    };
    let txn = db
        .begin_with_options(transaction_options(db, opts.apply))
        .await?;
    let plan = plan::plan(&txn, parsed, opts, &progress).await?;
    let mut report = plan.report(opts);
    if opts.apply {
        let written = apply::apply(&txn, &plan, opts, &progress).await?;
        txn.commit().await?;
        written.fill(&mut report);
    } else {
        txn.rollback().await?;
    }
    progress.finish();
    Ok(report)
}

/// Apply takes SQLite's write lock up front (a deferred transaction that read first could not
/// upgrade once another writer committed). A PostgreSQL dry run reads one snapshot, read-only.
fn transaction_options(db: &DatabaseConnection, apply: bool) -> TransactionOptions {
    let mut options = TransactionOptions::default();
    match (db.get_database_backend(), apply) {
        (DbBackend::Sqlite, true) => {
            options.sqlite_transaction_mode = Some(SqliteTransactionMode::Immediate)
        }
        (DbBackend::Postgres, false) => {
            options.isolation_level = Some(IsolationLevel::RepeatableRead);
            options.access_mode = Some(AccessMode::ReadOnly);
        }
        _ => {}
    }
    options
}

/// An optional progress bar; each phase restarts it with its own length and message.
#[derive(Clone, Default)]
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    fn phase(&self, message: &'static str, len: usize) {
        if let Some(bar) = &self.0 {
            bar.set_message(message);
            bar.set_length(len as u64);
            bar.set_position(0);
        }
    }

    fn inc(&self, n: usize) {
        if let Some(bar) = &self.0 {
            bar.inc(n as u64);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse::parse;
    use super::sql::{pad, padded};
    use super::*;

    /// The GraphQL mutation awaits `run` in a resolver, which needs a `Send` future.
    #[allow(dead_code)]
    fn run_is_send(db: &DatabaseConnection) {
        fn send<T: Send>(_: T) {}
        send(run(db, Vec::new(), BackfillOptions::default(), None));
    }

    #[test]
    fn spellings_fold_into_the_smallest_one_and_keys_dedup() {
        let lines = [
            "course-v1:edx+A+1",
            "course-v1:edX+B+1",
            "course-v1:edx+A+1",
            "lib:MITx:x",
        ];
        let parsed = parse(
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| (i + 1, l.to_string()))
                .collect(),
            &Progress::default(),
        );
        let spellings: Vec<&str> = parsed.groups.iter().map(|g| g.spelling.as_str()).collect();
        assert_eq!(spellings, ["MITx", "edX"]);
        assert_eq!(parsed.keys[1], ["course-v1:edX+B+1", "course-v1:edx+A+1"]);
        assert_eq!(parsed.keys_read, 4);
    }

    #[test]
    fn batches_pad_to_a_power_of_two_with_their_last_item() {
        assert_eq!(padded(1), 16);
        assert_eq!(padded(17), 32);
        assert_eq!(padded(100_000), sql::MAX_PARAMS);
        let padded_items: Vec<i32> = pad(&[1, 2, 3]).copied().collect();
        assert_eq!(padded_items.len(), 16);
        assert_eq!(&padded_items[..4], &[1, 2, 3, 3]);
        assert_eq!(pad::<i32>(&[]).count(), 0);
    }
}
