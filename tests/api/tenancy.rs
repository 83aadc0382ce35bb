//! Partners, sites and the membership edges (docs/design.md).

use serde_json::json;

use crate::backend_tests;
use crate::support::TestApp;
use crate::support::{admin, error_code, token};

const CREATE_PARTNER: &str = r#"mutation($i: CreatePartnerInput!) { createPartner(input: $i) { shortCode name lmsUrl active } }"#;
const CREATE_SITE: &str = r#"mutation($i: CreateSiteInput!) { createSite(input: $i) { domain name partner { shortCode } } }"#;

backend_tests! {
    partners_are_created_updated_and_validated,
    sites_are_created_with_an_optional_partner_and_updated,
    membership_edges_work_both_ways_and_removal_keeps_the_rest,
    partner_admins_manage_their_own_partner_only,
}

async fn partners_are_created_updated_and_validated(app: TestApp) {
    let created = app
            .admin_data(CREATE_PARTNER, json!({ "i": { "shortCode": "MITpe", "name": "MIT Professional Education", "lmsUrl": "https://lms.example" } }))
            .await;
    assert_eq!(
        created["createPartner"],
        json!({ "shortCode": "MITpe", "name": "MIT Professional Education", "lmsUrl": "https://lms.example", "active": true })
    );
    let before = app.snapshot().await;
    for (input, code, field) in [
        (
            json!({ "shortCode": "mitpe", "name": "Other" }),
            "ALREADY_EXISTS",
            None,
        ),
        (
            json!({ "shortCode": "other", "name": "MIT Professional Education" }),
            "ALREADY_EXISTS",
            None,
        ),
        (
            json!({ "shortCode": "toolongcode", "name": "n" }),
            "BAD_USER_INPUT",
            Some("input.shortCode"),
        ),
        (
            json!({ "shortCode": "a b", "name": "n" }),
            "BAD_USER_INPUT",
            Some("input.shortCode"),
        ),
        (
            json!({ "shortCode": "", "name": "n" }),
            "BAD_USER_INPUT",
            Some("input.shortCode"),
        ),
        (
            json!({ "shortCode": "ok", "name": "" }),
            "BAD_USER_INPUT",
            Some("input.name"),
        ),
        (
            json!({ "shortCode": "ok", "name": "n".repeat(129) }),
            "BAD_USER_INPUT",
            Some("input.name"),
        ),
        (
            json!({ "shortCode": "ok", "name": "n", "studioUrl": "javascript:alert(1)" }),
            "BAD_USER_INPUT",
            Some("input.studioUrl"),
        ),
    ] {
        let body = app
            .as_user(&admin(), CREATE_PARTNER, json!({ "i": input }))
            .await;
        assert_eq!(error_code(&body), code, "{input}: {body}");
        if let Some(field) = field {
            assert_eq!(body["errors"][0]["extensions"]["field"], field);
        }
    }
    assert_eq!(app.snapshot().await, before);
    let updated = app
            .admin_data(r#"mutation { updatePartner(shortCode: "MITPE", input: { name: "MITPE", lmsUrl: null }) { name lmsUrl } }"#, json!({}))
            .await;
    assert_eq!(
        updated["updatePartner"],
        json!({ "name": "MITPE", "lmsUrl": null })
    );
    let missing = app
        .as_user(
            &admin(),
            r#"mutation { updatePartner(shortCode: "nope", input: { name: "x" }) { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
}

async fn sites_are_created_with_an_optional_partner_and_updated(app: TestApp) {
    app.admin_data(
        CREATE_PARTNER,
        json!({ "i": { "shortCode": "edx", "name": "edX" } }),
    )
    .await;
    let site = app.admin_data(CREATE_SITE, json!({ "i": { "domain": "Courses.Example.org", "name": "Courses", "partner": "EDX" } })).await;
    assert_eq!(
        site["createSite"],
        json!({ "domain": "Courses.Example.org", "name": "Courses", "partner": { "shortCode": "edx" } })
    );
    let bare = app
        .admin_data(
            CREATE_SITE,
            json!({ "i": { "domain": "bare.example", "name": "Bare" } }),
        )
        .await;
    assert_eq!(bare["createSite"]["partner"], serde_json::Value::Null);
    let before = app.snapshot().await;
    for (input, code, field) in [
        (
            json!({ "domain": "courses.example.org", "name": "Dup" }),
            "ALREADY_EXISTS",
            None,
        ),
        (
            json!({ "domain": "has space.example", "name": "n" }),
            "BAD_USER_INPUT",
            Some("input.domain"),
        ),
        (
            json!({ "domain": "x".repeat(101), "name": "n" }),
            "BAD_USER_INPUT",
            Some("input.domain"),
        ),
        (
            json!({ "domain": "ok.example", "name": "n".repeat(51) }),
            "BAD_USER_INPUT",
            Some("input.name"),
        ),
        (
            json!({ "domain": "ok.example", "name": "n", "partner": "nope" }),
            "BAD_USER_INPUT",
            Some("input.partner"),
        ),
    ] {
        let body = app
            .as_user(&admin(), CREATE_SITE, json!({ "i": input }))
            .await;
        assert_eq!(error_code(&body), code, "{input}: {body}");
        if let Some(field) = field {
            assert_eq!(body["errors"][0]["extensions"]["field"], field);
        }
    }
    assert_eq!(app.snapshot().await, before);
    let cleared = app
            .admin_data(r#"mutation { updateSite(domain: "COURSES.example.org", input: { partner: null, name: "C" }) { name partner { shortCode } } }"#, json!({}))
            .await;
    assert_eq!(
        cleared["updateSite"],
        json!({ "name": "C", "partner": null })
    );
    let set = app.admin_data(r#"mutation { updateSite(domain: "bare.example", input: { partner: "edx" }) { partner { shortCode } } }"#, json!({})).await;
    assert_eq!(set["updateSite"]["partner"]["shortCode"], "edx");
}

async fn membership_edges_work_both_ways_and_removal_keeps_the_rest(app: TestApp) {
    app.seed_demo().await;
    // Idempotent add: the first `since` is kept.
    let q = r#"{ organization(shortName: "VJx") { partners { edges { since node { shortCode } } } sites { edges { since node { domain } } } } }"#;
    let before = app.data(q, json!({})).await;
    app.admin_data(r#"mutation { addOrganizationToPartner(partner: "edx", organization: "VJx") { shortCode } }"#, json!({})).await;
    assert_eq!(app.data(q, json!({})).await, before);
    app.admin_data(r#"mutation { addOrganizationToPartner(partner: "mitpe", organization: "vjx") { shortCode } }"#, json!({})).await;
    app.admin_data(r#"mutation { addOrganizationToSite(site: "mitprofessionalx.mit.edu", organization: "VJx") { domain } }"#, json!({})).await;
    let both = app.data(q, json!({})).await;
    let partners: Vec<&str> = both["organization"]["partners"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["shortCode"].as_str().unwrap())
        .collect();
    assert_eq!(partners, ["edx", "mitpe"]);
    assert!(
        both["organization"]["sites"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["since"].is_string())
    );
    let from_partner = app.data(r#"{ partner(shortCode: "mitpe") { organizations { edges { since node { shortName } } } } }"#, json!({})).await;
    assert_eq!(
        from_partner["partner"]["organizations"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let snapshot = app.snapshot().await;
    app.admin_data(r#"mutation { removeOrganizationFromPartner(partner: "mitpe", organization: "VJx") { shortCode } }"#, json!({})).await;
    app.admin_data(r#"mutation { removeOrganizationFromSite(site: "mitprofessionalx.mit.edu", organization: "VJx") { domain } }"#, json!({})).await;
    assert_eq!(
        app.data(q, json!({})).await,
        before,
        "back to the original edges"
    );
    let after = app.snapshot().await;
    assert_eq!(
        after.table("partner"),
        snapshot.table("partner"),
        "partners untouched"
    );
    assert_eq!(
        after.table("site"),
        snapshot.table("site"),
        "sites untouched"
    );
    assert_eq!(
        after.table("organization"),
        snapshot.table("organization"),
        "organizations untouched"
    );
    assert_eq!(
        after.table("course_link"),
        snapshot.table("course_link"),
        "links untouched"
    );
    let missing = app.as_user(&admin(), r#"mutation { addOrganizationToSite(site: "nowhere.example", organization: "VJx") { domain } }"#, json!({})).await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
}

async fn partner_admins_manage_their_own_partner_only(app: TestApp) {
    app.seed_demo().await;
    app.grant("pa", "PARTNER_ADMIN", None, Some("mitpe")).await;
    let pa = token("pa", false, &[]);
    let rename = app
        .as_user(
            &pa,
            r#"mutation { updatePartner(shortCode: "mitpe", input: { name: "MIT PE" }) { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(rename["data"]["updatePartner"]["name"], "MIT PE");
    let other = app
        .as_user(
            &pa,
            r#"mutation { updatePartner(shortCode: "edx", input: { name: "Mine" }) { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let annex = app.as_user(&pa, r#"mutation { addOrganizationToPartner(partner: "mitpe", organization: "HarvardX") { shortCode } }"#, json!({})).await;
    assert_eq!(
        error_code(&annex),
        "FORBIDDEN",
        "needs ORG_ADMIN on the organization too"
    );
    let create = app
        .as_user(
            &pa,
            CREATE_PARTNER,
            json!({ "i": { "shortCode": "new", "name": "New" } }),
        )
        .await;
    assert_eq!(error_code(&create), "FORBIDDEN");
    let move_site = app.as_user(&pa, r#"mutation { updateSite(domain: "mitprofessionalx.mit.edu", input: { partner: "edx" }) { domain } }"#, json!({})).await;
    assert_eq!(error_code(&move_site), "FORBIDDEN");
    let rename_site = app.as_user(&pa, r#"mutation { updateSite(domain: "mitprofessionalx.mit.edu", input: { name: "MIT PE site" }) { name } }"#, json!({})).await;
    assert_eq!(rename_site["data"]["updateSite"]["name"], "MIT PE site");
    // Partner admins administer their member organizations.
    let org = app.as_user(&pa, r#"mutation { updateOrganization(shortName: "MITProfessionalX", input: { description: "d" }) { description } }"#, json!({})).await;
    assert_eq!(org["data"]["updateOrganization"]["description"], "d");
}
