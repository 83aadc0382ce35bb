//! The backfill's two front doors: the `backfill` CLI verb (the binary, on an SQLite file) and
//! the `backfill` mutation (both engines).

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

/// Runs the binary's `backfill` with `args` on the SQLite file in `dir`, feeding `stdin`.
fn cli(dir: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let url = format!("sqlite://{}?mode=rwc", dir.join("tenancy.db").display());
    let out = crate::support::run_with_stdin(
        Command::new(BIN)
            .arg("backfill")
            .args(args)
            .env("DATABASE_URL", url)
            .current_dir(dir),
        stdin.as_bytes(),
    );
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_plans_applies_and_exits_2_on_invalid_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("keys.txt");
    std::fs::write(&file, "course-v1:edX+DemoX+2020\n# comment\nlib:edx:lib1\n")
        .expect("write keys");
    let file = file.to_str().expect("utf-8 path");

    // A dry run reads a migrated database (tests/api/first_hour.rs: it never creates one).
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("tenancy.db").display()
    );
    let migrated = Command::new(BIN)
        .args(["migrate", "--database-url", &url])
        .output()
        .expect("migrate");
    assert!(migrated.status.success(), "{migrated:?}");
    let (code, out, err) = cli(dir.path(), &[file], "");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("organizations to create: 1\n  edX\n"), "{out}");
    assert!(out.contains("links to create: 2\n"), "{out}");
    assert!(out.contains("dry run"), "{out}");
    // No bar on a pipe: nothing redrawn with carriage returns, no bar text.
    assert!(!err.contains('\r') && !err.contains("links"), "{err:?}");

    let (code, out, _) = cli(dir.path(), &[file, "--apply"], "");
    assert_eq!(code, 0);
    assert!(
        out.contains("organizations created: 1\n") && out.contains("links created: 2\n"),
        "{out}"
    );

    // stdin (no FILE), one invalid key: reported on stderr with its line, the rest applied.
    let input = "course-v1:edX+DemoX+2020\ncourse-v1:MITx+6.002x+2024\nnot/a key\n";
    let (code, out, err) = cli(dir.path(), &["--apply"], input);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("line 3: invalid course key \"not/a key\""),
        "{err}"
    );
    assert!(
        out.contains("organizations created: 1\n  MITx\n") && out.contains("links created: 1\n"),
        "{out}"
    );
    assert!(!err.contains('\r'), "{err:?}");

    // `-` is stdin too; a re-run creates nothing.
    let (code, out, _) = cli(
        dir.path(),
        &["-", "--apply"],
        "course-v1:MITx+6.002x+2024\n",
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("organizations created: 0\n") && out.contains("links created: 0\n"),
        "{out}"
    );
}

#[test]
fn the_cli_reports_a_missing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, _, err) = cli(dir.path(), &["no-such-file.txt"], "");
    assert_eq!(code, 1);
    assert!(err.contains("cannot read no-such-file.txt"), "{err}");
}

mod over_graphql {
    use serde_json::json;

    use crate::backend_tests;
    use crate::support::{TestApp, error_code, token};

    const BACKFILL: &str = r#"mutation($k: [String!]!, $a: Boolean) { backfill(courseKeys: $k, apply: $a) {
        applied organizationsCreated organizationsReactivated linksCreated linksReactivated
        organizationsToCreate invalidKeys { line key reason } } }"#;

    backend_tests! {
        the_mutation_plans_applies_and_needs_an_administrator,
    }

    async fn the_mutation_plans_applies_and_needs_an_administrator(app: TestApp) {
        let keys = json!([
            "course-v1:edX+A+1",
            "course-v1:edx+B+2",
            "bad key",
            "lib:UniX:l1"
        ]);
        let dry = app.admin_data(BACKFILL, json!({ "k": keys })).await;
        let report = &dry["backfill"];
        assert_eq!(report["applied"], false);
        assert_eq!(report["organizationsCreated"], 2);
        assert_eq!(report["linksCreated"], 3);
        assert_eq!(report["organizationsToCreate"], json!(["UniX", "edX"]));
        assert_eq!(report["invalidKeys"][0]["line"], 3);
        assert_eq!(report["invalidKeys"][0]["key"], "bad key");
        assert!(app.snapshot().await.is_empty(), "a dry run writes nothing");

        let forbidden = app
            .as_user(
                &token("ada", false, &[]),
                BACKFILL,
                json!({ "k": keys, "a": true }),
            )
            .await;
        assert_eq!(error_code(&forbidden), "FORBIDDEN");
        let anonymous = app.gql(BACKFILL, json!({ "k": keys, "a": true })).await;
        assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
        assert!(app.snapshot().await.is_empty());

        let applied = app
            .admin_data(BACKFILL, json!({ "k": keys, "a": true }))
            .await;
        assert_eq!(applied["backfill"]["applied"], true);
        assert_eq!(applied["backfill"]["linksCreated"], 3);
        let data = app
            .data(
                r#"{ organization(shortName: "EDX") { shortName courses { totalCount } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            data["organization"],
            json!({ "shortName": "edX", "courses": { "totalCount": 2 } })
        );
        let again = app
            .admin_data(BACKFILL, json!({ "k": keys, "a": true }))
            .await;
        assert_eq!(
            (
                again["backfill"]["organizationsCreated"].clone(),
                again["backfill"]["linksCreated"].clone()
            ),
            (json!(0), json!(0))
        );
    }
}
