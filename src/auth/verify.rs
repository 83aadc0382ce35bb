//! Verification (DESIGN section 8.2), as edx-drf-extensions' `jwt_decode_handler` does it:
//! RSA keys of a JWK set verify RS256 and RS512, each issuer's `SECRET_KEY` verifies HS256,
//! `exp` and `iat` are required, `nbf` is honoured, `iss` must name a configured issuer and `aud`
//! must hold its audience, and a `version` above major 1 is refused.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

use super::settings::{issuers, rsa_keys};
use serde_json::{Map, Value};

use crate::config::Config;

/// Shortest HS256 secret accepted at start-up.
pub const MIN_SECRET_BYTES: usize = 32;

/// One trusted issuer: tokens naming it in `iss` must carry its audience.
#[derive(Clone, Debug)]
pub struct Issuer {
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// A key and which issuers' rules apply to the tokens it verifies.
pub struct Key {
    pub kid: Option<String>,
    pub key: DecodingKey,
    /// `Some(i)`: the shorthand secret, checked against `issuers[i]` only; `None`: the
    /// `TENANCY_JWT_ISSUERS` list (or nothing when there is none).
    pub owner: Option<usize>,
}

/// Every key and rule from the configuration, built once at start-up.
pub struct Verifier {
    rsa: Vec<Key>,
    hmac: Vec<Key>,
    issuers: Vec<Issuer>,
    /// How many leading `issuers` come from `TENANCY_JWT_ISSUERS`.
    listed: usize,
    verify_audience: bool,
    leeway: u64,
}

/// Why a token was refused (for logs and messages; never the token itself).
pub type Refusal = &'static str;

impl Verifier {
    /// A verifier that refuses every token.
    pub fn refuse_all() -> Verifier {
        Verifier {
            rsa: Vec::new(),
            hmac: Vec::new(),
            issuers: Vec::new(),
            listed: 0,
            verify_audience: true,
            leeway: 0,
        }
    }

    /// Reads the token settings; a bad one is a start-up error naming its variable.
    pub fn from_config(config: &Config) -> anyhow::Result<Verifier> {
        let mut verifier = Verifier {
            verify_audience: config.jwt_verify_audience,
            leeway: config.jwt_leeway.as_secs(),
            ..Verifier::refuse_all()
        };
        if let Some(text) = &config.jwt_public_signing_jwk_set {
            verifier.rsa = rsa_keys(text)?;
        }
        if let Some(text) = &config.jwt_issuers {
            for (issuer, secret) in issuers(&text.0)? {
                if let Some(secret) = secret {
                    verifier.hmac.push(Key {
                        kid: None,
                        key: DecodingKey::from_secret(secret.as_bytes()),
                        owner: None,
                    });
                }
                verifier.issuers.push(issuer);
            }
            verifier.listed = verifier.issuers.len();
        }
        if let Some(secret) = &config.jwt_secret {
            if secret.0.len() < MIN_SECRET_BYTES {
                anyhow::bail!(
                    "TENANCY_JWT_SECRET is empty or shorter than {MIN_SECRET_BYTES} bytes: set a long random secret (or unset it)"
                );
            }
            verifier.hmac.push(Key {
                kid: None,
                key: DecodingKey::from_secret(secret.0.as_bytes()),
                owner: Some(verifier.issuers.len()),
            });
            verifier.issuers.push(Issuer {
                issuer: config.jwt_issuer.clone(),
                audience: config.jwt_audience.clone(),
            });
        }
        Ok(verifier)
    }

    /// Whether any key is configured.
    pub fn accepts_tokens(&self) -> bool {
        !self.rsa.is_empty() || !self.hmac.is_empty()
    }

    /// The verified payload of `token`.
    pub fn verify(&self, token: &str, now: u64) -> Result<Map<String, Value>, Refusal> {
        if !self.accepts_tokens() {
            return Err("this server accepts no tokens (no JWT settings)");
        }
        let header = decode_header(token).map_err(|_| "malformed")?;
        let keys: Vec<&Key> = match header.alg {
            Algorithm::HS256 => self.hmac.iter().collect(),
            Algorithm::RS256 | Algorithm::RS512 => {
                // The key named by `kid` first; then, like edx-drf-extensions, every other key.
                let kid = header.kid.as_deref();
                let (named, others): (Vec<&Key>, Vec<&Key>) = self
                    .rsa
                    .iter()
                    .partition(|k| kid.is_some() && k.kid.as_deref() == kid);
                named.into_iter().chain(others).collect()
            }
            _ => return Err("algorithm not accepted (HS256, RS256 or RS512)"),
        };
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let (payload, key) = keys
            .into_iter()
            .find_map(|key| {
                decode::<Map<String, Value>>(token, &key.key, &validation)
                    .ok()
                    .map(|data| (data.claims, key))
            })
            .ok_or("bad signature")?;
        self.check_claims(&payload, key.owner, now)?;
        Ok(payload)
    }

    /// Seconds of clock leeway (`TENANCY_JWT_LEEWAY`).
    pub fn leeway(&self) -> i64 {
        i64::try_from(self.leeway).unwrap_or(i64::MAX)
    }

    fn check_claims(
        &self,
        payload: &Map<String, Value>,
        owner: Option<usize>,
        now: u64,
    ) -> Result<(), Refusal> {
        let now = now as f64;
        let leeway = self.leeway as f64;
        let exp = number(payload, "exp")?.ok_or("missing exp")?;
        if exp <= now - leeway {
            return Err("expired");
        }
        let iat = number(payload, "iat")?.ok_or("missing iat")?;
        if iat > now + leeway {
            return Err("issued in the future (iat)");
        }
        if number(payload, "nbf")?.is_some_and(|nbf| nbf > now + leeway) {
            return Err("not yet valid (nbf)");
        }
        for claim in ["sub", "jti"] {
            if payload.get(claim).is_some_and(|v| !v.is_string()) {
                return Err("sub and jti must be strings");
            }
        }
        check_version(payload.get("version"))?;
        let rules: &[Issuer] = match owner {
            // The shorthand secret's token: the shorthand's own iss/aud.
            Some(i) => self.issuers.get(i..=i).unwrap_or_default(),
            None if self.listed > 0 => self.issuers.get(..self.listed).unwrap_or_default(),
            // An RSA token with no issuer list: the shorthand's iss/aud, when there is one.
            None => match self.issuers.get(..1) {
                Some(shorthand) if !shorthand.is_empty() => shorthand,
                _ => return Ok(()),
            },
        };
        self.check_issuer(payload, rules)
    }

    /// `iss` must equal one of `rules` (that set one) and `aud` must hold its audience.
    fn check_issuer(&self, payload: &Map<String, Value>, rules: &[Issuer]) -> Result<(), Refusal> {
        let iss = payload.get("iss").and_then(Value::as_str);
        let issuer = rules
            .iter()
            .find(|r| r.issuer.is_none() || r.issuer.as_deref() == iss)
            .ok_or("wrong issuer")?;
        match (&issuer.audience, self.verify_audience) {
            (Some(audience), true) => match payload.get("aud") {
                None => Err("missing aud"),
                Some(Value::String(aud)) if aud == audience => Ok(()),
                Some(Value::Array(auds))
                    if auds.iter().all(Value::is_string)
                        && auds.iter().any(|a| a.as_str() == Some(audience.as_str())) =>
                {
                    Ok(())
                }
                Some(_) => Err("wrong audience"),
            },
            _ => Ok(()),
        }
    }
}

/// A time claim as PyJWT reads it (`int(value)`: a number, truncated, or a string of digits),
/// or an error when present but not one.
fn number(payload: &Map<String, Value>, claim: &str) -> Result<Option<f64>, Refusal> {
    let bad = "malformed time claim";
    match payload.get(claim) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(|t| Some(t.trunc())).ok_or(bad),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(|t| Some(t as f64))
            .map_err(|_| bad),
        Some(_) => Err(bad),
    }
}

/// `version` (absent: 1.0.0) must be a semantic version whose major number is at most 1.
fn check_version(version: Option<&Value>) -> Result<(), Refusal> {
    let Some(version) = version else {
        return Ok(());
    };
    let text = version.as_str().ok_or("malformed version")?;
    let core = text.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return Err("malformed version");
    }
    match parts[0].parse::<u64>() {
        Ok(major) if major <= 1 => Ok(()),
        _ => Err("unsupported version (major above 1)"),
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_follow_semver_and_major_one() {
        for ok in [
            None,
            Some(json!("1.0.0")),
            Some(json!("1.2.0")),
            Some(json!("0.9.1-rc.1")),
        ] {
            assert!(check_version(ok.as_ref()).is_ok(), "{ok:?}");
        }
        for bad in [
            json!("2.0.0"),
            json!("1.9"),
            json!("1"),
            json!(1.2),
            json!("01.0.0"),
            json!("x.y.z"),
        ] {
            assert!(check_version(Some(&bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_secrets_stop_start_up() {
        for secret in ["", "short", &"x".repeat(31)] {
            let config = Config {
                jwt_secret: Some(crate::config::Secret(secret.to_owned())),
                ..Config::for_database("sqlite::memory:")
            };
            let err = Verifier::from_config(&config).err().map(|e| e.to_string());
            assert!(err.is_some_and(|e| e.contains("TENANCY_JWT_SECRET") && !e.contains('\n')));
        }
    }
}
