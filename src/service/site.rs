//! Site use cases: create, update (including its partner), and the organizations it presents.

use chrono::Utc;
use entity::site;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TryInsertResult};

use super::{Actor, text};
use crate::domain::{authz, directory, organization as org};
use crate::error::{AppError, AppResult};

pub struct SiteFields {
    pub name: Option<String>,
    /// `Some(None)` clears the partner.
    pub partner: Option<Option<String>>,
    pub active: Option<bool>,
}

async fn partner_id<C: sea_orm::ConnectionTrait>(
    txn: &C,
    partner: Option<&str>,
) -> AppResult<Option<i64>> {
    match partner {
        None => Ok(None),
        Some(code) => {
            let code = crate::domain::partner_code("input.partner", code)?;
            let found = directory::find_partner(txn, &code).await?;
            found.map(|p| Some(p.id)).ok_or_else(|| {
                AppError::bad_input("input.partner", format!("no partner {:?}", code.as_str()))
            })
        }
    }
}

pub async fn create(actor: Actor<'_>, domain: &str, fields: SiteFields) -> AppResult<site::Model> {
    let domain = crate::domain::domain("input.domain", domain)?;
    let name = text("input.name", fields.name.as_deref().unwrap_or_default(), 50)?;
    authz::require_admin(actor.scope, "creating a site")?;
    let txn = crate::db::begin_write(actor.db).await?;
    let partner_id = partner_id(&txn, fields.partner.flatten().as_deref()).await?;
    let now = Utc::now();
    let row = site::ActiveModel {
        domain: Set(domain.as_str().to_owned()),
        domain_key: Set(domain.key()),
        name: Set(name),
        partner_id: Set(partner_id),
        active: Set(fields.active.unwrap_or(true)),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    };
    let inserted = site::Entity::insert(row)
        .on_conflict_do_nothing_on([site::Column::DomainKey])
        .exec_without_returning(&txn)
        .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Err(AppError::already_exists(format!(
            "site {:?} already exists",
            domain.as_str()
        )));
    }
    let created = directory::site_or_not_found(&txn, &domain).await?;
    txn.commit().await?;
    Ok(created)
}

/// Updates a site. PARTNER_ADMIN of its partner may rename or (de)activate it; moving it to
/// another partner or clearing its partner needs an administrator.
pub async fn update(actor: Actor<'_>, domain: &str, fields: SiteFields) -> AppResult<site::Model> {
    let domain = crate::domain::domain("domain", domain)?;
    let name = fields
        .name
        .as_deref()
        .map(|n| text("input.name", n, 50))
        .transpose()?;
    authz::require_subject(actor.scope)?;
    let txn = crate::db::begin_write(actor.db).await?;
    let existing = directory::site_or_not_found(&txn, &domain).await?;
    require_site_admin(&txn, actor, &existing).await?;
    let mut update = site::Entity::update_many()
        .col_expr(site::Column::Modified, Expr::value(Utc::now()))
        .filter(site::Column::Id.eq(existing.id));
    if let Some(partner) = fields.partner {
        let new_partner = partner_id(&txn, partner.as_deref()).await?;
        if new_partner != existing.partner_id {
            authz::require_admin(actor.scope, "moving a site to another partner")?;
        }
        update = update.col_expr(site::Column::PartnerId, Expr::value(new_partner));
    }
    if let Some(name) = name {
        update = update.col_expr(site::Column::Name, Expr::value(name));
    }
    if let Some(active) = fields.active {
        update = update.col_expr(site::Column::Active, Expr::value(active));
    }
    update.exec(&txn).await?;
    let updated = directory::site_or_not_found(&txn, &domain).await?;
    txn.commit().await?;
    Ok(updated)
}

async fn require_site_admin<C: sea_orm::ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    site: &site::Model,
) -> AppResult<()> {
    match site.partner_id {
        Some(partner_id) => {
            authz::require_partner_admin(txn, actor.scope, partner_id, &site.domain).await
        }
        None => authz::require_admin(actor.scope, "changing a site without a partner"),
    }
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
    let domain = crate::domain::domain("site", domain)?;
    let name = crate::domain::short_name("organization", short_name)?;
    authz::require_subject(actor.scope)?;
    let txn = crate::db::begin_write(actor.db).await?;
    let site = directory::site_or_not_found(&txn, &domain).await?;
    let organization = org::find(&txn, &name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no organization {:?}", name.as_str())))?;
    require_site_admin(&txn, actor, &site).await?;
    authz::require_filter_allows(
        actor.scope,
        &organization.short_name_key,
        &organization.short_name,
    )?;
    if presented {
        if let (false, Some(partner_id)) = (actor.scope.administrator, site.partner_id)
            && !directory::is_member(&txn, partner_id, organization.id).await?
        {
            return Err(AppError::Forbidden {
                message: format!(
                    "{:?} is not a member of this site's partner",
                    organization.short_name
                ),
            });
        }
        directory::add_to_site(&txn, site.id, organization.id).await?;
    } else {
        directory::remove_from_site(&txn, site.id, organization.id).await?;
    }
    txn.commit().await?;
    Ok(site)
}
