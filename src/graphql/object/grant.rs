use async_graphql::{Context, Enum, Object, Result};
use chrono::{DateTime, Utc};
use entity::role_grant;

use super::{Organization, Partner};
use crate::graphql::context::ContextExt;

/// A role a subject holds on a partner or an organization (the stored role, mapped here and nowhere else).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::role_grant::Role")]
pub enum Role {
    /// Reads and writes a partner, its sites and its member organizations.
    PartnerAdmin,
    /// Reads and writes an organization, its course links and its staff grants.
    OrgAdmin,
    /// Reads an organization's inactive records.
    OrgStaff,
}

#[derive(Clone, Debug)]
pub struct Grant(pub role_grant::Model);

/// A role a subject (username) holds on a partner or an organization.
#[Object]
impl Grant {
    /// The username holding the role (a token's preferred_username).
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// The role held.
    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The partner, for PARTNER_ADMIN; null otherwise.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        partner(ctx, self.0.partner_id).await
    }

    /// The organization, for ORG_ADMIN and ORG_STAFF; null otherwise.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(id) = self.0.organization_id else {
            return Ok(None);
        };
        Ok(ctx
            .request()
            .loaders
            .organization_by_id
            .load_one(id)
            .await?
            .map(Organization))
    }

    /// When the role was granted.
    async fn created(&self) -> DateTime<Utc> {
        self.0.created
    }

    /// The partner whose PARTNER_ADMIN authority this organization grant was given on (by that partner's admin, or by an ORG_ADMIN whose own grant rests on it).
    /// The grant ends when the organization leaves that partner.
    /// Null when it does not depend on a membership.
    async fn through_partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        partner(ctx, self.0.through_partner_id).await
    }
}

/// The partner with this id, if any and visible.
async fn partner(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Partner>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(ctx
        .request()
        .loaders
        .partner_by_id
        .load_one(id)
        .await?
        .map(Partner))
}
