//! The read contract on the demo graph.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::TestApp;

const NESTED: &str = r#"
query Nested($code: String!) {
  partner(shortCode: $code) {
    shortCode name lmsUrl
    sites { totalCount edges { node { domain name partner { shortCode } } } }
    organizations {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          shortName name active
          partners { edges { node { shortCode } } }
          sites { edges { node { domain } } }
          courses { totalCount edges { cursor node { courseKey organization { shortName } organizations { shortName } } } }
        }
      }
    }
  }
}"#;

fn short_names(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            e["node"]["shortName"]
                .as_str()
                .expect("shortName")
                .to_owned()
        })
        .collect()
}

async fn deactivate(app: &TestApp, short_name: &str) {
    app.db
        .execute_unprepared(&format!(
            "UPDATE organization SET active = FALSE WHERE short_name = '{short_name}'"
        ))
        .await
        .expect("deactivate");
    app.db
        .execute_unprepared(&format!(
            "UPDATE course_link SET active = FALSE WHERE organization_id = \
             (SELECT id FROM organization WHERE short_name = '{short_name}')"
        ))
        .await
        .expect("deactivate links");
}

backend_tests! {
    nested_partner_graph_matches_snapshot,
    lookups_are_case_insensitive_and_keep_the_first_spelling,
    site_lookup_retries_without_the_port,
    connections_paginate_with_cursors_and_totals,
    nested_connections_paginate_per_parent,
    search_matches_short_name_or_name_case_insensitively,
    lists_filter_by_partner_and_site,
    host_header_selects_current_site_and_default_partner,
    course_organizations_follow_link_order,
    anonymous_callers_do_not_see_inactive_records,
    viewer_is_anonymous_without_a_token,
    federation_entities_resolve_in_order_with_nulls,
}

async fn nested_partner_graph_matches_snapshot(app: TestApp) {
    app.seed_demo().await;
    let data = app.data(NESTED, json!({ "code": "EDX" })).await;
    // One snapshot for both engines: they must answer identically.
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_json_snapshot!("nested_partner_graph", data);
    });
}

async fn lookups_are_case_insensitive_and_keep_the_first_spelling(app: TestApp) {
    app.seed_demo().await;
    let data = app
        .data(
            r#"{ organization(shortName: "mitx") { shortName name }
                     partner(shortCode: "HXPLUS") { shortCode }
                     site(domain: "EDX.ORG") { domain }
                     missing: organization(shortName: "NoSuchX") { shortName } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["organization"]["shortName"], "MITx");
    assert_eq!(
        data["organization"]["name"],
        "Massachusetts Institute of Technology"
    );
    assert_eq!(data["partner"]["shortCode"], "hxplus");
    assert_eq!(data["site"]["domain"], "edx.org");
    assert_eq!(data["missing"], Value::Null);
}

async fn site_lookup_retries_without_the_port(app: TestApp) {
    app.seed_demo().await;
    let data = app
        .data(r#"{ site(domain: "edx.org:8443") { domain } }"#, json!({}))
        .await;
    assert_eq!(data["site"]["domain"], "edx.org");
}

async fn connections_paginate_with_cursors_and_totals(app: TestApp) {
    app.seed_demo().await;
    let q = r#"query($after: String) { organizations(first: 4, after: $after) {
            totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { shortName } } } }"#;
    let first = app.data(q, json!({ "after": null })).await;
    let page1 = &first["organizations"];
    assert_eq!(page1["totalCount"], 6);
    assert_eq!(page1["pageInfo"]["hasNextPage"], true);
    assert_eq!(page1["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(
        short_names(page1),
        ["DartmouthX", "HarvardX", "HarvardXPlus", "MITProfessionalX"]
    );
    let second = app
        .data(q, json!({ "after": page1["pageInfo"]["endCursor"] }))
        .await;
    let page2 = &second["organizations"];
    assert_eq!(
        page2["totalCount"], 6,
        "the total does not shrink past the cursor"
    );
    assert_eq!(page2["pageInfo"]["hasNextPage"], false);
    assert_eq!(page2["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(short_names(page2), ["MITx", "VJx"]);
    let past_end = app
        .data(q, json!({ "after": page2["pageInfo"]["endCursor"] }))
        .await;
    assert_eq!(past_end["organizations"]["edges"], json!([]));
    assert_eq!(past_end["organizations"]["totalCount"], 6);
}

async fn nested_connections_paginate_per_parent(app: TestApp) {
    app.seed_demo().await;
    let q = r#"{ partners { edges { node { shortCode organizations(first: 1) {
            totalCount pageInfo { hasNextPage } edges { since node { shortName } } } } } } }"#;
    let data = app.data(q, json!({})).await;
    let partners = data["partners"]["edges"].as_array().unwrap();
    let by_code: Vec<(String, i64, bool, usize)> = partners
        .iter()
        .map(|e| {
            let orgs = &e["node"]["organizations"];
            assert!(
                orgs["edges"][0]["since"].is_string(),
                "membership edges carry since"
            );
            (
                e["node"]["shortCode"].as_str().unwrap().to_owned(),
                orgs["totalCount"].as_i64().unwrap(),
                orgs["pageInfo"]["hasNextPage"].as_bool().unwrap(),
                orgs["edges"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        by_code,
        [
            ("edx".to_owned(), 4, true, 1),
            ("hxplus".to_owned(), 1, false, 1),
            ("mitpe".to_owned(), 1, false, 1)
        ]
    );
}

async fn search_matches_short_name_or_name_case_insensitively(app: TestApp) {
    app.seed_demo().await;
    let q = r#"query($s: String) { organizations(search: $s) { totalCount edges { node { shortName } } } }"#;
    let harvard = app.data(q, json!({ "s": "HARVARD" })).await;
    assert_eq!(
        short_names(&harvard["organizations"]),
        ["HarvardX", "HarvardXPlus"]
    );
    let by_name = app.data(q, json!({ "s": "dartmouth college" })).await;
    assert_eq!(short_names(&by_name["organizations"]), ["DartmouthX"]);
    let literal = app.data(q, json!({ "s": "%" })).await;
    assert_eq!(
        literal["organizations"]["totalCount"], 0,
        "% is not a wildcard"
    );
    let partners = app
        .data(
            r#"{ partners(search: "mit") { edges { node { shortCode } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        partners["partners"]["edges"][0]["node"]["shortCode"],
        "mitpe"
    );
}

async fn lists_filter_by_partner_and_site(app: TestApp) {
    app.seed_demo().await;
    let data = app
            .data(
                r#"{ edx: organizations(partner: "edx") { totalCount }
                     mitpe: organizations(partner: "MITPE") { edges { node { shortName } } }
                     site: organizations(site: "harvardxplus.harvard.edu") { edges { node { shortName } } }
                     sites(partner: "hxplus") { edges { node { domain } } } }"#,
                json!({}),
            )
            .await;
    assert_eq!(data["edx"]["totalCount"], 4);
    assert_eq!(short_names(&data["mitpe"]), ["MITProfessionalX"]);
    assert_eq!(short_names(&data["site"]), ["HarvardXPlus"]);
    assert_eq!(
        data["sites"]["edges"][0]["node"]["domain"],
        "harvardxplus.harvard.edu"
    );
}

async fn host_header_selects_current_site_and_default_partner(app: TestApp) {
    app.seed_demo().await;
    let q = r#"{ currentSite { domain partner { shortCode } } organizations { edges { node { shortName } } } }"#;
    let white_label = app
        .gql_with(q, json!({}), |r| {
            r.header("host", "MITProfessionalX.mit.edu:443")
        })
        .await;
    assert_eq!(
        white_label["data"]["currentSite"]["domain"],
        "mitprofessionalx.mit.edu"
    );
    assert_eq!(
        short_names(&white_label["data"]["organizations"]),
        ["MITProfessionalX"]
    );
    let unknown = app
        .gql_with(q, json!({}), |r| r.header("host", "unknown.example"))
        .await;
    assert_eq!(unknown["data"]["currentSite"], Value::Null);
    assert_eq!(short_names(&unknown["data"]["organizations"]).len(), 6);
}

async fn course_organizations_follow_link_order(app: TestApp) {
    app.seed_demo().await;
    let data = app
        .data(
            r#"{ courseOrganization(courseKey: "course-v1:VJx+VJx101+2024_T1") { shortName }
                     courseOrganizations(courseKey: "course-v1:VJx+VJx101+2024_T1") { shortName }
                     lib: courseOrganization(courseKey: "lib:HarvardX:cs50-problems") { shortName }
                     old: courseOrganization(courseKey: "MITx/6.002x/2012_Fall") { shortName }
                     none: courseOrganizations(courseKey: "course-v1:NoOrg+X+Y") { shortName } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["courseOrganization"]["shortName"], "VJx");
    let all: Vec<&str> = data["courseOrganizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["shortName"].as_str().unwrap())
        .collect();
    assert_eq!(all, ["VJx", "MITx", "HarvardX"]);
    assert_eq!(data["lib"]["shortName"], "HarvardX");
    assert_eq!(data["old"]["shortName"], "MITx");
    assert_eq!(data["none"], json!([]));
}

async fn anonymous_callers_do_not_see_inactive_records(app: TestApp) {
    app.seed_demo().await;
    deactivate(&app, "VJx").await;
    let data = app
            .data(
                r#"{ organization(shortName: "VJx") { shortName }
                     asked: organization(shortName: "VJx", includeInactive: true) { shortName }
                     organizations(includeInactive: true) { totalCount edges { node { shortName } } }
                     partner(shortCode: "edx") { organizations(includeInactive: true) { totalCount } }
                     courseOrganizations(courseKey: "course-v1:VJx+VJx101+2024_T1") { shortName } }"#,
                json!({}),
            )
            .await;
    assert_eq!(data["organization"], Value::Null);
    assert_eq!(data["asked"], Value::Null, "includeInactive needs a grant");
    assert_eq!(data["organizations"]["totalCount"], 5);
    assert!(!short_names(&data["organizations"]).contains(&"VJx".to_owned()));
    assert_eq!(data["partner"]["organizations"]["totalCount"], 3);
    let all: Vec<&str> = data["courseOrganizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["shortName"].as_str().unwrap())
        .collect();
    assert_eq!(
        all,
        ["MITx", "HarvardX"],
        "links of an inactive organization are hidden"
    );
}

async fn viewer_is_anonymous_without_a_token(app: TestApp) {
    let data = app
        .data(
            "{ viewer { subject administrator filters grants { role } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["viewer"],
        json!({ "subject": null, "administrator": false, "filters": [], "grants": [] })
    );
}

async fn federation_entities_resolve_in_order_with_nulls(app: TestApp) {
    app.seed_demo().await;
    let q = r#"query($r: [_Any!]!) { _entities(representations: $r) {
            __typename
            ... on Organization { shortName }
            ... on Partner { shortCode }
            ... on Site { domain }
            ... on Course { courseKey organization { shortName } } } }"#;
    let reps = json!([
        { "__typename": "Organization", "shortName": "harvardx" },
        { "__typename": "Organization", "shortName": "NoSuchX" },
        { "__typename": "Course", "courseKey": "course-v1:VJx+VJx101+2024_T1" },
        { "__typename": "Partner", "shortCode": "mitpe" },
        { "__typename": "Site", "domain": "edx.org" },
        { "__typename": "Course", "courseKey": "not a key" }
    ]);
    let data = app.data(q, json!({ "r": reps })).await;
    assert_eq!(
        data["_entities"],
        json!([
            { "__typename": "Organization", "shortName": "HarvardX" },
            null,
            { "__typename": "Course", "courseKey": "course-v1:VJx+VJx101+2024_T1", "organization": { "shortName": "VJx" } },
            { "__typename": "Partner", "shortCode": "mitpe" },
            { "__typename": "Site", "domain": "edx.org" },
            null
        ])
    );
}
