//! HTTP caching of GraphQL answers (docs/operating.md): an `ETag` on query answers, 304 for a GET
//! whose `If-None-Match` names it, and `Cache-Control` by who asked what. Apollo Router caches a
//! subgraph answer only when `Cache-Control` allows it, so every answer says.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::pipeline::Cacheability;

/// The `Cache-Control` of an answer.
fn cache_control(cache: Cacheability, max_age: u32) -> HeaderValue {
    match cache {
        Cacheability::NoStore => HeaderValue::from_static("no-store"),
        Cacheability::Private => HeaderValue::from_static("private"),
        Cacheability::Public => HeaderValue::from_str(&format!("public, max-age={max_age}"))
            .unwrap_or_else(|_| HeaderValue::from_static("no-store")),
    }
}

/// Sets `Cache-Control` and, on a cacheable answer, its `ETag` (a hash of the bytes sent) and
/// `Vary` (an anonymous answer must not be reused for a caller with a token, or the reverse).
/// The tag is computed before the bytes move into the response.
pub fn mark(response: &mut Response, cache: Cacheability, max_age: u32, tag: Option<HeaderValue>) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, cache_control(cache, max_age));
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

/// A strong validator: a 64-bit hash of the bytes (FxHash's step, eight bytes at a time) and
/// their length. Not a security measure; it only has to tell two answers to the same request
/// apart, the same way on every replica. (FNV-1a a byte at a time, as before, was a serial
/// chain of 200,000 multiplications for a 1,000-organization list: 2 % of its CPU.)
pub fn etag(body: &[u8]) -> HeaderValue {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let step = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(K);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = body.chunks_exact(8);
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = step(hash, u64::from_le_bytes(word));
    }
    for byte in words.remainder() {
        hash = step(hash, u64::from(*byte));
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

    #[test]
    fn every_byte_and_the_length_change_the_tag() {
        let body: Vec<u8> = (0..61u8).map(|i| b'a' + i % 26).collect();
        let tag = etag(&body);
        assert_eq!(tag, etag(&body.clone()), "the same bytes, the same tag");
        for i in 0..body.len() {
            for bit in [0x01, 0x80] {
                let mut changed = body.clone();
                changed[i] ^= bit;
                assert_ne!(etag(&changed), tag, "byte {i} bit {bit:#x}");
            }
        }
        assert_ne!(etag(&body[..60]), tag);
        assert!(tag.as_bytes().ends_with(b"-3d\""), "{tag:?}");
    }
}
