//! The per-guest key-value store: state that outlives one call.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::CoreError;

/// The longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// The longest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 << 10;
/// The most keys one store holds.
pub const MAX_KEYS: usize = 100_000;
/// The most bytes of keys and values one store holds together: 64 MiB, so that a guest's
/// state costs the host a bounded share of its memory, whatever the sizes of its keys.
pub const MAX_STORE_BYTES: usize = 64 << 20;

/// A guest's key-value store. Implementations keep [`MAX_KEY_BYTES`],
/// [`MAX_VALUE_BYTES`], [`MAX_KEYS`] and [`MAX_STORE_BYTES`] (a write past them is an
/// [`CoreError::InvalidArgument`] and changes nothing), and list keys in byte
/// order. [`MemoryKv`] is the in-memory one; a durable store implements the
/// same trait.
pub trait KvStore: Send {
    /// The value of `key`.
    fn get(&self, key: &str) -> Option<String>;
    /// Sets `key` to `value`.
    fn set(&mut self, key: &str, value: &str) -> Result<(), CoreError>;
    /// Deletes `key`; false if it was not set.
    fn delete(&mut self, key: &str) -> bool;
    /// Compare-and-set: sets `key` to `value` (deletes it when `value` is `None`) only if
    /// its value is now `expected` (`None`: the key is not set); `Ok(false)`, and nothing
    /// changes, if it is another. The errors are [`set`](Self::set)'s, found before the
    /// values are compared (a deletion's are the key's only).
    fn swap(
        &mut self,
        key: &str,
        expected: Option<&str>,
        value: Option<&str>,
    ) -> Result<bool, CoreError>;
    /// Up to `limit` keys starting with `prefix`, in byte order.
    fn list(&self, prefix: &str, limit: usize) -> Vec<String>;
}

/// A [`KvStore`] in memory; its contents end with the process.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: BTreeMap<String, String>,
    /// The bytes of every key and value.
    bytes: usize,
}

impl MemoryKv {
    /// How many keys are set.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes of the store once `key` is set to `value`, if the bounds allow it.
    fn bytes_after_set(&self, key: &str, value: &str) -> Result<usize, CoreError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(CoreError::InvalidArgument(format!(
                "a value is at most {MAX_VALUE_BYTES} bytes, got {}",
                value.len()
            )));
        }
        let replaced = self.entries.get(key).map(|old| key.len() + old.len());
        if self.entries.len() >= MAX_KEYS && replaced.is_none() {
            return Err(CoreError::InvalidArgument(format!(
                "the store is full ({MAX_KEYS} keys)"
            )));
        }
        let bytes = self.bytes - replaced.unwrap_or(0) + key.len() + value.len();
        if bytes > MAX_STORE_BYTES {
            return Err(CoreError::InvalidArgument(format!(
                "the store is full ({MAX_STORE_BYTES} bytes of keys and values)"
            )));
        }
        Ok(bytes)
    }

    /// Sets `key` to `value`, which leaves the store holding `bytes`
    /// ([`bytes_after_set`](Self::bytes_after_set)).
    fn insert(&mut self, key: &str, value: &str, bytes: usize) {
        self.entries.insert(key.to_owned(), value.to_owned());
        self.bytes = bytes;
    }
}

/// Refuses a key outside 1 to [`MAX_KEY_BYTES`] bytes.
fn check_key(key: &str) -> Result<(), CoreError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(CoreError::InvalidArgument(format!(
            "a key is 1 to {MAX_KEY_BYTES} bytes, got {}",
            key.len()
        )));
    }
    Ok(())
}

impl KvStore for MemoryKv {
    fn get(&self, key: &str) -> Option<String> {
        self.entries.get(key).cloned()
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), CoreError> {
        let bytes = self.bytes_after_set(key, value)?;
        self.insert(key, value, bytes);
        Ok(())
    }

    fn delete(&mut self, key: &str) -> bool {
        match self.entries.remove(key) {
            Some(value) => {
                self.bytes -= key.len() + value.len();
                true
            }
            None => false,
        }
    }

    fn swap(
        &mut self,
        key: &str,
        expected: Option<&str>,
        value: Option<&str>,
    ) -> Result<bool, CoreError> {
        let write = match value {
            Some(value) => Some((value, self.bytes_after_set(key, value)?)),
            None => {
                check_key(key)?;
                None
            }
        };
        if self.entries.get(key).map(String::as_str) != expected {
            return Ok(false);
        }
        match write {
            Some((value, bytes)) => self.insert(key, value, bytes),
            None => {
                self.delete(key);
            }
        }
        Ok(true)
    }

    fn list(&self, prefix: &str, limit: usize) -> Vec<String> {
        self.entries
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .take(limit)
            .map(|(key, _)| key.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_delete_and_list_by_prefix() {
        let mut kv = MemoryKv::default();
        for key in ["room/2", "room/10", "room/1", "pin/1", "roomy"] {
            kv.set(key, "v").unwrap();
        }
        assert_eq!(kv.get("room/1").as_deref(), Some("v"));
        assert_eq!(kv.list("room/", 10), ["room/1", "room/10", "room/2"]);
        assert_eq!(kv.list("room/", 2), ["room/1", "room/10"], "limit applies");
        assert!(kv.delete("room/1"));
        assert!(!kv.delete("room/1"), "deleted once");
        assert_eq!(kv.get("room/1"), None);
        assert_eq!(kv.len(), 4);
    }

    #[test]
    fn bounds_are_errors_that_change_nothing() {
        let mut kv = MemoryKv::default();
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(matches!(
            kv.set(&long_key, "v"),
            Err(CoreError::InvalidArgument(_))
        ));
        assert!(matches!(
            kv.set("", "v"),
            Err(CoreError::InvalidArgument(_))
        ));
        let big = "v".repeat(MAX_VALUE_BYTES + 1);
        assert!(matches!(
            kv.set("k", &big),
            Err(CoreError::InvalidArgument(_))
        ));
        assert!(kv.is_empty(), "failed writes leave nothing");
        for n in 0..MAX_KEYS {
            kv.set(&n.to_string(), "").unwrap();
        }
        assert!(
            kv.set("one-more", "").is_err(),
            "a full store takes no new key"
        );
        assert!(kv.set("0", "updated").is_ok(), "a full store still updates");
        assert_eq!(kv.len(), MAX_KEYS);
    }

    #[test]
    fn the_store_holds_at_most_its_bytes_and_deleting_frees_them() {
        let mut kv = MemoryKv::default();
        let value = "v".repeat(MAX_VALUE_BYTES);
        let fits = MAX_STORE_BYTES / (MAX_VALUE_BYTES + 8);
        for n in 0..fits {
            kv.set(&format!("k{n:07}"), &value).unwrap();
        }
        let refused = kv.set("one-more", &value);
        assert!(
            matches!(&refused, Err(CoreError::InvalidArgument(m)) if m.contains("bytes")),
            "{refused:?}"
        );
        assert!(kv.set("k0000000", "").is_ok(), "a smaller value replaces");
        assert!(kv.set("one-more", &value).is_ok(), "room was freed");
        assert!(kv.delete("one-more"));
        assert!(
            kv.set("another", &value).is_ok(),
            "deleting frees its bytes"
        );
    }

    #[test]
    fn a_swap_changes_the_store_only_from_the_value_expected() {
        let mut kv = MemoryKv::default();
        assert_eq!(
            kv.swap("k", Some("a"), Some("b")),
            Ok(false),
            "k is not set"
        );
        assert_eq!(kv.get("k"), None);
        assert_eq!(kv.swap("k", None, Some("a")), Ok(true), "none: not set");
        assert_eq!(kv.swap("k", None, Some("b")), Ok(false), "k is set now");
        assert_eq!(kv.swap("k", Some("b"), Some("c")), Ok(false));
        assert_eq!(
            kv.get("k").as_deref(),
            Some("a"),
            "a refused swap changes nothing"
        );
        assert_eq!(kv.swap("k", Some("a"), Some("b")), Ok(true));
        assert_eq!(kv.get("k").as_deref(), Some("b"));
        assert_eq!(kv.swap("k", Some("a"), None), Ok(false));
        assert_eq!(kv.get("k").as_deref(), Some("b"), "nor deletes");
        assert_eq!(kv.swap("k", Some("b"), None), Ok(true), "none deletes");
        assert_eq!(kv.get("k"), None);
        assert!(kv.is_empty());
        assert_eq!(
            kv.swap("k", None, None),
            Ok(true),
            "still not set, as asked"
        );
        assert!(kv.is_empty());
    }

    #[test]
    fn a_swap_is_held_to_the_bounds_of_set_whatever_the_store_holds() {
        let mut kv = MemoryKv::default();
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        let big = "v".repeat(MAX_VALUE_BYTES + 1);
        for (key, value) in [
            (long_key.as_str(), Some("v")),
            ("", Some("v")),
            (long_key.as_str(), None),
            ("", None),
            ("k", Some(big.as_str())),
        ] {
            for expected in [None, Some("other")] {
                assert!(
                    matches!(
                        kv.swap(key, expected, value),
                        Err(CoreError::InvalidArgument(_))
                    ),
                    "{} bytes of key, expected {expected:?}",
                    key.len()
                );
            }
        }
        let longest = "k".repeat(MAX_KEY_BYTES);
        let largest = "v".repeat(MAX_VALUE_BYTES);
        assert_eq!(
            kv.swap(&longest, None, Some(&largest)),
            Ok(true),
            "the bounds themselves"
        );
        assert_eq!(kv.swap(&longest, Some(&largest), None), Ok(true));
        assert!(kv.is_empty(), "failed swaps leave nothing");
        for n in 0..MAX_KEYS {
            kv.set(&n.to_string(), "").unwrap();
        }
        assert!(
            matches!(kv.swap("one-more", None, Some("")), Err(CoreError::InvalidArgument(m)) if m.contains("keys")),
            "a full store takes no new key"
        );
        assert_eq!(
            kv.swap("0", Some(""), Some("updated")),
            Ok(true),
            "but still updates"
        );
        assert_eq!(kv.swap("1", Some(""), None), Ok(true), "and deletes");
        assert_eq!(
            kv.swap("one-more", None, Some("")),
            Ok(true),
            "which frees a key"
        );
        assert_eq!(kv.len(), MAX_KEYS);
    }

    #[test]
    fn a_swap_holds_the_store_to_its_bytes() {
        let mut kv = MemoryKv::default();
        let value = "v".repeat(MAX_VALUE_BYTES);
        let fits = MAX_STORE_BYTES / (MAX_VALUE_BYTES + 8);
        for n in 0..fits {
            kv.set(&format!("k{n:07}"), &value).unwrap();
        }
        let refused = kv.swap("one-more", None, Some(&value));
        assert!(
            matches!(&refused, Err(CoreError::InvalidArgument(m)) if m.contains("bytes")),
            "{refused:?}"
        );
        assert_eq!(kv.get("one-more"), None);
        assert_eq!(kv.swap("k0000000", Some(&value), None), Ok(true));
        assert_eq!(
            kv.swap("one-more", None, Some(&value)),
            Ok(true),
            "deleting freed its bytes"
        );
        assert_eq!(kv.swap("one-more", Some(&value), Some("")), Ok(true));
        assert_eq!(
            kv.swap("another", None, Some(&value)),
            Ok(true),
            "a smaller value frees bytes"
        );
    }
}
