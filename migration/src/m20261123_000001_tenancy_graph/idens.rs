//! Table and column names of the tenancy graph migration.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub(super) enum Partner {
    Table,
    Id,
    ShortCode,
    ShortCodeKey,
    Name,
    LmsUrl,
    StudioUrl,
    MarketingSiteUrl,
    Active,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub(super) enum Site {
    Table,
    Id,
    Domain,
    DomainKey,
    Name,
    PartnerId,
    Active,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub(super) enum Organization {
    Table,
    Id,
    ShortName,
    ShortNameKey,
    Name,
    Description,
    LogoUrl,
    Active,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub(super) enum CourseLink {
    Table,
    Id,
    OrganizationId,
    CourseKey,
    Active,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub(super) enum PartnerOrganization {
    Table,
    PartnerId,
    OrganizationId,
    Created,
}

#[derive(DeriveIden)]
pub(super) enum SiteOrganization {
    Table,
    SiteId,
    OrganizationId,
    Created,
}

#[derive(DeriveIden)]
pub(super) enum RoleGrant {
    Table,
    Id,
    Subject,
    Role,
    PartnerId,
    OrganizationId,
    Created,
}
