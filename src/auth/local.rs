//! The local secret: a first token with no setup. On a SQLite file database
//! with no token setting at all, `serve` makes a random HS256 secret once, `tenancy.secret`
//! beside the database file (mode 0600), and verifies tokens with it; `token`, given the same
//! `--database-url`, finds it and signs with it. Any token setting turns this off, and
//! PostgreSQL and in-memory SQLite never have one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::Config;

/// The file name, beside the database file.
pub const FILE_NAME: &str = "tenancy.secret";

/// Random bytes in a new secret (written as hex: 64 characters).
const RANDOM_BYTES: usize = 32;

/// Whether any token setting is given: the key settings (`TENANCY_JWT_SECRET`,
/// `TENANCY_JWT_ISSUERS`, `TENANCY_JWT_PUBLIC_SIGNING_JWK_SET`) and the shorthand's
/// `TENANCY_JWT_ISSUER` / `TENANCY_JWT_AUDIENCE`. The tuning ones (leeway, audience check,
/// cookie names) decide nothing about which key verifies.
pub fn token_setting_given(config: &Config) -> bool {
    config.jwt_secret.is_some()
        || config.jwt_issuers.is_some()
        || config.jwt_public_signing_jwk_set.is_some()
        || config.jwt_issuer.is_some()
        || config.jwt_audience.is_some()
}

/// Where the local secret of `database_url` lives: `tenancy.secret` beside a SQLite file;
/// `None` for PostgreSQL and in-memory SQLite.
pub fn path(database_url: &str) -> Option<PathBuf> {
    let file = crate::db::open::sqlite_path(database_url)?;
    Some(file.parent().unwrap_or(Path::new("/")).join(FILE_NAME))
}

/// The local secret `serve` verifies with, made now when there is none yet: `None` when a
/// token setting is given or the database has no place for one (see `path`).
pub fn for_serve(config: &Config) -> anyhow::Result<Option<Local>> {
    if token_setting_given(config) {
        return Ok(None);
    }
    let Some(path) = path(&config.database_url) else {
        return Ok(None);
    };
    // A missing directory is the database's error to report (it names the setting).
    if path.parent().is_some_and(|dir| !dir.is_dir()) {
        return Ok(None);
    }
    match create(&path) {
        Ok(secret) => Ok(Some(Local {
            path,
            secret,
            created: true,
        })),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(Some(Local {
            secret: read(&path)?,
            path,
            created: false,
        })),
        Err(err) => Err(anyhow::anyhow!(
            "cannot make the local token secret {} ({err}); hint: make its directory writable, \
             or set TENANCY_JWT_SECRET (32 bytes or more, e.g. `openssl rand -hex 32`)",
            path.display()
        )),
    }
}

/// The local secret `token` signs with: `Ok(None)` when there is none (yet) for this database.
pub fn for_token(database_url: &str) -> anyhow::Result<Option<Local>> {
    let Some(path) = path(database_url) else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(Local {
        secret: read(&path)?,
        path,
        created: false,
    }))
}

/// A local secret and its file.
pub struct Local {
    pub path: PathBuf,
    pub secret: String,
    /// Made by this start (not found from an earlier one).
    pub created: bool,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("path", &self.path)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// Makes the file with a new random secret, readable by its owner only; fails with
/// `AlreadyExists` when another start made it first.
fn create(path: &Path) -> std::io::Result<String> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let written = file
        .write_all(format!("{secret}\n").as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(err) = written {
        // Never leave a half-written secret for the next start to trust.
        let _ = std::fs::remove_file(path);
        return Err(err);
    }
    Ok(secret)
}

fn read(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        anyhow::anyhow!(
            "cannot read the local token secret {} ({err}); hint: run as the user who started \
             `serve` there, or set TENANCY_JWT_SECRET",
            path.display()
        )
    })?;
    let secret = text.trim();
    if secret.len() < crate::auth::verify::MIN_SECRET_BYTES {
        anyhow::bail!(
            "the local token secret {} holds {} bytes: expected 32 or more; hint: delete the \
             file and start `serve` again to make a new one (tokens signed with it stop working)",
            path.display(),
            secret.len()
        );
    }
    Ok(secret.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqlite_files_have_a_place_for_one() {
        let dir = std::path::Path::new("/srv/data");
        assert_eq!(
            path("sqlite:///srv/data/tenancy.db?mode=rwc"),
            Some(dir.join(FILE_NAME))
        );
        assert_eq!(
            path("sqlite:///srv/data/other.db"),
            Some(dir.join(FILE_NAME))
        );
        for none in [
            "sqlite::memory:",
            "sqlite://file.db?mode=memory",
            "postgres://u:p@db/tenancy",
        ] {
            assert_eq!(path(none), None, "{none}");
        }
    }

    #[test]
    fn any_token_setting_turns_it_off() {
        let base = Config::for_database("sqlite://x.db?mode=rwc");
        assert!(!token_setting_given(&base));
        let secret = crate::config::Secret("s".repeat(32));
        for config in [
            Config {
                jwt_secret: Some(secret.clone()),
                ..base.clone()
            },
            Config {
                jwt_issuers: Some(secret),
                ..base.clone()
            },
            Config {
                jwt_public_signing_jwk_set: Some("{}".into()),
                ..base.clone()
            },
            Config {
                jwt_issuer: Some("https://lms.test".into()),
                ..base.clone()
            },
        ] {
            assert!(token_setting_given(&config));
        }
    }

    #[test]
    fn made_once_owner_only_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let config = Config::for_database(url.clone());
        let first = for_serve(&config).unwrap().unwrap();
        assert!(first.created);
        assert_eq!(first.secret.len(), 2 * RANDOM_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = for_serve(&config).unwrap().unwrap();
        assert!(!again.created);
        assert_eq!(again.secret, first.secret);
        assert_eq!(for_token(&url).unwrap().unwrap().secret, first.secret);
        std::fs::write(&first.path, "short\n").unwrap();
        let err = for_token(&url).unwrap_err().to_string();
        assert!(err.contains("32 or more") && err.contains("hint:"), "{err}");
    }
}
