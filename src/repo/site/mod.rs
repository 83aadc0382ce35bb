//! Sites: lists, relations and lookups.

pub mod write;

use entity::{site, site_organization};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, SelectStatement};
use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

use super::page::{Edge, PagedQuery, through};
use crate::access::{Scope, visibility as scope};
use crate::domain::names::Key;
use crate::domain::page::SortKind;

pub fn visible(scope: &Scope, include_inactive: bool) -> SelectStatement {
    site::Entity::find()
        .filter(scope::sites(scope, include_inactive))
        .into_query()
}

fn sort() -> sea_orm::sea_query::ColumnRef {
    (site::Entity, site::Column::DomainKey).into_column_ref()
}

/// The top-level `sites` list, optionally of one partner.
pub fn list(scope: &Scope, partner_id: Option<i64>, include_inactive: bool) -> PagedQuery {
    let mut select = visible(scope, include_inactive);
    if let Some(partner_id) = partner_id {
        select.and_where(Expr::col((site::Entity, site::Column::PartnerId)).eq(partner_id));
    }
    PagedQuery {
        select,
        parent: None,
        sort: sort(),
        sort_kind: SortKind::Text,
        since: None,
    }
}

/// The sites of many partners (`Partner.sites`).
pub fn of_partners(scope: &Scope, partner_ids: &[i64]) -> PagedQuery {
    let mut select = visible(scope, false);
    select.and_where(
        Expr::col((site::Entity, site::Column::PartnerId)).is_in(partner_ids.iter().copied()),
    );
    PagedQuery {
        select,
        parent: Some((site::Entity, site::Column::PartnerId).into_column_ref()),
        sort: sort(),
        sort_kind: SortKind::Text,
        since: None,
    }
}

/// The sites presenting many organizations (`Organization.sites`).
pub fn of_organizations(scope: &Scope, organization_ids: &[i64]) -> PagedQuery {
    use site_organization::{Column as C, Entity as E};
    let edge = Edge {
        table: E,
        parent: (E, C::OrganizationId).into_column_ref(),
        child: (E, C::SiteId).into_column_ref(),
        created: (E, C::Created).into_column_ref(),
    };
    let id = (site::Entity, site::Column::Id).into_column_ref();
    through(visible(scope, false), id, edge, organization_ids, sort())
}

pub fn by_keys(scope: &Scope, keys: &[Key]) -> SelectStatement {
    let mut select = visible(scope, false);
    select
        .and_where(Expr::col((site::Entity, site::Column::DomainKey)).is_in(keys.iter().cloned()));
    select
}
