//! Course link rows: a course run or library linked to an organization, soft-deleted like one.

use chrono::Utc;
use entity::course_link;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use crate::domain::course_key::CourseKey;
use crate::error::AppResult;

/// The link's `active` flag, or `None` when there is no link.
pub async fn state<C: ConnectionTrait>(
    db: &C,
    key: &CourseKey,
    organization_id: i64,
) -> AppResult<Option<bool>> {
    Ok(course_link::Entity::find()
        .filter(course_link::Column::CourseKey.eq(key.as_str()))
        .filter(course_link::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .map(|l| l.active))
}

/// Links named one by one when stamped (a mutation's few); more are found by `position IS NULL`.
const TARGETED_STAMP_MAX: usize = 1000;

/// Inserts an active link unless one exists; true if inserted. Its position is not set: use
/// cases insert through `service::Write::link`, which stamps it (`stamp_positions`).
pub async fn insert_if_absent<C: ConnectionTrait>(
    db: &C,
    key: &CourseKey,
    organization_id: i64,
) -> AppResult<bool> {
    let now = Utc::now();
    let row = course_link::ActiveModel {
        organization_id: Set(organization_id),
        course_key: Set(key.as_str().to_owned()),
        active: Set(true),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    };
    let inserted = course_link::Entity::insert(row)
        .on_conflict_do_nothing_on([
            course_link::Column::CourseKey,
            course_link::Column::OrganizationId,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// Sets one link's `active` flag; true if it changed.
pub async fn set_active<C: ConnectionTrait>(
    db: &C,
    key: &CourseKey,
    organization_id: i64,
    active: bool,
) -> AppResult<bool> {
    let result = course_link::Entity::update_many()
        .col_expr(course_link::Column::Active, Expr::value(active))
        .col_expr(course_link::Column::Modified, Expr::value(Utc::now()))
        .filter(course_link::Column::CourseKey.eq(key.as_str()))
        .filter(course_link::Column::OrganizationId.eq(organization_id))
        .filter(course_link::Column::Active.ne(active))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Sets the `active` flag of every link of an organization; the course keys that changed.
pub async fn set_active_of<C: ConnectionTrait>(
    db: &C,
    organization_id: i64,
    active: bool,
) -> AppResult<Vec<String>> {
    let changed = course_link::Entity::update_many()
        .col_expr(course_link::Column::Active, Expr::value(active))
        .col_expr(course_link::Column::Modified, Expr::value(Utc::now()))
        .filter(course_link::Column::OrganizationId.eq(organization_id))
        .filter(course_link::Column::Active.ne(active))
        .exec_with_returning(db)
        .await?;
    Ok(changed.into_iter().map(|l| l.course_key).collect())
}

/// Gives the links this transaction inserted their position: after every committed link, in id
/// order among themselves. Called under the change log's lock just before the commit
/// (`service::Write`, for the links its `link` inserted; the backfill; the import stamps its
/// links as it inserts them, under the same lock: `bulk::links`), so positions follow commit order whatever order ids
/// come in; committed links all have one, so `position IS NULL` finds only this
/// transaction's own. `created` names them (organization, course key) when the caller knows
/// them: on PostgreSQL a few are then found through the unique (course key, organization)
/// index, so that under SERIALIZABLE the stamp reads only its own rows and does not conflict
/// with every other transaction that links a course.
pub async fn stamp_positions<C: ConnectionTrait>(
    db: &C,
    created: Option<&[(i64, &str)]>,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    if let Some(created) = created
        && backend == sea_orm::DbBackend::Postgres
        && created.len() <= TARGETED_STAMP_MAX
    {
        let mut values = Vec::with_capacity(created.len() * 2);
        let pairs: Vec<String> = created
            .iter()
            .enumerate()
            .map(|(i, (organization_id, key))| {
                values.push(sea_orm::Value::from(*organization_id));
                values.push(sea_orm::Value::from((*key).to_owned()));
                format!("(${}::bigint, ${}::text)", 2 * i + 1, 2 * i + 2)
            })
            .collect();
        let sql = format!(
            "UPDATE course_link SET position = n.p FROM (\
               SELECT id, nextval('course_link_position') AS p FROM (\
                 SELECT c.id FROM (VALUES {}) AS v(organization_id, course_key) \
                 JOIN course_link c ON c.course_key = v.course_key \
                  AND c.organization_id = v.organization_id \
                 WHERE c.position IS NULL ORDER BY c.id) AS o) AS n \
             WHERE course_link.id = n.id",
            pairs.join(", ")
        );
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?;
        return Ok(());
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // A sequence, not MAX + 1: under REPEATABLE READ or SERIALIZABLE this transaction's
        // snapshot may predate links committed since, whose positions it cannot see.
        db.execute_unprepared(
            "UPDATE course_link SET position = n.p FROM (\
               SELECT id, nextval('course_link_position') AS p FROM (\
                 SELECT id FROM course_link WHERE position IS NULL ORDER BY id) AS o) AS n \
             WHERE course_link.id = n.id",
        )
        .await?;
        return Ok(());
    }
    // SQLite has one writer at a time: the greatest position is the last committed.
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COALESCE((SELECT MAX(position) FROM course_link), 0), \
             (SELECT MIN(id) FROM course_link WHERE position IS NULL)",
        ))
        .await?;
    let Some(row) = row else { return Ok(()) };
    let last: i64 = row.try_get_by_index(0)?;
    let Some(first_new): Option<i64> = row.try_get_by_index(1)? else {
        return Ok(());
    };
    db.execute_unprepared(&format!(
        "UPDATE course_link SET position = id - {first_new} + {} WHERE position IS NULL",
        last + 1
    ))
    .await?;
    Ok(())
}
