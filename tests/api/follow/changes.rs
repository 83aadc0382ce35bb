//! What Studio and the Django admin do in the LMS reaches the graph within two intervals, as
//! changes by `follow`; a local edit of an LMS-owned field holds until the LMS changes that row;
//! a restart resumes where it stopped: nothing missed, nothing applied twice.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::{INTERVAL, Lms, changes, eventually, following, organization};
use crate::backend_tests;
use crate::live::Events;
use crate::support::{Backend, TestApp, admin, fresh_database};

/// How long a change may take to reach the graph: two intervals, and the round's own time on a
/// loaded machine (measured figures are printed).
const WITHIN: Duration = Duration::from_secs(3);

type Org = (String, bool, Vec<(String, bool)>);

fn org(name: &str, active: bool, courses: &[(&str, bool)]) -> Org {
    (
        name.to_owned(),
        active,
        courses.iter().map(|(c, a)| ((*c).to_owned(), *a)).collect(),
    )
}

/// Waits until the graph shows `short_name` as `want`; how long after `since` it did.
async fn shows(app: &TestApp, short_name: &str, want: Org, since: std::time::Instant) -> Duration {
    let what = format!("{short_name} as {want:?}");
    eventually(&what, WITHIN + Duration::from_secs(7), || async {
        (organization(app, short_name).await.as_ref() == Some(&want)).then_some(())
    })
    .await;
    since.elapsed()
}

/// The name changes of an organization in the change log, oldest first: `(actor, before,
/// after)`.
async fn renames(app: &TestApp, short_name: &str) -> Vec<(String, String, String)> {
    let data = app
        .admin_data(
            r#"{ changes(first: 1000, entities: [ORGANIZATION]) {
                 edges { node { actor kind key before after } } } }"#,
            json!({}),
        )
        .await;
    let name = |v: &serde_json::Value| v["name"].as_str().unwrap_or_default().to_owned();
    data["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .filter(|n| n["key"] == short_name && n["kind"] == "UPDATED")
        .filter(|n| name(&n["before"]) != name(&n["after"]))
        .map(|n| {
            let actor = n["actor"].as_str().unwrap_or_default().to_owned();
            (actor, name(&n["before"]), name(&n["after"]))
        })
        .collect()
}

const C1: &str = "course-v1:FollowX+F1+2024";
const C2: &str = "course-v1:FollowX+F2+2024";
const C3: &str = "course-v1:LateX+L1+2025";

async fn scenario(lms: &mut Lms, engine: &str, backend: Backend) {
    // What the first round imports whole.
    lms.run(json!({"op": "add_org", "short_name": "edX", "name": "edX Inc."}));
    lms.run(json!({"op": "link", "short_name": "edX", "course": "course-v1:edX+DemoX+2024"}));
    let (database, _dir) = fresh_database(backend).await.expect("a target database");
    let app = TestApp::spawn_on(&database, following(&lms.url)).await;
    let start = std::time::Instant::now();
    let edx = org("edX Inc.", true, &[("course-v1:edX+DemoX+2024", true)]);
    shows(&app, "edX", edx, start).await;
    // A subscriber sees the follower's changes as it sees any write's.
    let last = app
        .admin_data(
            r#"{ changes(first: 1000) { pageInfo { endCursor } } }"#,
            json!({}),
        )
        .await;
    let after = last["changes"]["pageInfo"]["endCursor"].clone();
    let mut live = Events::open(&app, json!({"after": after}), Some(&admin())).await;
    // A membership of this service's own: no followed source holds it, so it stays.
    app.admin_data(
        r#"mutation { createPartner(input: {shortCode: "ours", name: "Ours"}) { shortCode }
                      addOrganizationToPartner(partner: "ours", organization: "edX") { shortCode } }"#,
        json!({}),
    )
    .await;

    let mut took = BTreeMap::new();
    let t = lms.run(json!({"op": "add_org", "short_name": "FollowX", "name": "Follow X"}));
    took.insert(
        "create",
        shows(&app, "FollowX", org("Follow X", true, &[]), t).await,
    );
    let t = lms.run(json!({"op": "link", "short_name": "FollowX", "course": C1}));
    let linked = org("Follow X", true, &[(C1, true)]);
    took.insert("link", shows(&app, "FollowX", linked, t).await);
    let t = lms.run(json!({"op": "rename", "short_name": "FollowX", "name": "Follow X 2"}));
    let renamed = org("Follow X 2", true, &[(C1, true)]);
    took.insert("rename", shows(&app, "FollowX", renamed, t).await);
    let t = lms.run(json!({"op": "unlink", "short_name": "FollowX", "course": C1}));
    let unlinked = org("Follow X 2", true, &[(C1, false)]);
    took.insert("unlink", shows(&app, "FollowX", unlinked, t).await);

    // A local edit of an LMS-owned field holds while the LMS changes other rows...
    app.admin_data(
        r#"mutation { updateOrganization(shortName: "FollowX", input: {name: "Ours"}) { name } }"#,
        json!({}),
    )
    .await;
    let t = lms.run(json!({"op": "link", "short_name": "FollowX", "course": C2}));
    let ours = org("Ours", true, &[(C1, false), (C2, true)]);
    took.insert("link again", shows(&app, "FollowX", ours.clone(), t).await);
    tokio::time::sleep(INTERVAL * 3).await;
    assert_eq!(organization(&app, "FollowX").await, Some(ours));
    // ...and the LMS's next change of that row overwrites it.
    let t = lms.run(json!({"op": "rename", "short_name": "FollowX", "name": "Follow X 3"}));
    let overwritten = org("Follow X 3", true, &[(C1, false), (C2, true)]);
    took.insert("rename again", shows(&app, "FollowX", overwritten, t).await);
    // The history shows both: the local edit by its author, then the LMS's overwrite of it.
    assert_eq!(
        renames(&app, "FollowX").await,
        [
            ("follow", "Follow X", "Follow X 2"),
            ("admin", "Follow X 2", "Ours"),
            ("follow", "Ours", "Follow X 3"),
        ]
        .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned())),
        "{engine} -> {backend:?}: the organization's history"
    );
    let t = lms.run(json!({"op": "deactivate", "short_name": "FollowX"}));
    let deactivated = org("Follow X 3", false, &[(C1, false), (C2, false)]);
    took.insert("deactivate", shows(&app, "FollowX", deactivated, t).await);

    let mut seen: Vec<(String, String, String)> = live
        .changes(11)
        .await
        .iter()
        .map(|c| {
            let text = |f: &str| c[f].as_str().unwrap().to_owned();
            (text("kind"), text("entity"), text("key"))
        })
        .collect();
    seen.sort();
    let change = |kind: &str, entity: &str, key: &str| (kind.into(), entity.into(), key.into());
    let mut want = vec![
        change("CREATED", "PARTNER", "ours"),
        change("CREATED", "PARTNER_ORGANIZATION", "ours/edX"),
        change("CREATED", "ORGANIZATION", "FollowX"),
        change("CREATED", "COURSE_LINK", &format!("{C1}/FollowX")),
        change("UPDATED", "ORGANIZATION", "FollowX"),
        change("DEACTIVATED", "COURSE_LINK", &format!("{C1}/FollowX")),
        change("UPDATED", "ORGANIZATION", "FollowX"),
        change("CREATED", "COURSE_LINK", &format!("{C2}/FollowX")),
        change("UPDATED", "ORGANIZATION", "FollowX"),
        change("DEACTIVATED", "ORGANIZATION", "FollowX"),
        change("DEACTIVATED", "COURSE_LINK", &format!("{C2}/FollowX")),
    ];
    want.sort();
    assert_eq!(
        seen, want,
        "{engine} -> {backend:?}: the subscriber's changes"
    );
    drop(live);

    // Stopped, the LMS goes on; started again, the follower resumes from its marks.
    drop(app);
    tokio::time::sleep(INTERVAL * 2).await;
    lms.run(json!({"op": "reactivate", "short_name": "FollowX"}));
    lms.run(json!({"op": "add_org", "short_name": "LateX", "name": "Late X"}));
    lms.run(json!({"op": "link", "short_name": "LateX", "course": C3}));
    let app = TestApp::spawn_on(&database, following(&lms.url)).await;
    let t = std::time::Instant::now();
    shows(&app, "LateX", org("Late X", true, &[(C3, true)]), t).await;
    let reactivated = org("Follow X 3", true, &[(C1, false), (C2, false)]);
    shows(&app, "FollowX", reactivated, t).await;
    tokio::time::sleep(INTERVAL * 3).await;

    // Every LMS change exactly once, by `follow`; the local edit once, by its author.
    let mut counted: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    for change in changes(&app).await {
        *counted.entry(change).or_default() += 1;
    }
    let by = |actor: &str, kind: &str, entity: &str, key: &str| {
        (
            actor.to_owned(),
            kind.to_owned(),
            entity.to_owned(),
            key.to_owned(),
        )
    };
    let follow = |kind: &str, entity: &str, key: &str| by("follow", kind, entity, key);
    let link = |course: &str, org: &str| format!("{course}/{org}");
    let mut want: BTreeMap<_, usize> = [
        // Django's own first site (django_site), as import reads it.
        follow("CREATED", "SITE", "example.com"),
        follow("CREATED", "ORGANIZATION", "edX"),
        follow(
            "CREATED",
            "COURSE_LINK",
            &link("course-v1:edX+DemoX+2024", "edX"),
        ),
        follow("CREATED", "ORGANIZATION", "FollowX"),
        follow("CREATED", "COURSE_LINK", &link(C1, "FollowX")),
        follow("DEACTIVATED", "COURSE_LINK", &link(C1, "FollowX")),
        follow("CREATED", "COURSE_LINK", &link(C2, "FollowX")),
        follow("DEACTIVATED", "ORGANIZATION", "FollowX"),
        follow("DEACTIVATED", "COURSE_LINK", &link(C2, "FollowX")),
        follow("REACTIVATED", "ORGANIZATION", "FollowX"),
        follow("CREATED", "ORGANIZATION", "LateX"),
        follow("CREATED", "COURSE_LINK", &link(C3, "LateX")),
        by("admin", "UPDATED", "ORGANIZATION", "FollowX"),
        by("admin", "CREATED", "PARTNER", "ours"),
        by("admin", "CREATED", "PARTNER_ORGANIZATION", "ours/edX"),
    ]
    .into_iter()
    .map(|c| (c, 1))
    .collect();
    // Two renames in the LMS.
    want.insert(follow("UPDATED", "ORGANIZATION", "FollowX"), 2);
    assert_eq!(counted, want, "{engine} -> {backend:?}");
    let partner = app
        .admin_data(
            r#"{ partner(shortCode: "ours") { organizations { edges { node { shortName } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        partner["partner"]["organizations"]["edges"][0]["node"]["shortName"],
        "edX"
    );
    eprintln!("follow {engine} -> {backend:?}: commit to graph {took:?}");
    for (step, t) in took {
        assert!(t <= WITHIN, "{engine} -> {backend:?}: {step} took {t:?}");
    }
}

backend_tests! {
    async fn serve_follows_lms_changes_through_a_restart(app: TestApp) {
        drop(app);
        for engine in ["sqlite", "postgres", "mariadb"] {
            let Some(mut lms) = Lms::start(engine).await else { continue };
            scenario(&mut lms, engine, BACKEND).await;
        }
    }
}
