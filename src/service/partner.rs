//! Partner use cases: create, update, and organization membership.

use entity::partner;

use super::{Actor, transaction};
use crate::access::check as access;
use crate::access::decide as authz;
use crate::domain as dom;
use crate::domain::change::NewChange;
use crate::domain::names::{PartnerName, Url};
use crate::error::{AppError, AppResult};
use crate::repo::partner::write::{self as rows, Fields};
use crate::repo::{self};

pub struct PartnerFields {
    pub name: Option<String>,
    /// `Some(None)` clears a URL.
    pub lms_url: Option<Option<String>>,
    pub studio_url: Option<Option<String>>,
    pub marketing_site_url: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Validated fields; `name_required` for a new partner.
fn fields(input: PartnerFields, name_required: bool) -> AppResult<Fields> {
    let check = |field: &str, v: Option<Option<String>>| -> AppResult<Option<Option<Url>>> {
        v.map(|inner| dom::url(field, inner)).transpose()
    };
    let name = match (input.name.as_deref(), name_required) {
        (None, true) => Some(""),
        (given, _) => given,
    };
    Ok(Fields {
        name: dom::parse_optional("input.name", name)?,
        lms_url: check("input.lmsUrl", input.lms_url)?,
        studio_url: check("input.studioUrl", input.studio_url)?,
        marketing_site_url: check("input.marketingSiteUrl", input.marketing_site_url)?,
        active: input.active,
    })
}

fn name_taken(name: &PartnerName) -> AppError {
    AppError::already_exists(format!("a partner is already named {:?}", name.as_str()))
}

pub async fn create(
    actor: Actor<'_>,
    short_code: &str,
    input: PartnerFields,
) -> AppResult<partner::Model> {
    let code = dom::partner_code("input.shortCode", short_code)?;
    let fields = fields(input, true)?;
    authz::require_admin(actor.scope, "creating a partner")?;
    authz::require_unrestricted_by_organizations(actor.scope, "creating a partner")?;
    let name = fields
        .name
        .clone()
        .ok_or_else(|| AppError::bad_input("input.name", "required"))?;
    transaction!(actor, |write| {
        if rows::name_taken(write.txn(), &name, None).await? {
            return Err(name_taken(&name));
        }
        let created = match rows::insert(write.txn(), &code, &name, fields.clone()).await {
            Ok(Some(created)) => created,
            Ok(None) => {
                return Err(AppError::already_exists(format!(
                    "partner {:?} already exists",
                    code.as_str()
                )));
            }
            Err(err) if repo::is_unique_violation(&err) => {
                return Err(AppError::already_exists(
                    "a partner with that short code or name already exists",
                ));
            }
            Err(err) => return Err(err.into()),
        };
        write.log(NewChange::partner(None, &created));
        Ok(created)
    })
}

pub async fn update(
    actor: Actor<'_>,
    short_code: &str,
    input: PartnerFields,
) -> AppResult<partner::Model> {
    let code = dom::partner_code("shortCode", short_code)?;
    let fields = fields(input, false)?;
    authz::require_subject(actor.scope)?;
    transaction!(actor, |write| {
        let existing = partner_or_not_found(write.txn(), actor, &code).await?;
        access::require_partner_admin(write.txn(), actor.scope, &existing).await?;
        if let Some(name) = &fields.name
            && rows::name_taken(write.txn(), name, Some(existing.id)).await?
        {
            return Err(name_taken(name));
        }
        let updated = rows::update(write.txn(), &existing, fields.clone()).await?;
        write.log(NewChange::partner(Some(&existing), &updated));
        Ok(updated)
    })
}

/// The partner named `code`, or NOT_FOUND when it is missing or hidden from the caller.
pub(super) async fn partner_or_not_found<C: sea_orm::ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    code: &dom::names::PartnerCode,
) -> AppResult<partner::Model> {
    access::partner(
        txn,
        actor.scope,
        rows::find(txn, code).await?,
        code.as_str(),
    )
    .await
}

/// Adds or removes a member organization. Adding needs an administrator, or PARTNER_ADMIN on
/// the partner together with ORG_ADMIN on the organization (a partner admin cannot annex
/// someone else's organization); removing needs PARTNER_ADMIN on the partner, and ends the
/// organization grants given on that partner's authority.
pub async fn set_membership(
    actor: Actor<'_>,
    short_code: &str,
    short_name: &str,
    member: bool,
) -> AppResult<partner::Model> {
    let code = dom::partner_code("partner", short_code)?;
    let name = dom::short_name("organization", short_name)?;
    authz::require_subject(actor.scope)?;
    transaction!(actor, |write| {
        let partner = partner_or_not_found(write.txn(), actor, &code).await?;
        let organization = super::organization::visible(write.txn(), actor, &name).await?;
        access::require_partner_admin(write.txn(), actor.scope, &partner).await?;
        let changed = if member {
            access::require_org_admin(write.txn(), actor.scope, &organization).await?;
            repo::membership::add_to_partner(write.txn(), partner.id, organization.id).await?
        } else {
            authz::require_filter_allows_row(actor.scope, &organization)?;
            repo::membership::remove_from_partner(write.txn(), partner.id, organization.id).await?
        };
        if changed {
            write.log(Some(NewChange::partner_membership(
                &partner,
                &organization,
                member,
            )));
        }
        if changed && !member {
            // Grants given on this partner's authority end with the membership, in its history.
            for ended in
                repo::grant::delete_through_partner(write.txn(), partner.id, organization.id)
                    .await?
            {
                write.log(Some(NewChange::grant(
                    &ended,
                    &organization.short_name,
                    false,
                )));
            }
        }
        Ok(partner)
    })
}
