//! Identities by Unicode compatibility caseless matching: spellings of one name are
//! one record, domains are host names, partner names are unique the same way, and the
//! migration recomputes existing keys (refusing to merge two records silently).

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::backend_tests;
use crate::support::TestApp;
use crate::support::{Backend, error_code, fresh_database};

const ENSURE: &str = "mutation($s: String!) { ensureOrganization(shortName: $s) { created organization { shortName } } }";

backend_tests! {
    spellings_of_one_name_are_one_record,
    domains_are_hosts_and_partner_names_fold,
}

async fn spellings_of_one_name_are_one_record(app: TestApp) {
    for (first, again) in [
        ("Straße", "STRASSE"),
        ("ΣIGMAx", "ςigmax"),
        ("MITx", "ＭＩＴｘ"),
    ] {
        let created = app.admin_data(ENSURE, json!({ "s": first })).await;
        assert_eq!(created["ensureOrganization"]["created"], true);
        let found = app.admin_data(ENSURE, json!({ "s": again })).await;
        assert_eq!(
            found["ensureOrganization"]["created"], false,
            "{again} is {first}"
        );
        assert_eq!(
            found["ensureOrganization"]["organization"]["shortName"], first,
            "the first spelling is kept"
        );
    }
    let lookup = app
        .data(
            r#"{ organization(shortName: "strasse") { shortName } }"#,
            json!({}),
        )
        .await;
    assert_eq!(lookup["organization"]["shortName"], "Straße");
    let search = app
        .data(
            r#"{ organizations(search: "STRASS") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(search["organizations"]["totalCount"], 1);
}

async fn domains_are_hosts_and_partner_names_fold(app: TestApp) {
    let site = "mutation($d: String!) { createSite(input: {domain: $d, name: \"S\"}) { domain } }";
    let dotted = app.admin_data(site, json!({ "d": "edx.org." })).await;
    assert_eq!(
        dotted["createSite"]["domain"], "edx.org",
        "stored without its trailing dot"
    );
    let again = app
        .as_user(&crate::support::admin(), site, json!({ "d": "EDX.org" }))
        .await;
    assert_eq!(error_code(&again), "ALREADY_EXISTS");
    for bad in ["evil.com/x", "a..b", "-x.org"] {
        let body = app
            .as_user(&crate::support::admin(), site, json!({ "d": bad }))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{bad}");
    }
    let partner = "mutation($c: String!, $n: String!) { createPartner(input: {shortCode: $c, name: $n}) { name } }";
    app.admin_data(partner, json!({ "c": "a", "n": "Straße Partners" }))
        .await;
    let twin = app
        .as_user(
            &crate::support::admin(),
            partner,
            json!({ "c": "b", "n": "STRASSE PARTNERS" }),
        )
        .await;
    assert_eq!(error_code(&twin), "ALREADY_EXISTS", "{twin}");
}

mod migration_keys {
    use super::*;

    /// A database from before the identity migration, with keys lower-cased as they were then.
    async fn before_identity_migration(
        backend: Backend,
    ) -> Option<(sea_orm::DatabaseConnection, Option<tempfile::TempDir>)> {
        let (url, dir) = fresh_database(backend).await?;
        let db = sea_orm::Database::connect(&url).await.unwrap();
        Migrator::up(&db, Some(2)).await.unwrap();
        Some((db, dir))
    }

    async fn insert_org(db: &sea_orm::DatabaseConnection, name: &str) {
        let sql = format!(
            "INSERT INTO organization (short_name, short_name_key, name, active, created, modified) \
             VALUES ('{name}', '{}', '{name}', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            name.to_ascii_lowercase()
        );
        db.execute_unprepared(&sql).await.unwrap();
    }

    backend_tests! {
        the_migration_recomputes_keys_and_refuses_to_merge,
    }

    async fn the_migration_recomputes_keys_and_refuses_to_merge(app: TestApp) {
        let backend = app.backend;
        drop(app);
        let Some((db, _dir)) = before_identity_migration(backend).await else {
            return;
        };
        insert_org(&db, "Straße").await;
        insert_org(&db, "MITx").await;
        Migrator::up(&db, None).await.unwrap();
        let key = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT short_name_key FROM organization WHERE short_name = 'Straße'".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(key.try_get_by_index::<String>(0).unwrap(), "strasse");

        let Some((db, _dir)) = before_identity_migration(backend).await else {
            return;
        };
        insert_org(&db, "Straße").await;
        insert_org(&db, "STRASSE").await;
        let err = Migrator::up(&db, None).await.unwrap_err().to_string();
        assert!(err.contains("Straße") && err.contains("STRASSE"), "{err}");
    }
}
