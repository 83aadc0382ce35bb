//! The admin console (docs/operating.md): a single page and its ES modules, embedded in the
//! binary (no CDN, no build step). It talks to the service only through `/graphql` (HTTP and
//! WebSocket) and the CSRF endpoint, as any other frontend would. The vendored library and its
//! licenses are listed in `admin/NOTICE.md`.

use axum::{
    Router,
    extract::Path,
    http::{HeaderName, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

const PAGE: &str = include_str!("admin/index.html");

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// No inline script or style, nothing from elsewhere, never framed (clickjacking an admin page
/// is the classic attack). `connect-src 'self'` covers the same-origin WebSocket too (CSP 3).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `(file name, content-type, body)`; the page refers to each as `/admin/{name}`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("admin.css", CSS, include_bytes!("admin/admin.css")),
    ("app.js", JS, include_bytes!("admin/app.js")),
    ("api.js", JS, include_bytes!("admin/api.js")),
    ("live.js", JS, include_bytes!("admin/live.js")),
    ("rules.js", JS, include_bytes!("admin/rules.js")),
    ("ui.js", JS, include_bytes!("admin/ui.js")),
    ("lists.js", JS, include_bytes!("admin/lists.js")),
    ("forms.js", JS, include_bytes!("admin/forms.js")),
    ("detail.js", JS, include_bytes!("admin/detail.js")),
    ("relations.js", JS, include_bytes!("admin/relations.js")),
    ("access.js", JS, include_bytes!("admin/access.js")),
    ("history.js", JS, include_bytes!("admin/history.js")),
    (
        "htm-preact-3.1.1.standalone.mjs",
        JS,
        include_bytes!("admin/htm-preact-3.1.1.standalone.mjs"),
    ),
];

/// Routes for `/admin` (the page) and `/admin/{file}` (its assets).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/", get(page))
        .route("/admin/{file}", get(asset))
}

/// The page, with the token command that works for this server (`hints`) in a meta tag that
/// the sign-in screen reads.
async fn page() -> Response {
    static FILLED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let page = FILLED.get_or_init(|| fill(&super::hints::get().token));
    respond(HTML, page.as_bytes())
}

fn fill(token_hint: &str) -> String {
    PAGE.replace("{{TOKEN_HINT}}", &super::hints::html_attribute(token_hint))
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, ..)| *name == file) {
        Some(&(_, content_type, body)) => respond(content_type, body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn respond(content_type: &'static str, body: &'static [u8]) -> Response {
    let headers: [(HeaderName, &str); 7] = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        // The console's own files change with the binary: revalidate (they are small).
        (header::CACHE_CONTROL, "no-cache"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    (headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Module names the page and the modules import, relative (`./x.js`) or absolute.
    fn referenced() -> Vec<String> {
        let sources = std::iter::once(PAGE).chain(
            ASSETS
                .iter()
                .filter(|(name, ..)| name.ends_with(".js"))
                .filter_map(|(_, _, body)| std::str::from_utf8(body).ok()),
        );
        let mut names: Vec<String> = sources
            .flat_map(|text| {
                text.split(['"', '\''])
                    .filter_map(|s| s.strip_prefix("./").or_else(|| s.strip_prefix("/admin/")))
                    .filter(|s| s.ends_with(".js") || s.ends_with(".mjs") || s.ends_with(".css"))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn every_asset_is_used_and_every_reference_is_served() {
        let names = referenced();
        for name in &names {
            assert!(
                ASSETS.iter().any(|(n, ..)| n == name),
                "{name} is not served"
            );
        }
        for (name, ..) in ASSETS {
            assert!(names.iter().any(|n| n == name), "{name} is never used");
        }
    }

    #[test]
    fn the_page_carries_the_token_hint_it_is_given() {
        let page = fill("cargo run -- token --subject ada --administrator --database-url 'a\"b'");
        assert!(!page.contains("{{"), "a placeholder is left");
        assert!(page.contains(
            "content=\"cargo run -- token --subject ada --administrator --database-url 'a&quot;b'\""
        ));
    }

    #[test]
    fn nothing_is_loaded_from_elsewhere_and_nothing_inline() {
        assert!(!PAGE.contains("://"), "the page must not name any URL");
        assert!(!PAGE.contains("<script>"), "no inline script (CSP)");
        assert!(
            !PAGE.contains("<style") && !PAGE.contains("style="),
            "no inline style"
        );
    }
}
