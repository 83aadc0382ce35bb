//! Who is asking, and the visibility rules compiled into SQL.
//!
//! Each entity has one function that returns the condition a caller's rows must meet. Every
//! list, lookup, dataloader and entity resolution adds it to the statement that loads the rows,
//! so what a caller may not see is never loaded, and access control costs no extra statement.

use entity::role_grant::{self, Role};
use entity::{change_log, organization, partner, partner_organization, site};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, SelectStatement};

/// A caller, as far as visibility goes. Anonymous unless a valid token says otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    pub subject: Option<String>,
    pub administrator: bool,
    /// The token's `content_org:` filters, case-folded; `None` means unrestricted.
    pub org_filter: Option<Vec<String>>,
    /// The token's `filters` claim as given (shown by `viewer`).
    pub filters: Vec<String>,
    /// When the token stops being accepted (seconds since the epoch: its `exp` plus the clock
    /// leeway): a socket's operations are refused and its subscriptions end then.
    pub expires: Option<i64>,
    /// `is_restricted: true`: a read-only token; every mutation is refused.
    pub restricted: bool,
    /// The token's `scopes` claim (shown by `viewer`).
    pub scopes: Vec<String>,
    /// Where the token came from; `None` when anonymous.
    pub authenticated_by: Option<AuthSource>,
}

/// Where a caller's token came from (DESIGN section 8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

    /// An operator at the command line: an administrator whose subject (the history's actor)
    /// names the verb, and who ran it when `--actor` says so: `backfill`, `backfill (ada)`.
    pub fn operator(verb: &str, actor: Option<&str>) -> Self {
        let subject = match actor {
            Some(name) => format!("{verb} ({name})"),
            None => verb.to_owned(),
        };
        Scope {
            subject: Some(subject),
            administrator: true,
            ..Scope::default()
        }
    }

    /// Whether the token has expired at `now` (seconds since the epoch).
    pub fn expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|expires| now >= expires)
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

/// `column` holds the id of an organization the subject's grants cover: direct organization
/// grants (only ORG_ADMIN when `admin_only`), and the member organizations of partners it
/// administers.
fn covered_organizations(column: Expr, subject: &str, admin_only: bool) -> Condition {
    let mut direct = Query::select()
        .column(role_grant::Column::OrganizationId)
        .from(role_grant::Entity)
        .and_where(Expr::col(role_grant::Column::Subject).eq(subject))
        .and_where(Expr::col(role_grant::Column::OrganizationId).is_not_null())
        .take();
    if admin_only {
        direct.and_where(Expr::col(role_grant::Column::Role).eq(Role::OrgAdmin));
    }
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
        .add(column.clone().in_subquery(direct))
        .add(column.in_subquery(via_partner))
}

fn covered_organization_ids(subject: &str) -> Condition {
    covered_organizations(
        Expr::col((organization::Entity, organization::Column::Id)),
        subject,
        false,
    )
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

/// Active rows, and inactive ones where the caller may see inactive records and `covered`
/// (built for its subject) says its grants cover them; everything for administrators.
fn active_or_covered(
    scope: &Scope,
    include_inactive: bool,
    active: Expr,
    covered: impl FnOnce(&str) -> Condition,
) -> Condition {
    let active = active.eq(true);
    if !scope.may_see_inactive(include_inactive) {
        return Condition::all().add(active);
    }
    if scope.administrator {
        return Condition::all();
    }
    let subject = scope.subject.as_deref().unwrap_or_default();
    Condition::any().add(active).add(covered(subject))
}

/// Course links the caller may see, on `course_link` joined to a visible `organization`:
/// active links, and inactive ones only where the caller may see inactive records of that
/// organization.
pub fn course_links(scope: &Scope, include_inactive: bool) -> Condition {
    use entity::course_link;
    active_or_covered(
        scope,
        include_inactive,
        Expr::col((course_link::Entity, course_link::Column::Active)),
        covered_organization_ids,
    )
}

/// Partners the caller may see (on the `partner` table).
pub fn partners(scope: &Scope, include_inactive: bool) -> Condition {
    active_or_covered(
        scope,
        include_inactive,
        Expr::col((partner::Entity, partner::Column::Active)),
        |subject| {
            Condition::all().add(
                Expr::col((partner::Entity, partner::Column::Id))
                    .in_subquery(administered_partner_ids(subject)),
            )
        },
    )
}

/// Sites the caller may see (on the `site` table): inactive ones through their partner.
pub fn sites(scope: &Scope, include_inactive: bool) -> Condition {
    active_or_covered(
        scope,
        include_inactive,
        Expr::col((site::Entity, site::Column::Active)),
        |subject| {
            Condition::all().add(
                Expr::col((site::Entity, site::Column::PartnerId))
                    .in_subquery(administered_partner_ids(subject)),
            )
        },
    )
}

/// Changes the caller may see (on `change_log`): a change is visible when its record was
/// visible to the caller before or after it (`public`, or covered by the caller's grants), and
/// grant changes only to administrators and the admins covering them. Clients restricted by
/// `content_org` see only their organizations' changes besides partners and sites, and no
/// partner grant.
pub fn changes(scope: &Scope) -> Condition {
    use change_log::Column as C;
    let col = |c: C| Expr::col((change_log::Entity, c));
    let is_grant = || col(C::Entity).eq("GRANT");
    let not_grant = || col(C::Entity).ne("GRANT");
    let mut cond = Condition::all();
    if !scope.administrator {
        let mut seen = Condition::any().add(
            Condition::all()
                .add(col(C::Public).eq(true))
                .add(not_grant()),
        );
        if let Some(subject) = scope.subject.as_deref() {
            let partners = || administered_partner_ids(subject);
            let record = Condition::any()
                .add(covered_organizations(
                    col(C::OrganizationId),
                    subject,
                    false,
                ))
                .add(col(C::PartnerId).in_subquery(partners()))
                .add(col(C::OtherPartnerId).in_subquery(partners()));
            let grant = Condition::any()
                .add(covered_organizations(col(C::OrganizationId), subject, true))
                .add(col(C::PartnerId).in_subquery(partners()));
            seen = seen
                .add(Condition::all().add(not_grant()).add(record))
                .add(Condition::all().add(is_grant()).add(grant));
        }
        cond = cond.add(seen);
    }
    if let Some(filter) = &scope.org_filter {
        let in_filter = Query::select()
            .column(organization::Column::Id)
            .from(organization::Entity)
            .and_where(Expr::col(organization::Column::ShortNameKey).is_in(filter.iter().cloned()))
            .take();
        cond = cond.add(
            Condition::any()
                .add(col(C::OrganizationId).in_subquery(in_filter))
                .add(
                    Condition::all()
                        .add(col(C::OrganizationId).is_null())
                        .add(not_grant()),
                ),
        );
    }
    cond
}

#[cfg(test)]
mod tests;
