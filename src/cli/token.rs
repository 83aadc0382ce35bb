//! The `token` verb: mints the tokens an Open edX LMS would issue, for local use and tests.
//! HS256 with TENANCY_JWT_SECRET, else the first TENANCY_JWT_ISSUERS secret, else the local
//! secret `serve` made beside the SQLite database (`auth::local`); RS512 with `--private-jwk`.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use crate::auth::{Claims, claims::parse_filter};
use crate::config::{DATABASE_URL_ENV, Secret, default_database_url, parse_database_url};

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
    #[arg(long, default_value_t = 3600, value_parser = super::usage::positive)]
    ttl: u64,
    /// With no token setting: the database whose local secret (`tenancy.secret` beside a
    /// SQLite file, made by `serve`) signs the token; give the value `serve` was given. From
    /// TENANCY_DATABASE_URL, else DATABASE_URL, as every verb reads it.
    #[arg(long, env = DATABASE_URL_ENV, default_value_t = default_database_url(), value_parser = parse_database_url, hide_default_value = true, hide_env_values = true)]
    database_url: String,
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
    let configured = args
        .jwt_secret
        .as_ref()
        .map(|s| s.0.clone())
        .or_else(|| first_issuer_field(issuers, "SECRET_KEY"));
    let secret = match configured {
        Some(secret) => secret,
        None if args.jwt_secret.is_some() || issuers.is_some() => anyhow::bail!(
            "no key to sign with: the first TENANCY_JWT_ISSUERS entry has no SECRET_KEY; hint: \
             sign as the LMS does with --private-jwk FILE, or set TENANCY_JWT_SECRET"
        ),
        None => local_secret(&args.database_url)?,
    };
    if secret.len() < crate::auth::verify::MIN_SECRET_BYTES {
        anyhow::bail!(
            "TENANCY_JWT_SECRET is {} bytes: expected 32 bytes or more; hint: the service \
             refuses shorter secrets too, for example `openssl rand -hex 32`",
            secret.len()
        );
    }
    crate::auth::mint(&secret, &claims).map_err(|e| anyhow::anyhow!(e.message()))
}

/// The local secret of the database (`serve` makes it on SQLite when no token setting is
/// given), or an error saying where it was looked for and what to do instead.
fn local_secret(database_url: &str) -> anyhow::Result<String> {
    if let Some(local) = crate::auth::local::for_token(database_url)? {
        return Ok(local.secret);
    }
    let place = match crate::auth::local::path(database_url) {
        Some(path) => format!(
            "no local secret at {} (`serve` makes it there at its first start on this \
             database when no token setting is given)",
            path.display()
        ),
        None => format!(
            "{} keeps no local secret (only a SQLite file does)",
            crate::db::open::display(database_url)
        ),
    };
    anyhow::bail!(
        "no key to sign with: no TENANCY_JWT_SECRET, no TENANCY_JWT_ISSUERS and {place}; hint: \
         start `serve` once with the same --database-url, or set TENANCY_JWT_SECRET (32 bytes or \
         more) for both, or pass --private-jwk FILE"
    )
}
