//! The per-source limit on new requests: a token bucket per source host ([`Host`]), in a
//! bounded table, and one shared by the hosts the full table has no room for.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use crate::hosts::Host;
use crate::limits::Limits;

/// How often, at most, sources whose bucket is full again are swept out of the table.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// Token buckets of `rate` tokens a second holding up to `rate` tokens, one per source host.
///
/// Each bucket is kept in its GCRA form: the instant at which it will be full again. A request
/// takes a token if that instant is less than a second away (the bucket is not empty) and
/// moves it `1/rate` later. A source whose bucket is full carries no information, so the
/// periodic sweep removes it; the table never holds more than
/// [`Limits::MAX_TRACKED_SOURCES`]; the hosts that find it full share the overflow bucket.
#[derive(Debug)]
pub(crate) struct RateLimit {
    /// The time one token takes to come back.
    interval: Duration,
    /// How far in the future a bucket may be full again for a request to pass: the time
    /// `rate - 1` tokens take.
    tolerance: Duration,
    full_at: HashMap<Host, Instant>,
    // A full table must not fail open: a flood from ever new (spoofed) addresses would pass
    // unlimited. Nor may it evict: that flood would reset the buckets of the peers it limits.
    /// The bucket of the hosts the full table has no room for, if one has used it.
    overflow: Option<Instant>,
    next_sweep: Option<Instant>,
}

impl RateLimit {
    /// A limit of `rate` new requests per second per source.
    pub(crate) fn new(rate: NonZeroU32) -> Self {
        let interval = Duration::from_secs(1) / rate.get();
        Self {
            interval,
            tolerance: Duration::from_secs(1).saturating_sub(interval),
            full_at: HashMap::new(),
            overflow: None,
            next_sweep: None,
        }
    }

    /// Whether a new request from `source` at `now` is within the limit of its host; if it
    /// is, it takes a token. A host the full table has no room for takes it from the overflow
    /// bucket.
    pub(crate) fn admit(&mut self, now: Instant, source: IpAddr) -> bool {
        self.sweep(now);
        let host = Host::of(source);
        let room = self.full_at.len() < Limits::MAX_TRACKED_SOURCES;
        let bucket = if room || self.full_at.contains_key(&host) {
            self.full_at.entry(host).or_insert(now)
        } else {
            self.overflow.get_or_insert(now)
        };
        let full_at = (*bucket).max(now);
        if full_at.saturating_duration_since(now) > self.tolerance {
            return false;
        }
        *bucket = full_at.checked_add(self.interval).unwrap_or(full_at);
        true
    }

    /// How many sources are tracked.
    pub(crate) fn len(&self) -> usize {
        self.full_at.len()
    }

    /// Forgets the sources whose bucket is full at `now`, at most every [`SWEEP_INTERVAL`].
    fn sweep(&mut self, now: Instant) {
        if self.next_sweep.is_some_and(|at| now < at) {
            return;
        }
        self.full_at.retain(|_, full_at| *full_at > now);
        self.next_sweep = now.checked_add(SWEEP_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::test_epoch;

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(n.to_be_bytes())
    }

    fn limit(rate: u32) -> RateLimit {
        RateLimit::new(NonZeroU32::new(rate).unwrap())
    }

    #[test]
    fn a_burst_of_one_seconds_worth_then_the_rate() {
        let t0 = test_epoch();
        let mut rate = limit(10);
        let passed = (0..15).filter(|_| rate.admit(t0, ip(1))).count();
        assert_eq!(passed, 10, "the burst is one second's worth");
        assert!(rate.admit(t0, ip(2)), "another source has its own bucket");
        let token = Duration::from_millis(100);
        assert!(!rate.admit(t0 + token - Duration::from_nanos(1), ip(1)));
        assert!(rate.admit(t0 + token, ip(1)), "one token back after 1/rate");
        assert!(!rate.admit(t0 + token, ip(1)));
    }

    #[test]
    fn full_buckets_are_swept_out() {
        let t0 = test_epoch();
        let mut rate = limit(10);
        for _ in 0..10 {
            rate.admit(t0, ip(1));
        }
        rate.admit(t0, ip(2));
        assert_eq!(rate.len(), 2);
        rate.admit(t0 + Duration::from_millis(500), ip(3));
        assert_eq!(rate.len(), 2, "ip 2's bucket was full again after 100 ms");
        rate.admit(t0 + Duration::from_secs(1), ip(3));
        assert_eq!(rate.len(), 1, "ip 1's bucket was full again after a second");
    }

    #[test]
    fn the_table_is_bounded_and_the_untracked_share_one_bucket() {
        let t0 = test_epoch();
        let mut rate = limit(2);
        let sources = Limits::MAX_TRACKED_SOURCES as u32;
        for n in 0..sources {
            assert!(rate.admit(t0, ip(n)), "source {n}");
        }
        assert_eq!(rate.len(), Limits::MAX_TRACKED_SOURCES);
        let untracked = (sources..sources + 100).filter(|&n| rate.admit(t0, ip(n)));
        assert_eq!(
            untracked.count(),
            2,
            "the overflow bucket holds one second's worth"
        );
        assert_eq!(rate.len(), Limits::MAX_TRACKED_SOURCES);
        assert!(rate.admit(t0, ip(0)), "a tracked host keeps its own bucket");
        assert!(!rate.admit(t0, ip(0)), "and stays limited");
        let later = t0 + Duration::from_millis(500);
        assert!(
            rate.admit(later, ip(sources + 7)),
            "the overflow refills at the rate"
        );
        rate.admit(t0 + Duration::from_secs(1), ip(7));
        assert_eq!(rate.len(), 1, "all were full again after a second");
    }

    #[test]
    fn an_ipv6_host_is_limited_as_its_64_and_a_mapped_ipv4_as_itself() {
        let t0 = test_epoch();
        let mut rate = limit(1);
        let v6 = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(rate.admit(t0, v6("2001:db8:a:b::1")));
        assert!(!rate.admit(t0, v6("2001:db8:a:b::2")), "the same /64");
        assert!(rate.admit(t0, v6("2001:db8:a:c::1")), "another /64");
        assert!(rate.admit(t0, v6("192.0.2.1")));
        assert!(
            !rate.admit(t0, v6("::ffff:192.0.2.1")),
            "the same IPv4 host"
        );
        assert_eq!(rate.len(), 3);
    }
}
