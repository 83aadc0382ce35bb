//! Course links in bulk (a million must cost neither a million round trips nor a million JSON
//! values): one read of the existing links, multi-row inserts, one update per flag, and their
//! change rows built by the database from the rows written (`repo::bulk`, as the backfill
//! logs). Written last, under the change log's lock: the inserts stamp the links' positions,
//! and positions and change ids must follow commit order. A large import into PostgreSQL
//! builds the links' secondary indexes and foreign key again after inserting instead of
//! keeping them up to date row by row (`bulk::rebuild`): readers of links wait for its commit,
//! so a dry run, which only counts, never does.

use entity::organization;

use super::TableCounts;
use crate::domain::backfill::Progress;
use crate::domain::import::Plan;
use crate::error::AppResult;
use crate::repo::bulk::links as bulk_links;
use crate::repo::bulk::log::{Change, Log, Rows};
use crate::repo::bulk::rebuild;
use crate::service::Write;

/// Writes the plan's links of `orgs` (the organizations' rows, in plan order) and logs them
/// after the changes `write` recorded so far. A dry run only counts them: what the writes would
/// do is exactly what the comparison with the database found (a million links inserted only to
/// be rolled back took 19 s on PostgreSQL).
pub(super) async fn write_links(
    write: &mut Write,
    plan: &Plan,
    orgs: &[organization::Model],
    tables: &mut [TableCounts],
    progress: &Progress,
    apply: bool,
) -> AppResult<()> {
    progress.phase("course links", plan.links.len());
    let mut diff = Diff::read(write.txn(), plan, orgs).await?;
    let t = std::time::Instant::now();
    // Before the change log's lock: a writer of links holding that lock's queue never waits
    // for the table lock this takes.
    let deferred = if apply && rebuild::worth_it(write.txn(), "course_link", diff.new.len()).await?
    {
        match rebuild::lock(write.txn(), "course_link").await? {
            Some(locked) => {
                // Read again under the lock (before the indexes go): now exactly what is missing.
                diff = Diff::read(write.txn(), plan, orgs).await?;
                Some(locked.drop_indexes(write.txn()).await?)
            }
            None => None,
        }
    } else {
        None
    };
    let [created, updated, unchanged] = diff.counts;
    let links = &mut tables[1];
    (links.created, links.updated, links.unchanged) = (
        links.created + created,
        links.updated + updated,
        links.unchanged + unchanged,
    );
    progress.inc(plan.links.len() - diff.new.len());
    if !apply {
        progress.inc(diff.new.len());
        return Ok(());
    }
    let now = write.log_now().await?;
    let db = write.txn();
    let locked = deferred.is_some();
    let (created, _) = bulk_links::insert_all(db, &diff.new, now, true, locked, progress).await?;
    if let Some(deferred) = deferred {
        deferred.restore(db).await?;
    }
    tracing::debug!(
        phase = "links inserted",
        ms = t.elapsed().as_millis(),
        rebuilt = locked,
        "import phase"
    );
    drop(diff.new);
    let mut flipped = Vec::new();
    for (active, ids) in [false, true].into_iter().zip(&diff.flips) {
        flipped.extend(bulk_links::set_active(db, ids, active, now).await?);
    }
    flipped.sort_unstable();
    let log = Log::new(now, write.actor());
    let t = std::time::Instant::now();
    log.links(db, &created, Change::Created).await?;
    tracing::debug!(
        phase = "links logged",
        ms = t.elapsed().as_millis(),
        "import phase"
    );
    log.links(db, &Rows::Ids(flipped), Change::Flipped).await
}

/// The plan's links against those in the database.
struct Diff<'p> {
    /// Links to create: (organization id, course key, active).
    new: Vec<(i64, &'p str, bool)>,
    /// Link ids whose flag flips, by the flag they get.
    flips: [Vec<i64>; 2],
    /// Planned links created, flipped and left as they are.
    counts: [u64; 3],
}

impl<'p> Diff<'p> {
    async fn read(
        db: &impl sea_orm::ConnectionTrait,
        plan: &'p Plan,
        orgs: &[organization::Model],
    ) -> AppResult<Diff<'p>> {
        let org_ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
        let existing = bulk_links::existing(db, &org_ids).await?;
        let mut diff = Diff {
            new: Vec::new(),
            flips: [Vec::new(), Vec::new()],
            counts: [0; 3],
        };
        for (key, org, active) in &plan.links {
            let organization_id = orgs[*org].id;
            let before = existing
                .get(&organization_id)
                .and_then(|links| links.get(key.as_str()))
                .copied();
            match before {
                None => {
                    diff.new.push((organization_id, key.as_str(), *active));
                    diff.counts[0] += 1;
                }
                Some((id, was)) if was != *active => {
                    diff.flips[usize::from(*active)].push(id);
                    diff.counts[1] += 1;
                }
                Some(_) => diff.counts[2] += 1,
            }
        }
        Ok(diff)
    }
}
