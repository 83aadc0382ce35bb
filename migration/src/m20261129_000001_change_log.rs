//! The change log (history of every write), with indexes for the per-record histories.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Id,
    At,
    Actor,
    Kind,
    Entity,
    Key,
    Before,
    After,
    Public,
    OrganizationId,
    PartnerId,
    OtherPartnerId,
    SiteId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .col(big_pk_auto(ChangeLog::Id))
                    .col(timestamp_with_time_zone(ChangeLog::At))
                    .col(string_len_null(ChangeLog::Actor, 255))
                    .col(string_len(ChangeLog::Kind, 16))
                    .col(string_len(ChangeLog::Entity, 32))
                    .col(text(ChangeLog::Key))
                    .col(text_null(ChangeLog::Before))
                    .col(text_null(ChangeLog::After))
                    .col(boolean(ChangeLog::Public))
                    .col(big_integer_null(ChangeLog::OrganizationId))
                    .col(big_integer_null(ChangeLog::PartnerId))
                    .col(big_integer_null(ChangeLog::OtherPartnerId))
                    .col(big_integer_null(ChangeLog::SiteId))
                    .take(),
            )
            .await?;
        // No foreign keys: history outlives what it describes (revoked grants, removed
        // memberships). Each history is an index range scan in id order.
        for (name, col) in [
            ("ix_change_log_organization", "organization_id"),
            ("ix_change_log_partner", "partner_id"),
            ("ix_change_log_site", "site_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ChangeLog::Table)
                        .col(Alias::new(col))
                        .col(ChangeLog::Id)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeLog::Table).take())
            .await
    }
}
