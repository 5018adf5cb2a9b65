//! What a call leaves behind for a while after it ended: a map whose entries each go at a
//! time set when they were put in, and whose oldest goes first when it is full.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::Instant;

/// At most `max` entries, each kept until its expiry or until the map is full and it is the
/// oldest. Entries are put in with expiries in the order they come, so the oldest goes first.
#[derive(Debug)]
pub(crate) struct Expiring<K, V> {
    max: usize,
    entries: HashMap<K, V>,
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
            && let Some((_, oldest)) = self.expiries.pop_front()
        {
            self.entries.remove(&oldest);
        }
        self.expiries.push_back((until, key.clone()));
        self.entries.insert(key, value);
    }

    /// The entry under `key`, if it is kept.
    pub(crate) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.entries.get(key)
    }

    /// The entry under `key` to change, if it is kept.
    pub(crate) fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.entries.get_mut(key)
    }

    /// Takes out the entry under `key`, if it is kept; its place in the order goes at its
    /// expiry.
    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.entries.remove(key)
    }

    /// Drops the entries whose expiry is `now` or before.
    pub(crate) fn expire(&mut self, now: Instant) {
        while let Some((_, key)) = self.expiries.front().filter(|(at, _)| *at <= now) {
            self.entries.remove(key);
            self.expiries.pop_front();
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
