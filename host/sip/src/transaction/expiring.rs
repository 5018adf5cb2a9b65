//! Entries that expire in the order they were added, each found by a fingerprint of its key.
//!
//! When every entry lives the same fixed time from its insertion (and time never goes
//! backwards), expiries come in insertion order: a queue replaces per-entry timers, and the
//! index holds only a 128-bit fingerprint and a sequence number per entry. The key itself is
//! kept nowhere: the fingerprint stands for it (see [`Fingerprint`]).

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// A keyed 128-bit hash of an entry's key. Keyed with secret random keys, two different keys
/// share one with a chance of 2^-128 per pair, and a peer cannot choose keys that do.
pub(crate) type Fingerprint = u128;

/// A FIFO of entries with their expiry times, indexed by fingerprint.
#[derive(Debug)]
pub(crate) struct Expiring<T> {
    /// Fingerprint to the sequence number of the newest entry with it.
    index: HashMap<Fingerprint, u64>,
    /// Oldest first; `entries[i]` has sequence number `first + i`.
    entries: VecDeque<(Instant, T)>,
    first: u64,
}

impl<T> Default for Expiring<T> {
    fn default() -> Self {
        Self {
            index: HashMap::new(),
            entries: VecDeque::new(),
            first: 0,
        }
    }
}

impl<T> Expiring<T> {
    /// Adds `value` to expire at `expires`, which must not be before the expiry of the
    /// newest entry (an earlier one would only expire with it). It replaces any entry with the
    /// same `fingerprint` in the index; that one still expires on time.
    pub(crate) fn push(&mut self, fingerprint: Fingerprint, expires: Instant, value: T) {
        let sequence = self.first + self.entries.len() as u64;
        self.index.insert(fingerprint, sequence);
        self.entries.push_back((expires, value));
    }

    /// The newest entry with `fingerprint`, if it has not expired.
    pub(crate) fn get(&self, fingerprint: Fingerprint) -> Option<&T> {
        let sequence = self.index.get(&fingerprint)?;
        let position = usize::try_from(sequence - self.first).ok()?;
        self.entries.get(position).map(|(_, value)| value)
    }

    /// When the oldest entry expires.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.entries.front().map(|(expires, _)| *expires)
    }

    /// Drops every entry expiring at or before `now`; `fingerprint` gives an entry's
    /// fingerprint back, to clear the index.
    pub(crate) fn expire(&mut self, now: Instant, fingerprint: impl Fn(&T) -> Fingerprint) {
        while self.next_expiry().is_some_and(|expires| expires <= now) {
            let Some((_, value)) = self.entries.pop_front() else {
                break;
            };
            let key = fingerprint(&value);
            if self.index.get(&key) == Some(&self.first) {
                self.index.remove(&key);
            }
            self.first += 1;
        }
    }

    /// How many entries have not expired.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is left, in the index either.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::timer::test_epoch;

    /// Entries are (fingerprint, name): the fingerprint is whatever the test says.
    fn queue(
        entries: &[(Fingerprint, u64, &'static str)],
    ) -> Expiring<(Fingerprint, &'static str)> {
        let t0 = test_epoch();
        let mut queue = Expiring::default();
        for &(fingerprint, ms, name) in entries {
            queue.push(
                fingerprint,
                t0 + Duration::from_millis(ms),
                (fingerprint, name),
            );
        }
        queue
    }

    #[test]
    fn entries_expire_in_order_exactly_at_their_time() {
        let t0 = test_epoch();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut q = queue(&[(1, 100, "a"), (2, 100, "b"), (3, 250, "c")]);
        assert_eq!(q.next_expiry(), Some(at(100)));
        q.expire(at(100) - Duration::from_nanos(1), |e| e.0);
        assert_eq!((q.len(), q.get(1)), (3, Some(&(1, "a"))), "not yet due");
        q.expire(at(100), |e| e.0);
        assert_eq!(q.get(1), None, "a expired at its time");
        assert_eq!(q.get(2), None, "b expired at the same time");
        assert_eq!(q.get(3), Some(&(3, "c")), "c is not due");
        assert_eq!(q.next_expiry(), Some(at(250)));
        q.expire(at(1_000), |e| e.0);
        assert!(q.is_empty(), "index and queue are empty: {q:?}");
        assert_eq!(q.next_expiry(), None);
    }

    #[test]
    fn a_shared_fingerprint_finds_the_newest_and_both_expire() {
        let t0 = test_epoch();
        let mut q = queue(&[(7, 100, "old"), (7, 200, "new")]);
        assert_eq!(q.get(7), Some(&(7, "new")));
        q.expire(t0 + Duration::from_millis(100), |e| e.0);
        assert_eq!(
            q.get(7),
            Some(&(7, "new")),
            "expiring the old one kept the index entry of the new one"
        );
        q.expire(t0 + Duration::from_millis(200), |e| e.0);
        assert!(q.is_empty(), "{q:?}");
    }

    #[test]
    fn lookups_after_many_expiries_find_the_right_entry() {
        let t0 = test_epoch();
        let mut q = Expiring::default();
        for n in 0..1_000u64 {
            q.push(Fingerprint::from(n), t0 + Duration::from_millis(n), n);
        }
        q.expire(t0 + Duration::from_millis(599), |&n| Fingerprint::from(n));
        assert_eq!(q.len(), 400);
        assert_eq!(q.get(599), None);
        assert_eq!(q.get(600), Some(&600));
        assert_eq!(q.get(999), Some(&999));
    }
}
