//! Minting Open edX-shaped tokens (the `token` verb and tests): HS256 from a secret, or RS512
//! from a private JWK as the LMS signs with `JWT_PRIVATE_SIGNING_JWK`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::AppError;

/// The claims the LMS puts in a token (and `administrator`, this service's own).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Claims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub administrator: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_restricted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// A string or a list of strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Value>,
}

/// Mints an HS256 token.
pub fn mint(secret: &str, claims: &Claims) -> Result<String, AppError> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(AppError::internal)
}

/// Mints an RS512 token with a private RSA JWK (its `kid` goes in the header).
pub fn mint_rs512<T: Serialize>(private_jwk: &str, claims: &T) -> anyhow::Result<String> {
    let jwk: serde_json::Map<String, Value> = serde_json::from_str(private_jwk)
        .map_err(|_| anyhow::anyhow!("the private JWK is not a JSON object"))?;
    if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
        anyhow::bail!("the private JWK is not an RSA key (kty RSA)");
    }
    let mut fields = Vec::new();
    for name in ["n", "e", "d", "p", "q", "dp", "dq", "qi"] {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow::anyhow!("the private JWK has no {name:?}"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| anyhow::anyhow!("the private JWK's {name:?} is not base64url"))?;
        fields.push(bytes);
    }
    let mut header = Header::new(Algorithm::RS512);
    header.kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
    let key = EncodingKey::from_rsa_der(&pkcs1_der(&fields));
    Ok(encode(&header, claims, &key)?)
}

/// A PKCS#1 `RSAPrivateKey` (version 0, then n e d p q dp dq qi) in DER.
fn pkcs1_der(fields: &[Vec<u8>]) -> Vec<u8> {
    let mut body = der(0x02, &[0]);
    for field in fields {
        let trimmed: Vec<u8> = field.iter().copied().skip_while(|b| *b == 0).collect();
        let mut unsigned = trimmed;
        if unsigned.first().is_none_or(|b| b & 0x80 != 0) {
            unsigned.insert(0, 0);
        }
        body.extend(der(0x02, &unsigned));
    }
    der(0x30, &body)
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}
