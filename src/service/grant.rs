//! Grant use cases: give and take roles. PARTNER_ADMIN grants need an administrator; grants on
//! an organization need ORG_ADMIN on it (or a partner or administrator grant that covers it).

use chrono::Utc;
use entity::role_grant;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Actor, text};
use crate::domain::{authz, directory, organization as org};
use crate::error::{AppError, AppResult};

/// The target of a grant, resolved and authorized.
struct Target {
    partner_id: Option<i64>,
    organization_id: Option<i64>,
}

async fn target<C: ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    role: &str,
    partner: Option<&str>,
    organization: Option<&str>,
) -> AppResult<Target> {
    match (role, partner, organization) {
        ("PARTNER_ADMIN", Some(code), None) => {
            authz::require_admin(actor.scope, "granting PARTNER_ADMIN")?;
            let code = crate::domain::partner_code("partner", code)?;
            let partner = directory::partner_or_not_found(txn, &code).await?;
            Ok(Target {
                partner_id: Some(partner.id),
                organization_id: None,
            })
        }
        ("ORG_ADMIN" | "ORG_STAFF", None, Some(name)) => {
            let name = crate::domain::short_name("organization", name)?;
            let organization = org::find(txn, &name).await?.ok_or_else(|| {
                AppError::not_found(format!("no organization {:?}", name.as_str()))
            })?;
            authz::require_org_admin(txn, actor.scope, &organization).await?;
            Ok(Target {
                partner_id: None,
                organization_id: Some(organization.id),
            })
        }
        ("PARTNER_ADMIN", ..) => Err(AppError::bad_input(
            "partner",
            "PARTNER_ADMIN is granted on a partner (and only a partner)",
        )),
        _ => Err(AppError::bad_input(
            "organization",
            "ORG_ADMIN and ORG_STAFF are granted on an organization (and only an organization)",
        )),
    }
}

async fn find<C: ConnectionTrait>(
    txn: &C,
    subject: &str,
    role: &str,
    t: &Target,
) -> AppResult<Option<role_grant::Model>> {
    let mut q = role_grant::Entity::find()
        .filter(role_grant::Column::Subject.eq(subject))
        .filter(role_grant::Column::Role.eq(role));
    q = match (t.partner_id, t.organization_id) {
        (Some(p), _) => q.filter(role_grant::Column::PartnerId.eq(p)),
        (_, Some(o)) => q.filter(role_grant::Column::OrganizationId.eq(o)),
        _ => q,
    };
    Ok(q.one(txn).await?)
}

/// Grants `role`; granting what is already granted returns the existing grant.
pub async fn grant(
    actor: Actor<'_>,
    subject: &str,
    role: &str,
    partner: Option<&str>,
    organization: Option<&str>,
) -> AppResult<role_grant::Model> {
    let subject = text("subject", subject, 255)?;
    authz::require_subject(actor.scope)?;
    let txn = crate::db::begin_write(actor.db).await?;
    let target = target(&txn, actor, role, partner, organization).await?;
    if let Some(existing) = find(&txn, &subject, role, &target).await? {
        txn.commit().await?;
        return Ok(existing);
    }
    role_grant::Entity::insert(role_grant::ActiveModel {
        subject: Set(subject.clone()),
        role: Set(role.to_owned()),
        partner_id: Set(target.partner_id),
        organization_id: Set(target.organization_id),
        created: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    let created = find(&txn, &subject, role, &target)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("inserted grant vanished")))?;
    txn.commit().await?;
    Ok(created)
}

/// Revokes `role`; true if a grant was removed.
pub async fn revoke(
    actor: Actor<'_>,
    subject: &str,
    role: &str,
    partner: Option<&str>,
    organization: Option<&str>,
) -> AppResult<bool> {
    authz::require_subject(actor.scope)?;
    let txn = crate::db::begin_write(actor.db).await?;
    let target = target(&txn, actor, role, partner, organization).await?;
    let Some(existing) = find(&txn, subject, role, &target).await? else {
        return Ok(false);
    };
    role_grant::Entity::delete_by_id(existing.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}
