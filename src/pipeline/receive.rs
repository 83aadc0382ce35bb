//! Stage 1, receive: who sent the operation, and its share of the service (docs/architecture.md).
//!
//! The client is the peer address, or behind trusted proxies the client they forward; the site
//! is the request's `Host`, or behind trusted proxies the host they forward (`forwarded`).
//!
//! One client may have at most `--max-inflight-per-client` operations in flight, so that it
//! cannot take every database connection of the pool and starve the others. An operation over
//! that share waits in the client's own short queue (at most `--max-queued-per-client`, each for
//! at most `--client-queue-timeout`) and is refused with TOO_MANY_REQUESTS only when the queue is
//! full or its wait ends: a burst from one client is smoothed, not refused. An HTTP request takes
//! its slot when it arrives, before its body is read (a body sent slowly holds the client's
//! share, not someone else's); a socket's operation when its message arrives.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::forwarded;
use crate::config::{Cidr, Config};
use crate::error::AppError;

/// The clients with operations in flight, and their queues.
#[derive(Clone)]
pub struct Clients {
    per_client: usize,
    queue: usize,
    wait: Duration,
    trusted: Arc<[Cidr]>,
    clients: Arc<Mutex<HashMap<IpAddr, Arc<Client>>>>,
}

struct Client {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
}

/// An operation received: who sent it, what it sent along (headers, cookies) and its slot,
/// held until the receipt is dropped or `release`d.
pub struct Receipt {
    client: Option<IpAddr>,
    host: Option<String>,
    headers: Arc<HeaderMap>,
    slot: Mutex<Option<Slot>>,
}

/// One of a client's in-flight slots.
struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    ip: IpAddr,
    clients: Clients,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // The permit goes back first, then an idle client is forgotten.
        drop(self.permit.take());
        self.clients.forget_idle(self.ip);
    }
}

impl Receipt {
    /// The client (the peer, or the client a trusted proxy forwards); `None` in-process.
    pub fn client(&self) -> Option<IpAddr> {
        self.client
    }

    /// The host the request named: the site for `currentSite` and the partner filter.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Gives the client's slot back early (a subscription, once started, no longer holds it).
    pub fn release(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            slot.take();
        }
    }

    /// A receipt with no slot (tests of the stages, which need no client).
    #[cfg(test)]
    pub fn detached(headers: HeaderMap) -> Receipt {
        Receipt {
            client: None,
            host: forwarded::host(&[], None, &headers),
            headers: Arc::new(headers),
            slot: Mutex::new(None),
        }
    }
}

impl Clients {
    pub fn new(config: &Config) -> Self {
        let limits = &config.limits;
        Clients {
            per_client: limits.inflight_per_client.max(1),
            queue: limits.queued_per_client,
            wait: limits.client_queue_timeout,
            trusted: config.trusted_proxies.clone().into(),
            clients: Arc::default(),
        }
    }

    /// Receives an operation from `peer` (absent for in-process requests, which have no client
    /// to count): waits for the client's slot, or refuses it.
    pub async fn receive(
        &self,
        peer: Option<IpAddr>,
        headers: Arc<HeaderMap>,
    ) -> Result<Receipt, AppError> {
        let client = peer.map(|peer| self.client_ip(peer, &headers));
        let slot = match client {
            Some(ip) => Some(self.slot(ip).await?),
            None => None,
        };
        Ok(Receipt {
            client,
            host: forwarded::host(&self.trusted, peer, &headers),
            headers,
            slot: Mutex::new(slot),
        })
    }

    async fn slot(&self, ip: IpAddr) -> Result<Slot, AppError> {
        let client = self.client(ip);
        let permit = match client.slots.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                // Over its share: wait in the client's queue, if there is room.
                if client.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    client.waiting.fetch_sub(1, Ordering::SeqCst);
                    None
                } else {
                    let waited =
                        tokio::time::timeout(self.wait, client.slots.clone().acquire_owned()).await;
                    client.waiting.fetch_sub(1, Ordering::SeqCst);
                    waited.ok().and_then(Result::ok)
                }
            }
        };
        drop(client);
        match permit {
            Some(permit) => Ok(Slot {
                permit: Some(permit),
                ip,
                clients: self.clone(),
            }),
            None => {
                self.forget_idle(ip);
                Err(AppError::TooManyRequests {
                    message: "too many requests in flight from this client; retry shortly".into(),
                })
            }
        }
    }

    fn client(&self, ip: IpAddr) -> Arc<Client> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        clients
            .entry(ip)
            .or_insert_with(|| {
                Arc::new(Client {
                    slots: Arc::new(Semaphore::new(self.per_client)),
                    waiting: AtomicUsize::new(0),
                })
            })
            .clone()
    }

    /// Forgets an idle client, so the map holds only clients with operations in flight.
    fn forget_idle(&self, ip: IpAddr) {
        if let Ok(mut clients) = self.clients.lock()
            && clients.get(&ip).is_some_and(|c| {
                Arc::strong_count(c) == 1
                    && c.slots.available_permits() == self.per_client
                    && c.waiting.load(Ordering::SeqCst) == 0
            })
        {
            clients.remove(&ip);
        }
    }

    /// Who sent the request: the peer, or behind trusted proxies the address they name.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        forwarded::client_ip(&self.trusted, peer, headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_trusted_proxies_the_client_is_the_first_untrusted_forwarded_address()
    -> Result<(), String> {
        let mut config = Config::for_database("sqlite::memory:");
        config.trusted_proxies = vec!["10.0.0.0/8".parse()?];
        let clients = Clients::new(&config);
        let ip = |s: &str| s.parse::<IpAddr>().map_err(|e| e.to_string());
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 192.0.2.7, 10.1.1.1"
                .parse()
                .map_err(|_| "header")?,
        );
        // A trusted router: the address before its own hops.
        assert_eq!(
            clients.client_ip(ip("10.0.0.1")?, &headers),
            ip("192.0.2.7")?
        );
        // Anyone else: the peer, whatever it claims.
        assert_eq!(
            clients.client_ip(ip("192.0.2.9")?, &headers),
            ip("192.0.2.9")?
        );
        // No header: the peer.
        assert_eq!(
            clients.client_ip(ip("10.0.0.1")?, &HeaderMap::new()),
            ip("10.0.0.1")?
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_client_over_its_share_waits_then_is_refused_and_idle_clients_are_forgotten()
    -> Result<(), String> {
        let mut config = Config::for_database("sqlite::memory:");
        config.limits.inflight_per_client = 1;
        config.limits.queued_per_client = 0;
        let clients = Clients::new(&config);
        let peer = Some(IpAddr::from([192, 0, 2, 1]));
        let headers = Arc::new(HeaderMap::new());
        let first = clients
            .receive(peer, headers.clone())
            .await
            .map_err(|e| e.message())?;
        let second = clients.receive(peer, headers.clone()).await;
        assert!(second.is_err(), "over the share with no queue");
        let other = clients
            .receive(Some(IpAddr::from([192, 0, 2, 2])), headers.clone())
            .await;
        assert!(other.is_ok(), "another client has its own share");
        drop(other);
        first.release();
        assert!(clients.receive(peer, headers).await.is_ok());
        assert!(
            clients
                .clients
                .lock()
                .map_err(|e| e.to_string())?
                .is_empty(),
            "every client forgotten once idle"
        );
        Ok(())
    }
}
