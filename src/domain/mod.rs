//! The domain layer: validated values, visibility rules, pagination and the services that own
//! the write rules.

pub mod authz;
pub mod backfill;
pub mod course;
pub mod course_key;
pub mod directory;
pub mod names;
pub mod organization;
pub mod page;
pub mod pattern;
pub mod scope;
pub mod seed;

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

pub fn course_key(value: &str) -> AppResult<CourseKey> {
    CourseKey::parse(value).map_err(|e| AppError::InvalidCourseKey {
        key: value.to_owned(),
        reason: e.reason,
    })
}
