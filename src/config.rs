//! Typed configuration from flags and environment variables, with defaults that run.

use std::fmt;
use std::time::Duration;

use clap::Args;

mod cidr;
mod follow;
mod limits;
mod public_url;

pub use cidr::Cidr;
pub use follow::{Follow, parse_interval};
pub use limits::Limits;
pub use public_url::PublicUrl;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tenancy.db?mode=rwc";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8000";

/// The database URL's variable; `DATABASE_URL` (the conventional name) is read when it is
/// unset or empty, so that a setting of our own prefix wins over a generic one (an image's
/// default, a platform's).
pub const DATABASE_URL_ENV: &str = "TENANCY_DATABASE_URL";

/// The database URL when neither `--database-url` nor `TENANCY_DATABASE_URL` is given:
/// `DATABASE_URL`, else the embedded default.
pub fn default_database_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

/// `--database-url` / `TENANCY_DATABASE_URL`: empty counts as unset (a rendered env file's
/// `TENANCY_DATABASE_URL=`), so `DATABASE_URL` or the default applies.
pub fn parse_database_url(text: &str) -> Result<String, String> {
    Ok(if text.is_empty() {
        default_database_url()
    } else {
        text.to_owned()
    })
}

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
    /// Whether `serve` migrates the database at start (`--no-migrate` / `TENANCY_MIGRATE=false`
    /// leave it to the `migrate` verb).
    #[arg(skip = true)]
    pub migrate: bool,

    /// Database URL: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://...`. From
    /// TENANCY_DATABASE_URL, else DATABASE_URL, else `sqlite://tenancy.db?mode=rwc`.
    #[arg(long, env = DATABASE_URL_ENV, default_value_t = default_database_url(), value_parser = parse_database_url, hide_default_value = true, global = true, hide_env_values = true)]
    pub database_url: String,

    /// PostgreSQL streaming replicas that queries may read from (comma-separated URLs).
    /// Mutations and subscriptions use `DATABASE_URL`.
    #[arg(
        long,
        env = "TENANCY_DATABASE_REPLICA_URLS",
        value_delimiter = ',',
        global = true,
        hide_env_values = true
    )]
    pub database_replica_urls: Vec<String>,

    /// A replica whose replay is further behind the primary than this is not read from.
    #[arg(long, env = "TENANCY_REPLICA_MAX_LAG", default_value = "1s", value_parser = parse_leeway, global = true)]
    pub replica_max_lag: Duration,

    /// Auto-create mode (true): ensuring or linking an unknown organization creates it.
    /// Validate mode (false): it fails with ORGANIZATION_NOT_FOUND and writes nothing.
    #[arg(
        long,
        env = "TENANCY_ORGANIZATIONS_AUTOCREATE",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
        global = true
    )]
    pub organizations_autocreate: bool,

    /// Shorthand for one HS256 issuer (local use): at least 32 bytes. With no token setting at
    /// all, `serve` on a SQLite file makes a local secret once (`tenancy.secret` beside the
    /// database, owner-only) that `token` finds; elsewhere every token is refused and only
    /// anonymous reads work.
    #[arg(
        long,
        env = "TENANCY_JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<Secret>,

    /// With TENANCY_JWT_SECRET: tokens it verifies must carry this `iss`.
    #[arg(long, env = "TENANCY_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,

    /// With TENANCY_JWT_SECRET: tokens it verifies must carry this `aud`.
    #[arg(long, env = "TENANCY_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,

    /// The LMS's public JWK set (`JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"]`): RSA keys that verify
    /// RS256 and RS512 tokens.
    #[arg(long, env = "TENANCY_JWT_PUBLIC_SIGNING_JWK_SET", global = true)]
    pub jwt_public_signing_jwk_set: Option<String>,

    /// The LMS's `JWT_AUTH["JWT_ISSUERS"]` as JSON: `[{"ISSUER": .., "AUDIENCE": .., "SECRET_KEY":
    /// ..}]`. As edx-drf-extensions reads it, only the first entry verifies: its SECRET_KEY signs
    /// HS256 and `aud` must hold its AUDIENCE; `iss` must name one of the entries.
    #[arg(
        long,
        env = "TENANCY_JWT_ISSUERS",
        global = true,
        hide_env_values = true
    )]
    pub jwt_issuers: Option<Secret>,

    /// Whether `aud` must hold the issuer's audience (`JWT_VERIFY_AUDIENCE`).
    #[arg(
        long,
        env = "TENANCY_JWT_VERIFY_AUDIENCE",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
        global = true
    )]
    pub jwt_verify_audience: bool,

    /// Clock leeway for `exp`, `iat` and `nbf` (`0s`, `1s`, `500ms`).
    #[arg(long, env = "TENANCY_JWT_LEEWAY", default_value = "1s", value_parser = parse_leeway, global = true)]
    pub jwt_leeway: Duration,

    /// The cookie holding `header.payload` of the micro-frontends' JWT.
    #[arg(
        long,
        env = "TENANCY_JWT_COOKIE_HEADER_PAYLOAD_NAME",
        default_value = "edx-jwt-cookie-header-payload",
        global = true
    )]
    pub jwt_cookie_header_payload_name: String,

    /// The cookie holding the signature of the micro-frontends' JWT.
    #[arg(
        long,
        env = "TENANCY_JWT_COOKIE_SIGNATURE_NAME",
        default_value = "edx-jwt-cookie-signature",
        global = true
    )]
    pub jwt_cookie_signature_name: String,

    /// Browser origins allowed to call the API with credentials (exact, comma-separated, like
    /// `CORS_ORIGIN_WHITELIST`); none by default.
    #[arg(
        long,
        env = "TENANCY_CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Reverse proxies (CIDRs, comma-separated: `10.0.0.0/8,::1/128`) whose forwarded headers
    /// are believed: behind them the client is the last address of `X-Forwarded-For` not itself
    /// in these ranges, `X-Forwarded-Host` (or `Forwarded: host=`) names the site and
    /// `X-Forwarded-Proto` (http or https) the scheme of written links. None by default: the
    /// client is the peer address and the site its `Host`.
    #[arg(
        long,
        env = "TENANCY_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<Cidr>,

    /// Where clients reach the service (`https://tenancy.example.com`, with a path prefix if a
    /// proxy adds one): the scheme, host and prefix of the links it writes (REST `next`).
    /// Unset: taken from trusted proxies' forwarded headers, else the request's `Host` and http.
    #[arg(long, env = "TENANCY_PUBLIC_URL", global = true)]
    pub public_url: Option<PublicUrl>,

    /// Serve `/metrics` on this address of its own (`127.0.0.1:9100`) instead of the API's.
    #[arg(long, env = "TENANCY_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<String>,

    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`.
    #[arg(
        long,
        env = "TENANCY_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub metrics_token: Option<Secret>,

    /// `max-age` (seconds) of anonymous query answers: `Cache-Control: public, max-age=N`.
    #[arg(
        long,
        env = "TENANCY_CACHE_MAX_AGE",
        default_value_t = 0,
        global = true
    )]
    pub cache_max_age: u32,

    #[command(flatten)]
    pub response_cache: ResponseCache,

    #[command(flatten)]
    pub limits: Limits,

    #[command(flatten)]
    pub follow: Follow,
}

/// Parses a duration as humantime writes them (`250ms`, `30s`, `2m`, `1h 30m`) or a bare number
/// of seconds; zero is refused (it would stop everything at once).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_any_duration(text)?;
    if duration.is_zero() {
        return Err("the time limit must be above zero".to_owned());
    }
    Ok(duration)
}

fn parse_any_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(text)
        .map_err(|err| format!("{text:?} is not a duration such as 500ms, 30s or 2m ({err})"))
}

/// A leeway: like `parse_duration`, but zero is allowed.
pub fn parse_leeway(text: &str) -> Result<Duration, String> {
    parse_any_duration(text)
}

/// A size in bytes: a number, or with a unit as bytesize reads them (`2MiB`, `512 KiB`, `1MB`).
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let bytes = match text.parse::<u64>() {
        Ok(n) => n,
        Err(_) => text
            .parse::<bytesize::ByteSize>()
            .map_err(|_| format!("{text:?} is not a size such as 2097152, 2MiB or 512KiB"))?
            .as_u64(),
    };
    if bytes == 0 {
        return Err("expected 1 byte or more (0 would refuse every request)".to_owned());
    }
    usize::try_from(bytes).map_err(|_| format!("{text:?} is too large"))
}

/// A count of 1 or more (`NonZeroUsize` refuses 0): a limit of zero would refuse every request.
pub fn at_least_one(text: &str) -> Result<usize, String> {
    use std::num::{IntErrorKind, NonZeroUsize};
    text.trim()
        .parse::<NonZeroUsize>()
        .map(NonZeroUsize::get)
        .map_err(|err| match err.kind() {
            IntErrorKind::Zero => "expected 1 or more (0 would refuse every request)".to_owned(),
            _ => "expected a whole number, 1 or more".to_owned(),
        })
}

impl Config {
    /// Defaults for a given database, as the CLI would build them with no flags.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Config {
            migrate: true,
            database_url: database_url.into(),
            database_replica_urls: Vec::new(),
            replica_max_lag: Duration::from_secs(1),
            organizations_autocreate: true,
            jwt_secret: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_public_signing_jwk_set: None,
            jwt_issuers: None,
            jwt_verify_audience: true,
            jwt_leeway: Duration::from_secs(1),
            jwt_cookie_header_payload_name: "edx-jwt-cookie-header-payload".to_owned(),
            jwt_cookie_signature_name: "edx-jwt-cookie-signature".to_owned(),
            cors_allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            public_url: None,
            metrics_listen: None,
            metrics_token: None,
            cache_max_age: 0,
            response_cache: ResponseCache::default(),
            limits: Limits::default(),
            follow: Follow::default(),
        }
    }
}

mod response_cache;
pub use response_cache::ResponseCache;

#[cfg(test)]
mod tests;
