//! Schema migrations, one module per change. A landed migration is never edited: add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_tenancy_graph;
mod m20261129_000001_change_log;
mod m20261129_000002_identity_keys;
mod m20261130_000001_course_link_order;
mod m20261130_000002_page_indexes;
mod m20261130_000003_grant_through_partner;
mod m20261130_000004_change_log_partial_indexes;
mod m20261207_000101_follow_marks;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_tenancy_graph::Migration),
            Box::new(m20261129_000001_change_log::Migration),
            Box::new(m20261129_000002_identity_keys::Migration),
            Box::new(m20261130_000001_course_link_order::Migration),
            Box::new(m20261130_000002_page_indexes::Migration),
            Box::new(m20261130_000003_grant_through_partner::Migration),
            Box::new(m20261130_000004_change_log_partial_indexes::Migration),
            Box::new(m20261207_000101_follow_marks::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Landed names are recorded in `seaql_migrations`: renaming one would re-run it.
    #[test]
    fn migration_names_never_change() {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "m20261123_000001_tenancy_graph",
                "m20261129_000001_change_log",
                "m20261129_000002_identity_keys",
                "m20261130_000001_course_link_order",
                "m20261130_000002_page_indexes",
                "m20261130_000003_grant_through_partner",
                "m20261130_000004_change_log_partial_indexes",
                "m20261207_000101_follow_marks"
            ]
        );
    }
}
