//! The use cases behind the edx-organizations REST API (docs/adopting.md): the LMS's numbered list,
//! one lookup, and PUT's upsert, which creates, updates, renames and reactivates.

use entity::organization;
use sea_orm::DatabaseConnection;

use super::organization::set_active_in;
use super::{Actor, transaction};
use crate::access::Scope;
use crate::access::decide as authz;
use crate::domain::change::NewChange;
use crate::domain::names::{Description, OrganizationName, Parse, ShortName};
use crate::domain::{self as dom, numbered};
use crate::error::{AppError, AppResult};
use crate::repo::organization::rest;
use crate::repo::organization::write::{self as rows, Details, NewRow};

/// One numbered page of the active organizations a caller sees.
pub struct NumberedPage {
    pub count: u64,
    pub pages: u64,
    pub number: u64,
    pub size: u64,
    pub results: Vec<organization::Model>,
}

/// The page `?page=` names, or NOT_FOUND ("Invalid page.") past the end. Needs a signed-in caller.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    page: Option<&str>,
    page_size: Option<&str>,
) -> AppResult<NumberedPage> {
    authz::require_signed_in(scope)?;
    let size = numbered::size(page_size);
    let count = rest::count(db, scope).await?;
    let pages = numbered::pages(count, size);
    let number =
        numbered::number(page, pages).ok_or_else(|| AppError::not_found("Invalid page."))?;
    let results = rest::page(db, scope, (number - 1) * size, size).await?;
    Ok(NumberedPage {
        count,
        pages,
        number,
        size,
        results,
    })
}

/// One active organization the caller sees, else NOT_FOUND.
pub async fn get(
    db: &DatabaseConnection,
    scope: &Scope,
    short_name: &str,
) -> AppResult<organization::Model> {
    authz::require_signed_in(scope)?;
    // DRF (3.15+) answers Django's Http404 message, as edx-organizations does; a path no short
    // name could be names nothing.
    let missing = || AppError::not_found("No Organization matches the given query.");
    let name = ShortName::parse(short_name).map_err(|_| missing())?;
    rest::one(db, scope, &name.key()).await?.ok_or_else(missing)
}

/// PUT's body, as edx-organizations' serializer takes it.
pub struct PutOrganization {
    pub short_name: String,
    pub name: String,
    /// `Some(None)` clears; `None` keeps.
    pub description: Option<Option<String>>,
    /// Stored as given and answered as `logo` (the LMS downloads it; this service does not).
    pub logo_url: Option<String>,
}

fn taken() -> AppError {
    AppError::bad_input(
        "short_name",
        "organization with this Short Name already exists.",
    )
}

/// Creates the organization the body describes when `path` names none (active or not),
/// otherwise updates it (a different `short_name` renames it) and reactivates it with its links.
pub async fn put(
    actor: Actor<'_>,
    path: &str,
    input: PutOrganization,
) -> AppResult<organization::Model> {
    authz::require_admin(actor.scope, "changing organizations")?;
    let name = dom::short_name("short_name", &input.short_name)?;
    let display: OrganizationName = dom::parse("name", &input.name)?;
    let logo_url = dom::url("logo_url", input.logo_url)?;
    let description: Option<Option<Description>> = match &input.description {
        Some(given) => Some(dom::parse_optional("description", given.as_deref())?),
        None => None,
    };
    authz::require_filter_allows(actor.scope, &name)?;
    let current = ShortName::parse(path).ok();
    if let Some(current) = &current {
        authz::require_filter_allows(actor.scope, current)?;
    }
    transaction!(actor, |write| {
        let existing = match &current {
            Some(current) => rows::find(write.txn(), current).await?,
            None => None,
        };
        let written = match existing {
            None => {
                let new = NewRow {
                    name: &name,
                    display_name: &display,
                    description: description.clone().flatten(),
                    logo_url: logo_url.clone(),
                    active: true,
                };
                let created = rows::insert_if_absent(write.txn(), new)
                    .await?
                    .ok_or_else(taken)?;
                write.log(NewChange::organization(None, &created));
                created
            }
            Some(existing) => {
                let mut row = existing.clone();
                if name.as_str() != existing.short_name {
                    if name.key() != *existing.short_name_key
                        && rows::find(write.txn(), &name).await?.is_some()
                    {
                        return Err(taken());
                    }
                    row = rows::rename(write.txn(), &row, &name).await?;
                }
                let details = Details {
                    name: Some(display.clone()),
                    description: description.clone(),
                    logo_url: logo_url.clone().map(Some),
                };
                row = rows::update_details(write.txn(), &row, details).await?;
                write.log(NewChange::organization(Some(&existing), &row));
                if !row.active {
                    row = set_active_in(write, &row, true).await?;
                }
                row
            }
        };
        Ok(written)
    })
}
