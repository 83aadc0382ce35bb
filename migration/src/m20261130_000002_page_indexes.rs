//! Indexes for keyset pages (a page costs what it holds: docs/performance.md). Lists that show
//! only active rows seek `(active, key)` to the cursor and read `first + 1` entries in order, and
//! count them (`totalCount`) from the index alone; a course page seeks
//! `(organization_id, active, id)` the same way.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, columns).
const INDEXES: &[(&str, &str, &[&str])] = &[
    (
        "ix_organization_active_key",
        "organization",
        &["active", "short_name_key"],
    ),
    (
        "ix_partner_active_key",
        "partner",
        &["active", "short_code_key"],
    ),
    ("ix_site_active_key", "site", &["active", "domain_key"]),
    (
        "ix_course_link_org_active",
        "course_link",
        // A course page seeks by link order (position, m20261130_000001) within its organization.
        &["organization_id", "active", "position"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table(Alias::new(*table));
            for col in *cols {
                index.col(Alias::new(*col));
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(*name)
                        .table(Alias::new(*table))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
