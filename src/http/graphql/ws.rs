//! GraphQL over WebSocket on `/graphql`: the `graphql-transport-ws` subprotocol (the graphql-ws
//! library's, and what Apollo Router speaks to subgraphs), and the legacy `graphql-ws` one.
//!
//! The upgrade is refused (403) for a browser page of another origin (the service's own, or one
//! in `TENANCY_CORS_ALLOWED_ORIGINS`): a WebSocket carries the browser's cookies whatever page
//! opens it. The caller is the upgrade request's (header or cookies), or the one
//! `connection_init`'s payload names with `{"Authorization": "JWT ..."}`. Every `subscribe`
//! message then goes through the pipeline (`pipeline::Door`) like any other operation.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{
    ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols as Protocols, WsMessage,
};
use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::extract::ws::{CloseFrame, Message, WebSocket as Socket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};

use super::{peer, reply};
use crate::error::AppError;
use crate::graphql::subscription::SubscriptionBudget;
use crate::pipeline::{Credentials, Door, Session, SocketProtocol, Transport};
use crate::state::AppState;

/// Bytes a connection reads at once. Clients send small messages (subscribe, ping, complete);
/// a larger one is read in several steps. tungstenite's default (128 KiB) is zeroed and held by
/// every connection, idle or not.
const READ_BUFFER: usize = 8 * 1024;

/// How long a message may wait for the client to take it. A client that stops reading is
/// disconnected and its subscriptions end, rather than holding their slots and the rows they
/// have read for as long as its TCP connection lasts.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether the request asks to upgrade to a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

pub async fn upgrade(state: AppState, req: Request) -> Response {
    let peer = peer(req.extensions());
    let headers = Arc::new(req.headers().clone());
    let pipeline = state.pipeline.clone();
    let receipt = match pipeline.receive(peer, headers.clone()).await {
        Ok(receipt) => receipt,
        Err(err) => return reply::too_many(err),
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        if !pipeline.socket_origin_allowed(&receipt, origin) {
            let error = AppError::Forbidden {
                message:
                    "a WebSocket from this origin is not allowed (TENANCY_CORS_ALLOWED_ORIGINS)"
                        .into(),
            };
            return (StatusCode::FORBIDDEN, axum::Json(error.errors_body())).into_response();
        }
    }
    let connection = match pipeline.enter_live(&receipt) {
        Ok(connection) => connection,
        Err(err) => return reply::too_many(err),
    };
    drop(receipt);
    let (mut parts, _) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|p| Protocols::from_str(p.trim()).ok())
        })
        .unwrap_or(Protocols::GraphQLWS);
    // A message is a request body by another name: the same size limit.
    let max_message = state.config.limits.body_bytes;
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(READ_BUFFER)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| async move {
            serve(state, socket, protocol, peer, headers).await;
            drop(connection);
        })
}

async fn serve(
    state: AppState,
    socket: Socket,
    protocol: Protocols,
    peer: Option<std::net::IpAddr>,
    headers: Arc<HeaderMap>,
) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|msg| futures::future::ready(msg.is_ok()))
        .filter_map(|msg| {
            futures::future::ready(match msg {
                Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            })
        });
    let pipeline = state.pipeline.clone();
    let transport = Transport::Socket(match protocol {
        Protocols::GraphQLWS => SocketProtocol::TransportWs,
        Protocols::SubscriptionsTransportWS => SocketProtocol::LegacyWs,
    });
    let mut output = WebSocket::new(Door(pipeline.clone()), input, protocol).on_connection_init(
        move |payload: serde_json::Value| async move {
            let authorization = ["Authorization", "authorization"]
                .iter()
                .find_map(|k| payload.get(*k).and_then(|v| v.as_str()));
            let caller = pipeline
                .socket_caller(&headers, authorization)
                .map_err(|err| async_graphql::Error::new(err.message()))?;
            let session = Session {
                peer,
                headers,
                credentials: Credentials::Socket {
                    caller: Arc::new(caller),
                    budget: SubscriptionBudget::default(),
                },
                transport,
            };
            let mut data = Data::default();
            data.insert(Arc::new(session));
            Ok(data)
        },
    );
    while let Some(message) = output.next().await {
        let sent = match message {
            WsMessage::Text(text) => {
                tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(text.into()))).await
            }
            WsMessage::Close(code, reason) => {
                let frame = CloseFrame {
                    code,
                    reason: reason.into(),
                };
                let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Close(Some(frame))))
                    .await;
                break;
            }
        };
        if !matches!(sent, Ok(Ok(()))) {
            break;
        }
    }
}
