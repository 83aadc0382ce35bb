//! `TENANCY_DATABASE_URL` is `DATABASE_URL` with the prefix every other setting has:
//! the flag wins, then `TENANCY_DATABASE_URL`, then `DATABASE_URL` (an image's or a platform's
//! generic default), then the embedded SQLite default; an empty value counts as unset.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");

fn sqlite(dir: &Path, name: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.join(name).display())
}

/// The `database:` line `serve` prints, with exactly these variables set.
fn served_database(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("TENANCY_DATABASE_URL")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Up to the `database:` line (the start-up lines before it may change); the server keeps
    // its stdout open, so reading past the lines it prints would wait forever.
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines().take(8) {
        let line = line.unwrap();
        let done = line.starts_with("database: ");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    lines
        .iter()
        .find_map(|l| l.strip_prefix("database: "))
        .unwrap_or_else(|| panic!("no database line in {lines:?}"))
        .to_owned()
}

#[test]
fn tenancy_database_url_wins_over_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (generic, ours, flag) = (sqlite(d, "a.db"), sqlite(d, "b.db"), sqlite(d, "c.db"));
    let file = |name: &str| d.join(name).display().to_string();

    assert_eq!(
        served_database(d, &[], &[("DATABASE_URL", &generic)]),
        file("a.db")
    );
    assert_eq!(
        served_database(d, &[], &[("TENANCY_DATABASE_URL", &ours)]),
        file("b.db")
    );
    assert_eq!(
        served_database(
            d,
            &[],
            &[("DATABASE_URL", &generic), ("TENANCY_DATABASE_URL", &ours)]
        ),
        file("b.db"),
        "both set: TENANCY_DATABASE_URL wins"
    );
    assert_eq!(
        served_database(
            d,
            &["--database-url", &flag],
            &[("DATABASE_URL", &generic), ("TENANCY_DATABASE_URL", &ours)]
        ),
        file("c.db"),
        "the flag wins over both"
    );
    assert_eq!(
        served_database(
            d,
            &[],
            &[("DATABASE_URL", &generic), ("TENANCY_DATABASE_URL", "")]
        ),
        file("a.db"),
        "an empty TENANCY_DATABASE_URL is unset"
    );
    assert_eq!(
        served_database(d, &[], &[("TENANCY_DATABASE_URL", "")]),
        file("tenancy.db"),
        "neither: the embedded default in the working directory"
    );

    // The other verbs read it the same way, and errors name the variable that was used.
    let migrated = Command::new(BIN)
        .arg("migrate")
        .current_dir(d)
        .env("DATABASE_URL", sqlite(d, "generic-migrate.db"))
        .env("TENANCY_DATABASE_URL", sqlite(d, "ours-migrate.db"))
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    assert!(d.join("ours-migrate.db").exists() && !d.join("generic-migrate.db").exists());
    let refused = Command::new(BIN)
        .arg("migrate")
        .current_dir(d)
        .env("DATABASE_URL", sqlite(d, "generic.db"))
        .env(
            "TENANCY_DATABASE_URL",
            "sqlite:///no-such-dir/sub/x.db?mode=rwc",
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && err.contains("(--database-url / TENANCY_DATABASE_URL)"),
        "{err}"
    );
}

#[test]
fn token_finds_the_local_secret_of_the_database_tenancy_database_url_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("ours")).unwrap();
    let ours = format!("sqlite://{}?mode=rwc", d.join("ours/tenancy.db").display());
    served_database(d, &[], &[("TENANCY_DATABASE_URL", &ours)]);
    assert!(d.join("ours/tenancy.secret").exists() && !d.join("tenancy.secret").exists());
    let token = |env: &[(&str, &str)]| {
        Command::new(BIN)
            .args(["token", "--subject", "ada"])
            .current_dir(d)
            .env_remove("DATABASE_URL")
            .env_remove("TENANCY_DATABASE_URL")
            .env_remove("TENANCY_JWT_SECRET")
            .env_remove("TENANCY_JWT_ISSUERS")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let minted = token(&[
        ("TENANCY_DATABASE_URL", &ours),
        ("DATABASE_URL", &sqlite(d, "generic.db")),
    ]);
    assert!(minted.status.success(), "{minted:?}");
    // Beside the default database there is no secret: the variable was what found it.
    let refused = token(&[]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && err.contains("no local secret"),
        "{err}"
    );
}
