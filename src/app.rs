//! Assembling and running the service.
//!
//! Connections are served here rather than by `axum::serve`, which has no timeouts: every
//! HTTP/1.1 connection gets `--header-read-timeout` to send each request's headers (counted from
//! when the connection opens or its previous response ends, so an idle keep-alive connection
//! is closed after it too), the GraphQL handler gives a body `--body-read-timeout`, and at most
//! `--max-connections` connections are open at once (further clients wait in the listen
//! backlog). Upgraded WebSocket connections and streaming (SSE) responses are not subject to
//! the read timeouts: they end when their subscription does.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::{Config, Limits};
use crate::graphql::build_schema;
use crate::http::{metrics_router, router};
use crate::live::ChangeFeed;
use crate::metrics::Metrics;
use crate::state::AppState;

/// A service bound to its address, ready to run.
pub struct Server {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    state: AppState,
}

impl Server {
    /// Connects to and migrates the database, then binds `listen` (port 0 picks a free port)
    /// and `--metrics-listen` when set.
    pub async fn bind(config: Config, listen: &str) -> anyhow::Result<Server> {
        crate::domain::check_patterns()?;
        let verifier = crate::auth::Verifier::from_config(&config).map_err(|err| {
            anyhow::anyhow!(
                "{err}; hint: copy the value from the LMS's JWT_AUTH settings (docs/openedx.md: \
                 Pointing it at an LMS), or unset it; see `tenancy-gateway serve --help`"
            )
        })?;
        let metrics = Metrics::new();
        let db = crate::db::connect(&config.database_url, &metrics).await?;
        if config.migrate {
            crate::db::migrate(&db).await?;
        }
        let metrics_listener = match &config.metrics_listen {
            Some(addr) => Some(bind(addr, "--metrics-listen / TENANCY_METRICS_LISTEN").await?),
            None => None,
        };
        let config = Arc::new(config);
        let position = metrics.change_feed_position.clone();
        let feed = Arc::new(ChangeFeed::start(&config.database_url, position).await?);
        let schema = build_schema(db.clone(), config.clone(), feed.clone());
        let replicas = crate::replicas::Replicas::start(db.clone(), &config, &metrics).await?;
        let mut state = AppState::new(db, schema, metrics, config)
            .with_verifier(verifier)
            .with_replicas(replicas)
            .with_feed(&feed);
        if state.config.follow.enabled() {
            let following = crate::follow::start(
                state.db.clone(),
                &state.config.database_url,
                crate::follow::Options {
                    settings: state.config.follow.settings(),
                    interval: state.config.follow.interval,
                    scope: crate::access::Scope::operator("follow", None),
                    autocreate: state.config.organizations_autocreate,
                    committed: Some(state.responses.generation().clone()),
                    retries: Some(state.metrics.write_retries.clone()),
                },
                &state.metrics,
            );
            state = state.with_follow(following);
        }
        let listener = bind(listen, "--listen / TENANCY_LISTEN").await?;
        Ok(Server {
            listener,
            metrics_listener,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The address `/metrics` is served on when `--metrics-listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let limits = self.state.config.limits.clone();
        let (stop, stopped) = watch::channel(false);
        if let Some(listener) = self.metrics_listener {
            let app = metrics_router(self.state.clone());
            tokio::spawn(serve(listener, app, limits.clone(), stopped.clone()));
        }
        let db = self.state.db.clone();
        let app = router(self.state);
        let serving = tokio::spawn(serve(self.listener, app, limits, stopped));
        shutdown.await;
        let _ = stop.send(true);
        serving.await?;
        crate::db::open::close(db).await;
        Ok(())
    }
}

/// Binds `addr`; a failure names the address, the setting and what to do.
async fn bind(addr: &str, setting: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|err| {
        let hint = match err.kind() {
            std::io::ErrorKind::AddrInUse => {
                "another process (another tenancy-gateway?) listens there: stop it or choose \
                 another port, such as 127.0.0.1:8001 (port 0 picks a free one)"
            }
            std::io::ErrorKind::PermissionDenied => "ports below 1024 need privileges: use 8000",
            std::io::ErrorKind::AddrNotAvailable => {
                "no network interface has that address: use 127.0.0.1 or 0.0.0.0"
            }
            _ => "expected HOST:PORT such as 127.0.0.1:8000",
        };
        anyhow::anyhow!("cannot listen on {addr} ({setting}): {err}; hint: {hint}")
    })
}

/// Accepts connections on `listener` until `stopped` turns true, then waits for the open ones
/// to finish their requests.
async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let max = limits.connections.clamp(1, u32::MAX as usize);
    let slots = Arc::new(Semaphore::new(max));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = until_stopped(&mut stopped) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = until_stopped(&mut stopped) => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer address feeds the per-client in-flight limit.
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            },
        );
        let connection = http
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = until_stopped(&mut stopped) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(permit);
        });
    }
    // Every connection returns its slot when it ends.
    let _ = slots.acquire_many(max as u32).await;
}

/// Resolves once `stopped` turns true (or its sender is gone).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called (not when the
/// future is first polled), so a signal that arrives right after the start-up lines, before
/// serving begins, still stops the service cleanly.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |sig: Option<tokio::signal::unix::Signal>| async move {
                match sig {
                    Some(mut sig) => {
                        sig.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(interrupt) => {},
                _ = wait(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
