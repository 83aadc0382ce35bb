//! How an operation reached the service. The stages treat every transport alike except where
//! the transport itself changes what is true: a GET may not write (it can be prefetched or sent
//! cross-site); a socket carries no CSRF token, which its caller knows (`access::Caller`).

/// The WebSocket subprotocols spoken on `/graphql`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketProtocol {
    /// `graphql-transport-ws`: the graphql-ws library's, and what routers speak to subgraphs.
    TransportWs,
    /// `graphql-ws`: the legacy subscriptions-transport-ws protocol.
    LegacyWs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// Every transport; the parity tests run each of their documents over all of them.
    pub const ALL: [Transport; 6] = [
        Transport::Post,
        Transport::Get,
        Transport::Sse,
        Transport::SseGet,
        Transport::Socket(SocketProtocol::TransportWs),
        Transport::Socket(SocketProtocol::LegacyWs),
    ];

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

    /// A new transport does not compile here until it has a place in `ALL`, and so in the
    /// parity table of `tests/api/door.rs`, which runs every document over each of `ALL`.
    #[test]
    fn all_holds_every_transport_once() {
        let place = |t: Transport| match t {
            Transport::Post => 0,
            Transport::Get => 1,
            Transport::Sse => 2,
            Transport::SseGet => 3,
            Transport::Socket(SocketProtocol::TransportWs) => 4,
            Transport::Socket(SocketProtocol::LegacyWs) => 5,
        };
        for (i, transport) in Transport::ALL.into_iter().enumerate() {
            assert_eq!(place(transport), i, "{transport:?}");
        }
    }
}
