//! Organizations: lists, membership relations and lookups.

pub mod rest;
pub mod write;

use entity::{organization, partner_organization, site_organization};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, SelectStatement};
use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

use super::page::PagedQuery;
use crate::domain::page::SortKind;
use crate::domain::scope::{self, Scope};

/// `SELECT organization.* FROM organization WHERE <visible>`.
pub fn visible(scope: &Scope, include_inactive: bool) -> SelectStatement {
    organization::Entity::find()
        .filter(scope::organizations(scope, include_inactive))
        .into_query()
}

fn sort() -> sea_orm::sea_query::ColumnRef {
    (organization::Entity, organization::Column::ShortNameKey).into_column_ref()
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ListFilter {
    pub search: Option<String>,
    pub partner_id: Option<i64>,
    pub site_id: Option<i64>,
    pub include_inactive: bool,
}

/// The top-level `organizations` list.
pub fn list(scope: &Scope, filter: &ListFilter) -> PagedQuery {
    let mut select = visible(scope, filter.include_inactive);
    if let Some(needle) = &filter.search {
        select.cond_where(super::search(
            needle,
            Expr::col((organization::Entity, organization::Column::ShortNameKey)),
            Expr::col((organization::Entity, organization::Column::Name)),
        ));
    }
    if let Some(partner_id) = filter.partner_id {
        select.and_where(
            Expr::col((organization::Entity, organization::Column::Id)).in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(partner_organization::Column::OrganizationId)
                    .from(partner_organization::Entity)
                    .and_where(Expr::col(partner_organization::Column::PartnerId).eq(partner_id))
                    .take(),
            ),
        );
    }
    if let Some(site_id) = filter.site_id {
        select.and_where(
            Expr::col((organization::Entity, organization::Column::Id)).in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(site_organization::Column::OrganizationId)
                    .from(site_organization::Entity)
                    .and_where(Expr::col(site_organization::Column::SiteId).eq(site_id))
                    .take(),
            ),
        );
    }
    PagedQuery {
        select,
        parent: None,
        sort: sort(),
        sort_kind: SortKind::Text,
        since: None,
    }
}

/// The member organizations of many partners (`Partner.organizations`).
pub fn of_partners(scope: &Scope, partner_ids: &[i64], include_inactive: bool) -> PagedQuery {
    let mut select = visible(scope, include_inactive);
    select
        .inner_join(
            partner_organization::Entity,
            Expr::col((
                partner_organization::Entity,
                partner_organization::Column::OrganizationId,
            ))
            .equals((organization::Entity, organization::Column::Id)),
        )
        .and_where(
            Expr::col((
                partner_organization::Entity,
                partner_organization::Column::PartnerId,
            ))
            .is_in(partner_ids.iter().copied()),
        );
    PagedQuery {
        select,
        parent: Some(
            (
                partner_organization::Entity,
                partner_organization::Column::PartnerId,
            )
                .into_column_ref(),
        ),
        sort: sort(),
        sort_kind: SortKind::Text,
        since: Some(
            (
                partner_organization::Entity,
                partner_organization::Column::Created,
            )
                .into_column_ref(),
        ),
    }
}

/// The organizations many sites present (`Site.organizations`).
pub fn of_sites(scope: &Scope, site_ids: &[i64]) -> PagedQuery {
    let mut select = visible(scope, false);
    select
        .inner_join(
            site_organization::Entity,
            Expr::col((
                site_organization::Entity,
                site_organization::Column::OrganizationId,
            ))
            .equals((organization::Entity, organization::Column::Id)),
        )
        .and_where(
            Expr::col((site_organization::Entity, site_organization::Column::SiteId))
                .is_in(site_ids.iter().copied()),
        );
    PagedQuery {
        select,
        parent: Some(
            (site_organization::Entity, site_organization::Column::SiteId).into_column_ref(),
        ),
        sort: sort(),
        sort_kind: SortKind::Text,
        since: Some(
            (
                site_organization::Entity,
                site_organization::Column::Created,
            )
                .into_column_ref(),
        ),
    }
}

/// Visible organizations by case-folded short name.
pub fn by_keys(scope: &Scope, keys: &[String], include_inactive: bool) -> SelectStatement {
    let mut select = visible(scope, include_inactive);
    select.and_where(
        Expr::col((organization::Entity, organization::Column::ShortNameKey))
            .is_in(keys.iter().cloned()),
    );
    select
}

pub fn by_ids(scope: &Scope, ids: &[i64], include_inactive: bool) -> SelectStatement {
    let mut select = visible(scope, include_inactive);
    select.and_where(
        Expr::col((organization::Entity, organization::Column::Id)).is_in(ids.iter().copied()),
    );
    select
}
