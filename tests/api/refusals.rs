//! Refusals that reveal nothing and input that never reaches the database as an error: no
//! existence oracle, NUL bytes and lengths refused with their
//! code on both engines, idempotent concurrent grants, and the grant rules of docs/access.md

use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::TestApp;
use crate::support::{admin, error_code, token};

fn message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

backend_tests! {
    hidden_records_answer_as_missing_ones,
    nul_bytes_and_oversized_values_are_user_errors,
    tokens_with_nul_bytes_are_refused_or_restrict_to_nothing,
    concurrent_identical_grants_make_one,
    org_admins_give_staff_partner_admins_give_admins,
    a_course_of_another_organization_needs_rights_on_it,
    grants_given_on_a_partners_authority_end_with_the_membership,
}

async fn hidden_records_answer_as_missing_ones(app: TestApp) {
    app.admin_data(r#"mutation { backfill(courseKeys: ["lib:SecretX:a"], apply: true, inactive: true) { linksCreated } }"#, json!({})).await;
    app.admin_data(
        r#"mutation { createPartner(input: {shortCode: "hid", name: "Hidden"}) { shortCode } }"#,
        json!({}),
    )
    .await;
    app.admin_data(
        r#"mutation { updatePartner(shortCode: "hid", input: {active: false}) { active } }"#,
        json!({}),
    )
    .await;
    app.admin_data(r#"mutation { createSite(input: {domain: "hidden.example", name: "Hidden", partner: "hid"}) { domain } }"#, json!({})).await;
    app.admin_data(
        r#"mutation { updateSite(domain: "hidden.example", input: {active: false}) { active } }"#,
        json!({}),
    )
    .await;
    let before = app.snapshot().await;
    let nobody = token("nobody", false, &[]);
    for (hidden, missing) in [
        (
            r#"mutation { deactivateOrganization(shortName: "secretx") { active } }"#,
            r#"mutation { deactivateOrganization(shortName: "secretx2") { active } }"#,
        ),
        (
            r#"mutation { updatePartner(shortCode: "HID", input: {name: "x"}) { name } }"#,
            r#"mutation { updatePartner(shortCode: "HID2", input: {name: "x"}) { name } }"#,
        ),
        (
            r#"mutation { updateSite(domain: "HIDDEN.example", input: {name: "x"}) { name } }"#,
            r#"mutation { updateSite(domain: "HIDDEN2.example", input: {name: "x"}) { name } }"#,
        ),
        (
            r#"mutation { grantRole(subject: "x", role: ORG_STAFF, organization: "secretx") { role } }"#,
            r#"mutation { grantRole(subject: "x", role: ORG_STAFF, organization: "secretx2") { role } }"#,
        ),
    ] {
        let a = app.as_user(&nobody, hidden, json!({})).await;
        let b = app.as_user(&nobody, missing, json!({})).await;
        assert_eq!(error_code(&a), "NOT_FOUND", "{hidden}: {a}");
        assert_eq!(error_code(&b), "NOT_FOUND");
        assert_eq!(
            message(&a).replace('2', ""),
            message(&b).replace('2', ""),
            "same words, the caller's own spelling"
        );
        assert!(
            !message(&a).contains("SecretX"),
            "the stored spelling is not revealed: {a}"
        );
    }
    // Ensuring a hidden organization answers as for a new one: only administrators create.
    let ensure = app
        .as_user(
            &nobody,
            r#"mutation { ensureOrganization(shortName: "SECRETX") { created } }"#,
            json!({}),
        )
        .await;
    let fresh = app
        .as_user(
            &nobody,
            r#"mutation { ensureOrganization(shortName: "FreshX") { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        (error_code(&ensure), message(&ensure)),
        (error_code(&fresh), message(&fresh))
    );
    assert_eq!(app.snapshot().await, before);
}

async fn nul_bytes_and_oversized_values_are_user_errors(app: TestApp) {
    let before = app.snapshot().await;
    let create =
        "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { shortName } }";
    for input in [
        json!({"shortName": "NulX", "name": "a\u{0}b"}),
        json!({"shortName": "NulX", "name": "ok", "description": "d\u{0}"}),
        json!({"shortName": "NulX", "name": "ok", "description": "d".repeat(10_001)}),
        json!({"shortName": "Nul\u{0}X", "name": "ok"}),
        json!({"shortName": "NulX", "name": "ok", "logoUrl": format!("https://x.example/{}", "a".repeat(300))}),
    ] {
        let body = app.as_user(&admin(), create, json!({ "i": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
    }
    let grant = app.as_user(&admin(), "mutation($s: String!) { grantRole(subject: $s, role: PARTNER_ADMIN, partner: \"x\") { role } }", json!({ "s": "a\u{0}" })).await;
    assert_eq!(error_code(&grant), "BAD_USER_INPUT");
    for (query, variables) in [
        (
            "query($s: String) { organizations(search: $s) { totalCount } }",
            json!({ "s": "\u{0}" }),
        ),
        (
            "query($s: String) { partners(search: $s) { totalCount } }",
            json!({ "s": "x".repeat(256) }),
        ),
        (
            "query($a: String) { organizations(after: $a) { totalCount } }",
            json!({ "a": "dDoA" }),
        ), // "t:\0"
    ] {
        let body = app.gql(query, variables).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
    }
    let long = format!("course-v1:LongX+{}+1", "c".repeat(300));
    let link = app
        .as_user(
            &admin(),
            "mutation($k: String!) { linkCourse(courseKey: $k) { created } }",
            json!({ "k": long }),
        )
        .await;
    assert_eq!(error_code(&link), "INVALID_COURSE_KEY");
    assert_eq!(app.snapshot().await, before, "nothing written");
    // A long key in a backfill is reported with its line; the rest is applied.
    let report = app.admin_data("mutation($k: [String!]!) { backfill(courseKeys: $k, apply: true) { linksCreated invalidKeys { line reason } } }", json!({ "k": [long, "lib:OkX:a"] })).await;
    assert_eq!(report["backfill"]["linksCreated"], 1);
    assert_eq!(report["backfill"]["invalidKeys"][0]["line"], 1);
}

async fn tokens_with_nul_bytes_are_refused_or_restrict_to_nothing(app: TestApp) {
    app.admin_data(
        r#"mutation { ensureOrganization(shortName: "MITx") { created } }"#,
        json!({}),
    )
    .await;
    let subject = app
        .as_user(
            &token("a\u{0}b", false, &[]),
            "{ viewer { subject } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&subject), "UNAUTHENTICATED");
    let filtered = app
        .as_user(
            &token("ada", false, &["content_org:MIT\u{0}x"]),
            "{ organizations { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        filtered["data"]["organizations"]["totalCount"], 0,
        "{filtered}"
    );
}

async fn concurrent_identical_grants_make_one(app: TestApp) {
    app.admin_data(
        r#"mutation { ensureOrganization(shortName: "MITx") { created } }"#,
        json!({}),
    )
    .await;
    let q =
        r#"mutation { grantRole(subject: "bo", role: ORG_STAFF, organization: "MITx") { role } }"#;
    let bodies = futures::future::join_all((0..10).map(|_| app.as_user_owned(admin(), q))).await;
    for body in &bodies {
        assert!(body.get("errors").is_none(), "{body}");
    }
    assert_eq!(app.count("role_grant").await, 1);
}

async fn org_admins_give_staff_partner_admins_give_admins(app: TestApp) {
    app.seed_demo().await;
    app.grant("oa", "ORG_ADMIN", Some("MITx"), None).await;
    app.grant("pa", "PARTNER_ADMIN", None, Some("edx")).await;
    let grant = |role: &str, subject: &str| {
        format!(
            r#"mutation {{ grantRole(subject: "{subject}", role: {role}, organization: "MITx") {{ role }} }}"#
        )
    };
    let revoke = |role: &str, subject: &str| {
        format!(
            r#"mutation {{ revokeRole(subject: "{subject}", role: {role}, organization: "MITx") }}"#
        )
    };
    let oa = token("oa", false, &[]);
    assert!(
        app.as_user(&oa, &grant("ORG_STAFF", "s1"), json!({}))
            .await
            .get("errors")
            .is_none()
    );
    assert_eq!(
        error_code(&app.as_user(&oa, &grant("ORG_ADMIN", "a2"), json!({})).await),
        "FORBIDDEN"
    );
    let pa = token("pa", false, &[]);
    assert!(
        app.as_user(&pa, &grant("ORG_ADMIN", "a2"), json!({}))
            .await
            .get("errors")
            .is_none()
    );
    assert_eq!(
        error_code(
            &app.as_user(&oa, &revoke("ORG_ADMIN", "a2"), json!({}))
                .await
        ),
        "FORBIDDEN",
        "no revoking co-admins"
    );
    assert_eq!(
        app.as_user(&pa, &revoke("ORG_ADMIN", "a2"), json!({}))
            .await["data"]["revokeRole"],
        true
    );
}

async fn a_course_of_another_organization_needs_rights_on_it(app: TestApp) {
    app.seed_demo().await;
    app.grant("oa", "ORG_ADMIN", Some("VJx"), None).await;
    let oa = token("oa", false, &[]);
    let foreign = app.as_user(&oa, r#"mutation { linkCourse(courseKey: "course-v1:HarvardX+New+1", organization: "VJx") { created } }"#, json!({})).await;
    assert_eq!(error_code(&foreign), "FORBIDDEN", "{foreign}");
    let unknown = app.as_user(&oa, r#"mutation { linkCourse(courseKey: "course-v1:NobodyX+New+1", organization: "VJx") { created } }"#, json!({})).await;
    assert_eq!(error_code(&unknown), "FORBIDDEN");
    let own = app.as_user(&oa, r#"mutation { linkCourse(courseKey: "course-v1:VJx+New+1", organization: "VJx") { created } }"#, json!({})).await;
    assert_eq!(own["data"]["linkCourse"]["created"], true);
    let by_admin = app.as_user(&admin(), r#"mutation { linkCourse(courseKey: "course-v1:HarvardX+New+1", organization: "VJx") { created } }"#, json!({})).await;
    assert_eq!(
        by_admin["data"]["linkCourse"]["created"], true,
        "the joint-course case stays open to administrators"
    );
}

async fn grants_given_on_a_partners_authority_end_with_the_membership(app: TestApp) {
    app.seed_demo().await;
    app.grant("pa", "PARTNER_ADMIN", None, Some("edx")).await;
    app.grant("own", "ORG_ADMIN", Some("MITx"), None).await;
    let pa = token("pa", false, &[]);
    let app = &app;
    let grant = |token: &str, role: &str, subject: &str| {
        let (token, q) = (
            token.to_owned(),
            format!(
                r#"mutation {{ grantRole(subject: "{subject}", role: {role}, organization: "MITx") {{ throughPartner {{ shortCode }} }} }}"#
            ),
        );
        async move { app.as_user(&token, &q, json!({})).await }
    };
    // Given on edx's authority (directly, or by an admin whose grant rests on it): shown.
    let by_partner = grant(&pa, "ORG_ADMIN", "appointed").await;
    assert_eq!(
        by_partner["data"]["grantRole"]["throughPartner"]["shortCode"], "edx",
        "{by_partner}"
    );
    let appointed = token("appointed", false, &[]);
    let chained = grant(&appointed, "ORG_STAFF", "helper").await;
    assert_eq!(
        chained["data"]["grantRole"]["throughPartner"]["shortCode"], "edx",
        "{chained}"
    );
    // Given by a direct ORG_ADMIN or an administrator: independent of any membership.
    let by_own = grant(&token("own", false, &[]), "ORG_STAFF", "colleague").await;
    assert_eq!(
        by_own["data"]["grantRole"]["throughPartner"],
        Value::Null,
        "{by_own}"
    );
    let by_admin = grant(&admin(), "ORG_ADMIN", "named").await;
    assert_eq!(
        by_admin["data"]["grantRole"]["throughPartner"],
        Value::Null,
        "{by_admin}"
    );
    assert_eq!(app.count("role_grant").await, 6);

    let removed = app.as_user(&pa, r#"mutation { removeOrganizationFromPartner(partner: "edx", organization: "MITx") { shortCode } }"#, json!({})).await;
    assert!(removed.get("errors").is_none(), "{removed}");
    let rows = app.snapshot().await;
    let mut subjects: Vec<&str> = rows
        .table("role_grant")
        .iter()
        .filter_map(|row| row.split("subject: \"").nth(1)?.split('"').next())
        .collect();
    subjects.sort_unstable();
    assert_eq!(
        subjects,
        ["colleague", "named", "own", "pa"],
        "the two grants resting on edx ended"
    );
    // ... and the history says so, written with the membership's removal.
    let history = app
        .admin_data(
            r#"{ changes(first: 1000) { edges { node { kind entity } } } }"#,
            json!({}),
        )
        .await;
    let kinds: Vec<String> = history["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["node"]["kind"].as_str().unwrap(),
                e["node"]["entity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds[kinds.len() - 3..],
        [
            "REMOVED PARTNER_ORGANIZATION",
            "REMOVED GRANT",
            "REMOVED GRANT"
        ],
        "{history}"
    );
    // The appointed admin lost MITx with the membership.
    let refused = grant(&appointed, "ORG_STAFF", "late").await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
}

mod filtered {
    use super::*;

    backend_tests! {
        a_filtered_administrator_stays_inside_its_organizations,
    }

    async fn a_filtered_administrator_stays_inside_its_organizations(app: TestApp) {
        app.seed_demo().await;
        let catalog = token("catalog", true, &["content_org:MITx"]);
        let before = app.snapshot().await;
        for (mutation, code) in [
            (
                r#"mutation { createOrganization(input: {shortName: "OtherX", name: "O"}) { shortName } }"#,
                "FORBIDDEN",
            ),
            (
                r#"mutation { ensureOrganization(shortName: "OtherX") { created } }"#,
                "FORBIDDEN",
            ),
            (
                r#"mutation { linkCourse(courseKey: "course-v1:HarvardX+New+1") { created } }"#,
                "FORBIDDEN",
            ),
            (
                r#"mutation { linkCourse(courseKey: "course-v1:HarvardX+New+1", organization: "MITx") { created } }"#,
                "FORBIDDEN",
            ),
            (
                r#"mutation { updateOrganization(shortName: "HarvardX", input: {name: "x"}) { name } }"#,
                "NOT_FOUND",
            ),
            (
                r#"mutation { grantRole(subject: "x", role: PARTNER_ADMIN, partner: "edx") { role } }"#,
                "FORBIDDEN",
            ),
            (
                r#"mutation { grantRole(subject: "x", role: ORG_STAFF, organization: "HarvardX") { role } }"#,
                "NOT_FOUND",
            ),
            (
                r#"mutation { createPartner(input: {shortCode: "new", name: "New"}) { shortCode } }"#,
                "FORBIDDEN",
            ),
            (
                r#"mutation { createSite(input: {domain: "new.example", name: "New"}) { domain } }"#,
                "FORBIDDEN",
            ),
            (
                r#"mutation { updatePartner(shortCode: "edx", input: {name: "x"}) { name } }"#,
                "FORBIDDEN",
            ),
        ] {
            let body = app.as_user(&catalog, mutation, json!({})).await;
            assert_eq!(error_code(&body), code, "{mutation}: {body}");
        }
        let report = app.as_user(&catalog, r#"mutation { backfill(courseKeys: ["lib:OtherX:a", "lib:MITx:new"], apply: true) { linksCreated invalidKeys { line } } }"#, json!({})).await;
        assert_eq!(report["data"]["backfill"]["linksCreated"], 1, "{report}");
        assert_eq!(report["data"]["backfill"]["invalidKeys"][0]["line"], 1);
        let seen = app
            .as_user(
                &catalog,
                "{ organizations { edges { node { shortName } } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            seen["data"]["organizations"]["edges"],
            json!([{ "node": { "shortName": "MITx" } }])
        );
        let after = app.snapshot().await;
        assert_eq!(after.table("partner"), before.table("partner"));
        assert_eq!(after.table("site"), before.table("site"));
        assert_eq!(after.table("role_grant"), before.table("role_grant"));
        assert_eq!(
            after.table("organization").len(),
            before.table("organization").len(),
            "no organization created"
        );
    }
}
