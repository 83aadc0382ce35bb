//! Federation entity resolvers (`_entities`). Each returns `Option`: a representation that
//! does not exist or is not visible to the caller resolves to `null` without failing the others
//! (async-graphql joins the lookups with `try_join_all`, so only an *error* fails the list).
//! Lookups go through the request's scoped dataloaders: 5,050 representations are one batch per
//! type, not one statement each.

use async_graphql::{Context, Object, Result};

use super::lookup;
use crate::domain::{self as dom};
use crate::graphql::object::{Course, Organization, Partner, Site};

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    #[graphql(entity)]
    async fn find_partner_by_short_code(
        &self,
        ctx: &Context<'_>,
        short_code: String,
    ) -> Result<Option<Partner>> {
        let Ok(code) = dom::partner_code("shortCode", &short_code) else {
            return Ok(None);
        };
        Ok(lookup::partner(ctx, &code).await?)
    }

    #[graphql(entity)]
    async fn find_site_by_domain(&self, ctx: &Context<'_>, domain: String) -> Result<Option<Site>> {
        let Ok(domain) = dom::domain("domain", &domain) else {
            return Ok(None);
        };
        Ok(lookup::site(ctx, &domain).await?)
    }

    #[graphql(entity)]
    async fn find_organization_by_short_name(
        &self,
        ctx: &Context<'_>,
        short_name: String,
    ) -> Result<Option<Organization>> {
        let Ok(name) = dom::short_name("shortName", &short_name) else {
            return Ok(None);
        };
        Ok(lookup::organization(ctx, &name, false).await?)
    }

    /// Any well-formed course key is a course this subgraph can extend (its organizations may be empty); a malformed one is `null`.
    #[graphql(entity)]
    async fn find_course_by_course_key(&self, course_key: String) -> Option<Course> {
        dom::course_key(&course_key)
            .ok()
            .map(|k| Course::new(k.as_str()))
    }
}
