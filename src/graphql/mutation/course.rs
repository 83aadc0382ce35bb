use async_graphql::{Context, Object, Result, SimpleObject};

use super::actor;
use crate::graphql::object::{Course, Organization};
use crate::service::course::{self as svc, Linked};

#[derive(Default)]
pub struct CourseMutation;

/// A course link, as linkCourse made or found it.
#[derive(SimpleObject)]
pub struct CourseLinkPayload {
    /// The course.
    pub course: Course,
    /// The organization it is linked to.
    pub organization: Organization,
    /// True when this call created the link (false when it existed or was reactivated).
    pub created: bool,
}

impl From<Linked> for CourseLinkPayload {
    fn from(linked: Linked) -> Self {
        CourseLinkPayload {
            course: Course::new(linked.course_key.as_str()),
            organization: Organization(linked.organization),
            created: linked.created,
        }
    }
}

#[Object]
impl CourseMutation {
    /// Links a course run or library to an organization: `organization`, or else the org part of the key, ensured as `ensureOrganization` does. Linking twice is a no-op; linking after unlinking reactivates the link.
    async fn link_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The course run or library key to link.")] course_key: String,
        #[graphql(
            desc = "The organization to link it to (short name); the key's own organization when absent."
        )]
        organization: Option<String>,
    ) -> Result<CourseLinkPayload> {
        Ok(svc::link(actor(ctx), &course_key, organization.as_deref())
            .await?
            .into())
    }

    /// Deactivates a course link.
    async fn unlink_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The course run or library key to unlink.")] course_key: String,
        #[graphql(desc = "The organization to unlink it from (short name).")] organization: String,
    ) -> Result<CourseLinkPayload> {
        Ok(svc::unlink(actor(ctx), &course_key, &organization)
            .await?
            .into())
    }
}
