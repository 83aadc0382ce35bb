//! Grant use cases: give and take roles. PARTNER_ADMIN grants need an administrator; grants on
//! an organization need ORG_ADMIN on it (or a partner or administrator grant that covers it);
//! an ORG_ADMIN that is not also covered otherwise may only give ORG_STAFF.
//!
//! A grant given on a partner admin's authority records that partner (`through_partner_id`), and
//! so does an ORG_STAFF grant given by an ORG_ADMIN whose own grant rests on one: when the
//! organization leaves the partner, they end with the membership (`partner::set_membership`).

use entity::role_grant::{self, Role};
use sea_orm::ConnectionTrait;

use super::{Actor, transaction};
use crate::access::check as access;
use crate::access::decide as authz;
use crate::domain as dom;
use crate::domain::change::NewChange;
use crate::domain::names::Subject;
use crate::error::{AppError, AppResult};
use crate::repo::grant::{self as rows, Target};

/// The target of a grant, resolved and authorized, with its name for the change log and the
/// partner whose authority it rests on.
async fn target<C: ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    role: Role,
    partner: Option<&str>,
    organization: Option<&str>,
) -> AppResult<(Target, String, Option<i64>)> {
    match (role, partner, organization) {
        (Role::PartnerAdmin, Some(code), None) => {
            authz::require_admin(actor.scope, "granting PARTNER_ADMIN")?;
            authz::require_unrestricted_by_organizations(actor.scope, "granting PARTNER_ADMIN")?;
            let code = dom::partner_code("partner", code)?;
            let partner = super::partner::partner_or_not_found(txn, actor, &code).await?;
            Ok((Target::Partner(partner.id), partner.short_code, None))
        }
        (Role::OrgAdmin | Role::OrgStaff, None, Some(name)) => {
            let name = dom::short_name("organization", name)?;
            let organization = super::organization::visible(txn, actor, &name).await?;
            access::require_org_admin(txn, actor.scope, &organization).await?;
            // An ORG_ADMIN gives and takes ORG_STAFF only: making or removing admins is for the
            // partner's admins and administrators.
            if role == Role::OrgAdmin {
                access::require_partner_admin_over(txn, actor.scope, &organization).await?;
            }
            let through =
                access::authority_through_partner(txn, actor.scope, role, organization.id).await?;
            Ok((
                Target::Organization(organization.id),
                organization.short_name,
                through,
            ))
        }
        (Role::PartnerAdmin, ..) => Err(AppError::bad_input(
            "partner",
            "PARTNER_ADMIN is granted on a partner (and only a partner)",
        )),
        _ => Err(AppError::bad_input(
            "organization",
            "ORG_ADMIN and ORG_STAFF are granted on an organization (and only an organization)",
        )),
    }
}

/// Grants `role`; granting what is already granted returns the existing grant unchanged.
pub async fn grant(
    actor: Actor<'_>,
    subject: &str,
    role: Role,
    partner: Option<&str>,
    organization: Option<&str>,
) -> AppResult<role_grant::Model> {
    let subject: Subject = dom::parse("subject", subject)?;
    authz::require_subject(actor.scope)?;
    transaction!(actor, |write| {
        let (target, name, through) =
            target(write.txn(), actor, role, partner, organization).await?;
        let granted =
            match rows::insert_if_absent(write.txn(), &subject, role, target, through).await? {
                Some(created) => {
                    write.log(Some(NewChange::grant(&created, &name, true)));
                    created
                }
                None => rows::find(write.txn(), subject.as_str(), role, target)
                    .await?
                    .ok_or_else(|| AppError::internal(anyhow::anyhow!("grant vanished")))?,
            };
        Ok(granted)
    })
}

/// Revokes `role`; true if a grant was removed.
pub async fn revoke(
    actor: Actor<'_>,
    subject: &str,
    role: Role,
    partner: Option<&str>,
    organization: Option<&str>,
) -> AppResult<bool> {
    let subject: Subject = dom::parse("subject", subject)?;
    authz::require_subject(actor.scope)?;
    transaction!(actor, |write| {
        let (target, name, _) = target(write.txn(), actor, role, partner, organization).await?;
        let Some(existing) = rows::find(write.txn(), subject.as_str(), role, target).await? else {
            return Ok(false);
        };
        rows::delete(write.txn(), existing.id).await?;
        write.log(Some(NewChange::grant(&existing, &name, false)));
        Ok(true)
    })
}
