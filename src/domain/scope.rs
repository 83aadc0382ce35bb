//! Who is asking, and the visibility rules compiled into SQL.
//!
//! Each entity has one function that returns the condition a caller's rows must meet. Every
//! list, lookup, dataloader and entity resolution adds it to the statement that loads the rows,
//! so what a caller may not see is never loaded, and access control costs no extra statement.

use entity::{organization, partner, partner_organization, role_grant, site};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, SelectStatement};

/// A caller, as far as visibility goes. Anonymous unless a valid token says otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    pub subject: Option<String>,
    pub administrator: bool,
    /// The token's `content_org:` filters, case-folded; `None` means unrestricted.
    pub org_filter: Option<Vec<String>>,
    /// The token's `filters` claim as given (shown by `viewer`).
    pub filters: Vec<String>,
    /// `is_restricted: true`: a read-only token; every mutation is refused.
    pub restricted: bool,
    /// The token's `scopes` claim (shown by `viewer`).
    pub scopes: Vec<String>,
    /// Where the token came from; `None` when anonymous.
    pub authenticated_by: Option<AuthSource>,
}

/// Where a caller's token came from (DESIGN section 8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthSource {
    /// The `Authorization` header (`JWT` or `Bearer`).
    Header,
    /// The micro-frontends' JWT cookies; mutations also need the CSRF token.
    Cookie,
}

impl Scope {
    pub fn anonymous() -> Self {
        Scope::default()
    }

    /// Whether the caller's token filters let it see or touch this organization.
    pub fn allows_org(&self, short_name_key: &str) -> bool {
        self.org_filter
            .as_ref()
            .is_none_or(|keys| keys.iter().any(|k| k == short_name_key))
    }

    /// Whether inactive records covered by the caller's grants may be shown.
    fn may_see_inactive(&self, include_inactive: bool) -> bool {
        include_inactive && (self.administrator || self.subject.is_some())
    }
}

/// Ids of the organizations the subject's grants cover: direct organization grants, and the
/// member organizations of partners it administers.
fn covered_organization_ids(subject: &str) -> Condition {
    let direct = Query::select()
        .column(role_grant::Column::OrganizationId)
        .from(role_grant::Entity)
        .and_where(Expr::col(role_grant::Column::Subject).eq(subject))
        .and_where(Expr::col(role_grant::Column::OrganizationId).is_not_null())
        .take();
    let via_partner = Query::select()
        .column((
            partner_organization::Entity,
            partner_organization::Column::OrganizationId,
        ))
        .from(partner_organization::Entity)
        .inner_join(
            role_grant::Entity,
            Expr::col((role_grant::Entity, role_grant::Column::PartnerId)).equals((
                partner_organization::Entity,
                partner_organization::Column::PartnerId,
            )),
        )
        .and_where(Expr::col((role_grant::Entity, role_grant::Column::Subject)).eq(subject))
        .take();
    Condition::any()
        .add(Expr::col((organization::Entity, organization::Column::Id)).in_subquery(direct))
        .add(Expr::col((organization::Entity, organization::Column::Id)).in_subquery(via_partner))
}

fn administered_partner_ids(subject: &str) -> SelectStatement {
    Query::select()
        .column(role_grant::Column::PartnerId)
        .from(role_grant::Entity)
        .and_where(Expr::col(role_grant::Column::Subject).eq(subject))
        .and_where(Expr::col(role_grant::Column::PartnerId).is_not_null())
        .take()
}

/// Organizations the caller may see (on the `organization` table).
pub fn organizations(scope: &Scope, include_inactive: bool) -> Condition {
    let active = Expr::col((organization::Entity, organization::Column::Active)).eq(true);
    let mut cond = Condition::all();
    if !scope.may_see_inactive(include_inactive) {
        cond = cond.add(active);
    } else if !scope.administrator {
        let subject = scope.subject.as_deref().unwrap_or_default();
        cond = cond.add(
            Condition::any()
                .add(active)
                .add(covered_organization_ids(subject)),
        );
    }
    if let Some(filter) = &scope.org_filter {
        cond = cond.add(
            Expr::col((organization::Entity, organization::Column::ShortNameKey))
                .is_in(filter.iter().cloned()),
        );
    }
    cond
}

/// Course links the caller may see, on `course_link` joined to a visible `organization`:
/// active links, and inactive ones only where the caller may see inactive records of that
/// organization.
pub fn course_links(scope: &Scope, include_inactive: bool) -> Condition {
    use entity::course_link;
    let active = Expr::col((course_link::Entity, course_link::Column::Active)).eq(true);
    if !scope.may_see_inactive(include_inactive) {
        return Condition::all().add(active);
    }
    if scope.administrator {
        return Condition::all();
    }
    let subject = scope.subject.as_deref().unwrap_or_default();
    Condition::any()
        .add(active)
        .add(covered_organization_ids(subject))
}

/// Partners the caller may see (on the `partner` table).
pub fn partners(scope: &Scope, include_inactive: bool) -> Condition {
    let active = Expr::col((partner::Entity, partner::Column::Active)).eq(true);
    if !scope.may_see_inactive(include_inactive) {
        return Condition::all().add(active);
    }
    if scope.administrator {
        return Condition::all();
    }
    let subject = scope.subject.as_deref().unwrap_or_default();
    Condition::any().add(active).add(
        Expr::col((partner::Entity, partner::Column::Id))
            .in_subquery(administered_partner_ids(subject)),
    )
}

/// Sites the caller may see (on the `site` table).
pub fn sites(scope: &Scope, include_inactive: bool) -> Condition {
    let active = Expr::col((site::Entity, site::Column::Active)).eq(true);
    if !scope.may_see_inactive(include_inactive) {
        return Condition::all().add(active);
    }
    if scope.administrator {
        return Condition::all();
    }
    let subject = scope.subject.as_deref().unwrap_or_default();
    Condition::any().add(active).add(
        Expr::col((site::Entity, site::Column::PartnerId))
            .in_subquery(administered_partner_ids(subject)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    fn sql(cond: Condition) -> (String, String) {
        let select = Query::select()
            .column(organization::Column::Id)
            .from(organization::Entity)
            .cond_where(cond)
            .take();
        (
            select.to_string(SqliteQueryBuilder),
            select.to_string(PostgresQueryBuilder),
        )
    }

    #[test]
    fn anonymous_sees_active_organizations_only() {
        let (lite, pg) = sql(organizations(&Scope::anonymous(), true));
        assert_eq!(
            lite,
            r#"SELECT "id" FROM "organization" WHERE "organization"."active" = TRUE"#
        );
        assert_eq!(lite, pg);
    }

    #[test]
    fn administrator_sees_everything_when_asking_for_inactive() {
        let admin = Scope {
            administrator: true,
            ..Scope::default()
        };
        let (lite, _) = sql(organizations(&admin, true));
        assert_eq!(lite, r#"SELECT "id" FROM "organization" WHERE TRUE"#);
        let (lite, _) = sql(organizations(&admin, false));
        assert!(
            lite.ends_with(r#"WHERE "organization"."active" = TRUE"#),
            "{lite}"
        );
    }

    #[test]
    fn granted_subject_sees_covered_inactive_organizations_in_the_same_statement() {
        let staff = Scope {
            subject: Some("ada".into()),
            ..Scope::default()
        };
        let (_, pg) = sql(organizations(&staff, true));
        assert_eq!(
            pg,
            concat!(
                r#"SELECT "id" FROM "organization" WHERE "organization"."active" = TRUE OR ("#,
                r#""organization"."id" IN (SELECT "organization_id" FROM "role_grant" WHERE "subject" = 'ada' AND "organization_id" IS NOT NULL) OR "#,
                r#""organization"."id" IN (SELECT "partner_organization"."organization_id" FROM "partner_organization" "#,
                r#"INNER JOIN "role_grant" ON "role_grant"."partner_id" = "partner_organization"."partner_id" WHERE "role_grant"."subject" = 'ada'))"#
            )
        );
    }

    #[test]
    fn content_org_filters_restrict_even_the_public_directory() {
        let client = Scope {
            org_filter: Some(vec!["mitx".into()]),
            ..Scope::default()
        };
        let (lite, _) = sql(organizations(&client, false));
        assert!(
            lite.ends_with(
                r#""organization"."active" = TRUE AND "organization"."short_name_key" IN ('mitx')"#
            ),
            "{lite}"
        );
    }
}
