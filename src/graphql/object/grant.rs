use async_graphql::{Context, Enum, Object, Result};
use chrono::{DateTime, Utc};
use entity::role_grant;

use super::{Organization, Partner};
use crate::error::AppError;
use crate::graphql::context::ContextExt;

/// A role a subject holds on a partner or an organization.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Reads and writes a partner, its sites and its member organizations.
    PartnerAdmin,
    /// Reads and writes an organization and its course links.
    OrgAdmin,
    /// Reads an organization's inactive records.
    OrgStaff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PartnerAdmin => "PARTNER_ADMIN",
            Role::OrgAdmin => "ORG_ADMIN",
            Role::OrgStaff => "ORG_STAFF",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Role::PartnerAdmin, Role::OrgAdmin, Role::OrgStaff]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[derive(Clone, Debug)]
pub struct Grant(pub role_grant::Model);

#[Object]
impl Grant {
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    async fn role(&self) -> Result<Role> {
        // The database's check constraint admits only the three roles.
        Role::parse(&self.0.role).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("unknown role {:?}", self.0.role)).into()
        })
    }

    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let Some(id) = self.0.partner_id else {
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

    async fn created(&self) -> DateTime<Utc> {
        self.0.created
    }
}
