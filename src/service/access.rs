//! Authorization inside a write transaction: the grants a caller holds come from `repo::grant`,
//! the decision from `domain::authz`.

use entity::{organization, partner, site};
use sea_orm::ConnectionTrait;

use crate::domain::authz;
use crate::domain::scope::Scope;
use crate::error::{AppError, AppResult};
use crate::repo;

/// The organization a mutation names, if the caller may see it: a record the caller may not
/// see answers exactly as one that does not exist (DESIGN 5), so errors reveal nothing hidden.
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

/// Whether the caller sees the organization: within its filter, and active or covered by one
/// of its grants (any role).
pub async fn sees_organization<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    org: &organization::Model,
) -> AppResult<bool> {
    if !scope.allows_row(org) {
        return Ok(false);
    }
    if org.active || scope.administrator {
        return Ok(true);
    }
    match scope.subject.as_deref() {
        Some(subject) => repo::grant::covers_organization(db, subject, org.id).await,
        None => Ok(false),
    }
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
    if sees_partner(db, scope, partner.active, Some(partner.id)).await? {
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
    if sees_partner(db, scope, site.active, site.partner_id).await? {
        Ok(site)
    } else {
        Err(missing())
    }
}

async fn sees_partner<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    active: bool,
    partner_id: Option<i64>,
) -> AppResult<bool> {
    if active || scope.administrator {
        return Ok(true);
    }
    match (scope.subject.as_deref(), partner_id) {
        (Some(subject), Some(id)) => repo::grant::administers_partner(db, subject, id).await,
        _ => Ok(false),
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
    let administers =
        !scope.administrator && repo::grant::administers_organization(db, subject, org.id).await?;
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
    let administers =
        !scope.administrator && repo::grant::administers_member(db, subject, org.id).await?;
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
    let administers =
        !scope.administrator && repo::grant::administers_partner(db, subject, partner_id).await?;
    authz::partner_admin(scope, what, administers)
}
