//! The database options of the verbs that use a database but do not serve, and how they open
//! it.

use clap::Args;

use crate::config::{Config, DATABASE_URL_ENV, default_database_url, parse_database_url};

/// The database, for the verbs that use one but do not serve.
#[derive(Args, Debug)]
pub(super) struct Database {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://...`. From
    /// TENANCY_DATABASE_URL, else DATABASE_URL, else `sqlite://tenancy.db?mode=rwc`.
    #[arg(long, env = DATABASE_URL_ENV, default_value_t = default_database_url(), value_parser = parse_database_url, hide_default_value = true, hide_env_values = true)]
    pub(super) database_url: String,
}

/// The database and the mode of the verbs that create organizations.
#[derive(Args, Debug)]
pub(super) struct Writes {
    #[command(flatten)]
    database: Database,
    /// Auto-create mode (true): linking an unknown organization creates it; validate mode
    /// (false): it fails with ORGANIZATION_NOT_FOUND. true/false/1/0/yes/no, any case.
    #[arg(long, env = "TENANCY_ORGANIZATIONS_AUTOCREATE", default_value_t = true, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    organizations_autocreate: bool,
}

impl Writes {
    pub(super) fn config(&self) -> Config {
        Config {
            organizations_autocreate: self.organizations_autocreate,
            ..Config::for_database(self.database.database_url.clone())
        }
    }
}

pub(super) async fn connect(url: &str) -> anyhow::Result<sea_orm::DatabaseConnection> {
    crate::db::connect(url, &crate::metrics::Metrics::new()).await
}

/// The database of a verb that writes only with `--apply`: a dry run never creates or migrates
/// it, and opens it read-only when `read_only` (backfill; import plans in a transaction it
/// rolls back, so its dry run cannot open a SQLite file read-only).
pub(super) async fn connect_for(
    url: &str,
    apply: bool,
    read_only: bool,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let metrics = crate::metrics::Metrics::new();
    if apply {
        let db = crate::db::connect(url, &metrics).await?;
        crate::db::migrate(&db).await?;
        Ok(db)
    } else {
        crate::db::connect_existing(url, &metrics, read_only).await
    }
}
