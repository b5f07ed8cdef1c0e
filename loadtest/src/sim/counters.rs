//! Live counters of one load process: plain atomics that thousands of tasks add to
//! (fixes sent, offers taken, frames read...), read as a `Snap` every sample for the rates
//! over time, and sent by worker processes to the run, which adds them up.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// Live counters of one load process.
        #[derive(Debug, Default)]
        pub struct Counters {
            $($(#[$doc])* pub $name: AtomicU64,)*
            pub errors: Mutex<BTreeMap<String, u64>>,
        }

        /// A reading of the counters (also what a worker process reports).
        #[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
        pub struct Snap {
            $($(#[$doc])* pub $name: u64,)*
            pub errors: BTreeMap<String, u64>,
        }

        impl Counters {
            pub fn snap(&self) -> Snap {
                Snap {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                    errors: self.errors.lock().map(|m| m.clone()).unwrap_or_default(),
                }
            }
        }

        impl Snap {
            /// What grew between `earlier` and this reading.
            pub fn since(&self, earlier: &Snap) -> Snap {
                let mut errors = BTreeMap::new();
                for (k, v) in &self.errors {
                    let d = v.saturating_sub(earlier.errors.get(k).copied().unwrap_or(0));
                    if d > 0 {
                        errors.insert(k.clone(), d);
                    }
                }
                Snap {
                    $($name: self.$name.saturating_sub(earlier.$name),)*
                    errors,
                }
            }

            /// Adds another process's reading.
            pub fn add(&mut self, o: &Snap) {
                $(self.$name += o.$name;)*
                for (k, v) in &o.errors {
                    *self.errors.entry(k.clone()).or_default() += v;
                }
            }
        }
    };
}

counters! {
    /// Fixes sent over vehicle sockets.
    fixes_sent,
    /// Fixes sent through the gateway route.
    gateway_fixes_sent,
    /// Gateway fixes the engine refused (listed in its answer).
    gateway_fixes_refused,
    intakes_sent,
    intakes_acked,
    /// Offers that reached a vehicle app.
    offers_received,
    /// Offers the engine confirmed as accepted (`ack`).
    offers_accepted,
    /// Tickets that went on site (arrival detected from the fixes).
    arrivals,
    /// On-site records filed.
    onsite_records,
    /// Vehicles available again after a job.
    vehicles_freed,
    console_frames,
    /// Vehicle moves read on consoles.
    console_moves,
    console_bytes,
    board_frames,
    board_bytes,
    /// Console or board connections resumed after the engine cut them off (lagging).
    stream_resumes,
    /// Vehicle sockets closed by the engine during the run.
    sockets_lost,
}

impl Counters {
    pub fn add(&self, field: &AtomicU64, n: u64) {
        field.fetch_add(n, Ordering::Relaxed);
    }

    pub fn error(&self, key: &str) {
        if let Ok(mut m) = self.errors.lock() {
            *m.entry(key.to_owned()).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snaps_add_up() {
        let c = Counters::default();
        c.add(&c.fixes_sent, 5);
        c.error("x");
        let mut a = c.snap();
        a.add(&c.snap());
        assert_eq!(a.fixes_sent, 10);
        assert_eq!(a.errors.get("x"), Some(&2));
        let d = a.since(&c.snap());
        assert_eq!(d.fixes_sent, 5);
        assert_eq!(d.errors.get("x"), Some(&1));
    }
}
