//! The forwarded client, host and scheme, from trusted proxies only.

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn proxies() -> Vec<Cidr> {
    vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, value.parse().unwrap());
    }
    map
}

const PROXY: &str = "10.0.0.1";
const STRANGER: &str = "192.0.2.9";

#[test]
fn behind_trusted_proxies_the_client_is_the_first_untrusted_forwarded_address() {
    let forwarded = headers(&[("x-forwarded-for", "6.6.6.6, 192.0.2.7, 10.1.1.1")]);
    // A trusted router: the address before its own hops.
    assert_eq!(
        client_ip(&proxies(), ip(PROXY), &forwarded),
        ip("192.0.2.7")
    );
    // Anyone else: the peer, whatever it claims.
    assert_eq!(
        client_ip(&proxies(), ip(STRANGER), &forwarded),
        ip(STRANGER)
    );
    // No header: the peer.
    assert_eq!(
        client_ip(&proxies(), ip(PROXY), &HeaderMap::new()),
        ip(PROXY)
    );
    // An unparsable hop ends the walk at what the trusted hops said.
    let garbled = headers(&[("x-forwarded-for", "192.0.2.7, junk, 10.1.1.1")]);
    assert_eq!(client_ip(&proxies(), ip(PROXY), &garbled), ip("10.1.1.1"));
    // Addresses with ports, as some proxies write them.
    let ported = headers(&[("x-forwarded-for", "192.0.2.7:5123, 10.1.1.1:443")]);
    assert_eq!(client_ip(&proxies(), ip(PROXY), &ported), ip("192.0.2.7"));
    // Two headers read as one list.
    let two = headers(&[
        ("x-forwarded-for", "192.0.2.7"),
        ("x-forwarded-for", "10.2.2.2"),
    ]);
    assert_eq!(client_ip(&proxies(), ip(PROXY), &two), ip("192.0.2.7"));
}

#[test]
fn a_trusted_proxy_names_the_host_by_x_forwarded_host_then_forwarded() {
    let trusted = Some(ip(PROXY));
    let h = |pairs: &[(&'static str, &str)]| host(&proxies(), trusted, &headers(pairs));
    assert_eq!(
        h(&[
            ("host", "tenancy:8000"),
            ("x-forwarded-host", "evil.example, mitx.example.org")
        ]),
        Some("mitx.example.org".into()),
        "the value the proxy appended, not the client's own before it"
    );
    // Two proxies: the outer one (10.1.1.1) wrote the client's host, the inner one its own.
    assert_eq!(
        h(&[
            ("x-forwarded-for", "6.6.6.6, 192.0.2.7, 10.1.1.1"),
            (
                "x-forwarded-host",
                "evil.example, mitx.example.org, router.internal"
            )
        ]),
        Some("mitx.example.org".into()),
        "the host at the client's hop"
    );
    assert_eq!(
        h(&[
            ("x-forwarded-for", "192.0.2.7, 10.1.1.1"),
            ("x-forwarded-host", "mitx.example.org")
        ]),
        Some("mitx.example.org".into()),
        "a list shorter than the hops: its first value"
    );
    assert_eq!(
        h(&[
            ("host", "tenancy:8000"),
            (
                "forwarded",
                r#"for=192.0.2.1;proto=https;host="Courses.Example.org:443", for=10.0.0.2;host=inner"#
            )
        ]),
        Some("Courses.Example.org:443".into()),
        "RFC 7239, quoted, the element of the outermost trusted proxy"
    );
    assert_eq!(
        h(&[(
            "forwarded",
            r#"for=192.0.2.1;host=mitx.example.org, for="[::1]:8443";host=inner.example"#
        )]),
        Some("mitx.example.org".into()),
        "RFC 7239: a trusted proxy written as a bracketed IPv6 address with a port"
    );
    assert_eq!(
        h(&[(
            "forwarded",
            "for=192.0.2.1;host=evil.example, for=192.0.2.1;host=mitx.example.org"
        )]),
        Some("mitx.example.org".into()),
        "RFC 7239: the element the peer wrote, not a client's before it"
    );
    assert_eq!(
        h(&[
            ("x-forwarded-host", "a.example"),
            ("forwarded", "host=b.example")
        ]),
        Some("a.example".into()),
        "X-Forwarded-Host first"
    );
    assert_eq!(
        h(&[("host", "tenancy:8000")]),
        Some("tenancy:8000".into()),
        "nothing forwarded: Host"
    );
    // A forwarded value that is no host names no site (it does not fall back to the proxy's).
    assert_eq!(
        h(&[
            ("host", "tenancy:8000"),
            ("x-forwarded-host", "evil.example/x?y")
        ]),
        None
    );
    assert_eq!(
        h(&[("host", "tenancy:8000"), ("forwarded", r#"host="a@b""#)]),
        None
    );
    // IPv6 peers are proxies too when listed.
    assert_eq!(
        host(
            &proxies(),
            Some(ip("::1")),
            &headers(&[("x-forwarded-host", "[2001:db8::1]:8443")])
        ),
        Some("[2001:db8::1]:8443".into())
    );
}

#[test]
fn from_any_other_peer_the_forwarded_headers_are_ignored() {
    let sent = headers(&[
        ("host", "service.example"),
        ("x-forwarded-host", "victim.example"),
        ("forwarded", "host=victim.example;proto=https"),
        ("x-forwarded-proto", "https"),
    ]);
    for peer in [Some(ip(STRANGER)), Some(ip("127.0.0.1")), None] {
        assert_eq!(
            host(&proxies(), peer, &sent),
            Some("service.example".into()),
            "{peer:?}"
        );
        assert_eq!(scheme(&proxies(), peer, &sent), None, "{peer:?}");
    }
    // No proxies configured: nobody is trusted.
    assert_eq!(
        host(&[], Some(ip(PROXY)), &sent),
        Some("service.example".into())
    );
    assert_eq!(scheme(&[], Some(ip(PROXY)), &sent), None);
}

#[test]
fn the_scheme_is_http_or_https_and_nothing_else() {
    let s = |pairs: &[(&'static str, &str)]| scheme(&proxies(), Some(ip(PROXY)), &headers(pairs));
    assert_eq!(s(&[("x-forwarded-proto", "https")]), Some(Scheme::Https));
    assert_eq!(
        s(&[("x-forwarded-proto", "HTTP, https")]),
        Some(Scheme::Https),
        "the proxy's value, not a client's before it"
    );
    assert_eq!(
        s(&[
            ("x-forwarded-for", "192.0.2.7, 10.1.1.1"),
            ("x-forwarded-proto", "HTTP, https")
        ]),
        Some(Scheme::Http),
        "the client's hop"
    );
    assert_eq!(
        s(&[("forwarded", "for=1.2.3.4;proto=https")]),
        Some(Scheme::Https)
    );
    for hostile in [
        "javascript",
        "javascript:alert(1)//",
        "https://evil",
        "ftp",
        "",
        "data",
    ] {
        assert_eq!(s(&[("x-forwarded-proto", hostile)]), None, "{hostile:?}");
        assert_eq!(
            s(&[("forwarded", &format!("proto={hostile}"))]),
            None,
            "{hostile:?}"
        );
    }
    // A hostile X-Forwarded-Proto does not hide a good Forwarded one.
    assert_eq!(
        s(&[
            ("x-forwarded-proto", "javascript"),
            ("forwarded", "proto=https")
        ]),
        Some(Scheme::Https)
    );
    assert_eq!(s(&[]), None);
}

#[test]
fn hosts_are_names_or_bracketed_v6_with_an_optional_port() {
    for good in [
        "example.org",
        "Courses.Example.org:8000",
        "localhost",
        "127.0.0.1:65535",
        "tenancy_gateway",
        "[::1]",
        "[2001:db8::1]:443",
    ] {
        assert!(valid_host(good), "{good:?}");
    }
    for bad in [
        "",
        "evil.example/path",
        "user@evil.example",
        "evil.example:99999",
        "evil.example:",
        "evil.example:+80",
        ":80",
        "a b",
        "<script>",
        "[::1",
        "[::1]x",
        "[nope]:80",
        "evil.example?x",
        "evil.example#x",
        "javascript:alert(1)",
    ] {
        assert!(!valid_host(bad), "{bad:?}");
    }
    assert!(!valid_host(&"a".repeat(256)));
}

#[test]
fn hops_are_addresses_with_or_without_a_port() {
    for (hop, want) in [
        ("192.0.2.1", Some("192.0.2.1")),
        ("192.0.2.1:4711", Some("192.0.2.1")),
        ("2001:db8::1", Some("2001:db8::1")),
        ("[2001:db8::1]", Some("2001:db8::1")),
        ("[2001:db8::1]:4711", Some("2001:db8::1")),
        ("[2001:db8::1]:x", None),
        ("192.0.2.1:99999", None),
        ("unknown", None),
        ("_hidden", None),
        ("[192.0.2.1]", None),
    ] {
        assert_eq!(hop_address(hop), want.map(ip), "{hop}");
    }
}

#[test]
fn forwarded_pairs_split_outside_quotes() {
    let header = headers(&[(
        "forwarded",
        r#"for="[2001:db8::1]:4711";host="a,b;c", for=x;proto=https"#,
    )]);
    // `for=x` is no trusted proxy: its element is the outermost trusted proxy's.
    assert_eq!(forwarded_param(&proxies(), &header, "PROTO"), Some("https"));
    assert_eq!(forwarded_param(&proxies(), &header, "host"), None);
    let header = headers(&[(
        "forwarded",
        r#"for="[2001:db8::1]:4711";host="a,b;c", for=10.0.0.7;proto=https"#,
    )]);
    assert_eq!(forwarded_param(&proxies(), &header, "host"), Some("a,b;c"));
    assert_eq!(forwarded_param(&proxies(), &header, "by"), None);
}
