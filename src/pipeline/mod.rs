//! The one door: every GraphQL operation passes here, whatever its transport (docs/architecture.md).
//!
//! POST, GET, a WebSocket message (`graphql-transport-ws` or the legacy `graphql-ws`) and an SSE
//! request are adapters (`http::graphql`): they hand over what they received and turn answers
//! into frames. The stages run in this order for every one of them, each a module with one job:
//!
//! 1. `receive`: who the client is (the peer, or behind trusted proxies the client they forward)
//!    and which site it asked for; its slot: at most `--max-inflight-per-client` operations in
//!    flight, then a short queue, then 429.
//! 2. `prepare`: the size and bracket pre-check, parsing and validation (each distinct document
//!    once: `documents`), the variables' values, the depth, complexity and cost limits.
//! 3. `admit`: the caller (the request's token, or the socket's, checked for expiry at every
//!    operation), the read-only rule of restricted tokens, and the CSRF and `Origin` rule for
//!    cookie-authenticated mutations (a socket carries no CSRF token, so its cookie-authenticated
//!    mutations are refused).
//! 4. `execute`: the per-request context with its loaders driven, the response cache, replica
//!    routing and fallback, the query slots, the time limit.
//! 5. `finish`: every error coded once (`coding`), keys in selection order, the consistency
//!    token, the metrics; the response budget applies when an `Answer` is written.
//!
//! Nothing outside `execute` calls the schema (`tests/api/layers.rs` checks it), so a new
//! transport cannot skip a stage.

mod admit;
pub mod answer;
mod coding;
pub mod connections;
mod context;
pub mod documents;
mod execute;
mod finish;
pub mod forwarded;
mod prepare;
pub mod receive;
pub mod response_cache;
mod socket;
mod transport;
mod variables;

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use futures::stream::BoxStream;
use sea_orm::DatabaseConnection;

pub use answer::{Answer, Cacheability, Kind};
pub use connections::{LiveClients, LiveConnection};
pub use receive::Receipt;
pub use response_cache::ResponseCache;
pub use socket::{Door, Session};
pub use transport::{SocketProtocol, Transport};

use crate::access;
use crate::access::Scope;
use crate::auth::Verifier;
use crate::config::Config;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::graphql::subscription::SubscriptionBudget;
use crate::metrics::Metrics;
use crate::replicas::Replicas;

/// What says who the operation runs for.
#[derive(Clone)]
pub enum Credentials {
    /// An HTTP request: its `Authorization` header or JWT cookies (the receipt's headers).
    Request,
    /// A socket's caller, made when it connected (the upgrade request or `connection_init`);
    /// its token's expiry is checked again at every operation. `budget` bounds the socket's
    /// subscriptions.
    Socket {
        caller: Arc<access::Caller>,
        budget: SubscriptionBudget,
    },
}

/// What the stages share: the schema, the configuration and the state of each stage.
pub struct Pipeline {
    schema: AppSchema,
    config: Arc<Config>,
    verifier: Arc<Verifier>,
    documents: documents::Documents,
    clients: receive::Clients,
    live: Arc<LiveClients>,
    query_slots: Arc<tokio::sync::Semaphore>,
    replicas: Arc<Replicas>,
    responses: ResponseCache,
    metrics: Metrics,
}

/// What a pipeline is made of.
pub struct Parts {
    pub schema: AppSchema,
    pub config: Arc<Config>,
    pub verifier: Arc<Verifier>,
    pub replicas: Arc<Replicas>,
    pub responses: ResponseCache,
    pub metrics: Metrics,
}

impl Pipeline {
    pub fn new(parts: Parts) -> Pipeline {
        let Parts {
            schema,
            config,
            verifier,
            replicas,
            responses,
            metrics,
        } = parts;
        let slots = config.limits.query_slots(&config.database_url);
        Pipeline {
            documents: documents::Documents::new(&schema.sdl(), &metrics),
            clients: receive::Clients::new(&config),
            live: Arc::default(),
            query_slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            schema,
            config,
            verifier,
            replicas,
            responses,
            metrics,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The primary database (mutations and subscriptions run there).
    fn primary(&self) -> &DatabaseConnection {
        self.replicas.primary()
    }

    /// One operation answered once: POST, GET, and a socket's queries and mutations.
    pub async fn run(
        &self,
        receipt: &Receipt,
        credentials: &Credentials,
        request: async_graphql::Request,
        transport: Transport,
    ) -> Answer {
        let started = std::time::Instant::now();
        let prepared = prepare::prepare(self, request).await;
        let operation = prepared.operation();
        let answer = self
            .run_prepared(receipt, credentials, prepared, transport)
            .await;
        finish::record(&self.metrics, operation, &answer, started);
        answer
    }

    /// One operation as a stream of answers (SSE and sockets): a subscription's events, or the
    /// one answer of a query or mutation; `Err` when it was refused before anything ran.
    pub async fn stream(
        &self,
        receipt: Receipt,
        credentials: &Credentials,
        request: async_graphql::Request,
        transport: Transport,
    ) -> Result<BoxStream<'static, Answer>, Answer> {
        use futures::StreamExt;
        let started = std::time::Instant::now();
        let prepared = prepare::prepare(self, request).await;
        let operation = prepared.operation();
        if operation != Some(OperationType::Subscription) {
            let answer = self
                .run_prepared(&receipt, credentials, prepared, transport)
                .await;
            finish::record(&self.metrics, operation, &answer, started);
            if answer.kind == Kind::Refused {
                return Err(answer);
            }
            return Ok(futures::stream::iter([answer]).boxed());
        }
        let admitted = self
            .admitted(&receipt, credentials, prepared, transport)
            .and_then(|(checked, scope)| {
                // An SSE request is one subscription connection; a socket was counted when
                // it opened.
                let counted = if transport.is_sse() {
                    let counted = self.enter_live(&receipt);
                    Some(counted.map_err(|err| vec![err.into_server_error()])?)
                } else {
                    None
                };
                Ok((checked, scope, counted))
            });
        let (checked, scope, counted) = match admitted {
            Ok(admitted) => admitted,
            Err(errors) => {
                let refused = Answer::refused(errors);
                finish::record(&self.metrics, operation, &refused, started);
                return Err(refused);
            }
        };
        finish::record_start(&self.metrics, started);
        // The client's slot is for starting: a subscription's life is bounded by the live
        // limits (`live`), not by the in-flight ones.
        receipt.release();
        let budget = match credentials {
            Credentials::Socket { budget, .. } => Some(budget.clone()),
            Credentials::Request => None,
        };
        let events = execute::subscribe(self, &receipt, &scope, checked, budget);
        Ok(events
            .map(move |event| {
                let _counted = &counted;
                event
            })
            .boxed())
    }

    async fn run_prepared(
        &self,
        receipt: &Receipt,
        credentials: &Credentials,
        prepared: prepare::Prepared,
        transport: Transport,
    ) -> Answer {
        match self.admitted(receipt, credentials, prepared, transport) {
            Ok((prepared, scope)) => execute::run(self, receipt, &scope, prepared).await,
            Err(errors) => Answer::refused(errors),
        }
    }

    /// Stage 3 after stage 2: a prepared operation and its caller, or the refusal.
    fn admitted(
        &self,
        receipt: &Receipt,
        credentials: &Credentials,
        prepared: prepare::Prepared,
        transport: Transport,
    ) -> Result<(prepare::Checked, Arc<Scope>), Vec<async_graphql::ServerError>> {
        let checked = prepared.checked()?;
        let scope = admit::admit(self, receipt, credentials, checked.operation, transport)
            .map_err(|err| vec![err.into_server_error()])?;
        Ok((checked, scope))
    }

    /// The caller of a socket, from its upgrade request's headers or, when `connection_init`
    /// names one, from that `Authorization` value.
    pub fn socket_caller(
        &self,
        headers: &http::HeaderMap,
        authorization: Option<&str>,
    ) -> Result<access::Caller, AppError> {
        access::Caller::of_socket(&self.verifier, &self.config, headers, authorization)
    }

    /// The query execution slots (`--max-concurrent-queries`), for readiness.
    pub fn query_slots(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.query_slots
    }

    /// Stage 1 for an operation from `peer` that carried `headers`.
    pub async fn receive(
        &self,
        peer: Option<std::net::IpAddr>,
        headers: Arc<http::HeaderMap>,
    ) -> Result<Receipt, AppError> {
        self.clients.receive(peer, headers).await
    }

    /// Whether a browser page of `origin` may open a socket here (docs/architecture.md).
    pub fn socket_origin_allowed(&self, receipt: &Receipt, origin: &str) -> bool {
        admit::origin_allowed(&self.config, receipt, origin)
    }

    /// Counts one more open subscription connection of the receipt's client (WebSocket or SSE),
    /// or refuses it past the per-client limit.
    pub fn enter_live(&self, receipt: &Receipt) -> Result<LiveConnection, AppError> {
        self.live.enter(receipt.client())
    }
}
