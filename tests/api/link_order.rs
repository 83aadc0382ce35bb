//! Course-link order does not come from ids: a distributed PostgreSQL-compatible
//! engine hands out ids in no particular order, so the "first organization" of a course and an
//! organization's courses follow `course_link.position`, stamped at commit. Here the ids are
//! turned upside down behind the service's back, and new links get smaller ids than old ones:
//! the order stays the order of linking.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::TestApp;

const LINK: &str = r#"mutation($k: String!, $o: String) { linkCourse(courseKey: $k, organization: $o) { created } }"#;
const COURSE: &str = r#"{ courseOrganization(courseKey: "course-v1:VJx+Joint+2024") { shortName }
    courseOrganizations(courseKey: "course-v1:VJx+Joint+2024") { shortName } }"#;
const COURSES: &str = r#"query($after: String) { organization(shortName: "MITx") {
    courses(first: 2, after: $after) { edges { cursor node { courseKey } } } } }"#;

async fn link(app: &TestApp, key: &str, org: &str) {
    app.admin_data(LINK, json!({ "k": key, "o": org })).await;
}

/// MITx's course keys, read two per page.
async fn mitx_courses(app: &TestApp) -> Vec<String> {
    let mut keys = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data(COURSES, json!({ "after": after })).await;
        let edges = data["organization"]["courses"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        if edges.is_empty() {
            return keys;
        }
        for edge in &edges {
            keys.push(edge["node"]["courseKey"].as_str().unwrap().to_owned());
        }
        after = edges.last().unwrap()["cursor"].clone();
    }
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

backend_tests! {
    link_order_survives_ids_in_any_order,
}

async fn link_order_survives_ids_in_any_order(app: TestApp) {
    link(&app, "course-v1:VJx+Joint+2024", "VJx").await;
    link(&app, "course-v1:VJx+Joint+2024", "MITx").await;
    link(&app, "course-v1:VJx+Joint+2024", "HarvardX").await;
    for c in ["A", "B", "C"] {
        link(&app, &format!("course-v1:MITx+{c}+2024"), "MITx").await;
    }
    // Every committed link has its position.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM course_link WHERE position IS NULL"
        )
        .await,
        0
    );
    // Ids upside down: the last link made now has the smallest id.
    app.db
        .execute_unprepared("UPDATE course_link SET id = 1000000 - id")
        .await
        .unwrap();
    assert!(scalar(&app, "SELECT MIN(id) FROM course_link").await > 999_000);
    let data = app.data(COURSE, json!({})).await;
    assert_eq!(data["courseOrganization"]["shortName"], "VJx");
    assert_eq!(
        data["courseOrganizations"],
        json!([{ "shortName": "VJx" }, { "shortName": "MITx" }, { "shortName": "HarvardX" }])
    );
    let expected = [
        "course-v1:VJx+Joint+2024",
        "course-v1:MITx+A+2024",
        "course-v1:MITx+B+2024",
        "course-v1:MITx+C+2024",
    ];
    assert_eq!(mitx_courses(&app).await, expected);
    // Links made now, given ids below every other one, still come last. (PostgreSQL's
    // sequence gives them small ids already, SQLite ids above the greatest: made negative.)
    link(&app, "course-v1:VJx+Joint+2024", "NewX").await;
    link(&app, "course-v1:MITx+D+2024", "MITx").await;
    app.db
        .execute_unprepared("UPDATE course_link SET id = -id WHERE id < 1000 OR id >= 1000000")
        .await
        .unwrap();
    assert!(
        scalar(
            &app,
            "SELECT MAX(id) FROM course_link WHERE course_key = 'course-v1:MITx+D+2024'"
        )
        .await
            < 0
    );
    let data = app.data(COURSE, json!({})).await;
    assert_eq!(data["courseOrganization"]["shortName"], "VJx");
    assert_eq!(data["courseOrganizations"][3]["shortName"], "NewX");
    let mut expected = expected.to_vec();
    expected.push("course-v1:MITx+D+2024");
    assert_eq!(mitx_courses(&app).await, expected);
}
