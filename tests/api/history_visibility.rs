//! History visibility per caller kind (docs/design.md): no change a caller reads, in `changes`, a
//! record's `history` or the replay of a subscription, names a record it never could see; a
//! membership change needs both of its ends in sight; `actor` is null for anonymous callers.

use chrono::Utc;
use entity::{partner, site};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::live::Events;
use crate::support::{TestApp, admin, token};

const CHANGES: &str =
    r#"{ changes(first: 1000) { totalCount edges { node { entity key actor } } } }"#;

const HISTORY: &str = r#"{ organization(shortName: "EdgeOrgX", includeInactive: true) {
  history(first: 1000) { edges { node { entity key actor } } } } }"#;

/// A partner and a site that exist only inactive (arranged in the database: no write ever made
/// them public), so that nobody but an administrator ever sees them.
async fn hidden_partner_and_site(app: &TestApp) {
    let now = Utc::now();
    partner::Entity::insert(partner::ActiveModel {
        short_code: Set("hiddenp".into()),
        short_code_key: Set(entity::keys::fold("hiddenp")),
        name: Set("Hidden Partner".into()),
        name_key: Set(entity::keys::fold("Hidden Partner")),
        active: Set(false),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
    site::Entity::insert(site::ActiveModel {
        domain: Set("hidden-site.test".into()),
        domain_key: Set("hidden-site.test".into()),
        name: Set("Hidden".into()),
        active: Set(false),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
}

async fn arrange(app: &TestApp) {
    app.seed_demo().await;
    hidden_partner_and_site(app).await;
    let admin = |q: &'static str| app.admin_data(q, json!({}));
    admin(r#"mutation { createOrganization(input: {shortName: "EdgeOrgX", name: "Edge"}) { shortName } }"#).await;
    // SecretX exists only inactive: nobody without a grant covering it ever saw it.
    admin(r#"mutation { backfill(courseKeys: ["course-v1:SecretX+S+1"], apply: true, inactive: true) { linksCreated } }"#).await;
    admin(r#"mutation { addOrganizationToPartner(partner: "hxplus", organization: "SecretX") { shortCode } }"#).await;
    for grant in [
        r#"mutation { grantRole(subject: "staff", role: ORG_STAFF, organization: "EdgeOrgX") { role } }"#,
        r#"mutation { grantRole(subject: "oadmin", role: ORG_ADMIN, organization: "EdgeOrgX") { role } }"#,
        r#"mutation { grantRole(subject: "padmin", role: PARTNER_ADMIN, partner: "hxplus") { role } }"#,
    ] {
        admin(grant).await;
    }
    // EdgeOrgX leaves the public directory; what follows is seen only through grants.
    admin(r#"mutation { deactivateOrganization(shortName: "EdgeOrgX") { active } }"#).await;
    for membership in [
        r#"mutation { addOrganizationToPartner(partner: "edx", organization: "EdgeOrgX") { shortCode } }"#,
        r#"mutation { addOrganizationToSite(site: "edx.org", organization: "EdgeOrgX") { domain } }"#,
        r#"mutation { addOrganizationToPartner(partner: "hiddenp", organization: "EdgeOrgX") { shortCode } }"#,
        r#"mutation { addOrganizationToSite(site: "hidden-site.test", organization: "EdgeOrgX") { domain } }"#,
        r#"mutation { addOrganizationToPartner(partner: "hiddenp", organization: "SecretX") { shortCode } }"#,
        r#"mutation { addOrganizationToSite(site: "edx.org", organization: "SecretX") { domain } }"#,
    ] {
        admin(membership).await;
    }
}

/// `"ENTITY key"` and the actor of each change in `connection`.
fn listed(connection: &Value) -> Vec<(String, Value)> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                format!(
                    "{} {}",
                    n["entity"].as_str().unwrap(),
                    n["key"].as_str().unwrap()
                ),
                n["actor"].clone(),
            )
        })
        .collect()
}

struct Caller {
    name: &'static str,
    token: Option<String>,
    /// Records it never could see: no change it reads may name them.
    hidden: &'static [&'static str],
    /// Changes it must not read (records it sees, joined to one it does not see now).
    absent: &'static [&'static str],
    /// Changes it must read.
    present: &'static [&'static str],
    grants: bool,
}

fn callers() -> Vec<Caller> {
    vec![
        Caller {
            name: "anonymous",
            token: None,
            hidden: &["hiddenp", "hidden-site.test", "SecretX"],
            absent: &["PARTNER_ORGANIZATION edx/EdgeOrgX"],
            present: &["ORGANIZATION EdgeOrgX"],
            grants: false,
        },
        Caller {
            name: "ORG_STAFF",
            token: Some(token("staff", false, &[])),
            hidden: &["hiddenp", "hidden-site.test", "SecretX"],
            absent: &[],
            present: &[
                "PARTNER_ORGANIZATION edx/EdgeOrgX",
                "SITE_ORGANIZATION edx.org/EdgeOrgX",
            ],
            grants: false,
        },
        Caller {
            name: "ORG_ADMIN",
            token: Some(token("oadmin", false, &[])),
            hidden: &["hiddenp", "hidden-site.test", "SecretX"],
            absent: &[],
            present: &[
                "PARTNER_ORGANIZATION edx/EdgeOrgX",
                "GRANT staff/ORG_STAFF/EdgeOrgX",
            ],
            grants: true,
        },
        Caller {
            name: "PARTNER_ADMIN",
            token: Some(token("padmin", false, &[])),
            hidden: &["hiddenp", "hidden-site.test"],
            absent: &[
                "PARTNER_ORGANIZATION edx/EdgeOrgX",
                "SITE_ORGANIZATION edx.org/EdgeOrgX",
            ],
            present: &[
                "PARTNER_ORGANIZATION hxplus/SecretX",
                "SITE_ORGANIZATION edx.org/SecretX",
            ],
            grants: true,
        },
        Caller {
            name: "content_org",
            token: Some(token("catalog", false, &["content_org:EdgeOrgX"])),
            hidden: &["hiddenp", "hidden-site.test", "SecretX", "MITx", "HarvardX"],
            absent: &["PARTNER_ORGANIZATION edx/EdgeOrgX"],
            present: &["ORGANIZATION EdgeOrgX", "PARTNER edx"],
            grants: false,
        },
    ]
}

async fn read(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let body = match token {
        Some(t) => app.as_user(t, query, json!({})).await,
        None => app.gql(query, json!({})).await,
    };
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

fn check(caller: &Caller, source: &str, changes: &[(String, Value)]) {
    let who = format!("{} ({source})", caller.name);
    for (change, actor) in changes {
        for hidden in caller.hidden {
            assert!(
                !change.contains(hidden),
                "{who} reads {change:?}: {changes:#?}"
            );
        }
        assert!(
            caller.grants || !change.starts_with("GRANT"),
            "{who} reads {change:?}"
        );
        assert_eq!(
            actor.is_null(),
            caller.token.is_none(),
            "{who}: actor of {change:?}"
        );
    }
    for absent in caller.absent {
        assert!(
            !changes.iter().any(|(c, _)| c == absent),
            "{who} reads {absent:?}"
        );
    }
}

backend_tests! {
    no_change_names_a_record_its_reader_never_could_see,
}

async fn no_change_names_a_record_its_reader_never_could_see(app: TestApp) {
    arrange(&app).await;
    // The log holds every one of them: the administrator reads them, with their actor.
    let all = listed(&read(&app, Some(&admin()), CHANGES).await["changes"]);
    for change in [
        "PARTNER_ORGANIZATION hiddenp/EdgeOrgX",
        "SITE_ORGANIZATION hidden-site.test/EdgeOrgX",
        "PARTNER_ORGANIZATION hiddenp/SecretX",
        "GRANT padmin/PARTNER_ADMIN/hxplus",
    ] {
        assert!(
            all.iter().any(|(c, actor)| c == change && actor == "admin"),
            "{change}: {all:#?}"
        );
    }
    for caller in callers() {
        let t = caller.token.as_deref();
        let changes = listed(&read(&app, t, CHANGES).await["changes"]);
        check(&caller, "changes", &changes);
        for present in caller.present {
            assert!(
                changes.iter().any(|(c, _)| c == present),
                "{} misses {present}: {changes:#?}",
                caller.name
            );
        }
        let history = &read(&app, t, HISTORY).await["organization"];
        if !history.is_null() {
            check(&caller, "history", &listed(&history["history"]));
        }
        // A subscription replaying the whole log delivers exactly the same changes.
        let mut events = Events::open(&app, json!({ "after": "0" }), t).await;
        let replayed: Vec<(String, Value)> = events
            .changes(changes.len())
            .await
            .iter()
            .map(|c| {
                (
                    format!(
                        "{} {}",
                        c["entity"].as_str().unwrap(),
                        c["key"].as_str().unwrap()
                    ),
                    c["actor"].clone(),
                )
            })
            .collect();
        check(&caller, "subscription", &replayed);
        assert_eq!(replayed, changes, "{}: the replay is the list", caller.name);
    }
    // The organization's own history, for ORG_STAFF: its memberships of what it sees only.
    let staff = listed(
        &read(&app, Some(&token("staff", false, &[])), HISTORY).await["organization"]["history"],
    );
    let memberships: Vec<&str> = staff
        .iter()
        .map(|(c, _)| c.as_str())
        .filter(|c| c.contains('/') && !c.starts_with("GRANT"))
        .collect();
    assert_eq!(
        memberships,
        [
            "PARTNER_ORGANIZATION edx/EdgeOrgX",
            "SITE_ORGANIZATION edx.org/EdgeOrgX"
        ]
    );
}
