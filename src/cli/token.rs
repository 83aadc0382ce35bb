//! The `token` verb: mints the tokens an Open edX LMS would issue, for local use and tests.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use crate::auth::{Claims, claims::parse_filter};
use crate::config::Secret;

/// Open edX's current token version (`JWT_SUPPORTED_VERSION`).
const VERSION: &str = "1.2.0";

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The caller's username (`preferred_username`, what grants name); not empty.
    #[arg(long, value_parser = non_empty)]
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
    /// `iss`; by default the first TENANCY_JWT_ISSUERS issuer.
    #[arg(long, env = "TENANCY_JWT_ISSUER")]
    issuer: Option<String>,
    /// `aud`; by default the first TENANCY_JWT_ISSUERS audience.
    #[arg(long, env = "TENANCY_JWT_AUDIENCE")]
    audience: Option<String>,
    /// The HS256 secret the service verifies with (at least 32 bytes).
    #[arg(long, env = "TENANCY_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<Secret>,
    /// The LMS's `JWT_ISSUERS` JSON list: the first entry's secret, issuer and audience.
    #[arg(long, env = "TENANCY_JWT_ISSUERS", hide_env_values = true)]
    jwt_issuers: Option<Secret>,
    /// Sign RS512 with this private RSA JWK file (as the LMS's JWT_PRIVATE_SIGNING_JWK), its
    /// `kid` in the header, instead of HS256 with the secret.
    #[arg(long, value_name = "FILE")]
    private_jwk: Option<PathBuf>,
    /// Lifetime in seconds (1 or more).
    #[arg(long, default_value_t = 3600, value_parser = super::errors::positive)]
    ttl: u64,
}

fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err("expected a username such as ada; an empty subject names nobody".to_owned());
    }
    Ok(text.to_owned())
}

/// The first TENANCY_JWT_ISSUERS entry's field `name` (any case).
fn first_issuer_field(issuers: Option<&Secret>, name: &str) -> Option<String> {
    let list: Vec<serde_json::Map<String, Value>> = serde_json::from_str(&issuers?.0).ok()?;
    list.first()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str().map(str::to_owned))
}

pub fn mint(args: TokenArgs) -> anyhow::Result<String> {
    if let Some(bad) = args.filters.iter().find(|f| parse_filter(f).is_none()) {
        anyhow::bail!(
            "--filter {bad:?} is not valid: expected type:value; hint: for example --filter content_org:MITx"
        );
    }
    let issuers = args.jwt_issuers.as_ref();
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let iss = args
        .issuer
        .or_else(|| first_issuer_field(issuers, "ISSUER"));
    let aud = args
        .audience
        .or_else(|| first_issuer_field(issuers, "AUDIENCE"));
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
    let secret = args
        .jwt_secret
        .as_ref()
        .map(|s| s.0.clone())
        .or_else(|| first_issuer_field(issuers, "SECRET_KEY"))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no key to sign with; hint: set TENANCY_JWT_SECRET (32 bytes or more, the \
                 service's own), or TENANCY_JWT_ISSUERS with a SECRET_KEY, or pass --private-jwk FILE"
            )
        })?;
    if secret.len() < crate::auth::verify::MIN_SECRET_BYTES {
        anyhow::bail!(
            "TENANCY_JWT_SECRET is {} bytes: expected 32 bytes or more; hint: the service \
             refuses shorter secrets too, for example `openssl rand -hex 32`",
            secret.len()
        );
    }
    crate::auth::mint(&secret, &claims).map_err(|e| anyhow::anyhow!(e.message()))
}
