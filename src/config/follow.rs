//! Following the Open edX databases while serving (docs/adopting.md, `TENANCY_FOLLOW_*`).

use std::time::Duration;

use clap::Args;

use super::Secret;

/// The databases `serve` follows; none by default (following is off).
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct Follow {
    /// The LMS database to follow while serving (mysql://, postgres:// or sqlite:// URL, read
    /// only): imported once, then its organizations and course links are applied as they
    /// change. Several replicas on PostgreSQL: one follows at a time.
    #[arg(
        long = "follow-lms-database",
        env = "TENANCY_FOLLOW_LMS_DATABASE",
        global = true,
        hide_env_values = true
    )]
    pub lms_database: Option<Secret>,

    /// course-discovery's database to follow (partners and their organizations).
    #[arg(
        long = "follow-discovery-database",
        env = "TENANCY_FOLLOW_DISCOVERY_DATABASE",
        global = true,
        hide_env_values = true
    )]
    pub discovery_database: Option<Secret>,

    /// ecommerce's database to follow (partners and site configurations).
    #[arg(
        long = "follow-ecommerce-database",
        env = "TENANCY_FOLLOW_ECOMMERCE_DATABASE",
        global = true,
        hide_env_values = true
    )]
    pub ecommerce_database: Option<Secret>,

    /// The LMS's MEDIA_URL: organization logos are stored as paths under it.
    #[arg(
        long = "follow-lms-media-url",
        env = "TENANCY_FOLLOW_LMS_MEDIA_URL",
        global = true
    )]
    pub lms_media_url: Option<String>,

    /// How often the followed databases are read (`10s`, `500ms`, `1m`).
    #[arg(
        long = "follow-interval",
        env = "TENANCY_FOLLOW_INTERVAL",
        default_value = "10s",
        value_parser = parse_interval,
        global = true
    )]
    pub interval: Duration,
}

impl Default for Follow {
    fn default() -> Self {
        Follow {
            lms_database: None,
            discovery_database: None,
            ecommerce_database: None,
            lms_media_url: None,
            interval: Duration::from_secs(10),
        }
    }
}

impl Follow {
    /// Whether any database is followed.
    pub fn enabled(&self) -> bool {
        self.lms_database.is_some()
            || self.discovery_database.is_some()
            || self.ecommerce_database.is_some()
    }

    /// The service's settings of the follower.
    pub fn settings(&self) -> crate::service::follow::Settings {
        let url = |s: &Option<Secret>| s.as_ref().map(|s| s.0.clone());
        crate::service::follow::Settings {
            lms: url(&self.lms_database),
            discovery: url(&self.discovery_database),
            ecommerce: url(&self.ecommerce_database),
            media_url: self.lms_media_url.clone(),
        }
    }
}

/// A follow interval, read as every duration is (`super::parse_any_duration`: `10s`, `500ms`,
/// `1m 30s`, or seconds); at least 10 ms.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = super::parse_any_duration(text)?;
    if interval < Duration::from_millis(10) {
        return Err(format!(
            "{text:?}: the follow interval must be at least 10ms"
        ));
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_as_humantime_and_refuse_zero() {
        assert_eq!(parse_interval("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_interval("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_interval("1m 30s"), Ok(Duration::from_secs(90)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
