//! An edx-organizations REST API as a source (`--organizations-api URL --token T`), when the
//! LMS database is out of reach: every page of `GET .../organizations/`, following `next`.

use std::time::Duration;

use serde::Deserialize;

use crate::domain::import::SourceOrg;
use crate::error::{AppError, AppResult};

#[derive(Deserialize)]
struct Page {
    next: Option<String>,
    results: Vec<Organization>,
}

#[derive(Deserialize)]
struct Organization {
    short_name: String,
    name: String,
    description: Option<String>,
    logo: Option<String>,
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

/// reqwest's error and its causes ("error sending request" alone names no certificate problem).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

fn failed(e: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("reading the organizations API: {e}"))
}

/// An HTTP client for `http://` and `https://` APIs: the system's roots, plus `ca_pem` (a PEM
/// bundle, for an LMS behind a private CA or a self-signed certificate).
pub fn client(ca_pem: Option<&[u8]>) -> AppResult<reqwest::Client> {
    // reqwest is built without a crypto provider of its own; ring is the one sqlx already links.
    // Installing fails only when one is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120));
    if let Some(pem) = ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| failed(format!("the CA bundle is not PEM certificates: {e}")))?;
        if certs.is_empty() {
            return Err(failed("the CA bundle holds no certificate"));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(failed)
}

/// `url` is the list (`https://lms/api/organizations/v0/organizations/`); `token` a JWT (sent
/// as `JWT <token>`) or a whole scheme and token (`Bearer abc`).
pub async fn organizations(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> AppResult<Vec<SourceOrg>> {
    let authorization = if token.contains(' ') {
        token.to_owned()
    } else {
        format!("JWT {token}")
    };
    let mut out = Vec::new();
    let mut next = Some(format!(
        "{}?page_size=100",
        url.trim_end_matches('/').to_owned() + "/"
    ));
    while let Some(page_url) = next {
        let response = client
            .get(&page_url)
            .header("authorization", &authorization)
            .send()
            .await
            .map_err(|e| failed(format!("{page_url}: {}", chain(&e))))?;
        if !response.status().is_success() {
            return Err(failed(format!("{page_url} answered {}", response.status())));
        }
        let page: Page = response.json().await.map_err(failed)?;
        out.extend(page.results.into_iter().map(|o| SourceOrg {
            short_name: o.short_name,
            name: o.name,
            description: o.description,
            logo: o.logo.filter(|l| !l.is_empty()),
            active: o.active,
        }));
        next = page.next;
    }
    Ok(out)
}
