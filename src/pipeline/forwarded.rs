//! Who sent a request and which site it was sent to, when reverse proxies stand in between
//! (docs/federation.md). Pure functions of the peer address, the request headers and
//! `TENANCY_TRUSTED_PROXIES`; no I/O.
//!
//! What a proxy adds is believed only when the peer is one of the trusted proxies; from any other
//! peer `X-Forwarded-For`, `X-Forwarded-Host`, `X-Forwarded-Proto` and `Forwarded` are ignored
//! entirely, so a client cannot choose its site, its scheme or its identity by sending them.
//! * The client: the `X-Forwarded-For` address nearest to the peer that is not itself a trusted
//!   proxy (read from the right: each proxy appends the address it saw).
//! * The host that names the site (the Host rule, as Django's `USE_X_FORWARDED_HOST`):
//!   `X-Forwarded-Host`, else the `host=` of RFC 7239 `Forwarded`, else `Host`.
//! * The scheme of the links the service writes: `X-Forwarded-Proto`, else `Forwarded: proto=`,
//!   `http` or `https` only; anything else is ignored.
//!
//! The host and scheme are read at the same hop as the client: the value written by the
//! outermost trusted proxy (from the right, one place further per trusted proxy in
//! `X-Forwarded-For`, or in `Forwarded`'s `for=`); a list shorter than the hops gives its first
//! value. That keeps a client's own `X-Forwarded-Host` unread as long as every trusted proxy
//! replaces these headers or appends to all of them, and no client address is itself in the
//! trusted ranges (docs/federation.md says which proxies not to trust).
//! Hops are read as addresses with or without a port (`192.0.2.1:4711`, `"[2001:db8::1]:4711"`).
//!
//! Every host, forwarded or not, must look like `name[:port]` or `[v6][:port]`: a value that
//! could carry a path, a user or markup into a written link is ignored.

use std::net::{IpAddr, Ipv6Addr};

use http::{HeaderMap, header};

use crate::config::Cidr;

/// The scheme a client used to reach the service, as a trusted proxy says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn parse(text: &str) -> Option<Scheme> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else if text.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else {
            None
        }
    }
}

fn trusted(proxies: &[Cidr], ip: IpAddr) -> bool {
    proxies.iter().any(|net| net.contains(ip))
}

fn from_trusted(proxies: &[Cidr], peer: Option<IpAddr>) -> bool {
    peer.is_some_and(|ip| trusted(proxies, ip))
}

/// Who sent the request: the peer, or behind trusted proxies the address they name.
pub fn client_ip(proxies: &[Cidr], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !trusted(proxies, peer) {
        return peer;
    }
    let mut client = peer;
    for hop in values(headers, "x-forwarded-for").rev() {
        let Some(ip) = hop_address(hop) else {
            // An unparsable hop was not written by a proxy we trust: stop at what we know.
            break;
        };
        client = ip;
        if !trusted(proxies, ip) {
            break;
        }
    }
    client
}

/// The host that names the site: forwarded by a trusted proxy, else the request's own `Host`.
pub fn host(proxies: &[Cidr], peer: Option<IpAddr>, headers: &HeaderMap) -> Option<String> {
    let forwarded = from_trusted(proxies, peer)
        .then(|| forwarded_value(proxies, headers, "x-forwarded-host", "host"))
        .flatten();
    match forwarded {
        // A proxy that names a host decides; a value that is no host names none.
        Some(host) => valid_host(host).then(|| host.to_owned()),
        None => headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|h| valid_host(h))
            .map(str::to_owned),
    }
}

/// The scheme a trusted proxy says the client used; none from anyone else or for anything but
/// `http` and `https`.
pub fn scheme(proxies: &[Cidr], peer: Option<IpAddr>, headers: &HeaderMap) -> Option<Scheme> {
    if !from_trusted(proxies, peer) {
        return None;
    }
    let hops = trusted_hops(proxies, values(headers, "x-forwarded-for"));
    outermost(values(headers, "x-forwarded-proto"), hops)
        .and_then(Scheme::parse)
        .or_else(|| forwarded_param(proxies, headers, "proto").and_then(Scheme::parse))
}

/// What the outermost trusted proxy wrote in header `name`, else in `Forwarded`'s `param`.
fn forwarded_value<'a>(
    proxies: &[Cidr],
    headers: &'a HeaderMap,
    name: &str,
    param: &str,
) -> Option<&'a str> {
    let hops = trusted_hops(proxies, values(headers, "x-forwarded-for"));
    outermost(values(headers, name), hops).or_else(|| forwarded_param(proxies, headers, param))
}

/// How many trusted proxies a list of hops names, read from the right up to the first address
/// that is not one (or is no address).
fn trusted_hops<'a>(proxies: &[Cidr], hops: impl DoubleEndedIterator<Item = &'a str>) -> usize {
    hops.rev()
        .take_while(|hop| hop_address(hop).is_some_and(|ip| trusted(proxies, ip)))
        .count()
}

/// The address of one hop: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:4711` (RFC 7239's `for=` forms, quotes already removed).
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port_ok = after.is_empty()
            || after
                .strip_prefix(':')
                .is_some_and(|p| p.parse::<u16>().is_ok());
        return port_ok
            .then(|| v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6))
            .flatten();
    }
    let (v4, port) = hop.split_once(':')?;
    port.parse::<u16>().ok()?;
    v4.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The value `hops` places from the right of `list` (its first when the list is shorter).
fn outermost<T>(list: impl Iterator<Item = T>, hops: usize) -> Option<T> {
    let list: Vec<T> = list.collect();
    let at = list.len().saturating_sub(hops + 1);
    list.into_iter().nth(at)
}

/// The comma-separated values of every `name` header, in order, trimmed, empty ones skipped.
fn values<'a>(headers: &'a HeaderMap, name: &str) -> impl DoubleEndedIterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

/// Parameter `name` of the RFC 7239 `Forwarded` element the outermost trusted proxy wrote
/// (`for=192.0.2.1;host="a.example";proto=https, for=10.0.0.2`: one element per proxy, read from
/// the right while `for=` names a trusted proxy), quotes removed.
fn forwarded_param<'a>(proxies: &[Cidr], headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let elements: Vec<Vec<(&str, &str)>> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| split_outside_quotes(v, ','))
        .map(|element| {
            split_outside_quotes(element, ';')
                .filter_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    let value = value.trim();
                    let unquoted = value
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(value);
                    Some((key.trim(), unquoted))
                })
                .collect()
        })
        .collect();
    let param = |element: &Vec<(&'a str, &'a str)>, wanted: &str| {
        element
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(wanted))
            .map(|&(_, value)| value)
    };
    let hops = trusted_hops(
        proxies,
        elements.iter().map(|e| param(e, "for").unwrap_or_default()),
    );
    outermost(elements.iter(), hops).and_then(|element| param(element, name))
}

/// `text` split at `sep` where it is not inside a quoted string.
fn split_outside_quotes(text: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter()
}

/// Whether `text` is `name[:port]` (letters, digits, `-`, `.`, `_`) or `[IPv6][:port]`.
pub fn valid_host(text: &str) -> bool {
    if text.is_empty() || text.len() > 255 {
        return false;
    }
    let (name_ok, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        (v6.parse::<Ipv6Addr>().is_ok(), port)
    } else {
        let (name, port) = match text.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        };
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        (name_ok, port)
    };
    name_ok
        && port.is_none_or(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
        })
}

#[cfg(test)]
mod tests;
