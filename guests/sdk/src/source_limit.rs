//! Failures counted per source address (an IPv6 one per /64), across calls,
//! against guessing (room numbers, pins): a source with `max_failures`
//! failures within the last `window_s` seconds is refused until the oldest of
//! them leaves the window, so the lock-out expires by itself. A call through a
//! trusted proxy (one that authenticates its callers, as Kamailio in front of
//! SEMS) counts against its caller instead, so that one caller's guesses do
//! not lock out everyone behind the proxy.
//!
//! A [`SourceGuard`] keeps each failure as a key of its own in the guest's
//! key-value store, `<prefix><length>:<source>/<unix seconds>.<random>`, so
//! that failures recorded at once by calls in parallel never overwrite each
//! other, without a `kv.swap` round for each: a source's failures are counted
//! by listing its keys. Each count deletes the source's failures that left the
//! window and all but its newest `max_failures`, so a source holds at most
//! `max_failures` keys, plus those being recorded at that moment. Sources are
//! tracked up to [`SourceGuard::tracked_sources`] ([`MAX_TRACKED_FAILURES`]
//! keys in all): to track a new one when full, [`evict`] names the sources
//! whose keys to delete. As that reads every key of the guard, the guard
//! keeps a count of its sources (`<prefix>sources`) and reads them all only
//! once the count says the table may be full; the read counts them anew, so
//! the count is exact after each, and calls racing to add sources can only
//! take the table a few sources past its cap until the next. The counting
//! logic is plain functions, tested natively.

use crate::hash::fnv1a;
use crate::store::{HostKv, Kv};
use crate::{
    log::{Level, log},
    unix_seconds,
};
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv6Addr};

/// The most source addresses one guard tracks at once with a limit of one
/// failure; a limit of `n` tracks `1/n` of them, so that a guard holds at most
/// this many failures, whatever its limit. A new source past it evicts the
/// sources that matter least.
pub const MAX_TRACKED_FAILURES: u32 = 10_000;

/// The longest From URI a caller behind a trusted proxy is counted by as it is;
/// a longer one is counted by its hash, to keep its failures' keys short
/// (within the store's 256 bytes with a prefix of up to 20).
const MAX_COUNTED_URI: usize = 200;

/// How many more of a source's failures than its limit one count lists: those
/// recorded by calls in parallel before one of them deletes the excess.
const LISTED_BEYOND_LIMIT: u32 = 64;

/// A per-source failure limit over the key-value store, shared by every call
/// of the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceGuard {
    /// The limit.
    pub policy: Policy,
    /// The key prefix of its records (one guard per prefix).
    pub prefix: &'static str,
    /// Proxies whose calls count against their caller, not their address.
    pub trusted_proxies: Vec<IpAddr>,
}

impl SourceGuard {
    /// Who the failures of a call from `source` ("ip:port") whose From URI is
    /// `from_uri` count against: the source's IP address (an IPv4-mapped one
    /// as its IPv4 address, an IPv6 one as its /64, `2001:db8::/64`), or, when
    /// the source is a trusted proxy, `from:` and the caller the URI names
    /// ([`caller_of`]; its hash when longer than 200 bytes). A source that is
    /// no IP address counts as it is.
    pub fn counted_as(&self, source: &str, from_uri: &str) -> String {
        let ip = source_ip(source);
        let Ok(ip) = ip.parse::<IpAddr>().map(|ip| ip.to_canonical()) else {
            return ip.to_owned();
        };
        let trusted = self
            .trusted_proxies
            .iter()
            .any(|proxy| proxy.to_canonical() == ip);
        if !trusted {
            return host_of(ip);
        }
        let caller = caller_of(from_uri);
        if caller.len() <= MAX_COUNTED_URI {
            format!("from:{caller}")
        } else {
            format!("from-hash:{:016x}", fnv1a(caller.as_bytes()))
        }
    }

    /// Whether calls from `source` are refused now. Failures that left the
    /// window are deleted on the way.
    pub fn is_blocked(&self, source: &str) -> bool {
        self.is_blocked_in(&HostKv, source, unix_seconds())
    }

    /// [`SourceGuard::is_blocked`] in `store`, at `now`.
    fn is_blocked_in(&self, store: &impl Kv, source: &str, now: u64) -> bool {
        self.policy.is_on()
            && self.count(store, &self.key(source), now) >= self.policy.max_failures as usize
    }

    /// Counts one failure from `source`; true if that puts the source at its
    /// limit. Calls counting failures of one source in parallel each count
    /// every one of them: each is a key of its own.
    pub fn record_failure(&self, source: &str) -> bool {
        self.record_failure_in(&HostKv, source, unix_seconds())
    }

    /// [`SourceGuard::record_failure`] in `store`, at `now`.
    fn record_failure_in(&self, store: &impl Kv, source: &str, now: u64) -> bool {
        if !self.policy.is_on() {
            return false;
        }
        let source_key = self.key(source);
        if store.list(&source_key, 1).is_empty() {
            self.make_room(store, now);
        }
        let key = failure_key(&source_key, now, unique());
        if let Err(e) = store.set(&key, "1") {
            log(
                Level::Warn,
                &format!("failure from {source} not counted: {e:?}"),
            );
        }
        self.count(store, &source_key, now) >= self.policy.max_failures as usize
    }

    /// The prefix of the failure keys of `source`: its length first, so that
    /// no source's prefix begins another's.
    pub fn key(&self, source: &str) -> String {
        format!("{}{}:{source}/", self.prefix, source.len())
    }

    /// How many sources the guard tracks at once: [`MAX_TRACKED_FAILURES`]
    /// over the limit.
    pub fn tracked_sources(&self) -> usize {
        (MAX_TRACKED_FAILURES / self.policy.max_failures.max(1)).max(1) as usize
    }

    /// The failures within the window of the source whose keys begin with
    /// `source_key`; those past the window, or past the limit, are deleted.
    fn count(&self, store: &impl Kv, source_key: &str, now: u64) -> usize {
        let listed = self.policy.max_failures.saturating_add(LISTED_BEYOND_LIMIT);
        let keys = store.list(source_key, listed);
        let tally = tally(&self.policy, &keys, now);
        for key in &tally.expired {
            store.delete(key);
        }
        tally.recent
    }

    /// The key of the count of sources the guard tracks. Past the prefix,
    /// a source's keys begin with a digit, this one with a letter.
    fn sources_key(&self) -> String {
        format!("{}sources", self.prefix)
    }

    /// Makes room for one more tracked source when
    /// [`SourceGuard::tracked_sources`] are, and counts it. The sources are
    /// read only when their count says they may be that many: then the keys
    /// of the sources [`evict`] names go, and the count is set to those left.
    fn make_room(&self, store: &impl Kv, now: u64) {
        let cap = self.tracked_sources();
        let sources_key = self.sources_key();
        let counted = store
            .get(&sources_key)
            .and_then(|n| n.parse::<usize>().ok());
        let tracked = match counted {
            Some(n) if n < cap => n,
            _ => self.evict_for_one_more(store, now, cap),
        };
        // Past the store's bounds the count stays as it was, as does the table:
        // the failure's own key is refused too.
        let _ = store.set(&sources_key, &(tracked + 1).to_string());
    }

    /// Deletes the keys of the sources [`evict`] names for one more to fit
    /// within `cap`; how many sources are left.
    fn evict_for_one_more(&self, store: &impl Kv, now: u64, cap: usize) -> usize {
        let sources_key = self.sources_key();
        let mut keys = store.list(self.prefix, MAX_TRACKED_FAILURES.saturating_mul(2));
        keys.retain(|key| *key != sources_key);
        let sources = by_source(&keys);
        if sources.len() < cap {
            return sources.len();
        }
        let evicted: std::collections::HashSet<String> = evict(&self.policy, &sources, now, cap)
            .into_iter()
            .collect();
        for key in keys
            .iter()
            .filter(|key| source_of(key).is_some_and(|source| evicted.contains(&source)))
        {
            store.delete(key);
        }
        sources.len() - evicted.len()
    }
}

/// A number no other call is likely to draw: the store's keys of failures
/// recorded in the same second by calls in parallel differ by it.
fn unique() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // Each `RandomState` is seeded from the system's randomness.
    std::collections::hash_map::RandomState::new().hash_one(nanos)
}

/// The key of a failure at `at` of the source whose keys begin with
/// `source_key`, told apart from others of that second by `unique`. The
/// seconds are zero-padded, so that the store lists a source's failures
/// oldest first.
pub fn failure_key(source_key: &str, at: u64, unique: u64) -> String {
    format!("{source_key}{at:010}.{:012x}", unique & 0xffff_ffff_ffff)
}

/// The time of the failure whose key is `key`, if it is one.
fn failure_time(key: &str) -> Option<u64> {
    let (_, failure) = key.rsplit_once('/')?;
    failure.split_once('.')?.0.parse().ok()
}

/// The prefix of the source of the failure key `key`, `/` included.
fn source_of(key: &str) -> Option<String> {
    key.rfind('/').map(|slash| key[..=slash].to_owned())
}

/// A source's failures, as one count reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// How many are within the window.
    pub recent: usize,
    /// The keys to delete: failures past the window (or no failure's), and
    /// the oldest beyond the newest `max_failures`.
    pub expired: Vec<String>,
}

/// What the failure `keys` of one source, oldest first, say at `now`.
pub fn tally(policy: &Policy, keys: &[String], now: u64) -> Tally {
    let (recent, mut expired): (Vec<&String>, Vec<&String>) = keys.iter().partition(|key| {
        failure_time(key).is_some_and(|at| at.saturating_add(policy.window_s) > now)
    });
    let excess = recent
        .len()
        .saturating_sub((policy.max_failures as usize).max(1));
    expired.extend(&recent[..excess]);
    Tally {
        recent: recent.len(),
        expired: expired.into_iter().cloned().collect(),
    }
}

/// The failure `keys` of a guard grouped by source, as [`evict`] takes them:
/// each source's key prefix and the times of its failures, space-separated.
pub fn by_source(keys: &[String]) -> Vec<(String, String)> {
    let mut sources: Vec<(String, String)> = Vec::new();
    for key in keys {
        let Some(source) = source_of(key) else {
            continue;
        };
        let at = failure_time(key).map_or_else(String::new, |at| at.to_string());
        match sources.last_mut() {
            // The store lists keys in order: a source's keys come together.
            Some((last, times)) if *last == source => {
                times.push(' ');
                times.push_str(&at);
            }
            _ => sources.push((source, at)),
        }
    }
    sources
}

/// The limit, from the guest's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures within the window that refuse a source; 0 turns the limit off.
    pub max_failures: u32,
    /// How long a failure counts, in seconds.
    pub window_s: u64,
}

impl Policy {
    /// Whether failures are counted at all.
    pub fn is_on(&self) -> bool {
        self.max_failures > 0 && self.window_s > 0
    }
}

/// The addresses of a config value of the `addresses` kind (separated by
/// commas); the host checked it when it loaded the guest, so a part that is no
/// address is skipped.
pub fn addresses(value: &str) -> Vec<IpAddr> {
    value
        .split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

/// The caller a From URI names, as `user@host` in lower case: its scheme, password,
/// port, parameters and headers left out and its user's escapes decoded (RFC 3261
/// §19.1.4 compares them so), so that one caller cannot pass for many by varying them.
pub fn caller_of(uri: &str) -> String {
    let rest = uri.split_once(':').map_or(uri, |(_, rest)| rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    let (user, host) = rest.rsplit_once('@').unwrap_or(("", rest));
    let user = user.split([';', ':']).next().unwrap_or(user);
    let host = host.split(';').next().unwrap_or(host);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.split(':').next().unwrap_or(host),
    };
    format!("{}@{host}", percent_decoded(user)).to_ascii_lowercase()
}

/// `text` with its `%XX` escapes decoded (a broken one is kept as it is).
fn percent_decoded(text: &str) -> String {
    String::from_utf8_lossy(&crate::uri::unescaped(text).0).into_owned()
}

/// The address of a `source` ("ip:port", "\[v6\]:port"), without the port.
pub fn source_ip(source: &str) -> &str {
    if let Some(rest) = source.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match source.rsplit_once(':') {
        // More than one colon and no brackets: a bare IPv6 address.
        Some((ip, _)) if !ip.contains(':') => ip,
        _ => source,
    }
}

/// The host `ip`, in canonical form (an IPv4-mapped address, as a dual-stack
/// socket reports one, as its IPv4 address), belongs to, as failures count
/// against it: an IPv4 address is one host; an IPv6 address counts as its /64
/// (`2001:db8::/64`), the subnet one host is given and may pick any address
/// of (RFC 4291 §2.5.1, RFC 8981), so that new addresses neither escape the
/// limit nor fill the table with sources.
fn host_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let subnet = Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX));
            format!("{subnet}/64")
        }
    }
}

/// The failures of a record still within the window at `now`, oldest first;
/// a record that does not parse holds none.
fn recent(policy: &Policy, record: Option<&str>, now: u64) -> Vec<u64> {
    record
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|t| t.parse::<u64>().ok())
        .filter(|&at| at.saturating_add(policy.window_s) > now)
        .collect()
}

/// Which of the sources' `records` (key prefix, failure times as
/// [`by_source`] gives them) to delete so that at most `cap - 1` remain and a
/// new source can be tracked: every source with no failure within the window,
/// then, while still too many, those whose latest failure is oldest.
pub fn evict(policy: &Policy, records: &[(String, String)], now: u64, cap: usize) -> Vec<String> {
    let mut live: Vec<(u64, &str)> = Vec::new();
    let mut evicted = Vec::new();
    for (key, value) in records {
        match recent(policy, Some(value), now).last() {
            Some(&latest) => live.push((latest, key)),
            None => evicted.push(key.clone()),
        }
    }
    let excess = (live.len() + 1).saturating_sub(cap.max(1));
    live.sort_unstable();
    evicted.extend(live.iter().take(excess).map(|(_, key)| (*key).to_owned()));
    evicted
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        max_failures: 3,
        window_s: 100,
    };

    #[test]
    fn calls_through_a_trusted_proxy_count_against_their_caller() {
        let guard = SourceGuard {
            policy: POLICY,
            prefix: "p/",
            trusted_proxies: addresses("192.0.2.10, ::ffff:192.0.2.11,x, 2001:db8::1"),
        };
        assert_eq!(
            guard.trusted_proxies.len(),
            3,
            "{:?}",
            guard.trusted_proxies
        );
        let alice = "sip:Alice@example.com";
        assert_eq!(guard.counted_as("198.51.100.7:5060", alice), "198.51.100.7");
        assert_eq!(
            guard.counted_as("192.0.2.10:5060", alice),
            "from:alice@example.com"
        );
        assert_eq!(
            guard.counted_as("192.0.2.11:5060", "sip:bob@example.com"),
            "from:bob@example.com",
            "an IPv4-mapped proxy address matches its IPv4 source"
        );
        assert_eq!(
            guard.counted_as("[2001:db8::1]:5060", alice),
            "from:alice@example.com"
        );
        assert_eq!(
            guard.counted_as("[::ffff:192.0.2.10]:5060", alice),
            "from:alice@example.com",
            "an IPv4 proxy seen through an IPv6 socket"
        );
        // One caller, however it dresses its URI, is one caller.
        for dressed in [
            "sips:alice@Example.COM",
            "sip:alice@example.com:5080;transport=tcp",
            "sip:%61lice@example.com",
            "sip:alice;n=1@example.com",
            "sip:alice:secret@example.com?subject=x",
        ] {
            assert_eq!(
                guard.counted_as("192.0.2.10:5060", dressed),
                "from:alice@example.com",
                "{dressed}"
            );
        }
        assert_eq!(caller_of("sip:bob@[2001:DB8::9]:5060"), "bob@2001:db8::9");
        assert_eq!(
            caller_of("sip:%zz@host"),
            "%zz@host",
            "a broken escape is kept"
        );
        let long = format!("sip:{}@example.com", "a".repeat(300));
        let key = guard.counted_as("192.0.2.10:5060", &long);
        assert!(key.starts_with("from-hash:") && key.len() < 40, "{key}");
        assert_eq!(key, guard.counted_as("192.0.2.10:5060", &long), "stable");
    }

    #[test]
    fn source_ip_drops_the_port() {
        assert_eq!(source_ip("192.0.2.7:5060"), "192.0.2.7");
        assert_eq!(source_ip("[2001:db8::1]:5060"), "2001:db8::1");
        assert_eq!(source_ip("2001:db8::1"), "2001:db8::1");
        assert_eq!(source_ip("192.0.2.7"), "192.0.2.7");
    }

    fn guard(max_failures: u32) -> SourceGuard {
        SourceGuard {
            policy: Policy {
                max_failures,
                window_s: 100,
            },
            prefix: "p/",
            trusted_proxies: Vec::new(),
        }
    }

    /// The failure keys of `source` at `times`, as the store lists them.
    fn keys_at(source: &str, times: &[u64]) -> Vec<String> {
        let source_key = guard(3).key(source);
        let mut keys: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(n, &at)| failure_key(&source_key, at, n as u64))
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn failures_at_once_are_keys_of_their_own_listed_oldest_first() {
        let source_key = guard(3).key("192.0.2.7");
        assert_eq!(source_key, "p/9:192.0.2.7/");
        let one = failure_key(&source_key, 1000, 1);
        let other = failure_key(&source_key, 1000, 2);
        assert_ne!(
            one, other,
            "two failures in one second do not overwrite each other"
        );
        assert!(
            failure_key(&source_key, 999, u64::MAX) < one,
            "older lists first"
        );
        assert_eq!(failure_time(&one), Some(1000));
        assert_ne!(unique(), unique());
        // No source's keys begin with another's prefix.
        assert!(!guard(3).key("192.0.2.77").starts_with(&source_key));
        let longest = guard(3).key(&format!("from:{}", "a".repeat(MAX_COUNTED_URI)));
        let key = failure_key(
            &format!("failed_entries/{}", &longest[2..]),
            9_999_999_999,
            u64::MAX,
        );
        assert!(
            key.len() <= 256,
            "within the store's key size: {}",
            key.len()
        );
    }

    #[test]
    fn a_source_is_blocked_at_the_limit_within_the_window() {
        let tally_at = |times: &[u64], now| tally(&POLICY, &keys_at("s", times), now);
        assert_eq!(tally_at(&[1000, 1010], 1020).recent, 2);
        let at_limit = tally_at(&[1000, 1010, 1020], 1020);
        assert_eq!(at_limit.recent, 3);
        assert!(at_limit.expired.is_empty());
        assert_eq!(tally_at(&[1000, 1010, 1020], 1099).recent, 3);
        // The first failure leaves the window at 1100, and is deleted.
        let later = tally_at(&[1000, 1010, 1020], 1100);
        assert_eq!(later.recent, 2);
        assert_eq!(later.expired, keys_at("s", &[1000]));
    }

    #[test]
    fn old_failures_and_those_past_the_limit_are_deleted() {
        let mut keys = keys_at("s", &[1, 950, 960, 970, 980, 990]);
        keys.push("p/1:s/junk".to_owned());
        let counted = tally(&POLICY, &keys, 1000);
        assert_eq!(counted.recent, 5, "every failure within the window counts");
        let mut expected = vec![keys[0].clone(), keys[6].clone(), keys[1].clone()];
        expected.push(keys[2].clone());
        assert_eq!(
            counted.expired, expected,
            "the stale, the unreadable, then the oldest beyond the newest 3"
        );
    }

    #[test]
    fn a_guard_tracks_as_many_sources_as_its_failures_allow() {
        assert_eq!(guard(10).tracked_sources(), 1000);
        assert_eq!(guard(1000).tracked_sources(), 10);
        assert_eq!(guard(0).tracked_sources(), MAX_TRACKED_FAILURES as usize);
        assert_eq!(guard(20_000).tracked_sources(), 1);
        let mut keys = keys_at("a", &[950, 990]);
        keys.extend(keys_at("b", &[10]));
        assert_eq!(
            by_source(&keys),
            [
                ("p/1:a/".to_owned(), "950 990".to_owned()),
                ("p/1:b/".to_owned(), "10".to_owned())
            ]
        );
    }

    #[test]
    fn a_limit_of_zero_is_off() {
        let off = Policy {
            max_failures: 0,
            window_s: 100,
        };
        assert!(!off.is_on());
        assert!(!guard(0).is_blocked("192.0.2.7"), "no store is asked");
    }

    /// A store in memory that counts the keys it lists.
    #[derive(Default)]
    struct CountingKv {
        entries: crate::store::MemoryKv,
        listed: std::cell::Cell<usize>,
    }

    impl Kv for CountingKv {
        fn get(&self, key: &str) -> Option<String> {
            self.entries.get(key)
        }

        fn set(&self, key: &str, value: &str) -> Result<(), crate::types::Error> {
            self.entries.set(key, value)
        }

        fn delete(&self, key: &str) -> bool {
            self.entries.delete(key)
        }

        fn swap(
            &self,
            key: &str,
            expected: Option<&str>,
            value: Option<&str>,
        ) -> Result<bool, crate::types::Error> {
            self.entries.swap(key, expected, value)
        }

        fn list(&self, prefix: &str, limit: u32) -> Vec<String> {
            let keys = self.entries.list(prefix, limit);
            self.listed.set(self.listed.get() + keys.len());
            keys
        }
    }

    /// The sources with keys in `store`.
    fn tracked(store: &CountingKv) -> Vec<String> {
        let keys = store.list("p/", u32::MAX);
        let failures: Vec<String> = keys.into_iter().filter(|k| k != "p/sources").collect();
        by_source(&failures).into_iter().map(|(s, _)| s).collect()
    }

    #[test]
    fn new_sources_read_the_whole_table_only_when_it_may_be_full() {
        let guard = guard(1);
        let store = CountingKv::default();
        for n in 0..5000 {
            guard.record_failure_in(&store, &format!("old{n}"), 1000);
        }
        store.listed.set(0);
        for n in 0..1000 {
            guard.record_failure_in(&store, &format!("new{n}"), 1000);
        }
        let listed = store.listed.get();
        assert!(
            listed <= 3000,
            "1000 new sources list {listed} keys of a table with room"
        );
        assert_eq!(tracked(&store).len(), 6000);
    }

    #[test]
    fn a_full_table_keeps_its_cap_and_evicts_the_oldest() {
        let guard = guard(1000);
        let store = CountingKv::default();
        for n in 0..15 {
            guard.record_failure_in(&store, &format!("s{n:02}"), 1000 + n);
        }
        let kept: Vec<String> = (5..15).map(|n| guard.key(&format!("s{n:02}"))).collect();
        assert_eq!(tracked(&store), kept, "the 10 latest sources stay");
        assert_eq!(store.get("p/sources").as_deref(), Some("10"));
    }

    /// Records a failure of a call from `source` at 1000; whether that puts
    /// it at its limit.
    fn fail(guard: &SourceGuard, store: &CountingKv, source: &str) -> bool {
        guard.record_failure_in(store, &guard.counted_as(source, "sip:x@example.com"), 1000)
    }

    /// Whether calls from `source` are refused at 1000.
    fn blocked(guard: &SourceGuard, store: &CountingKv, source: &str) -> bool {
        guard.is_blocked_in(store, &guard.counted_as(source, "sip:x@example.com"), 1000)
    }

    #[test]
    fn an_ipv6_source_counts_as_its_slash_64() {
        let guard = guard(3);
        let store = CountingKv::default();
        assert!(!fail(&guard, &store, "[2001:db8::1]:5060"));
        assert!(!fail(&guard, &store, "[2001:db8::2]:5060"));
        assert!(
            fail(&guard, &store, "[2001:db8::ffff:3]:5061"),
            "the third failure of the /64 is its limit"
        );
        assert!(
            blocked(&guard, &store, "[2001:db8::99]:5060"),
            "a new address of the /64 is refused"
        );
        assert!(
            !blocked(&guard, &store, "[2001:db8:0:1::1]:5060"),
            "the next /64 is another source"
        );
        assert_eq!(tracked(&store), [guard.key("2001:db8::/64")], "one source");
    }

    #[test]
    fn an_ipv4_mapped_source_counts_as_its_ipv4_address() {
        let guard = guard(3);
        let store = CountingKv::default();
        assert_eq!(
            guard.counted_as("[::ffff:192.0.2.1]:5060", "sip:x@example.com"),
            "192.0.2.1"
        );
        assert!(!fail(&guard, &store, "[::ffff:192.0.2.1]:5060"));
        assert!(!fail(&guard, &store, "192.0.2.1:5060"));
        assert!(fail(&guard, &store, "[::ffff:192.0.2.1]:5070"));
        assert!(blocked(&guard, &store, "192.0.2.1:5060"));
        assert!(!blocked(&guard, &store, "192.0.2.2:5060"));
    }

    #[test]
    fn eviction_takes_stale_sources_first_then_the_oldest() {
        let records: Vec<(String, String)> = [("a", "950"), ("b", "10"), ("c", "990"), ("d", "")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        // Room for 3: the stale b and d go; a and c stay (2 + the new one).
        assert_eq!(evict(&POLICY, &records, 1000, 3), vec!["b", "d"]);
        // Room for 2: a, whose latest failure is older, goes too.
        assert_eq!(evict(&POLICY, &records, 1000, 2), vec!["b", "d", "a"]);
        assert_eq!(evict(&POLICY, &records, 1000, 10), vec!["b", "d"]);
    }
}
