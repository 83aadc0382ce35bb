//! Site rows for the write side.

use chrono::Utc;
use entity::site;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use crate::domain::names::{Domain, SiteName};
use crate::error::{AppError, AppResult};

pub async fn find<C: ConnectionTrait>(db: &C, domain: &Domain) -> AppResult<Option<site::Model>> {
    Ok(site::Entity::find()
        .filter(site::Column::DomainKey.eq(domain.key()))
        .one(db)
        .await?)
}

/// A site's fields; on update `None` keeps a field (`partner: Some(None)` clears it). An insert
/// takes the name apart and ignores `name` here.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    pub name: Option<SiteName>,
    pub partner_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

/// Inserts a site named `name`; `None` when its domain exists.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    domain: &Domain,
    name: &SiteName,
    fields: Fields,
) -> AppResult<Option<site::Model>> {
    let now = Utc::now();
    let row = site::ActiveModel {
        domain: Set(domain.as_str().to_owned()),
        domain_key: Set(domain.key().into_string()),
        name: Set(name.as_str().to_owned()),
        partner_id: Set(fields.partner_id.flatten()),
        active: Set(fields.active.unwrap_or(true)),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    };
    let inserted = site::Entity::insert(row)
        .on_conflict_do_nothing_on([site::Column::DomainKey])
        .exec_without_returning(db)
        .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(None);
    }
    find(db, domain).await
}

/// Updates the fields that are `Some` and returns the row as written.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    existing: &site::Model,
    fields: Fields,
) -> AppResult<site::Model> {
    let mut update = site::Entity::update_many()
        .col_expr(site::Column::Modified, Expr::value(Utc::now()))
        .filter(site::Column::Id.eq(existing.id));
    if let Some(partner_id) = fields.partner_id {
        update = update.col_expr(site::Column::PartnerId, Expr::value(partner_id));
    }
    if let Some(name) = fields.name {
        update = update.col_expr(site::Column::Name, Expr::value(name.into_string()));
    }
    if let Some(active) = fields.active {
        update = update.col_expr(site::Column::Active, Expr::value(active));
    }
    update.exec(db).await?;
    site::Entity::find_by_id(existing.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("site {} vanished", existing.domain)))
}
