//! Single lookups by identity through the request's scoped loaders, shared by the query fields
//! and the federation entity resolvers (which differ only in how they treat malformed keys).

use async_graphql::Context;

use crate::domain::names::{Domain, PartnerCode, ShortName};
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::loader::OrganizationKey;
use crate::graphql::object::{Organization, Partner, Site};

pub async fn partner(ctx: &Context<'_>, code: &PartnerCode) -> AppResult<Option<Partner>> {
    Ok(ctx
        .request()
        .loaders
        .partner_by_key
        .load_one(code.key())
        .await?
        .map(Partner))
}

/// Matched case-insensitively, then retried without the port (Django's `get_current_site`).
pub async fn site(ctx: &Context<'_>, domain: &Domain) -> AppResult<Option<Site>> {
    let keys = domain.lookup_keys();
    let found = ctx
        .request()
        .loaders
        .site_by_key
        .load_many(keys.clone())
        .await?;
    Ok(keys.iter().find_map(|k| found.get(k).cloned()).map(Site))
}

pub async fn organization(
    ctx: &Context<'_>,
    name: &ShortName,
    include_inactive: bool,
) -> AppResult<Option<Organization>> {
    let key = OrganizationKey {
        key: name.key(),
        include_inactive,
    };
    Ok(ctx
        .request()
        .loaders
        .organization_by_key
        .load_one(key)
        .await?
        .map(Organization))
}
