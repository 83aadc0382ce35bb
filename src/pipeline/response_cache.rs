//! The response cache (the execute stage's): whole answers to repeated queries, reused until
//! anything changes.
//!
//! An answer is keyed by everything it is computed from: the document's text, the operation
//! name, the variables, the caller as far as its token goes (`Scope` without its expiry: the
//! subject, administrator, `content_org` filters, scopes, how it authenticated; two tokens
//! that say the same share answers, an anonymous caller has its own), and the `Host` header
//! (the partner of its site filters lists). Only queries that ran to the end without an error
//! are kept.
//!
//! Never stale: each answer carries the `live::Generation` taken before its query ran and is
//! used only while the generation is unchanged. The generation moves when this process commits
//! a write (at once: read-your-writes) and when the change feed sees a newer change id, which
//! covers other processes and replicas (PostgreSQL NOTIFY, else its poll: 200 ms on SQLite,
//! 1 s on PostgreSQL) and grants, which are logged writes like the others. An answer whose
//! query overlapped a commit carries the generation from before it, so it is never used after.
//!
//! The operations of a batch are looked up and kept one by one. Never kept: a query that sends
//! a consistency token (`X-Tenancy-Consistency`: it asks for a replica that has caught up,
//! which a kept answer cannot promise, so it always runs), and an answer read from a replica
//! (it may predate a write this process already counted, and would outlive the replica's lag).

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::HeaderValue;
use prometheus::{IntCounter, IntGauge};
use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, OptionsBuilder, Weighter};

use crate::access::Scope;
use crate::config;
use crate::live::Generation;
use crate::metrics::Metrics;

/// What an answer is computed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    document: String,
    operation: Option<String>,
    /// The variables as JSON (in the order sent: another order is only a miss).
    variables: String,
    /// The caller's scope without `expires` (a subscription's concern, never an answer's).
    view: Scope,
    host: Option<String>,
}

impl Key {
    pub fn new(request: &async_graphql::Request, scope: &Scope, host: Option<&str>) -> Key {
        Key {
            document: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).unwrap_or_default(),
            view: Scope {
                expires: None,
                ..scope.clone()
            },
            host: host.map(str::to_owned),
        }
    }

    /// Bytes the key holds, roughly.
    fn bytes(&self) -> usize {
        self.document.len()
            + self.operation.as_ref().map_or(0, String::len)
            + self.variables.len()
            + self.host.as_ref().map_or(0, String::len)
            + self.view.weight()
    }
}

/// A kept answer: the JSON bytes sent and their `ETag`.
#[derive(Debug)]
pub struct Entry {
    generation: u64,
    pub body: Bytes,
    pub etag: HeaderValue,
}

/// Bookkeeping per entry besides its bytes (the map's slot, `Arc`s, the key's `Vec`s).
const OVERHEAD: u64 = 256;

#[derive(Clone)]
struct ByBytes;

impl Weighter<Key, Arc<Entry>> for ByBytes {
    fn weight(&self, key: &Key, entry: &Arc<Entry>) -> u64 {
        (key.bytes() + entry.body.len() + entry.etag.len()) as u64 + OVERHEAD
    }
}

/// Counts what the bound pushes out, and answers too large to be admitted at all.
#[derive(Clone)]
struct Evictions(IntCounter);

impl Lifecycle<Key, Arc<Entry>> for Evictions {
    type RequestState = ();

    fn on_evict(&self, _: &mut (), _: Key, _: Arc<Entry>) {
        self.0.inc();
    }
}

type Store = Cache<Key, Arc<Entry>, ByBytes, DefaultHashBuilder, Evictions>;

struct Inner {
    store: Store,
    /// The generation the store was last emptied for: entries of older generations are
    /// useless, and emptying frees their memory at once rather than as they are evicted.
    emptied_for: AtomicU64,
    hits: IntCounter,
    misses: IntCounter,
    bytes: IntGauge,
}

/// The cache of one service (cheap to clone). Off, it still carries the generation that
/// commits move.
#[derive(Clone)]
pub struct ResponseCache {
    inner: Option<Arc<Inner>>,
    generation: Generation,
}

/// What a lookup found.
pub enum Lookup {
    Hit(Arc<Entry>),
    /// Run the query; `Ticket::keep` stores its answer.
    Miss(Box<Ticket>),
}

/// The right to store one answer, under the generation taken before its query ran.
pub struct Ticket {
    inner: Arc<Inner>,
    key: Key,
    generation: u64,
    current: Generation,
}

impl ResponseCache {
    pub fn new(
        settings: &config::ResponseCache,
        generation: Generation,
        metrics: &Metrics,
    ) -> Self {
        let inner = settings.enabled.then(|| {
            // Few shards: each holds a part of the bound, and an answer larger than its shard's
            // part is never admitted (a 1,000-organization list is about 200 KB).
            let options = OptionsBuilder::new()
                .weight_capacity(settings.bytes as u64)
                .estimated_items_capacity((settings.bytes / 4096).clamp(32, 1 << 20))
                .shards(4)
                .build()
                .unwrap_or_else(|_| unreachable!("weight and items are set"));
            let lifecycle = Evictions(metrics.response_cache_evictions.clone());
            Arc::new(Inner {
                store: Cache::with_options(
                    options,
                    ByBytes,
                    DefaultHashBuilder::default(),
                    lifecycle,
                ),
                emptied_for: AtomicU64::new(generation.current()),
                hits: metrics.response_cache.with_label_values(&["hit"]),
                misses: metrics.response_cache.with_label_values(&["miss"]),
                bytes: metrics.response_cache_bytes.clone(),
            })
        });
        ResponseCache { inner, generation }
    }

    /// The same cache following `generation` (the change feed's) instead.
    pub fn following(self, generation: Generation) -> Self {
        if let Some(inner) = &self.inner {
            inner.store.clear();
            inner
                .emptied_for
                .store(generation.current(), Ordering::SeqCst);
        }
        ResponseCache {
            inner: self.inner,
            generation,
        }
    }

    pub fn generation(&self) -> &Generation {
        &self.generation
    }

    /// The answer kept for `key` in the current generation, or a ticket to keep it; `None`
    /// when the cache is off.
    pub fn lookup(&self, key: Key) -> Option<Lookup> {
        let inner = self.inner.as_ref()?;
        // Taken before the query runs: a write that commits meanwhile moves it.
        let generation = self.generation.current();
        if inner.emptied_for.swap(generation, Ordering::SeqCst) != generation {
            inner.store.clear();
        }
        match inner.store.get(&key) {
            Some(entry) if entry.generation == generation => {
                inner.hits.inc();
                return Some(Lookup::Hit(entry));
            }
            _ => inner.misses.inc(),
        }
        Some(Lookup::Miss(Box::new(Ticket {
            inner: inner.clone(),
            key,
            generation,
            current: self.generation.clone(),
        })))
    }

    /// Bytes held, for `/metrics`.
    pub fn report(&self) {
        if let Some(inner) = &self.inner {
            inner.bytes.set(inner.store.weight() as i64);
        }
    }
}

impl Ticket {
    /// Keeps the answer `body` (already known complete and error-free) with its `etag`, unless
    /// the generation moved while it was computed. Entries carry their generation, so one that
    /// races a commit past this check is never used either.
    pub fn keep(self, body: Bytes, etag: HeaderValue) {
        if self.current.current() != self.generation {
            return;
        }
        let entry = Arc::new(Entry {
            generation: self.generation,
            body,
            etag,
        });
        self.inner.store.insert(self.key, entry);
    }
}

#[cfg(test)]
mod tests;
