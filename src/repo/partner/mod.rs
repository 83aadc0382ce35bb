//! Partners: lists, membership relations and lookups.

pub mod write;

use entity::{partner, partner_organization};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, SelectStatement};
use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

use super::page::{Edge, PagedQuery, through};
use crate::access::{Scope, visibility as scope};
use crate::domain::names::{Key, Search};
use crate::domain::page::SortKind;

pub fn visible(scope: &Scope, include_inactive: bool) -> SelectStatement {
    partner::Entity::find()
        .filter(scope::partners(scope, include_inactive))
        .into_query()
}

fn sort() -> sea_orm::sea_query::ColumnRef {
    (partner::Entity, partner::Column::ShortCodeKey).into_column_ref()
}

/// The top-level `partners` list.
pub fn list(scope: &Scope, search: Option<&Search>, include_inactive: bool) -> PagedQuery {
    let mut select = visible(scope, include_inactive);
    if let Some(needle) = search {
        select.cond_where(super::search(
            needle,
            Expr::col((partner::Entity, partner::Column::ShortCodeKey)),
            Expr::col((partner::Entity, partner::Column::Name)),
        ));
    }
    PagedQuery {
        select,
        parent: None,
        sort: sort(),
        sort_kind: SortKind::Text,
        since: None,
    }
}

/// The partners many organizations belong to (`Organization.partners`).
pub fn of_organizations(scope: &Scope, organization_ids: &[i64]) -> PagedQuery {
    use partner_organization::{Column as C, Entity as E};
    let edge = Edge {
        table: E,
        parent: (E, C::OrganizationId).into_column_ref(),
        child: (E, C::PartnerId).into_column_ref(),
        created: (E, C::Created).into_column_ref(),
    };
    let id = (partner::Entity, partner::Column::Id).into_column_ref();
    through(visible(scope, false), id, edge, organization_ids, sort())
}

pub fn by_keys(scope: &Scope, keys: &[Key]) -> SelectStatement {
    let mut select = visible(scope, false);
    select.and_where(
        Expr::col((partner::Entity, partner::Column::ShortCodeKey)).is_in(keys.iter().cloned()),
    );
    select
}

pub fn by_ids(scope: &Scope, ids: &[i64]) -> SelectStatement {
    let mut select = visible(scope, false);
    select.and_where(Expr::col((partner::Entity, partner::Column::Id)).is_in(ids.iter().copied()));
    select
}
