//! Loaders for paginated relations: one statement per batch of parents (see `domain::page`).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{change_log, course_link, organization, partner, site};
use sea_orm::FromQueryResult;

use super::lookup::LoaderCtx;
use crate::access::Scope;
use crate::domain::page::{Page, PageArgs};
use crate::error::AppError;
use crate::repo;
use crate::repo::change::{ChangeFilter, HistoryOf};
use crate::repo::page::PagedQuery;

/// A page of one parent's children.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildKey {
    pub parent: i64,
    pub args: PageArgs,
    pub include_inactive: bool,
    /// Whether `totalCount` is selected (counting is what a large list costs).
    pub count: bool,
}

/// A paginated relation: which rows, for which parents.
pub trait Relation: Send + Sync + 'static {
    /// The loader's label in `tenancy_dataloader_batch_size`.
    const NAME: &'static str;
    type Row: FromQueryResult + Clone + Send + Sync + 'static;
    fn query(scope: &Scope, parents: &[i64], include_inactive: bool) -> PagedQuery;
}

pub struct Paged<R> {
    ctx: LoaderCtx,
    relation: PhantomData<fn() -> R>,
}

impl<R> Paged<R> {
    pub(super) fn new(ctx: LoaderCtx) -> Self {
        Paged {
            ctx,
            relation: PhantomData,
        }
    }
}

/// Pages travel in an `Arc`: the dataloader hands each requester a clone of its value, which for
/// a bare `Page` copied every row; `object::children` takes the page back out without copying.
impl<R: Relation> Loader<ChildKey> for Paged<R> {
    type Value = Arc<Page<R::Row>>;
    type Error = AppError;

    async fn load(&self, keys: &[ChildKey]) -> Result<HashMap<ChildKey, Self::Value>, AppError> {
        self.ctx.observe(R::NAME, keys.len());
        // Siblings share their arguments, so this is one group (one statement) in practice.
        let mut groups: HashMap<(&PageArgs, bool, bool), Vec<i64>> = HashMap::new();
        for key in keys {
            groups
                .entry((&key.args, key.include_inactive, key.count))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((args, include_inactive, count), parents) in groups {
            let query = R::query(&self.ctx.scope, &parents, include_inactive);
            let db = &self.ctx.db;
            let mut pages =
                repo::page::fetch::<R::Row, _>(db, query, &parents, args, count).await?;
            for parent in parents {
                let page = pages.remove(&parent).unwrap_or_else(|| Page::empty(args));
                out.insert(
                    ChildKey {
                        parent,
                        args: args.clone(),
                        include_inactive,
                        count,
                    },
                    Arc::new(page),
                );
            }
        }
        Ok(out)
    }
}

macro_rules! relation {
    ($name:ident, $row:ty, |$scope:ident, $parents:ident, $inactive:ident| $query:expr) => {
        pub struct $name;
        impl Relation for $name {
            const NAME: &'static str = stringify!($name);
            type Row = $row;
            fn query($scope: &Scope, $parents: &[i64], $inactive: bool) -> PagedQuery {
                $query
            }
        }
    };
}

relation!(PartnerSites, site::Model, |s, p, _i| {
    repo::site::of_partners(s, p)
});
relation!(PartnerOrganizations, organization::Model, |s, p, i| {
    repo::organization::of_partners(s, p, i)
});
relation!(SiteOrganizations, organization::Model, |s, p, _i| {
    repo::organization::of_sites(s, p)
});
relation!(OrganizationPartners, partner::Model, |s, p, _i| {
    repo::partner::of_organizations(s, p)
});
relation!(OrganizationSites, site::Model, |s, p, _i| {
    repo::site::of_organizations(s, p)
});
relation!(OrganizationCourses, course_link::Model, |s, p, i| {
    repo::course::of_organizations(s, p, i)
});
relation!(OrganizationHistory, change_log::Model, |s, p, _i| {
    repo::change::history(s, HistoryOf::Organization, p, &ChangeFilter::default())
});
relation!(PartnerHistory, change_log::Model, |s, p, _i| {
    repo::change::history(s, HistoryOf::Partner, p, &ChangeFilter::default())
});
relation!(SiteHistory, change_log::Model, |s, p, _i| {
    repo::change::history(s, HistoryOf::Site, p, &ChangeFilter::default())
});
