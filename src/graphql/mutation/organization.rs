use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::{actor, maybe};
use crate::graphql::object::Organization;
use crate::service::organization::{self as svc, NewOrganization, OrganizationChanges};

#[derive(Default)]
pub struct OrganizationMutation;

/// A new organization.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Unique (case-insensitively): Unicode word characters and `- ~ . : %`, 1-255.
    pub short_name: String,
    /// The display name, 1-255 characters.
    pub name: String,
    /// A longer description (up to 10,000 characters).
    pub description: Option<String>,
    /// The URL of its logo (up to 255 characters).
    pub logo_url: Option<String>,
}

/// Fields left out stay as they are; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// A new display name.
    pub name: Option<String>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// A new logo URL (null clears it).
    pub logo_url: MaybeUndefined<String>,
}

/// What ensureOrganization found or made.
#[derive(SimpleObject)]
pub struct EnsureOrganizationPayload {
    /// The organization, found or created.
    pub organization: Organization,
    /// True when this call created the organization.
    pub created: bool,
    /// True when this call reactivated an inactive organization (and its course links).
    pub reactivated: bool,
}

#[Object]
impl OrganizationMutation {
    /// Returns the organization, creating it in auto-create mode (validate mode answers ORGANIZATION_NOT_FOUND and writes nothing). Idempotent and safe under concurrency.
    async fn ensure_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The short name to find or create, such as MITx (any case).")] short_name: String,
        #[graphql(desc = "The name given when it is created (the short name when absent).")]
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
        #[graphql(desc = "The new organization.")] input: CreateOrganizationInput,
    ) -> Result<Organization> {
        let new = NewOrganization {
            short_name: input.short_name,
            name: input.name,
            description: input.description,
            logo_url: input.logo_url,
        };
        Ok(Organization(svc::create(actor(ctx), new).await?))
    }

    /// Changes an organization (its ORG_ADMINs, its partners' PARTNER_ADMINs and administrators).
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization to change (short name, any case).")] short_name: String,
        #[graphql(desc = "The fields to change; absent fields are kept.")]
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
        #[graphql(desc = "The organization to deactivate (short name, any case).")]
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
        #[graphql(desc = "The organization to reactivate (short name, any case).")]
        short_name: String,
    ) -> Result<Organization> {
        Ok(Organization(
            svc::set_active(actor(ctx), &short_name, true).await?,
        ))
    }
}
