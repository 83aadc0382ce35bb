//! HTTP caching of GraphQL answers (DESIGN section 12): an `ETag` on query answers, 304 for a GET
//! whose `If-None-Match` names it, and `Cache-Control` by who asked what. Apollo Router caches a
//! subgraph answer only when `Cache-Control` allows it, so every answer says.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// How an answer may be cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cacheability {
    /// Mutations, subscriptions and answers that never ran.
    NoStore,
    /// A query answered for an authenticated caller: only that caller's cache may keep it.
    Private,
    /// A query answered for an anonymous caller.
    Public,
}

impl Cacheability {
    fn header(self, max_age: u32) -> HeaderValue {
        match self {
            Cacheability::NoStore => HeaderValue::from_static("no-store"),
            Cacheability::Private => HeaderValue::from_static("private"),
            Cacheability::Public => HeaderValue::from_str(&format!("public, max-age={max_age}"))
                .unwrap_or_else(|_| HeaderValue::from_static("no-store")),
        }
    }
}

/// Sets `Cache-Control` and, on a cacheable answer, its `ETag` (a hash of the bytes sent) and
/// `Vary` (an anonymous answer must not be reused for a caller with a token, or the reverse).
/// The tag is computed before the bytes move into the response.
pub fn mark(response: &mut Response, cache: Cacheability, max_age: u32, tag: Option<HeaderValue>) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, cache.header(max_age));
    if cache == Cacheability::NoStore {
        return;
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Authorization, Cookie, Accept"),
    );
    if let Some(tag) = tag {
        headers.insert(header::ETAG, tag);
    }
}

/// A strong validator: FNV-1a (64 bits) of the bytes and their length. Not a security measure;
/// it only has to tell two answers to the same request apart, the same way on every replica.
pub fn etag(body: &[u8]) -> HeaderValue {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in body {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let tag = format!("\"{hash:016x}-{:x}\"", body.len());
    // Hex digits, a dash and quotes: always a valid header value.
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// 304 Not Modified when the request's `If-None-Match` names the answer's `ETag` (or is `*`);
/// the answer itself otherwise.
pub fn not_modified(request: &HeaderMap, response: Response) -> Response {
    let Some(tag) = response.headers().get(header::ETAG) else {
        return response;
    };
    let Some(wanted) = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return response;
    };
    let tag = tag.as_bytes();
    let matches = wanted.split(',').map(str::trim).any(|w| {
        // A weak comparison, as RFC 9110 asks for If-None-Match.
        w == "*" || w.strip_prefix("W/").unwrap_or(w).as_bytes() == tag
    });
    if !matches {
        return response;
    }
    let mut answer = StatusCode::NOT_MODIFIED.into_response();
    for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
        if let Some(value) = response.headers().get(&name) {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_differ_with_the_bytes_and_are_stable() {
        assert_eq!(etag(b"{\"data\":1}"), etag(b"{\"data\":1}"));
        assert_ne!(etag(b"{\"data\":1}"), etag(b"{\"data\":2}"));
        let empty = etag(b"");
        assert!(empty.as_bytes().starts_with(b"\"") && empty.as_bytes().ends_with(b"\""));
    }
}
