//! Course links inserted many per statement, skipping any that exist or that a concurrent
//! writer added (`ON CONFLICT DO NOTHING`).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, Value};

use super::log::Rows;
use super::{Sql, id_column, max_id, pad, padded, query};
use crate::domain::backfill::Progress;
use crate::error::AppResult;

/// Links per INSERT on SQLite: a power of two (batches are padded to one), at most four
/// parameters a link plus two shared, well under its limit of 32,766.
const ROWS: usize = 4096;
/// Links per INSERT on PostgreSQL, where a batch is five parameters whatever its size.
const PG_ROWS: usize = 65_536;

/// Inserts `(organization id, course key, active)` links in batches; which rows it created
/// and how many. With `stamp` the inserts give the links their positions (link order), which
/// is right only under the change log's lock (`change::begin_logging`); else they are stamped
/// later (`course::write::stamp_positions`). `locked`: the caller holds the table's ACCESS
/// EXCLUSIVE lock (PostgreSQL, `bulk::rebuild`) and `links` are exactly those missing, so no
/// insert can conflict (the unique index may be gone).
pub async fn insert_all<C: ConnectionTrait>(
    db: &C,
    links: &[(i64, &str, bool)],
    now: chrono::DateTime<Utc>,
    stamp: bool,
    locked: bool,
    progress: &Progress,
) -> AppResult<(Rows, u64)> {
    // When this transaction is the only writer of links (SQLite took the lock at BEGIN), the
    // links it creates are exactly those past the largest id now, and need not travel back.
    // Else each insert returns the ids it wrote.
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    let floor = if sqlite || locked {
        Some(max_id(db, "course_link").await?)
    } else {
        None
    };
    let mut positions = match (stamp, sqlite) {
        (false, _) => Positions::Later,
        (true, true) => Positions::Now {
            next: next_position(db).await?,
        },
        (true, false) => Positions::Now { next: 0 },
    };
    let mut ids = Vec::new();
    let mut count = 0;
    for batch in links.chunks(if sqlite { ROWS } else { PG_ROWS }) {
        let returned = floor.is_none().then_some(&mut ids);
        // SQLite's padding rows need ON CONFLICT (and `locked` is PostgreSQL's only).
        let on_conflict = sqlite || !locked;
        count += insert(db, batch, now, &mut positions, returned, on_conflict).await?;
        progress.inc(batch.len());
    }
    let rows = match floor {
        Some(floor) => Rows::After(floor),
        None => Rows::Ids(ids),
    };
    Ok((rows, count))
}

/// Where new links' positions come from.
enum Positions {
    /// Left NULL, stamped later, under the change log's lock.
    Later,
    /// Stamped by the insert, which runs under the change log's lock: on PostgreSQL from the
    /// `course_link_position` sequence, on SQLite (one writer at a time) counting up from
    /// `next`, the greatest position plus one.
    Now { next: i64 },
}

/// Inserts one batch; the ids of those inserted when `ids` collects them, else their count.
async fn insert<C: ConnectionTrait>(
    db: &C,
    batch: &[(i64, &str, bool)],
    now: chrono::DateTime<Utc>,
    positions: &mut Positions,
    ids: Option<&mut Vec<i64>>,
    on_conflict: bool,
) -> AppResult<u64> {
    let (mut sql, values) = match db.get_database_backend() {
        DbBackend::Postgres => arrays(batch, now, positions),
        backend => rows(backend, batch, now, positions),
    };
    if on_conflict {
        // `WHERE true` lets SQLite tell ON CONFLICT from a join constraint.
        sql.push(" WHERE true ON CONFLICT (course_key, organization_id) DO NOTHING");
    }
    match ids {
        Some(ids) => {
            sql.push(" RETURNING id");
            let new = id_column(query(db, &sql, values).await?)?;
            ids.extend_from_slice(&new);
            Ok(new.len() as u64)
        }
        None => Ok(super::execute(db, &sql, values).await?.rows_affected()),
    }
}

const INSERT: &str = "INSERT INTO course_link (organization_id, course_key, active, created, \
                      modified";

/// PostgreSQL: the batch as three arrays, unnested. A multi-row `VALUES` of 12,000 parameters
/// cost the server about as much to parse, plan and bind as the insert itself (a million links:
/// 10 s against 5 s for the same rows from `generate_series`).
fn arrays(
    batch: &[(i64, &str, bool)],
    now: chrono::DateTime<Utc>,
    positions: &Positions,
) -> (Sql, Vec<Value>) {
    let mut sql = Sql::new(DbBackend::Postgres, INSERT);
    let position = match positions {
        Positions::Later => "",
        Positions::Now { .. } => ", nextval('course_link_position')",
    };
    sql.push(if position.is_empty() {
        ") "
    } else {
        ", position) "
    })
    .push("SELECT o, k, a, ");
    sql.list(2).push(position);
    sql.push(" FROM unnest(")
        .param()
        .push("::bigint[], ")
        .param()
        .push("::text[], ")
        .param()
        .push("::boolean[]) AS v(o, k, a)");
    let values = vec![
        now.into(),
        now.into(),
        batch.iter().map(|l| l.0).collect::<Vec<i64>>().into(),
        batch
            .iter()
            .map(|l| l.1.to_owned())
            .collect::<Vec<String>>()
            .into(),
        batch.iter().map(|l| l.2).collect::<Vec<bool>>().into(),
    ];
    (sql, values)
}

/// SQLite: a multi-row `VALUES`, padded (see `bulk`); positions counted up from `next`.
fn rows(
    backend: DbBackend,
    batch: &[(i64, &str, bool)],
    now: chrono::DateTime<Utc>,
    positions: &mut Positions,
) -> (Sql, Vec<Value>) {
    let rows = padded(batch.len());
    let (position_col, position, width) = match positions {
        Positions::Later => ("", "", 3),
        Positions::Now { .. } => (", position", ", column4", 4),
    };
    let mut sql = Sql::new(backend, INSERT);
    sql.push(position_col)
        .push(") SELECT column1, column2, column3, ");
    sql.list(2).push(position).push(" FROM (VALUES ");
    sql.rows(rows, width);
    sql.push(") AS v");
    let mut values: Vec<Value> = Vec::with_capacity(2 + width * rows);
    values.extend([now.into(), now.into()]);
    for (i, &(organization_id, key, active)) in pad(batch).enumerate() {
        values.extend([organization_id.into(), key.into(), active.into()]);
        if let Positions::Now { next } = positions {
            // Padding rows get positions of their own too: they must not collide on the
            // unique position index before their (course key, organization) conflict.
            values.push((*next + i as i64).into());
        }
    }
    if let Positions::Now { next } = positions {
        *next += rows as i64;
    }
    (sql, values)
}

/// The first position after every link's (SQLite: this transaction is the only writer).
async fn next_position<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let sql = Sql::new(
        db.get_database_backend(),
        "SELECT COALESCE(MAX(position), 0) + 1 FROM course_link",
    );
    let rows = query(db, &sql, Vec::new()).await?;
    Ok(id_column(rows)?.first().copied().unwrap_or(1))
}

/// Sets the `active` flag of these links; the ids of those it changed.
pub async fn set_active<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    active: bool,
    now: chrono::DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    Ok(super::set_active(db, "course_link", "id", ids, active, now).await?)
}

/// The links of these organizations: organization id -> course key -> (link id, active).
pub async fn existing<C: ConnectionTrait>(
    db: &C,
    organization_ids: &[i64],
) -> AppResult<HashMap<i64, HashMap<String, (i64, bool)>>> {
    let mut found: HashMap<i64, HashMap<String, (i64, bool)>> = HashMap::new();
    // A few hundred organizations a statement: their links, not a million, are held as rows.
    for batch in organization_ids.chunks(256) {
        let mut sql = Sql::new(
            db.get_database_backend(),
            "SELECT organization_id, course_key, id, active FROM course_link \
             WHERE organization_id IN (",
        );
        sql.list(padded(batch.len())).push(")");
        let values = pad(batch).map(|&id| Value::from(id)).collect();
        for row in query(db, &sql, values).await? {
            found.entry(row.try_get_by_index(0)?).or_default().insert(
                row.try_get_by_index(1)?,
                (row.try_get_by_index(2)?, row.try_get_by_index(3)?),
            );
        }
    }
    Ok(found)
}
