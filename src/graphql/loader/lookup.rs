//! Loaders that find records by identity: for lookups, `_entities` and to-one relations.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{organization, partner, site};
use sea_orm::{DatabaseConnection, FromQueryResult};

use crate::access::Scope;
use crate::domain::names::Key;
use crate::error::AppError;
use crate::repo;

#[derive(Clone)]
pub struct LoaderCtx {
    pub db: DatabaseConnection,
    pub scope: Arc<Scope>,
    /// `tenancy_dataloader_batch_size`, by loader.
    pub batch_sizes: prometheus::HistogramVec,
}

impl LoaderCtx {
    /// Records the number of keys in one batch of `loader` (a batch is one statement, or one per group of keys with different arguments).
    pub fn observe(&self, loader: &str, keys: usize) {
        self.batch_sizes
            .with_label_values(&[loader])
            .observe(keys as f64);
    }

    async fn rows<M: FromQueryResult>(&self, select: &repo::Select) -> Result<Vec<M>, AppError> {
        repo::rows(&self.db, select).await
    }
}

/// An organization by folded short name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrganizationKey {
    pub key: Key,
    pub include_inactive: bool,
}

/// The rows found, under the keys they were asked by (each row's key column holds its `Key`).
fn by_asked<M>(
    asked: impl IntoIterator<Item = Key>,
    rows: Vec<M>,
    stored: impl Fn(&M) -> &str,
) -> HashMap<Key, M> {
    let mut found: HashMap<String, M> = rows
        .into_iter()
        .map(|r| (stored(&r).to_owned(), r))
        .collect();
    asked
        .into_iter()
        .filter_map(|k| found.remove(k.as_str()).map(|row| (k, row)))
        .collect()
}

pub struct OrganizationByKey(pub(super) LoaderCtx);

impl Loader<OrganizationKey> for OrganizationByKey {
    type Value = organization::Model;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[OrganizationKey],
    ) -> Result<HashMap<OrganizationKey, Self::Value>, AppError> {
        self.0.observe("OrganizationByKey", keys.len());
        let mut out = HashMap::new();
        for include_inactive in [false, true] {
            let wanted: Vec<Key> = keys
                .iter()
                .filter(|k| k.include_inactive == include_inactive)
                .map(|k| k.key.clone())
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let rows: Vec<organization::Model> = self
                .0
                .rows(&repo::organization::by_keys(
                    &self.0.scope,
                    &wanted,
                    include_inactive,
                ))
                .await?;
            for (key, row) in by_asked(wanted, rows, |o| &o.short_name_key) {
                out.insert(
                    OrganizationKey {
                        key,
                        include_inactive,
                    },
                    row,
                );
            }
        }
        Ok(out)
    }
}

/// An organization by id, inactive ones included where the caller's grants cover them (`Grant.organization`).
pub struct OrganizationById(pub(super) LoaderCtx);

impl Loader<i64> for OrganizationById {
    type Value = organization::Model;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, AppError> {
        self.0.observe("OrganizationById", ids.len());
        let rows: Vec<organization::Model> = self
            .0
            .rows(&repo::organization::by_ids(&self.0.scope, ids, true))
            .await?;
        Ok(rows.into_iter().map(|o| (o.id, o)).collect())
    }
}

/// A partner by folded short code.
pub struct PartnerByKey(pub(super) LoaderCtx);

impl Loader<Key> for PartnerByKey {
    type Value = partner::Model;
    type Error = AppError;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, AppError> {
        self.0.observe("PartnerByKey", keys.len());
        let rows: Vec<partner::Model> = self
            .0
            .rows(&repo::partner::by_keys(&self.0.scope, keys))
            .await?;
        Ok(by_asked(keys.iter().cloned(), rows, |p| &p.short_code_key))
    }
}

/// A partner by id (`Site.partner`).
pub struct PartnerById(pub(super) LoaderCtx);

impl Loader<i64> for PartnerById {
    type Value = partner::Model;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, AppError> {
        self.0.observe("PartnerById", ids.len());
        let rows: Vec<partner::Model> = self
            .0
            .rows(&repo::partner::by_ids(&self.0.scope, ids))
            .await?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// A site by folded domain.
pub struct SiteByKey(pub(super) LoaderCtx);

impl Loader<Key> for SiteByKey {
    type Value = site::Model;
    type Error = AppError;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, AppError> {
        self.0.observe("SiteByKey", keys.len());
        let rows: Vec<site::Model> = self
            .0
            .rows(&repo::site::by_keys(&self.0.scope, keys))
            .await?;
        Ok(by_asked(keys.iter().cloned(), rows, |s| &s.domain_key))
    }
}

/// The visible organizations of a course key, first linked first.
pub struct CourseOrganizations(pub(super) LoaderCtx);

impl Loader<String> for CourseOrganizations {
    type Value = Vec<organization::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, AppError> {
        self.0.observe("CourseOrganizations", keys.len());
        repo::course::organizations_of_courses(&self.0.db, &self.0.scope, keys).await
    }
}
