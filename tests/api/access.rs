//! Organization-derived access control (docs/access.md): what each caller sees and may change.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{TestApp, admin, error_code, token};

const EVERYTHING: &str = r#"{
  organizations(includeInactive: true) { totalCount edges { node { shortName } } }
  partners(includeInactive: true) { totalCount }
  vjx: organization(shortName: "VJx", includeInactive: true) { shortName courses(includeInactive: true) { totalCount } }
  mitx: organization(shortName: "MITx") { courses(includeInactive: true) { totalCount } }
  courseOrganizations(courseKey: "course-v1:VJx+VJx101+2024_T1") { shortName }
  _entities(representations: [{ __typename: "Organization", shortName: "VJx" }, { __typename: "Organization", shortName: "HarvardX" }]) { ... on Organization { shortName } }
}"#;

async fn arrange(app: &TestApp) {
    app.seed_demo().await;
    app.admin_data(
        r#"mutation { deactivateOrganization(shortName: "VJx") { active } }"#,
        json!({}),
    )
    .await;
    app.admin_data(r#"mutation { unlinkCourse(courseKey: "MITx/6.002x/2012_Fall", organization: "MITx") { created } }"#, json!({})).await;
    app.grant("vj-staff", "ORG_STAFF", Some("VJx"), None).await;
    app.grant("mit-admin", "ORG_ADMIN", Some("MITx"), None)
        .await;
    app.grant("edx-admin", "PARTNER_ADMIN", None, Some("edx"))
        .await;
}

async fn view(app: &TestApp, token: Option<&str>) -> Value {
    let body = match token {
        Some(t) => app.as_user(t, EVERYTHING, json!({})).await,
        None => app.gql(EVERYTHING, json!({})).await,
    };
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

fn summary(v: &Value) -> (i64, i64, bool, i64, i64, usize, Vec<Value>) {
    (
        v["organizations"]["totalCount"].as_i64().unwrap(),
        v["partners"]["totalCount"].as_i64().unwrap(),
        !v["vjx"].is_null(),
        v["vjx"]["courses"]["totalCount"].as_i64().unwrap_or(-1),
        v["mitx"]["courses"]["totalCount"].as_i64().unwrap_or(-1),
        v["courseOrganizations"].as_array().unwrap().len(),
        v["_entities"].as_array().unwrap().clone(),
    )
}

backend_tests! {
    each_role_sees_what_its_grants_cover,
    content_org_filters_restrict_the_public_directory,
    grants_are_given_and_taken_by_the_right_callers,
    bad_tokens_fail_every_operation,
}

async fn each_role_sees_what_its_grants_cover(app: TestApp) {
    arrange(&app).await;
    let anonymous = summary(&view(&app, None).await);
    assert_eq!(
        anonymous,
        (
            5,
            3,
            false,
            -1,
            4,
            2,
            vec![Value::Null, json!({ "shortName": "HarvardX" })]
        )
    );
    let administrator = summary(&view(&app, Some(&admin())).await);
    assert_eq!(administrator.0, 6);
    assert_eq!(
        (administrator.2, administrator.3, administrator.4),
        (true, 1, 5),
        "all links, inactive included"
    );
    let staff = summary(&view(&app, Some(&token("vj-staff", false, &[]))).await);
    assert_eq!(
        (staff.0, staff.2, staff.3, staff.4),
        (6, true, 1, 4),
        "ORG_STAFF sees its inactive organization, not MITx's inactive link"
    );
    let mit = summary(&view(&app, Some(&token("mit-admin", false, &[]))).await);
    assert_eq!(
        (mit.0, mit.2, mit.4),
        (5, false, 5),
        "ORG_ADMIN of MITx sees MITx's inactive link only"
    );
    let edx = summary(&view(&app, Some(&token("edx-admin", false, &[]))).await);
    assert_eq!(
        (edx.0, edx.2, edx.4),
        (6, true, 5),
        "PARTNER_ADMIN covers member organizations"
    );
    let nobody = summary(&view(&app, Some(&token("nobody", false, &[]))).await);
    assert_eq!(
        nobody, anonymous,
        "a token without grants sees the public directory"
    );
    // _entities never shows inactive records (no includeInactive there).
    assert_eq!(staff.6[0], Value::Null);
}

async fn content_org_filters_restrict_the_public_directory(app: TestApp) {
    arrange(&app).await;
    let client = token(
        "catalog",
        false,
        &["content_org:MITx", "content_org:harvardx"],
    );
    let v = view(&app, Some(&client)).await;
    let names: Vec<&str> = v["organizations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["shortName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["HarvardX", "MITx"]);
    assert_eq!(
        v["organizations"]["totalCount"], 2,
        "totalCount counts only what the caller sees"
    );
    assert_eq!(v["_entities"], json!([null, { "shortName": "HarvardX" }]));
    let edx = app
        .as_user(
            &client,
            r#"{ partner(shortCode: "edx") { organizations { totalCount } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(edx["data"]["partner"]["organizations"]["totalCount"], 2);
}

async fn grants_are_given_and_taken_by_the_right_callers(app: TestApp) {
    app.seed_demo().await;
    let grant = r#"mutation($s: String!, $r: Role!, $p: String, $o: String) { grantRole(subject: $s, role: $r, partner: $p, organization: $o) {
            subject role partner { shortCode } organization { shortName } } }"#;
    let revoke = r#"mutation($s: String!, $r: Role!, $p: String, $o: String) { revokeRole(subject: $s, role: $r, partner: $p, organization: $o) }"#;
    let given = app
        .admin_data(grant, json!({ "s": "ada", "r": "ORG_ADMIN", "o": "mitx" }))
        .await;
    assert_eq!(
        given["grantRole"],
        json!({ "subject": "ada", "role": "ORG_ADMIN", "partner": null, "organization": { "shortName": "MITx" } })
    );
    app.admin_data(grant, json!({ "s": "ada", "r": "ORG_ADMIN", "o": "MITx" }))
        .await;
    assert_eq!(
        app.count("role_grant").await,
        1,
        "granting twice is a no-op"
    );

    let ada = token("ada", false, &[]);
    let viewer = app
        .as_user(
            &ada,
            "{ viewer { subject administrator grants { role organization { shortName } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        viewer["data"]["viewer"],
        json!({ "subject": "ada", "administrator": false, "grants": [{ "role": "ORG_ADMIN", "organization": { "shortName": "MITx" } }] })
    );
    let staff = app
        .as_user(
            &ada,
            grant,
            json!({ "s": "bob", "r": "ORG_STAFF", "o": "MITx" }),
        )
        .await;
    assert_eq!(
        staff["data"]["grantRole"]["role"], "ORG_STAFF",
        "ORG_ADMIN grants on its organization"
    );
    let elsewhere = app
        .as_user(
            &ada,
            grant,
            json!({ "s": "bob", "r": "ORG_STAFF", "o": "HarvardX" }),
        )
        .await;
    assert_eq!(error_code(&elsewhere), "FORBIDDEN");
    let partner_admin = app
        .as_user(
            &ada,
            grant,
            json!({ "s": "bob", "r": "PARTNER_ADMIN", "p": "edx" }),
        )
        .await;
    assert_eq!(
        error_code(&partner_admin),
        "FORBIDDEN",
        "PARTNER_ADMIN grants need an administrator"
    );
    let anonymous = app
        .gql(grant, json!({ "s": "bob", "r": "ORG_STAFF", "o": "MITx" }))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let mismatched = app
        .as_user(
            &admin(),
            grant,
            json!({ "s": "bob", "r": "PARTNER_ADMIN", "o": "MITx" }),
        )
        .await;
    assert_eq!(error_code(&mismatched), "BAD_USER_INPUT");
    assert_eq!(app.count("role_grant").await, 2);

    let revoked = app
        .admin_data(revoke, json!({ "s": "ada", "r": "ORG_ADMIN", "o": "MITx" }))
        .await;
    assert_eq!(revoked["revokeRole"], true);
    let again = app
        .admin_data(revoke, json!({ "s": "ada", "r": "ORG_ADMIN", "o": "MITx" }))
        .await;
    assert_eq!(again["revokeRole"], false);
    let lost = app
        .as_user(
            &ada,
            r#"mutation { updateOrganization(shortName: "MITx", input: { name: "x" }) { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&lost), "FORBIDDEN");
}

async fn bad_tokens_fail_every_operation(app: TestApp) {
    use tenancy_gateway::auth::{Claims, mint};
    let expired = mint(
        crate::support::SECRET,
        &Claims {
            sub: Some("a".into()),
            exp: 1000,
            iat: Some(900),
            ..Claims::default()
        },
    )
    .unwrap();
    let forged = mint(
        "not-the-secret",
        &Claims {
            sub: Some("a".into()),
            administrator: true,
            exp: 4_000_000_000,
            iat: Some(1000),
            ..Claims::default()
        },
    )
    .unwrap();
    for bad in [expired.as_str(), forged.as_str(), "x.y.z", ""] {
        for op in [
            "{ organizations { totalCount } }",
            r#"mutation { ensureOrganization(shortName: "X") { created } }"#,
        ] {
            let body = app.as_user(bad, op, json!({})).await;
            assert_eq!(error_code(&body), "UNAUTHENTICATED", "{bad:?} {op}");
        }
    }
    assert_eq!(app.count("organization").await, 0);
}
