//! The retention sweeper: erases reporters' personal data from tickets closed more than
//! `privacy.retain_days` ago. The store keeps closed tickets that still hold personal data
//! in a queue ordered by closing time, so a sweep reads only those due. Each erasure is a
//! ticket write like any other (a `ticket.personal_data_erased` event, with the optimistic
//! check), so a ticket reopened meanwhile is simply not due at the next sweep. Sweeps run
//! at start and every `privacy.sweep_every_s`, against the injected clock.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix::prelude::*;

use crate::config::PrivacySettings;
use crate::domain::clock::Clock;
use crate::domain::role::Principal;
use crate::store::{Store, StoreError, Write};

/// Tickets read per round of a sweep.
const ROUND: usize = 256;

pub struct RetentionSweeper {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: PrivacySettings,
    sweeping: bool,
}

impl RetentionSweeper {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: PrivacySettings) -> Self {
        Self {
            store,
            clock,
            settings,
            sweeping: false,
        }
    }

    fn sweep(&mut self, ctx: &mut Context<Self>) {
        if self.sweeping {
            return;
        }
        self.sweeping = true;
        let store = self.store.clone();
        let clock = self.clock.clone();
        let retain_days = self.settings.retain_days;
        ctx.spawn(
            fut::wrap_future(async move { erase_due(&*store, &*clock, retain_days).await }).map(
                |outcome, act: &mut Self, _| {
                    act.sweeping = false;
                    match outcome {
                        Ok(0) => {}
                        Ok(erased) => tracing::info!(erased, "personal data erased"),
                        Err(e) => tracing::warn!(error = %e, "retention sweep stopped"),
                    }
                },
            ),
        );
    }
}

/// Erases every erasure due at the clock's now; returns how many tickets it erased.
async fn erase_due(
    store: &dyn Store,
    clock: &dyn Clock,
    retain_days: u32,
) -> Result<u64, StoreError> {
    let now = clock.now();
    let Some(cutoff) = now.checked_add(-time::Duration::days(retain_days.into())) else {
        return Ok(0);
    };
    let mut erased = 0;
    loop {
        let due = store.closed_with_personal_data(cutoff, ROUND)?;
        let mut progressed = false;
        for id in &due {
            let Some(before) = store.ticket(id)? else {
                continue;
            };
            let Some((after, event)) = before.erasure_due(now, retain_days) else {
                continue;
            };
            let written = store
                .submit(Write::UpdateTicket {
                    before: Box::new(before),
                    after: Box::new(after),
                    event,
                    deadlines: None,
                    by: Principal::system(),
                    command: None,
                })
                .await;
            match written {
                Ok(_) => {
                    erased += 1;
                    progressed = true;
                    metrics::counter!("hotline_privacy_erased_total").increment(1);
                }
                // Changed meanwhile (reopened, say): the next sweep looks again.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if due.len() < ROUND || !progressed {
            return Ok(erased);
        }
    }
}

impl Actor for RetentionSweeper {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.sweep(ctx);
        let every = StdDuration::from_secs(self.settings.sweep_every_s);
        ctx.run_interval(every, |act, ctx| act.sweep(ctx));
    }
}
