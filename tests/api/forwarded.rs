//! Behind a reverse proxy (docs/federation.md): from a trusted proxy `X-Forwarded-Host` / `Forwarded:
//! host=` names the site for the Host rule and `X-Forwarded-Proto` (http or https only) the
//! scheme of REST links; from anyone else they are ignored; `TENANCY_PUBLIC_URL` fixes the links.
//! Tests connect from 127.0.0.1, so `127.0.0.1/32` makes the test client a trusted proxy.

use std::process::Command;

use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::support::{TestApp, token};

const SITE: &str = r#"{ currentSite { domain partner { shortCode } } organizations { totalCount edges { node { shortName } } } }"#;
const BASE: &str = "/api/organizations/v0/organizations/";

fn loopback_trusted(config: &mut tenancy_gateway::config::Config) {
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

/// (currentSite's domain, the organizations' short names) of `SITE` sent with `edit`.
async fn site_of(
    app: &TestApp,
    edit: impl FnOnce(RequestBuilder) -> RequestBuilder,
) -> (Value, Vec<String>) {
    let body = app.gql_with(SITE, json!({}), edit).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    site_and_names(&body["data"])
}

fn site_and_names(data: &Value) -> (Value, Vec<String>) {
    let names = data["organizations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["shortName"].as_str().unwrap().to_owned())
        .collect();
    (data["currentSite"]["domain"].clone(), names)
}

fn mitpe() -> (Value, Vec<String>) {
    (
        json!("mitprofessionalx.mit.edu"),
        vec!["MITProfessionalX".to_owned()],
    )
}

/// The `next` and `previous` links of the REST list's second page (two per page).
async fn links(
    app: &TestApp,
    edit: impl FnOnce(RequestBuilder) -> RequestBuilder,
) -> (String, String) {
    let request = app
        .client()
        .get(app.url(&format!("{BASE}?page=2&page_size=2")))
        .bearer_auth(token("ada", false, &[]));
    let response = edit(request).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    let link = |name: &str| {
        page[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name}: {page}"))
            .to_owned()
    };
    (link("next"), link("previous"))
}

backend_tests! {
    behind_a_trusted_proxy_the_forwarded_host_names_the_site with loopback_trusted,
    from_an_untrusted_peer_the_forwarded_host_is_ignored with |c| c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()],
    rest_links_use_the_forwarded_scheme_and_host_of_trusted_proxies_only with loopback_trusted,
    rest_links_ignore_forwarded_headers_from_an_untrusted_peer,
    a_public_url_fixes_the_scheme_host_and_prefix_of_links with |c| {
        loopback_trusted(c);
        c.public_url = Some("https://Tenancy.Example.com/edge/".parse().unwrap());
    },
    behind_a_trusted_proxy_each_forwarded_client_has_its_own_subscription_connections with loopback_trusted,
}

async fn behind_a_trusted_proxy_the_forwarded_host_names_the_site(app: TestApp) {
    app.seed_demo().await;
    // As Caddy or nginx send it: Host is the service's own address.
    let proxied = |r: RequestBuilder| {
        r.header("host", "tenancy:8000")
            .header("x-forwarded-host", "MITProfessionalX.mit.edu")
    };
    assert_eq!(site_of(&app, proxied).await, mitpe());
    // Proxies in a chain (the outer one at 127.0.0.1 too): the host at the client's hop; the
    // forwarded host wins over a Host that is a site.
    assert_eq!(
        site_of(&app, |r| r
            .header("host", "harvardxplus.harvard.edu")
            .header("x-forwarded-for", "203.0.113.5, 127.0.0.1")
            .header(
                "x-forwarded-host",
                "mitprofessionalx.mit.edu:443, tenancy.internal"
            ))
        .await,
        mitpe()
    );
    // A client's own X-Forwarded-Host, which the proxy appended to: the proxy's value.
    assert_eq!(
        site_of(&app, |r| r.header("x-forwarded-for", "203.0.113.5").header(
            "x-forwarded-host",
            "harvardxplus.harvard.edu, mitprofessionalx.mit.edu"
        ))
        .await,
        mitpe()
    );
    // RFC 7239.
    assert_eq!(
        site_of(&app, |r| r.header("host", "tenancy:8000").header(
            "forwarded",
            r#"for=192.0.2.1;host="mitprofessionalx.mit.edu";proto=https"#
        ))
        .await,
        mitpe()
    );
    // GET queries follow the same rule.
    let got: Value = app
        .client()
        .get(app.url(&format!(
            "/graphql?query={}",
            url::form_urlencoded::byte_serialize(SITE.as_bytes()).collect::<String>()
        )))
        .header("accept", "application/json")
        .header("x-forwarded-host", "mitprofessionalx.mit.edu")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(site_and_names(&got["data"]), mitpe(), "{got}");
    // A forwarded host that is no site: no site and no partner filter.
    let (site, names) = site_of(&app, |r| {
        r.header("host", "mitprofessionalx.mit.edu")
            .header("x-forwarded-host", "unknown.example")
    })
    .await;
    assert_eq!((site, names.len()), (Value::Null, 6));
    // Nothing forwarded: the Host rule as before.
    assert_eq!(
        site_of(&app, |r| r.header("host", "mitprofessionalx.mit.edu")).await,
        mitpe()
    );
}

async fn from_an_untrusted_peer_the_forwarded_host_is_ignored(app: TestApp) {
    app.seed_demo().await;
    for forged in [
        ("x-forwarded-host", "mitprofessionalx.mit.edu"),
        ("forwarded", "host=mitprofessionalx.mit.edu"),
    ] {
        let (site, names) = site_of(&app, |r| r.header(forged.0, forged.1)).await;
        assert_eq!(
            (site, names.len()),
            (Value::Null, 6),
            "{forged:?} from 127.0.0.1, not a trusted proxy"
        );
        // The request's own Host still names its site; the forged header does not move it.
        let (site, names) = site_of(&app, |r| {
            r.header("host", "harvardxplus.harvard.edu")
                .header(forged.0, forged.1)
        })
        .await;
        assert_eq!(
            (site, names),
            (
                json!("harvardxplus.harvard.edu"),
                vec!["HarvardXPlus".to_owned()]
            )
        );
    }
}

async fn rest_links_use_the_forwarded_scheme_and_host_of_trusted_proxies_only(app: TestApp) {
    app.seed_demo().await;
    let (next, previous) = links(&app, |r| {
        r.header("host", "tenancy:8000")
            .header("x-forwarded-host", "courses.example.org")
            .header("x-forwarded-proto", "https")
    })
    .await;
    assert_eq!(
        next,
        format!("https://courses.example.org{BASE}?page=3&page_size=2")
    );
    assert_eq!(
        previous,
        format!("https://courses.example.org{BASE}?page_size=2")
    );
    let (next, _) = links(&app, |r| {
        r.header("host", "tenancy:8000").header(
            "forwarded",
            r#"proto=https;host="courses.example.org:8443""#,
        )
    })
    .await;
    assert_eq!(
        next,
        format!("https://courses.example.org:8443{BASE}?page=3&page_size=2")
    );
    // A scheme other than http or https is never written, even from a trusted proxy.
    for hostile in [
        "javascript",
        "javascript:alert(1)//",
        "data",
        "HTTPS://evil.example",
    ] {
        let (next, previous) = links(&app, |r| {
            r.header("host", "evil.example")
                .header("x-forwarded-proto", hostile)
        })
        .await;
        assert_eq!(
            next,
            format!("http://evil.example{BASE}?page=3&page_size=2"),
            "{hostile}"
        );
        assert!(previous.starts_with("http://evil.example/"), "{previous}");
    }
    // A forwarded host that could carry a path, a user or markup is not written either.
    for hostile in ["evil.example/phish?", "user@evil.example", "\"><script>"] {
        let (next, _) = links(&app, |r| {
            r.header("host", "tenancy:8000")
                .header("x-forwarded-host", hostile)
        })
        .await;
        assert_eq!(
            next,
            format!("http://localhost{BASE}?page=3&page_size=2"),
            "{hostile}"
        );
    }
}

async fn rest_links_ignore_forwarded_headers_from_an_untrusted_peer(app: TestApp) {
    app.seed_demo().await;
    let (next, _) = links(&app, |r| {
        r.header("host", "api.example:8080")
            .header("x-forwarded-host", "evil.example")
            .header("x-forwarded-proto", "https")
    })
    .await;
    assert_eq!(
        next,
        format!("http://api.example:8080{BASE}?page=3&page_size=2")
    );
    let (next, _) = links(&app, |r| {
        r.header("host", "api.example")
            .header("x-forwarded-proto", "javascript")
    })
    .await;
    assert_eq!(next, format!("http://api.example{BASE}?page=3&page_size=2"));
    // A Host that is no host is not written.
    let (next, _) = links(&app, |r| r.header("host", "evil.example/x?y=")).await;
    assert_eq!(next, format!("http://localhost{BASE}?page=3&page_size=2"));
}

async fn a_public_url_fixes_the_scheme_host_and_prefix_of_links(app: TestApp) {
    app.seed_demo().await;
    for edit in [
        (|r: RequestBuilder| r) as fn(RequestBuilder) -> RequestBuilder,
        |r| {
            r.header("host", "tenancy:8000")
                .header("x-forwarded-host", "other.example")
                .header("x-forwarded-proto", "http")
        },
        |r| r.header("x-forwarded-proto", "javascript"),
    ] {
        let (next, previous) = links(&app, edit).await;
        assert_eq!(
            next,
            format!("https://tenancy.example.com/edge{BASE}?page=3&page_size=2")
        );
        assert_eq!(
            previous,
            format!("https://tenancy.example.com/edge{BASE}?page_size=2")
        );
    }
    // The site is still the forwarded host's: the public URL is only for links.
    assert_eq!(
        site_of(&app, |r| r
            .header("x-forwarded-host", "mitprofessionalx.mit.edu"))
        .await,
        mitpe()
    );
}

async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_subscription_connections(
    app: TestApp,
) {
    let open = |client: &'static str| {
        let app = &app;
        async move {
            app.client()
                .post(app.url("/graphql"))
                .header("accept", "text/event-stream")
                .header("x-forwarded-for", client)
                .json(&json!({ "query": "subscription { changes { id } }" }))
                .send()
                .await
                .unwrap()
        }
    };
    let mut held = Vec::new();
    for _ in 0..16 {
        let response = open("192.0.2.1").await;
        assert_eq!(response.status(), 200);
        held.push(response);
    }
    assert_eq!(
        open("192.0.2.1").await.status(),
        429,
        "the forwarded client is at its limit"
    );
    // Another client behind the same proxy is not (before, all shared the proxy's 16).
    let other = open("192.0.2.2").await;
    assert_eq!(other.status(), 200);
    drop(held);
}

#[test]
fn a_public_url_that_is_no_absolute_http_url_stops_start_up() {
    for bad in [
        "javascript:alert(1)",
        "tenancy.example.com",
        "https://example.com/?x=1",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenancy-gateway"));
        for (name, _) in std::env::vars() {
            if name.starts_with("TENANCY_") || name == "DATABASE_URL" {
                cmd.env_remove(name);
            }
        }
        let out = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env("TENANCY_PUBLIC_URL", bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("TENANCY_PUBLIC_URL=") && err.contains("expected an absolute http(s) URL"),
            "{bad}: {err}"
        );
        assert!(!dir.path().join("tenancy.db").exists(), "nothing started");
    }
}
