//! Organizations: ensure in both modes, create, update, soft delete and reactivation, and who
//! may do it (edx-organizations' test checklist plus the deliberate differences of docs/adopting.md).

use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{TestApp, admin, error_code, token};

const ENSURE: &str = r#"mutation($s: String!, $n: String) { ensureOrganization(shortName: $s, name: $n) {
    created reactivated organization { id shortName name active } } }"#;
const CREATE: &str = r#"mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
    shortName name description logoUrl active } }"#;

async fn ensure(app: &TestApp, short_name: &str) -> Value {
    app.admin_data(ENSURE, json!({ "s": short_name })).await["ensureOrganization"].clone()
}

backend_tests! {
    ensure_creates_once_then_returns_the_same_organization,
    validate_mode_refuses_unknown_organizations_and_writes_nothing with |c| c.organizations_autocreate = false,
    concurrent_ensures_create_exactly_one_row,
    create_validates_and_refuses_duplicates,
    update_changes_only_what_is_given,
    deactivation_takes_links_along_and_reactivation_brings_them_back,
    writes_need_a_token_and_a_covering_grant,
}

async fn ensure_creates_once_then_returns_the_same_organization(app: TestApp) {
    let first = ensure(&app, "MITx").await;
    assert_eq!(first["created"], true);
    assert_eq!(
        first["organization"]["name"], "MITx",
        "name defaults to the short name"
    );
    let again = ensure(&app, "mitx").await;
    assert_eq!(again["created"], false);
    assert_eq!(again["organization"]["id"], first["organization"]["id"]);
    assert_eq!(
        again["organization"]["shortName"], "MITx",
        "the first spelling is kept"
    );
    assert_eq!(app.count("organization").await, 1);
}

async fn validate_mode_refuses_unknown_organizations_and_writes_nothing(app: TestApp) {
    let body = app.as_user(&admin(), ENSURE, json!({ "s": "NewX" })).await;
    assert_eq!(error_code(&body), "ORGANIZATION_NOT_FOUND");
    assert_eq!(body["errors"][0]["extensions"]["shortName"], "NewX");
    assert_eq!(app.count("organization").await, 0);
    let link = app
        .as_user(
            &admin(),
            r#"mutation { linkCourse(courseKey: "course-v1:NewX+C+R") { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&link), "ORGANIZATION_NOT_FOUND");
    assert!(app.snapshot().await.is_empty());
    // What exists can be ensured; an inactive organization counts as missing.
    app.admin_data(
        CREATE,
        json!({ "i": { "shortName": "OldX", "name": "Old" } }),
    )
    .await;
    assert_eq!(ensure(&app, "oldx").await["created"], false);
    app.admin_data(
        r#"mutation { deactivateOrganization(shortName: "OldX") { active } }"#,
        json!({}),
    )
    .await;
    let body = app.as_user(&admin(), ENSURE, json!({ "s": "OldX" })).await;
    assert_eq!(error_code(&body), "ORGANIZATION_NOT_FOUND");
}

async fn concurrent_ensures_create_exactly_one_row(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.admin_data(ENSURE, json!({ "s": "RaceX" })).await })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    let mut created = 0;
    for task in tasks {
        let data = task.await.unwrap();
        ids.insert(
            data["ensureOrganization"]["organization"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        created += usize::from(data["ensureOrganization"]["created"] == true);
    }
    assert_eq!(ids.len(), 1, "every ensure returns the same organization");
    assert_eq!(created, 1, "exactly one ensure created it");
    assert_eq!(app.count("organization").await, 1);
}

async fn create_validates_and_refuses_duplicates(app: TestApp) {
    let created = app
            .admin_data(
                CREATE,
                json!({ "i": { "shortName": "HarvardX", "name": "Harvard", "description": "Cambridge", "logoUrl": "https://example.org/h.png" } }),
            )
            .await;
    assert_eq!(
        created["createOrganization"],
        json!({ "shortName": "HarvardX", "name": "Harvard", "description": "Cambridge", "logoUrl": "https://example.org/h.png", "active": true })
    );
    let before = app.snapshot().await;
    let dup = app
        .as_user(
            &admin(),
            CREATE,
            json!({ "i": { "shortName": "HARVARDX", "name": "Other" } }),
        )
        .await;
    assert_eq!(error_code(&dup), "ALREADY_EXISTS");
    for (input, field) in [
        (
            json!({ "shortName": "Harvard X", "name": "n" }),
            "input.shortName",
        ),
        (
            json!({ "shortName": "a+b", "name": "n" }),
            "input.shortName",
        ),
        (
            json!({ "shortName": "a/b", "name": "n" }),
            "input.shortName",
        ),
        (
            json!({ "shortName": "a@b", "name": "n" }),
            "input.shortName",
        ),
        (json!({ "shortName": "", "name": "n" }), "input.shortName"),
        (
            json!({ "shortName": "x".repeat(256), "name": "n" }),
            "input.shortName",
        ),
        (json!({ "shortName": "OkX", "name": "" }), "input.name"),
        (
            json!({ "shortName": "OkX", "name": "n".repeat(256) }),
            "input.name",
        ),
        (
            json!({ "shortName": "OkX", "name": "n", "logoUrl": "ftp://x/y.png" }),
            "input.logoUrl",
        ),
    ] {
        let body = app.as_user(&admin(), CREATE, json!({ "i": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}");
    }
    assert_eq!(app.snapshot().await, before, "rejected input wrote nothing");
    // Unicode word characters and - ~ . : % are allowed, as in course keys.
    let unicode = app
        .admin_data(
            CREATE,
            json!({ "i": { "shortName": "Ünï-~.:%x", "name": "U" } }),
        )
        .await;
    assert_eq!(unicode["createOrganization"]["shortName"], "Ünï-~.:%x");
    let found = app
        .data(
            r#"{ organization(shortName: "üNÏ-~.:%X") { shortName } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        found["organization"]["shortName"], "Ünï-~.:%x",
        "Unicode case folding"
    );
}

async fn update_changes_only_what_is_given(app: TestApp) {
    app.admin_data(
        CREATE,
        json!({ "i": { "shortName": "DartX", "name": "Dart", "description": "d" } }),
    )
    .await;
    let q = r#"mutation($i: UpdateOrganizationInput!) { updateOrganization(shortName: "dartx", input: $i) { name description logoUrl } }"#;
    let renamed = app
        .admin_data(q, json!({ "i": { "name": "Dartmouth" } }))
        .await;
    assert_eq!(
        renamed["updateOrganization"],
        json!({ "name": "Dartmouth", "description": "d", "logoUrl": null })
    );
    let cleared = app
        .admin_data(
            q,
            json!({ "i": { "description": null, "logoUrl": "http://x.example/l.png" } }),
        )
        .await;
    assert_eq!(
        cleared["updateOrganization"],
        json!({ "name": "Dartmouth", "description": null, "logoUrl": "http://x.example/l.png" })
    );
    let missing = app
        .as_user(
            &admin(),
            r#"mutation { updateOrganization(shortName: "NoX", input: { name: "n" }) { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
}

async fn deactivation_takes_links_along_and_reactivation_brings_them_back(app: TestApp) {
    for key in [
        "course-v1:VJx+A+1",
        "course-v1:VJx+B+2",
        "library-v1:VJx+Lib",
    ] {
        app.admin_data(
            "mutation($k: String!) { linkCourse(courseKey: $k) { created } }",
            json!({ "k": key }),
        )
        .await;
    }
    let gone = app
        .admin_data(
            r#"mutation { deactivateOrganization(shortName: "vjx") { shortName active } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        gone["deactivateOrganization"],
        json!({ "shortName": "VJx", "active": false })
    );
    let public = app
            .data(r#"{ organization(shortName: "VJx") { shortName } organizations { totalCount } courseOrganization(courseKey: "course-v1:VJx+A+1") { shortName } }"#, json!({}))
            .await;
    assert_eq!(
        public,
        json!({ "organization": null, "organizations": { "totalCount": 0 }, "courseOrganization": null })
    );
    let admin_view = app
            .admin_data(r#"{ organization(shortName: "VJx", includeInactive: true) { active courses(includeInactive: true) { totalCount edges { active } } } }"#, json!({}))
            .await;
    assert_eq!(admin_view["organization"]["courses"]["totalCount"], 3);
    assert!(
        admin_view["organization"]["courses"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["active"] == false)
    );

    // Ensuring it again (auto-create mode) brings it back with its links.
    let back = ensure(&app, "VJX").await;
    assert_eq!(
        (back["created"].clone(), back["reactivated"].clone()),
        (json!(false), json!(true))
    );
    let data = app
        .data(
            r#"{ organization(shortName: "VJx") { courses { totalCount } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["organization"]["courses"]["totalCount"], 3);

    app.admin_data(
        r#"mutation { deactivateOrganization(shortName: "VJx") { active } }"#,
        json!({}),
    )
    .await;
    let again = app
        .admin_data(
            r#"mutation { reactivateOrganization(shortName: "VJx") { active } }"#,
            json!({}),
        )
        .await;
    assert_eq!(again["reactivateOrganization"]["active"], true);
    let data = app
        .data(
            r#"{ courseOrganization(courseKey: "library-v1:VJx+Lib") { shortName } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["courseOrganization"]["shortName"], "VJx");
    // Creating it again reactivates it too (edx-organizations' re-add).
    app.admin_data(
        r#"mutation { deactivateOrganization(shortName: "VJx") { active } }"#,
        json!({}),
    )
    .await;
    let readded = app
        .admin_data(
            CREATE,
            json!({ "i": { "shortName": "VJx", "name": "ignored" } }),
        )
        .await;
    assert_eq!(readded["createOrganization"]["active"], true);
    assert_eq!(
        readded["createOrganization"]["name"], "VJx",
        "re-adding does not update"
    );
}

async fn writes_need_a_token_and_a_covering_grant(app: TestApp) {
    app.admin_data(
        CREATE,
        json!({ "i": { "shortName": "MITx", "name": "MIT" } }),
    )
    .await;
    app.admin_data(
        CREATE,
        json!({ "i": { "shortName": "HarvardX", "name": "Harvard" } }),
    )
    .await;
    app.grant("ada", "ORG_ADMIN", Some("MITx"), None).await;
    app.grant("bob", "ORG_STAFF", Some("MITx"), None).await;
    let before = app.snapshot().await;
    let rename = r#"mutation($s: String!) { updateOrganization(shortName: $s, input: { name: "Renamed" }) { name } }"#;

    let anonymous = app.gql(rename, json!({ "s": "MITx" })).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let staff = app
        .as_user(&token("bob", false, &[]), rename, json!({ "s": "MITx" }))
        .await;
    assert_eq!(error_code(&staff), "FORBIDDEN", "ORG_STAFF only reads");
    let other_org = app
        .as_user(
            &token("ada", false, &[]),
            rename,
            json!({ "s": "HarvardX" }),
        )
        .await;
    assert_eq!(error_code(&other_org), "FORBIDDEN");
    let create = app
        .as_user(&token("ada", false, &[]), ENSURE, json!({ "s": "NewX" }))
        .await;
    assert_eq!(
        error_code(&create),
        "FORBIDDEN",
        "creating organizations needs an administrator"
    );
    let filtered = app
        .as_user(
            &token("root", true, &["content_org:HarvardX"]),
            rename,
            json!({ "s": "MITx" }),
        )
        .await;
    assert_eq!(
        error_code(&filtered),
        "NOT_FOUND",
        "content_org filters hide other organizations even from administrators"
    );
    let expired = app
        .as_user("not.a.token", rename, json!({ "s": "MITx" }))
        .await;
    assert_eq!(error_code(&expired), "UNAUTHENTICATED");
    assert_eq!(
        app.snapshot().await,
        before,
        "refused writes changed nothing"
    );

    let ok = app
        .as_user(&token("ada", false, &[]), rename, json!({ "s": "mitx" }))
        .await;
    assert_eq!(ok["data"]["updateOrganization"]["name"], "Renamed");
    let link = app
        .as_user(
            &token("ada", false, &[]),
            r#"mutation { linkCourse(courseKey: "course-v1:MITx+X+1") { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        link["data"]["linkCourse"]["created"], true,
        "ORG_ADMIN links its own courses"
    );
}
