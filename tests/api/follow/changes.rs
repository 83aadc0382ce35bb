//! What Studio and the Django admin do in the LMS reaches the graph within two intervals, as
//! changes by `follow`; a local edit of an LMS-owned field holds until the LMS changes that row;
//! a restart resumes where it stopped: nothing missed, nothing applied twice. One LMS (and one
//! edx-organizations process) per source engine serves both targets, SQLite and PostgreSQL, each
//! scenario under names of its own.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::{INTERVAL, Lms, changes, eventually, following, organization};
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

/// The scenario's organizations and courses on one target: names of its own (`sfx`), as the
/// LMS is shared with the other target's scenario.
struct Names {
    sfx: &'static str,
    edx: String,
    demo: String,
    follow: String,
    late: String,
    c1: String,
    c2: String,
    c3: String,
}

impl Names {
    fn of(backend: Backend) -> Names {
        let sfx = match backend {
            Backend::Sqlite => "Sq",
            Backend::Postgres => "Pg",
        };
        let edx = format!("edX{sfx}");
        let follow = format!("FollowX{sfx}");
        let late = format!("LateX{sfx}");
        Names {
            sfx,
            demo: format!("course-v1:{edx}+DemoX+2024"),
            c1: format!("course-v1:{follow}+F1+2024"),
            c2: format!("course-v1:{follow}+F2+2024"),
            c3: format!("course-v1:{late}+L1+2025"),
            edx,
            follow,
            late,
        }
    }

    /// Whether a change's key is this scenario's (or the target's own: its site, its partner).
    fn ours(&self, key: &str) -> bool {
        key == "example.com" || key == "ours" || key.contains(&format!("X{}", self.sfx))
    }
}

async fn scenario(lms: &mut Lms, engine: &str, backend: Backend) {
    let Some((database, _dir)) = fresh_database(backend).await else {
        return;
    };
    let n = Names::of(backend);
    let (follow_x, late_x) = (n.follow.as_str(), n.late.as_str());
    let (c1, c2, c3) = (n.c1.as_str(), n.c2.as_str(), n.c3.as_str());
    // What the first round imports whole.
    lms.run(json!({"op": "add_org", "short_name": n.edx, "name": "edX Inc."}));
    lms.run(json!({"op": "link", "short_name": n.edx, "course": n.demo}));
    let app = TestApp::spawn_on(&database, following(&lms.url)).await;
    let start = std::time::Instant::now();
    let edx = org("edX Inc.", true, &[(&n.demo, true)]);
    shows(&app, &n.edx, edx, start).await;
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
        r#"mutation($org: String!) {
             createPartner(input: {shortCode: "ours", name: "Ours"}) { shortCode }
             addOrganizationToPartner(partner: "ours", organization: $org) { shortCode } }"#,
        json!({"org": n.edx}),
    )
    .await;

    let mut took = BTreeMap::new();
    let t = lms.run(json!({"op": "add_org", "short_name": follow_x, "name": "Follow X"}));
    took.insert(
        "create",
        shows(&app, follow_x, org("Follow X", true, &[]), t).await,
    );
    let t = lms.run(json!({"op": "link", "short_name": follow_x, "course": c1}));
    let linked = org("Follow X", true, &[(c1, true)]);
    took.insert("link", shows(&app, follow_x, linked, t).await);
    let t = lms.run(json!({"op": "rename", "short_name": follow_x, "name": "Follow X 2"}));
    let renamed = org("Follow X 2", true, &[(c1, true)]);
    took.insert("rename", shows(&app, follow_x, renamed, t).await);
    let t = lms.run(json!({"op": "unlink", "short_name": follow_x, "course": c1}));
    let unlinked = org("Follow X 2", true, &[(c1, false)]);
    took.insert("unlink", shows(&app, follow_x, unlinked, t).await);

    // A local edit of an LMS-owned field holds while the LMS changes other rows...
    app.admin_data(
        r#"mutation($s: String!) { updateOrganization(shortName: $s, input: {name: "Ours"}) { name } }"#,
        json!({"s": follow_x}),
    )
    .await;
    let t = lms.run(json!({"op": "link", "short_name": follow_x, "course": c2}));
    let ours = org("Ours", true, &[(c1, false), (c2, true)]);
    took.insert("link again", shows(&app, follow_x, ours.clone(), t).await);
    tokio::time::sleep(INTERVAL * 3).await;
    assert_eq!(organization(&app, follow_x).await, Some(ours));
    // ...and the LMS's next change of that row overwrites it.
    let t = lms.run(json!({"op": "rename", "short_name": follow_x, "name": "Follow X 3"}));
    let overwritten = org("Follow X 3", true, &[(c1, false), (c2, true)]);
    took.insert("rename again", shows(&app, follow_x, overwritten, t).await);
    // The history shows both: the local edit by its author, then the LMS's overwrite of it.
    assert_eq!(
        renames(&app, follow_x).await,
        [
            ("follow", "Follow X", "Follow X 2"),
            ("admin", "Follow X 2", "Ours"),
            ("follow", "Ours", "Follow X 3"),
        ]
        .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned())),
        "{engine} -> {backend:?}: the organization's history"
    );
    let t = lms.run(json!({"op": "deactivate", "short_name": follow_x}));
    let deactivated = org("Follow X 3", false, &[(c1, false), (c2, false)]);
    took.insert("deactivate", shows(&app, follow_x, deactivated, t).await);

    let mut seen: Vec<(String, String, String, String)> = live
        .changes(11)
        .await
        .iter()
        .map(|c| {
            let text = |f: &str| c[f].as_str().unwrap().to_owned();
            (text("actor"), text("kind"), text("entity"), text("key"))
        })
        .collect();
    seen.sort();
    let change = |actor: &str, kind: &str, entity: &str, key: &str| {
        (actor.into(), kind.into(), entity.into(), key.into())
    };
    let follow = |kind: &str, entity: &str, key: &str| change("follow", kind, entity, key);
    let mut want = vec![
        change("admin", "CREATED", "PARTNER", "ours"),
        change(
            "admin",
            "CREATED",
            "PARTNER_ORGANIZATION",
            &format!("ours/{}", n.edx),
        ),
        follow("CREATED", "ORGANIZATION", follow_x),
        follow("CREATED", "COURSE_LINK", &format!("{c1}/{follow_x}")),
        follow("UPDATED", "ORGANIZATION", follow_x),
        follow("DEACTIVATED", "COURSE_LINK", &format!("{c1}/{follow_x}")),
        change("admin", "UPDATED", "ORGANIZATION", follow_x),
        follow("CREATED", "COURSE_LINK", &format!("{c2}/{follow_x}")),
        follow("UPDATED", "ORGANIZATION", follow_x),
        follow("DEACTIVATED", "ORGANIZATION", follow_x),
        follow("DEACTIVATED", "COURSE_LINK", &format!("{c2}/{follow_x}")),
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
    lms.run(json!({"op": "reactivate", "short_name": follow_x}));
    lms.run(json!({"op": "add_org", "short_name": late_x, "name": "Late X"}));
    lms.run(json!({"op": "link", "short_name": late_x, "course": c3}));
    let app = TestApp::spawn_on(&database, following(&lms.url)).await;
    let t = std::time::Instant::now();
    shows(&app, late_x, org("Late X", true, &[(c3, true)]), t).await;
    let reactivated = org("Follow X 3", true, &[(c1, false), (c2, false)]);
    shows(&app, follow_x, reactivated, t).await;
    tokio::time::sleep(INTERVAL * 3).await;

    // Every LMS change exactly once, by `follow`; the local edit once, by its author. (The
    // other target's scenario, on the same LMS, is imported here too: its rows are left out.)
    let mut counted: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    for change in changes(&app).await.into_iter().filter(|c| n.ours(&c.3)) {
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
        follow("CREATED", "ORGANIZATION", &n.edx),
        follow("CREATED", "COURSE_LINK", &link(&n.demo, &n.edx)),
        follow("CREATED", "ORGANIZATION", follow_x),
        follow("CREATED", "COURSE_LINK", &link(c1, follow_x)),
        follow("DEACTIVATED", "COURSE_LINK", &link(c1, follow_x)),
        follow("CREATED", "COURSE_LINK", &link(c2, follow_x)),
        follow("DEACTIVATED", "ORGANIZATION", follow_x),
        follow("DEACTIVATED", "COURSE_LINK", &link(c2, follow_x)),
        follow("REACTIVATED", "ORGANIZATION", follow_x),
        follow("CREATED", "ORGANIZATION", late_x),
        follow("CREATED", "COURSE_LINK", &link(c3, late_x)),
        by("admin", "UPDATED", "ORGANIZATION", follow_x),
        by("admin", "CREATED", "PARTNER", "ours"),
        by(
            "admin",
            "CREATED",
            "PARTNER_ORGANIZATION",
            &format!("ours/{}", n.edx),
        ),
    ]
    .into_iter()
    .map(|c| (c, 1))
    .collect();
    // Two renames in the LMS.
    want.insert(follow("UPDATED", "ORGANIZATION", follow_x), 2);
    assert_eq!(counted, want, "{engine} -> {backend:?}");
    let partner = app
        .admin_data(
            r#"{ partner(shortCode: "ours") { organizations { edges { node { shortName } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        partner["partner"]["organizations"]["edges"][0]["node"]["shortName"],
        n.edx.as_str()
    );

    // One identity, many spellings (the table of `spellings.rs`): an organization made here in
    // one spelling is the LMS's organization in another (the plan's own folding), not a second
    // one; the LMS's name and link reach it, and the first spelling stays.
    for (i, (stored, spellings)) in crate::spellings::TABLE.iter().enumerate() {
        let here = format!("{stored}{}", n.sfx);
        let there = format!("{}{}", spellings[0], n.sfx);
        let course = format!("course-v1:{there}+S{i}+2025");
        let made = app
            .admin_data(
                r#"mutation($s: String!) { ensureOrganization(shortName: $s) { created } }"#,
                json!({"s": here}),
            )
            .await;
        assert_eq!(made["ensureOrganization"]["created"], true, "{here}");
        let name = format!("{there} University");
        lms.run(json!({"op": "add_org", "short_name": there, "name": name}));
        let t = lms.run(json!({"op": "link", "short_name": there, "course": course}));
        let spelled = org(&name, true, &[(&course, true)]);
        shows(&app, &here, spelled, t).await;
        let again = app
            .admin_data(
                r#"mutation($s: String!) { ensureOrganization(shortName: $s) {
                     created organization { shortName } } }"#,
                json!({"s": there}),
            )
            .await;
        assert_eq!(
            again["ensureOrganization"],
            json!({"created": false, "organization": {"shortName": here}}),
            "{engine} -> {backend:?}: the first spelling stays ({there})"
        );
    }

    eprintln!("follow {engine} -> {backend:?}: commit to graph {took:?}");
    for (step, t) in took {
        assert!(t <= WITHIN, "{engine} -> {backend:?}: {step} took {t:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_follows_lms_changes_through_a_restart() {
    for engine in ["sqlite", "postgres", "mariadb"] {
        let Some(mut lms) = Lms::start(engine).await else {
            continue;
        };
        for backend in [Backend::Sqlite, Backend::Postgres] {
            scenario(&mut lms, engine, backend).await;
        }
    }
}
