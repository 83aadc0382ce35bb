//! The change log an import writes: every organization and course link it creates or
//! flips, as the rest of the service logs them (`domain::change`), organizations first, then
//! links, then partners and sites; positions stamped on every new link; a dry run writes none.
//! Sources are given as rows here, so this runs without Python or a source database.
//!
//! The change rows of bulk writes (import's links, the backfill's organizations and links) are
//! built by SQL (`repo::bulk::log`); each is compared with the row `domain::change::NewChange`
//! makes in Rust for the same write, so the two can never drift apart.

use entity::organization;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tenancy_gateway::domain::change::NewChange;
use tenancy_gateway::domain::import::{SourceLink, SourceOrg, Sources};
use tenancy_gateway::service::import;

use crate::backend_tests;
use crate::support::TestApp;

fn org(short_name: &str, active: bool) -> SourceOrg {
    SourceOrg {
        short_name: short_name.into(),
        name: format!("{short_name} University"),
        description: Some(format!("About {short_name}")),
        logo: None,
        active,
    }
}

fn link(run: &str, short_name: &str, active: bool) -> SourceLink {
    SourceLink {
        course_key: format!("course-v1:{short_name}+{run}+2024"),
        short_name: short_name.into(),
        active,
    }
}

fn sources(links: Vec<SourceLink>) -> Sources {
    Sources {
        organizations: vec![org("ImpA", true), org("ImpB", false)],
        links,
        sites: vec![("imp.test".into(), "Imp".into())],
        ..Sources::default()
    }
}

async fn run(app: &TestApp, sources: &Sources, apply: bool) -> import::ImportReport {
    crate::import::run_sources(app, sources, apply).await
}

async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    let backend = app.db.get_database_backend();
    app.db
        .query_all_raw(sea_orm::Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap()
}

/// Change rows after id `after`: `(entity, kind, key, before, after, public, organization)`,
/// with the organization as its short name.
async fn changes_after(app: &TestApp, after: i64) -> Vec<Value> {
    let sql = format!(
        "SELECT c.entity, c.kind, c.key, c.before, c.after, c.public, o.short_name, c.actor \
         FROM change_log c LEFT JOIN organization o ON o.id = c.organization_id \
         WHERE c.id > {after} ORDER BY c.id"
    );
    let json =
        |text: Option<String>| text.map_or(Value::Null, |t| serde_json::from_str(&t).unwrap());
    rows(app, &sql)
        .await
        .iter()
        .map(|r| {
            json!([
                r.try_get::<String>("", "entity").unwrap(),
                r.try_get::<String>("", "kind").unwrap(),
                r.try_get::<String>("", "key").unwrap(),
                json(r.try_get("", "before").unwrap()),
                json(r.try_get("", "after").unwrap()),
                r.try_get::<bool>("", "public").unwrap(),
                r.try_get::<Option<String>>("", "short_name").unwrap(),
                r.try_get::<Option<String>>("", "actor").unwrap(),
            ])
        })
        .collect()
}

async fn last_change(app: &TestApp) -> i64 {
    let r = rows(app, "SELECT COALESCE(MAX(id), 0) AS n FROM change_log").await;
    r[0].try_get::<i64>("", "n").unwrap()
}

/// A change as `changes_after` reads it, made in Rust by `domain::change`.
fn rust_row(change: NewChange, organization: &organization::Model, actor: &str) -> Value {
    assert_eq!(change.organization_id, Some(organization.id));
    json!([
        change.entity.as_str(),
        change.kind.as_str(),
        change.key,
        change.before,
        change.after,
        change.public,
        organization.short_name,
        actor
    ])
}

async fn organization_row(app: &TestApp, short_name: &str) -> organization::Model {
    organization::Entity::find()
        .filter(organization::Column::ShortNameKey.eq(entity::keys::fold(short_name)))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

/// The change row `NewChange::course_link` makes for a link of `org` (as stored) whose flag
/// went from `before` to `after`, logged by `actor`.
async fn link_change(
    app: &TestApp,
    key: &str,
    org: &str,
    before: Option<bool>,
    after: bool,
    actor: &str,
) -> Value {
    let organization = organization_row(app, org).await;
    let change = NewChange::course_link(&organization, key, before, after).unwrap();
    rust_row(change, &organization, actor)
}

/// An import link's change (`course-v1:{org}+{run}+2024`, logged by `import (ci)`).
async fn import_link(
    app: &TestApp,
    run: &str,
    org: &str,
    before: Option<bool>,
    after: bool,
) -> Value {
    let key = format!("course-v1:{org}+{run}+2024");
    link_change(app, &key, org, before, after, "import (ci)").await
}

/// Links of the change rows, sorted (their order among themselves is not part of the contract).
fn sorted_links(changes: &[Value]) -> Vec<Value> {
    let mut links: Vec<Value> = changes
        .iter()
        .filter(|c| c[0] == "COURSE_LINK")
        .cloned()
        .collect();
    links.sort_by_key(|c| c[2].as_str().unwrap().to_owned());
    links
}

/// Entities in log order, runs of one entity collapsed.
fn entity_runs(changes: &[Value]) -> Vec<String> {
    let mut runs: Vec<String> = Vec::new();
    for c in changes {
        let entity = c[0].as_str().unwrap().to_owned();
        if runs.last() != Some(&entity) {
            runs.push(entity);
        }
    }
    runs
}

async fn positions_missing(app: &TestApp) -> i64 {
    let r = rows(
        app,
        "SELECT COUNT(*) AS n FROM course_link WHERE position IS NULL",
    )
    .await;
    r[0].try_get::<i64>("", "n").unwrap()
}

/// The course link table's indexes and foreign keys as the engine describes them, and on
/// PostgreSQL their object ids (new ones when they were built again).
async fn link_schema(app: &TestApp) -> (Vec<String>, Vec<i64>) {
    let postgres = app.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let sql = if postgres {
        "SELECT indexname || ': ' || indexdef AS d, ('\"' || indexname || '\"')::regclass::oid::bigint AS oid \
         FROM pg_indexes WHERE tablename = 'course_link' \
         UNION ALL SELECT conname || ': ' || pg_get_constraintdef(oid) || ' valid ' || convalidated, oid::bigint \
         FROM pg_constraint WHERE conrelid = 'course_link'::regclass ORDER BY d"
    } else {
        "SELECT name || ': ' || COALESCE(sql, '') AS d, 0 AS oid FROM sqlite_master \
         WHERE tbl_name = 'course_link' ORDER BY d"
    };
    let rows = rows(app, sql).await;
    let text = rows.iter().map(|r| r.try_get("", "d").unwrap()).collect();
    let oids = rows.iter().map(|r| r.try_get("", "oid").unwrap()).collect();
    (text, oids)
}

backend_tests! {
    import_logs_every_link_it_creates_or_flips_as_the_service_does,
    a_large_import_builds_the_link_indexes_again_and_logs_every_link,
    backfill_logs_its_bulk_rows_as_the_service_does,
}

async fn import_logs_every_link_it_creates_or_flips_as_the_service_does(app: TestApp) {
    let first = sources(vec![
        link("C1", "ImpA", true),
        link("C2", "ImpA", false),
        link("C3", "ImpB", true),
    ]);
    let start = last_change(&app).await;
    let links_before = app.count("course_link").await;
    let dry = run(&app, &first, false).await;
    assert_eq!(
        (last_change(&app).await, app.count("course_link").await),
        (start, links_before),
        "a dry run writes nothing"
    );
    assert_eq!((dry.tables[1].created, dry.tables[1].updated), (3, 0));
    run(&app, &first, true).await;
    let changes = changes_after(&app, start).await;
    assert_eq!(
        entity_runs(&changes),
        ["ORGANIZATION", "COURSE_LINK", "SITE"],
        "{changes:#?}"
    );
    assert_eq!(
        sorted_links(&changes),
        [
            import_link(&app, "C1", "ImpA", None, true).await,
            import_link(&app, "C2", "ImpA", None, false).await,
            // An inactive organization's links are not public, whatever their own flag.
            import_link(&app, "C3", "ImpB", None, true).await,
        ]
    );
    // What the Rust rows say, for the record: created; public only with an active organization.
    let kinds: Vec<(Value, Value)> = sorted_links(&changes)
        .iter()
        .map(|c| (c[1].clone(), c[5].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("CREATED"), json!(true)),
            (json!("CREATED"), json!(false)),
            (json!("CREATED"), json!(false))
        ]
    );
    assert_eq!(
        positions_missing(&app).await,
        0,
        "every new link has its position"
    );

    // C1 deactivated, C2 reactivated, C4 new, C3 as it was.
    let second = sources(vec![
        link("C1", "ImpA", false),
        link("C2", "ImpA", true),
        link("C3", "ImpB", true),
        link("C4", "ImpA", true),
    ]);
    let start = last_change(&app).await;
    let report = run(&app, &second, true).await;
    assert_eq!(
        (
            report.tables[1].created,
            report.tables[1].updated,
            report.tables[1].unchanged
        ),
        (1, 2, 1)
    );
    let changes = changes_after(&app, start).await;
    assert_eq!(
        sorted_links(&changes),
        [
            import_link(&app, "C1", "ImpA", Some(true), false).await,
            import_link(&app, "C2", "ImpA", Some(false), true).await,
            import_link(&app, "C4", "ImpA", None, true).await,
        ]
    );
    let kinds: Vec<Value> = sorted_links(&changes)
        .iter()
        .map(|c| c[1].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("DEACTIVATED"), json!("REACTIVATED"), json!("CREATED")]
    );
    assert_eq!(changes.len(), 3, "nothing else changed: {changes:#?}");
    assert_eq!(positions_missing(&app).await, 0);
    // The new link comes last in link order.
    let last = rows(
        &app,
        "SELECT course_key FROM course_link ORDER BY position DESC",
    )
    .await;
    assert_eq!(
        last[0].try_get::<String>("", "course_key").unwrap(),
        "course-v1:ImpA+C4+2024"
    );

    let start = last_change(&app).await;
    crate::import::assert_changed_nothing(&run(&app, &second, true).await);
    assert_eq!(last_change(&app).await, start, "a re-run logs nothing");
}

async fn a_large_import_builds_the_link_indexes_again_and_logs_every_link(app: TestApp) {
    // Over `bulk::rebuild::REBUILD_FROM` (10,000) into an empty table: on PostgreSQL the
    // secondary indexes and the foreign key are dropped and built again.
    let n = 12_000;
    let links: Vec<_> = (0..n)
        .map(|i| {
            link(
                &format!("R{i}"),
                if i % 3 == 0 { "ImpB" } else { "ImpA" },
                i % 7 != 0,
            )
        })
        .collect();
    let (schema, oids) = link_schema(&app).await;
    let start = last_change(&app).await;
    let report = run(&app, &sources(links.clone()), true).await;
    assert_eq!(report.tables[1].created, n as u64);
    let (schema_after, oids_after) = link_schema(&app).await;
    assert_eq!(
        schema_after, schema,
        "every index and key is back as it was, and validated"
    );
    let postgres = app.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let rebuilt = oids.iter().zip(&oids_after).filter(|(a, b)| a != b).count();
    // The primary key kept; four indexes (two of them unique) and the foreign key built again.
    assert_eq!(rebuilt, if postgres { 5 } else { 0 }, "{schema:#?}");

    // One CREATED change per link, in link id order, public as the service logs them.
    let changes = changes_after(&app, start).await;
    let logged: Vec<&Value> = changes.iter().filter(|c| c[0] == "COURSE_LINK").collect();
    assert_eq!(logged.len(), n);
    let sample = logged
        .iter()
        .find(|c| c[2] == "course-v1:ImpA+R1+2024/ImpA")
        .unwrap();
    assert_eq!(**sample, import_link(&app, "R1", "ImpA", None, true).await);
    let by_id = rows(
        &app,
        "SELECT cl.course_key || '/' || o.short_name AS k FROM course_link cl \
                                JOIN organization o ON o.id = cl.organization_id ORDER BY cl.id",
    )
    .await;
    let keys: Vec<String> = by_id.iter().map(|r| r.try_get("", "k").unwrap()).collect();
    let logged_keys: Vec<&str> = logged.iter().map(|c| c[2].as_str().unwrap()).collect();
    assert_eq!(logged_keys, keys, "change rows follow the links' ids");
    assert_eq!(positions_missing(&app).await, 0);
    let distinct = rows(
        &app,
        "SELECT COUNT(DISTINCT position) AS n FROM course_link",
    )
    .await;
    assert_eq!(distinct[0].try_get::<i64>("", "n").unwrap(), n as i64);

    // A small import after it keeps the indexes (fewer new links than the table holds).
    let mut more = links;
    more.push(link("Extra", "ImpA", true));
    let report = run(&app, &sources(more), true).await;
    assert_eq!(
        (report.tables[1].created, report.tables[1].unchanged),
        (1, n as u64)
    );
    assert_eq!(link_schema(&app).await, (schema, oids_after));
}

async fn backfill_logs_its_bulk_rows_as_the_service_does(app: TestApp) {
    let backfill = |keys: &'static str| {
        app.admin_data(
            "mutation($k: [String!]!) { backfill(courseKeys: $k, apply: true) { linksCreated } }",
            json!({ "k": keys.split(' ').collect::<Vec<_>>() }),
        )
    };
    let start = last_change(&app).await;
    backfill("course-v1:BfA+X+1 lib:BfA:y course-v1:BfB+Z+1").await;
    let mut logged = changes_after(&app, start).await;
    let (bfa, bfb) = (
        organization_row(&app, "BfA").await,
        organization_row(&app, "BfB").await,
    );
    let mut expected = vec![
        rust_row(NewChange::organization(None, &bfa).unwrap(), &bfa, "admin"),
        rust_row(NewChange::organization(None, &bfb).unwrap(), &bfb, "admin"),
        link_change(&app, "course-v1:BfA+X+1", "BfA", None, true, "admin").await,
        link_change(&app, "lib:BfA:y", "BfA", None, true, "admin").await,
        link_change(&app, "course-v1:BfB+Z+1", "BfB", None, true, "admin").await,
    ];
    let key = |c: &Value| (c[0].to_string(), c[2].to_string());
    logged.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(logged, expected);

    // Deactivated through GraphQL (logged in Rust), reactivated with its links by the
    // backfill (logged by SQL): the flips must read as the service's own would.
    app.admin_data(
        r#"mutation { deactivateOrganization(shortName: "BfA") { active } }"#,
        json!({}),
    )
    .await;
    let inactive = organization_row(&app, "BfA").await;
    let start = last_change(&app).await;
    backfill("course-v1:BfA+X+1").await;
    let mut logged = changes_after(&app, start).await;
    let active = organization_row(&app, "BfA").await;
    let mut expected = vec![
        rust_row(
            NewChange::organization(Some(&inactive), &active).unwrap(),
            &active,
            "admin",
        ),
        link_change(&app, "course-v1:BfA+X+1", "BfA", Some(false), true, "admin").await,
        link_change(&app, "lib:BfA:y", "BfA", Some(false), true, "admin").await,
    ];
    logged.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(logged, expected);
    assert_eq!(logged[0][1], "REACTIVATED");
}
