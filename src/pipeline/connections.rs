//! The live limits: subscription connections (WebSocket or SSE) one client may hold open at
//! once, counted per client as the receive stage knows it (the forwarded client behind trusted
//! proxies, so one busy client behind a router does not use up everyone's share).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::error::AppError;

/// Subscription connections one client may hold open at once.
pub const CONNECTIONS_PER_CLIENT: usize = 16;

/// Open subscription connections per client address.
#[derive(Default)]
pub struct LiveClients(Mutex<HashMap<IpAddr, usize>>);

/// One open connection, counted until dropped.
pub struct LiveConnection {
    clients: Arc<LiveClients>,
    ip: Option<IpAddr>,
}

impl LiveClients {
    /// Counts a new connection from `ip`, or refuses it past the limit.
    pub fn enter(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<LiveConnection, AppError> {
        if let (Some(ip), Ok(mut open)) = (ip, self.0.lock()) {
            let count = open.entry(ip).or_default();
            if *count >= CONNECTIONS_PER_CLIENT {
                return Err(AppError::TooManyRequests {
                    message: format!(
                        "at most {CONNECTIONS_PER_CLIENT} subscription connections per client"
                    ),
                });
            }
            *count += 1;
        }
        Ok(LiveConnection {
            clients: self.clone(),
            ip,
        })
    }
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        if let (Some(ip), Ok(mut open)) = (self.ip, self.clients.0.lock())
            && let Some(count) = open.get_mut(&ip)
        {
            *count -= 1;
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }
}
