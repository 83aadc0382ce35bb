//! Grants given on a partner admin's authority remember the partner: when the organization
//! leaves that partner, they end with the membership (docs/access.md).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RoleGrant {
    Table,
    ThroughPartnerId,
    OrganizationId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key (SQLite cannot add one to an existing table); partners are never
        // deleted, only deactivated. Existing grants keep NULL: their origin is unknown, so
        // nothing that exists today ends unexpectedly.
        manager
            .alter_table(
                Table::alter()
                    .table(RoleGrant::Table)
                    .add_column(
                        ColumnDef::new(RoleGrant::ThroughPartnerId)
                            .big_integer()
                            .null(),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_role_grant_through_partner")
                    .table(RoleGrant::Table)
                    .col(RoleGrant::ThroughPartnerId)
                    .col(RoleGrant::OrganizationId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_role_grant_through_partner")
                    .table(RoleGrant::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RoleGrant::Table)
                    .drop_column(RoleGrant::ThroughPartnerId)
                    .take(),
            )
            .await
    }
}
