//! The response cache's rules, without a server.

use super::*;

fn cache() -> (ResponseCache, Metrics) {
    let metrics = Metrics::new();
    let settings = config::ResponseCache::default();
    let cache = ResponseCache::new(&settings, Generation::default(), &metrics);
    (cache, metrics)
}

fn key(query: &str, scope: &Scope) -> Key {
    Key::new(&async_graphql::Request::new(query), scope, Some("edx.org"))
}

fn miss(lookup: Option<Lookup>) -> Box<Ticket> {
    match lookup {
        Some(Lookup::Miss(ticket)) => ticket,
        Some(Lookup::Hit(_)) => panic!("a hit where a miss was due"),
        None => panic!("the cache is off"),
    }
}

fn is_hit(lookup: Option<Lookup>) -> bool {
    matches!(lookup, Some(Lookup::Hit(_)))
}

fn body() -> (Bytes, HeaderValue) {
    (
        Bytes::from_static(b"{\"data\":{}}"),
        HeaderValue::from_static("\"t\""),
    )
}

#[test]
fn an_answer_is_reused_until_the_generation_moves() {
    let (cache, _) = cache();
    let anonymous = Scope::anonymous();
    let (bytes, tag) = body();
    miss(cache.lookup(key("{ a }", &anonymous))).keep(bytes, tag);
    assert!(is_hit(cache.lookup(key("{ a }", &anonymous))));
    cache.generation().bump();
    assert!(!is_hit(cache.lookup(key("{ a }", &anonymous))));
}

/// The query ran while a write committed: what it read may predate the write, so it is
/// not kept, and neither is anything kept under the old generation used afterwards.
#[test]
fn an_answer_that_overlapped_a_commit_is_never_used() {
    let (cache, _) = cache();
    let anonymous = Scope::anonymous();
    let before = miss(cache.lookup(key("{ a }", &anonymous)));
    let raced = miss(cache.lookup(key("{ b }", &anonymous)));
    cache.generation().bump();
    let (bytes, tag) = body();
    before.keep(bytes.clone(), tag.clone());
    assert!(!is_hit(cache.lookup(key("{ a }", &anonymous))));
    // Kept past the check (as if the commit landed between check and insert): the entry
    // carries its generation and is not served.
    let stale = Ticket {
        current: Generation::default(),
        ..*raced
    };
    stale.keep(bytes, tag);
    assert!(!is_hit(cache.lookup(key("{ b }", &anonymous))));
}

#[test]
fn views_differ_by_everything_but_the_expiry() {
    let (cache, _) = cache();
    let ada = Scope {
        subject: Some("ada".to_owned()),
        expires: Some(1),
        ..Scope::default()
    };
    let (bytes, tag) = body();
    miss(cache.lookup(key("{ a }", &ada))).keep(bytes, tag);
    let later = Scope {
        expires: Some(2),
        ..ada.clone()
    };
    assert!(is_hit(cache.lookup(key("{ a }", &later))));
    let filtered = Scope {
        org_filter: Some(vec![crate::domain::short_name("f", "MITx").unwrap().key()]),
        ..ada.clone()
    };
    let admin = Scope {
        administrator: true,
        ..ada.clone()
    };
    for other in [Scope::anonymous(), filtered, admin] {
        assert!(!is_hit(cache.lookup(key("{ a }", &other))), "{other:?}");
    }
    let elsewhere = Key::new(
        &async_graphql::Request::new("{ a }"),
        &ada,
        Some("mitx.org"),
    );
    assert!(!is_hit(cache.lookup(elsewhere)));
}

#[test]
fn off_it_looks_nothing_up() {
    let metrics = Metrics::new();
    let settings = config::ResponseCache {
        enabled: false,
        ..config::ResponseCache::default()
    };
    let cache = ResponseCache::new(&settings, Generation::default(), &metrics);
    assert!(cache.lookup(key("{ a }", &Scope::anonymous())).is_none());
}
