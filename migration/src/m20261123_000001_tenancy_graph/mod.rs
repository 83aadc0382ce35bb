//! The whole tenancy graph: partners, sites, organizations, course links, the two membership
//! tables and grants. Case-insensitive identities are unique on their `*_key` column (the
//! case-folded value computed by the service), which behaves the same on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

mod idens;
use idens::*;

pub struct Migration;

// Named by hand: the derive takes the file name, which is `mod` in a module directory.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_tenancy_graph"
    }
}

fn timestamp(col: impl IntoIden) -> ColumnDef {
    timestamp_with_time_zone(col)
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

fn index(
    name: &str,
    table: impl IntoIden,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    if unique {
        stmt.unique();
    }
    stmt.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Partner::Table)
                    .col(big_pk_auto(Partner::Id))
                    .col(string_len(Partner::ShortCode, 8))
                    .col(string_len(Partner::ShortCodeKey, 64))
                    .col(string_len(Partner::Name, 128))
                    .col(text_null(Partner::LmsUrl))
                    .col(text_null(Partner::StudioUrl))
                    .col(text_null(Partner::MarketingSiteUrl))
                    .col(boolean(Partner::Active).default(true))
                    .col(timestamp(Partner::Created))
                    .col(timestamp(Partner::Modified))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Site::Table)
                    .col(big_pk_auto(Site::Id))
                    .col(string_len(Site::Domain, 100))
                    .col(string_len(Site::DomainKey, 400))
                    .col(string_len(Site::Name, 50))
                    .col(big_integer_null(Site::PartnerId))
                    .col(boolean(Site::Active).default(true))
                    .col(timestamp(Site::Created))
                    .col(timestamp(Site::Modified))
                    .foreign_key(&mut fk(
                        "fk_site_partner",
                        (Site::Table, Site::PartnerId),
                        (Partner::Table, Partner::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Organization::Table)
                    .col(big_pk_auto(Organization::Id))
                    .col(string_len(Organization::ShortName, 255))
                    .col(string_len(Organization::ShortNameKey, 1020))
                    .col(string_len(Organization::Name, 255))
                    .col(text_null(Organization::Description))
                    .col(text_null(Organization::LogoUrl))
                    .col(boolean(Organization::Active).default(true))
                    .col(timestamp(Organization::Created))
                    .col(timestamp(Organization::Modified))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseLink::Table)
                    .col(big_pk_auto(CourseLink::Id))
                    .col(big_integer(CourseLink::OrganizationId))
                    .col(text(CourseLink::CourseKey))
                    .col(boolean(CourseLink::Active).default(true))
                    .col(timestamp(CourseLink::Created))
                    .col(timestamp(CourseLink::Modified))
                    .foreign_key(&mut fk(
                        "fk_course_link_organization",
                        (CourseLink::Table, CourseLink::OrganizationId),
                        (Organization::Table, Organization::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PartnerOrganization::Table)
                    .col(big_integer(PartnerOrganization::PartnerId))
                    .col(big_integer(PartnerOrganization::OrganizationId))
                    .col(timestamp(PartnerOrganization::Created))
                    .primary_key(
                        Index::create()
                            .col(PartnerOrganization::PartnerId)
                            .col(PartnerOrganization::OrganizationId),
                    )
                    .foreign_key(&mut fk(
                        "fk_partner_organization_partner",
                        (PartnerOrganization::Table, PartnerOrganization::PartnerId),
                        (Partner::Table, Partner::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_partner_organization_organization",
                        (
                            PartnerOrganization::Table,
                            PartnerOrganization::OrganizationId,
                        ),
                        (Organization::Table, Organization::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SiteOrganization::Table)
                    .col(big_integer(SiteOrganization::SiteId))
                    .col(big_integer(SiteOrganization::OrganizationId))
                    .col(timestamp(SiteOrganization::Created))
                    .primary_key(
                        Index::create()
                            .col(SiteOrganization::SiteId)
                            .col(SiteOrganization::OrganizationId),
                    )
                    .foreign_key(&mut fk(
                        "fk_site_organization_site",
                        (SiteOrganization::Table, SiteOrganization::SiteId),
                        (Site::Table, Site::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_site_organization_organization",
                        (SiteOrganization::Table, SiteOrganization::OrganizationId),
                        (Organization::Table, Organization::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleGrant::Table)
                    .col(big_pk_auto(RoleGrant::Id))
                    .col(string_len(RoleGrant::Subject, 255))
                    .col(string_len(RoleGrant::Role, 32))
                    .col(big_integer_null(RoleGrant::PartnerId))
                    .col(big_integer_null(RoleGrant::OrganizationId))
                    .col(timestamp(RoleGrant::Created))
                    // A grant targets exactly one partner or one organization, with a role that
                    // fits that target.
                    .check(Expr::cust(
                        "(role = 'PARTNER_ADMIN' AND partner_id IS NOT NULL AND organization_id IS NULL) \
                         OR (role IN ('ORG_ADMIN', 'ORG_STAFF') AND organization_id IS NOT NULL AND partner_id IS NULL)",
                    ))
                    .foreign_key(&mut fk(
                        "fk_role_grant_partner",
                        (RoleGrant::Table, RoleGrant::PartnerId),
                        (Partner::Table, Partner::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_role_grant_organization",
                        (RoleGrant::Table, RoleGrant::OrganizationId),
                        (Organization::Table, Organization::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        let indexes = [
            index(
                "ux_partner_short_code_key",
                Partner::Table,
                &["short_code_key"],
                true,
            ),
            index("ux_partner_name", Partner::Table, &["name"], true),
            index("ux_site_domain_key", Site::Table, &["domain_key"], true),
            index(
                "ix_site_partner",
                Site::Table,
                &["partner_id", "domain_key"],
                false,
            ),
            index(
                "ux_organization_short_name_key",
                Organization::Table,
                &["short_name_key"],
                true,
            ),
            index(
                "ux_course_link_key_org",
                CourseLink::Table,
                &["course_key", "organization_id"],
                true,
            ),
            index(
                "ix_course_link_org",
                CourseLink::Table,
                &["organization_id", "id"],
                false,
            ),
            index(
                "ix_partner_organization_org",
                PartnerOrganization::Table,
                &["organization_id", "partner_id"],
                false,
            ),
            index(
                "ix_site_organization_org",
                SiteOrganization::Table,
                &["organization_id", "site_id"],
                false,
            ),
            index(
                "ix_role_grant_subject",
                RoleGrant::Table,
                &["subject"],
                false,
            ),
            index(
                "ix_role_grant_partner",
                RoleGrant::Table,
                &["partner_id"],
                false,
            ),
            index(
                "ix_role_grant_organization",
                RoleGrant::Table,
                &["organization_id"],
                false,
            ),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }
        // One grant per (subject, role, target). Partial indexes, because NULLs never collide in
        // a plain unique index; both engines support them with this exact syntax.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_role_grant_partner ON role_grant (subject, role, partner_id) \
             WHERE partner_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_role_grant_organization ON role_grant (subject, role, organization_id) \
             WHERE organization_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RoleGrant::Table.into_iden(),
            SiteOrganization::Table.into_iden(),
            PartnerOrganization::Table.into_iden(),
            CourseLink::Table.into_iden(),
            Organization::Table.into_iden(),
            Site::Table.into_iden(),
            Partner::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
