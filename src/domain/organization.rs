//! Organization rules: ensure (both modes), create, update, soft delete and reactivation.
//!
//! Writes tolerate races: an insert that meets the unique key does nothing, and the row is then
//! read back, so concurrent ensures of one new short name create exactly one row.

use chrono::Utc;
use entity::{course_link, organization};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use super::names::ShortName;
use crate::error::{AppError, AppResult};

/// What `ensure` did.
#[derive(Clone, Debug)]
pub struct Ensured {
    pub organization: organization::Model,
    pub created: bool,
    pub reactivated: bool,
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    name: &ShortName,
) -> AppResult<Option<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::ShortNameKey.eq(name.key()))
        .one(db)
        .await?)
}

/// Inserts the organization unless its short name (case-insensitively) exists; true if inserted.
async fn insert_if_absent<C: ConnectionTrait>(
    db: &C,
    name: &ShortName,
    display_name: &str,
    active: bool,
) -> AppResult<bool> {
    let now = Utc::now();
    let row = organization::ActiveModel {
        short_name: Set(name.as_str().to_owned()),
        short_name_key: Set(name.key()),
        name: Set(display_name.to_owned()),
        description: Set(None),
        logo_url: Set(None),
        active: Set(active),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    };
    let result = organization::Entity::insert(row)
        .on_conflict_do_nothing_on([organization::Column::ShortNameKey])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(result, TryInsertResult::Inserted(n) if n > 0))
}

/// Inserts a new organization with its details; `None` if the short name is taken.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    name: &ShortName,
    display_name: &str,
    description: Option<String>,
    logo_url: Option<String>,
) -> AppResult<Option<organization::Model>> {
    if !insert_if_absent(db, name, display_name, true).await? {
        return Ok(None);
    }
    let created = find(db, name)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("inserted row vanished")))?;
    if description.is_some() || logo_url.is_some() {
        update_details(db, created.id, None, Some(description), Some(logo_url)).await?;
        return find(db, name).await;
    }
    Ok(Some(created))
}

/// The organization named `name`, made to exist and be active.
///
/// Auto-create mode creates a missing organization (named `display_name`, or its short name)
/// and reactivates an inactive one together with its course links. Validate mode treats the
/// table as authoritative: a missing or inactive organization is `ORGANIZATION_NOT_FOUND`.
pub async fn ensure<C: ConnectionTrait>(
    db: &C,
    name: &ShortName,
    display_name: Option<&str>,
    autocreate: bool,
) -> AppResult<Ensured> {
    let created = autocreate
        && insert_if_absent(db, name, display_name.unwrap_or(name.as_str()), true).await?;
    let not_found = || AppError::OrganizationNotFound {
        short_name: name.as_str().to_owned(),
    };
    let organization = find(db, name).await?.ok_or_else(not_found)?;
    if organization.active {
        return Ok(Ensured {
            organization,
            created,
            reactivated: false,
        });
    }
    if !autocreate {
        return Err(not_found());
    }
    let organization = set_active(db, organization, true).await?;
    Ok(Ensured {
        organization,
        created: false,
        reactivated: true,
    })
}

/// Activates or deactivates an organization and, with it, its course links.
pub async fn set_active<C: ConnectionTrait>(
    db: &C,
    organization: organization::Model,
    active: bool,
) -> AppResult<organization::Model> {
    let now = Utc::now();
    organization::Entity::update_many()
        .col_expr(organization::Column::Active, Expr::value(active))
        .col_expr(organization::Column::Modified, Expr::value(now))
        .filter(organization::Column::Id.eq(organization.id))
        .exec(db)
        .await?;
    course_link::Entity::update_many()
        .col_expr(course_link::Column::Active, Expr::value(active))
        .col_expr(course_link::Column::Modified, Expr::value(now))
        .filter(course_link::Column::OrganizationId.eq(organization.id))
        .filter(course_link::Column::Active.ne(active))
        .exec(db)
        .await?;
    Ok(organization::Model {
        active,
        modified: now,
        ..organization
    })
}

/// Updates the descriptive fields that are `Some` (an inner `None` clears an optional field).
pub async fn update_details<C: ConnectionTrait>(
    db: &C,
    id: i64,
    name: Option<String>,
    description: Option<Option<String>>,
    logo_url: Option<Option<String>>,
) -> AppResult<()> {
    let mut update = organization::Entity::update_many()
        .col_expr(organization::Column::Modified, Expr::value(Utc::now()))
        .filter(organization::Column::Id.eq(id));
    if let Some(name) = name {
        update = update.col_expr(organization::Column::Name, Expr::value(name));
    }
    if let Some(description) = description {
        update = update.col_expr(organization::Column::Description, Expr::value(description));
    }
    if let Some(logo_url) = logo_url {
        update = update.col_expr(organization::Column::LogoUrl, Expr::value(logo_url));
    }
    update.exec(db).await?;
    Ok(())
}
