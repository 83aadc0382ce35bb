//! The first hour of a new user (issue #19), on the real binary: every start-up and command
//! line error is one line naming the value, the flag or variable at fault, the expected form
//! and a hint; booleans are read as Django settings write them; passwords never print; logs
//! off a terminal carry no colour; each verb's help has its own options only; start-up names
//! GraphiQL and the database; a clean stop leaves a complete SQLite file; dry runs never
//! create or migrate a database.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::fresh_database;

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

/// Runs the binary in `dir` with no inherited tenancy settings and the given environment.
fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("TENANCY_") || name == "DATABASE_URL" || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied())
        .output()
        .expect("run the binary")
}

/// The single line a failed command printed; fails unless it is one line with a hint.
fn one_error_line(out: &Output) -> String {
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains(" INFO ") && !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    let line = lines[0].to_owned();
    assert!(
        line.starts_with("error: ") && line.contains("hint: "),
        "{line}"
    );
    assert!(!err.contains('\x1b'), "no colour on a pipe: {err:?}");
    line
}

fn assert_mentions(line: &str, parts: &[&str]) {
    for part in parts {
        assert!(line.contains(part), "{part:?} missing from: {line}");
    }
}

#[test]
fn a_listen_value_without_a_host_names_the_flag_and_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_error_line(&run(dir.path(), &["serve", "--listen", "8000"], &[]));
    assert_mentions(
        &line,
        &["--listen", "\"8000\"", "HOST:PORT", "127.0.0.1:8000"],
    );
    let line = one_error_line(&run(dir.path(), &["serve"], &[("TENANCY_LISTEN", "8000")]));
    assert_mentions(&line, &["TENANCY_LISTEN", "\"8000\""]);
    assert!(
        !dir.path().join("tenancy.db").exists(),
        "refused before the database"
    );
}

#[test]
fn an_address_in_use_names_the_address_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let line = one_error_line(&run(dir.path(), &["serve", "--listen", &addr], &[]));
    assert_mentions(&line, &[&addr, "--listen", "in use", "port 0"]);
}

#[test]
fn an_unopenable_sqlite_file_is_named_once_with_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let url = "sqlite:///no-such-dir/sub/x.db?mode=rwc";
    let line = one_error_line(&run(dir.path(), &["serve", "--database-url", url], &[]));
    assert_mentions(
        &line,
        &["/no-such-dir/sub/x.db", "DATABASE_URL", "/no-such-dir/sub"],
    );
    assert_eq!(line.matches("unable to open").count(), 1, "{line}");
}

#[test]
fn a_refused_postgres_connection_says_so_at_once_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("postgres://ada:s3cret-pw@127.0.0.1:{port}/tenancy");
    for args in [
        vec!["serve", "--database-url", url.as_str()],
        vec!["migrate", "--database-url", url.as_str()],
    ] {
        let started = Instant::now();
        let line = one_error_line(&run(dir.path(), &args, &[]));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_mentions(
            &line,
            &["refused", &format!("127.0.0.1:{port}"), "DATABASE_URL"],
        );
        assert!(
            !line.contains("s3cret-pw") && !line.contains("pool timed out"),
            "{line}"
        );
    }
    // A bad value of a hidden setting is not echoed either.
    let line = one_error_line(&run(
        dir.path(),
        &["serve"],
        &[("TENANCY_JWT_VERIFY_AUDIENCE", "s3cret-pw")],
    ));
    assert_mentions(
        &line,
        &["TENANCY_JWT_VERIFY_AUDIENCE", "true/false/1/0/yes/no"],
    );
}

#[test]
fn booleans_read_as_django_settings_write_them_and_errors_name_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["True", "FALSE", "1", "0", "yes", "No"] {
        let out = run(
            dir.path(),
            &["seed", "--demo"],
            &[("TENANCY_ORGANIZATIONS_AUTOCREATE", value)],
        );
        assert!(out.status.success(), "{value}: {out:?}");
    }
    let line = one_error_line(&run(
        dir.path(),
        &["serve"],
        &[("TENANCY_ORGANIZATIONS_AUTOCREATE", "maybe")],
    ));
    assert_mentions(
        &line,
        &["TENANCY_ORGANIZATIONS_AUTOCREATE", "\"maybe\"", "yes/no"],
    );
    assert!(
        !line.contains("--organizations-autocreate"),
        "never passed: {line}"
    );
    let line = one_error_line(&run(
        dir.path(),
        &["serve", "--organizations-autocreate", "maybe"],
        &[],
    ));
    assert_mentions(&line, &["--organizations-autocreate", "\"maybe\""]);
}

#[test]
fn zero_limits_are_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_error_line(&run(
        dir.path(),
        &["serve"],
        &[("TENANCY_MAX_BATCH_SIZE", "0")],
    ));
    assert_mentions(&line, &["TENANCY_MAX_BATCH_SIZE=\"0\"", "1 or more"]);
    let line = one_error_line(&run(dir.path(), &["serve", "--max-connections", "0"], &[]));
    assert_mentions(&line, &["--max-connections=\"0\"", "1 or more"]);
    let line = one_error_line(&run(
        dir.path(),
        &["serve", "--max-body-bytes", "0KiB"],
        &[],
    ));
    assert_mentions(&line, &["--max-body-bytes=\"0KiB\"", "1 byte or more"]);
}

#[test]
fn bad_token_settings_stop_start_up_in_one_line_without_their_value() {
    let dir = tempfile::tempdir().unwrap();
    let value = "[{\"ISSUER\": \"x\", \"SECRET_KEY\": \"s3cret\"";
    let line = one_error_line(&run(
        dir.path(),
        &["serve"],
        &[("TENANCY_JWT_ISSUERS", value)],
    ));
    assert_mentions(&line, &["TENANCY_JWT_ISSUERS", "JSON list", "JWT_AUTH"]);
    assert!(!line.contains("s3cret"), "{line}");
}

#[test]
fn useless_tokens_are_not_minted() {
    let dir = tempfile::tempdir().unwrap();
    let secret = [(
        "TENANCY_JWT_SECRET",
        "first-hour-secret-of-32-bytes-or-more",
    )];
    let line = one_error_line(&run(
        dir.path(),
        &["token", "--subject", "ada", "--ttl", "0"],
        &secret,
    ));
    assert_mentions(&line, &["--ttl", "\"0\"", "1 or more"]);
    let line = one_error_line(&run(dir.path(), &["token", "--subject", ""], &secret));
    assert_mentions(&line, &["--subject", "username"]);
    let line = one_error_line(&run(dir.path(), &["token", "--subject", "ada"], &[]));
    assert_mentions(&line, &["TENANCY_JWT_SECRET", "--private-jwk"]);
    let ok = run(dir.path(), &["token", "--subject", "ada"], &secret);
    assert!(ok.status.success(), "{ok:?}");
}

#[test]
fn each_verb_lists_only_its_own_options() {
    let dir = tempfile::tempdir().unwrap();
    let help = |verb: &str| {
        let out = run(dir.path(), &[verb, "--help"], &[]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let serve = help("serve");
    assert_mentions(
        &serve,
        &[
            "--listen",
            "--max-query-depth",
            "--jwt-secret",
            "--database-url",
        ],
    );
    for verb in ["migrate", "seed", "backfill", "import", "token", "schema"] {
        let text = help(verb);
        for serve_only in [
            "--listen",
            "--max-query-depth",
            "--cors-allowed-origins",
            "--metrics-token",
        ] {
            assert!(
                !text.contains(serve_only),
                "{verb} --help lists {serve_only}:\n{text}"
            );
        }
    }
    assert!(help("backfill").contains("--database-url"));
    assert!(!help("token").contains("--database-url"));
}

#[tokio::test]
async fn start_up_names_graphiql_and_the_database_and_stop_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "first-hour-secret-of-32-bytes-or-more";
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("TENANCY_JWT_SECRET", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        lines.push(line.trim_end().to_owned());
    }
    let base = lines[0]
        .strip_prefix("listening on ")
        .expect("first line")
        .to_owned();
    assert_eq!(lines[1], format!("GraphiQL: {base}/graphql"));
    let db = dir.path().canonicalize().unwrap().join("tenancy.db");
    assert_eq!(lines[2], format!("database: {}", db.display()));

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = client.get(format!("{base}/")).send().await.unwrap();
    assert!(root.status().is_redirection(), "{}", root.status());
    assert_eq!(root.headers()["location"], "/graphql");

    let token = run(
        dir.path(),
        &["token", "--subject", "ada", "--administrator"],
        &[("TENANCY_JWT_SECRET", secret)],
    );
    let token = String::from_utf8(token.stdout).unwrap();
    let body: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .header("authorization", format!("JWT {}", token.trim()))
        .json(&serde_json::json!({ "query": r#"mutation { ensureOrganization(shortName: "LastX") { created } }"# }))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(
        body["data"]["ensureOrganization"]["created"], true,
        "{body}"
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    let wal = dir.path().join("tenancy.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "WAL left unmerged"
    );
    // The file alone, copied elsewhere, holds the last write.
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(&db, copy.path().join("tenancy.db")).unwrap();
    let url = format!("sqlite://{}", copy.path().join("tenancy.db").display());
    let app = crate::support::TestApp::spawn_on(&url, |_| {}).await;
    assert_eq!(app.count("organization").await, 1);
}

#[test]
fn a_dry_run_never_creates_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for verb in [
        &["backfill"][..],
        &["import", "--lms-database", "sqlite://lms.db"],
    ] {
        let line = one_error_line(&run(dir.path(), verb, &[]));
        assert_mentions(&line, &["does not exist", "tenancy.db", "migrate"]);
        assert!(
            !dir.path().join("tenancy.db").exists(),
            "{verb:?} created it"
        );
    }
}

crate::backend_tests! {
    async fn a_dry_run_on_an_unmigrated_database_changes_nothing(app: TestApp) {
        drop(app);
        let Some((url, _dir)) = fresh_database(BACKEND).await else { return };
        let empty = tempfile::tempdir().unwrap();
        if let Some(path) = url.strip_prefix("sqlite://").and_then(|p| p.split('?').next()) {
            std::fs::write(path, b"").unwrap(); // an empty file is an empty SQLite database
        }
        let out = run(empty.path(), &["backfill", "--database-url", &url], &[]);
        let line = one_error_line(&out);
        assert_mentions(&line, &["not migrated", "tenancy-gateway migrate"]);
        let check = run(empty.path(), &["migrate", "--check", "--database-url", &url], &[]);
        let pending = String::from_utf8_lossy(&check.stdout);
        assert!(pending.contains("pending: m20261123_000001_tenancy_graph"), "{pending}");
    }
}
