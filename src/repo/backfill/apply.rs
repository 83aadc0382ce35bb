//! Writes a plan and its change log: multi-row inserts that skip rows a concurrent writer added
//! (`ON CONFLICT DO NOTHING`) and set-based updates, each `RETURNING` the ids it wrote, then
//! one `INSERT .. SELECT` per batch of those ids for the change log. Counts are the rows
//! actually changed.

use chrono::Utc;
use sea_orm::{ConnectionTrait, Value};

use super::plan::{self, Plan};
use super::sql::{self, MAX_PARAMS, Sql, pad, padded};
use crate::domain::backfill::{BackfillOptions, BackfillReport, Progress};
use crate::error::{AppError, AppResult};

/// Rows per INSERT (two parameters each, plus three shared ones).
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
    let log = Log { now, actor };
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
        reactivated_orgs =
            sql::activate(db, "organization", "id", &plan.reactivate_orgs, now).await?;
        written.organizations_reactivated = reactivated_orgs.len() as u64;
        with_orgs = sql::activate(
            db,
            "course_link",
            "organization_id",
            &plan.reactivate_orgs,
            now,
        )
        .await?;
        named = sql::activate(db, "course_link", "id", &plan.reactivate_link_ids, now).await?;
        written.links_with_organizations = with_orgs.len() as u64;
        written.links_reactivated = (with_orgs.len() + named.len()) as u64;
    }

    let total: usize = plan.create.iter().map(Vec::len).sum();
    progress.phase("links written", total);
    // SQLite: this transaction is the only writer (it took the lock at BEGIN), so the links it
    // creates are exactly those past the largest id now, and need not travel back. PostgreSQL
    // has concurrent writers: each insert returns the ids it wrote.
    let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let mut created_links = Vec::new();
    let created = if sqlite {
        Created::After(sql::max_id(db, "course_link").await?)
    } else {
        created_links.reserve(total);
        Created::Ids(Vec::new())
    };
    let mut batch: Vec<(i64, &str)> = Vec::with_capacity(ROWS.min(total));
    // Plain loops: an iterator of closures held across an await makes the future not `Send`.
    for (keys, &id) in plan.create.iter().zip(&org_ids) {
        for key in keys {
            batch.push((id, key.as_str()));
            if batch.len() == ROWS {
                let ids = (!sqlite).then_some(&mut created_links);
                written.links_created += insert_links(db, &batch, active, now, ids).await?;
                progress.inc(batch.len());
                batch.clear();
            }
        }
    }
    if !batch.is_empty() {
        let ids = (!sqlite).then_some(&mut created_links);
        written.links_created += insert_links(db, &batch, active, now, ids).await?;
        progress.inc(batch.len());
    }
    let created = match created {
        Created::Ids(_) => Created::Ids(created_links),
        after => after,
    };
    progress.phase("writing history", 0);
    crate::repo::change::begin_logging(db).await?;
    if written.links_created > 0 {
        crate::repo::course::write::stamp_positions(db, None).await?;
    }
    let ids = Created::Ids;
    log.organizations(db, &ids(created_orgs), Change::Created { active })
        .await?;
    log.organizations(db, &ids(reactivated_orgs), Change::Reactivated)
        .await?;
    log.links(db, &ids(with_orgs), Change::Reactivated).await?;
    log.links(db, &ids(named), Change::Reactivated).await?;
    log.links(db, &created, Change::Created { active }).await?;
    Ok(written)
}

/// Inserts links; the ids of those inserted when `ids` collects them, else only their count.
async fn insert_links<C: ConnectionTrait>(
    db: &C,
    batch: &[(i64, &str)],
    active: bool,
    now: chrono::DateTime<Utc>,
    ids: Option<&mut Vec<i64>>,
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
    if ids.is_some() {
        sql.push(" RETURNING id");
    }
    let mut values: Vec<Value> = Vec::with_capacity(3 + 2 * rows);
    values.extend([active.into(), now.into(), now.into()]);
    for &(id, key) in pad(batch) {
        values.push(id.into());
        values.push(key.into());
    }
    match ids {
        Some(ids) => {
            let new = sql::id_column(sql::query(db, &sql, values).await?)?;
            ids.extend_from_slice(&new);
            Ok(new.len() as u64)
        }
        None => Ok(sql::execute(db, &sql, values).await?.rows_affected()),
    }
}

/// Which rows a statement wrote.
enum Created {
    Ids(Vec<i64>),
    /// Every row with a larger id (SQLite, where the transaction is the only writer).
    After(i64),
}

#[derive(Clone, Copy)]
enum Change {
    Created { active: bool },
    Reactivated,
}

/// Change log rows for rows just written, built by the database from those rows. The records
/// have the shapes of `domain::change` (`organization_json`, `course_link_json`).
struct Log<'a> {
    now: chrono::DateTime<Utc>,
    actor: Option<&'a str>,
}

impl Log<'_> {
    async fn organizations<C: ConnectionTrait>(
        &self,
        db: &C,
        rows: &Created,
        change: Change,
    ) -> AppResult<()> {
        let backend = db.get_database_backend();
        let record = |active: bool| {
            sql::json_object(
                backend,
                &[
                    ("shortName", "o.short_name"),
                    ("name", "o.name"),
                    ("description", "o.description"),
                    ("logoUrl", "o.logo_url"),
                    ("active", sql::bool_json(backend, active)),
                ],
            )
        };
        let select = format!(
            "'ORGANIZATION', o.short_name, {}, {}, o.active, o.id FROM organization o",
            self.before(change, record),
            record(self.after(change)),
        );
        self.insert(db, &select, "o.id", rows, change).await
    }

    async fn links<C: ConnectionTrait>(
        &self,
        db: &C,
        rows: &Created,
        change: Change,
    ) -> AppResult<()> {
        let backend = db.get_database_backend();
        let record = |active: bool| {
            sql::json_object(
                backend,
                &[
                    ("courseKey", "cl.course_key"),
                    ("organization", "o.short_name"),
                    ("active", sql::bool_json(backend, active)),
                ],
            )
        };
        let select = format!(
            "'COURSE_LINK', cl.course_key || '/' || o.short_name, {}, {}, \
             (o.active AND cl.active), o.id \
             FROM course_link cl JOIN organization o ON o.id = cl.organization_id",
            self.before(change, record),
            record(self.after(change)),
        );
        self.insert(db, &select, "cl.id", rows, change).await
    }

    fn before(&self, change: Change, record: impl Fn(bool) -> String) -> String {
        match change {
            Change::Created { .. } => "NULL".to_owned(),
            Change::Reactivated => record(false),
        }
    }

    fn after(&self, change: Change) -> bool {
        match change {
            Change::Created { active } => active,
            Change::Reactivated => true,
        }
    }

    /// `INSERT INTO change_log .. SELECT <at, actor, kind>, <select> WHERE <id_col> ..` for the
    /// rows written, in id order.
    async fn insert<C: ConnectionTrait>(
        &self,
        db: &C,
        select: &str,
        id_col: &str,
        rows: &Created,
        change: Change,
    ) -> AppResult<()> {
        let kind = match change {
            Change::Created { .. } => "CREATED",
            Change::Reactivated => "REACTIVATED",
        };
        let head = |sql: &mut Sql| {
            sql.list(3)
                .push(", ")
                .push(select)
                .push(" WHERE ")
                .push(id_col);
        };
        let shared = || -> Vec<Value> {
            vec![
                self.now.into(),
                self.actor.map(str::to_owned).into(),
                kind.into(),
            ]
        };
        let start = "INSERT INTO change_log (at, actor, kind, entity, key, before, after, public, \
                     organization_id) SELECT ";
        match rows {
            Created::After(floor) => {
                let mut sql = Sql::new(db.get_database_backend(), start);
                head(&mut sql);
                sql.push(" > ").param().push(" ORDER BY ").push(id_col);
                let mut values = shared();
                values.push((*floor).into());
                sql::execute(db, &sql, values).await?;
            }
            Created::Ids(ids) => {
                for batch in ids.chunks(MAX_PARAMS) {
                    let mut sql = Sql::new(db.get_database_backend(), start);
                    head(&mut sql);
                    sql.push(" IN (");
                    sql.list(padded(batch.len()))
                        .push(") ORDER BY ")
                        .push(id_col);
                    let mut values = shared();
                    values.extend(pad(batch).map(|&id| Value::from(id)));
                    sql::execute(db, &sql, values).await?;
                }
            }
        }
        Ok(())
    }
}
