//! Site use cases: create, update (including its partner), and the organizations it presents.

use entity::site;
use sea_orm::ConnectionTrait;

use super::{Actor, transaction};
use crate::access::check as access;
use crate::access::decide as authz;
use crate::domain as dom;
use crate::domain::change::NewChange;
use crate::domain::names::SiteName;
use crate::error::{AppError, AppResult};
use crate::repo::partner::write as partners;
use crate::repo::site::write::{self as rows, Fields};
use crate::repo::{self};

pub struct SiteFields {
    pub name: Option<String>,
    /// `Some(None)` clears the partner.
    pub partner: Option<Option<String>>,
    pub active: Option<bool>,
}

/// The partner named by `input.partner`: (id, short code); an unknown code is a user error.
async fn partner_ref<C: ConnectionTrait>(
    txn: &C,
    partner: Option<&str>,
) -> AppResult<Option<(i64, String)>> {
    let Some(code) = partner else {
        return Ok(None);
    };
    let code = dom::partner_code("input.partner", code)?;
    let found = partners::find(txn, &code).await?;
    found.map(|p| Some((p.id, p.short_code))).ok_or_else(|| {
        AppError::bad_input("input.partner", format!("no partner {:?}", code.as_str()))
    })
}

/// The short code of a site's partner, for its change log record.
async fn partner_code_of<C: ConnectionTrait>(
    txn: &C,
    s: &site::Model,
) -> AppResult<Option<String>> {
    match s.partner_id {
        None => Ok(None),
        Some(id) => Ok(partners::find_by_id(txn, id).await?.map(|p| p.short_code)),
    }
}

pub async fn create(actor: Actor<'_>, domain: &str, fields: SiteFields) -> AppResult<site::Model> {
    let domain = dom::domain("input.domain", domain)?;
    let name: SiteName = dom::parse("input.name", fields.name.as_deref().unwrap_or_default())?;
    authz::require_admin(actor.scope, "creating a site")?;
    authz::require_unrestricted_by_organizations(actor.scope, "creating a site")?;
    transaction!(actor, |write| {
        let partner = partner_ref(write.txn(), fields.partner.clone().flatten().as_deref()).await?;
        let row = Fields {
            name: None,
            partner_id: Some(partner.as_ref().map(|p| p.0)),
            active: fields.active,
        };
        let created = rows::insert(write.txn(), &domain, &name, row)
            .await?
            .ok_or_else(|| {
                AppError::already_exists(format!("site {:?} already exists", domain.as_str()))
            })?;
        let code = partner.map(|p| p.1);
        write.log(NewChange::site(None, (&created, code.as_deref())));
        Ok(created)
    })
}

/// Updates a site. PARTNER_ADMIN of its partner may rename or (de)activate it; moving it to
/// another partner or clearing its partner needs an administrator.
pub async fn update(actor: Actor<'_>, domain: &str, fields: SiteFields) -> AppResult<site::Model> {
    let domain = dom::domain("domain", domain)?;
    let name: Option<SiteName> = dom::parse_optional("input.name", fields.name.as_deref())?;
    authz::require_subject(actor.scope)?;
    transaction!(actor, |write| {
        let existing = site_or_not_found(write.txn(), actor, &domain).await?;
        access::require_site_admin(write.txn(), actor.scope, &existing).await?;
        let mut row = Fields {
            name: name.clone(),
            partner_id: None,
            active: fields.active,
        };
        if let Some(partner) = &fields.partner {
            let new_partner = partner_ref(write.txn(), partner.as_deref())
                .await?
                .map(|p| p.0);
            if new_partner != existing.partner_id {
                authz::require_admin(actor.scope, "moving a site to another partner")?;
            }
            row.partner_id = Some(new_partner);
        }
        let before_code = partner_code_of(write.txn(), &existing).await?;
        let updated = rows::update(write.txn(), &existing, row).await?;
        let after_code = partner_code_of(write.txn(), &updated).await?;
        write.log(NewChange::site(
            Some((&existing, before_code.as_deref())),
            (&updated, after_code.as_deref()),
        ));
        Ok(updated)
    })
}

/// The site named `domain`, or NOT_FOUND when it is missing or hidden from the caller.
async fn site_or_not_found<C: ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    domain: &dom::names::Domain,
) -> AppResult<site::Model> {
    access::site(
        txn,
        actor.scope,
        rows::find(txn, domain).await?,
        domain.as_str(),
    )
    .await
}

/// Adds or removes an organization the site presents. Needs an administrator, or PARTNER_ADMIN
/// of the site's partner; adding also needs the organization to be a member of that partner
/// unless the caller is an administrator.
pub async fn set_presented(
    actor: Actor<'_>,
    domain: &str,
    short_name: &str,
    presented: bool,
) -> AppResult<site::Model> {
    let domain = dom::domain("site", domain)?;
    let name = dom::short_name("organization", short_name)?;
    authz::require_subject(actor.scope)?;
    transaction!(actor, |write| {
        let site = site_or_not_found(write.txn(), actor, &domain).await?;
        let organization = super::organization::visible(write.txn(), actor, &name).await?;
        access::require_site_admin(write.txn(), actor.scope, &site).await?;
        authz::require_filter_allows_row(actor.scope, &organization)?;
        let changed = if presented {
            access::require_member_of_site_partner(write.txn(), actor.scope, &site, &organization)
                .await?;
            repo::membership::add_to_site(write.txn(), site.id, organization.id).await?
        } else {
            repo::membership::remove_from_site(write.txn(), site.id, organization.id).await?
        };
        if changed {
            write.log(Some(NewChange::site_membership(
                &site,
                &organization,
                presented,
            )));
        }
        Ok(site)
    })
}
