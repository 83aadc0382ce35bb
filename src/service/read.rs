//! Reads that are not a relation of the graph: what the caller itself holds.

use entity::role_grant;
use sea_orm::DatabaseConnection;

use crate::access::Scope;
use crate::error::AppResult;
use crate::repo;

/// The grants stored for the caller's subject (none when anonymous).
pub async fn own_grants(
    db: &DatabaseConnection,
    scope: &Scope,
) -> AppResult<Vec<role_grant::Model>> {
    match &scope.subject {
        None => Ok(Vec::new()),
        Some(subject) => repo::grant::of_subject(db, subject).await,
    }
}
