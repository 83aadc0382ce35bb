//! The admin console's page and modules (docs/operating.md): served by the binary with the
//! right types and the headers an admin page needs. The console itself is driven in a browser
//! by tests/node/admin.mjs.

use reqwest::header;

use crate::backend_tests;
use crate::support::TestApp;

/// Headers every console response carries: no inline script, never framed, no sniffing.
fn assert_admin_headers(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{what}: {part} missing from {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{what}");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{what}");
}

backend_tests! {
    admin_console_is_served_with_its_modules_and_safe_headers,
}

async fn admin_console_is_served_with_its_modules_and_safe_headers(app: TestApp) {
    for path in ["/admin", "/admin/"] {
        let page = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(
            page.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_admin_headers(&page, path);
        let html = page.text().await.unwrap();
        assert!(
            html.contains(r#"<script type="module" src="/admin/app.js">"#),
            "{html}"
        );
        assert!(
            !html.contains("://"),
            "the page names no other site: {html}"
        );
    }
    // The entry module, a module it imports, the vendored library and the stylesheet.
    for (path, content_type) in [
        ("/admin/app.js", "text/javascript; charset=utf-8"),
        ("/admin/api.js", "text/javascript; charset=utf-8"),
        (
            "/admin/htm-preact-3.1.1.standalone.mjs",
            "text/javascript; charset=utf-8",
        ),
        ("/admin/admin.css", "text/css; charset=utf-8"),
    ] {
        let res = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], content_type, "{path}");
        assert_admin_headers(&res, path);
        assert!(res.text().await.unwrap().len() > 500, "{path}");
    }
    let app_js = app
        .client()
        .get(app.url("/admin/app.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        app_js.contains("from './api.js'"),
        "app.js imports its siblings relatively"
    );
    for missing in [
        "/admin/nope.js",
        "/admin/..%2FCargo.toml",
        "/admin/NOTICE.md",
    ] {
        let res = app.client().get(app.url(missing)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{missing}");
    }
}
