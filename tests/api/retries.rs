//! Writes retried on serialization failures: on a PostgreSQL database whose default
//! isolation is SERIALIZABLE, a mutation whose row another transaction changes and commits
//! under it fails with SQLSTATE 40001 inside the service; it is run again, succeeds, and the
//! client sees no error; `/metrics` counts the retry.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::json;

use crate::support::{Backend, TestApp, admin, fresh_database};

const ENSURE: &str =
    r#"mutation($s: String!) { ensureOrganization(shortName: $s) { organization { shortName } } }"#;
const RENAME: &str = r#"mutation($s: String!, $n: String!) { updateOrganization(shortName: $s, input: { name: $n }) { name } }"#;

/// A fresh PostgreSQL database whose transactions are SERIALIZABLE unless they say otherwise.
pub async fn serializable_database() -> Option<String> {
    let (url, _) = fresh_database(Backend::Postgres).await?;
    let name = url.rsplit('/').next().unwrap().to_owned();
    let admin = sea_orm::Database::connect(&url).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE {name} SET default_transaction_isolation = 'serializable'"
        ))
        .await
        .unwrap();
    admin.close().await.ok();
    Some(url)
}

/// Waits until a session of this database waits for a lock (the service's UPDATE).
async fn until_a_session_waits_for_a_lock(db: &sea_orm::DatabaseConnection) {
    for _ in 0..500 {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    .to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get_by_index::<i64>(0).unwrap() > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the mutation never waited for the row lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serialization_failure_is_retried_and_the_client_sees_none() {
    let Some(url) = serializable_database().await else {
        return;
    };
    let app = TestApp::spawn_on(&url, |_| {}).await;
    let token = admin();
    let body = app.as_user(&token, ENSURE, json!({ "s": "MITx" })).await;
    assert!(body.get("errors").is_none(), "{body}");

    // Another transaction holds the row: the service's transaction reads it (its snapshot),
    // then waits for the lock at its UPDATE; the other commits, and PostgreSQL aborts the
    // service's transaction with 40001 ("could not serialize access due to concurrent update").
    let holder = app.db.begin().await.unwrap();
    holder
        .execute_unprepared("UPDATE organization SET name = 'Held' WHERE short_name_key = 'mitx'")
        .await
        .unwrap();
    let renaming = {
        let app_url = app.url("/graphql");
        let token = token.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(app_url)
                .bearer_auth(token)
                .json(&json!({ "query": RENAME, "variables": { "s": "MITx", "n": "Renamed" } }))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    };
    until_a_session_waits_for_a_lock(&app.db).await;
    holder.commit().await.unwrap();

    let body = renaming.await.unwrap();
    assert!(
        body.get("errors").is_none(),
        "the retry hides the failure: {body}"
    );
    assert_eq!(body["data"]["updateOrganization"]["name"], "Renamed");
    let retries = app
        .metric(r#"tenancy_write_retries_total{reason="serialization_failure"}"#)
        .await;
    assert!(retries >= 1.0, "the retry is counted: {retries}");
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT name FROM organization WHERE short_name_key = 'mitx'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "Renamed");
    // One change logged for the rename (the aborted attempt logged nothing).
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) FROM change_log WHERE kind = 'UPDATED'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 1);
}
