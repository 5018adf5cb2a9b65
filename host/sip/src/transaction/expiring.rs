//! Entries that expire in the order they were added, each found by a fingerprint of its key.
//!
//! When every entry lives the same fixed time from its insertion (and time never goes
//! backwards), expiries come in insertion order: a queue replaces per-entry timers, and the
//! index holds only a 128-bit fingerprint and a sequence number per entry. The key itself is
//! kept nowhere: the fingerprint stands for it (see [`Fingerprint`]).
//!
//! At high call rates a queue holds tens of thousands of entries, so its memory follows the
//! number of entries, not a power of two above it: entries live in fixed-size blocks (a ring
//! buffer would touch all of a capacity doubled once), each expiry is a millisecond count from
//! the queue's first one, and the index needs no hashing of its own (the fingerprint is a
//! keyed hash already).

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hash, Hasher, RandomState};
use std::time::{Duration, Instant};

/// A keyed 128-bit hash of an entry's key, as two 64-bit halves. Keyed with secret random
/// keys, two different keys share one with a chance of 2^-128 per pair, and a peer cannot
/// choose keys that do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint(pub(crate) [u64; 2]);

impl Hash for Fingerprint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Either half of a keyed hash is a good hash of the key.
        state.write_u64(self.0[0]);
    }
}

/// The secret random keys [`Fingerprint`]s are made with, one per half: drawn anew for each
/// table, so that peers cannot choose keys that collide.
#[derive(Debug, Default)]
pub(crate) struct FingerprintKeys([RandomState; 2]);

impl FingerprintKeys {
    /// The fingerprint of what `hash` writes to a hasher: two independently keyed 64-bit
    /// hashes side by side.
    pub(crate) fn fingerprint(&self, hash: impl Fn(&mut DefaultHasher)) -> Fingerprint {
        Fingerprint(self.0.each_ref().map(|keys| {
            let mut hasher = keys.build_hasher();
            hash(&mut hasher);
            hasher.finish()
        }))
    }
}

/// Entries per block: a block is one allocation of a few tens of kilobytes, small enough for
/// the allocator to reuse as blocks come and go.
const BLOCK: usize = 1024;

/// A FIFO of entries with their expiry times, indexed by fingerprint.
#[derive(Debug)]
pub(crate) struct Expiring<T> {
    /// Fingerprint to the sequence number of the newest entry with it.
    index: HashMap<Fingerprint, u64, BuildHasherDefault<FingerprintHasher>>,
    /// Oldest first; every block but the last holds [`BLOCK`] entries, the first of them from
    /// `head` on not yet expired.
    blocks: VecDeque<Vec<(u64, T)>>,
    head: usize,
    len: usize,
    /// The sequence number of the oldest entry.
    first: u64,
    /// What expiries count milliseconds from: the first one ever pushed, rounded down.
    origin: Option<Instant>,
}

impl<T> Default for Expiring<T> {
    fn default() -> Self {
        Self {
            index: HashMap::default(),
            blocks: VecDeque::new(),
            head: 0,
            len: 0,
            first: 0,
            origin: None,
        }
    }
}

impl<T> Expiring<T> {
    /// Adds `value` to expire at `expires` (to the millisecond, rounded up), which must not be
    /// before the expiry of the newest entry (an earlier one would only expire with it). It
    /// replaces any entry with the same `fingerprint` in the index; that one still expires on
    /// time.
    pub(crate) fn push(&mut self, fingerprint: Fingerprint, expires: Instant, value: T) {
        let origin = *self.origin.get_or_insert(expires);
        let since = expires.saturating_duration_since(origin);
        let millis = u64::try_from(since.as_millis()).unwrap_or(u64::MAX);
        let millis = millis + u64::from(!since.subsec_nanos().is_multiple_of(1_000_000));
        let sequence = self.first + self.len as u64;
        self.index.insert(fingerprint, sequence);
        match self.blocks.back_mut() {
            Some(block) if block.len() < BLOCK => block.push((millis, value)),
            _ => {
                let mut block = Vec::with_capacity(BLOCK);
                block.push((millis, value));
                self.blocks.push_back(block);
            }
        }
        self.len += 1;
    }

    /// The newest entry with `fingerprint`, if it has not expired.
    pub(crate) fn get(&self, fingerprint: Fingerprint) -> Option<&T> {
        let sequence = self.index.get(&fingerprint)?;
        let position = usize::try_from(sequence.checked_sub(self.first)?).ok()?;
        self.entry(position).map(|(_, value)| value)
    }

    /// When the oldest entry expires.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        let (millis, _) = self.entry(0)?;
        Some(self.origin? + Duration::from_millis(*millis))
    }

    /// Drops every entry expiring at or before `now`; `fingerprint` gives an entry's
    /// fingerprint back, to clear the index.
    pub(crate) fn expire(&mut self, now: Instant, mut fingerprint: impl FnMut(&T) -> Fingerprint) {
        while self.next_expiry().is_some_and(|expires| expires <= now) {
            self.drop_oldest(&mut fingerprint);
        }
    }

    /// Drops the oldest entry, if any, before its expiry; `fingerprint` gives its fingerprint
    /// back, to clear the index.
    pub(crate) fn drop_oldest(&mut self, fingerprint: impl FnOnce(&T) -> Fingerprint) {
        let Some(block) = self.blocks.front() else {
            return;
        };
        let key = fingerprint(&block[self.head].1);
        if self.index.get(&key) == Some(&self.first) {
            self.index.remove(&key);
        }
        self.first += 1;
        self.len -= 1;
        self.head += 1;
        if self.head == block.len() {
            // A block is dropped whole once every entry in it is gone.
            self.blocks.pop_front();
            self.head = 0;
        }
        if self.len == 0 {
            self.blocks.clear();
            self.head = 0;
        }
    }

    /// How many entries have not expired.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is left, in the index either.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0 && self.index.is_empty() && self.blocks.is_empty()
    }

    /// The entry `position` places after the oldest.
    fn entry(&self, position: usize) -> Option<&(u64, T)> {
        if position >= self.len {
            return None;
        }
        let at = self.head + position;
        self.blocks.get(at / BLOCK)?.get(at % BLOCK)
    }
}

/// The index's hasher: a fingerprint is a keyed hash already, so its first half is the hash.
#[derive(Debug, Default)]
pub(crate) struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Fingerprints hash through `write_u64`; anything else is folded in whole.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::test_epoch;

    fn fp(n: u64) -> Fingerprint {
        Fingerprint([n.wrapping_mul(0x9e37_79b9_7f4a_7c15), n])
    }

    /// Entries are (fingerprint, name): the fingerprint is whatever the test says.
    fn queue(entries: &[(u64, u64, &'static str)]) -> Expiring<(Fingerprint, &'static str)> {
        let t0 = test_epoch();
        let mut queue = Expiring::default();
        for &(n, ms, name) in entries {
            queue.push(fp(n), t0 + Duration::from_millis(ms), (fp(n), name));
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
        assert_eq!(
            (q.len(), q.get(fp(1))),
            (3, Some(&(fp(1), "a"))),
            "not yet due"
        );
        q.expire(at(100), |e| e.0);
        assert_eq!(q.get(fp(1)), None, "a expired at its time");
        assert_eq!(q.get(fp(2)), None, "b expired at the same time");
        assert_eq!(q.get(fp(3)), Some(&(fp(3), "c")), "c is not due");
        assert_eq!(q.next_expiry(), Some(at(250)));
        q.expire(at(1_000), |e| e.0);
        assert!(q.is_empty(), "index and queue are empty: {q:?}");
        assert_eq!(q.next_expiry(), None);
    }

    #[test]
    fn an_expiry_between_milliseconds_is_rounded_up_never_early() {
        let t0 = test_epoch();
        let mut q = Expiring::default();
        q.push(fp(1), t0, 1);
        q.push(fp(2), t0 + Duration::from_micros(1_500), 2);
        assert_eq!(q.next_expiry(), Some(t0));
        q.expire(t0 + Duration::from_micros(1_500), |&n| fp(n));
        assert_eq!(q.get(fp(2)), Some(&2), "1.5 ms was kept until 2 ms");
        assert_eq!(q.next_expiry(), Some(t0 + Duration::from_millis(2)));
    }

    #[test]
    fn a_shared_fingerprint_finds_the_newest_and_both_expire() {
        let t0 = test_epoch();
        let mut q = queue(&[(7, 100, "old"), (7, 200, "new")]);
        assert_eq!(q.get(fp(7)), Some(&(fp(7), "new")));
        q.expire(t0 + Duration::from_millis(100), |e| e.0);
        assert_eq!(
            q.get(fp(7)),
            Some(&(fp(7), "new")),
            "expiring the old one kept the index entry of the new one"
        );
        q.expire(t0 + Duration::from_millis(200), |e| e.0);
        assert!(q.is_empty(), "{q:?}");
    }

    #[test]
    fn lookups_across_blocks_after_many_expiries_find_the_right_entry() {
        let t0 = test_epoch();
        let mut q = Expiring::default();
        let n = 3 * BLOCK as u64 + 17;
        for i in 0..n {
            q.push(fp(i), t0 + Duration::from_millis(i), i);
        }
        let cut = BLOCK as u64 + 600;
        q.expire(t0 + Duration::from_millis(cut - 1), |&i| fp(i));
        assert_eq!(q.len() as u64, n - cut);
        assert_eq!(q.get(fp(cut - 1)), None);
        for i in [cut, cut + 1, 2 * BLOCK as u64, n - 1] {
            assert_eq!(q.get(fp(i)), Some(&i), "entry {i}");
        }
        assert_eq!(q.blocks.len(), 3, "the first block went when it emptied");
    }

    #[test]
    fn memory_follows_the_entries_held_not_the_most_ever_held() {
        let t0 = test_epoch();
        let mut q = Expiring::default();
        // A steady state: each entry lives 5,000 ms, one is added each millisecond.
        for i in 0..20_000u64 {
            let now = t0 + Duration::from_millis(i);
            q.expire(now, |&n| fp(n));
            q.push(fp(i), now + Duration::from_millis(5_000), i);
            assert!(q.len() <= 5_001);
            assert!(
                q.blocks.len() <= 5_001 / BLOCK + 2,
                "{} blocks for {} entries",
                q.blocks.len(),
                q.len()
            );
        }
        q.expire(t0 + Duration::from_secs(60), |&n| fp(n));
        assert!(q.is_empty());
    }
}
