//! Course link use cases: link (deriving and ensuring the organization) and unlink.

use entity::organization;

use super::Actor;
use super::organization::authorize_ensure;
use crate::domain::course_key::CourseKey;
use crate::domain::{authz, course, organization as org};
use crate::error::{AppError, AppResult};

pub struct Linked {
    pub course_key: CourseKey,
    pub organization: organization::Model,
    pub created: bool,
}

/// Links a course run or library to `organization`, or to the org part of its key. The
/// organization is ensured (auto-create mode creates it; validate mode needs it to exist).
pub async fn link(
    actor: Actor<'_>,
    course_key: &str,
    organization: Option<&str>,
) -> AppResult<Linked> {
    let key = crate::domain::course_key(course_key)?;
    let name = match organization {
        Some(name) => crate::domain::short_name("organization", name)?,
        // Version-only keys (`course-v1:version@...`) name no organization.
        None if key.org().is_empty() => {
            return Err(AppError::InvalidCourseKey {
                key: course_key.to_owned(),
                reason: "the key names no organization; pass `organization`".into(),
            });
        }
        None => crate::domain::short_name("courseKey", key.org())?,
    };
    let txn = crate::db::begin_write(actor.db).await?;
    authorize_ensure(&txn, actor, &name).await?;
    let ensured = org::ensure(&txn, &name, None, actor.autocreate).await?;
    let created = course::link(&txn, &key, ensured.organization.id).await?;
    txn.commit().await?;
    Ok(Linked {
        course_key: key,
        organization: ensured.organization,
        created,
    })
}

/// Deactivates the link between a course and an organization.
pub async fn unlink(actor: Actor<'_>, course_key: &str, organization: &str) -> AppResult<Linked> {
    let key = crate::domain::course_key(course_key)?;
    let name = crate::domain::short_name("organization", organization)?;
    authz::require_subject(actor.scope)?;
    let txn = crate::db::begin_write(actor.db).await?;
    let existing = org::find(&txn, &name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no organization {:?}", name.as_str())))?;
    authz::require_org_admin(&txn, actor.scope, &existing).await?;
    if !course::exists(&txn, &key, existing.id).await? {
        return Err(AppError::not_found(format!(
            "{:?} is not linked to {:?}",
            key.as_str(),
            existing.short_name
        )));
    }
    course::set_active(&txn, &key, existing.id, false).await?;
    txn.commit().await?;
    Ok(Linked {
        course_key: key,
        organization: existing,
        created: false,
    })
}
