use super::*;
use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

fn sql(cond: Condition) -> (String, String) {
    sql_on(organization::Entity, cond)
}

/// `SELECT "id" FROM <table> WHERE <cond>`, for SQLite and PostgreSQL.
fn sql_on(table: impl sea_orm::sea_query::IntoTableRef, cond: Condition) -> (String, String) {
    let select = Query::select()
        .column(organization::Column::Id)
        .from(table)
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
        org_filter: Some(vec![crate::domain::short_name("f", "MITx").unwrap().key()]),
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

fn subject(name: &str) -> Scope {
    Scope {
        subject: Some(name.into()),
        ..Scope::default()
    }
}

const ADMINISTERED: &str = r#"(SELECT "partner_id" FROM "role_grant" WHERE "subject" = 'ada' AND "partner_id" IS NOT NULL)"#;

#[test]
fn partners_and_sites_show_inactive_rows_through_partner_grants_only() {
    let (lite, pg) = sql_on(partner::Entity, partners(&Scope::anonymous(), true));
    assert_eq!(
        pg,
        r#"SELECT "id" FROM "partner" WHERE "partner"."active" = TRUE"#
    );
    assert_eq!(lite, pg);
    let (_, pg) = sql_on(partner::Entity, partners(&subject("ada"), true));
    assert_eq!(
        pg,
        format!(
            r#"SELECT "id" FROM "partner" WHERE "partner"."active" = TRUE OR "partner"."id" IN {ADMINISTERED}"#
        )
    );
    let (_, pg) = sql_on(site::Entity, sites(&subject("ada"), true));
    assert_eq!(
        pg,
        format!(
            r#"SELECT "id" FROM "site" WHERE "site"."active" = TRUE OR "site"."partner_id" IN {ADMINISTERED}"#
        )
    );
    let (_, pg) = sql_on(site::Entity, sites(&subject("ada"), false));
    assert_eq!(
        pg,
        r#"SELECT "id" FROM "site" WHERE "site"."active" = TRUE"#
    );
}

#[test]
fn inactive_course_links_need_a_grant_on_their_organization() {
    use entity::course_link;
    let (_, pg) = sql_on(course_link::Entity, course_links(&Scope::anonymous(), true));
    assert_eq!(
        pg,
        r#"SELECT "id" FROM "course_link" WHERE "course_link"."active" = TRUE"#
    );
    let (_, pg) = sql_on(course_link::Entity, course_links(&subject("ada"), true));
    assert!(
        pg.starts_with(r#"SELECT "id" FROM "course_link" WHERE "course_link"."active" = TRUE OR ("organization"."id" IN (SELECT "organization_id" FROM "role_grant" WHERE "subject" = 'ada'"#),
        "{pg}"
    );
}

#[test]
fn anonymous_callers_see_public_changes_that_are_not_grants() {
    let (lite, pg) = sql_on(change_log::Entity, changes(&Scope::anonymous()));
    assert_eq!(
        pg,
        r#"SELECT "id" FROM "change_log" WHERE "change_log"."public" = TRUE AND "change_log"."entity" <> 'GRANT'"#
    );
    assert_eq!(lite, pg);
    let admin = Scope {
        administrator: true,
        ..subject("root")
    };
    assert_eq!(
        sql_on(change_log::Entity, changes(&admin)).1,
        r#"SELECT "id" FROM "change_log" WHERE TRUE"#
    );
}

#[test]
fn a_subject_sees_the_changes_its_grants_cover_and_grants_only_as_an_admin() {
    let (_, pg) = sql_on(change_log::Entity, changes(&subject("ada")));
    // Records: covered organizations (any role) or administered partners, either side.
    assert!(pg.contains(r#""change_log"."organization_id" IN (SELECT "organization_id" FROM "role_grant" WHERE "subject" = 'ada' AND "organization_id" IS NOT NULL)"#), "{pg}");
    assert!(
        pg.contains(&format!(r#""change_log"."partner_id" IN {ADMINISTERED}"#)),
        "{pg}"
    );
    assert!(
        pg.contains(&format!(
            r#""change_log"."other_partner_id" IN {ADMINISTERED}"#
        )),
        "{pg}"
    );
    // Grants: only ORG_ADMIN among direct organization grants.
    assert!(
        pg.contains(r#"AND "organization_id" IS NOT NULL AND "role" = 'ORG_ADMIN')"#),
        "{pg}"
    );
    assert_eq!(
        pg.matches(r#""change_log"."entity" = 'GRANT'"#).count(),
        1,
        "{pg}"
    );
}

#[test]
fn an_organization_filter_keeps_its_organizations_and_no_partner_grant() {
    let filtered = Scope {
        administrator: true,
        org_filter: Some(vec![crate::domain::short_name("f", "MITx").unwrap().key()]),
        ..subject("catalog")
    };
    let (_, pg) = sql_on(change_log::Entity, changes(&filtered));
    assert_eq!(
        pg,
        concat!(
            r#"SELECT "id" FROM "change_log" WHERE "change_log"."organization_id" IN "#,
            r#"(SELECT "id" FROM "organization" WHERE "short_name_key" IN ('mitx')) OR "#,
            r#"("change_log"."organization_id" IS NULL AND "change_log"."entity" <> 'GRANT')"#
        )
    );
}

#[test]
fn a_membership_change_needs_both_of_its_ends_in_sight() {
    let (lite, pg) = sql_on(change_log::Entity, changes(&subject("ada")));
    assert_eq!(lite, pg);
    // Other records by the grants covering them; memberships never by one end alone.
    assert!(
        pg.contains(
            r#""change_log"."entity" NOT IN ('GRANT', 'PARTNER_ORGANIZATION', 'SITE_ORGANIZATION')"#
        ),
        "{pg}"
    );
    let organization_end = r#""change_log"."organization_id" IN (SELECT "organization"."id" FROM "organization" WHERE "organization"."active" = TRUE OR ("organization"."id" IN (SELECT "organization_id" FROM "role_grant" WHERE "subject" = 'ada'"#;
    let partner_end = format!(
        r#""change_log"."partner_id" IN (SELECT "partner"."id" FROM "partner" WHERE "partner"."active" = TRUE OR "partner"."id" IN {ADMINISTERED})"#
    );
    let site_end = format!(
        r#""change_log"."site_id" IN (SELECT "site"."id" FROM "site" WHERE "site"."active" = TRUE OR "site"."partner_id" IN {ADMINISTERED})"#
    );
    let partner_membership = pg
        .split(r#""change_log"."entity" = 'PARTNER_ORGANIZATION' AND "#)
        .nth(1)
        .unwrap_or_else(|| panic!("{pg}"));
    assert!(partner_membership.starts_with(organization_end), "{pg}");
    assert!(partner_membership.contains(&partner_end), "{pg}");
    let site_membership = pg
        .split(r#""change_log"."entity" = 'SITE_ORGANIZATION' AND "#)
        .nth(1)
        .unwrap_or_else(|| panic!("{pg}"));
    assert!(site_membership.starts_with(organization_end), "{pg}");
    assert!(site_membership.contains(&site_end), "{pg}");
    // Anonymous callers: public changes only, whatever their entity.
    let (_, anonymous) = sql_on(change_log::Entity, changes(&Scope::anonymous()));
    assert!(!anonymous.contains("PARTNER_ORGANIZATION"), "{anonymous}");
    assert!(!shows_actor(&Scope::anonymous()));
    assert!(shows_actor(&subject("ada")));
}
