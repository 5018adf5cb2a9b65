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
//! not atomic across calls.
//!
//! The store is kept in the host's memory: its contents end with the host
//! process (unlike a room's meta, which `rooms.state_file` keeps across
//! restarts).

use crate::kv;
use crate::types::Error;
use std::fmt::{self, Display};
use std::marker::PhantomData;
use std::str::FromStr;

/// A key of the store whose value is a `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<T> {
    key: String,
    value: PhantomData<fn() -> T>,
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
        self.parse(kv::get(&self.key))
    }

    /// Sets its value (at most 64 KiB as text).
    pub fn set(&self, value: &T) -> Result<(), Error> {
        kv::set(&self.key, &value.to_string())
    }

    /// Deletes it; false if it was not set.
    pub fn delete(&self) -> bool {
        kv::delete(&self.key)
    }

    fn parse(&self, stored: Option<String>) -> Result<Option<T>, Unreadable> {
        let Some(text) = stored else {
            return Ok(None);
        };
        match text.parse() {
            Ok(value) => Ok(Some(value)),
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
/// one a native test keeps in memory to count what is asked of it.
pub trait Kv {
    /// The value of `key`, or `None`.
    fn get(&self, key: &str) -> Option<String>;
    /// Sets `key` to `value`.
    fn set(&self, key: &str, value: &str) -> Result<(), Error>;
    /// Deletes `key`; false if it was not set.
    fn delete(&self, key: &str) -> bool;
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

    fn list(&self, prefix: &str, limit: u32) -> Vec<String> {
        kv::list(prefix, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_back_from_their_text() {
        let count = Entry::<u32>::new("calls/123");
        assert_eq!(count.key(), "calls/123");
        assert_eq!(count.parse(None), Ok(None));
        assert_eq!(count.parse(Some("42".into())), Ok(Some(42)));
        let err = count.parse(Some("many".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "kv calls/123: \"many\": invalid digit found in string"
        );
        let name = Entry::<String>::new("name");
        assert_eq!(name.parse(Some("".into())), Ok(Some(String::new())));
    }
}
