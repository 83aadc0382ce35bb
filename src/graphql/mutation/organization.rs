use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::{actor, maybe};
use crate::graphql::object::Organization;
use crate::service::organization::{self as svc, NewOrganization, OrganizationChanges};

#[derive(Default)]
pub struct OrganizationMutation;

#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Unique (case-insensitively): Unicode word characters and `- ~ . : %`, 1-255.
    pub short_name: String,
    pub name: String,
    pub description: Option<String>,
    pub logo_url: Option<String>,
}

/// Fields left out stay as they are; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    pub logo_url: MaybeUndefined<String>,
}

#[derive(SimpleObject)]
pub struct EnsureOrganizationPayload {
    pub organization: Organization,
    /// True when this call created the organization.
    pub created: bool,
    /// True when this call reactivated an inactive organization (and its course links).
    pub reactivated: bool,
}

#[Object]
impl OrganizationMutation {
    /// Returns the organization, creating it in auto-create mode (validate mode answers
    /// ORGANIZATION_NOT_FOUND and writes nothing). Idempotent and safe under concurrency.
    async fn ensure_organization(
        &self,
        ctx: &Context<'_>,
        short_name: String,
        name: Option<String>,
    ) -> Result<EnsureOrganizationPayload> {
        let short_name = crate::domain::short_name("shortName", &short_name)?;
        let ensured = svc::ensure(actor(ctx), &short_name, name.as_deref()).await?;
        Ok(EnsureOrganizationPayload {
            organization: Organization(ensured.organization),
            created: ensured.created,
            reactivated: ensured.reactivated,
        })
    }

    /// Creates an organization (administrators). Creating an inactive one again reactivates it.
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<Organization> {
        let new = NewOrganization {
            short_name: input.short_name,
            name: input.name,
            description: input.description,
            logo_url: input.logo_url,
        };
        Ok(Organization(svc::create(actor(ctx), new).await?))
    }

    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        short_name: String,
        input: UpdateOrganizationInput,
    ) -> Result<Organization> {
        let changes = OrganizationChanges {
            name: input.name,
            description: maybe(input.description),
            logo_url: maybe(input.logo_url),
        };
        Ok(Organization(
            svc::update(actor(ctx), &short_name, changes).await?,
        ))
    }

    /// Soft delete: the organization and its course links become inactive.
    async fn deactivate_organization(
        &self,
        ctx: &Context<'_>,
        short_name: String,
    ) -> Result<Organization> {
        Ok(Organization(
            svc::set_active(actor(ctx), &short_name, false).await?,
        ))
    }

    /// Brings an organization back with its course links.
    async fn reactivate_organization(
        &self,
        ctx: &Context<'_>,
        short_name: String,
    ) -> Result<Organization> {
        Ok(Organization(
            svc::set_active(actor(ctx), &short_name, true).await?,
        ))
    }
}
