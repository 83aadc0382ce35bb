//! An edx-organizations REST API as a source (`--organizations-api URL --token T`), when the
//! LMS database is out of reach: every page of `GET .../organizations/`, following `next`.
//!
//! The token goes only to the origin (scheme, host, port) of the URL given: a `next` link or a
//! redirect elsewhere stops the import, and so does a `next` naming a page already read (a
//! page that links to itself, or pages that link in a circle, would be fetched forever).

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

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
    // Redirects are followed within one origin only: a page that sends the client elsewhere
    // gets the redirect itself as its answer (and `organizations` refuses it).
    let same_origin = reqwest::redirect::Policy::custom(|attempt| {
        let from = attempt.previous().first().map(Url::origin);
        if attempt.previous().len() > 10 || from != Some(attempt.url().origin()) {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let mut builder = reqwest::Client::builder()
        .redirect(same_origin)
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
    let first = format!(
        "{}?page_size=100",
        url.trim_end_matches('/').to_owned() + "/"
    );
    let first = Url::parse(&first).map_err(|e| failed(format!("{url}: not a URL: {e}")))?;
    let mut pages = Pages::new(&first);
    let mut out = Vec::new();
    let mut next = Some(first);
    while let Some(page_url) = next {
        let response = client
            .get(page_url.clone())
            .header("authorization", &authorization)
            .send()
            .await
            .map_err(|e| failed(format!("{page_url}: {}", chain(&e))))?;
        if response.status().is_redirection() {
            let to = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or("");
            return Err(failed(format!(
                "{page_url} redirects to {to:?}, off {}: the token is sent only there",
                pages.origin
            )));
        }
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
        next = match page.next {
            Some(link) => Some(pages.next(&page_url, &link)?),
            None => None,
        };
    }
    Ok(out)
}

/// The pages read so far, and the one origin the token may go to.
struct Pages {
    origin: String,
    scheme_host_port: url::Origin,
    read: HashSet<String>,
}

impl Pages {
    fn new(first: &Url) -> Self {
        Pages {
            origin: first.origin().ascii_serialization(),
            scheme_host_port: first.origin(),
            read: HashSet::from([page_key(first)]),
        }
    }

    /// The page a `next` link of `page` names, when it is on the origin and not read yet.
    fn next(&mut self, page: &Url, link: &str) -> AppResult<Url> {
        let next = page
            .join(link)
            .map_err(|e| failed(format!("{page}: its next link {link:?} is no URL: {e}")))?;
        if next.origin() != self.scheme_host_port {
            return Err(failed(format!(
                "{page}: its next link {next} leaves {}: not followed (the token is sent only \
                 to the origin given)",
                self.origin
            )));
        }
        if !self.read.insert(page_key(&next)) {
            return Err(failed(format!(
                "{page}: its next link {next} names a page already read: the API's pages \
                 loop, so the import stops"
            )));
        }
        Ok(next)
    }
}

/// A page's identity: the URL without its fragment, query parameters in a fixed order.
fn page_key(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let mut key = url.clone();
    key.set_fragment(None);
    key.set_query(None);
    if !pairs.is_empty() {
        key.query_pairs_mut().extend_pairs(pairs);
    }
    key.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn next_links_stay_on_the_origin_and_never_repeat() {
        let first = url("https://lms.test/api/organizations/v0/organizations/?page_size=100");
        let mut pages = Pages::new(&first);
        let two = pages.next(
            &first,
            "https://lms.test/api/organizations/v0/organizations/?page=2&page_size=100",
        );
        assert!(two.is_ok(), "{two:?}");
        let relative = pages.next(&first, "?page_size=100&page=3");
        assert!(relative.is_ok(), "{relative:?}");
        for (link, why) in [
            (
                "https://evil.test/api/organizations/v0/organizations/?page=4",
                "leaves",
            ),
            (
                "http://lms.test/api/organizations/v0/organizations/?page=4",
                "leaves",
            ),
            (
                "https://lms.test:8443/api/organizations/v0/organizations/?page=4",
                "leaves",
            ),
            (
                "https://lms.test/api/organizations/v0/organizations/?page_size=100",
                "already read",
            ),
            (
                "https://lms.test/api/organizations/v0/organizations/?page_size=100&page=2#x",
                "already read",
            ),
        ] {
            let refused = pages.next(&first, link).map(|u| u.to_string());
            let message = refused.err().map(|e| e.for_operator()).unwrap_or_default();
            assert!(message.contains(why), "{link}: {message}");
        }
    }
}
