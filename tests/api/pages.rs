//! Keyset pages (docs/design.md): a page costs what it holds. Counted, not timed: the
//! statements a request issues (from `/metrics`) and, from each engine's own plan, the rows a
//! page reads, at a small size and after the collections grew to 20,000 rows.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tenancy_gateway::access::Scope;
use tenancy_gateway::domain::page::{PageArgs, SortKind};
use tenancy_gateway::repo;

use crate::backend_tests;
use crate::support::TestApp;

const GROWN: usize = 20_000;
const STAMP: &str = "'2026-01-01T00:00:00+00:00'";

/// `GROWN` more organizations (`g1`...), and `GROWN` course links on organization `A0001`.
async fn grow(app: &TestApp) {
    let orgs = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {GROWN}) \
         INSERT INTO organization (short_name, short_name_key, name, active, created, modified) \
         SELECT 'g' || i, 'g' || i, 'Grown ' || i, TRUE, {STAMP}, {STAMP} FROM n"
    );
    // Raw rows skip the commit-time stamp, so they carry their link order (position) here.
    let links = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {GROWN}) \
         INSERT INTO course_link (organization_id, course_key, active, created, modified, position) \
         SELECT (SELECT id FROM organization WHERE short_name_key = 'a0001'), \
                'course-v1:A0001+G' || i || '+2026', TRUE, {STAMP}, {STAMP}, \
                (SELECT MAX(position) FROM course_link) + i FROM n"
    );
    for sql in [orgs, links] {
        app.db.execute_unprepared(&sql).await.expect("grow");
    }
    if app.db.get_database_backend() == DbBackend::Postgres {
        // What autovacuum does shortly after a bulk load.
        app.db.execute_unprepared("ANALYZE").await.expect("analyze");
    }
}

const TOP: &str = "{ organizations(first: 10) { totalCount edges { node { shortName } } } }";
const NESTED: &str = r#"{ organizations(first: 3) { edges { node { shortName
    courses(first: 10) { totalCount pageInfo { hasNextPage } edges { cursor } } } } } }"#;

async fn cost(app: &TestApp, query: &str) -> (u64, Value) {
    let (statements, body) = app.statements_during(app.gql(query, json!({}))).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    (statements, body["data"].clone())
}

fn courses_of(data: &Value, i: usize) -> &Value {
    &data["organizations"]["edges"][i]["node"]["courses"]
}

/// The ids of organizations by case-folded short name.
async fn ids(app: &TestApp, keys: &[&str]) -> Vec<i64> {
    let mut out = Vec::new();
    for key in keys {
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT id FROM organization WHERE short_name_key = '{key}'"),
            ))
            .await
            .expect("id")
            .expect("organization");
        out.push(row.try_get_by_index::<i64>(0).expect("id"));
    }
    out
}

/// Rows the page's statement reads, as the engine plans it: on SQLite every table is searched
/// through an index (none scanned), on PostgreSQL the rows each table node returned or
/// filtered out (EXPLAIN ANALYZE). Returns the plan's text and, on PostgreSQL, the rows read.
async fn plan(app: &TestApp, stmt: Statement) -> (String, Option<f64>) {
    let backend = app.db.get_database_backend();
    let prefix = match backend {
        DbBackend::Postgres => "EXPLAIN (ANALYZE, FORMAT JSON) ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let explain = Statement {
        sql: format!("{prefix}{}", stmt.sql),
        ..stmt
    };
    let rows = app.db.query_all_raw(explain).await.expect("explain");
    if backend != DbBackend::Postgres {
        let lines: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String>("", "detail").expect("detail"))
            .collect();
        return (lines.join("\n"), None);
    }
    let text: Value = rows[0].try_get_by_index::<Value>(0).expect("plan");
    fn read(node: &Value) -> f64 {
        let own = if node.get("Relation Name").is_some() {
            let loops = node["Actual Loops"].as_f64().unwrap_or(1.0);
            let kept = node["Actual Rows"].as_f64().unwrap_or(0.0);
            let removed = node["Rows Removed by Filter"].as_f64().unwrap_or(0.0);
            (kept + removed) * loops
        } else {
            0.0
        };
        let children = node["Plans"]
            .as_array()
            .map(|p| p.iter().map(read).sum())
            .unwrap_or(0.0);
        own + children
    }
    let root = &text[0]["Plan"];
    (format!("{text:#}"), Some(read(root)))
}

/// Fails when a SQLite plan scans a table of the graph instead of searching an index (the
/// `VALUES` list of parents and the CTE holding them are scanned, and are small).
fn assert_seeks(plan: &str, what: &str) {
    for line in plan.lines() {
        let scanned = line
            .trim_start()
            .strip_prefix("SCAN ")
            .map(|rest| rest.split(' ').next());
        if let Some(Some(table)) = scanned {
            assert!(
                table.starts_with("pg_") || table.chars().all(|c| c.is_ascii_digit()),
                "{what}: {line}\n{plan}"
            );
        }
    }
}

backend_tests! {
    pages_issue_the_same_statements_at_every_size with |c| c.response_cache.enabled = false,
    a_page_reads_what_it_holds_at_every_size,
    total_count_past_the_end_of_a_list,
}

// What executing a page costs, so no response cache: besides, `grow` writes straight into the
// tables, past the change log that would have invalidated it (docs/operating.md: Caching), and
// the repeated query would be answered as before.
async fn pages_issue_the_same_statements_at_every_size(app: TestApp) {
    app.seed_wide("p", "A", 12, 12).await;
    let (top_small, small) = cost(&app, TOP).await;
    let (nested_small, nested) = cost(&app, NESTED).await;
    assert_eq!(small["organizations"]["totalCount"], 12);
    assert_eq!(courses_of(&nested, 1)["totalCount"], 12);
    grow(&app).await;
    let (top_large, large) = cost(&app, TOP).await;
    let (nested_large, nested) = cost(&app, NESTED).await;
    assert_eq!(large["organizations"]["totalCount"], 12 + GROWN);
    assert_eq!(
        large["organizations"]["edges"][0]["node"]["shortName"],
        "A0000"
    );
    assert_eq!(
        courses_of(&nested, 1)["totalCount"],
        12 + GROWN,
        "A0001 grew"
    );
    assert_eq!(courses_of(&nested, 1)["pageInfo"]["hasNextPage"], true);
    assert_eq!(courses_of(&nested, 0)["totalCount"], 12);
    // The Host's site (for the partner filter), then the page with its count.
    assert_eq!((top_small, top_large), (2, 2), "top-level page");
    assert_eq!(
        (nested_small, nested_large),
        (3, 3),
        "Host, organizations, every courses page"
    );
}

async fn a_page_reads_what_it_holds_at_every_size(app: TestApp) {
    app.seed_wide("p", "A", 12, 12).await;
    grow(&app).await;
    let scope = Scope::anonymous();
    let backend = app.db.get_database_backend();
    let after = PageArgs::parse(
        Some(10),
        Some(&tenancy_gateway::domain::page::SortKey::Text("g5000".into()).cursor()),
        SortKind::Text,
    )
    .unwrap();
    let list = repo::organization::list(&scope, &Default::default());
    for (what, args) in [
        (
            "first page",
            PageArgs::parse(Some(10), None, SortKind::Text).unwrap(),
        ),
        ("after g5000", after),
    ] {
        let (text, rows) = plan(
            &app,
            repo::page::statement(&list, &[], &args, false, backend),
        )
        .await;
        match rows {
            None => assert_seeks(&text, what),
            Some(rows) => assert!(rows <= 11.0 * 2.0, "{what}: read {rows} rows\n{text}"),
        }
    }
    let parents = ids(&app, &["a0000", "a0001", "a0002"]).await;
    let courses = repo::course::of_organizations(&scope, &parents, false);
    let args = PageArgs::parse(Some(10), None, SortKind::Int).unwrap();
    let (text, rows) = plan(
        &app,
        repo::page::statement(&courses, &parents, &args, false, backend),
    )
    .await;
    match rows {
        None => {
            assert_seeks(&text, "courses");
            // Each parent's bound (a walk of its first + 1 keys), then a range seek per
            // parent up to it; never a subquery per candidate row.
            assert!(
                text.contains("CORRELATED SCALAR SUBQUERY"),
                "courses:\n{text}"
            );
            assert!(
                text.contains("AND position<?)"),
                "courses: no range seek\n{text}"
            );
            assert!(!text.contains("LIST SUBQUERY"), "courses:\n{text}");
        }
        // Each parent: its first + 1 links and, per link, its organization by key.
        Some(rows) => assert!(
            rows <= 3.0 * 11.0 * 2.0 + 3.0,
            "courses: read {rows} rows\n{text}"
        ),
    }
}

async fn total_count_past_the_end_of_a_list(app: TestApp) {
    app.seed_wide("p", "A", 3, 2).await;
    let top = app
        .data(
            "{ organizations(first: 3) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let end = top["organizations"]["pageInfo"]["endCursor"].clone();
    let past = app
            .data(
                "query($a: String) { organizations(first: 2, after: $a) { totalCount edges { cursor } pageInfo { hasNextPage } } }",
                json!({ "a": end }),
            )
            .await;
    assert_eq!(
        past["organizations"],
        json!({ "totalCount": 3, "edges": [], "pageInfo": { "hasNextPage": false } })
    );
    let first = app
            .data(r#"{ organization(shortName: "A0001") { courses(first: 2) { pageInfo { endCursor } } } }"#, json!({}))
            .await;
    let end = first["organization"]["courses"]["pageInfo"]["endCursor"].clone();
    let q = r#"query($a: String) { partner(shortCode: "p") { organizations { edges { node {
            courses(first: 5, after: $a) { totalCount edges { cursor } } } } } } }"#;
    let past = app.data(q, json!({ "a": end })).await;
    let edges = past["partner"]["organizations"]["edges"]
        .as_array()
        .unwrap();
    let courses: Vec<&Value> = edges.iter().map(|e| &e["node"]["courses"]).collect();
    // The cursor is a link id: A0000's links come before it, A0002's after it.
    assert_eq!(
        courses[0],
        &json!({ "totalCount": 2, "edges": [] }),
        "{past:#}"
    );
    assert_eq!(
        courses[1],
        &json!({ "totalCount": 2, "edges": [] }),
        "{past:#}"
    );
    assert_eq!(courses[2]["totalCount"], 2);
    assert_eq!(courses[2]["edges"].as_array().unwrap().len(), 2);
}
