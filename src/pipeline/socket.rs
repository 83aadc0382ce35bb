//! The socket's door: async-graphql's WebSocket protocols (both subprotocols) drive an
//! `Executor` themselves, one call per `subscribe`/`start` message. This executor sends every
//! such operation through the stages like any other: its own slot, preparation, the socket's
//! caller (expiry checked again), execution, finishing, the response budget.

use std::any::TypeId;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::{Data, Executor, Request, Response};
use futures::StreamExt;
use futures::stream::BoxStream;
use http::HeaderMap;

use super::{Answer, Credentials, Pipeline, Transport};
use crate::error::AppError;

/// What every operation of one socket shares: who connected, from where, with what caller.
pub struct Session {
    pub peer: Option<IpAddr>,
    /// The upgrade request's headers (its `Host`, forwarded headers and cookies).
    pub headers: Arc<HeaderMap>,
    pub credentials: Credentials,
    pub transport: Transport,
}

/// The executor of a socket's operations; the socket's `Session` is its connection data.
#[derive(Clone)]
pub struct Door(pub Arc<Pipeline>);

impl Door {
    fn session(data: Option<&Arc<Data>>) -> Option<Arc<Session>> {
        data?
            .get(&TypeId::of::<Arc<Session>>())?
            .downcast_ref::<Arc<Session>>()
            .cloned()
    }
}

impl Executor for Door {
    /// Not called by the socket protocols (they stream every operation); an operation without
    /// a session is refused.
    fn execute(&self, _request: Request) -> impl Future<Output = Response> + Send {
        let max = self.0.config.limits.response_bytes;
        async move { no_session().into_response(max) }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let pipeline = self.0.clone();
        let max = pipeline.config.limits.response_bytes;
        let Some(session) = Self::session(session_data.as_ref()) else {
            return futures::stream::once(async move { no_session().into_response(max) }).boxed();
        };
        futures::stream::once(async move {
            let receipt = match pipeline
                .clients
                .receive(session.peer, session.headers.clone())
                .await
            {
                Ok(receipt) => receipt,
                Err(err) => return futures::stream::iter([Answer::refused_with(err)]).boxed(),
            };
            match pipeline
                .stream(receipt, &session.credentials, request, session.transport)
                .await
            {
                Ok(answers) => answers,
                Err(refused) => futures::stream::iter([refused]).boxed(),
            }
        })
        .flatten()
        .map(move |answer| answer.into_response(max))
        .boxed()
    }
}

fn no_session() -> Answer {
    Answer::refused_with(AppError::internal(anyhow::anyhow!(
        "a socket operation arrived without its session"
    )))
}
