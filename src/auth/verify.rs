//! Verification (docs/openedx.md), as edx-drf-extensions 10.x's `jwt_decode_handler` does it:
//! RSA keys of a JWK set verify RS256 and RS512; of `JWT_ISSUERS` only the **first** entry
//! verifies (`get_first_jwt_issuer()`): its `SECRET_KEY` is the one HS256 key and `aud` must hold
//! its `AUDIENCE`, while `iss` must name the first entry or a later one (edx's
//! "matches-later-issuer": a later entry's `ISSUER` is accepted, never its secret or audience).
//! `exp` and `iat` are required, `nbf` is honoured, and a `version` above major 1 is refused.
//! tests/api/auth_differential.rs checks all of it against edx-drf-extensions' own decoder.

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
    /// `Some(i)`: the shorthand secret, checked against `issuers[i]` only; `None`: the first
    /// `TENANCY_JWT_ISSUERS` entry (or nothing when there is none).
    pub owner: Option<usize>,
}

/// Every key and rule from the configuration, built once at start-up.
pub struct Verifier {
    rsa: Vec<Key>,
    hmac: Vec<Key>,
    issuers: Vec<Issuer>,
    /// Whether `issuers[0]` is the first `TENANCY_JWT_ISSUERS` entry.
    listed: bool,
    /// The `ISSUER` of each later `TENANCY_JWT_ISSUERS` entry: accepted as `iss` on a token
    /// that the first entry's key and audience let in, and for nothing else.
    later_issuers: Vec<String>,
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
            listed: false,
            later_issuers: Vec::new(),
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
            let mut entries = issuers(&text.0)?.into_iter();
            if let Some((first, secret)) = entries.next() {
                if let Some(secret) = secret {
                    verifier.hmac.push(Key {
                        kid: None,
                        key: DecodingKey::from_secret(secret.as_bytes()),
                        owner: None,
                    });
                }
                verifier.issuers.push(first);
                verifier.listed = true;
            }
            verifier.later_issuers = entries.filter_map(|(later, _)| later.issuer).collect();
            if !verifier.later_issuers.is_empty() {
                tracing::info!(
                    later = verifier.later_issuers.len(),
                    "TENANCY_JWT_ISSUERS: only the first entry's SECRET_KEY and AUDIENCE verify \
                     tokens; later entries count only as an accepted iss (as edx-drf-extensions)"
                );
            }
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
        // The shorthand secret's token: the shorthand's own iss/aud. Any other (an RSA token,
        // or one of the first listed entry's secret): the first listed entry's, else the
        // shorthand's when there is one, else none.
        let (issuer, also): (&Issuer, &[String]) = match owner {
            Some(i) => match self.issuers.get(i) {
                Some(issuer) => (issuer, &[]),
                None => return Ok(()),
            },
            None => match self.issuers.first() {
                Some(first) if self.listed => (first, &self.later_issuers),
                Some(shorthand) => (shorthand, &[]),
                None => return Ok(()),
            },
        };
        self.check_issuer(payload, issuer, also)
    }

    /// `iss` must equal the issuer's (when it sets one) or one of `also`, and `aud` must hold
    /// the issuer's audience.
    fn check_issuer(
        &self,
        payload: &Map<String, Value>,
        issuer: &Issuer,
        also: &[String],
    ) -> Result<(), Refusal> {
        let iss = payload.get("iss").and_then(Value::as_str);
        if let Some(expected) = &issuer.issuer
            && iss != Some(expected.as_str())
            && !iss.is_some_and(|iss| also.iter().any(|later| later == iss))
        {
            return Err("wrong issuer");
        }
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
    fn only_the_first_listed_issuer_verifies() {
        let (secret_a, secret_b) = ("a".repeat(32), "b".repeat(32));
        let issuers = json!([
            {"ISSUER": "https://a.test", "AUDIENCE": "aud-a", "SECRET_KEY": secret_a},
            {"issuer": "https://b.test", "audience": "aud-b", "secret_key": secret_b},
        ]);
        let config = Config {
            jwt_issuers: Some(crate::config::Secret(issuers.to_string())),
            ..Config::for_database("sqlite::memory:")
        };
        let verifier = Verifier::from_config(&config).unwrap_or_else(|e| panic!("{e}"));
        let now = 1_000_000;
        let token = |secret: &str, iss: &str, aud: &str| {
            let claims = crate::auth::Claims {
                preferred_username: Some("ada".into()),
                iat: Some(now),
                exp: now + 60,
                iss: Some(iss.into()),
                aud: Some(json!(aud)),
                ..Default::default()
            };
            crate::auth::mint(secret, &claims).unwrap_or_else(|e| panic!("{}", e.message()))
        };
        let verdict = |t: String| verifier.verify(&t, now).map(|_| ());
        assert_eq!(verdict(token(&secret_a, "https://a.test", "aud-a")), Ok(()));
        // A later entry's iss on a token the first entry's key and audience let in: as edx.
        assert_eq!(verdict(token(&secret_a, "https://b.test", "aud-a")), Ok(()));
        for (secret, iss, aud, why) in [
            (&secret_b, "https://a.test", "aud-a", "bad signature"),
            (&secret_b, "https://b.test", "aud-b", "bad signature"),
            (&secret_a, "https://b.test", "aud-b", "wrong audience"),
            (&secret_a, "https://a.test", "aud-b", "wrong audience"),
            (&secret_a, "https://c.test", "aud-a", "wrong issuer"),
        ] {
            assert_eq!(verdict(token(secret, iss, aud)), Err(why), "{iss} {aud}");
        }
    }

    #[test]
    fn a_later_issuers_short_secret_is_never_used_so_never_refused() {
        let issuers = json!([
            {"ISSUER": "https://a.test", "SECRET_KEY": "a".repeat(32)},
            {"ISSUER": "https://b.test", "SECRET_KEY": "short"},
        ]);
        let config = Config {
            jwt_issuers: Some(crate::config::Secret(issuers.to_string())),
            ..Config::for_database("sqlite::memory:")
        };
        assert!(Verifier::from_config(&config).is_ok());
        let first_short = json!([{"ISSUER": "https://a.test", "SECRET_KEY": "short"}]);
        let config = Config {
            jwt_issuers: Some(crate::config::Secret(first_short.to_string())),
            ..Config::for_database("sqlite::memory:")
        };
        assert!(Verifier::from_config(&config).is_err());
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
