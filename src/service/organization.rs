//! Organization use cases: ensure (both modes), create, update, deactivate, reactivate.

use entity::organization;
use sea_orm::ConnectionTrait;

use super::{Actor, Write, transaction};
use crate::access::check as access;
use crate::access::decide as authz;
use crate::domain as dom;
use crate::domain::change::NewChange;
use crate::domain::names::{Description, OrganizationName, ShortName};
use crate::error::{AppError, AppResult};
use crate::repo::organization::write::{self as rows, Details, NewRow};
use crate::repo::{self};

/// What `ensure` did.
#[derive(Clone, Debug)]
pub struct Ensured {
    pub organization: organization::Model,
    pub created: bool,
    pub reactivated: bool,
}

/// Authorizes writing organization `name`: an existing one needs ORG_ADMIN on it; creating a
/// missing one needs an administrator (and auto-create mode; validate mode answers
/// ORGANIZATION_NOT_FOUND).
pub(super) async fn authorize_ensure<C: ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    name: &ShortName,
) -> AppResult<()> {
    authz::require_subject(actor.scope)?;
    authz::require_filter_allows(actor.scope, name)?;
    // An organization the caller may not see is answered as a missing one.
    let existing = match rows::find(txn, name).await? {
        Some(org) if access::sees_organization(txn, actor.scope, &org).await? => Some(org),
        _ => None,
    };
    match existing {
        Some(existing) if existing.active || actor.autocreate => {
            access::require_org_admin(txn, actor.scope, &existing).await
        }
        _ if !actor.autocreate => Err(not_in_validate_mode(name)),
        _ => authz::require_admin(actor.scope, "creating an organization"),
    }
}

fn not_in_validate_mode(name: &ShortName) -> AppError {
    AppError::OrganizationNotFound {
        short_name: name.as_str().to_owned(),
    }
}

/// The organization named `name`, made to exist and be active, inside `write`.
///
/// Auto-create mode creates a missing organization (named `display_name`, or its short name)
/// and reactivates an inactive one together with its course links. Validate mode treats the
/// table as authoritative: a missing or inactive organization is `ORGANIZATION_NOT_FOUND`.
pub(super) async fn ensure_in(
    write: &mut Write,
    name: &ShortName,
    display_name: Option<&OrganizationName>,
    autocreate: bool,
) -> AppResult<Ensured> {
    if autocreate {
        let display_name = match display_name {
            Some(given) => given.clone(),
            None => OrganizationName::from(name),
        };
        let new = NewRow {
            name,
            display_name: &display_name,
            description: None,
            logo_url: None,
            active: true,
        };
        if let Some(created) = rows::insert_if_absent(write.txn(), new).await? {
            write.log(NewChange::organization(None, &created));
            return Ok(Ensured {
                organization: created,
                created: true,
                reactivated: false,
            });
        }
    }
    let organization = rows::find(write.txn(), name)
        .await?
        .ok_or_else(|| not_in_validate_mode(name))?;
    if organization.active {
        return Ok(Ensured {
            organization,
            created: false,
            reactivated: false,
        });
    }
    if !autocreate {
        return Err(not_in_validate_mode(name));
    }
    Ok(Ensured {
        organization: set_active_in(write, &organization, true).await?,
        created: false,
        reactivated: true,
    })
}

/// (De)activates an organization together with its course links, logging each change.
pub(super) async fn set_active_in(
    write: &mut Write,
    organization: &organization::Model,
    active: bool,
) -> AppResult<organization::Model> {
    let changed = rows::set_active(write.txn(), organization, active).await?;
    write.log(NewChange::organization(Some(organization), &changed));
    let keys = repo::course::write::set_active_of(write.txn(), organization.id, active).await?;
    // A link is public while its organization is active: before a deactivation, after a
    // reactivation.
    let public_side = if active { &changed } else { organization };
    for key in keys {
        write.log(NewChange::course_link(
            public_side,
            &key,
            Some(!active),
            active,
        ));
    }
    Ok(changed)
}

pub async fn ensure(
    actor: Actor<'_>,
    name: &ShortName,
    display_name: Option<&str>,
) -> AppResult<Ensured> {
    let display_name: Option<OrganizationName> = dom::parse_optional("name", display_name)?;
    transaction!(actor, |write| {
        authorize_ensure(write.txn(), actor, name).await?;
        let ensured = ensure_in(write, name, display_name.as_ref(), actor.autocreate).await?;
        Ok(ensured)
    })
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
    let name = dom::short_name("input.shortName", &input.short_name)?;
    let display: OrganizationName = dom::parse("input.name", &input.name)?;
    let logo_url = dom::url("input.logoUrl", input.logo_url)?;
    let description: Option<Description> =
        dom::parse_optional("input.description", input.description.as_deref())?;
    authz::require_admin(actor.scope, "creating an organization")?;
    authz::require_filter_allows(actor.scope, &name)?;
    transaction!(actor, |write| {
        let created = match rows::find(write.txn(), &name).await? {
            Some(existing) if existing.active => return Err(already_exists(&name)),
            Some(existing) => set_active_in(write, &existing, true).await?,
            None => {
                let new = NewRow {
                    name: &name,
                    display_name: &display,
                    description: description.clone(),
                    logo_url: logo_url.clone(),
                    active: true,
                };
                let created = rows::insert_if_absent(write.txn(), new)
                    .await?
                    .ok_or_else(|| already_exists(&name))?;
                write.log(NewChange::organization(None, &created));
                created
            }
        };
        Ok(created)
    })
}

fn already_exists(name: &ShortName) -> AppError {
    AppError::already_exists(format!("organization {:?} already exists", name.as_str()))
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
    let name = dom::short_name("shortName", short_name)?;
    let details = Details {
        name: dom::parse_optional("input.name", changes.name.as_deref())?,
        description: match changes.description {
            Some(v) => Some(dom::parse_optional("input.description", v.as_deref())?),
            None => None,
        },
        logo_url: match changes.logo_url {
            Some(v) => Some(dom::url("input.logoUrl", v)?),
            None => None,
        },
    };
    transaction!(actor, |write| {
        let existing = find_for_write(write.txn(), actor, &name).await?;
        let updated = rows::update_details(write.txn(), &existing, details.clone()).await?;
        write.log(NewChange::organization(Some(&existing), &updated));
        Ok(updated)
    })
}

/// Soft delete (`active: false`): the organization and its course links become inactive;
/// `active: true` brings them back.
pub async fn set_active(
    actor: Actor<'_>,
    short_name: &str,
    active: bool,
) -> AppResult<organization::Model> {
    let name = dom::short_name("shortName", short_name)?;
    transaction!(actor, |write| {
        let existing = find_for_write(write.txn(), actor, &name).await?;
        let changed = if existing.active == active {
            existing
        } else {
            set_active_in(write, &existing, active).await?
        };
        Ok(changed)
    })
}

/// The organization to change, after checking the caller may change it.
pub(super) async fn find_for_write<C: ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    name: &ShortName,
) -> AppResult<organization::Model> {
    authz::require_subject(actor.scope)?;
    let existing = visible(txn, actor, name).await?;
    access::require_org_admin(txn, actor.scope, &existing).await?;
    Ok(existing)
}

/// The organization named `name`, or NOT_FOUND when it is missing or hidden from the caller.
pub(super) async fn visible<C: ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    name: &ShortName,
) -> AppResult<organization::Model> {
    access::organization(
        txn,
        actor.scope,
        rows::find(txn, name).await?,
        name.as_str(),
    )
    .await
}
