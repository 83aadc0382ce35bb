//! Where following the Open edX databases stands (docs/adopting.md): one row per followed source
//! (`lms`, `discovery`, `ecommerce`), naming the database it follows and its high-water marks,
//! written in the transaction of each round it applies, so a restart resumes where the last
//! committed round ended.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FollowMark {
    Table,
    Source,
    Origin,
    Marks,
    Updated,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FollowMark::Table)
                    .col(string_len(FollowMark::Source, 16).primary_key())
                    .col(text(FollowMark::Origin))
                    .col(text(FollowMark::Marks))
                    .col(timestamp_with_time_zone(FollowMark::Updated))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FollowMark::Table).take())
            .await
    }
}
