//! One DataLoader per relation, all built per request in `Loaders::new` and carrying the
//! caller's scope, so that visibility is part of every batched statement.

mod lookup;
pub mod paged;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

pub use lookup::{
    CourseOrganizations, OrganizationById, OrganizationByKey, OrganizationKey, PartnerById,
    PartnerByKey, SiteByKey,
};
pub use paged::{ChildKey, Paged};

use super::batch::BatchQueue;
use crate::access::Scope;

/// Large enough that one level of the widest allowed query is one batch; both engines accept this many bound parameters in one statement.
const MAX_BATCH: usize = 15_000;

pub struct Loaders {
    pub organization_by_key: DataLoader<OrganizationByKey>,
    pub organization_by_id: DataLoader<OrganizationById>,
    pub partner_by_key: DataLoader<PartnerByKey>,
    pub partner_by_id: DataLoader<PartnerById>,
    pub site_by_key: DataLoader<SiteByKey>,
    pub course_organizations: DataLoader<CourseOrganizations>,
    pub partner_sites: DataLoader<Paged<paged::PartnerSites>>,
    pub partner_organizations: DataLoader<Paged<paged::PartnerOrganizations>>,
    pub site_organizations: DataLoader<Paged<paged::SiteOrganizations>>,
    pub organization_partners: DataLoader<Paged<paged::OrganizationPartners>>,
    pub organization_sites: DataLoader<Paged<paged::OrganizationSites>>,
    pub organization_courses: DataLoader<Paged<paged::OrganizationCourses>>,
    pub organization_history: DataLoader<Paged<paged::OrganizationHistory>>,
    pub partner_history: DataLoader<Paged<paged::PartnerHistory>>,
    pub site_history: DataLoader<Paged<paged::SiteHistory>>,
}

impl Loaders {
    pub fn new(
        db: &DatabaseConnection,
        scope: Arc<Scope>,
        queue: &BatchQueue,
        batch_sizes: &prometheus::HistogramVec,
    ) -> Self {
        let ctx = lookup::LoaderCtx {
            db: db.clone(),
            scope,
            batch_sizes: batch_sizes.clone(),
        };
        fn build<T>(loader: T, queue: &BatchQueue) -> DataLoader<T>
        where
            T: Send + Sync + 'static,
        {
            DataLoader::new(loader, queue.spawner())
                .delay(Duration::ZERO)
                .max_batch_size(MAX_BATCH)
        }
        Loaders {
            organization_by_key: build(OrganizationByKey(ctx.clone()), queue),
            organization_by_id: build(OrganizationById(ctx.clone()), queue),
            partner_by_key: build(PartnerByKey(ctx.clone()), queue),
            partner_by_id: build(PartnerById(ctx.clone()), queue),
            site_by_key: build(SiteByKey(ctx.clone()), queue),
            course_organizations: build(CourseOrganizations(ctx.clone()), queue),
            partner_sites: build(Paged::new(ctx.clone()), queue),
            partner_organizations: build(Paged::new(ctx.clone()), queue),
            site_organizations: build(Paged::new(ctx.clone()), queue),
            organization_partners: build(Paged::new(ctx.clone()), queue),
            organization_sites: build(Paged::new(ctx.clone()), queue),
            organization_courses: build(Paged::new(ctx.clone()), queue),
            organization_history: build(Paged::new(ctx.clone()), queue),
            partner_history: build(Paged::new(ctx.clone()), queue),
            site_history: build(Paged::new(ctx), queue),
        }
    }
}
