//! Reading the token settings: the JWK set's RSA keys and the `JWT_ISSUERS` list. A bad
//! setting is a start-up error that names its variable.

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use serde_json::{Map, Value};

use super::verify::{Issuer, Key, MIN_SECRET_BYTES};

/// The RSA keys of a JWK set (other key types are ignored, as edx-drf-extensions ignores them).
pub fn rsa_keys(text: &str) -> anyhow::Result<Vec<Key>> {
    let set: JwkSet = serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "TENANCY_JWT_PUBLIC_SIGNING_JWK_SET is not a JWK set ({{\"keys\": [...]}}): {e}"
        )
    })?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        if let AlgorithmParameters::RSA(rsa) = &jwk.algorithm {
            let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).map_err(|e| {
                anyhow::anyhow!("TENANCY_JWT_PUBLIC_SIGNING_JWK_SET holds a bad RSA key: {e}")
            })?;
            keys.push(Key {
                kid: jwk.common.key_id.clone(),
                key,
                owner: None,
            });
        }
    }
    if keys.is_empty() {
        anyhow::bail!("TENANCY_JWT_PUBLIC_SIGNING_JWK_SET holds no RSA key");
    }
    Ok(keys)
}

/// `JWT_ISSUERS` entries: ISSUER (required), AUDIENCE and SECRET_KEY, names in any case. Only
/// the first entry's SECRET_KEY is ever used (`verify`), so only it must be long enough.
pub fn issuers(text: &str) -> anyhow::Result<Vec<(Issuer, Option<String>)>> {
    let bad = |why: &str| anyhow::anyhow!("TENANCY_JWT_ISSUERS: {why}");
    let list: Vec<Map<String, Value>> = serde_json::from_str(text).map_err(|_| {
        bad("not a JSON list of {\"ISSUER\", \"AUDIENCE\", \"SECRET_KEY\"} objects")
    })?;
    let mut out = Vec::new();
    for entry in list {
        let field = |name: &str| -> anyhow::Result<Option<String>> {
            match entry.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                None | Some((_, Value::Null)) => Ok(None),
                Some((_, Value::String(s))) => Ok(Some(s.clone())),
                Some(_) => Err(bad(&format!("{name} must be a string"))),
            }
        };
        let issuer = field("ISSUER")?.ok_or_else(|| bad("every entry needs an ISSUER"))?;
        let secret = field("SECRET_KEY")?;
        if out.is_empty() && secret.as_ref().is_some_and(|s| s.len() < MIN_SECRET_BYTES) {
            return Err(bad(&format!(
                "the first entry's SECRET_KEY is empty or shorter than {MIN_SECRET_BYTES} bytes"
            )));
        }
        out.push((
            Issuer {
                issuer: Some(issuer),
                audience: field("AUDIENCE")?,
            },
            secret,
        ));
    }
    Ok(out)
}
