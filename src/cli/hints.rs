//! Commands as the person at this terminal would type them, so that every hint `serve` gives
//! (its start-up lines, GraphiQL's comment, the admin console's sign-in page) runs as written:
//! the binary is called the way it was started (`cargo run --release --` from a checkout,
//! `tenancy-gateway` when that name on the PATH is this binary, else the path typed), and the
//! token command names what its signing key needs.

use std::path::{Path, PathBuf};

use crate::auth::local::Local;
use crate::config::{Config, DEFAULT_DATABASE_URL};

/// The installed name of the binary.
const NAME: &str = "tenancy-gateway";

/// How to call this binary again, as it was called this time.
pub(super) fn invocation() -> String {
    let typed = std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| NAME.to_owned());
    let exe = std::env::current_exe().ok();
    invocation_from(
        &typed,
        exe.as_deref(),
        std::env::var("CARGO_PKG_NAME").ok().as_deref(),
        std::env::var_os("PATH").as_deref(),
    )
}

fn invocation_from(
    typed: &str,
    exe: Option<&Path>,
    cargo_package: Option<&str>,
    path_var: Option<&std::ffi::OsStr>,
) -> String {
    let exe = exe.and_then(|e| e.canonicalize().ok());
    // `cargo run` tells the program it runs which package it is (CARGO_PKG_NAME); the
    // profile is the name of the directory the binary was built into.
    if cargo_package == Some(NAME)
        && let Some(profile) = exe
            .as_deref()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .and_then(|p| p.to_str())
    {
        return match profile {
            "debug" => "cargo run --".to_owned(),
            "release" => "cargo run --release --".to_owned(),
            other => format!("cargo run --profile {other} --"),
        };
    }
    let on_path = path_var
        .map(|paths| std::env::split_paths(paths).collect::<Vec<PathBuf>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join(NAME))
        .find(|candidate| candidate.is_file())
        .and_then(|found| found.canonicalize().ok());
    if on_path.is_some() && on_path == exe {
        return NAME.to_owned();
    }
    shell_word(typed)
}

/// `text` (a message whose hints name the binary as `` `tenancy-gateway VERB` ``) with the binary
/// named as it was called this time, so that the hint runs as written.
pub(super) fn as_invoked(text: &str) -> String {
    let invocation = invocation();
    if invocation == NAME {
        return text.to_owned();
    }
    text.replace(&format!("`{NAME} "), &format!("`{invocation} "))
}

/// How tokens reach this server, for its hints.
pub(super) enum Tokens<'a> {
    /// The local secret beside the SQLite database.
    Local(&'a Local),
    /// A secret setting `token` reads from the environment too.
    Secret(&'static str),
    /// Only the LMS's keys (a JWK set, or issuers without a secret).
    Lms,
    /// No token setting: every token is refused.
    None,
}

impl<'a> Tokens<'a> {
    pub(super) fn of(config: &Config, local: Option<&'a Local>) -> Tokens<'a> {
        if let Some(local) = local {
            return Tokens::Local(local);
        }
        let first_issuer_has_secret = config.jwt_issuers.as_ref().is_some_and(|issuers| {
            serde_json::from_str::<Vec<serde_json::Map<String, serde_json::Value>>>(&issuers.0)
                .ok()
                .and_then(|list| list.into_iter().next())
                .is_some_and(|first| first.keys().any(|k| k.eq_ignore_ascii_case("SECRET_KEY")))
        });
        if config.jwt_secret.is_some() {
            Tokens::Secret("TENANCY_JWT_SECRET")
        } else if first_issuer_has_secret {
            Tokens::Secret("TENANCY_JWT_ISSUERS")
        } else if config.jwt_issuers.is_some() || config.jwt_public_signing_jwk_set.is_some() {
            Tokens::Lms
        } else {
            Tokens::None
        }
    }
}

/// What to run (or do) for a token with which to write, as one line.
pub(super) fn token(invocation: &str, tokens: &Tokens<'_>, database_url: &str) -> String {
    let mint = format!("{invocation} token --subject ada --administrator");
    match tokens {
        Tokens::Local(_) if database_url == DEFAULT_DATABASE_URL => mint,
        Tokens::Local(_) => format!("{mint} --database-url {}", shell_word(database_url)),
        Tokens::Secret(setting) => format!("{mint}   (with this server's {setting} set)"),
        Tokens::Lms => format!(
            "sign in to the LMS (its JWT cookies), or {mint} --private-jwk FILE   (the LMS's \
             private signing JWK)"
        ),
        Tokens::None => format!(
            "none: this server accepts no tokens (no token setting); set TENANCY_JWT_SECRET and \
             restart it, see `{invocation} serve --help`"
        ),
    }
}

/// How to load the example data into the database `serve` serves.
pub(super) fn seed(invocation: &str, database_url: &str) -> String {
    let seed = format!("{invocation} seed --demo");
    if database_url == DEFAULT_DATABASE_URL {
        seed
    } else if crate::db::open::sqlite_path(database_url).is_some() {
        format!("{seed} --database-url {}", shell_word(database_url))
    } else {
        // Never print a password: the variable holds it.
        format!("{seed}   (with this server's DATABASE_URL set)")
    }
}

/// `serve`'s start-up lines after the first (`listening on ...`, which scripts read).
pub(super) fn start_up(base: &str, database: &str, tokens: &Tokens<'_>, token: &str) -> String {
    let mut lines =
        format!("GraphiQL: {base}/graphql\nadmin console: {base}/admin\ndatabase: {database}\n");
    if let Tokens::Local(local) = tokens {
        lines.push_str(&format!("token secret: {}\n", local.path.display()));
    }
    lines.push_str(&format!("mint a token: {token}\n"));
    lines
}

/// `word` as one shell word: unchanged when nothing in it is special to a shell, else quoted.
pub(super) fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_run_is_named_by_its_profile() {
        let dir = tempfile::tempdir().unwrap();
        for (profile, expected) in [
            ("debug", "cargo run --"),
            ("release", "cargo run --release --"),
            ("dist", "cargo run --profile dist --"),
        ] {
            let bin = dir.path().join(profile).join(NAME);
            std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
            std::fs::write(&bin, b"").unwrap();
            let got = invocation_from("x", Some(&bin), Some(NAME), None);
            assert_eq!(got, expected);
            // Not run by cargo: the path as typed.
            let typed = format!("./{profile}/{NAME}");
            assert_eq!(invocation_from(&typed, Some(&bin), None, None), typed);
        }
    }

    #[test]
    fn the_name_alone_only_when_the_path_finds_this_binary() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join(NAME);
        std::fs::write(&bin, b"").unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join(NAME), b"").unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        let typed = bin.display().to_string();
        assert_eq!(invocation_from(&typed, Some(&bin), None, Some(&path)), NAME);
        let elsewhere = std::env::join_paths([other.path()]).unwrap();
        assert_eq!(
            invocation_from(&typed, Some(&bin), None, Some(&elsewhere)),
            typed
        );
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("sqlite://x.db"), "sqlite://x.db");
        assert_eq!(
            shell_word("sqlite://tenancy.db?mode=rwc"),
            "'sqlite://tenancy.db?mode=rwc'"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
