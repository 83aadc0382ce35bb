//! The `token` verb: mints the tokens an Open edX LMS would issue, for local use and tests.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use crate::auth::{Claims, claims::parse_filter};
use crate::config::Config;

/// Open edX's current token version (`JWT_SUPPORTED_VERSION`).
const VERSION: &str = "1.2.0";

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The caller's username (`preferred_username`, what grants name).
    #[arg(long)]
    subject: String,
    /// Grant the administrator claim (covers every operation).
    #[arg(long)]
    administrator: bool,
    /// A `filters` entry, `type:value` such as `content_org:MITx` or `user:me` (repeatable).
    #[arg(long = "filter")]
    filters: Vec<String>,
    /// A `scopes` entry (repeatable); the LMS's browser tokens carry user_id, email, profile.
    #[arg(long = "scope", default_values_t = ["user_id".to_owned(), "email".to_owned(), "profile".to_owned()])]
    scopes: Vec<String>,
    /// Mark the token `is_restricted` (read-only).
    #[arg(long)]
    restricted: bool,
    /// `iss`; by default TENANCY_JWT_ISSUER or the first TENANCY_JWT_ISSUERS issuer.
    #[arg(long)]
    issuer: Option<String>,
    /// `aud`; by default TENANCY_JWT_AUDIENCE or the first TENANCY_JWT_ISSUERS audience.
    #[arg(long)]
    audience: Option<String>,
    /// Sign RS512 with this private RSA JWK file (as the LMS's JWT_PRIVATE_SIGNING_JWK), its
    /// `kid` in the header, instead of HS256 with the secret.
    #[arg(long, value_name = "FILE")]
    private_jwk: Option<PathBuf>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl: u64,
}

/// The first TENANCY_JWT_ISSUERS entry's field `name` (any case).
fn first_issuer_field(config: &Config, name: &str) -> Option<String> {
    let list: Vec<serde_json::Map<String, Value>> =
        serde_json::from_str(&config.jwt_issuers.as_ref()?.0).ok()?;
    list.first()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str().map(str::to_owned))
}

pub fn mint(config: &Config, args: TokenArgs) -> anyhow::Result<String> {
    if let Some(bad) = args.filters.iter().find(|f| parse_filter(f).is_none()) {
        anyhow::bail!("--filter {bad:?} is not `type:value` (for example content_org:MITx)");
    }
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let iss = args
        .issuer
        .or_else(|| config.jwt_issuer.clone())
        .or_else(|| first_issuer_field(config, "ISSUER"));
    let aud = args
        .audience
        .or_else(|| config.jwt_audience.clone())
        .or_else(|| first_issuer_field(config, "AUDIENCE"));
    let claims = Claims {
        preferred_username: Some(args.subject),
        administrator: args.administrator,
        filters: args.filters,
        scopes: args.scopes,
        is_restricted: args.restricted,
        version: Some(VERSION.to_owned()),
        iat: Some(now),
        exp: now.saturating_add(args.ttl),
        iss,
        aud: aud.map(Value::String),
        ..Claims::default()
    };
    if let Some(path) = args.private_jwk {
        let jwk = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        return crate::auth::mint_rs512(&jwk, &claims);
    }
    let secret = config
        .jwt_secret
        .as_ref()
        .map(|s| s.0.clone())
        .or_else(|| first_issuer_field(config, "SECRET_KEY"))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "set TENANCY_JWT_SECRET (or TENANCY_JWT_ISSUERS with a SECRET_KEY), or pass --private-jwk FILE"
            )
        })?;
    if secret.len() < crate::auth::verify::MIN_SECRET_BYTES {
        anyhow::bail!("TENANCY_JWT_SECRET is empty or shorter than 32 bytes");
    }
    crate::auth::mint(&secret, &claims).map_err(|e| anyhow::anyhow!(e.message()))
}
