//! The domain layer: pure types and rules. Validated names (the identity module, `names`) and
//! course keys, what a change log row says (`change`), the Host rule (`tenant`), pages and
//! cursors, the backfill's parsing, import's merge and the demo graph. Who may see and change
//! what is `access`'s.
//!
//! Layer rule: nothing here touches a database connection or runs a statement (checked by
//! `tests/api/layers.rs`); `repo` runs the SQL, `service` decides when.

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
pub mod tenant;

use crate::error::{AppError, AppResult};
use course_key::CourseKey;
use names::{Domain, Parse, PartnerCode, Search, ShortName, Url};

/// Compiles every validation pattern of the domain, so that a broken one stops the service at
/// start instead of refusing every value that needs it.
pub fn check_patterns() -> Result<(), regex::Error> {
    names::check_patterns()?;
    course_key::check_patterns()
}

/// Parses `value`, given in argument `field`, as a `T` (its rules in `names`).
pub fn parse<T: Parse>(field: &str, value: &str) -> AppResult<T> {
    T::parse(value).map_err(|e| AppError::bad_input(field, e.0))
}

/// An optional value: absent stays absent.
pub fn parse_optional<T: Parse>(field: &str, value: Option<&str>) -> AppResult<Option<T>> {
    value.map(|v| parse(field, v)).transpose()
}

/// Parses an organization short name given in argument `field`.
pub fn short_name(field: &str, value: &str) -> AppResult<ShortName> {
    parse(field, value)
}

pub fn partner_code(field: &str, value: &str) -> AppResult<PartnerCode> {
    parse(field, value)
}

pub fn domain(field: &str, value: &str) -> AppResult<Domain> {
    parse(field, value)
}

/// A course key as stored: edx-opaque-keys' grammar within Open edX's column
/// (`CourseKey::parse_stored`).
pub fn course_key(value: &str) -> AppResult<CourseKey> {
    CourseKey::parse_stored(value).map_err(|e| AppError::InvalidCourseKey {
        key: value.to_owned(),
        reason: e.reason,
    })
}

/// A `search` argument; an empty one searches nothing.
pub fn search(field: &str, value: Option<String>) -> AppResult<Option<Search>> {
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some(v) => parse(field, v).map(Some),
    }
}

/// An optional http(s) URL; an empty string clears it.
pub fn url(field: &str, value: Option<String>) -> AppResult<Option<Url>> {
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some(v) => parse(field, v).map(Some),
    }
}
