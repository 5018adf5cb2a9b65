//! Typed entries of the guest's key-value store ([`kv`]), shared
//! by every call of the guest: a value is kept as its text
//! ([`Display`]) and read back with [`FromStr`].
//!
//! ```no_run
//! use switchyard_sdk::store::Entry;
//!
//! /// Counts one more call into `room`; the count.
//! fn count_call(room: &str) -> Result<u32, Box<dyn std::error::Error>> {
//!     let calls = Entry::<u32>::new(format!("calls/{room}"));
//!     let count = calls.get()?.unwrap_or(0) + 1;
//!     calls.set(&count)?;
//!     Ok(count)
//! }
//! ```
//!
//! Each call's instance runs on its own, so a read followed by a write is
//! not atomic across calls: [`Entry::swap`] writes only if the value is
//! still the one [`Entry::read`] read, as it was stored.
//!
//! ```no_run
//! use switchyard_sdk::store::Entry;
//!
//! /// Counts one more call into `room`, losing no other call's count; the
//! /// count, or `None` if others kept changing it.
//! fn count_call(room: &str) -> Result<Option<u32>, Box<dyn std::error::Error>> {
//!     let calls = Entry::<u32>::new(format!("calls/{room}"));
//!     for _ in 0..16 {
//!         let read = calls.read()?;
//!         let count = read.as_ref().map_or(0, |read| read.value) + 1;
//!         if calls.swap(read.as_ref(), Some(&count))? {
//!             return Ok(Some(count));
//!         }
//!     }
//!     Ok(None)
//! }
//! ```
//!
//! The store is kept in the host's memory: its contents end with the host
//! process (unlike a room's meta, which `rooms.state_file` keeps across
//! restarts).

use crate::kv;
use crate::types::Error;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::{self, Display};
use std::marker::PhantomData;
use std::str::FromStr;

/// A key of the store whose value is a `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<T> {
    key: String,
    value: PhantomData<fn() -> T>,
}

/// A value read from the store ([`Entry::read`]), with the text it is
/// stored as: [`Entry::swap`] compares that text, so a value stored as
/// another text than its own ("05" for 5) is still the one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<T> {
    /// The value.
    pub value: T,
    text: String,
}

impl<T> Stored<T> {
    /// The text the value is stored as.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A stored text that is not a value of the entry's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The entry's key.
    pub key: String,
    /// What is stored under it.
    pub text: String,
    /// Why it does not parse.
    pub reason: String,
}

impl Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kv {}: {:?}: {}", self.key, self.text, self.reason)
    }
}

impl std::error::Error for Unreadable {}

impl<T: FromStr + Display> Entry<T>
where
    T::Err: Display,
{
    /// The entry under `key` (1 to 256 bytes).
    pub fn new(key: impl Into<String>) -> Self {
        Entry {
            key: key.into(),
            value: PhantomData,
        }
    }

    /// Its key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Its value, or `None` if it is not set.
    pub fn get(&self) -> Result<Option<T>, Unreadable> {
        Ok(self.read()?.map(|stored| stored.value))
    }

    /// Its value with the text it is stored as, or `None` if it is not
    /// set: what [`Entry::swap`] takes as the value expected.
    pub fn read(&self) -> Result<Option<Stored<T>>, Unreadable> {
        self.read_from(&HostKv)
    }

    /// Sets its value (at most 64 KiB as text).
    pub fn set(&self, value: &T) -> Result<(), Error> {
        kv::set(&self.key, &value.to_string())
    }

    /// Deletes it; false if it was not set.
    pub fn delete(&self) -> bool {
        kv::delete(&self.key)
    }

    /// Compare-and-set: sets its value to `value` (deletes it when `value`
    /// is `None`) only if it is now stored as `expected` was when
    /// [`Entry::read`] read it, text for text (`None`: not set), in one step
    /// no other call's write comes between. True if it changed the store as
    /// asked; false, changing nothing, if the value was another. The bounds
    /// are [`Entry::set`]'s.
    pub fn swap(&self, expected: Option<&Stored<T>>, value: Option<&T>) -> Result<bool, Error> {
        self.swap_in(&HostKv, expected, value)
    }

    fn read_from(&self, store: &impl Kv) -> Result<Option<Stored<T>>, Unreadable> {
        self.parse(store.get(&self.key))
    }

    fn swap_in(
        &self,
        store: &impl Kv,
        expected: Option<&Stored<T>>,
        value: Option<&T>,
    ) -> Result<bool, Error> {
        let value = value.map(T::to_string);
        store.swap(&self.key, expected.map(Stored::text), value.as_deref())
    }

    fn parse(&self, stored: Option<String>) -> Result<Option<Stored<T>>, Unreadable> {
        let Some(text) = stored else {
            return Ok(None);
        };
        match text.parse() {
            Ok(value) => Ok(Some(Stored { value, text })),
            Err(e) => Err(Unreadable {
                key: self.key.clone(),
                reason: e.to_string(),
                text,
            }),
        }
    }
}

/// The keys starting with `prefix`, in byte order, at most `limit` of them.
pub fn keys(prefix: &str, limit: u32) -> Vec<String> {
    kv::list(prefix, limit)
}

/// A key-value store as [`kv`] gives it: the guest's own ([`HostKv`]), or
/// one a native test keeps in memory ([`MemoryKv`]).
pub trait Kv {
    /// The value of `key`, or `None`.
    fn get(&self, key: &str) -> Option<String>;
    /// Sets `key` to `value`.
    fn set(&self, key: &str, value: &str) -> Result<(), Error>;
    /// Deletes `key`; false if it was not set.
    fn delete(&self, key: &str) -> bool;
    /// Compare-and-set: sets `key` to `value` (deletes it when `value` is
    /// `None`) only if its value is now `expected` (`None`: not set), in one
    /// step no other write comes between. True if it changed the store as
    /// asked; false, changing nothing, if the value was another.
    fn swap(&self, key: &str, expected: Option<&str>, value: Option<&str>) -> Result<bool, Error>;
    /// The keys starting with `prefix`, in byte order, at most `limit` of them.
    fn list(&self, prefix: &str, limit: u32) -> Vec<String>;
}

/// The guest's key-value store in the host ([`kv`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct HostKv;

impl Kv for HostKv {
    fn get(&self, key: &str) -> Option<String> {
        kv::get(key)
    }

    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        kv::set(key, value)
    }

    fn delete(&self, key: &str) -> bool {
        kv::delete(key)
    }

    fn swap(&self, key: &str, expected: Option<&str>, value: Option<&str>) -> Result<bool, Error> {
        kv::swap(key, expected, value)
    }

    fn list(&self, prefix: &str, limit: u32) -> Vec<String> {
        kv::list(prefix, limit)
    }
}

/// An in-memory [`Kv`] for a guest's native unit tests: code that takes
/// `&impl Kv` runs on it outside the host.
///
/// Each store starts empty ([`MemoryKv::default`]) and is its own. It keeps
/// [`Kv`]'s contract (keys listed in byte order, a swap in one step) but not
/// the host's bounds on keys and values: every set succeeds.
///
/// ```
/// use switchyard_sdk::store::{Kv, MemoryKv};
///
/// let store = MemoryKv::default();
/// store.set("calls/123", "1").unwrap();
/// assert!(store.swap("calls/123", Some("1"), Some("2")).unwrap());
/// assert_eq!(store.list("calls/", 10), ["calls/123"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryKv(RefCell<BTreeMap<String, String>>);

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> Option<String> {
        self.0.borrow().get(key).cloned()
    }

    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        self.0.borrow_mut().insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete(&self, key: &str) -> bool {
        self.0.borrow_mut().remove(key).is_some()
    }

    fn swap(&self, key: &str, expected: Option<&str>, value: Option<&str>) -> Result<bool, Error> {
        if self.get(key).as_deref() != expected {
            return Ok(false);
        }
        match value {
            Some(value) => self.set(key, value)?,
            None => _ = self.delete(key),
        }
        Ok(true)
    }

    fn list(&self, prefix: &str, limit: u32) -> Vec<String> {
        let entries = self.0.borrow();
        let keys = entries.keys().filter(|key| key.starts_with(prefix));
        keys.take(limit as usize).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_back_from_their_text() {
        let count = Entry::<u32>::new("calls/123");
        assert_eq!(count.key(), "calls/123");
        let value = |text: &str| count.parse(Some(text.into())).map(|s| s.map(|s| s.value));
        assert_eq!(count.parse(None), Ok(None));
        assert_eq!(value("42"), Ok(Some(42)));
        let err = value("many").unwrap_err();
        assert_eq!(
            err.to_string(),
            "kv calls/123: \"many\": invalid digit found in string"
        );
        let name = Entry::<String>::new("name");
        let empty = name.parse(Some("".into())).unwrap().unwrap();
        assert_eq!(empty.value, "");
    }

    #[test]
    fn a_value_stored_as_another_text_than_its_own_is_swapped_as_read() {
        let store = MemoryKv::default();
        store.set("calls/123", "05").unwrap();
        let count = Entry::<u32>::new("calls/123");
        let read = count.read_from(&store).unwrap().unwrap();
        assert_eq!((read.value, read.text()), (5, "05"));
        let swap = |expected, value| count.swap_in(&store, expected, value).unwrap();
        assert!(swap(Some(&read), Some(&6)));
        assert_eq!(store.get("calls/123").as_deref(), Some("6"));
        assert!(!swap(Some(&read), None), "6 now");
        assert!(!swap(None, Some(&7)), "set");
    }

    #[test]
    fn a_memory_store_lists_its_keys_in_byte_order_up_to_the_limit() {
        let store = MemoryKv::default();
        for key in ["p/b", "q/a", "p/a", "p/c"] {
            store.set(key, "").unwrap();
        }
        assert_eq!(store.list("p/", 2), ["p/a", "p/b"]);
        assert!(store.delete("p/a"));
        assert!(!store.delete("p/a"), "already gone");
        assert!(store.swap("p/z", None, Some("1")).unwrap(), "set if unset");
        assert!(store.swap("p/z", Some("1"), None).unwrap(), "deleted");
        assert_eq!(store.list("p/", 10), ["p/b", "p/c"]);
    }
}
