//! The real binary: `serve` prints its address and stops on SIGTERM; `seed`, `migrate` and
//! `schema` do their job.

use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

#[tokio::test]
async fn serve_prints_its_address_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = Command::new(BIN)
        .args(["seed", "--demo"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    assert!(
        dir.path().join("tenancy.db").exists(),
        "the default database is tenancy.db in the working directory"
    );
    let again = Command::new(BIN)
        .args(["seed", "--demo"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("0 partners, 0 organizations, 0 sites, 0 course links")
    );

    let mut child = Command::new(BIN)
        .args(["serve"])
        .env("TENANCY_LISTEN", "127.0.0.1:0")
        .env_remove("DATABASE_URL")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = crate::support::listening_on(&mut child);
    let body: serde_json::Value = crate::support::http_client()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": r#"{ organization(shortName: "vjx") { name partners { edges { node { shortCode } } } } }"# }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["organization"]["partners"]["edges"][0]["node"]["shortCode"],
        "edx"
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(waited < Duration::from_secs(10), "did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    };
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[test]
fn schema_verb_prints_the_sdl() {
    let out = Command::new(BIN).arg("schema").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        tenancy_gateway::graphql::sdl()
    );
}

#[test]
fn migrate_verb_creates_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let out = Command::new(BIN)
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
}

#[test]
fn token_verb_mints_a_token_the_server_accepts() {
    let out = Command::new(BIN)
        .args([
            "token",
            "--subject",
            "ada",
            "--administrator",
            "--filter",
            "content_org:MITx",
        ])
        .env(
            "TENANCY_JWT_SECRET",
            "binary-test-secret-of-32-bytes-or-more",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap();
    let config = tenancy_gateway::config::Config {
        jwt_secret: Some(tenancy_gateway::config::Secret(
            "binary-test-secret-of-32-bytes-or-more".into(),
        )),
        ..tenancy_gateway::config::Config::for_database("sqlite::memory:")
    };
    let scope = tenancy_gateway::auth::scope_from_token(&config, token.trim())
        .map_err(|e| e.message())
        .unwrap();
    assert_eq!(scope.subject.as_deref(), Some("ada"));
    assert!(scope.administrator);
    let keys: Option<Vec<&str>> = scope
        .org_filter
        .as_ref()
        .map(|keys| keys.iter().map(|k| k.as_str()).collect());
    assert_eq!(keys, Some(vec!["mitx"]));
    let missing = Command::new(BIN)
        .args(["token", "--subject", "ada"])
        .env_remove("TENANCY_JWT_SECRET")
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
fn a_short_or_empty_secret_stops_start_up_naming_the_variable() {
    for secret in ["", "short-secret"] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("TENANCY_JWT_SECRET", secret)
            .env("DATABASE_URL", "sqlite::memory:")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(errors[0].contains("TENANCY_JWT_SECRET"), "{stderr}");
    }
}

#[test]
fn token_verb_mints_rs512_with_a_private_jwk_and_refuses_bad_filters() {
    let jwk = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/jwk/example-private.json"
    );
    let out = Command::new(BIN)
        .args([
            "token",
            "--subject",
            "ada",
            "--private-jwk",
            jwk,
            "--filter",
            "content_org:MITx",
        ])
        .args([
            "--issuer",
            "https://lms.test/oauth2",
            "--audience",
            "openedx",
            "--restricted",
        ])
        .env_remove("TENANCY_JWT_SECRET")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap();
    let config = tenancy_gateway::config::Config {
        jwt_public_signing_jwk_set: Some(
            include_str!("../data/jwk/example-public-set.json").to_owned(),
        ),
        jwt_issuers: Some(tenancy_gateway::config::Secret(
            r#"[{"ISSUER": "https://lms.test/oauth2", "AUDIENCE": "openedx"}]"#.to_owned(),
        )),
        ..tenancy_gateway::config::Config::for_database("sqlite::memory:")
    };
    let scope = tenancy_gateway::auth::scope_from_token(&config, token.trim())
        .map_err(|e| e.message())
        .unwrap();
    assert_eq!(scope.subject.as_deref(), Some("ada"));
    assert!(scope.restricted);
    assert_eq!(scope.scopes, ["user_id", "email", "profile"]);
    let header = token.split('.').next().unwrap();
    let header =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["alg"], "RS512");
    assert_eq!(header["kid"], "example-1");
    let bad = Command::new(BIN)
        .args([
            "token",
            "--subject",
            "ada",
            "--private-jwk",
            jwk,
            "--filter",
            "MITx",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("type:value"));
}
