//! GraphQL over WebSocket on `/graphql`: the `graphql-transport-ws` subprotocol (the graphql-ws
//! library's, and what Apollo Router speaks to subgraphs), and the legacy `graphql-ws` one.
//! The caller is the upgrade request's (header or cookies), or the one `connection_init`'s
//! payload names with `{"Authorization": "JWT ..."}`.

use std::str::FromStr;
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{
    ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols as Protocols, WsMessage,
};
use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::extract::ws::{CloseFrame, Message, WebSocket as Socket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};

use super::live;
use crate::domain::scope::Scope;
use crate::error::AppError;
use crate::graphql::subscription::SubscriptionBudget;
use crate::http::AppState;

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
    let connection = match state.live_clients.enter(live::client(
        &state,
        live::peer(req.extensions()),
        req.headers(),
    )) {
        Ok(connection) => connection,
        Err(err) => {
            let status = axum::http::StatusCode::TOO_MANY_REQUESTS;
            return (status, axum::Json(err.errors_body())).into_response();
        }
    };
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
    let caller = live::scope(&state, &parts.headers);
    let host = live::host(&state, live::peer(&parts.extensions), &parts.headers);
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| async move {
            serve(state, socket, protocol, caller, host).await;
            drop(connection);
        })
}

async fn serve(
    state: AppState,
    socket: Socket,
    protocol: Protocols,
    caller: Result<Scope, AppError>,
    host: Option<String>,
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
    let init_state = state.clone();
    let executor = crate::graphql::coded::Coded(state.schema.clone());
    let mut output = WebSocket::new(executor, input, protocol).on_connection_init(
        move |payload: serde_json::Value| async move {
            let authorization = ["Authorization", "authorization"]
                .iter()
                .find_map(|k| payload.get(*k).and_then(|v| v.as_str()));
            let scope = match authorization {
                Some(value) => live::scope_from_authorization(&init_state, value),
                None => caller,
            }
            .map_err(|err| async_graphql::Error::new(err.message()))?;
            let mut data = Data::default();
            data.insert(live::context(&init_state, scope, host));
            data.insert(SubscriptionBudget::default());
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
