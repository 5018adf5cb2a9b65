//! What a call leaves behind for a while after it ended: a map whose entries each go at a
//! time set when they were put in, and whose oldest goes first when it is full.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::Instant;

/// At most `max` entries, each kept until its expiry or until the map is full and it is the
/// oldest. Entries are put in with expiries in the order they come, so the oldest goes first.
/// A key put in again is kept until its new expiry: its earlier place in the order takes
/// nothing with it.
#[derive(Debug)]
pub(crate) struct Expiring<K, V> {
    max: usize,
    /// Each entry with its expiry.
    entries: HashMap<K, (Instant, V)>,
    /// The keys put in, oldest first, with when each goes.
    expiries: VecDeque<(Instant, K)>,
}

impl<K: Hash + Eq + Clone, V> Expiring<K, V> {
    /// An empty map of at most `max` entries.
    pub(crate) fn new(max: usize) -> Self {
        Expiring {
            max,
            entries: HashMap::new(),
            expiries: VecDeque::new(),
        }
    }

    /// Keeps `value` under `key` until `until` (not before any expiry put in earlier); the
    /// oldest entry goes first if the map is full.
    pub(crate) fn insert(&mut self, until: Instant, key: K, value: V) {
        if self.expiries.len() >= self.max
            && let Some((at, oldest)) = self.expiries.pop_front()
        {
            self.remove_expired(at, &oldest);
        }
        self.expiries.push_back((until, key.clone()));
        self.entries.insert(key, (until, value));
    }

    /// Removes the entry under `key` if it expires at `at`: a place in the order whose key was
    /// put in again since takes nothing out.
    fn remove_expired(&mut self, at: Instant, key: &K) {
        if self.entries.get(key).is_some_and(|(until, _)| *until == at) {
            self.entries.remove(key);
        }
    }

    /// The entry under `key`, if it is kept.
    pub(crate) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.entries.get(key).map(|(_, value)| value)
    }

    /// The entry under `key` to change, if it is kept.
    pub(crate) fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.entries.get_mut(key).map(|(_, value)| value)
    }

    /// Takes out the entry under `key`, if it is kept; its place in the order goes at its
    /// expiry.
    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.entries.remove(key).map(|(_, value)| value)
    }

    /// The keys of the entries kept, each once, oldest first: an order that does not change
    /// from run to run.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.expiries
            .iter()
            .filter(|(at, key)| self.entries.get(key).is_some_and(|(until, _)| until == at))
            .map(|(_, key)| key)
    }

    /// Drops the entries whose expiry is `now` or before.
    pub(crate) fn expire(&mut self, now: Instant) {
        while self.expiries.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((at, key)) = self.expiries.pop_front() {
                self.remove_expired(at, &key);
            }
        }
    }

    /// When the oldest goes.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.expiries.front().map(|(at, _)| *at)
    }

    /// How many places are taken: the entries kept, and those taken out before their expiry.
    pub(crate) fn len(&self) -> usize {
        self.expiries.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::timer::test_epoch;

    #[test]
    fn a_key_put_in_again_outlives_its_earlier_place() {
        let t0 = test_epoch();
        let secs = |n| t0 + Duration::from_secs(n);
        let mut map = Expiring::new(4);
        map.insert(secs(5), "k", 1);
        map.remove("k");
        map.insert(secs(10), "k", 2);
        map.expire(secs(5));
        assert_eq!(map.get("k"), Some(&2), "kept until its new expiry");
        map.expire(secs(10));
        assert_eq!(map.get("k"), None);

        let mut full = Expiring::new(2);
        full.insert(secs(5), "k", 1);
        full.insert(secs(10), "k", 2);
        full.insert(secs(11), "j", 3);
        assert_eq!(
            full.get("k"),
            Some(&2),
            "evicting its earlier place leaves it"
        );
        full.expire(secs(10));
        assert_eq!((full.get("k"), full.get("j")), (None, Some(&3)));
        assert_eq!(full.keys().collect::<Vec<_>>(), [&"j"]);

        let mut order = Expiring::new(4);
        order.insert(secs(1), "a", 1);
        order.insert(secs(2), "b", 2);
        order.insert(secs(3), "a", 3);
        assert_eq!(
            order.keys().collect::<Vec<_>>(),
            [&"b", &"a"],
            "each once, oldest first"
        );
    }
}
