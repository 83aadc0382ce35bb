//! Statement budgets, read from `/metrics` as an operator would: the number of SQL statements a
//! request costs does not depend on how wide it fans out.

use serde_json::json;

use crate::backend_tests;
use crate::support::{TestApp, admin, token};

/// partner -> organizations -> courses -> organization(s)
const NESTED: &str = r#"query($code: String!) { partner(shortCode: $code) {
  organizations(first: 1000) { totalCount edges { node { shortName
    partners { edges { node { shortCode } } }
    courses { totalCount edges { node { courseKey organization { shortName } organizations { shortName } } } } } } } } }"#;

async fn nested_cost(app: &TestApp, code: &str) -> (u64, usize) {
    nested_cost_as(app, code, None).await
}

async fn nested_cost_as(app: &TestApp, code: &str, token: Option<&str>) -> (u64, usize) {
    let vars = json!({ "code": code });
    let (statements, body) = match token {
        Some(t) => app.statements_during(app.as_user(t, NESTED, vars)).await,
        None => app.statements_during(app.gql(NESTED, vars)).await,
    };
    assert!(body.get("errors").is_none(), "{body:#}");
    let orgs = body["data"]["partner"]["organizations"]["edges"]
        .as_array()
        .expect("edges")
        .len();
    (statements, orgs)
}

backend_tests! {
    access_control_adds_no_statements_for_any_caller,
    nested_query_costs_the_same_over_5_and_100_organizations,
    a_filtered_list_costs_what_an_unfiltered_one_does,
    five_thousand_entities_cost_one_statement_per_type,
}

async fn access_control_adds_no_statements_for_any_caller(app: TestApp) {
    app.seed_wide("small", "S", 5, 2).await;
    app.seed_wide("large", "L", 200, 2).await;
    app.grant("pa", "PARTNER_ADMIN", None, Some("large")).await;
    app.grant("pa", "PARTNER_ADMIN", None, Some("small")).await;
    app.grant("oa", "ORG_ADMIN", Some("L0007"), None).await;
    app.grant("os", "ORG_STAFF", Some("S0001"), None).await;
    let callers = [
        ("anonymous", None),
        ("administrator", Some(admin())),
        ("partner admin", Some(token("pa", false, &[]))),
        ("org admin", Some(token("oa", false, &[]))),
        ("org staff", Some(token("os", false, &[]))),
        (
            "content_org client",
            Some(token(
                "c",
                false,
                &["content_org:L0001", "content_org:S0002"],
            )),
        ),
    ];
    for (who, token) in &callers {
        let (small, small_orgs) = nested_cost_as(&app, "small", token.as_deref()).await;
        let (large, large_orgs) = nested_cost_as(&app, "large", token.as_deref()).await;
        let expected_orgs = if *who == "content_org client" {
            (1, 1)
        } else {
            (5, 200)
        };
        assert_eq!((small_orgs, large_orgs), expected_orgs, "{who}");
        assert_eq!(
            (small, large),
            (5, 5),
            "{who}: statements over 5 and 200 organizations"
        );
    }
}

async fn nested_query_costs_the_same_over_5_and_100_organizations(app: TestApp) {
    app.seed_wide("small", "S", 5, 3).await;
    app.seed_wide("large", "L", 100, 3).await;
    let (small, small_orgs) = nested_cost(&app, "small").await;
    let (large, large_orgs) = nested_cost(&app, "large").await;
    assert_eq!((small_orgs, large_orgs), (5, 100));
    assert_eq!(small, large, "statements for 5 vs 100 organizations");
    // partner, organizations, partners, courses, course organizations: one each.
    assert_eq!(large, 5, "one statement per relation level");
}

async fn a_filtered_list_costs_what_an_unfiltered_one_does(app: TestApp) {
    app.seed_demo().await;
    let (all, _) = app
        .statements_during(app.gql("{ organizations { totalCount } }", json!({})))
        .await;
    let (by_partner, _) = app
        .statements_during(app.gql(
            r#"{ organizations(partner: "edx") { totalCount } }"#,
            json!({}),
        ))
        .await;
    let (by_host, _) = app
        .statements_during(
            app.gql_with("{ organizations { totalCount } }", json!({}), |r| {
                r.header("host", "edx.org")
            }),
        )
        .await;
    // The partner (or the Host's site) is looked up once; the filter itself is in the list's statement.
    assert_eq!(all, 2, "Host lookup + list");
    assert_eq!(by_partner, 2, "partner lookup + list");
    assert_eq!(by_host, 2, "site lookup + list");
}

async fn five_thousand_entities_cost_one_statement_per_type(app: TestApp) {
    app.seed_wide("wide", "W", 50, 0).await;
    let mut reps = Vec::new();
    for i in 0..5050 {
        reps.push(match i % 4 {
                0 => json!({ "__typename": "Organization", "shortName": format!("W{:04}", i % 60) }),
                1 => json!({ "__typename": "Partner", "shortCode": "wide" }),
                2 => json!({ "__typename": "Site", "domain": format!("site{i}.example") }),
                _ => json!({ "__typename": "Course", "courseKey": format!("course-v1:W{:04}+C{i}+R", i % 50) }),
            });
    }
    let q = r#"query($r: [_Any!]!) { _entities(representations: $r) { __typename
            ... on Organization { shortName } ... on Course { organization { shortName } } } }"#;
    let (statements, body) = app
        .statements_during(app.gql(q, json!({ "r": reps })))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let entities = body["data"]["_entities"].as_array().expect("list");
    assert_eq!(entities.len(), 5050);
    assert_eq!(entities[0]["shortName"], "W0000");
    assert!(
        entities[56].is_null(),
        "W0056 does not exist: {}",
        entities[56]
    );
    assert_eq!(entities[2], serde_json::Value::Null, "unknown site");
    // organizations by key, partners by key, sites by key, organizations of courses.
    assert_eq!(statements, 4);
}
