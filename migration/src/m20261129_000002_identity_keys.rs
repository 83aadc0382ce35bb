//! Identity keys by Unicode compatibility caseless matching (`entity::keys::fold`) instead of
//! lower-casing, and partner names unique the same way (`partner.name_key`). Existing keys are
//! recomputed; two rows that now share a key stop the migration with a message naming them, for
//! an operator to merge or rename (the service would otherwise hold two records it considers
//! one).

use std::collections::HashMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, spelling column, key column).
const KEYS: &[(&str, &str, &str)] = &[
    ("organization", "short_name", "short_name_key"),
    ("partner", "short_code", "short_code_key"),
    ("partner", "name", "name_key"),
    ("site", "domain", "domain_key"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE partner ADD COLUMN name_key VARCHAR(128) NOT NULL DEFAULT ''",
        )
        .await?;
        for &(table, column, key) in KEYS {
            rekey(db, table, column, key).await?;
        }
        db.execute_unprepared("CREATE UNIQUE INDEX ux_partner_name_key ON partner (name_key)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ux_partner_name_key")
            .await?;
        db.execute_unprepared("ALTER TABLE partner DROP COLUMN name_key")
            .await?;
        Ok(())
    }
}

/// A site's key ignores a trailing dot of its host (`edx.org.` is `edx.org`).
fn key_of(table: &str, spelling: &str) -> String {
    let spelling = match table {
        "site" => spelling.strip_suffix('.').unwrap_or(spelling),
        _ => spelling,
    };
    entity::keys::fold(spelling)
}

async fn rekey<C: ConnectionTrait>(
    db: &C,
    table: &str,
    column: &str,
    key: &str,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT id, {column}, {key} FROM {table} ORDER BY id"),
        ))
        .await?;
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut changed = Vec::new();
    let mut collisions = Vec::new();
    for row in rows {
        let id: i64 = row.try_get_by_index(0)?;
        let spelling: String = row.try_get_by_index(1)?;
        let old: String = row.try_get_by_index(2)?;
        let new = key_of(table, &spelling);
        if let Some(first) = seen.get(&new) {
            collisions.push(format!("{first:?} and {spelling:?}"));
            continue;
        }
        seen.insert(new.clone(), spelling);
        if new != old {
            changed.push((id, new));
        }
    }
    if !collisions.is_empty() {
        return Err(DbErr::Migration(format!(
            "{table}.{column}: these are one identity under Unicode caseless matching; \
             rename or merge them, then migrate again: {}",
            collisions.join(", ")
        )));
    }
    for (id, new) in changed {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm_migration::sea_orm::DbBackend::Postgres => {
                    format!("UPDATE {table} SET {key} = $1 WHERE id = $2")
                }
                _ => format!("UPDATE {table} SET {key} = ? WHERE id = ?"),
            },
            [new.into(), id.into()],
        ))
        .await?;
    }
    Ok(())
}
