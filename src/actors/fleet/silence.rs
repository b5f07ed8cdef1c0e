//! Gateway silence. A vehicle without a socket is online for `fleet.gateway_online_s`
//! after its gateway's last fix. One watch for the whole fleet checks that on the engine's
//! clock twice a second and tells only the vehicles whose gateway has fallen silent: a
//! timer in each of 100,000 vehicle actors kept an idle province's engine at a quarter to
//! a half of its core (now 3–4%), waking every actor twice a second to find nothing changed.

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::domain::Timestamp;
use crate::domain::ids::VehicleId;

/// When each vehicle's gateway was last heard, for the vehicles it keeps online.
#[derive(Default)]
pub struct GatewaySilence {
    heard: Mutex<HashMap<VehicleId, Timestamp>>,
}

impl GatewaySilence {
    /// The gateway reported a fix for `id` at `at` (the vehicle actor's own clock reading).
    pub fn heard(&self, id: &VehicleId, at: Timestamp) {
        let mut heard = self.heard.lock();
        match heard.get_mut(id) {
            Some(last) => *last = at,
            None => {
                heard.insert(id.clone(), at);
            }
        }
    }

    /// Takes out the vehicles last heard more than `window_s` seconds before `now`, with
    /// when that was.
    pub fn fallen_silent(&self, now: Timestamp, window_s: u64) -> Vec<(VehicleId, Timestamp)> {
        let window = i64::try_from(window_s).unwrap_or(i64::MAX);
        let mut silent = Vec::new();
        self.heard.lock().retain(|id, at| {
            let quiet = now.seconds_since(*at) > window;
            if quiet {
                silent.push((id.clone(), *at));
            }
            !quiet
        });
        silent
    }

    /// Puts back a vehicle whose actor could not be told now (its mailbox was full), to be
    /// told at the next check; a fix heard meanwhile wins.
    pub fn retry(&self, id: VehicleId, at: Timestamp) {
        self.heard.lock().entry(id).or_insert(at);
    }

    /// Vehicles being watched.
    pub fn len(&self) -> usize {
        self.heard.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    fn id(s: &str) -> VehicleId {
        s.parse().expect("a vehicle id")
    }

    #[test]
    fn only_vehicles_silent_past_the_window_are_taken_out_and_a_newer_fix_wins_a_retry() {
        let silence = GatewaySilence::default();
        let t0 = Timestamp::from_unix_millis(1_800_000_000_000).expect("a time");
        silence.heard(&id("V-1"), t0);
        silence.heard(&id("V-2"), t0);
        silence.heard(&id("V-2"), t0 + Duration::seconds(60));
        let check = t0 + Duration::seconds(121);
        assert_eq!(silence.fallen_silent(check, 120), vec![(id("V-1"), t0)]);
        assert_eq!(silence.len(), 1);
        assert!(
            silence.fallen_silent(check, 120).is_empty(),
            "taken out once"
        );
        // Heard again before its retry: the newer time stays.
        let later = t0 + Duration::seconds(130);
        silence.heard(&id("V-1"), later);
        silence.retry(id("V-1"), t0);
        assert_eq!(
            silence.fallen_silent(later + Duration::seconds(120), 120),
            vec![(id("V-2"), t0 + Duration::seconds(60))]
        );
        assert_eq!(
            silence.fallen_silent(later + Duration::seconds(121), 120),
            vec![(id("V-1"), later)]
        );
        assert!(silence.is_empty());
    }
}
