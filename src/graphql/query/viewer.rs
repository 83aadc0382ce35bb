use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use crate::access::AuthSource;
use crate::graphql::context::ContextExt;
use crate::graphql::object::Grant;

#[derive(Default)]
pub struct ViewerQuery;

/// The caller, as its token describes it, with the grants stored for its subject.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The token's subject; null when anonymous.
    subject: Option<String>,
    /// Whether the token claims administrator (or superuser).
    administrator: bool,
    /// The token's `filters` (for example `content_org:MITx`).
    filters: Vec<String>,
    /// Whether the token is read-only (`is_restricted`): every mutation is refused.
    restricted: bool,
    /// The token's `scopes`.
    scopes: Vec<String>,
    /// Where the token came from; null when anonymous.
    authenticated_by: Option<AuthenticatedBy>,
    /// The roles stored for the subject.
    grants: Vec<Grant>,
}

/// Where the caller's token came from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AuthenticatedBy {
    /// The `Authorization` header (`JWT` or `Bearer`).
    Header,
    /// The micro-frontends' JWT cookies.
    Cookie,
}

impl From<AuthSource> for AuthenticatedBy {
    fn from(source: AuthSource) -> Self {
        match source {
            AuthSource::Header => AuthenticatedBy::Header,
            AuthSource::Cookie => AuthenticatedBy::Cookie,
        }
    }
}

#[Object]
impl ViewerQuery {
    /// The caller as the service understood its token (anonymous without one).
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
            restricted: scope.restricted,
            scopes: scope.scopes.clone(),
            authenticated_by: scope.authenticated_by.map(AuthenticatedBy::from),
            grants,
        })
    }
}
