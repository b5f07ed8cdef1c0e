//! The engine: every long-lived part wired together once, shared by the HTTP handlers,
//! the sockets and the CLI.

use std::sync::Arc;

use actix::Arbiter;

use crate::actors::ticket::{TicketDeps, TicketRegistry};
use crate::auth::TokenBook;
use crate::bus::EventBus;
use crate::config::Settings;
use crate::domain::catalog::Catalog;
use crate::domain::clock::Clock;
use crate::roster::Roster;
use crate::store::{SledStore, Store, StoreError};

pub struct Engine {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub bus: Arc<EventBus>,
    pub catalog: Arc<Catalog>,
    pub clock: Arc<dyn Clock>,
    pub tickets: TicketRegistry,
    pub tokens: TokenBook,
    pub roster: Roster,
    /// Arbiters running ticket actors; stopped on shutdown.
    arbiters: Vec<Arbiter>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Settings(#[from] crate::config::SettingsError),
    #[error("opening the store at {path}: {source}")]
    Store { path: String, source: StoreError },
    #[error("recovering: {0}")]
    Recover(StoreError),
}

impl Engine {
    /// Opens the store, recovers every open ticket and starts the actors. Must run inside
    /// an actix system.
    pub fn start(settings: Settings, clock: Arc<dyn Clock>) -> Result<Arc<Engine>, StartError> {
        let catalog = Arc::new(settings.catalog()?);
        let bus = Arc::new(EventBus::new());
        let options = settings.store_options();
        let store: Arc<dyn Store> =
            Arc::new(SledStore::open(&options, bus.clone()).map_err(|source| {
                StartError::Store {
                    path: options.path.display().to_string(),
                    source,
                }
            })?);
        let arbiters: Vec<Arbiter> = (0..settings.tickets.arbiters)
            .map(|_| Arbiter::new())
            .collect();
        let deps = Arc::new(TicketDeps {
            store: store.clone(),
            catalog: catalog.clone(),
            clock: clock.clone(),
        });
        let tickets = TicketRegistry::new(deps, arbiters.iter().map(|a| a.handle()).collect());
        let recovered = tickets.recover().map_err(StartError::Recover)?;
        let tokens = TokenBook::load(store.clone(), settings.bootstrap_admin_token())
            .map_err(StartError::Recover)?;
        tracing::info!(
            open_tickets = recovered,
            last_event_id = store.last_event_id(),
            "store recovered"
        );
        Ok(Arc::new(Engine {
            roster: Roster::new(store.clone()),
            settings,
            store,
            bus,
            catalog,
            clock,
            tickets,
            tokens,
            arbiters,
        }))
    }

    /// Stops the actors and flushes the store. Every acknowledged write is already durable;
    /// this makes the background state durable too.
    pub fn shutdown(&self) {
        for arbiter in &self.arbiters {
            arbiter.stop();
        }
        if let Err(e) = self.store.close() {
            tracing::error!(error = %e, "closing the store");
        }
    }
}
