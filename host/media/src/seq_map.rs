//! An ordered map from extended sequence numbers to buffered packets that keeps its memory: a
//! jitter buffer holds a handful of packets, taken from the front in order, so a sorted ring
//! serves it without the node allocation per packet of a tree.

use std::collections::VecDeque;

/// Entries sorted by key, ascending; each key at most once.
#[derive(Debug)]
pub(crate) struct SeqMap<T> {
    entries: VecDeque<(u64, T)>,
}

impl<T> Default for SeqMap<T> {
    fn default() -> Self {
        SeqMap {
            entries: VecDeque::new(),
        }
    }
}

impl<T> SeqMap<T> {
    // Where `key` is, or would go.
    fn position(&self, key: u64) -> Result<usize, usize> {
        // In order, packets arrive newest last and play oldest first: check both ends before
        // searching.
        match (self.entries.front(), self.entries.back()) {
            (None, _) => Err(0),
            (_, Some(&(last, _))) if last < key => Err(self.entries.len()),
            (Some(&(first, _)), _) if first >= key => {
                if first == key {
                    Ok(0)
                } else {
                    Err(0)
                }
            }
            _ => self.entries.binary_search_by_key(&key, |&(k, _)| k),
        }
    }

    /// Adds `value` under `key`; gives it back when the key is already there.
    pub(crate) fn insert(&mut self, key: u64, value: T) -> Result<(), T> {
        match self.position(key) {
            Ok(_) => Err(value),
            Err(at) => {
                self.entries.insert(at, (key, value));
                Ok(())
            }
        }
    }

    /// The highest key.
    pub(crate) fn last_key(&self) -> Option<u64> {
        self.entries.back().map(|&(key, _)| key)
    }

    pub(crate) fn contains_key(&self, key: u64) -> bool {
        self.position(key).is_ok()
    }

    pub(crate) fn get(&self, key: u64) -> Option<&T> {
        let at = self.position(key).ok()?;
        self.entries.get(at).map(|(_, value)| value)
    }

    pub(crate) fn remove(&mut self, key: u64) -> Option<T> {
        let at = self.position(key).ok()?;
        self.entries.remove(at).map(|(_, value)| value)
    }

    /// Drops every entry below `key`; returns how many.
    pub(crate) fn remove_below(&mut self, key: u64) -> usize {
        let count = self.entries.partition_point(|&(k, _)| k < key);
        self.entries.drain(..count);
        count
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_keys_ordered_and_unique() {
        let mut map = SeqMap::default();
        for key in [5, 3, 9, 4, 7] {
            assert!(map.insert(key, key * 10).is_ok());
        }
        assert_eq!(map.insert(7, 0), Err(0));
        assert_eq!(map.last_key(), Some(9));
        assert!(map.contains_key(4) && !map.contains_key(6));
        assert_eq!(map.get(3), Some(&30));
        assert_eq!(map.remove(3), Some(30));
        assert_eq!(map.remove(3), None);
        assert_eq!(map.remove_below(7), 2);
        assert_eq!(map.len(), 2);
        assert_eq!(map.remove(7), Some(70));
        assert_eq!(map.remove(9), Some(90));
        assert!(map.is_empty());
    }
}
