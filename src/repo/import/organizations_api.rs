//! An edx-organizations REST API as a source (`--organizations-api URL --token T`), when the
//! LMS database is out of reach: every page of `GET .../organizations/`, following `next`.

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

fn failed(e: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("reading the organizations API: {e}"))
}

/// `url` is the list (`https://lms/api/organizations/v0/organizations/`); `token` a JWT (sent
/// as `JWT <token>`) or a whole scheme and token (`Bearer abc`).
pub async fn organizations(url: &str, token: &str) -> AppResult<Vec<SourceOrg>> {
    let client = reqwest::Client::new();
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
            .map_err(failed)?;
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
