//! Failures counted per source address, across calls, against guessing (room
//! numbers, pins): a source with `max_failures` failures within the last
//! `window_s` seconds is refused until the oldest of them leaves the window, so
//! the lock-out expires by itself. A call through a trusted proxy (one that
//! authenticates its callers, as Kamailio in front of SEMS) counts against its
//! caller instead, so that one caller's guesses do not lock out everyone behind
//! the proxy.
//!
//! A [`SourceGuard`] keeps a source's failures as one record of the guest's
//! key-value store, `<prefix><ip>`, whose value is the unix seconds of its most
//! recent failures, oldest first, space-separated; at most `max_failures` are
//! kept. Sources are tracked up to [`MAX_TRACKED_SOURCES`]: to track a new one
//! when full, [`evict`] names the records to delete. The record logic is plain
//! functions, tested natively.

use crate::{
    kv,
    log::{Level, log},
    unix_seconds,
};
use std::net::IpAddr;

/// The most source addresses one guard tracks at once; a new one past it
/// evicts the records that matter least.
pub const MAX_TRACKED_SOURCES: u32 = 1000;

/// The longest From URI a caller behind a trusted proxy is counted by as it is;
/// a longer one is counted by its hash, to keep its record's key short.
const MAX_COUNTED_URI: usize = 200;

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
    /// `from_uri` count against: the source's IP address, or, when the source
    /// is a trusted proxy, `from:` and the caller the URI names ([`caller_of`];
    /// its hash when longer than 200 bytes).
    pub fn counted_as(&self, source: &str, from_uri: &str) -> String {
        let ip = source_ip(source);
        let trusted = ip.parse::<IpAddr>().is_ok_and(|ip| {
            self.trusted_proxies
                .iter()
                .any(|proxy| proxy.to_canonical() == ip.to_canonical())
        });
        if !trusted {
            return ip.to_owned();
        }
        let caller = caller_of(from_uri);
        if caller.len() <= MAX_COUNTED_URI {
            format!("from:{caller}")
        } else {
            format!("from-hash:{:016x}", fnv1a(caller.as_bytes()))
        }
    }

    /// Whether calls from source address `ip` are refused now. A record whose
    /// failures all aged out is deleted on the way.
    pub fn is_blocked(&self, ip: &str) -> bool {
        if !self.policy.is_on() {
            return false;
        }
        let key = self.key(ip);
        let Some(record) = kv::get(&key) else {
            return false;
        };
        let now = unix_seconds();
        if is_stale(&self.policy, &record, now) {
            kv::delete(&key);
            return false;
        }
        is_blocked(&self.policy, Some(&record), now)
    }

    /// Counts one failure from `ip`; true if that puts the source at its limit.
    pub fn record_failure(&self, ip: &str) -> bool {
        if !self.policy.is_on() {
            return false;
        }
        let key = self.key(ip);
        let record = kv::get(&key);
        let now = unix_seconds();
        if record.is_none() {
            self.make_room(now);
        }
        let record = record_failure(&self.policy, record.as_deref(), now);
        if let Err(e) = kv::set(&key, &record) {
            log(
                Level::Warn,
                &format!("failure from {ip} not counted: {e:?}"),
            );
        }
        is_blocked(&self.policy, Some(&record), now)
    }

    /// The key of the failure record of source address `ip`.
    pub fn key(&self, ip: &str) -> String {
        format!("{}{ip}", self.prefix)
    }

    /// Makes room for one more tracked source when [`MAX_TRACKED_SOURCES`] are.
    fn make_room(&self, now: u64) {
        let keys = kv::list(self.prefix, MAX_TRACKED_SOURCES);
        if keys.len() < MAX_TRACKED_SOURCES as usize {
            return;
        }
        let records: Vec<(String, String)> = keys
            .into_iter()
            .filter_map(|key| kv::get(&key).map(|value| (key, value)))
            .collect();
        let cap = MAX_TRACKED_SOURCES as usize;
        for key in evict(&self.policy, &records, now, cap) {
            kv::delete(&key);
        }
    }
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
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| text.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// FNV-1a, 64 bits: a short, stable name for a long text.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
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

/// Whether a source whose record is `record` is refused at `now`.
pub fn is_blocked(policy: &Policy, record: Option<&str>, now: u64) -> bool {
    policy.is_on() && recent(policy, record, now).len() >= policy.max_failures as usize
}

/// Whether a record holds no failure within the window at `now` (it may be
/// deleted).
pub fn is_stale(policy: &Policy, record: &str, now: u64) -> bool {
    recent(policy, Some(record), now).is_empty()
}

/// The record after one more failure at `now`: the failures still within the
/// window plus this one, at most `max_failures` of them (the newest).
pub fn record_failure(policy: &Policy, record: Option<&str>, now: u64) -> String {
    let mut failures = recent(policy, record, now);
    failures.push(now);
    let keep = (policy.max_failures as usize).max(1);
    let skip = failures.len().saturating_sub(keep);
    failures[skip..]
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which of the `records` (key, value) to delete so that at most `cap - 1`
/// remain and a new source can be tracked: every record with no failure
/// within the window, then, while still too many, those whose latest failure
/// is oldest.
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

    #[test]
    fn a_source_is_blocked_at_the_limit_within_the_window() {
        let mut record = None;
        let mut value;
        for now in [1000, 1010] {
            value = record_failure(&POLICY, record.as_deref(), now);
            record = Some(value);
            assert!(!is_blocked(&POLICY, record.as_deref(), now));
        }
        let value = record_failure(&POLICY, record.as_deref(), 1020);
        assert_eq!(value, "1000 1010 1020");
        assert!(is_blocked(&POLICY, Some(&value), 1020));
        assert!(is_blocked(&POLICY, Some(&value), 1099));
        // The first failure leaves the window at 1100.
        assert!(!is_blocked(&POLICY, Some(&value), 1100));
    }

    #[test]
    fn old_failures_are_dropped_and_the_record_stays_bounded() {
        let value = record_failure(&POLICY, Some("1 2 3 950 960 970"), 1000);
        assert_eq!(value, "960 970 1000");
        let value = record_failure(&POLICY, Some("junk 990"), 1000);
        assert_eq!(value, "990 1000");
        assert!(!is_stale(&POLICY, &value, 1089));
        assert!(is_stale(&POLICY, &value, 1100));
        assert!(is_stale(&POLICY, "junk", 0));
    }

    #[test]
    fn a_limit_of_zero_is_off() {
        let off = Policy {
            max_failures: 0,
            window_s: 100,
        };
        assert!(!off.is_on());
        assert!(!is_blocked(&off, Some("999 999 999"), 1000));
        assert_eq!(record_failure(&off, None, 1000), "1000");
    }

    #[test]
    fn eviction_takes_stale_records_first_then_the_oldest() {
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
