//! Authorization inside a write transaction: the grants a caller holds come from `repo::grant`,
//! the decision from `domain::authz`.

use entity::{organization, partner, site};
use sea_orm::ConnectionTrait;

use crate::domain::authz;
use crate::domain::scope::Scope;
use crate::error::AppResult;
use crate::repo;

/// ORG_ADMIN on the organization, PARTNER_ADMIN on a partner it belongs to, or administrator;
/// always within the token's organization filter.
pub async fn require_org_admin<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    org: &organization::Model,
) -> AppResult<()> {
    let subject = authz::require_subject(scope)?;
    authz::require_filter_allows(scope, &org.short_name_key, &org.short_name)?;
    let administers =
        !scope.administrator && repo::grant::administers_organization(db, subject, org.id).await?;
    authz::org_admin(scope, &org.short_name, administers)
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
