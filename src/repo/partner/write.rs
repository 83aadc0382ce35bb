//! Partner rows for the write side.

use chrono::Utc;
use entity::partner;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use crate::domain::names::{PartnerCode, PartnerName, Url};
use crate::error::{AppError, AppResult};

pub async fn find<C: ConnectionTrait>(
    db: &C,
    code: &PartnerCode,
) -> AppResult<Option<partner::Model>> {
    Ok(partner::Entity::find()
        .filter(partner::Column::ShortCodeKey.eq(code.key()))
        .one(db)
        .await?)
}

pub async fn find_by_id<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<Option<partner::Model>> {
    Ok(partner::Entity::find_by_id(id).one(db).await?)
}

/// Whether another partner than `except` has this name (by its key).
pub async fn name_taken<C: ConnectionTrait>(
    db: &C,
    name: &PartnerName,
    except: Option<i64>,
) -> AppResult<bool> {
    let mut q = partner::Entity::find().filter(partner::Column::NameKey.eq(name.key()));
    if let Some(id) = except {
        q = q.filter(partner::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

/// A partner's fields; on update `None` keeps a field and an inner `None` clears a URL. An
/// insert takes the name apart (a new partner must have one) and ignores `name` here.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    pub name: Option<PartnerName>,
    pub lms_url: Option<Option<Url>>,
    pub studio_url: Option<Option<Url>>,
    pub marketing_site_url: Option<Option<Url>>,
    pub active: Option<bool>,
}

/// Inserts a partner named `name`; `None` when its short code exists. A taken name is a unique
/// violation that the caller reports.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    code: &PartnerCode,
    name: &PartnerName,
    fields: Fields,
) -> Result<Option<partner::Model>, sea_orm::DbErr> {
    let now = Utc::now();
    let url = |u: Option<Option<Url>>| u.flatten().map(Url::into_string);
    let row = partner::ActiveModel {
        short_code: Set(code.as_str().to_owned()),
        short_code_key: Set(code.key().into_string()),
        name_key: Set(name.key().into_string()),
        name: Set(name.as_str().to_owned()),
        lms_url: Set(url(fields.lms_url)),
        studio_url: Set(url(fields.studio_url)),
        marketing_site_url: Set(url(fields.marketing_site_url)),
        active: Set(fields.active.unwrap_or(true)),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    };
    // The unique indexes on the case-folded code and the name decide races.
    let inserted = partner::Entity::insert(row)
        .on_conflict_do_nothing_on([partner::Column::ShortCodeKey])
        .exec_without_returning(db)
        .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(None);
    }
    partner::Entity::find()
        .filter(partner::Column::ShortCodeKey.eq(code.key()))
        .one(db)
        .await
}

/// Updates the fields that are `Some` and returns the row as written.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    existing: &partner::Model,
    fields: Fields,
) -> AppResult<partner::Model> {
    let mut update = partner::Entity::update_many()
        .col_expr(partner::Column::Modified, Expr::value(Utc::now()))
        .filter(partner::Column::Id.eq(existing.id));
    if let Some(name) = fields.name {
        update = update
            .col_expr(partner::Column::NameKey, Expr::value(name.key()))
            .col_expr(partner::Column::Name, Expr::value(name.as_str().to_owned()));
    }
    for (col, value) in [
        (partner::Column::LmsUrl, fields.lms_url),
        (partner::Column::StudioUrl, fields.studio_url),
        (partner::Column::MarketingSiteUrl, fields.marketing_site_url),
    ] {
        if let Some(value) = value {
            update = update.col_expr(col, Expr::value(value.map(Url::into_string)));
        }
    }
    if let Some(active) = fields.active {
        update = update.col_expr(partner::Column::Active, Expr::value(active));
    }
    update.exec(db).await?;
    find_by_id(db, existing.id).await?.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("partner {} vanished", existing.short_code))
    })
}
