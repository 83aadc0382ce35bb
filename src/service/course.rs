//! Course link use cases: link (deriving and ensuring the organization) and unlink.

use entity::organization;

use super::organization::{authorize_ensure, ensure_in, find_for_write};
use super::{Actor, transaction};
use crate::access::check as access;
use crate::domain as dom;
use crate::domain::change::NewChange;
use crate::domain::course_key::CourseKey;
use crate::error::{AppError, AppResult};
use crate::repo::course::write as links;
use crate::repo::organization::write as orgs;

pub struct Linked {
    pub course_key: CourseKey,
    pub organization: organization::Model,
    pub created: bool,
}

/// Links a course run or library to `organization`, or to the org part of its key. The
/// organization is ensured (auto-create mode creates it; validate mode needs it to exist).
/// Linking twice is a no-op; linking after unlinking reactivates the link.
pub async fn link(
    actor: Actor<'_>,
    course_key: &str,
    organization: Option<&str>,
) -> AppResult<Linked> {
    let key = dom::course_key(course_key)?;
    let name = match organization {
        Some(name) => dom::short_name("organization", name)?,
        // Version-only keys (`course-v1:version@...`) name no organization.
        None if key.org().is_empty() => {
            return Err(AppError::InvalidCourseKey {
                key: course_key.to_owned(),
                reason: "the key names no organization; pass `organization`".into(),
            });
        }
        None => dom::short_name("courseKey", key.org())?,
    };
    transaction!(actor, |write| {
        authorize_ensure(write.txn(), actor, &name).await?;
        authorize_foreign_key(write.txn(), actor, &key, &name).await?;
        let ensured = ensure_in(write, &name, None, actor.autocreate).await?;
        let org = ensured.organization;
        let created = write.link(&key, org.id).await?;
        if created {
            write.log(NewChange::course_link(&org, key.as_str(), None, true));
        } else if links::set_active(write.txn(), &key, org.id, true).await? {
            write.log(NewChange::course_link(
                &org,
                key.as_str(),
                Some(false),
                true,
            ));
        }
        Ok(Linked {
            course_key: key.clone(),
            organization: org,
            created,
        })
    })
}

/// A course whose key names another organization may be linked to `name` only by someone who
/// may also change that organization: otherwise an admin of one organization could become the
/// "first organization" of another's courses. A key of an organization that does not exist (or
/// that the caller may not see) needs an administrator.
async fn authorize_foreign_key<C: sea_orm::ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    key: &CourseKey,
    name: &dom::names::ShortName,
) -> AppResult<()> {
    let Ok(owner) = dom::short_name("courseKey", key.org()) else {
        return Ok(()); // a version-only key names no organization
    };
    if owner.key() == name.key() {
        return Ok(());
    }
    let found = orgs::find(txn, &owner).await?;
    access::require_course_owner_admin(txn, actor.scope, &owner, found).await
}

/// Deactivates the link between a course and an organization.
pub async fn unlink(actor: Actor<'_>, course_key: &str, organization: &str) -> AppResult<Linked> {
    let key = dom::course_key(course_key)?;
    let name = dom::short_name("organization", organization)?;
    transaction!(actor, |write| {
        let existing = find_for_write(write.txn(), actor, &name).await?;
        if links::state(write.txn(), &key, existing.id)
            .await?
            .is_none()
        {
            return Err(AppError::not_found(format!(
                "{:?} is not linked to {:?}",
                key.as_str(),
                existing.short_name
            )));
        }
        if links::set_active(write.txn(), &key, existing.id, false).await? {
            write.log(NewChange::course_link(
                &existing,
                key.as_str(),
                Some(true),
                false,
            ));
        }
        Ok(Linked {
            course_key: key.clone(),
            organization: existing,
            created: false,
        })
    })
}
