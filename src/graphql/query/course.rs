use async_graphql::{Context, Object, Result};

use crate::domain::{self as dom};
use crate::graphql::context::ContextExt;
use crate::graphql::object::Organization;

#[derive(Default)]
pub struct CourseQuery;

#[Object]
impl CourseQuery {
    /// The first organization the course (or library) was linked to.
    async fn course_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A course run or library key, such as course-v1:MITx+6.002x+2024_T1.")]
        course_key: String,
    ) -> Result<Option<Organization>> {
        Ok(self
            .course_organizations(ctx, course_key)
            .await?
            .into_iter()
            .next())
    }

    /// Every active organization the course is linked to, first linked first.
    async fn course_organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A course run or library key, such as course-v1:MITx+6.002x+2024_T1.")]
        course_key: String,
    ) -> Result<Vec<Organization>> {
        let key = dom::course_key(&course_key)?;
        let loader = &ctx.request().loaders.course_organizations;
        let orgs = loader
            .load_one(key.as_str().to_owned())
            .await?
            .unwrap_or_default();
        Ok(orgs.into_iter().map(Organization).collect())
    }
}
