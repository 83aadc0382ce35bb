//! Writes a plan: multi-row inserts that skip rows a concurrent writer added
//! (`ON CONFLICT DO NOTHING`) and set-based updates. Counts are the rows actually changed.

use chrono::Utc;
use sea_orm::{ConnectionTrait, Value};

use super::plan::{self, Plan};
use super::sql::{self, MAX_PARAMS, Sql, pad, padded};
use super::{BackfillOptions, BackfillReport, Progress};
use crate::error::{AppError, AppResult};

/// Rows per INSERT (two parameters each, plus three shared ones).
const ROWS: usize = MAX_PARAMS / 2;

#[derive(Debug, Default)]
pub(super) struct Written {
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

pub(super) async fn apply<C: ConnectionTrait>(
    db: &C,
    plan: &Plan,
    opts: BackfillOptions,
    progress: &Progress,
) -> AppResult<Written> {
    let now = Utc::now();
    let active = !opts.inactive;
    let mut written = Written::default();

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
        sql.push(") AS v WHERE true ON CONFLICT (short_name_key) DO NOTHING");
        let mut values: Vec<Value> = vec![active.into(), now.into(), now.into()];
        for &g in pad(batch) {
            values.push(plan.groups[g].spelling.as_str().into());
            values.push(plan.groups[g].key.as_str().into());
        }
        written.organizations_created += sql::execute(db, &sql, values).await?.rows_affected();
    }
    // Ids of the new organizations (or of those a concurrent writer created first).
    let new_keys: Vec<&str> = new.iter().map(|&g| plan.groups[g].key.as_str()).collect();
    let mut created = plan::find_orgs(db, &new_keys).await?;
    let mut org_ids = Vec::with_capacity(plan.groups.len());
    for (g, group) in plan.groups.iter().enumerate() {
        let id = match (&plan.existing[g], created.remove(&group.key)) {
            (Some(org), _) => org.id,
            (None, Some(org)) => org.id,
            (None, None) => {
                return Err(AppError::internal(anyhow::anyhow!(
                    "organization {:?} missing right after its insert",
                    group.spelling
                )));
            }
        };
        org_ids.push(id);
    }

    if active {
        written.organizations_reactivated =
            sql::activate(db, "organization", "id", &plan.reactivate_orgs, now).await?;
        written.links_with_organizations = sql::activate(
            db,
            "course_link",
            "organization_id",
            &plan.reactivate_orgs,
            now,
        )
        .await?;
        written.links_reactivated = written.links_with_organizations
            + sql::activate(db, "course_link", "id", &plan.reactivate_link_ids, now).await?;
    }

    let total: usize = plan.create.iter().map(Vec::len).sum();
    progress.phase("writing links", total);
    let mut batch: Vec<(i64, &str)> = Vec::with_capacity(ROWS.min(total));
    // Plain loops: an iterator of closures held across an await makes the future not `Send`.
    for (keys, &id) in plan.create.iter().zip(&org_ids) {
        for key in keys {
            batch.push((id, key.as_str()));
            if batch.len() == ROWS {
                written.links_created += insert_links(db, &batch, active, now).await?;
                progress.inc(batch.len());
                batch.clear();
            }
        }
    }
    if !batch.is_empty() {
        written.links_created += insert_links(db, &batch, active, now).await?;
        progress.inc(batch.len());
    }
    Ok(written)
}

async fn insert_links<C: ConnectionTrait>(
    db: &C,
    batch: &[(i64, &str)],
    active: bool,
    now: chrono::DateTime<Utc>,
) -> AppResult<u64> {
    let rows = padded(batch.len());
    let mut sql = Sql::new(
        db.get_database_backend(),
        "INSERT INTO course_link (organization_id, course_key, active, created, modified) \
         SELECT column1, column2, ",
    );
    sql.list(3).push(" FROM (VALUES ");
    sql.rows(rows, 2);
    sql.push(") AS v WHERE true ON CONFLICT (course_key, organization_id) DO NOTHING");
    let mut values: Vec<Value> = Vec::with_capacity(3 + 2 * rows);
    values.extend([active.into(), now.into(), now.into()]);
    for &(id, key) in pad(batch) {
        values.push(id.into());
        values.push(key.into());
    }
    Ok(sql::execute(db, &sql, values).await?.rows_affected())
}
