//! How an operation reached the service. The stages treat every transport alike except where
//! the transport itself changes what is true: a GET may not write (it can be prefetched or sent
//! cross-site); a socket carries no CSRF token, which its caller knows (`access::Caller`).

use strum::{EnumDiscriminants, EnumIter, IntoEnumIterator};

/// The WebSocket subprotocols spoken on `/graphql`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter)]
pub enum SocketProtocol {
    /// `graphql-transport-ws`: the graphql-ws library's, and what routers speak to subgraphs.
    TransportWs,
    /// `graphql-ws`: the legacy subscriptions-transport-ws protocol.
    LegacyWs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumDiscriminants)]
#[strum_discriminants(name(Kind), derive(EnumIter))]
pub enum Transport {
    Post,
    Get,
    /// GraphQL over Server-Sent Events: a POST that accepts `text/event-stream`.
    Sse,
    /// The same by GET (which, like any GET, may not write).
    SseGet,
    Socket(SocketProtocol),
}

impl Transport {
    /// Every transport, derived from the enums themselves (not a hand-kept list): a new
    /// variant is in it, and so in the parity table of `tests/api/door.rs`, which runs every
    /// document over each of them, as soon as it compiles.
    pub fn all() -> Vec<Transport> {
        Kind::iter()
            .flat_map(|kind| match kind {
                Kind::Post => vec![Transport::Post],
                Kind::Get => vec![Transport::Get],
                Kind::Sse => vec![Transport::Sse],
                Kind::SseGet => vec![Transport::SseGet],
                Kind::Socket => SocketProtocol::iter().map(Transport::Socket).collect(),
            })
            .collect()
    }

    /// Whether operations of this transport may write.
    pub fn may_write(self) -> bool {
        !matches!(self, Transport::Get | Transport::SseGet)
    }

    /// Whether an SSE request carried it (one subscription connection per request).
    pub fn is_sse(self) -> bool {
        matches!(self, Transport::Sse | Transport::SseGet)
    }

    /// The name used in logs and metrics labels.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Post => "post",
            Transport::Get => "get",
            Transport::Sse => "sse",
            Transport::SseGet => "sse-get",
            Transport::Socket(SocketProtocol::TransportWs) => "graphql-transport-ws",
            Transport::Socket(SocketProtocol::LegacyWs) => "graphql-ws",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_holds_every_transport_once() {
        let all = Transport::all();
        let names: std::collections::HashSet<_> = all.iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), all.len(), "{all:?}");
        assert_eq!(
            all.len(),
            Kind::iter().count() - 1 + SocketProtocol::iter().count()
        );
        for kind in Kind::iter() {
            assert!(all.iter().any(|t| Kind::from(t) == kind), "{kind:?}");
        }
    }
}
