//! One identity, many spellings (docs/design.md): Unicode compatibility caseless matching on every
//! path that names an organization. Each row of the table is one organization, created with
//! its first spelling and then named by the others through GraphQL lookups and writes, the
//! edx-organizations REST API, grants, `content_org` filters, backfill and import from an LMS
//! database the real edx-organizations app filled; all must find the one record, on both
//! engines.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{TestApp, admin, token};

/// (stored spelling, other spellings of the same identity). Following the LMS runs it too
/// (`follow/changes.rs`).
pub const TABLE: &[(&str, &[&str])] = &[
    ("Straße", &["STRASSE", "strasse", "STRAẞE"]),
    ("ＭＩＴx", &["MITx", "mitx", "ＭＩＴｘ"]),
    ("ﬁx", &["FIX", "fix"]),
    ("\u{212A}elvinX", &["KelvinX", "kelvinx"]),
];

const REST: &str = "/api/organizations/v0/organizations/";

async fn data(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.as_user(token, query, variables).await;
    assert!(body.get("errors").is_none(), "{query} {body:#}");
    body["data"].clone()
}

/// Every lookup by every spelling finds `stored`.
async fn every_lookup_finds(app: &TestApp, stored: &str, spellings: &[&str]) {
    let reader = token("reader", false, &[]);
    for spelling in spellings.iter().chain([&stored]) {
        let found = data(
            app,
            &reader,
            "query($s: String!) { organization(shortName: $s) { shortName } }",
            json!({ "s": spelling }),
        )
        .await;
        assert_eq!(
            found["organization"]["shortName"], stored,
            "GraphQL {spelling}"
        );
        let entity = data(
            app,
            &reader,
            r#"query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { shortName } } }"#,
            json!({ "r": [{ "__typename": "Organization", "shortName": spelling }] }),
        )
        .await;
        assert_eq!(
            entity["_entities"][0]["shortName"], stored,
            "_entities {spelling}"
        );
        let searched = data(
            app,
            &reader,
            "query($s: String!) { organizations(search: $s) { edges { node { shortName } } } }",
            json!({ "s": spelling }),
        )
        .await;
        assert_eq!(
            searched["organizations"]["edges"],
            json!([{ "node": { "shortName": stored } }]),
            "search {spelling}"
        );
        let (status, body) = app
            .rest(
                Method::GET,
                &format!("{REST}{spelling}/"),
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(
            (status, &body["short_name"]),
            (200, &json!(stored)),
            "REST {spelling}: {body}"
        );
    }
}

backend_tests! {
    every_entry_point_folds_a_name_the_same_way,
    import_from_the_real_app_folds_as_every_other_path,
}

async fn every_entry_point_folds_a_name_the_same_way(app: TestApp) {
    let admin = admin();
    for (i, &(stored, spellings)) in TABLE.iter().enumerate() {
        let ensure = "mutation($s: String!) { ensureOrganization(shortName: $s) { created organization { shortName } } }";
        let made = data(&app, &admin, ensure, json!({ "s": stored })).await;
        assert_eq!(made["ensureOrganization"]["created"], true, "{stored}");
        for spelling in spellings {
            let again = data(&app, &admin, ensure, json!({ "s": spelling })).await;
            assert_eq!(
                again["ensureOrganization"],
                json!({ "created": false, "organization": { "shortName": stored } }),
                "{spelling}"
            );
        }
        every_lookup_finds(&app, stored, spellings).await;

        // Backfill and linkCourse: keys whose org part is another spelling join the record.
        let keys: Vec<String> = spellings
            .iter()
            .map(|s| format!("course-v1:{s}+B{i}+1"))
            .collect();
        let report = data(&app, &admin, "mutation($k: [String!]!) { backfill(courseKeys: $k, apply: true) { organizationsCreated linksCreated invalidKeys { key } } }", json!({ "k": keys })).await;
        assert_eq!(
            report["backfill"],
            json!({ "organizationsCreated": 0, "linksCreated": keys.len(), "invalidKeys": [] }),
            "{stored}"
        );
        let linked = data(&app, &admin, "mutation($k: String!) { linkCourse(courseKey: $k) { created organization { shortName } } }", json!({ "k": format!("course-v1:{}+L{i}+1", spellings[0]) })).await;
        assert_eq!(linked["linkCourse"]["organization"]["shortName"], stored);
        for key in &keys {
            let owner = data(
                &app,
                &admin,
                "query($k: String!) { courseOrganization(courseKey: $k) { shortName } }",
                json!({ "k": key }),
            )
            .await;
            assert_eq!(owner["courseOrganization"]["shortName"], stored, "{key}");
        }

        // Grants: given by one spelling, held on the record, the same grant by another.
        let subject = format!("staff{i}");
        for spelling in spellings {
            let grant = data(&app, &admin, "mutation($s: String!, $o: String!) { grantRole(subject: $s, role: ORG_STAFF, organization: $o) { organization { shortName } } }", json!({ "s": subject, "o": spelling })).await;
            assert_eq!(grant["grantRole"]["organization"]["shortName"], stored);
        }
        let viewer = data(
            &app,
            &token(&subject, false, &[]),
            "{ viewer { grants { organization { shortName } } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            viewer["viewer"]["grants"],
            json!([{ "organization": { "shortName": stored } }]),
            "one grant whatever the spelling"
        );

        // content_org filters name it by any spelling, and name nothing else.
        for spelling in spellings {
            let filter = format!("content_org:{spelling}");
            let filtered = token("catalog", false, &[filter.as_str()]);
            let listed = data(
                &app,
                &filtered,
                "{ organizations { edges { node { shortName } } } }",
                json!({}),
            )
            .await;
            assert_eq!(
                listed["organizations"]["edges"],
                json!([{ "node": { "shortName": stored } }]),
                "content_org:{spelling}"
            );
            let (status, body) = app
                .rest(
                    Method::GET,
                    &format!("{REST}{stored}/"),
                    Some(&filtered),
                    None,
                )
                .await;
            assert_eq!(
                (status, &body["short_name"]),
                (200, &json!(stored)),
                "REST content_org:{spelling}"
            );
        }

        // REST PUT by another spelling updates the record (and keeps its first spelling).
        let (status, body) = app
            .rest(
                Method::PUT,
                &format!("{REST}{}/", spellings[0]),
                Some(&admin),
                Some(json!({ "short_name": stored, "name": format!("Renamed {i}") })),
            )
            .await;
        assert_eq!(
            (status, &body["short_name"], &body["name"]),
            (200, &json!(stored), &json!(format!("Renamed {i}"))),
            "{body}"
        );
    }
    let all = data(
        &app,
        &admin,
        "{ organizations(includeInactive: true) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        all["organizations"]["totalCount"],
        TABLE.len(),
        "one record per row"
    );
}

async fn import_from_the_real_app_folds_as_every_other_path(app: TestApp) {
    // Every spelling saved by edx-organizations itself (its unique index tells them apart
    // on SQLite), each with a course link of its own.
    let mut organizations = Vec::new();
    let mut links = Vec::new();
    for (i, (stored, spellings)) in TABLE.iter().enumerate() {
        for (j, spelling) in [*stored].iter().chain(spellings.iter()).enumerate() {
            organizations
                .push(json!({ "short_name": spelling, "name": format!("{spelling} University") }));
            links.push(json!({ "course_id": format!("course-v1:{spelling}+I{i}+{j}"), "short_name": spelling }));
        }
    }
    let rows = json!({ "organizations": organizations, "links": links });
    let Some((url, _guard)) = crate::import::lms_with(&rows).await else {
        return;
    };
    let report = crate::import::import_lms(&app, &url).await;
    let created: Vec<(&str, u64)> = report.tables.iter().map(|t| (t.table, t.created)).collect();
    assert_eq!(
        created[..2].to_vec(),
        vec![
            ("organizations", TABLE.len() as u64),
            ("course links", links.len() as u64)
        ],
        "{:?}",
        report.conflicts
    );
    let folded = report
        .conflicts
        .iter()
        .filter(|c| c.contains("only in case"))
        .count();
    assert_eq!(
        folded,
        organizations.len() - TABLE.len(),
        "{:?}",
        report.conflicts
    );
    for (i, &(stored, spellings)) in TABLE.iter().enumerate() {
        every_lookup_finds(&app, stored, spellings).await;
        // Every spelling's link is the stored record's, found by any spelling of its key.
        let courses = data(
            &app,
            &admin(),
            "query($s: String!) { organization(shortName: $s) { courses { totalCount } } }",
            json!({ "s": spellings[0] }),
        )
        .await;
        assert_eq!(
            courses["organization"]["courses"]["totalCount"],
            spellings.len() + 1,
            "{stored}"
        );
        let owner = data(
            &app,
            &admin(),
            "query($k: String!) { courseOrganization(courseKey: $k) { shortName } }",
            json!({ "k": format!("course-v1:{}+I{i}+1", spellings[0]) }),
        )
        .await;
        assert_eq!(owner["courseOrganization"]["shortName"], stored);
    }
    // A second run finds every row where the first put it.
    crate::import::assert_changed_nothing(&crate::import::import_lms(&app, &url).await);
}
