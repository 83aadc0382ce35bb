//! Typed configuration from flags and environment variables, with defaults that run.

use std::fmt;
use std::time::Duration;

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
    /// Whether `serve` migrates the database at start (`--no-migrate` / `TENANCY_MIGRATE=false`
    /// leave it to the `migrate` verb).
    #[arg(skip = true)]
    pub migrate: bool,

    /// Database URL: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
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

    /// Shorthand for one HS256 issuer (local use): at least 32 bytes. With no token settings at
    /// all every token is refused and anonymous reads work.
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
    /// ..}]`. When set, every token's `iss` must be one of them and its `aud` that issuer's audience.
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

    /// Reverse proxies (CIDRs, comma-separated: `10.0.0.0/8,::1/128`) whose `X-Forwarded-For`
    /// is believed: behind them the client is the last address of that header not itself in
    /// these ranges. None by default: the client is the peer address.
    #[arg(
        long,
        env = "TENANCY_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<Cidr>,

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
}

/// An address range: `10.0.0.0/8`, `::1/128`, or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (addr, prefix) = text.split_once('/').unwrap_or((text, ""));
        let addr: std::net::IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an address range such as 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            max
        } else {
            prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?
        };
        Ok(Cidr { addr, prefix })
    }
}

/// Limits that stop hostile or runaway requests before they reach the database. The defaults
/// admit every query the API's own clients send (GraphiQL's introspection, the federation
/// router's `_entities` batches, the deepest nested read of the test suite) with room to spare.
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest field nesting a query may have (fragments count where they are spread).
    #[arg(long = "max-query-depth", env = "TENANCY_MAX_QUERY_DEPTH", default_value_t = Limits::DEFAULT.query_depth, global = true)]
    pub query_depth: usize,

    /// Most fields a request's document may select once fragments are expanded; every alias
    /// counts as a field of its own.
    #[arg(long = "max-query-complexity", env = "TENANCY_MAX_QUERY_COMPLEXITY", default_value_t = Limits::DEFAULT.query_complexity, global = true)]
    pub query_complexity: usize,

    /// Most operations in one batched (JSON array) POST.
    #[arg(long = "max-batch-size", env = "TENANCY_MAX_BATCH_SIZE", default_value_t = Limits::DEFAULT.batch_size, global = true)]
    pub batch_size: usize,

    /// Largest request body in bytes; larger ones are answered 413.
    #[arg(long = "max-body-bytes", env = "TENANCY_MAX_BODY_BYTES", default_value_t = Limits::DEFAULT.body_bytes, global = true)]
    pub body_bytes: usize,

    /// Time one GraphQL operation may run (`500ms`, `30s`, `2m`); past it, it is stopped and
    /// answered 504 with the code TIMEOUT.
    #[arg(
        long,
        env = "TENANCY_REQUEST_TIMEOUT",
        default_value = "30s",
        value_parser = parse_duration,
        global = true
    )]
    pub request_timeout: Duration,

    /// GraphQL requests one client (peer address) may have in flight; more are answered 429.
    /// Keeps one client from holding every database connection.
    #[arg(long = "max-inflight-per-client", env = "TENANCY_MAX_INFLIGHT_PER_CLIENT", default_value_t = Limits::DEFAULT.inflight_per_client, global = true)]
    pub inflight_per_client: usize,

    /// Queries executed at the same time; more wait (within the time limit) for a slot. 0, the
    /// default, means one per CPU core on SQLite and four per core on PostgreSQL. A large
    /// answer is built in memory before it is sent, so this bounds memory under load; queries
    /// use the CPU (SQLite runs in-process) or wait on the network (PostgreSQL), hence the
    /// two defaults. Mutations are not counted: one waiting for the write lock must not hold
    /// up readers.
    #[arg(long = "max-concurrent-queries", env = "TENANCY_MAX_CONCURRENT_QUERIES", default_value_t = Limits::DEFAULT.concurrent_queries, global = true)]
    pub concurrent_queries: usize,

    /// Most fields an answer could hold, counted before anything runs: each connection's
    /// `edges` count `first` times (100 without it), each `_entities` representation counts its
    /// selection again, aliases and fragments count where used.
    #[arg(long = "max-query-cost", env = "TENANCY_MAX_QUERY_COST", default_value_t = Limits::DEFAULT.query_cost, global = true)]
    pub query_cost: u64,

    /// Largest JSON answer to one operation, in bytes; a larger one is replaced by the error
    /// RESPONSE_TOO_LARGE (the answer is cut while it is written, never buffered in full).
    #[arg(long = "max-response-bytes", env = "TENANCY_MAX_RESPONSE_BYTES", default_value_t = Limits::DEFAULT.response_bytes, global = true)]
    pub response_bytes: usize,

    /// Time a client has to send a request's headers, counted from when the connection opens or
    /// its previous response ends: an idle keep-alive connection is closed after it as well.
    #[arg(long, env = "TENANCY_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration, global = true)]
    pub header_read_timeout: Duration,

    /// Time a client has to send a request's whole body; a slower one is answered 408 and
    /// its connection closed.
    #[arg(long, env = "TENANCY_BODY_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration, global = true)]
    pub body_read_timeout: Duration,

    /// Open HTTP connections at most (SSE streams included; a WebSocket leaves the count once
    /// upgraded); further clients wait in the listen backlog until one closes.
    #[arg(long = "max-connections", env = "TENANCY_MAX_CONNECTIONS", default_value_t = Limits::DEFAULT.connections, global = true)]
    pub connections: usize,

    /// How long a client over `--max-inflight-per-client` waits for one of its requests to end
    /// before it is answered 429.
    #[arg(long, env = "TENANCY_CLIENT_QUEUE_TIMEOUT", default_value = "5s", value_parser = parse_duration, global = true)]
    pub client_queue_timeout: Duration,

    /// Requests of one client that may wait in that queue; more are answered 429 at once.
    #[arg(long = "max-queued-per-client", env = "TENANCY_MAX_QUEUED_PER_CLIENT", default_value_t = Limits::DEFAULT.queued_per_client, global = true)]
    pub queued_per_client: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        query_depth: 16,
        query_complexity: 500,
        batch_size: 10,
        body_bytes: 2 * 1024 * 1024,
        request_timeout: Duration::from_secs(30),
        inflight_per_client: 6,
        concurrent_queries: 0,
        query_cost: 1_000_000,
        response_bytes: 64 * 1024 * 1024,
        header_read_timeout: Duration::from_secs(10),
        body_read_timeout: Duration::from_secs(10),
        connections: 4096,
        client_queue_timeout: Duration::from_secs(5),
        queued_per_client: 256,
    };

    /// `concurrent_queries` with 0 resolved for the engine of `database_url`.
    pub fn query_slots(&self, database_url: &str) -> usize {
        if self.concurrent_queries > 0 {
            return self.concurrent_queries;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if database_url.starts_with("sqlite:") {
            cores
        } else {
            4 * cores
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Parses `250ms`, `30s`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 500ms, 30s or 2m"))?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?} (use ms, s or m)"
            ));
        }
    };
    if duration.is_zero() {
        return Err("the time limit must be above zero".to_owned());
    }
    Ok(duration)
}

/// A leeway: like `parse_duration`, but zero is allowed.
pub fn parse_leeway(text: &str) -> Result<Duration, String> {
    if text
        .trim()
        .trim_end_matches(['s', 'm'])
        .trim_matches('0')
        .is_empty()
    {
        return Ok(Duration::ZERO);
    }
    parse_duration(text)
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
            metrics_listen: None,
            metrics_token: None,
            cache_max_age: 0,
            response_cache: ResponseCache::default(),
            limits: Limits::default(),
        }
    }
}

mod response_cache;
pub use response_cache::ResponseCache;

#[cfg(test)]
mod tests;
