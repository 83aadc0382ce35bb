//! Lookups of partners and sites by identity, and the membership edges, for the write side.

use chrono::Utc;
use entity::{partner, partner_organization, site, site_organization};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use super::names::{Domain, PartnerCode};
use crate::error::{AppError, AppResult};

pub async fn find_partner<C: ConnectionTrait>(
    db: &C,
    code: &PartnerCode,
) -> AppResult<Option<partner::Model>> {
    Ok(partner::Entity::find()
        .filter(partner::Column::ShortCodeKey.eq(code.key()))
        .one(db)
        .await?)
}

pub async fn partner_or_not_found<C: ConnectionTrait>(
    db: &C,
    code: &PartnerCode,
) -> AppResult<partner::Model> {
    find_partner(db, code)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no partner {:?}", code.as_str())))
}

pub async fn find_site<C: ConnectionTrait>(
    db: &C,
    domain: &Domain,
) -> AppResult<Option<site::Model>> {
    Ok(site::Entity::find()
        .filter(site::Column::DomainKey.eq(domain.key()))
        .one(db)
        .await?)
}

pub async fn site_or_not_found<C: ConnectionTrait>(
    db: &C,
    domain: &Domain,
) -> AppResult<site::Model> {
    find_site(db, domain)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no site {:?}", domain.as_str())))
}

/// Adds an organization to a partner; adding twice keeps the first `since`.
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
