//! Organizations: lists, membership relations and lookups.

pub mod rest;
pub mod write;

use entity::{organization, partner_organization, site_organization};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, SelectStatement};
use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

use super::page::{Edge, PagedQuery, through};
use crate::access::{Scope, visibility as scope};
use crate::domain::names::{Key, Search};
use crate::domain::page::SortKind;

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
    pub search: Option<Search>,
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
    use partner_organization::{Column as C, Entity as E};
    let edge = Edge {
        table: E,
        parent: (E, C::PartnerId).into_column_ref(),
        child: (E, C::OrganizationId).into_column_ref(),
        created: (E, C::Created).into_column_ref(),
    };
    through(
        visible(scope, include_inactive),
        id(),
        edge,
        partner_ids,
        sort(),
    )
}

/// The organizations many sites present (`Site.organizations`).
pub fn of_sites(scope: &Scope, site_ids: &[i64]) -> PagedQuery {
    use site_organization::{Column as C, Entity as E};
    let edge = Edge {
        table: E,
        parent: (E, C::SiteId).into_column_ref(),
        child: (E, C::OrganizationId).into_column_ref(),
        created: (E, C::Created).into_column_ref(),
    };
    through(visible(scope, false), id(), edge, site_ids, sort())
}

fn id() -> sea_orm::sea_query::ColumnRef {
    (organization::Entity, organization::Column::Id).into_column_ref()
}

/// Visible organizations by folded short name.
pub fn by_keys(scope: &Scope, keys: &[Key], include_inactive: bool) -> SelectStatement {
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
