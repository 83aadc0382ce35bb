//! Course links: the courses of organizations and the organizations of courses.

use entity::{course_link, organization};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoColumnRef, Order, Query, SelectStatement};

pub mod write;

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::PagedQuery;
use crate::access::{Scope, visibility as scope};
use crate::domain::page::SortKind;
use crate::error::AppResult;

/// The links of many organizations (`Organization.courses`), in link order (`position`). The
/// parent organization is joined so that its visibility applies to its links too.
pub fn of_organizations(
    scope: &Scope,
    organization_ids: &[i64],
    include_inactive: bool,
) -> PagedQuery {
    let select = Query::select()
        .column((course_link::Entity, sea_orm::sea_query::Asterisk))
        .from(course_link::Entity)
        .inner_join(
            organization::Entity,
            Expr::col((organization::Entity, organization::Column::Id))
                .equals((course_link::Entity, course_link::Column::OrganizationId)),
        )
        .cond_where(scope::organizations(scope, include_inactive))
        .cond_where(scope::course_links(scope, include_inactive))
        .and_where(
            Expr::col((course_link::Entity, course_link::Column::OrganizationId))
                .is_in(organization_ids.iter().copied()),
        )
        .take();
    PagedQuery {
        select,
        parent: Some((course_link::Entity, course_link::Column::OrganizationId).into_column_ref()),
        sort: (course_link::Entity, course_link::Column::Position).into_column_ref(),
        sort_kind: SortKind::Int,
        since: Some((course_link::Entity, course_link::Column::Created).into_column_ref()),
    }
}

const COURSE_KEY: &str = "linked_course_key";

/// The visible organizations of many courses, first linked first, by course key.
pub async fn organizations_of_courses<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    course_keys: &[String],
) -> AppResult<HashMap<String, Vec<organization::Model>>> {
    let rows = db.query_all(&organizations_of(scope, course_keys)).await?;
    let mut out: HashMap<String, Vec<organization::Model>> = HashMap::new();
    for row in rows {
        let key: String = row.try_get("", COURSE_KEY)?;
        out.entry(key)
            .or_default()
            .push(organization::Model::from_query_result(&row, "")?);
    }
    Ok(out)
}

/// The visible organizations of many courses, first linked first: `organization.*` plus the
/// course key as `linked_course_key`.
fn organizations_of(scope: &Scope, course_keys: &[String]) -> SelectStatement {
    let mut select = super::organization::visible(scope, false);
    select
        .expr_as(
            Expr::col((course_link::Entity, course_link::Column::CourseKey)),
            Alias::new(COURSE_KEY),
        )
        .inner_join(
            course_link::Entity,
            Expr::col((course_link::Entity, course_link::Column::OrganizationId))
                .equals((organization::Entity, organization::Column::Id)),
        )
        .cond_where(scope::course_links(scope, false))
        .and_where(
            Expr::col((course_link::Entity, course_link::Column::CourseKey))
                .is_in(course_keys.iter().cloned()),
        )
        .order_by(
            (course_link::Entity, course_link::Column::Position),
            Order::Asc,
        );
    select
}
