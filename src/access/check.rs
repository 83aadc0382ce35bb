//! The checks of a write, inside its transaction: whether the caller sees the record it names
//! and holds the grant the change needs. Each question is a condition of `visibility` run on
//! that one row (`repo::access::row_meets`), so a write sees exactly what a read would; the
//! answer is a decision of `decide`.

use entity::role_grant::Role;
use entity::{organization, partner, site};
use sea_orm::ConnectionTrait;

use super::{Scope, decide as authz, visibility};
use crate::domain::names::ShortName;
use crate::error::{AppError, AppResult};
use crate::repo::access::row_meets;
use crate::repo::grant::{self as grants, Target};

/// The organization a mutation names, if the caller may see it: a record the caller may not
/// see answers exactly as one that does not exist (docs/access.md), so errors reveal nothing hidden.
pub async fn organization<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    found: Option<organization::Model>,
    asked: &str,
) -> AppResult<organization::Model> {
    let missing = || AppError::not_found(format!("no organization {asked:?}"));
    let org = found.ok_or_else(missing)?;
    if sees_organization(db, scope, &org).await? {
        Ok(org)
    } else {
        Err(missing())
    }
}

/// Whether the caller sees the organization (inactive ones included, as a read that asks for
/// them would).
pub async fn sees_organization<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    org: &organization::Model,
) -> AppResult<bool> {
    let visible = visibility::organizations(scope, true);
    row_meets(
        db,
        organization::Entity,
        organization::Column::Id,
        org.id,
        visible,
    )
    .await
}

/// The partner a mutation names, if the caller may see it (active, or administered by it).
pub async fn partner<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    found: Option<partner::Model>,
    asked: &str,
) -> AppResult<partner::Model> {
    let missing = || AppError::not_found(format!("no partner {asked:?}"));
    let partner = found.ok_or_else(missing)?;
    let visible = visibility::partners(scope, true);
    if row_meets(
        db,
        partner::Entity,
        partner::Column::Id,
        partner.id,
        visible,
    )
    .await?
    {
        Ok(partner)
    } else {
        Err(missing())
    }
}

/// The site a mutation names, if the caller may see it (active, or its partner administered).
pub async fn site<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    found: Option<site::Model>,
    asked: &str,
) -> AppResult<site::Model> {
    let missing = || AppError::not_found(format!("no site {asked:?}"));
    let site = found.ok_or_else(missing)?;
    let visible = visibility::sites(scope, true);
    if row_meets(db, site::Entity, site::Column::Id, site.id, visible).await? {
        Ok(site)
    } else {
        Err(missing())
    }
}

/// ORG_ADMIN on the organization, PARTNER_ADMIN on a partner it belongs to, or administrator;
/// always within the token's organization filter.
pub async fn require_org_admin<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    org: &organization::Model,
) -> AppResult<()> {
    let subject = authz::require_subject(scope)?;
    authz::require_filter_allows_row(scope, org)?;
    let administers = !scope.administrator
        && row_meets(
            db,
            organization::Entity,
            organization::Column::Id,
            org.id,
            visibility::administered_organizations(subject),
        )
        .await?;
    authz::org_admin(scope, &org.short_name, administers)
}

/// PARTNER_ADMIN on a partner the organization belongs to, or administrator (what granting
/// ORG_ADMIN needs).
pub async fn require_partner_admin_over<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    org: &organization::Model,
) -> AppResult<()> {
    let subject = authz::require_subject(scope)?;
    let administers = !scope.administrator
        && row_meets(
            db,
            organization::Entity,
            organization::Column::Id,
            org.id,
            visibility::members_of_administered_partners(subject),
        )
        .await?;
    if scope.administrator || administers {
        Ok(())
    } else {
        Err(authz::forbidden(format!(
            "granting or revoking ORG_ADMIN on {:?} needs PARTNER_ADMIN on one of its partners",
            org.short_name
        )))
    }
}

/// PARTNER_ADMIN on the partner, or administrator; never for organization-restricted tokens.
pub async fn require_partner_admin<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    partner: &partner::Model,
) -> AppResult<()> {
    administer_partner(
        db,
        scope,
        partner.id,
        &format!("partner {:?}", partner.short_code),
    )
    .await
}

/// A site is administered through its partner; a site without one needs an administrator.
pub async fn require_site_admin<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    site: &site::Model,
) -> AppResult<()> {
    match site.partner_id {
        Some(partner_id) => {
            administer_partner(db, scope, partner_id, &format!("site {:?}", site.domain)).await
        }
        None => {
            authz::require_unrestricted_by_organizations(scope, "changing a site")?;
            authz::require_admin(scope, "changing a site without a partner")
        }
    }
}

async fn administer_partner<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    partner_id: i64,
    what: &str,
) -> AppResult<()> {
    let subject = authz::require_subject(scope)?;
    authz::require_unrestricted_by_organizations(scope, &format!("changing {what}"))?;
    let administers = !scope.administrator
        && row_meets(
            db,
            partner::Entity,
            partner::Column::Id,
            partner_id,
            visibility::administered_partners(subject),
        )
        .await?;
    authz::partner_admin(scope, what, administers)
}

/// The partner an organization grant's authority comes from: none for an administrator; the
/// granter's own dependence for ORG_STAFF given by a direct ORG_ADMIN; else the partner whose
/// PARTNER_ADMIN grant covers the organization.
pub async fn authority_through_partner<C: ConnectionTrait>(
    txn: &C,
    scope: &Scope,
    role: Role,
    organization_id: i64,
) -> AppResult<Option<i64>> {
    if scope.administrator {
        return Ok(None);
    }
    let subject = authz::require_subject(scope)?;
    let own = grants::find(
        txn,
        subject,
        Role::OrgAdmin,
        Target::Organization(organization_id),
    )
    .await?;
    match own {
        Some(own) if role == Role::OrgStaff => Ok(own.through_partner_id),
        _ => grants::partner_through(txn, subject, organization_id).await,
    }
}

/// A site presents only members of its partner, unless an administrator says otherwise.
pub async fn require_member_of_site_partner<C: ConnectionTrait>(
    txn: &C,
    scope: &Scope,
    site: &site::Model,
    organization: &organization::Model,
) -> AppResult<()> {
    if let (false, Some(partner_id)) = (scope.administrator, site.partner_id)
        && !crate::repo::membership::is_member(txn, partner_id, organization.id).await?
    {
        return Err(authz::forbidden(format!(
            "{:?} is not a member of this site's partner",
            organization.short_name
        )));
    }
    Ok(())
}

/// Linking a course to an organization other than its key's own: ORG_ADMIN over the key's
/// organization too, or an administrator when the caller may not see it (decided by the name
/// first, so the answer tells nothing of what exists).
pub async fn require_course_owner_admin<C: ConnectionTrait>(
    txn: &C,
    scope: &Scope,
    owner: &ShortName,
    found: Option<organization::Model>,
) -> AppResult<()> {
    authz::require_filter_allows(scope, owner)?;
    if scope.administrator {
        return Ok(());
    }
    match found {
        Some(org) if sees_organization(txn, scope, &org).await? => {
            require_org_admin(txn, scope, &org).await
        }
        _ => authz::require_admin(scope, "linking a course of an unknown organization"),
    }
}
