//! Course links: a course run or library linked to an organization, soft-deleted like one.

use chrono::Utc;
use entity::course_link;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use super::course_key::CourseKey;
use crate::error::AppResult;

/// Links `key` to the organization; linking twice is a no-op and linking after unlinking
/// reactivates the link. Returns whether a new link row was created.
pub async fn link<C: ConnectionTrait>(
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
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(true);
    }
    set_active(db, key, organization_id, true).await?;
    Ok(false)
}

/// Sets a link's `active` flag; true if it changed.
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

/// Whether a link (active or not) exists.
pub async fn exists<C: ConnectionTrait>(
    db: &C,
    key: &CourseKey,
    organization_id: i64,
) -> AppResult<bool> {
    Ok(course_link::Entity::find()
        .filter(course_link::Column::CourseKey.eq(key.as_str()))
        .filter(course_link::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .is_some())
}
