//! The membership edges: partner <-> organization and site <-> organization.

use chrono::Utc;
use entity::{partner_organization, site_organization};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use crate::error::AppResult;

/// Adds an organization to a partner; adding twice keeps the first `since`. True if added.
pub async fn add_to_partner<C: ConnectionTrait>(
    db: &C,
    partner_id: i64,
    organization_id: i64,
) -> AppResult<bool> {
    let row = partner_organization::ActiveModel {
        partner_id: Set(partner_id),
        organization_id: Set(organization_id),
        created: Set(Utc::now()),
    };
    let result = partner_organization::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    Ok(matches!(result, TryInsertResult::Inserted(n) if n > 0))
}

/// True if the organization was a member.
pub async fn remove_from_partner<C: ConnectionTrait>(
    db: &C,
    partner_id: i64,
    organization_id: i64,
) -> AppResult<bool> {
    let result = partner_organization::Entity::delete_many()
        .filter(partner_organization::Column::PartnerId.eq(partner_id))
        .filter(partner_organization::Column::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn add_to_site<C: ConnectionTrait>(
    db: &C,
    site_id: i64,
    organization_id: i64,
) -> AppResult<bool> {
    let row = site_organization::ActiveModel {
        site_id: Set(site_id),
        organization_id: Set(organization_id),
        created: Set(Utc::now()),
    };
    let result = site_organization::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    Ok(matches!(result, TryInsertResult::Inserted(n) if n > 0))
}

pub async fn remove_from_site<C: ConnectionTrait>(
    db: &C,
    site_id: i64,
    organization_id: i64,
) -> AppResult<bool> {
    let result = site_organization::Entity::delete_many()
        .filter(site_organization::Column::SiteId.eq(site_id))
        .filter(site_organization::Column::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Whether the organization is a member of the partner.
pub async fn is_member<C: ConnectionTrait>(
    db: &C,
    partner_id: i64,
    organization_id: i64,
) -> AppResult<bool> {
    Ok(partner_organization::Entity::find()
        .filter(partner_organization::Column::PartnerId.eq(partner_id))
        .filter(partner_organization::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .is_some())
}
