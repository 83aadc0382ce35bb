//! Writes a plan and its change log: multi-row inserts that skip rows a concurrent writer added
//! (`ON CONFLICT DO NOTHING`) and set-based updates, each `RETURNING` the ids it wrote, then
//! one `INSERT .. SELECT` per batch of those ids for the change log. Counts are the rows
//! actually changed.

use chrono::Utc;
use sea_orm::{ConnectionTrait, Value};

use super::plan::{self, Plan};
use crate::domain::backfill::{BackfillOptions, BackfillReport, Progress};
use crate::domain::names::Key;
use crate::error::{AppError, AppResult};
use crate::repo::bulk::links;
use crate::repo::bulk::log::{Change, Log, Rows};
use crate::repo::bulk::{self as sql, MAX_PARAMS, Sql, pad, padded};

/// Organizations per INSERT (two parameters each, plus three shared ones).
const ROWS: usize = MAX_PARAMS / 2;

#[derive(Debug, Default)]
pub struct Written {
    organizations_created: u64,
    organizations_reactivated: u64,
    links_created: u64,
    links_reactivated: u64,
    links_with_organizations: u64,
}

impl Written {
    pub fn fill(self, report: &mut BackfillReport) {
        report.applied = true;
        report.organizations_created = self.organizations_created;
        report.organizations_reactivated = self.organizations_reactivated;
        report.links_created = self.links_created;
        report.links_reactivated = self.links_reactivated;
        report.links_reactivated_with_organizations = self.links_with_organizations;
    }
}

/// Applies `plan`, logging every change with `actor`.
pub async fn apply<C: ConnectionTrait>(
    db: &C,
    plan: &Plan,
    opts: BackfillOptions,
    actor: Option<&str>,
    progress: &Progress,
) -> AppResult<Written> {
    let now = Utc::now();
    let active = !opts.inactive;
    let log = Log::new(now, actor);
    let mut written = Written::default();
    // Ids written, logged at the end (after the log lock: taken earlier, it could deadlock with
    // a concurrent writer holding a row this backfill waits for).
    let mut created_orgs = Vec::new();
    let (mut reactivated_orgs, mut with_orgs, mut named) = (Vec::new(), Vec::new(), Vec::new());

    let new: Vec<usize> = plan.new_groups().collect();
    for batch in new.chunks(ROWS) {
        // Values shared by all rows are selected once: each placeholder is used once.
        let mut sql = Sql::new(
            db.get_database_backend(),
            "INSERT INTO organization (short_name, short_name_key, name, active, created, modified) \
             SELECT column1, column2, column1, ",
        );
        sql.list(3).push(" FROM (VALUES ");
        sql.rows(padded(batch.len()), 2);
        // `WHERE true` lets SQLite tell ON CONFLICT from a join constraint.
        sql.push(") AS v WHERE true ON CONFLICT (short_name_key) DO NOTHING RETURNING id");
        let mut values: Vec<Value> = vec![active.into(), now.into(), now.into()];
        for &g in pad(batch) {
            values.push(plan.groups[g].spelling.as_str().into());
            values.push(plan.groups[g].key.as_str().into());
        }
        created_orgs.extend(sql::id_column(sql::query(db, &sql, values).await?)?);
    }
    written.organizations_created = created_orgs.len() as u64;
    // Ids of the new organizations (or of those a concurrent writer created first).
    let new_keys: Vec<&Key> = new.iter().map(|&g| &plan.groups[g].key).collect();
    let mut created = plan::find_orgs(db, &new_keys).await?;
    let mut org_ids = Vec::with_capacity(plan.groups.len());
    for (g, group) in plan.groups.iter().enumerate() {
        let id = match (&plan.existing[g], created.remove(group.key.as_str())) {
            (Some(org), _) => org.id,
            (None, Some(org)) => org.id,
            (None, None) => {
                return Err(AppError::internal(anyhow::anyhow!(
                    "organization {:?} missing right after its insert",
                    group.spelling.as_str()
                )));
            }
        };
        org_ids.push(id);
    }

    if active {
        reactivated_orgs =
            sql::set_active(db, "organization", "id", &plan.reactivate_orgs, true, now).await?;
        written.organizations_reactivated = reactivated_orgs.len() as u64;
        with_orgs = sql::set_active(
            db,
            "course_link",
            "organization_id",
            &plan.reactivate_orgs,
            true,
            now,
        )
        .await?;
        named = sql::set_active(
            db,
            "course_link",
            "id",
            &plan.reactivate_link_ids,
            true,
            now,
        )
        .await?;
        written.links_with_organizations = with_orgs.len() as u64;
        written.links_reactivated = (with_orgs.len() + named.len()) as u64;
    }

    let total: usize = plan.create.iter().map(Vec::len).sum();
    progress.phase("links written", total);
    // Positions are stamped under the log lock below (taken before these inserts, it could
    // deadlock as said above).
    let mut rows: Vec<(i64, &str, bool)> = Vec::with_capacity(total);
    for (keys, &id) in plan.create.iter().zip(&org_ids) {
        rows.extend(keys.iter().map(|key| (id, key.as_str(), active)));
    }
    let (created, count) = links::insert_all(db, &rows, now, false, false, progress).await?;
    written.links_created = count;
    drop(rows);
    progress.phase("writing history", 0);
    crate::repo::change::begin_logging(db).await?;
    if written.links_created > 0 {
        crate::repo::course::write::stamp_positions(db, None).await?;
    }
    let ids = Rows::Ids;
    log.organizations(db, &ids(created_orgs), Change::Created)
        .await?;
    log.organizations(db, &ids(reactivated_orgs), Change::Flipped)
        .await?;
    log.links(db, &ids(with_orgs), Change::Flipped).await?;
    log.links(db, &ids(named), Change::Flipped).await?;
    log.links(db, &created, Change::Created).await?;
    Ok(written)
}
