//! Rows the follower cannot see in id order: a link inserted by a transaction that commits
//! after a later one (its id below the follower's mark) is applied once it commits; rows the
//! LMS deletes (the Django admin's delete) are deactivated here.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::json;

use super::{INTERVAL, Lms, changes, eventually, following, organization};
use crate::support::{Backend, TestApp};

async fn late_and_deleted(engine: &str) {
    let Some(mut lms) = Lms::start(engine).await else {
        return;
    };
    lms.run(json!({"op": "add_org", "short_name": "LateX", "name": "Late X"}));
    lms.run(json!({"op": "add_org", "short_name": "GoneX", "name": "Gone X"}));
    lms.run(json!({"op": "link", "short_name": "GoneX", "course": "course-v1:GoneX+G+1"}));
    let app = TestApp::spawn_with(Backend::Sqlite, following(&lms.url))
        .await
        .unwrap();
    let within = Duration::from_secs(10);
    eventually("the first import", within, || organization(&app, "GoneX")).await;

    // A transaction draws a link id and stays open while a later link commits.
    let source = Database::connect(&lms.url).await.unwrap();
    let open = source.begin().await.unwrap();
    let now = match engine {
        "postgres" => "now()",
        _ => "CURRENT_TIMESTAMP",
    };
    open.execute_unprepared(&format!(
        "INSERT INTO organizations_organizationcourse (created, modified, course_id, active, \
         organization_id) SELECT {now}, {now}, 'course-v1:LateX+Early+1', {t}, id \
         FROM organizations_organization WHERE short_name = 'LateX'",
        t = if engine == "postgres" { "true" } else { "1" },
    ))
    .await
    .unwrap();
    lms.run(json!({"op": "link", "short_name": "LateX", "course": "course-v1:LateX+After+1"}));
    let after = Some((
        "Late X".to_owned(),
        true,
        vec![("course-v1:LateX+After+1".to_owned(), true)],
    ));
    eventually("the later link", within, || async {
        (organization(&app, "LateX").await == after).then_some(())
    })
    .await;
    tokio::time::sleep(INTERVAL * 3).await;
    assert_eq!(
        organization(&app, "LateX").await,
        after,
        "{engine}: not committed yet"
    );
    open.commit().await.unwrap();
    let both = Some((
        "Late X".to_owned(),
        true,
        vec![
            ("course-v1:LateX+After+1".to_owned(), true),
            ("course-v1:LateX+Early+1".to_owned(), true),
        ],
    ));
    let (_, took) = eventually("the link committed late", within, || async {
        (organization(&app, "LateX").await == both).then_some(())
    })
    .await;
    eprintln!("follow {engine}: a link committed late applied {took:?} after its commit");

    // The Django admin deletes an organization (its links go with it, each recorded).
    lms.run(json!({"op": "delete_org", "short_name": "GoneX"}));
    let gone = Some((
        "Gone X".to_owned(),
        false,
        vec![("course-v1:GoneX+G+1".to_owned(), false)],
    ));
    eventually("the deleted organization", within, || async {
        (organization(&app, "GoneX").await == gone).then_some(())
    })
    .await;
    tokio::time::sleep(INTERVAL * 3).await;
    let log = changes(&app).await;
    for key in [
        "course-v1:LateX+Early+1/LateX",
        "course-v1:LateX+After+1/LateX",
        "course-v1:GoneX+G+1/GoneX",
    ] {
        let created = log
            .iter()
            .filter(|c| c.0 == "follow" && c.3 == key && c.1 == "CREATED");
        assert_eq!(created.count(), 1, "{engine}: {key} created once: {log:?}");
    }
    let deactivated: Vec<_> = log
        .iter()
        .filter(|c| c.1 == "DEACTIVATED")
        .map(|c| (c.2.as_str(), c.3.as_str()))
        .collect();
    assert_eq!(
        deactivated,
        [
            ("ORGANIZATION", "GoneX"),
            ("COURSE_LINK", "course-v1:GoneX+G+1/GoneX")
        ],
        "{engine}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_committed_late_and_deleted_rows_on_postgres() {
    late_and_deleted("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_committed_late_and_deleted_rows_on_mariadb() {
    late_and_deleted("mariadb").await;
}
