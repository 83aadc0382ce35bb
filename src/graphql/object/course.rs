use async_graphql::parser::types::SelectionSet;
use async_graphql::{Context, Object, Result, Value};
use entity::course_link;

use super::Organization;
use crate::graphql::context::ContextExt;
use crate::graphql::plain::Plain;

/// A course run or content library. The catalog owns the rest of it; this service contributes the organizations it is linked to.
#[derive(Clone, Debug)]
pub struct Course {
    pub course_key: String,
    /// Set when the course was reached through one link (an organization's course list).
    pub link: Option<course_link::Model>,
}

impl Course {
    pub fn new(course_key: impl Into<String>) -> Self {
        Course {
            course_key: course_key.into(),
            link: None,
        }
    }

    pub fn from_link(link: course_link::Model) -> Self {
        Course {
            course_key: link.course_key.clone(),
            link: Some(link),
        }
    }

    async fn load(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        let loader = &ctx.request().loaders.course_organizations;
        let orgs = loader
            .load_one(self.course_key.clone())
            .await?
            .unwrap_or_default();
        Ok(orgs.into_iter().map(Organization).collect())
    }
}

/// A course run or content library, named by its key; the catalog owns the rest of it and this service adds its organizations.
#[Object]
impl Course {
    /// The course run or library key, such as course-v1:MITx+6.002x+2024_T1 or lib:MITx:physics.
    async fn course_key(&self) -> &str {
        &self.course_key
    }

    /// The first organization the course was linked to.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(self.load(ctx).await?.into_iter().next())
    }

    /// Every organization the course is linked to, first linked first.
    async fn organizations(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        self.load(ctx).await
    }
}

/// The key is the only field a course answers by itself; its organizations are loaded.
impl Plain for Course {
    fn plain(&self, name: &str, _: &SelectionSet) -> Option<Value> {
        (name == "courseKey").then(|| Value::String(self.course_key.clone()))
    }
}
