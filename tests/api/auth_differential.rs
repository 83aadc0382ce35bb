//! The differential test of docs/openedx.md: tokens made and judged by edx-drf-extensions
//! (tests/python/jwt_vectors.py, run by scripts/test.sh) must be accepted by the service exactly
//! when edx-drf-extensions' decoder accepts them, from the header and from the cookies alike.

use serde_json::{Value, json};
use tenancy_gateway::config::Secret;

use crate::support::{Backend, TestApp};

/// The vectors file, or `None` (skipped) outside CI when it is not set.
fn vectors() -> Option<Value> {
    let Ok(path) = std::env::var("TENANCY_TEST_JWT_VECTORS") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "TENANCY_TEST_JWT_VECTORS must be set in CI (scripts/test.sh generates the vectors)"
        );
        eprintln!(
            "skipped: TENANCY_TEST_JWT_VECTORS is not set (scripts/test.sh generates the vectors)"
        );
        return None;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Some(serde_json::from_str(&text).expect("vectors JSON"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_accepts_exactly_what_edx_drf_extensions_accepts() {
    let Some(doc) = vectors() else { return };
    let config = &doc["config"];
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.jwt_secret = None;
        c.jwt_public_signing_jwk_set = config["jwk_set"].as_str().map(str::to_owned);
        c.jwt_issuers = config["issuers"].as_str().map(|s| Secret(s.to_owned()));
        c.jwt_verify_audience = config["verify_audience"].as_bool().unwrap();
        c.jwt_leeway = std::time::Duration::from_secs(config["leeway_seconds"].as_u64().unwrap());
    })
    .await
    .unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 25, "too few vectors: {}", vectors.len());
    let mut disagreements = Vec::new();
    let mut accepted = 0;
    for vector in vectors {
        let name = vector["name"].as_str().unwrap();
        let token = vector["token"].as_str().unwrap();
        let expected = vector["accepted"].as_bool().unwrap();
        accepted += usize::from(expected);

        let header = format!("JWT {token}");
        let body = app
            .gql_with("{ viewer { subject authenticatedBy } }", json!({}), |r| {
                r.header("authorization", header)
            })
            .await;
        let by_header = body["data"]["viewer"]["subject"] == "ada";
        if by_header != expected || (!expected && body["errors"].is_null()) {
            disagreements.push(format!("header {name}: edx {expected}, service {body}"));
        }

        // The same token as the LMS's two cookies: refused ones leave the caller anonymous.
        let (header_payload, signature) = token.rsplit_once('.').unwrap_or((token, ""));
        let cookie = format!(
            "edx-jwt-cookie-header-payload={header_payload}; edx-jwt-cookie-signature={signature}"
        );
        let body = app
            .gql_with("{ viewer { subject authenticatedBy } }", json!({}), |r| {
                r.header("cookie", cookie)
            })
            .await;
        let viewer = &body["data"]["viewer"];
        let by_cookie = viewer["subject"] == "ada" && viewer["authenticatedBy"] == "COOKIE";
        let anonymous = viewer["subject"].is_null() && body["errors"].is_null();
        if by_cookie != expected || (!expected && !anonymous) {
            disagreements.push(format!("cookie {name}: edx {expected}, service {body}"));
        }
    }
    println!(
        "differential: {} vectors ({accepted} accepted by edx-drf-extensions), {} disagreements",
        vectors.len(),
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
