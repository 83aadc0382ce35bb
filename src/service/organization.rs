//! Organization use cases: ensure (both modes), create, update, deactivate, reactivate.

use entity::organization;

use super::{Actor, text, url};
use crate::domain::names::ShortName;
use crate::domain::{authz, organization as org};
use crate::error::{AppError, AppResult};

/// Authorizes writing organization `name`: an existing one needs ORG_ADMIN on it; creating a
/// missing one needs an administrator (and auto-create mode; validate mode answers
/// ORGANIZATION_NOT_FOUND).
pub(super) async fn authorize_ensure<C: sea_orm::ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    name: &ShortName,
) -> AppResult<()> {
    authz::require_subject(actor.scope)?;
    authz::require_filter_allows(actor.scope, &name.key(), name.as_str())?;
    match org::find(txn, name).await? {
        Some(existing) if existing.active || actor.autocreate => {
            authz::require_org_admin(txn, actor.scope, &existing).await
        }
        _ if !actor.autocreate => Err(AppError::OrganizationNotFound {
            short_name: name.as_str().to_owned(),
        }),
        _ => authz::require_admin(actor.scope, "creating an organization"),
    }
}

pub async fn ensure(
    actor: Actor<'_>,
    name: &ShortName,
    display_name: Option<&str>,
) -> AppResult<org::Ensured> {
    let display_name = display_name.map(|n| text("name", n, 255)).transpose()?;
    let txn = crate::db::begin_write(actor.db).await?;
    authorize_ensure(&txn, actor, name).await?;
    let ensured = org::ensure(&txn, name, display_name.as_deref(), actor.autocreate).await?;
    txn.commit().await?;
    Ok(ensured)
}

pub struct NewOrganization {
    pub short_name: String,
    pub name: String,
    pub description: Option<String>,
    pub logo_url: Option<String>,
}

/// Creates an organization; creating an inactive one again reactivates it with its links
/// (unchanged, as edx-organizations does); an active one is ALREADY_EXISTS.
pub async fn create(actor: Actor<'_>, input: NewOrganization) -> AppResult<organization::Model> {
    let name = crate::domain::short_name("input.shortName", &input.short_name)?;
    let display = text("input.name", &input.name, 255)?;
    let logo_url = url("input.logoUrl", input.logo_url)?;
    authz::require_admin(actor.scope, "creating an organization")?;
    authz::require_filter_allows(actor.scope, &name.key(), name.as_str())?;
    let txn = crate::db::begin_write(actor.db).await?;
    let created = match org::find(&txn, &name).await? {
        Some(existing) if existing.active => return Err(already_exists(&existing)),
        Some(existing) => org::set_active(&txn, existing, true).await?,
        None => {
            let new = org::create(&txn, &name, &display, input.description, logo_url).await?;
            new.ok_or_else(|| {
                AppError::already_exists(format!("organization {:?} already exists", name.as_str()))
            })?
        }
    };
    txn.commit().await?;
    Ok(created)
}

fn already_exists(existing: &organization::Model) -> AppError {
    AppError::already_exists(format!(
        "organization {:?} already exists",
        existing.short_name
    ))
}

pub struct OrganizationChanges {
    pub name: Option<String>,
    /// `Some(None)` clears.
    pub description: Option<Option<String>>,
    pub logo_url: Option<Option<String>>,
}

pub async fn update(
    actor: Actor<'_>,
    short_name: &str,
    changes: OrganizationChanges,
) -> AppResult<organization::Model> {
    let name = crate::domain::short_name("shortName", short_name)?;
    let display = changes
        .name
        .map(|n| text("input.name", &n, 255))
        .transpose()?;
    let logo_url = match changes.logo_url {
        Some(v) => Some(url("input.logoUrl", v)?),
        None => None,
    };
    let txn = crate::db::begin_write(actor.db).await?;
    let existing = find_for_write(&txn, actor, &name).await?;
    org::update_details(&txn, existing.id, display, changes.description, logo_url).await?;
    let updated = org::find(&txn, &name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    txn.commit().await?;
    Ok(updated)
}

/// Soft delete: the organization and its course links become inactive.
pub async fn set_active(
    actor: Actor<'_>,
    short_name: &str,
    active: bool,
) -> AppResult<organization::Model> {
    let name = crate::domain::short_name("shortName", short_name)?;
    let txn = crate::db::begin_write(actor.db).await?;
    let existing = find_for_write(&txn, actor, &name).await?;
    let changed = if existing.active == active {
        existing
    } else {
        org::set_active(&txn, existing, active).await?
    };
    txn.commit().await?;
    Ok(changed)
}

/// The organization to change, after checking the caller may change it. A caller that may not
/// learn whether it exists gets the same answer as for a missing one.
async fn find_for_write<C: sea_orm::ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    name: &ShortName,
) -> AppResult<organization::Model> {
    authz::require_subject(actor.scope)?;
    let existing = org::find(txn, name).await?.ok_or_else(|| not_found(name))?;
    authz::require_org_admin(txn, actor.scope, &existing).await?;
    Ok(existing)
}

fn not_found(name: &ShortName) -> AppError {
    AppError::not_found(format!("no organization {:?}", name.as_str()))
}
