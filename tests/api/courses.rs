//! Course links: derived from keys, idempotent, soft-deleted, first-linked organization.

use serde_json::json;

use crate::backend_tests;
use crate::support::TestApp;
use crate::support::{admin, error_code};

const LINK: &str = r#"mutation($k: String!, $o: String) { linkCourse(courseKey: $k, organization: $o) {
    created course { courseKey organization { shortName } } organization { shortName } } }"#;
const UNLINK: &str = r#"mutation($k: String!, $o: String!) { unlinkCourse(courseKey: $k, organization: $o) { created organization { shortName } } }"#;

backend_tests! {
    linking_derives_and_ensures_the_organization_from_the_key,
    the_first_linked_organization_is_the_course_organization,
    bad_keys_and_missing_links_change_nothing,
    keys_are_stored_in_their_canonical_form,
}

async fn linking_derives_and_ensures_the_organization_from_the_key(app: TestApp) {
    for (key, org) in [
        ("course-v1:edX+DemoX+2020", "edX"),
        ("edX/Old/2012", "edX"),
        ("library-v1:UniX+lib1", "UniX"),
        ("lib:LibX:lib2", "LibX"),
    ] {
        let data = app.admin_data(LINK, json!({ "k": key })).await;
        assert_eq!(
            data["linkCourse"]["organization"]["shortName"], org,
            "{key}"
        );
        assert_eq!(data["linkCourse"]["created"], true);
        assert_eq!(
            data["linkCourse"]["course"]["organization"]["shortName"],
            org
        );
    }
    assert_eq!(app.count("organization").await, 3);
    let twice = app
        .admin_data(LINK, json!({ "k": "course-v1:edX+DemoX+2020" }))
        .await;
    assert_eq!(
        twice["linkCourse"]["created"], false,
        "linking twice is a no-op"
    );
    assert_eq!(app.count("course_link").await, 4);
    let data = app.data(r#"{ organization(shortName: "edx") { courses { totalCount edges { node { courseKey } } } } }"#, json!({})).await;
    assert_eq!(data["organization"]["courses"]["totalCount"], 2);
}

async fn the_first_linked_organization_is_the_course_organization(app: TestApp) {
    app.admin_data(LINK, json!({ "k": "course-v1:VJx+Joint+2024" }))
        .await;
    app.admin_data(
        LINK,
        json!({ "k": "course-v1:VJx+Joint+2024", "o": "MITx" }),
    )
    .await;
    app.admin_data(
        LINK,
        json!({ "k": "course-v1:VJx+Joint+2024", "o": "HarvardX" }),
    )
    .await;
    let q = r#"{ courseOrganization(courseKey: "course-v1:VJx+Joint+2024") { shortName }
                     courseOrganizations(courseKey: "course-v1:VJx+Joint+2024") { shortName } }"#;
    let data = app.data(q, json!({})).await;
    assert_eq!(data["courseOrganization"]["shortName"], "VJx");
    assert_eq!(
        data["courseOrganizations"],
        json!([{ "shortName": "VJx" }, { "shortName": "MITx" }, { "shortName": "HarvardX" }])
    );
    // Unlinking the first one makes the next one first; relinking reactivates the old link,
    // which keeps its place in link order.
    let unlinked = app
        .admin_data(
            UNLINK,
            json!({ "k": "course-v1:VJx+Joint+2024", "o": "vjx" }),
        )
        .await;
    assert_eq!(unlinked["unlinkCourse"]["organization"]["shortName"], "VJx");
    assert_eq!(
        app.data(q, json!({})).await["courseOrganization"]["shortName"],
        "MITx"
    );
    let relinked = app
        .admin_data(LINK, json!({ "k": "course-v1:VJx+Joint+2024", "o": "VJx" }))
        .await;
    assert_eq!(relinked["linkCourse"]["created"], false);
    assert_eq!(
        app.data(q, json!({})).await["courseOrganization"]["shortName"],
        "VJx"
    );
    assert_eq!(app.count("course_link").await, 3);
}

async fn bad_keys_and_missing_links_change_nothing(app: TestApp) {
    app.admin_data(LINK, json!({ "k": "course-v1:edX+DemoX+2020" }))
        .await;
    let before = app.snapshot().await;
    for key in [
        "course-v1:edX+DemoX",
        "not a key",
        "Course-v1:edX+A+B",
        "course-v1:edX+A+B+",
        "",
    ] {
        let body = app.as_user(&admin(), LINK, json!({ "k": key })).await;
        assert_eq!(error_code(&body), "INVALID_COURSE_KEY", "{key:?}: {body}");
    }
    let version_only = app
        .as_user(
            &admin(),
            LINK,
            json!({ "k": "course-v1:version@0123456789abcdef01234567" }),
        )
        .await;
    assert_eq!(
        error_code(&version_only),
        "INVALID_COURSE_KEY",
        "a key without an org needs `organization`"
    );
    let bad_org = app
        .as_user(
            &admin(),
            LINK,
            json!({ "k": "course-v1:edX+A+B", "o": "no space" }),
        )
        .await;
    assert_eq!(error_code(&bad_org), "BAD_USER_INPUT");
    let not_linked = app
        .as_user(
            &admin(),
            UNLINK,
            json!({ "k": "course-v1:edX+Other+1", "o": "edX" }),
        )
        .await;
    assert_eq!(error_code(&not_linked), "NOT_FOUND");
    let no_org = app
        .as_user(
            &admin(),
            UNLINK,
            json!({ "k": "course-v1:edX+DemoX+2020", "o": "NoX" }),
        )
        .await;
    assert_eq!(error_code(&no_org), "NOT_FOUND");
    let anonymous = app.gql(LINK, json!({ "k": "course-v1:edX+New+1" })).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    assert_eq!(app.snapshot().await, before);
}

async fn keys_are_stored_in_their_canonical_form(app: TestApp) {
    // edx-opaque-keys prints `slashes:` keys as course-v1 and drops block parts.
    let data = app
        .admin_data(LINK, json!({ "k": "slashes:edX+Canon+1" }))
        .await;
    assert_eq!(
        data["linkCourse"]["course"]["courseKey"],
        "course-v1:edX+Canon+1"
    );
    let again = app
        .admin_data(LINK, json!({ "k": "course-v1:edX+Canon+1" }))
        .await;
    assert_eq!(
        again["linkCourse"]["created"], false,
        "both spellings are one course"
    );
}
