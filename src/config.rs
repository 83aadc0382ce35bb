//! Typed configuration from flags and environment variables, with defaults that run.

use std::fmt;

use clap::Args;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tenancy.db?mode=rwc";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8000";

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// Settings shared by every verb that touches the database.
#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    pub database_url: String,

    /// Auto-create mode (true): ensuring or linking an unknown organization creates it.
    /// Validate mode (false): it fails with ORGANIZATION_NOT_FOUND and writes nothing.
    #[arg(
        long,
        env = "TENANCY_ORGANIZATIONS_AUTOCREATE",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub organizations_autocreate: bool,

    /// HS256 secret for bearer tokens. Unset: every token is rejected, anonymous reads work.
    #[arg(
        long,
        env = "TENANCY_JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<Secret>,

    /// When set, tokens must carry this `iss`.
    #[arg(long, env = "TENANCY_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,

    /// When set, tokens must carry this `aud`.
    #[arg(long, env = "TENANCY_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
}

impl Config {
    /// Defaults for a given database, as the CLI would build them with no flags.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            organizations_autocreate: true,
            jwt_secret: None,
            jwt_issuer: None,
            jwt_audience: None,
        }
    }
}
