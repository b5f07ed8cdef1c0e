//! The engine: every long-lived part wired together once, shared by the HTTP handlers,
//! the sockets and the CLI.

use std::sync::Arc;

use actix::prelude::*;

use crate::actors::coordinator::watch::{GroupWatch, GroupWatchDeps};
use crate::actors::coordinator::{CoordinatorDeps, CoordinatorDirectory};
use crate::actors::dispatch::{DispatchDeps, DispatcherActor};
use crate::actors::fleet::{FleetDeps, FleetDirectory};
use crate::actors::grid::HexGridActor;
use crate::actors::sla::{SlaDeps, SlaSupervisor};
use crate::actors::ticket::{TicketDeps, TicketDirectory};
use crate::auth::TokenBook;
use crate::bus::EventBus;
use crate::config::Settings;
use crate::domain::area::ServiceArea;
use crate::domain::catalog::Catalog;
use crate::domain::clock::Clock;
use crate::domain::grid::GridConfig;
use crate::roster::Roster;
use crate::store::{SledStore, Store, StoreError};

pub struct Engine {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub bus: Arc<EventBus>,
    pub catalog: Arc<Catalog>,
    /// The service area (`area.path`): intake flags positions outside it, dispatch never
    /// offers those on its own, the maps draw it.
    pub area: Arc<ServiceArea>,
    pub clock: Arc<dyn Clock>,
    pub tickets: Arc<TicketDirectory>,
    pub tokens: TokenBook,
    pub roster: Arc<Roster>,
    pub fleet: Arc<FleetDirectory>,
    /// The retailer registry (零售户信息库) and its search index.
    pub retailers: Arc<crate::retailers::RetailerBook>,
    /// The triage classifier, built once from the guide.
    pub classifier: Arc<crate::domain::triage::Classifier>,
    pub grid: Addr<HexGridActor>,
    pub dispatcher: Addr<DispatcherActor>,
    /// The coordinators of collaboration groups, one per active group.
    pub groups: Arc<CoordinatorDirectory>,
    /// Failed authentications per client address (429 past the budget).
    pub auth_throttle: Arc<crate::api::throttle::AuthThrottle>,
    /// Evidence uploads received at once (`evidence.max_concurrent_uploads`): each holds a
    /// blocking thread while its client sends, so a slow client holds only its own slot.
    pub evidence_uploads: Arc<tokio::sync::Semaphore>,
    /// The outbound status feed to the 12313 platform (off when `feed.url` is empty).
    pub feed: Arc<crate::feed::Feed>,
    /// This node's part in a cluster (`cluster.redis_url`); `None` on its own.
    pub cluster: Option<Arc<crate::cluster::node::Node>>,
    /// Arbiters running ticket, vehicle and grid actors; stopped on shutdown.
    arbiters: Vec<Arbiter>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Settings(#[from] crate::config::SettingsError),
    #[error("opening the store at {path}")]
    Store { path: String, source: StoreError },
    #[error("recovering: {0}")]
    Recover(StoreError),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::node::ClusterError),
}

impl Engine {
    /// Opens the store, recovers every open ticket and the fleet, and starts the actors.
    /// Must run inside an actix system.
    pub fn start(settings: Settings, clock: Arc<dyn Clock>) -> Result<Arc<Engine>, StartError> {
        let catalog = Arc::new(settings.catalog()?);
        let area = Arc::new(settings.area()?);
        tracing::info!(
            source = area.source(),
            areas = area.areas().len(),
            "service area loaded"
        );
        let bus = Arc::new(EventBus::new());
        let options = settings.store_options();
        let cluster = if settings.cluster.enabled() {
            Some(crate::cluster::node::Node::start(&settings.cluster, &area)?)
        } else {
            None
        };
        let replication = cluster.as_ref().map(|node| {
            Box::new(node.replication(area.clone()))
                as Box<dyn crate::cluster::replicate::Replication>
        });
        let store: Arc<dyn Store> = Arc::new(
            SledStore::open_with(&options, bus.clone(), replication).map_err(|source| {
                StartError::Store {
                    path: options.path.display().to_string(),
                    source,
                }
            })?,
        );
        let ticket_arbiters: Vec<Arbiter> = (0..settings.tickets.arbiters)
            .map(|_| Arbiter::new())
            .collect();
        let fleet_arbiters: Vec<Arbiter> = (0..settings.dispatch.arbiters)
            .map(|_| Arbiter::new())
            .collect();
        let grid_arbiter = Arbiter::new();

        let deps = Arc::new(TicketDeps {
            store: store.clone(),
            catalog: catalog.clone(),
            area: area.clone(),
            clock: clock.clone(),
            cases: Default::default(),
        });
        let tickets = Arc::new(TicketDirectory::new(
            deps,
            ticket_arbiters.iter().map(|a| a.handle()).collect(),
        ));
        let recovered = tickets.recover().map_err(StartError::Recover)?;
        if let Some(node) = &cluster {
            node.follow(store.clone(), tickets.clone());
        }
        let passivating = tickets.clone();
        let period = std::time::Duration::from_secs(settings.tickets.passivate_after_s);
        actix::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            // A late sweep is not made up for: two back to back would take a period's use.
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let stopped = passivating.passivate_idle();
                tracing::debug!(stopped, "idle ticket actors passivated");
            }
        });
        let repairing = tickets.clone();
        actix::spawn(async move {
            if let Err(e) = repairing.repair_merges().await {
                tracing::error!(error = %e, "could not look for merges cut in half");
            }
        });
        let tokens = TokenBook::load(store.clone(), settings.bootstrap_admin_token())
            .map_err(StartError::Recover)?;
        let roster = Arc::new(Roster::new(store.clone()));
        let retailers = Arc::new(
            crate::retailers::RetailerBook::load(store.clone()).map_err(StartError::Recover)?,
        );

        let grid = HexGridActor::start_in_arbiter(&grid_arbiter.handle(), |_| {
            HexGridActor::new(GridConfig::default())
        });
        // The dispatcher and the fleet know each other: make the dispatcher's address first.
        let dispatcher_ctx = Context::<DispatcherActor>::new();
        let dispatcher = dispatcher_ctx.address();
        let fleet_deps = Arc::new(FleetDeps {
            store: store.clone(),
            bus: bus.clone(),
            clock: clock.clone(),
            grid: grid.clone(),
            arrivals: dispatcher.clone().recipient(),
            undelivered: dispatcher.clone().recipient(),
            settings: settings.dispatch.clone(),
            gateway_online_s: settings.fleet.gateway_online_s,
            gateway_silence: Default::default(),
        });
        let fleet = Arc::new(FleetDirectory::new(
            fleet_deps,
            fleet_arbiters.iter().map(|a| a.handle()).collect(),
        ));
        let vehicles = fleet.start_all(&roster).map_err(StartError::Recover)?;
        fleet.watch_gateway_silence();
        dispatcher_ctx.run(DispatcherActor::new(Arc::new(DispatchDeps {
            tickets: tickets.clone(),
            fleet: fleet.clone(),
            roster: roster.clone(),
            store: store.clone(),
            catalog: catalog.clone(),
            clock: clock.clone(),
            grid: grid.clone(),
            bus: bus.clone(),
            retailers: retailers.clone(),
            area: area.clone(),
            settings: settings.dispatch.clone(),
        })));
        tickets.set_planner(crate::actors::ticket::OfferPlanner {
            plan: dispatcher.clone().recipient(),
            filed: dispatcher.clone().recipient(),
            wait: std::time::Duration::from_millis(settings.dispatch.first_offer_wait_ms),
        });
        let sla = SlaSupervisor::new(Arc::new(SlaDeps {
            tickets: tickets.clone(),
            store: store.clone(),
            catalog: catalog.clone(),
            clock: clock.clone(),
            bus: bus.clone(),
        }))
        .start();
        if let Some(node) = &cluster {
            tickets.set_ownership(node.ownership.clone());
            let dispatcher = dispatcher.clone();
            node.on_takeover(Arc::new(move || {
                dispatcher.do_send(crate::actors::dispatch::Recover);
                sla.do_send(crate::actors::sla::Recover);
            }));
        }
        crate::actors::retention::RetentionSweeper::new(
            store.clone(),
            clock.clone(),
            settings.privacy.clone(),
        )
        .start();
        // Evidence files no event refers to (an upload cut off by a crash) are collected.
        crate::evidence::sweep::start(
            store.clone(),
            crate::evidence::FileStore::of_store(&settings.store.path),
            &settings.evidence,
        );
        let group_arbiter = Arbiter::new();
        let groups = Arc::new(CoordinatorDirectory::new(
            Arc::new(CoordinatorDeps {
                tickets: tickets.clone(),
                store: store.clone(),
                catalog: catalog.clone(),
            }),
            group_arbiter.handle(),
        ));
        let active_groups = groups.recover().map_err(StartError::Recover)?;
        GroupWatch::new(Arc::new(GroupWatchDeps {
            groups: groups.clone(),
            store: store.clone(),
            roster: roster.clone(),
            retailers: retailers.clone(),
            catalog: catalog.clone(),
            bus: bus.clone(),
        }))
        .start();
        tracing::info!(
            open_tickets = recovered,
            active_groups,
            vehicles,
            last_event_id = store.last_event_id(),
            "engine recovered"
        );
        // Where work queues, in /metrics (`actors/probe.rs`).
        use crate::actors::probe::{watch_actor, watch_arbiter};
        watch_actor("grid", grid.clone());
        watch_actor("dispatcher", dispatcher.clone());
        for (i, a) in ticket_arbiters.iter().enumerate() {
            watch_arbiter(format!("ticket_arbiter_{i}"), a.handle());
        }
        for (i, a) in fleet_arbiters.iter().enumerate() {
            watch_arbiter(format!("vehicle_arbiter_{i}"), a.handle());
        }
        watch_arbiter("grid_arbiter", grid_arbiter.handle());
        watch_arbiter("group_arbiter", group_arbiter.handle());
        let mut arbiters = ticket_arbiters;
        arbiters.extend(fleet_arbiters);
        arbiters.push(grid_arbiter);
        arbiters.push(group_arbiter);
        let classifier = Arc::new(crate::domain::triage::Classifier::new(&catalog));
        let auth_throttle = crate::api::throttle::AuthThrottle::start(&settings.auth);
        let evidence_uploads = Arc::new(tokio::sync::Semaphore::new(
            settings.evidence.max_concurrent_uploads,
        ));
        let (feed, feed_arbiter) =
            crate::feed::Feed::start(&settings.feed, store.clone(), clock.clone())
                .map_err(StartError::Recover)?;
        arbiters.extend(feed_arbiter);
        let engine = Arc::new(Engine {
            classifier,
            roster,
            settings,
            store,
            bus,
            catalog,
            area,
            clock,
            tickets,
            tokens,
            fleet,
            retailers,
            grid,
            dispatcher,
            groups,
            auth_throttle,
            evidence_uploads,
            feed,
            cluster,
            arbiters,
        });
        if let Some(node) = &engine.cluster {
            let weak = Arc::downgrade(&engine);
            node.follow_registry(
                engine.store.clone(),
                Box::new(move |changes| {
                    if let Some(engine) = weak.upgrade() {
                        engine.registry_followed(changes);
                    }
                }),
            );
        }
        // Finishes taking records out of service where a crash cut it short.
        actix::spawn(crate::service::out_of_service::resume(engine.clone()));
        Ok(engine)
    }

    /// Cluster mode: brings what is kept in memory up to other nodes' registry changes (now
    /// stored): tokens authenticate or stop, vehicles and teams get their actors, the
    /// retailer index is rebuilt after an import.
    fn registry_followed(&self, changes: Vec<crate::cluster::registry::Change>) {
        use crate::cluster::registry::Change;
        use crate::store::RecordKind;
        let mut retailers = false;
        for change in changes {
            let kind = RecordKind::parse(change.kind());
            let applied = match (kind, change) {
                (Some(RecordKind::Token), Change::Put { value, .. }) => {
                    serde_json::from_slice(&value)
                        .map(|r| self.tokens.followed_issue(r))
                        .map_err(|e| e.to_string())
                }
                (Some(RecordKind::Token), Change::Delete { id, .. }) => {
                    self.tokens.followed_revoke(&id);
                    Ok(())
                }
                (Some(RecordKind::Vehicle), Change::Put { value, .. }) => {
                    serde_json::from_slice(&value)
                        .map_err(|e| e.to_string())
                        .and_then(|v| self.fleet.add(v).map_err(|e| e.to_string()))
                }
                (Some(RecordKind::Team), Change::Put { value, .. }) => {
                    serde_json::from_slice(&value)
                        .map(|t| self.fleet.add_team(t))
                        .map_err(|e| e.to_string())
                }
                (
                    Some(
                        RecordKind::Retailer
                        | RecordKind::RetailerChunk
                        | RecordKind::RetailerRegistry,
                    ),
                    _,
                ) => {
                    retailers = true;
                    Ok(())
                }
                _ => Ok(()),
            };
            if let Err(e) = applied {
                tracing::error!(error = %e, "cluster: a followed registry change could not be applied in memory");
            }
        }
        if retailers && let Err(e) = self.retailers.reload() {
            tracing::error!(error = %e, "cluster: reloading the retailer registry failed");
        }
    }

    /// Stops the actors and flushes the store. Every acknowledged write is already durable;
    /// this makes the background state (latest fixes) durable too.
    pub fn shutdown(&self) {
        for arbiter in &self.arbiters {
            arbiter.stop();
        }
        if let Err(e) = self.store.close() {
            tracing::error!(error = %e, "closing the store");
        }
    }
}
