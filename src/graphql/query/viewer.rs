use async_graphql::{Context, Object, Result, SimpleObject};

use crate::graphql::context::ContextExt;
use crate::graphql::object::Grant;

#[derive(Default)]
pub struct ViewerQuery;

/// The caller, as its token describes it, with the grants stored for its subject.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The token's subject; null when anonymous.
    subject: Option<String>,
    administrator: bool,
    /// The token's `filters` (for example `content_org:MITx`).
    filters: Vec<String>,
    grants: Vec<Grant>,
}

#[Object]
impl ViewerQuery {
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let scope = &ctx.request().scope;
        let grants = crate::service::read::own_grants(ctx.db(), scope)
            .await?
            .into_iter()
            .map(Grant)
            .collect();
        let filters = scope.filters.clone();
        Ok(Viewer {
            subject: scope.subject.clone(),
            administrator: scope.administrator,
            filters,
            grants,
        })
    }
}
