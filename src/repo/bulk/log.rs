//! Change log rows for rows written in bulk, built by the database from those rows with one
//! `INSERT .. SELECT` per batch: a million links never travel back as a million JSON values.
//! The records have the shapes of `domain::change` (`organization_json`, `course_link_json`),
//! and kind and visibility follow `NewChange::organization` and `NewChange::course_link`.
//! Callers hold the change log's lock (`change::begin_logging`), so ids follow commit order.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Value};

use super::{MAX_PARAMS, Sql, flag_json, json_object, pad, padded};
use crate::error::AppResult;

/// Which rows a bulk write wrote.
pub enum Rows {
    Ids(Vec<i64>),
    /// Every row with a larger id (the transaction is the table's only writer: SQLite, or a
    /// PostgreSQL table locked).
    After(i64),
}

/// What happened to the rows: created, or their `active` flag flipped (to the value they hold
/// now, which makes the change a reactivation or a deactivation).
#[derive(Clone, Copy)]
pub enum Change {
    Created,
    Flipped,
}

pub struct Log<'a> {
    pub now: chrono::DateTime<Utc>,
    pub actor: Option<&'a str>,
    /// Whether this transaction has prepared PostgreSQL for large statements yet (once is
    /// enough).
    prepared: AtomicBool,
}

/// How one table's rows become change rows.
struct Entity {
    /// `change_log.entity`.
    name: &'static str,
    /// The rows: a table aliased, with the joins the record needs.
    from: &'static str,
    id: &'static str,
    /// `change_log.key`.
    key: &'static str,
    /// The record's fields but `active`.
    fields: &'static [(&'static str, &'static str)],
    /// The row's `active` flag now.
    active: &'static str,
    /// `change_log.public` of a created row and of a flipped one.
    public: [&'static str; 2],
}

/// From this many rows on, PostgreSQL is prepared for large statements before they are logged.
const LARGE_FROM: usize = 10_000;

const ORGANIZATION: Entity = Entity {
    name: "ORGANIZATION",
    from: "organization o",
    id: "o.id",
    key: "o.short_name",
    fields: &[
        ("shortName", "o.short_name"),
        ("name", "o.name"),
        ("description", "o.description"),
        ("logoUrl", "o.logo_url"),
    ],
    active: "o.active",
    // Public when it is active, or was before (a flip: one of the two).
    public: ["o.active", "TRUE"],
};

const COURSE_LINK: Entity = Entity {
    name: "COURSE_LINK",
    from: "course_link cl JOIN organization o ON o.id = cl.organization_id",
    id: "cl.id",
    key: "cl.course_key || '/' || o.short_name",
    fields: &[
        ("courseKey", "cl.course_key"),
        ("organization", "o.short_name"),
    ],
    active: "cl.active",
    // Public when its organization is active and the link is, or was before.
    public: ["(o.active AND cl.active)", "o.active"],
};

impl<'a> Log<'a> {
    pub fn new(now: chrono::DateTime<Utc>, actor: Option<&'a str>) -> Self {
        Log {
            now,
            actor,
            prepared: AtomicBool::new(false),
        }
    }

    pub async fn organizations<C: ConnectionTrait>(
        &self,
        db: &C,
        rows: &Rows,
        change: Change,
    ) -> AppResult<()> {
        self.log(db, &ORGANIZATION, rows, change).await
    }

    pub async fn links<C: ConnectionTrait>(
        &self,
        db: &C,
        rows: &Rows,
        change: Change,
    ) -> AppResult<()> {
        self.log(db, &COURSE_LINK, rows, change).await
    }

    async fn log<C: ConnectionTrait>(
        &self,
        db: &C,
        entity: &Entity,
        rows: &Rows,
        change: Change,
    ) -> AppResult<()> {
        let backend = db.get_database_backend();
        let large = match rows {
            Rows::Ids(ids) => ids.len() >= LARGE_FROM,
            // Only a large write locks a PostgreSQL table (`bulk::rebuild`).
            Rows::After(_) => true,
        };
        if backend == sea_orm::DbBackend::Postgres
            && large
            && !self.prepared.swap(true, Ordering::Relaxed)
        {
            // The statistics may describe the tables as a killed run left them (dead rows, few
            // live ones), and every batch's join is planned from them (hash joins over whole
            // tables where two index lookups per row do). ANALYZE in this transaction counts
            // the rows it wrote; every entity's rows join both tables.
            db.execute_unprepared("ANALYZE organization, course_link")
                .await?;
            // Statements this large pass the JIT's cost threshold, and compiling their
            // expressions cost more than it saved (a million link changes: about 1 s).
            db.execute_unprepared("SET LOCAL jit = off").await?;
        }
        let record = |active: &str| {
            let flag = flag_json(backend, active);
            let mut pairs = entity.fields.to_vec();
            pairs.push(("active", &flag));
            json_object(backend, &pairs)
        };
        let (kind, before, public) = match change {
            Change::Created => ("'CREATED'".to_owned(), "NULL".to_owned(), entity.public[0]),
            // A reactivation when the flag is now set; before, the record with it unset.
            Change::Flipped => (
                format!(
                    "CASE WHEN {} THEN 'REACTIVATED' ELSE 'DEACTIVATED' END",
                    entity.active
                ),
                record(&format!("NOT {}", entity.active)),
                entity.public[1],
            ),
        };
        let select = format!(
            "{kind}, '{}', {}, {before}, {}, {public}, o.id FROM {}",
            entity.name,
            entity.key,
            record(entity.active),
            entity.from,
        );
        self.insert(db, &select, entity.id, rows).await
    }

    /// `INSERT INTO change_log .. SELECT <at, actor>, <select> WHERE <id_col> ..` for the rows
    /// written, in id order.
    async fn insert<C: ConnectionTrait>(
        &self,
        db: &C,
        select: &str,
        id_col: &str,
        rows: &Rows,
    ) -> AppResult<()> {
        let head = |sql: &mut Sql| {
            sql.list(2)
                .push(", ")
                .push(select)
                .push(" WHERE ")
                .push(id_col);
        };
        let shared =
            || -> Vec<Value> { vec![self.now.into(), self.actor.map(str::to_owned).into()] };
        let start = "INSERT INTO change_log (at, actor, kind, entity, key, before, after, public, \
                     organization_id) SELECT ";
        match rows {
            Rows::After(floor) => {
                let mut sql = Sql::new(db.get_database_backend(), start);
                head(&mut sql);
                sql.push(" > ").param().push(" ORDER BY ").push(id_col);
                let mut values = shared();
                values.push((*floor).into());
                super::execute(db, &sql, values).await?;
            }
            Rows::Ids(ids) => {
                for batch in ids.chunks(MAX_PARAMS) {
                    let mut sql = Sql::new(db.get_database_backend(), start);
                    head(&mut sql);
                    sql.push(" IN (");
                    sql.list(padded(batch.len()))
                        .push(") ORDER BY ")
                        .push(id_col);
                    let mut values = shared();
                    values.extend(pad(batch).map(|&id| Value::from(id)));
                    super::execute(db, &sql, values).await?;
                }
            }
        }
        Ok(())
    }
}
