//! Grant rows. (The questions authorization asks of them are conditions of
//! `access::visibility`, run by `repo::access`.)

use chrono::Utc;
use entity::role_grant::{self, Role};
use entity::{partner_organization, role_grant as rg};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::domain::names::Subject;
use crate::error::AppResult;

/// What a grant is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Partner(i64),
    Organization(i64),
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    subject: &str,
    role: Role,
    target: Target,
) -> AppResult<Option<role_grant::Model>> {
    let q = rg::Entity::find()
        .filter(rg::Column::Subject.eq(subject))
        .filter(rg::Column::Role.eq(role));
    let q = match target {
        Target::Partner(p) => q.filter(rg::Column::PartnerId.eq(p)),
        Target::Organization(o) => q.filter(rg::Column::OrganizationId.eq(o)),
    };
    Ok(q.one(db).await?)
}

/// Inserts the grant unless it exists (the partial unique indexes decide races); the new row, or
/// `None` when it existed.
pub async fn insert_if_absent<C: ConnectionTrait>(
    db: &C,
    subject: &Subject,
    role: Role,
    target: Target,
    through_partner: Option<i64>,
) -> AppResult<Option<role_grant::Model>> {
    let (partner_id, organization_id) = match target {
        Target::Partner(p) => (Some(p), None),
        Target::Organization(o) => (None, Some(o)),
    };
    let inserted = rg::Entity::insert(rg::ActiveModel {
        subject: Set(subject.as_str().to_owned()),
        role: Set(role),
        partner_id: Set(partner_id),
        organization_id: Set(organization_id),
        created: Set(Utc::now()),
        through_partner_id: Set(through_partner),
        ..Default::default()
    })
    // Any unique index (the partial ones on subject, role and target) decides, not the id.
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(None);
    }
    find(db, subject.as_str(), role, target).await
}

pub async fn delete<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<()> {
    rg::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Removes the organization grants that rest on the partner's authority (the organization is
/// leaving it); the removed rows, for the change log.
pub async fn delete_through_partner<C: ConnectionTrait>(
    db: &C,
    partner_id: i64,
    organization_id: i64,
) -> AppResult<Vec<role_grant::Model>> {
    let ended = rg::Entity::find()
        .filter(rg::Column::ThroughPartnerId.eq(partner_id))
        .filter(rg::Column::OrganizationId.eq(organization_id))
        .order_by_asc(rg::Column::Id)
        .all(db)
        .await?;
    if !ended.is_empty() {
        rg::Entity::delete_many()
            .filter(rg::Column::Id.is_in(ended.iter().map(|g| g.id)))
            .exec(db)
            .await?;
    }
    Ok(ended)
}

/// The partner whose PARTNER_ADMIN grant gives the subject authority over the organization
/// (the oldest such grant), if any.
pub async fn partner_through<C: ConnectionTrait>(
    db: &C,
    subject: &str,
    organization_id: i64,
) -> AppResult<Option<i64>> {
    Ok(rg::Entity::find()
        .select_only()
        .column(rg::Column::PartnerId)
        .filter(rg::Column::Subject.eq(subject))
        .filter(rg::Column::Role.eq(Role::PartnerAdmin))
        .filter(rg::Column::PartnerId.in_subquery(partners_of(organization_id)))
        .order_by_asc(rg::Column::Id)
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten())
}

/// The grants stored for a subject, oldest first (`viewer`).
pub async fn of_subject<C: ConnectionTrait>(
    db: &C,
    subject: &str,
) -> AppResult<Vec<role_grant::Model>> {
    Ok(rg::Entity::find()
        .filter(rg::Column::Subject.eq(subject))
        .order_by_asc(rg::Column::Id)
        .all(db)
        .await?)
}

/// The ids of the partners the organization belongs to.
fn partners_of(organization_id: i64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(partner_organization::Column::PartnerId)
        .from(partner_organization::Entity)
        .and_where(Expr::col(partner_organization::Column::OrganizationId).eq(organization_id))
        .take()
}
