//! The first hour of a new user (issues #19 and #30), on the real binary: every start-up and
//! command line error is one line naming the value, the flag or variable at fault, the expected
//! form and a hint; booleans are read as Django settings write them; passwords never print;
//! logs off a terminal carry no colour; each verb's help has its own options only; start-up
//! names GraphiQL, the admin console, the database and the token command, which works as
//! printed (the local secret beside a SQLite database); a clean stop leaves a complete SQLite
//! file; dry runs never create or migrate a database, nor checkpoint one; migrations log only
//! what they apply; import names a source that is not what it reads; an `Authorization` header
//! without its scheme is refused on every operation.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::backend_tests;
use crate::support::{TestApp, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

/// The binary in `dir` with no inherited tenancy settings, as a person would start it (not
/// under cargo, which `cargo test` would make it believe), and the given environment.
fn command(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    scrub(&mut cmd);
    cmd.envs(env.iter().copied());
    cmd
}

/// Removes the tenancy settings, cargo's variables and `RUST_LOG` from `cmd`'s environment.
fn scrub(cmd: &mut Command) {
    for (name, _) in std::env::vars() {
        if name.starts_with("TENANCY_")
            || name.starts_with("CARGO")
            || name == "DATABASE_URL"
            || name == "RUST_LOG"
        {
            cmd.env_remove(name);
        }
    }
}

/// Runs the binary (see `command`) to its end.
fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().expect("run the binary")
}

/// A `serve` started by `command`, and the lines it printed at start-up.
struct Serving {
    child: std::process::Child,
    base: String,
    lines: Vec<String>,
}

impl Serving {
    /// Starts `serve --listen 127.0.0.1:0 ARGS` in `dir` and reads its start-up lines (up to the
    /// token line, the last).
    fn start(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Serving {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut child = command(dir, &all, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                panic!("serve stopped after {lines:?}");
            }
            lines.push(line.trim_end().to_owned());
            if line.starts_with("mint a token: ") {
                break;
            }
        }
        let base = lines[0]
            .strip_prefix("listening on ")
            .expect("first line")
            .to_owned();
        Serving { child, base, lines }
    }

    /// The line that starts with `label: `, without it.
    fn line(&self, label: &str) -> Option<&str> {
        let prefix = format!("{label}: ");
        self.lines.iter().find_map(|l| l.strip_prefix(&prefix))
    }

    /// Stops it as a person would (SIGTERM) and waits for a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `line` in a shell in `dir`, as typed (with the environment of `command`).
fn shell(dir: &std::path::Path, line: &str) -> Output {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", line]).current_dir(dir).stdin(Stdio::null());
    scrub(&mut cmd);
    cmd.output().expect("run the shell")
}

/// Sends `query` with `token` (as `JWT <token>`) and returns the JSON answer.
async fn gql_as(base: &str, token: &str, query: &str) -> serde_json::Value {
    crate::support::http_client()
        .post(format!("{base}/graphql"))
        .header("authorization", format!("JWT {}", token.trim()))
        .json(&serde_json::json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const ENSURE: &str = r#"mutation { ensureOrganization(shortName: "FirstX") { created organization { shortName } } }"#;

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
fn hints_name_the_binary_as_it_was_called() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_error_line(&run(dir.path(), &["backfill"], &[]));
    assert_mentions(&line, &[&format!("`{BIN} migrate`")]);
    let line = one_error_line(&run(dir.path(), &["seed"], &[]));
    assert_mentions(&line, &[&format!("`{BIN} seed --demo`")]);
}

#[test]
fn a_missing_argument_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_error_line(&run(dir.path(), &["token"], &[]));
    assert_mentions(&line, &["--subject", "not given", "token --help"]);
    assert!(!line.trim_end().ends_with(':'), "{line}");
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
    // `token` finds the local secret beside the database `serve` was given.
    assert!(help("token").contains("--database-url"));
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
    for _ in 0..5 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        lines.push(line.trim_end().to_owned());
    }
    let base = lines[0]
        .strip_prefix("listening on ")
        .expect("first line")
        .to_owned();
    assert_eq!(lines[1], format!("GraphiQL: {base}/graphql"));
    assert_eq!(lines[2], format!("admin console: {base}/admin"));
    let db = dir.path().canonicalize().unwrap().join("tenancy.db");
    assert_eq!(lines[3], format!("database: {}", db.display()));
    assert!(
        lines[4].starts_with("mint a token: ")
            && lines[4].ends_with("(with this server's TENANCY_JWT_SECRET set)"),
        "{lines:?}"
    );

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
    assert!(
        !dir.path().join("tenancy.secret").exists(),
        "a token setting turns the local secret off"
    );
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

#[tokio::test]
async fn the_first_token_works_as_printed_with_no_setup() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().canonicalize().unwrap();
    let server = Serving::start(dir.path(), &[], &[]);
    let secret = here.join("tenancy.secret");
    assert_eq!(
        server.line("token secret"),
        Some(secret.display().to_string().as_str())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner only");
    }
    // The command as printed, run in a shell where the server was started.
    let hint = server.line("mint a token").unwrap().to_owned();
    assert_eq!(hint, format!("{BIN} token --subject ada --administrator"));
    let minted = shell(dir.path(), &hint);
    assert!(minted.status.success(), "{minted:?}");
    let token = String::from_utf8(minted.stdout).unwrap();
    let body = gql_as(&server.base, &token, ENSURE).await;
    assert_eq!(
        body["data"]["ensureOrganization"]["created"], true,
        "{body}"
    );
    // The pages for people show the same command.
    let client = crate::support::http_client();
    for path in ["/graphql", "/admin"] {
        let page = client
            .get(format!("{}{path}", server.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(&hint), "{path} does not show {hint:?}");
    }
    let seed_hint = format!("{BIN} seed --demo");
    let graphiql = client
        .get(format!("{}/graphql", server.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(graphiql.contains(&seed_hint), "GraphiQL's seed hint");
    let first_secret = std::fs::read_to_string(&secret).unwrap();
    server.stop();

    // A second start keeps the secret: the token minted before still writes.
    let again = Serving::start(dir.path(), &[], &[]);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), first_secret);
    let body = gql_as(&again.base, &token, ENSURE).await;
    assert_eq!(
        body["data"]["ensureOrganization"]["created"], false,
        "{body}"
    );
    again.stop();
}

#[tokio::test]
async fn the_token_command_names_a_database_that_is_not_the_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let url = "sqlite://data/graph.db?mode=rwc";
    let server = Serving::start(dir.path(), &["--database-url", url], &[]);
    let hint = server.line("mint a token").unwrap().to_owned();
    assert_eq!(
        hint,
        format!("{BIN} token --subject ada --administrator --database-url '{url}'")
    );
    assert!(dir.path().join("data/tenancy.secret").exists());
    let minted = shell(dir.path(), &hint);
    assert!(minted.status.success(), "{minted:?}");
    let body = gql_as(
        &server.base,
        &String::from_utf8(minted.stdout).unwrap(),
        ENSURE,
    )
    .await;
    assert_eq!(
        body["data"]["ensureOrganization"]["created"], true,
        "{body}"
    );
    // Without it, `token` looks beside the default database and says where it looked.
    let line = one_error_line(&run(dir.path(), &["token", "--subject", "ada"], &[]));
    let expected = dir.path().canonicalize().unwrap().join("tenancy.secret");
    assert_mentions(
        &line,
        &[
            &expected.display().to_string(),
            "serve",
            "TENANCY_JWT_SECRET",
        ],
    );
    server.stop();
}

#[tokio::test]
async fn no_local_secret_in_memory_nor_with_a_token_setting() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Serving::start(dir.path(), &["--database-url", "sqlite::memory:"], &[]);
    assert_eq!(memory.line("token secret"), None);
    assert_mentions(
        memory.line("mint a token").unwrap(),
        &["accepts no tokens", "TENANCY_JWT_SECRET"],
    );
    memory.stop();
    for setting in [
        (
            "TENANCY_JWT_ISSUERS",
            r#"[{"ISSUER": "https://lms.test/oauth2", "AUDIENCE": "openedx"}]"#,
        ),
        ("TENANCY_JWT_ISSUER", "https://lms.test/oauth2"),
    ] {
        let server = Serving::start(dir.path(), &[], &[setting]);
        assert_eq!(server.line("token secret"), None, "{setting:?}");
        server.stop();
    }
    assert!(!dir.path().join("tenancy.secret").exists());
}

#[test]
fn migrations_log_only_what_they_apply() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();
    let first = run(dir.path(), &["seed", "--demo"], &[]);
    assert!(first.status.success(), "{first:?}");
    assert!(
        stderr(&first).contains("database migrated"),
        "{}",
        stderr(&first)
    );
    let again = run(dir.path(), &["seed", "--demo"], &[]);
    assert!(again.status.success(), "{again:?}");
    assert!(
        !stderr(&again).contains("igrat"),
        "nothing applied, nothing said: {}",
        stderr(&again)
    );
    let migrate = run(dir.path(), &["migrate"], &[]);
    let stdout = String::from_utf8_lossy(&migrate.stdout);
    assert!(
        stdout.contains("already up to date") && !stdout.contains("applied"),
        "{stdout}"
    );
    assert!(
        !stderr(&migrate).contains("Applying"),
        "{}",
        stderr(&migrate)
    );
    let fresh = tempfile::tempdir().unwrap();
    let migrate = run(fresh.path(), &["migrate"], &[]);
    let stdout = String::from_utf8_lossy(&migrate.stdout);
    assert!(
        stdout.contains("database migrated:") && stdout.contains("applied: m2026"),
        "{stdout}"
    );
}

/// An LMS database as the import reads it, with one organization and one course link (the
/// columns edx-organizations and edx-platform give these tables that the import reads).
async fn small_lms(path: &std::path::Path) -> String {
    use sea_orm::ConnectionTrait;
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = sea_orm::Database::connect(&url).await.unwrap();
    for sql in [
        "CREATE TABLE organizations_organization (id INTEGER PRIMARY KEY, short_name TEXT, \
         name TEXT, description TEXT, logo TEXT, active BOOLEAN)",
        "CREATE TABLE organizations_organizationcourse (id INTEGER PRIMARY KEY, course_id TEXT, \
         organization_id INTEGER, active BOOLEAN)",
        "CREATE TABLE django_site (id INTEGER PRIMARY KEY, domain TEXT, name TEXT)",
        "CREATE TABLE site_configuration_siteconfiguration (id INTEGER PRIMARY KEY, \
         site_id INTEGER, enabled BOOLEAN, site_values TEXT)",
        "INSERT INTO organizations_organization VALUES (1, 'LmsX', 'LMS X', '', '', 1)",
        "INSERT INTO organizations_organizationcourse VALUES (1, 'course-v1:LmsX+A+1', 1, 1)",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    db.close().await.unwrap();
    format!("sqlite://{}", path.display())
}

#[tokio::test]
async fn dry_runs_beside_a_running_server_never_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serving::start(dir.path(), &[], &[]);
    // A write, so that the running server's write-ahead log holds something.
    let minted = run(
        dir.path(),
        &["token", "--subject", "ada", "--administrator"],
        &[],
    );
    let body = gql_as(
        &server.base,
        &String::from_utf8(minted.stdout).unwrap(),
        ENSURE,
    )
    .await;
    assert_eq!(
        body["data"]["ensureOrganization"]["created"], true,
        "{body}"
    );
    std::fs::write(dir.path().join("keys.txt"), "course-v1:NewX+A+1\n").unwrap();
    let lms = small_lms(&dir.path().join("lms.db")).await;
    for args in [
        vec!["backfill", "keys.txt"],
        vec!["import", "--lms-database", lms.as_str()],
    ] {
        let out = run(dir.path(), &args, &[]);
        assert!(out.status.success(), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("checkpoint") && !stderr.contains("WARN"),
            "{args:?}: {stderr}"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("dry run"),
            "{args:?}: {out:?}"
        );
    }
    server.stop();
}

#[tokio::test]
async fn import_names_a_source_that_is_not_what_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["migrate"], &[]).status.success());
    std::fs::write(
        dir.path().join("notes.db"),
        "not a database, some notes\n".repeat(100),
    )
    .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = format!("mysql://edxapp:s3cret-pw@127.0.0.1:{port}/edxapp");
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "--lms-database",
            "sqlite:///missing.db".into(),
            vec!["/missing.db", "no such file", "sqlite:///ABSOLUTE/PATH"],
        ),
        (
            "--lms-database",
            "sqlite://tenancy.db".into(),
            vec![
                "no table",
                "organizations_organization",
                "its Django migrations",
            ],
        ),
        (
            "--lms-database",
            "sqlite://notes.db".into(),
            vec!["not a SQLite database"],
        ),
        (
            "--lms-database",
            "lms.db".into(),
            vec!["not a database URL", "sqlite://lms.db"],
        ),
        (
            "--lms-database",
            "https://lms.test/".into(),
            vec!["not a database URL", "mysql://"],
        ),
        (
            "--lms-database",
            unreachable,
            vec!["cannot connect", "server runs"],
        ),
        (
            "--discovery-database",
            "sqlite://tenancy.db".into(),
            vec!["no table", "course-discovery's database"],
        ),
        (
            "--ecommerce-database",
            "sqlite://tenancy.db".into(),
            vec!["no table", "ecommerce's database"],
        ),
    ];
    for (flag, url, parts) in cases {
        let line = one_error_line(&run(dir.path(), &["import", flag, &url], &[]));
        assert!(
            !line.contains("internal error") && !line.contains("s3cret-pw"),
            "{line}"
        );
        assert_mentions(&line, &[flag, "expected"]);
        if flag == "--lms-database" {
            assert_mentions(&line, &["the LMS's database"]);
        }
        assert_mentions(&line, &parts);
    }
}

#[test]
fn an_unreadable_source_says_permission_denied() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // As root every file is readable: then the import runs as nobody, as an operator would.
    let root = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let as_nobody = root.trim() == "0";
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let lms = dir.path().join("lms.db");
    std::fs::write(&lms, b"").unwrap();
    std::fs::set_permissions(&lms, std::fs::Permissions::from_mode(0o000)).unwrap();
    let args = ["import", "--lms-database", "sqlite://lms.db"];
    let out = if as_nobody {
        let nobody = |args: &[&str]| {
            let mut setpriv = Command::new("setpriv");
            setpriv
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
                .args(args)
                .current_dir(dir.path())
                .stdin(Stdio::null());
            scrub(&mut setpriv);
            setpriv
                .output()
                .expect("setpriv (util-linux) runs the import as nobody")
        };
        assert!(nobody(&["migrate"]).status.success(), "migrate as nobody");
        nobody(&args)
    } else {
        assert!(run(dir.path(), &["migrate"], &[]).status.success());
        run(dir.path(), &args, &[])
    };
    let line = one_error_line(&out);
    assert_mentions(
        &line,
        &["--lms-database", "lms.db", "permission denied", "hint: "],
    );
}

backend_tests! {
    postgresql_never_gets_a_local_secret,
    a_header_without_its_scheme_is_refused_on_every_operation,
    a_dry_run_on_an_unmigrated_database_changes_nothing,
}

async fn postgresql_never_gets_a_local_secret(app: TestApp) {
    let backend = app.backend;
    drop(app);
    if backend != crate::support::Backend::Postgres {
        return;
    }
    let Some((url, _)) = fresh_database(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Serving::start(dir.path(), &["--database-url", &url], &[]);
    assert_eq!(server.line("token secret"), None);
    assert_mentions(server.line("mint a token").unwrap(), &["accepts no tokens"]);
    assert!(
        server.lines.iter().all(|l| !l.contains("secret")),
        "{:?}",
        server.lines
    );
    server.stop();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing made here"
    );
    let line = one_error_line(&run(
        dir.path(),
        &["token", "--subject", "ada", "--database-url", &url],
        &[],
    ));
    assert_mentions(&line, &["keeps no local secret", "TENANCY_JWT_SECRET"]);
}

async fn a_header_without_its_scheme_is_refused_on_every_operation(app: TestApp) {
    let token = crate::support::hs256(&crate::support::claims(
        "ada",
        serde_json::json!({"administrator": true}),
    ));
    let client = app.client();
    let check = |what: &str, status: u16, body: &serde_json::Value| {
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{what}: {body}"
        );
        assert!(
            message.contains("no scheme") && message.contains("hint: "),
            "{what}: {message}"
        );
        assert_eq!(status, 401, "{what}");
    };
    for (what, query) in [
        ("query", "{ viewer { subject } }"),
        (
            "mutation",
            r#"mutation { ensureOrganization(shortName: "NoSchemeX") { created } }"#,
        ),
    ] {
        let res = client
            .post(app.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .header("authorization", token.clone())
            .json(&serde_json::json!({ "query": query }))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        check(what, status, &res.json().await.unwrap());
    }
    let res = client
        .get(app.url("/graphql?query=%7Bviewer%7Bsubject%7D%7D"))
        .header("accept", "application/graphql-response+json")
        .header("authorization", token.clone())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    check("GET query", status, &res.json().await.unwrap());
    let res = client
        .post(app.url("/graphql"))
        .header("accept", "text/event-stream")
        .header("authorization", token.clone())
        .json(&serde_json::json!({ "query": "subscription { changes { id } }" }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("SSE refusal is not JSON: {text}"));
    check("subscription over SSE", status, &body);
    let res = client
        .get(app.url("/api/organizations/v0/organizations/"))
        .header("authorization", token.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401, "REST");
    let body: serde_json::Value = res.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("no scheme") && detail.contains("hint: "),
        "REST: {body}"
    );
    assert_eq!(app.count("organization").await, 0, "nothing written");
}

async fn a_dry_run_on_an_unmigrated_database_changes_nothing(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let Some((url, _dir)) = fresh_database(backend).await else {
        return;
    };
    let empty = tempfile::tempdir().unwrap();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .and_then(|p| p.split('?').next())
    {
        std::fs::write(path, b"").unwrap(); // an empty file is an empty SQLite database
    }
    let out = run(empty.path(), &["backfill", "--database-url", &url], &[]);
    let line = one_error_line(&out);
    assert_mentions(&line, &["not migrated", "tenancy-gateway migrate"]);
    let check = run(
        empty.path(),
        &["migrate", "--check", "--database-url", &url],
        &[],
    );
    let pending = String::from_utf8_lossy(&check.stdout);
    assert!(
        pending.contains("pending: m20261123_000001_tenancy_graph"),
        "{pending}"
    );
}
