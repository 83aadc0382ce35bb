//! Tokens with any claims, signed HS256 with the test secret or RS512 with the example key.

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::SECRET;

/// The example private JWK (tests/data/jwk), as the LMS's `JWT_PRIVATE_SIGNING_JWK`.
pub const PRIVATE_JWK: &str = include_str!("../../data/jwk/example-private.json");
/// Its public JWK set, as the LMS's `JWT_PUBLIC_SIGNING_JWK_SET`.
pub const PUBLIC_JWK_SET: &str = include_str!("../../data/jwk/example-public-set.json");

pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// An Open edX-shaped payload for `username`, valid for an hour, with `changes` applied
/// (a `null` removes the claim).
pub fn claims(username: &str, changes: Value) -> Value {
    let mut claims = json!({
        "preferred_username": username,
        "sub": format!("hash-of-{username}"),
        "iat": now(),
        "exp": now() + 3600,
        "version": "1.2.0",
        "scopes": ["user_id", "email", "profile"],
        "filters": ["user:me"],
    });
    if let (Some(map), Some(changes)) = (claims.as_object_mut(), changes.as_object()) {
        for (name, value) in changes {
            if value.is_null() {
                map.remove(name);
            } else {
                map.insert(name.clone(), value.clone());
            }
        }
    }
    claims
}

/// HS256 with the test services' secret.
pub fn hs256(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// RS512 with the example key, as the LMS signs.
pub fn rs512(claims: &Value) -> String {
    tenancy_gateway::auth::mint_rs512(PRIVATE_JWK, claims).unwrap()
}

/// The two LMS cookies carrying `token`.
pub fn jwt_cookies(token: &str) -> String {
    let (header_payload, signature) = token.rsplit_once('.').unwrap();
    format!("edx-jwt-cookie-header-payload={header_payload}; edx-jwt-cookie-signature={signature}")
}
