//! How many transactions each source host holds, for its fair share of the transaction table
//! ([`Limits::MAX_TRANSACTIONS`](crate::Limits::MAX_TRANSACTIONS)).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::net::IpAddr;

use crate::limits::host_of;

/// A source host as [`host_of`] counts it, in 8 bytes: an IPv6 host is its /64 prefix; an
/// IPv4 host is its address under the prefix `ffff:ffff::/32`, which is multicast
/// (`ff00::/8`, RFC 4291 §2.7) and so never the /64 of a request's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Host(u64);

impl Host {
    /// The host `ip` belongs to.
    pub(crate) fn of(ip: IpAddr) -> Self {
        match host_of(ip) {
            IpAddr::V4(v4) => Self(0xffff_ffff_0000_0000 | u64::from(v4.to_bits())),
            IpAddr::V6(v6) => Self((v6.to_bits() >> 64) as u64),
        }
    }
}

/// A count per host (a [`Host`], or a peer's socket address) of what it holds; a host holding
/// nothing has no entry, so the table never holds more hosts than there are things counted.
#[derive(Debug)]
pub(crate) struct HostCounts<K = Host>(HashMap<K, u32>);

impl<K> Default for HostCounts<K> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<K: Hash + Eq> HostCounts<K> {
    /// Counts one more for `host`.
    pub(crate) fn add(&mut self, host: K) {
        *self.0.entry(host).or_default() += 1;
    }

    /// Counts one less for `host`, forgetting it at none; one it holds nothing of is left be.
    pub(crate) fn release(&mut self, host: K) {
        if let Entry::Occupied(mut held) = self.0.entry(host) {
            *held.get_mut() -= 1;
            if *held.get() == 0 {
                held.remove();
            }
        }
    }

    /// How many `host` holds.
    pub(crate) fn held_by(&self, host: K) -> usize {
        self.0.get(&host).map_or(0, |&n| n as usize)
    }

    /// How many hosts hold anything.
    #[cfg(test)]
    pub(crate) fn hosts(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(text: &str) -> Host {
        Host::of(text.parse().unwrap())
    }

    #[test]
    fn hosts_are_told_apart_as_the_rate_limit_tells_them() {
        assert_eq!(host("192.0.2.1"), host("::ffff:192.0.2.1"));
        assert_eq!(host("2001:db8:a:b::1"), host("2001:db8:a:b::2"));
        assert_ne!(host("2001:db8:a:b::1"), host("2001:db8:a:c::1"));
        assert_ne!(host("192.0.2.1"), host("192.0.2.2"));
        assert_ne!(host("0.0.0.1"), host("::1"), "IPv4 and IPv6 never meet");
    }

    #[test]
    fn a_host_is_forgotten_once_it_holds_nothing() {
        let mut counts = HostCounts::default();
        let (a, b) = (host("192.0.2.1"), host("192.0.2.2"));
        counts.add(a);
        counts.add(a);
        counts.add(b);
        assert_eq!((counts.held_by(a), counts.hosts()), (2, 2));
        counts.release(a);
        counts.release(b);
        counts.release(b);
        assert_eq!(
            (counts.held_by(a), counts.held_by(b), counts.hosts()),
            (1, 0, 1)
        );
        counts.release(a);
        assert_eq!(counts.hosts(), 0);
    }
}
