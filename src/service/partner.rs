//! Partner use cases: create, update, and organization membership.

use chrono::Utc;
use entity::partner;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use super::{Actor, text, url};
use crate::domain::{authz, directory, organization as org};
use crate::error::{AppError, AppResult};

pub struct PartnerFields {
    pub name: Option<String>,
    /// `Some(None)` clears a URL.
    pub lms_url: Option<Option<String>>,
    pub studio_url: Option<Option<String>>,
    pub marketing_site_url: Option<Option<String>>,
    pub active: Option<bool>,
}

fn urls(fields: &PartnerFields) -> AppResult<[Option<Option<String>>; 3]> {
    let check = |field: &str, v: &Option<Option<String>>| -> AppResult<Option<Option<String>>> {
        v.clone().map(|inner| url(field, inner)).transpose()
    };
    Ok([
        check("input.lmsUrl", &fields.lms_url)?,
        check("input.studioUrl", &fields.studio_url)?,
        check("input.marketingSiteUrl", &fields.marketing_site_url)?,
    ])
}

async fn name_taken<C: ConnectionTrait>(
    db: &C,
    name: &str,
    except: Option<i64>,
) -> AppResult<bool> {
    let mut q = partner::Entity::find().filter(partner::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(partner::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

pub async fn create(
    actor: Actor<'_>,
    short_code: &str,
    fields: PartnerFields,
) -> AppResult<partner::Model> {
    let code = crate::domain::partner_code("input.shortCode", short_code)?;
    let name = text(
        "input.name",
        fields.name.as_deref().unwrap_or_default(),
        128,
    )?;
    let [lms, studio, marketing] = urls(&fields)?;
    authz::require_admin(actor.scope, "creating a partner")?;
    let txn = crate::db::begin_write(actor.db).await?;
    if name_taken(&txn, &name, None).await? {
        return Err(AppError::already_exists(format!(
            "a partner is already named {name:?}"
        )));
    }
    let now = Utc::now();
    let row = partner::ActiveModel {
        short_code: Set(code.as_str().to_owned()),
        short_code_key: Set(code.key()),
        name: Set(name),
        lms_url: Set(lms.flatten()),
        studio_url: Set(studio.flatten()),
        marketing_site_url: Set(marketing.flatten()),
        active: Set(fields.active.unwrap_or(true)),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    };
    // The unique indexes on the case-folded code and the name decide races.
    let inserted = partner::Entity::insert(row)
        .on_conflict_do_nothing_on([partner::Column::ShortCodeKey])
        .exec_without_returning(&txn)
        .await;
    match inserted {
        Ok(TryInsertResult::Inserted(n)) if n > 0 => {}
        Ok(_) => {
            return Err(AppError::already_exists(format!(
                "partner {:?} already exists",
                code.as_str()
            )));
        }
        Err(err) if is_unique_violation(&err) => {
            return Err(AppError::already_exists(
                "a partner with that short code or name already exists",
            ));
        }
        Err(err) => return Err(err.into()),
    }
    let created = directory::partner_or_not_found(&txn, &code).await?;
    txn.commit().await?;
    Ok(created)
}

fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

pub async fn update(
    actor: Actor<'_>,
    short_code: &str,
    fields: PartnerFields,
) -> AppResult<partner::Model> {
    let code = crate::domain::partner_code("shortCode", short_code)?;
    let name = fields
        .name
        .as_deref()
        .map(|n| text("input.name", n, 128))
        .transpose()?;
    let [lms, studio, marketing] = urls(&fields)?;
    authz::require_subject(actor.scope)?;
    let txn = crate::db::begin_write(actor.db).await?;
    let existing = directory::partner_or_not_found(&txn, &code).await?;
    authz::require_partner_admin(&txn, actor.scope, existing.id, &existing.short_code).await?;
    if let Some(name) = &name
        && name_taken(&txn, name, Some(existing.id)).await?
    {
        return Err(AppError::already_exists(format!(
            "a partner is already named {name:?}"
        )));
    }
    let mut update = partner::Entity::update_many()
        .col_expr(partner::Column::Modified, Expr::value(Utc::now()))
        .filter(partner::Column::Id.eq(existing.id));
    if let Some(name) = name {
        update = update.col_expr(partner::Column::Name, Expr::value(name));
    }
    for (col, value) in [
        (partner::Column::LmsUrl, lms),
        (partner::Column::StudioUrl, studio),
        (partner::Column::MarketingSiteUrl, marketing),
    ] {
        if let Some(value) = value {
            update = update.col_expr(col, Expr::value(value));
        }
    }
    if let Some(active) = fields.active {
        update = update.col_expr(partner::Column::Active, Expr::value(active));
    }
    update.exec(&txn).await?;
    let updated = directory::partner_or_not_found(&txn, &code).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Adds or removes a member organization. Adding needs an administrator, or PARTNER_ADMIN on
/// the partner together with ORG_ADMIN on the organization (a partner admin cannot annex
/// someone else's organization); removing needs PARTNER_ADMIN on the partner.
pub async fn set_membership(
    actor: Actor<'_>,
    short_code: &str,
    short_name: &str,
    member: bool,
) -> AppResult<partner::Model> {
    let code = crate::domain::partner_code("partner", short_code)?;
    let name = crate::domain::short_name("organization", short_name)?;
    authz::require_subject(actor.scope)?;
    let txn = crate::db::begin_write(actor.db).await?;
    let partner = directory::partner_or_not_found(&txn, &code).await?;
    let organization = org::find(&txn, &name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no organization {:?}", name.as_str())))?;
    authz::require_partner_admin(&txn, actor.scope, partner.id, &partner.short_code).await?;
    if member {
        authz::require_org_admin(&txn, actor.scope, &organization).await?;
        directory::add_to_partner(&txn, partner.id, organization.id).await?;
    } else {
        authz::require_filter_allows(
            actor.scope,
            &organization.short_name_key,
            &organization.short_name,
        )?;
        directory::remove_from_partner(&txn, partner.id, organization.id).await?;
    }
    txn.commit().await?;
    Ok(partner)
}
