//! Course-link order recorded explicitly (`course_link.position`), not read from ids: a
//! distributed PostgreSQL-compatible engine hands out ids in no particular order, and the
//! "first organization" of a course is the one linked first.
//!
//! A new link's position is stamped when its transaction appends the change log, under the
//! log's lock, so positions follow commit order (`repo::course::write::stamp_positions`):
//! on PostgreSQL from the `course_link_position` sequence, on SQLite (one writer at a time)
//! after the greatest position. Until then it is NULL, which only its own transaction sees.
//! Existing links keep today's order: their position is their id.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CourseLink {
    Table,
    Position,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CourseLink::Table)
                    .add_column(ColumnDef::new(CourseLink::Position).big_integer().null())
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE course_link SET position = id")
            .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            db.execute_unprepared("CREATE SEQUENCE course_link_position")
                .await?;
            db.execute_unprepared(
                "SELECT setval('course_link_position', \
                 COALESCE((SELECT MAX(position) FROM course_link), 0) + 1, false)",
            )
            .await?;
        }
        // Unique: positions are a total order (and a keyset for pages). The NULLs of links
        // waiting for their commit are allowed side by side, and found through it.
        manager
            .create_index(
                Index::create()
                    .name("ux_course_link_position")
                    .table(CourseLink::Table)
                    .col(CourseLink::Position)
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_course_link_position")
                    .table(CourseLink::Table)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP SEQUENCE course_link_position")
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(CourseLink::Table)
                    .drop_column(CourseLink::Position)
                    .take(),
            )
            .await
    }
}
