//! `probe [URL]`: asks a running service whether it is ready, for a container's `HEALTHCHECK`
//! (the image has no curl). Exit 0 when the answer is a success (2xx), else 1 with one line
//! on stderr saying why: the status and the service's own reason, or why it could not be asked.

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

/// The readiness endpoint of a service on the image's default address.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8000/readyz";

/// The most of an answer's body the probe reads and repeats.
const BODY_LIMIT: usize = 4096;

/// `URL`: an absolute `http://` or `https://` URL.
pub fn parse_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.to_owned())
        }
        _ => Err(
            "expected an http:// or https:// URL such as http://127.0.0.1:8000/readyz".to_owned(),
        ),
    }
}

/// Asks `url` once, waiting at most `timeout` for the whole answer.
pub async fn run(url: &str, timeout: Duration) -> ExitCode {
    match ask(url, timeout).await {
        Ok(first_line) => {
            println!("{first_line}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("not ready: {why}");
            ExitCode::FAILURE
        }
    }
}

/// The first line of a successful answer, or why the service is not ready.
async fn ask(url: &str, timeout: Duration) -> Result<String, String> {
    // reqwest is built without a crypto provider of its own (for an https:// URL); ring is the
    // one sqlx already links. Installing fails only when one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {}", chain(&e)))?;
    let answer = client.get(url).send().await.map_err(|e| match e.source() {
        _ if e.is_timeout() => format!("{url} did not answer within {timeout:?}"),
        // reqwest's own message repeats the URL: its causes say what happened.
        Some(cause) => format!("{url} did not answer: {}", chain(cause)),
        None => format!("{url} did not answer: {e}"),
    })?;
    let status = answer.status();
    let body = match answer.bytes().await {
        Ok(body) => body,
        Err(e) if e.is_timeout() => {
            return Err(format!(
                "{url} did not finish its answer within {timeout:?}"
            ));
        }
        Err(_) => Default::default(),
    };
    let body = String::from_utf8_lossy(&body[..body.len().min(BODY_LIMIT)]);
    let first_line = body.lines().next().unwrap_or_default().trim().to_owned();
    if status.is_success() {
        Ok(first_line)
    } else if first_line.is_empty() {
        Err(format!("{url} answered {status}"))
    } else {
        Err(format!("{url} answered {status}: {first_line}"))
    }
}

/// An error and its causes on one line (reqwest's own says "error sending request" only).
fn chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            DEFAULT_URL,
            "https://tenancy.example.com/readyz",
            "http://[::1]:8000/healthz",
        ] {
            assert_eq!(parse_url(ok).as_deref(), Ok(ok));
        }
        for bad in ["127.0.0.1:8000/readyz", "ftp://host/readyz", "/readyz", ""] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
