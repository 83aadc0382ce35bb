//! Organization rows: lookups for the write side, inserts that tolerate races, updates.
//!
//! An insert that meets the unique key does nothing and the row is then read back, so concurrent
//! ensures of one new short name create exactly one row.

use chrono::Utc;
use entity::organization;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use crate::domain::names::{Description, Key, OrganizationName, ShortName, Url};
use crate::error::{AppError, AppResult};

/// An organization by short name (case-insensitively), whether visible or not.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    name: &ShortName,
) -> AppResult<Option<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::ShortNameKey.eq(name.key()))
        .one(db)
        .await?)
}

/// The organization just written, which must exist.
pub async fn get<C: ConnectionTrait>(db: &C, name: &ShortName) -> AppResult<organization::Model> {
    find(db, name).await?.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "organization {:?} vanished inside its transaction",
            name.as_str()
        ))
    })
}

/// What a new organization holds.
pub struct NewRow<'a> {
    pub name: &'a ShortName,
    pub display_name: &'a OrganizationName,
    pub description: Option<Description>,
    pub logo_url: Option<Url>,
    pub active: bool,
}

impl NewRow<'_> {
    fn row(&self, now: chrono::DateTime<Utc>) -> organization::ActiveModel {
        organization::ActiveModel {
            short_name: Set(self.name.as_str().to_owned()),
            short_name_key: Set(self.name.key().into_string()),
            name: Set(self.display_name.as_str().to_owned()),
            description: Set(self.description.clone().map(Description::into_string)),
            logo_url: Set(self.logo_url.clone().map(Url::into_string)),
            active: Set(self.active),
            created: Set(now),
            modified: Set(now),
            ..Default::default()
        }
    }
}

/// Inserts the organization unless its short name (case-insensitively) exists; the new row, or
/// `None` when it existed.
pub async fn insert_if_absent<C: ConnectionTrait>(
    db: &C,
    new: NewRow<'_>,
) -> AppResult<Option<organization::Model>> {
    let row = new.row(Utc::now());
    let result = organization::Entity::insert(row)
        .on_conflict_do_nothing_on([organization::Column::ShortNameKey])
        .exec_without_returning(db)
        .await?;
    if matches!(result, TryInsertResult::Inserted(n) if n > 0) {
        Ok(Some(get(db, new.name).await?))
    } else {
        Ok(None)
    }
}

/// Inserts many organizations, many per statement, skipping any whose short name exists; the
/// new rows, by case-folded short name.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    new: &[NewRow<'_>],
) -> AppResult<std::collections::HashMap<String, organization::Model>> {
    let now = Utc::now();
    let mut inserted = std::collections::HashMap::with_capacity(new.len());
    // Nine parameters a row: well under SQLite's 32,766.
    for chunk in new.chunks(1000) {
        let rows = chunk.iter().map(|new| new.row(now));
        let result = organization::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([organization::Column::ShortNameKey])
            .exec_with_returning_many(db)
            .await?;
        if let TryInsertResult::Inserted(rows) = result {
            inserted.extend(rows.into_iter().map(|o| (o.short_name_key.clone(), o)));
        }
    }
    Ok(inserted)
}

/// Sets the organization's `active` flag (its course links are `course::set_active_of`).
pub async fn set_active<C: ConnectionTrait>(
    db: &C,
    organization: &organization::Model,
    active: bool,
) -> AppResult<organization::Model> {
    let now = Utc::now();
    organization::Entity::update_many()
        .col_expr(organization::Column::Active, Expr::value(active))
        .col_expr(organization::Column::Modified, Expr::value(now))
        .filter(organization::Column::Id.eq(organization.id))
        .exec(db)
        .await?;
    Ok(organization::Model {
        active,
        modified: now,
        ..organization.clone()
    })
}

/// The descriptive fields to change; `None` keeps, an inner `None` clears an optional field.
#[derive(Clone, Default)]
pub struct Details {
    pub name: Option<OrganizationName>,
    pub description: Option<Option<Description>>,
    pub logo_url: Option<Option<Url>>,
}

/// Updates the descriptive fields and returns the row as written.
pub async fn update_details<C: ConnectionTrait>(
    db: &C,
    existing: &organization::Model,
    details: Details,
) -> AppResult<organization::Model> {
    let now = Utc::now();
    let mut row = existing.clone();
    let mut update = organization::Entity::update_many()
        .col_expr(organization::Column::Modified, Expr::value(now))
        .filter(organization::Column::Id.eq(existing.id));
    if let Some(name) = details.name {
        let name = name.into_string();
        update = update.col_expr(organization::Column::Name, Expr::value(name.clone()));
        row.name = name;
    }
    if let Some(description) = details.description {
        let description = description.map(Description::into_string);
        update = update.col_expr(
            organization::Column::Description,
            Expr::value(description.clone()),
        );
        row.description = description;
    }
    if let Some(logo_url) = details.logo_url {
        let logo_url = logo_url.map(Url::into_string);
        update = update.col_expr(organization::Column::LogoUrl, Expr::value(logo_url.clone()));
        row.logo_url = logo_url;
    }
    update.exec(db).await?;
    row.modified = now;
    Ok(row)
}

/// Gives the organization a new short name (the REST API's PUT renames this way).
pub async fn rename<C: ConnectionTrait>(
    db: &C,
    existing: &organization::Model,
    name: &ShortName,
) -> AppResult<organization::Model> {
    let now = Utc::now();
    organization::Entity::update_many()
        .col_expr(
            organization::Column::ShortName,
            Expr::value(name.as_str().to_owned()),
        )
        .col_expr(organization::Column::ShortNameKey, Expr::value(name.key()))
        .col_expr(organization::Column::Modified, Expr::value(now))
        .filter(organization::Column::Id.eq(existing.id))
        .exec(db)
        .await?;
    Ok(organization::Model {
        short_name: name.as_str().to_owned(),
        short_name_key: name.key().into_string(),
        modified: now,
        ..existing.clone()
    })
}

/// Organizations by folded short name, many per statement (import reads them at once); the map
/// is keyed by the stored key, which a `Key` finds (`Key: Borrow<str>`).
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    keys: &[Key],
) -> AppResult<std::collections::HashMap<String, organization::Model>> {
    let mut found = std::collections::HashMap::new();
    for chunk in keys.chunks(500) {
        let rows = organization::Entity::find()
            .filter(organization::Column::ShortNameKey.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|o| (o.short_name_key.clone(), o)));
    }
    Ok(found)
}
