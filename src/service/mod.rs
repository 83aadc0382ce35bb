//! Use cases behind the mutations: each validates its input, opens one transaction, checks the
//! caller's grants and applies the domain rules, so a mutation fully applies or changes nothing.

pub mod course;
pub mod grant;
pub mod organization;
pub mod partner;
pub mod site;

use sea_orm::DatabaseConnection;

use crate::domain::scope::Scope;
use crate::error::{AppError, AppResult};

/// Who acts, on what database, in which mode.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    pub db: &'a DatabaseConnection,
    pub scope: &'a Scope,
    /// `TENANCY_ORGANIZATIONS_AUTOCREATE`.
    pub autocreate: bool,
}

/// A required text of `min..=max` characters.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let len = value.chars().count();
    if value.trim().is_empty() || len > max {
        return Err(AppError::bad_input(
            field,
            format!("must be 1-{max} characters and not blank"),
        ));
    }
    Ok(value.to_owned())
}

/// An optional http(s) URL; an empty string clears it.
pub fn url(field: &str, value: Option<String>) -> AppResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => match url::Url::parse(&v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(Some(v)),
            _ => Err(AppError::bad_input(field, "must be an http(s) URL")),
        },
    }
}
