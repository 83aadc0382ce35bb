//! Partners, sites, memberships and grants.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result};

use super::{actor, maybe};
use crate::graphql::object::{Grant, Partner, Role, Site};
use crate::service::grant as grants;
use crate::service::partner::{self as partners, PartnerFields};
use crate::service::site::{self as sites, SiteFields};

#[derive(Default)]
pub struct DirectoryMutation;

/// A new partner.
#[derive(InputObject)]
pub struct CreatePartnerInput {
    /// 1-8 characters of A-Z, a-z, 0-9, `_` or `-`; unique case-insensitively.
    pub short_code: String,
    /// Unique, 1-128 characters.
    pub name: String,
    /// The URL of the LMS it runs on.
    pub lms_url: Option<String>,
    /// The URL of the Studio it authors in.
    pub studio_url: Option<String>,
    /// The URL of its marketing site.
    pub marketing_site_url: Option<String>,
}

/// Fields left out stay as they are; `null` clears a URL.
#[derive(InputObject)]
pub struct UpdatePartnerInput {
    /// A new display name.
    pub name: Option<String>,
    /// A new LMS URL (null clears it).
    pub lms_url: MaybeUndefined<String>,
    /// A new Studio URL (null clears it).
    pub studio_url: MaybeUndefined<String>,
    /// A new marketing site URL (null clears it).
    pub marketing_site_url: MaybeUndefined<String>,
    /// False deactivates the partner, true reactivates it.
    pub active: Option<bool>,
}

/// A new site.
#[derive(InputObject)]
pub struct CreateSiteInput {
    /// 1-100 characters, no whitespace; unique case-insensitively.
    pub domain: String,
    /// 1-50 characters.
    pub name: String,
    /// The short code of the partner this site is configured for.
    pub partner: Option<String>,
}

/// Fields left out stay as they are; `partner: null` clears the site's partner.
#[derive(InputObject)]
pub struct UpdateSiteInput {
    /// A new display name.
    pub name: Option<String>,
    /// The short code of the partner it is now configured for (null: none).
    pub partner: MaybeUndefined<String>,
    /// False deactivates the site, true reactivates it.
    pub active: Option<bool>,
}

#[Object]
impl DirectoryMutation {
    /// Creates a partner (administrators).
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new partner.")] input: CreatePartnerInput,
    ) -> Result<Partner> {
        let fields = PartnerFields {
            name: Some(input.name),
            lms_url: Some(input.lms_url),
            studio_url: Some(input.studio_url),
            marketing_site_url: Some(input.marketing_site_url),
            active: None,
        };
        Ok(Partner(
            partners::create(actor(ctx), &input.short_code, fields).await?,
        ))
    }

    /// Changes a partner (its PARTNER_ADMINs and administrators).
    async fn update_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner to change (short code, any case).")] short_code: String,
        #[graphql(desc = "The fields to change; absent fields are kept.")]
        input: UpdatePartnerInput,
    ) -> Result<Partner> {
        let fields = PartnerFields {
            name: input.name,
            lms_url: maybe(input.lms_url),
            studio_url: maybe(input.studio_url),
            marketing_site_url: maybe(input.marketing_site_url),
            active: input.active,
        };
        Ok(Partner(
            partners::update(actor(ctx), &short_code, fields).await?,
        ))
    }

    /// Creates a site (administrators).
    async fn create_site(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new site.")] input: CreateSiteInput,
    ) -> Result<Site> {
        let fields = SiteFields {
            name: Some(input.name),
            partner: Some(input.partner),
            active: None,
        };
        Ok(Site(
            sites::create(actor(ctx), &input.domain, fields).await?,
        ))
    }

    /// Changes a site (its partner's PARTNER_ADMINs and administrators).
    async fn update_site(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The site to change (domain, any case).")] domain: String,
        #[graphql(desc = "The fields to change; absent fields are kept.")] input: UpdateSiteInput,
    ) -> Result<Site> {
        let fields = SiteFields {
            name: input.name,
            partner: maybe(input.partner),
            active: input.active,
        };
        Ok(Site(sites::update(actor(ctx), &domain, fields).await?))
    }

    /// Makes an organization a member of a partner (idempotent).
    async fn add_organization_to_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner (short code).")] partner: String,
        #[graphql(desc = "The organization to add (short name).")] organization: String,
    ) -> Result<Partner> {
        Ok(Partner(
            partners::set_membership(actor(ctx), &partner, &organization, true).await?,
        ))
    }

    /// Removes an organization from a partner; true when it was a member.
    async fn remove_organization_from_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner (short code).")] partner: String,
        #[graphql(desc = "The organization to remove (short name).")] organization: String,
    ) -> Result<Partner> {
        Ok(Partner(
            partners::set_membership(actor(ctx), &partner, &organization, false).await?,
        ))
    }

    /// Makes a site present an organization (idempotent).
    async fn add_organization_to_site(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The site (domain).")] site: String,
        #[graphql(desc = "The organization to present (short name).")] organization: String,
    ) -> Result<Site> {
        Ok(Site(
            sites::set_presented(actor(ctx), &site, &organization, true).await?,
        ))
    }

    /// Stops a site presenting an organization; true when it did.
    async fn remove_organization_from_site(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The site (domain).")] site: String,
        #[graphql(desc = "The organization to stop presenting (short name).")] organization: String,
    ) -> Result<Site> {
        Ok(Site(
            sites::set_presented(actor(ctx), &site, &organization, false).await?,
        ))
    }

    /// Grants a role on a partner (PARTNER_ADMIN) or an organization (ORG_ADMIN, ORG_STAFF).
    async fn grant_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The username the role is given to (a token's preferred_username).")]
        subject: String,
        #[graphql(desc = "The role to give.")] role: Role,
        #[graphql(desc = "The partner, for PARTNER_ADMIN.")] partner: Option<String>,
        #[graphql(desc = "The organization, for ORG_ADMIN and ORG_STAFF.")] organization: Option<
            String,
        >,
    ) -> Result<Grant> {
        let grant = grants::grant(
            actor(ctx),
            &subject,
            role.into(),
            partner.as_deref(),
            organization.as_deref(),
        )
        .await?;
        Ok(Grant(grant))
    }

    /// Revokes a role; false when there was no such grant.
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The username the role is taken from.")] subject: String,
        #[graphql(desc = "The role to take.")] role: Role,
        #[graphql(desc = "The partner, for PARTNER_ADMIN.")] partner: Option<String>,
        #[graphql(desc = "The organization, for ORG_ADMIN and ORG_STAFF.")] organization: Option<
            String,
        >,
    ) -> Result<bool> {
        Ok(grants::revoke(
            actor(ctx),
            &subject,
            role.into(),
            partner.as_deref(),
            organization.as_deref(),
        )
        .await?)
    }
}
