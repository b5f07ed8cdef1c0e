//! Where fixes wait when they come faster than they are taken: latest wins, per vehicle.
//!
//! A fix only says where a vehicle is now, so under load a newer one makes an older one that
//! has not been taken yet worthless. Queueing one message per fix behind a busy actor would
//! keep every stale fix, and the freshest one last; these holding areas keep one value per
//! key instead and count what they replaced ("thinned"), so the work waiting is bounded by
//! the fleet's size, not by the fix rate.
//!
//! - [`LatestWins`]: a map drained whole by one consumer (the grid actor). Only the first
//!   value after a drain asks for the next drain, so the consumer's mailbox holds at most
//!   one wake-up however many fixes arrive.
//! - [`InFlight`]: at most one value per key being taken, and at most one waiting behind
//!   it (a vehicle's gateway fixes: one message in its actor's mailbox, the latest batch
//!   waiting for it).
//!
//! Pure and not synchronised: callers hold them behind a lock for a few map operations.

use std::collections::HashMap;
use std::hash::Hash;

/// What [`LatestWins::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// Held, and no drain is asked for yet: the caller asks for one.
    AskDrain,
    /// Held; a drain is already asked for.
    Held,
    /// Replaced the value held for the key (one thinned).
    Replaced,
}

/// Values waiting for one consumer, the latest per key.
#[derive(Debug)]
pub struct LatestWins<K, V> {
    held: HashMap<K, V>,
    /// A drain has been asked for and has not run yet.
    asked: bool,
    /// Values replaced before they were taken, since the last [`Self::take_thinned`].
    thinned: u64,
}

impl<K: Eq + Hash, V> Default for LatestWins<K, V> {
    fn default() -> Self {
        Self {
            held: HashMap::new(),
            asked: false,
            thinned: 0,
        }
    }
}

impl<K: Eq + Hash, V> LatestWins<K, V> {
    /// Holds `value` for `key`, replacing what was held for it.
    pub fn put(&mut self, key: K, value: V) -> Put {
        if self.held.insert(key, value).is_some() {
            self.thinned += 1;
            return Put::Replaced;
        }
        if self.asked {
            Put::Held
        } else {
            self.asked = true;
            Put::AskDrain
        }
    }

    /// The wake-up could not be delivered: the next put asks again.
    pub fn unask(&mut self) {
        self.asked = false;
    }

    /// Everything held, in no order; the next put asks for a drain again.
    pub fn drain(&mut self) -> Vec<(K, V)> {
        self.asked = false;
        self.held.drain().collect()
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Values thinned since the last call.
    pub fn take_thinned(&mut self) -> u64 {
        std::mem::take(&mut self.thinned)
    }
}

/// One value per key being taken, the latest one waiting behind it.
#[derive(Debug)]
pub struct InFlight<K, V> {
    /// Present: a value for the key is being taken; `Some`: the next one waits.
    keys: HashMap<K, Option<V>>,
}

impl<K: Eq + Hash, V> Default for InFlight<K, V> {
    fn default() -> Self {
        Self {
            keys: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, V> InFlight<K, V> {
    /// `Ok(value)`: nothing is being taken for `key`, so the caller takes `value` now and
    /// calls [`Self::finish`] when done. `Err(replaced)`: it waits behind the one being
    /// taken, replacing the one that waited (`replaced`, thinned).
    pub fn admit(&mut self, key: &K, value: V) -> Result<V, Option<V>> {
        match self.keys.get_mut(key) {
            Some(waiting) => Err(waiting.replace(value)),
            None => {
                self.keys.insert(key.clone(), None);
                Ok(value)
            }
        }
    }

    /// The value taken for `key` is done: the one waiting, to be taken next (the key stays
    /// busy), or `None` and the key is free.
    pub fn finish(&mut self, key: &K) -> Option<V> {
        match self.keys.get_mut(key) {
            Some(waiting @ Some(_)) => waiting.take(),
            Some(None) => {
                self.keys.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keys being taken.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_value_per_key_wins_and_the_replaced_are_counted() {
        let mut l = LatestWins::default();
        assert_eq!(l.put("V-1", 1), Put::AskDrain);
        assert_eq!(l.put("V-2", 10), Put::Held);
        assert_eq!(l.put("V-1", 2), Put::Replaced);
        assert_eq!(l.put("V-1", 3), Put::Replaced);
        assert_eq!(l.len(), 2);
        assert_eq!(l.take_thinned(), 2);
        assert_eq!(l.take_thinned(), 0);
        let mut drained = l.drain();
        drained.sort();
        assert_eq!(drained, vec![("V-1", 3), ("V-2", 10)]);
        assert!(l.is_empty());
    }

    #[test]
    fn one_drain_is_asked_for_however_many_values_come() {
        let mut l = LatestWins::default();
        let asks = (0..10_000u32)
            .filter(|i| l.put(i % 100, *i) == Put::AskDrain)
            .count();
        assert_eq!(asks, 1);
        assert_eq!(l.len(), 100);
        assert_eq!(l.take_thinned(), 9_900);
        l.drain();
        assert_eq!(
            l.put(1, 1),
            Put::AskDrain,
            "after a drain the next put asks again"
        );
    }

    #[test]
    fn an_undelivered_wake_up_is_asked_for_again() {
        let mut l = LatestWins::default();
        assert_eq!(l.put(1, 1), Put::AskDrain);
        l.unask();
        assert_eq!(l.put(2, 2), Put::AskDrain);
    }

    #[test]
    fn one_value_is_taken_per_key_and_the_latest_waits() {
        let mut f = InFlight::default();
        assert_eq!(f.admit(&"V-1", 1), Ok(1));
        assert_eq!(f.admit(&"V-2", 10), Ok(10), "other keys are not held back");
        assert_eq!(f.admit(&"V-1", 2), Err(None));
        assert_eq!(f.admit(&"V-1", 3), Err(Some(2)), "2 is thinned");
        assert_eq!(f.finish(&"V-1"), Some(3));
        assert_eq!(f.admit(&"V-1", 4), Err(None), "3 is being taken");
        assert_eq!(f.finish(&"V-1"), Some(4));
        assert_eq!(f.finish(&"V-1"), None);
        assert_eq!(f.admit(&"V-1", 5), Ok(5), "free again");
        assert_eq!(f.finish(&"V-1"), None);
        assert_eq!(f.finish(&"V-2"), None);
        assert!(f.is_empty());
    }

    #[test]
    fn finishing_an_idle_key_is_harmless() {
        let mut f: InFlight<&str, u32> = InFlight::default();
        assert_eq!(f.finish(&"V-9"), None);
        assert_eq!(f.len(), 0);
    }
}
