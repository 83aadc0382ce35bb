//! Read-only tokens and cookie writes without the CSRF token, on every mutation of the schema:
//! each is FORBIDDEN and nothing is written.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::*;

impl TestApp {
    async fn with_jwt_cookies(&self, cookie: &str, query: &str) -> Value {
        let cookie = cookie.to_owned();
        self.gql_with(query, json!({}), |r| r.header("cookie", cookie))
            .await
    }
}

/// Every mutation of the schema, with arguments that would succeed for an administrator on the
/// demo data.
const EVERY_MUTATION: &[&str] = &[
    r#"mutation { ensureOrganization(shortName: "NewX") { created } }"#,
    r#"mutation { createOrganization(input: { shortName: "NewY", name: "New Y" }) { shortName } }"#,
    r#"mutation { updateOrganization(shortName: "MITx", input: { name: "Renamed" }) { name } }"#,
    r#"mutation { deactivateOrganization(shortName: "MITx") { active } }"#,
    r#"mutation { reactivateOrganization(shortName: "MITx") { active } }"#,
    r#"mutation { linkCourse(courseKey: "course-v1:MITx+New+2025") { created } }"#,
    r#"mutation { unlinkCourse(courseKey: "course-v1:MITx+6.002x+2024_T1", organization: "MITx") { created } }"#,
    r#"mutation { createPartner(input: { shortCode: "newp", name: "New P" }) { shortCode } }"#,
    r#"mutation { updatePartner(shortCode: "edx", input: { name: "Renamed" }) { name } }"#,
    r#"mutation { createSite(input: { domain: "new.example.com", name: "New", partner: "edx" }) { domain } }"#,
    r#"mutation { updateSite(domain: "edx.org", input: { name: "Renamed" }) { name } }"#,
    r#"mutation { addOrganizationToPartner(partner: "mitpe", organization: "MITx") { shortCode } }"#,
    r#"mutation { removeOrganizationFromPartner(partner: "edx", organization: "MITx") { shortCode } }"#,
    r#"mutation { addOrganizationToSite(site: "edx.org", organization: "HarvardXPlus") { domain } }"#,
    r#"mutation { removeOrganizationFromSite(site: "edx.org", organization: "MITx") { domain } }"#,
    r#"mutation { grantRole(subject: "bob", role: ORG_STAFF, organization: "MITx") { subject } }"#,
    r#"mutation { revokeRole(subject: "bob", role: ORG_STAFF, organization: "MITx") }"#,
    r#"mutation { backfill(courseKeys: ["course-v1:NewZ+A+B"], apply: true) { __typename } }"#,
];

backend_tests! {
    the_list_is_valid_every_mutation_succeeds_for_an_unrestricted_administrator,
    a_restricted_token_is_refused_on_every_mutation,
    a_cookie_without_the_csrf_token_is_refused_on_every_mutation,
}

async fn the_list_is_valid_every_mutation_succeeds_for_an_unrestricted_administrator(app: TestApp) {
    app.seed_demo().await;
    let admin = hs256(&claims("root", json!({ "administrator": true })));
    for mutation in EVERY_MUTATION {
        let body = app.as_user(&admin, mutation, json!({})).await;
        assert!(body.get("errors").is_none(), "{mutation}: {body}");
    }
}

async fn a_restricted_token_is_refused_on_every_mutation(app: TestApp) {
    app.seed_demo().await;
    let restricted = hs256(&claims(
        "root",
        json!({ "administrator": true, "is_restricted": true }),
    ));
    let before = app.snapshot().await;
    for mutation in EVERY_MUTATION {
        let body = app.as_user(&restricted, mutation, json!({})).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{mutation}: {body}");
    }
    assert_eq!(app.snapshot().await, before, "nothing written");
}

async fn a_cookie_without_the_csrf_token_is_refused_on_every_mutation(app: TestApp) {
    app.seed_demo().await;
    let admin = jwt_cookies(&hs256(&claims("root", json!({ "administrator": true }))));
    let before = app.snapshot().await;
    for mutation in EVERY_MUTATION {
        let body = app.with_jwt_cookies(&admin, mutation).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{mutation}: {body}");
    }
    assert_eq!(app.snapshot().await, before, "nothing written");
}
