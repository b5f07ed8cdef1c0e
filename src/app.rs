//! Builds and runs the HTTP server around an [`Engine`]. Tests use the same path on port 0
//! with a temporary store.

use std::net::SocketAddr;
use std::sync::Arc;

use actix::Actor;
use actix_web::{HttpServer, web};

use crate::api::ws::hub::{HubDeps, StreamHub};
use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::engine::{Engine, StartError};

pub struct Application {
    engine: Arc<Engine>,
    addr: SocketAddr,
    /// Whether the port serves HTTPS and WSS (`server.tls_cert`, `server.tls_key`).
    tls: bool,
    server: actix_web::dev::Server,
    /// Runs the stream hub (console, field and board fan-out).
    hub_arbiter: actix::Arbiter,
}

impl Application {
    /// Starts the engine and binds the server; must run inside an actix system.
    pub fn build(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, AppError> {
        crate::api::prometheus();
        let host = settings.server.host.clone();
        let port = settings.server.port;
        let workers = settings.server.workers;
        let shutdown_timeout = settings.server.shutdown_timeout_s;
        // Take the port before starting anything, so a port in use fails cleanly.
        let bind_error = |source| AppError::Bind {
            addr: format!("{host}:{port}"),
            source,
        };
        // Read the certificate and key before the store opens: a bad file stops the start.
        let tls = crate::tls::server_config(&settings.server)?;
        let listener = std::net::TcpListener::bind((host.as_str(), port)).map_err(bind_error)?;
        let engine = Engine::start(settings, clock)?;
        let hub_arbiter = actix::Arbiter::new();
        let hub = web::Data::new(StreamHub::start_in_arbiter(&hub_arbiter.handle(), {
            let deps = Arc::new(HubDeps {
                store: engine.store.clone(),
                catalog: engine.catalog.clone(),
                roster: engine.roster.clone(),
                fleet: engine.fleet.clone(),
                tickets: engine.tickets.clone(),
                retailers: engine.retailers.clone(),
                clock: engine.clock.clone(),
                bus: engine.bus.clone(),
                streams: engine.settings.streams.clone(),
                board: engine.settings.board.clone(),
            });
            move |_| StreamHub::new(deps)
        }));
        crate::actors::probe::watch_actor("stream_hub", hub.get_ref().clone());
        let data = web::Data::from(engine.clone());
        let mut server = HttpServer::new(move || crate::api::app(data.clone(), hub.clone()))
            .shutdown_timeout(shutdown_timeout)
            .max_connections(20_000);
        if workers > 0 {
            server = server.workers(workers);
        }
        let with_tls = tls.is_some();
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config),
            None => server.listen(listener),
        }
        .map_err(bind_error)?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| AppError::Bind {
                addr: format!("{host}:{port}"),
                source: std::io::Error::other("no address bound"),
            })?;
        let server = server.run();
        tracing::info!(%addr, tls = with_tls, "listening");
        Ok(Self {
            engine,
            addr,
            tls: with_tls,
            server,
            hub_arbiter,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address clients reach: `https://…` with TLS, else `http://…`.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM, Ctrl-C or the handle), then flushes the store.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(node) = &self.engine.cluster {
            node.leave().await;
        }
        self.hub_arbiter.stop();
        self.engine.shutdown();
        tracing::info!("stopped; store flushed");
        result
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Start(#[from] StartError),
    /// Transparent: the message names the setting and the file.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}
