//! GraphiQL, served entirely from the binary: the gateway runs where there is
//! no internet, so the page must never reach for a CDN. The vendored files and
//! their licenses are listed in `graphiql/NOTICE.md`.

use axum::{
    Router,
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::Engine;
use sha2::{Digest, Sha256};

const PAGE: &str = include_str!("graphiql/index.html");

/// As strict as GraphiQL allows, like the console's: its own files and the page's inline
/// script by hash (nothing else runs), styles inline too (its editor sets style attributes),
/// fonts and images as data: URLs (the CSS inlines them), requests to this origin only, and
/// never framed (`frame-ancestors 'none'`: a framed GraphiQL could be clicked into running a
/// mutation with the user's cookies).
fn policy(page: &str) -> String {
    let hashes: Vec<String> = inline_scripts(page)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            let hash = base64::engine::general_purpose::STANDARD.encode(digest);
            format!("'sha256-{hash}'")
        })
        .collect();
    format!(
        "default-src 'none'; script-src 'self' {}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        hashes.join(" ")
    )
}

/// The text of each `<script>` element without a `src`, as the browser hashes it.
fn inline_scripts(page: &str) -> impl Iterator<Item = &str> {
    page.split("<script>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</script>").map(|(script, _)| script))
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// `(file name, content-type, body)`. Names carry the upstream version, so a
/// URL never changes meaning and the assets may be cached for good.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql-3.9.0.min.js",
        JS,
        include_bytes!("graphiql/graphiql-3.9.0.min.js"),
    ),
    (
        "graphiql-3.9.0.min.css",
        CSS,
        include_bytes!("graphiql/graphiql-3.9.0.min.css"),
    ),
    (
        "react-18.3.1.production.min.js",
        JS,
        include_bytes!("graphiql/react-18.3.1.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        JS,
        include_bytes!("graphiql/react-dom-18.3.1.production.min.js"),
    ),
];

/// The GraphiQL page (HTML), for GET /graphql from a browser: its comment shows the commands
/// that work for this server (`hints`), and its policy names the filled script's hash.
pub async fn page() -> Response {
    static FILLED: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    let (html, csp) = FILLED.get_or_init(|| {
        let html = fill(&super::hints::get());
        let csp = policy(&html);
        (html, csp)
    });
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, csp.as_str()),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html.as_str(),
    )
        .into_response()
}

fn fill(hints: &super::hints::PageHints) -> String {
    PAGE.replace("{{TOKEN_HINT}}", &super::hints::js_string(&hints.token))
        .replace("{{SEED_HINT}}", &super::hints::js_string(&hints.seed))
}

/// Routes for the embedded assets under /graphiql/assets/{file}.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphiql/assets/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    let Some(&(_, content_type, body)) = ASSETS.iter().find(|(name, ..)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Versioned names (see ASSETS): a year, and no revalidation.
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Asset names the page asks for, in order.
    fn referenced() -> Vec<&'static str> {
        PAGE.split("/graphiql/assets/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_script() {
        let page = fill(&super::super::hints::PageHints {
            token: "tenancy-gateway token --subject ada --administrator".into(),
            seed: "tenancy-gateway seed --demo".into(),
        });
        let csp = policy(&page);
        assert_eq!(inline_scripts(&page).count(), 1);
        assert_eq!(csp.matches("'sha256-").count(), 1);
        assert_ne!(csp, policy(PAGE), "the hash is of the filled script");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-eval"));
    }

    #[test]
    fn the_page_shows_the_hints_it_is_given_and_links_to_the_console() {
        let page = fill(&super::super::hints::PageHints {
            token: "cargo run --release -- token --subject ada --administrator".into(),
            seed: "cargo run --release -- seed --demo".into(),
        });
        assert!(!page.contains("{{"), "a placeholder is left");
        assert!(page.contains("'#   cargo run --release -- token --subject ada --administrator'"));
        assert!(page.contains("'# No data? cargo run --release -- seed --demo'"));
        assert!(page.contains("href: '/admin'"), "no link to the console");
    }

    #[test]
    fn page_loads_nothing_from_elsewhere() {
        assert!(!PAGE.contains("://"), "the page must not name any URL");
        assert!(!PAGE.contains("src=\"//") && !PAGE.contains("href=\"//"));
        assert_eq!(referenced().len(), ASSETS.len(), "every asset is used");
    }

    #[tokio::test]
    async fn every_referenced_asset_is_served() -> TestResult {
        for name in referenced() {
            let req = Request::get(format!("/graphiql/assets/{name}")).body(Body::empty())?;
            let res = routes::<()>().oneshot(req).await?;
            assert_eq!(res.status(), StatusCode::OK, "{name}");
            let ct = res.headers().get(header::CONTENT_TYPE);
            let want = if name.ends_with(".css") { CSS } else { JS };
            assert_eq!(ct.map(|v| v.as_bytes()), Some(want.as_bytes()), "{name}");
            assert!(res.headers().contains_key(header::CACHE_CONTROL), "{name}");
            let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
            assert!(body.len() > 1000, "{name}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn unknown_asset_is_404() -> TestResult {
        for path in [
            "/graphiql/assets/nope.js",
            "/graphiql/assets/..%2Findex.html",
        ] {
            let req = Request::get(path).body(Body::empty())?;
            let res = routes::<()>().oneshot(req).await?;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        }
        Ok(())
    }
}
