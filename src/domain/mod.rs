//! The domain layer: pure types and rules. Validated names and course keys, the visibility
//! conditions compiled into SQL (`scope`), authorization decisions (`authz`), what a change
//! log row says (`change`), pages and cursors, the backfill's parsing and the demo graph.
//!
//! Layer rule: nothing here touches a database connection or runs a statement (checked by
//! `tests/api/layers.rs`); `repo` runs the SQL, `service` decides when.

pub mod authz;
pub mod backfill;
pub mod change;
pub mod course_key;
pub mod demo;
pub mod follow;
pub mod import;
pub mod names;
pub mod numbered;
pub mod page;
pub mod pattern;
pub mod progress;
pub mod scope;
pub mod tenant;

use crate::error::{AppError, AppResult};
use course_key::CourseKey;
use names::{Domain, PartnerCode, ShortName};

/// Compiles every validation pattern of the domain, so that a broken one stops the service at
/// start instead of refusing every value that needs it.
pub fn check_patterns() -> Result<(), regex::Error> {
    names::check_patterns()?;
    course_key::check_patterns()
}

/// Parses an organization short name given in argument `field`.
pub fn short_name(field: &str, value: &str) -> AppResult<ShortName> {
    ShortName::parse(value).map_err(|e| AppError::bad_input(field, e.0))
}

pub fn partner_code(field: &str, value: &str) -> AppResult<PartnerCode> {
    PartnerCode::parse(value).map_err(|e| AppError::bad_input(field, e.0))
}

pub fn domain(field: &str, value: &str) -> AppResult<Domain> {
    Domain::parse(value).map_err(|e| AppError::bad_input(field, e.0))
}

/// A course key as stored: edx-opaque-keys' grammar, and at most 255 characters (the column
/// Open edX stores it in, `CourseKeyField(max_length=255)`).
pub fn course_key(value: &str) -> AppResult<CourseKey> {
    let key = CourseKey::parse(value).map_err(|e| AppError::InvalidCourseKey {
        key: value.to_owned(),
        reason: e.reason,
    })?;
    if let Some(reason) = course_key::too_long(key.as_str()) {
        return Err(AppError::InvalidCourseKey {
            key: value.to_owned(),
            reason,
        });
    }
    Ok(key)
}

/// A `search` argument: at most 255 characters, no NUL.
pub fn search(field: &str, value: Option<String>) -> AppResult<Option<String>> {
    match value {
        Some(v) if v.chars().nth(255).is_some() || v.contains('\0') => Err(AppError::bad_input(
            field,
            "must be at most 255 characters, without NUL",
        )),
        Some(v) if v.is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// An optional free text (a description) of at most `max` characters, without NUL.
pub fn optional_text(field: &str, value: Option<String>, max: usize) -> AppResult<Option<String>> {
    match value {
        Some(v) if v.chars().nth(max).is_some() || v.contains('\0') => Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters, without NUL"),
        )),
        other => Ok(other),
    }
}

/// A required text of `1..=max` characters, not blank.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let len = value.chars().count();
    if value.trim().is_empty() || len > max || value.contains('\0') {
        return Err(AppError::bad_input(
            field,
            format!("must be 1-{max} characters, not blank, without NUL"),
        ));
    }
    Ok(value.to_owned())
}

/// An optional http(s) URL; an empty string clears it.
pub fn url(field: &str, value: Option<String>) -> AppResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        // 255: Open edX's URL and image fields.
        Some(v) => match url::Url::parse(&v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() && v.len() <= 255 => {
                Ok(Some(v))
            }
            _ => Err(AppError::bad_input(
                field,
                "must be an http(s) URL of at most 255 characters",
            )),
        },
    }
}
