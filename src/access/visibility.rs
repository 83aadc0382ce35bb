//! What a caller may see, as SQL conditions: the one statement of each visibility rule.
//!
//! Each entity has one function that returns the condition a caller's rows must meet. Every
//! list, lookup, dataloader and entity resolution adds it to the statement that loads the rows,
//! so what a caller may not see is never loaded, and access control costs no extra statement.
//! The checks of a write (`check`) run the same conditions on the one row they are about, and
//! the grant questions (who administers what) are these conditions' subqueries.

use entity::role_grant::{self, Role};
use entity::{change_log, organization, partner, partner_organization, site};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, IntoIden, Query, SelectStatement};

use super::Scope;

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
    covered_organizations(org_id(), subject, false)
}

fn org_id() -> Expr {
    Expr::col((organization::Entity, organization::Column::Id))
}

/// Organizations (on the `organization` table) the subject administers: ORG_ADMIN on them, or
/// PARTNER_ADMIN on a partner they belong to.
pub fn administered_organizations(subject: &str) -> Condition {
    covered_organizations(org_id(), subject, true)
}

/// Organizations (on the `organization` table) that belong to a partner the subject
/// administers.
pub fn members_of_administered_partners(subject: &str) -> Condition {
    let members = Query::select()
        .column(partner_organization::Column::OrganizationId)
        .from(partner_organization::Entity)
        .and_where(
            Expr::col(partner_organization::Column::PartnerId)
                .in_subquery(administered_partner_ids(subject)),
        )
        .take();
    Condition::all().add(org_id().in_subquery(members))
}

/// Partners (on the `partner` table) the subject administers.
pub fn administered_partners(subject: &str) -> Condition {
    Condition::all().add(
        Expr::col((partner::Entity, partner::Column::Id))
            .in_subquery(administered_partner_ids(subject)),
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
        administered_partners,
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
/// grant changes only to administrators and the admins covering them. A membership
/// (`PARTNER_ORGANIZATION`, `SITE_ORGANIZATION`) is a record with two ends: beyond `public`, it
/// is visible only when the caller sees both ends (by the same conditions as `organizations`,
/// `partners` and `sites`), so a grant on one end never reveals the other. Clients restricted
/// by `content_org` see only their organizations' changes besides partners and sites, and no
/// partner grant.
pub fn changes(scope: &Scope) -> Condition {
    use change_log::Column as C;
    let col = |c: C| Expr::col((change_log::Entity, c));
    let entity_is = |e: &str| col(C::Entity).eq(e);
    let not_grant = || col(C::Entity).ne("GRANT");
    let mut cond = Condition::all();
    if !scope.administrator {
        let mut seen = Condition::any().add(
            Condition::all()
                .add(col(C::Public).eq(true))
                .add(not_grant()),
        );
        if let Some(subject) = scope.subject.as_deref() {
            let administered = || administered_partner_ids(subject);
            let record = Condition::any()
                .add(covered_organizations(
                    col(C::OrganizationId),
                    subject,
                    false,
                ))
                .add(col(C::PartnerId).in_subquery(administered()))
                .add(col(C::OtherPartnerId).in_subquery(administered()));
            let single =
                col(C::Entity).is_not_in(["GRANT", "PARTNER_ORGANIZATION", "SITE_ORGANIZATION"]);
            let organization_end = || {
                col(C::OrganizationId)
                    .in_subquery(seen_ids(organization::Entity, organizations(scope, true)))
            };
            let memberships = Condition::any()
                .add(
                    Condition::all()
                        .add(entity_is("PARTNER_ORGANIZATION"))
                        .add(organization_end())
                        .add(
                            col(C::PartnerId)
                                .in_subquery(seen_ids(partner::Entity, partners(scope, true))),
                        ),
                )
                .add(
                    Condition::all()
                        .add(entity_is("SITE_ORGANIZATION"))
                        .add(organization_end())
                        .add(
                            col(C::SiteId).in_subquery(seen_ids(site::Entity, sites(scope, true))),
                        ),
                );
            let grant = Condition::any()
                .add(covered_organizations(col(C::OrganizationId), subject, true))
                .add(col(C::PartnerId).in_subquery(administered()));
            seen = seen
                .add(Condition::all().add(single).add(record))
                .add(memberships)
                .add(Condition::all().add(entity_is("GRANT")).add(grant));
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

/// `SELECT id FROM <table> WHERE <visible>`: the records of one kind the caller sees now.
fn seen_ids<T: IntoIden + Clone>(table: T, visible: Condition) -> SelectStatement {
    Query::select()
        .column((table.clone(), Alias::new("id")))
        .from(table)
        .cond_where(visible)
        .take()
}

/// Whether the caller may read who made a change: signed-in callers may, on the changes they
/// see; anonymous callers may not (who wrote is not public).
pub fn shows_actor(scope: &Scope) -> bool {
    scope.subject.is_some()
}

#[cfg(test)]
mod tests;
