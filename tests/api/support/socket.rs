//! A GraphQL-over-WebSocket client for both subprotocols the service speaks: `graphql-transport-ws`
//! (the graphql-ws library's) and the legacy `graphql-ws` (subscriptions-transport-ws). The npm
//! clients drive the same protocols in tests/node; this one lets the Rust tests put a socket
//! beside every other transport.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Which subprotocol a socket speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    TransportWs,
    LegacyWs,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyWs => "graphql-ws",
        }
    }
}

/// How a socket ended before it could be used: the upgrade's HTTP status, or the close frame
/// (code and reason) that answered `connection_init`.
#[derive(Debug)]
pub enum Refused {
    Status(u16),
    Closed(u16, String),
}

pub struct Socket {
    stream: Stream,
    protocol: Protocol,
    next_id: u64,
}

/// What one operation answered: its payloads, then how it ended (`None`: completed).
#[derive(Debug, Default)]
pub struct Answers {
    pub payloads: Vec<Value>,
    pub error: Option<Value>,
}

impl Socket {
    /// Opens a socket to `addr` (`127.0.0.1:port`) with extra upgrade `headers`, and sends
    /// `connection_init` with `init` as its payload.
    pub async fn connect(
        addr: &str,
        protocol: Protocol,
        headers: &[(&str, &str)],
        init: Value,
    ) -> Result<Socket, Refused> {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .expect("a WebSocket URL");
        let map = request.headers_mut();
        map.insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(protocol.name()),
        );
        for (name, value) in headers {
            map.insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .expect("a header name"),
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        let (stream, _) = match tokio_tungstenite::connect_async(request).await {
            Ok(connected) => connected,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                return Err(Refused::Status(response.status().as_u16()));
            }
            Err(err) => panic!("WebSocket connection failed: {err}"),
        };
        let mut socket = Socket {
            stream,
            protocol,
            next_id: 0,
        };
        socket
            .send(json!({ "type": "connection_init", "payload": init }))
            .await;
        loop {
            match socket.receive().await {
                Ok(message) if message["type"] == "connection_ack" => return Ok(socket),
                Ok(message) if message["type"] == "ka" => continue,
                Ok(message) => {
                    return Err(Refused::Closed(0, message.to_string()));
                }
                Err(closed) => return Err(closed),
            }
        }
    }

    /// Sends any protocol message.
    pub async fn send(&mut self, message: Value) {
        self.stream
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send a message");
    }

    /// The next protocol message (JSON), or how the socket closed.
    pub async fn receive(&mut self) -> Result<Value, Refused> {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(30), self.stream.next())
                .await
                .expect("an answer within 30 s");
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(&text).expect("a JSON message"));
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Err(Refused::Closed(code, reason));
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => return Err(Refused::Closed(1006, err.to_string())),
                None => return Err(Refused::Closed(1006, "ended".into())),
            }
        }
    }

    /// Starts an operation; `take` answers it until it completes.
    pub async fn start(&mut self, query: &str, variables: Value) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::LegacyWs => "start",
        };
        let payload = json!({ "query": query, "variables": variables });
        self.send(json!({ "id": id, "type": kind, "payload": payload }))
            .await;
        id
    }

    /// The payloads of operation `id` until it completes or fails, at most `limit` of them.
    pub async fn take(&mut self, id: &str, limit: usize) -> Result<Answers, Refused> {
        let mut answers = Answers::default();
        while answers.payloads.len() < limit {
            let message = self.receive().await?;
            if message["id"] != id {
                continue;
            }
            match message["type"].as_str() {
                Some("next" | "data") => answers.payloads.push(message["payload"].clone()),
                Some("complete") => break,
                Some("error") => {
                    answers.error = Some(message["payload"].clone());
                    break;
                }
                _ => {}
            }
        }
        Ok(answers)
    }

    /// One operation, answered once (a query or a mutation).
    pub async fn once(&mut self, query: &str, variables: Value) -> Result<Answers, Refused> {
        let id = self.start(query, variables).await;
        self.take(&id, usize::MAX).await
    }
}
