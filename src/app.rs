//! Assembling and running the service.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::graphql::build_schema;
use crate::http::{AppState, router};
use crate::live::ChangeFeed;
use crate::metrics::Metrics;

/// A service bound to its address, ready to run.
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    /// Connects to and migrates the database, then binds `listen` (port 0 picks a free port).
    pub async fn bind(config: Config, listen: &str) -> anyhow::Result<Server> {
        crate::domain::check_patterns()?;
        let verifier = crate::auth::Verifier::from_config(&config)?;
        let metrics = Metrics::new();
        let db = crate::db::connect(&config.database_url, &metrics).await?;
        if config.migrate {
            crate::db::migrate(&db).await?;
        }
        let config = Arc::new(config);
        let feed = Arc::new(ChangeFeed::start(&config.database_url).await?);
        let schema = build_schema(db.clone(), config.clone(), feed);
        let state = AppState::new(db, schema, metrics, config).with_verifier(verifier);
        let listener = TcpListener::bind(listen).await?;
        Ok(Server { listener, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // The peer address feeds the per-client in-flight limit.
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
