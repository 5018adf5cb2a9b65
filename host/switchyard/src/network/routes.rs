//! The routes towards peers the kernel gave, remembered for a short time.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use tracing::warn;

/// How long a route found is used before it is looked up again. A lookup costs about 10 µs
/// (a socket bound to an ephemeral port, connected and closed), and with a wildcard listener
/// every SIP message received asks for the route to its sender, under the core's lock: this
/// makes it one lookup per peer every 30 s. Short enough that a new address (a DHCP renewal,
/// a floating address moved) reaches Via, Contact and SDP, and a route gone away stops
/// being used, within half a minute.
const ROUTE_TTL: Duration = Duration::from_secs(30);

/// How long "no route" is believed. A missing route is often a passing state (a link that
/// flaps, IPv6 before the router advertisements at boot): it must not fail calls for long
/// after the route is back. Remembered at all so that one call's setup, which asks about
/// each target several times, sees one answer, and a peer that stays unreachable (IPv6 on a
/// host without it) costs a lookup a second, not one per question.
const NO_ROUTE_TTL: Duration = Duration::from_secs(1);

/// The most peers remembered; past it, the expired entries go, or all of them if none has.
const MAX_ROUTES: usize = 4096;

/// The route towards each peer asked about: the local address the kernel sends from
/// towards it, or none; each valid until its time is up.
#[derive(Debug, Default)]
pub(super) struct Routes {
    entries: HashMap<IpAddr, Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    route: Option<IpAddr>,
    until: Instant,
}

impl Routes {
    /// The local address packets to `peer` leave from at `now`, or none if there is no
    /// route: the answer remembered from an earlier `lookup` for [`ROUTE_TTL`] (a route)
    /// or [`NO_ROUTE_TTL`] (none), else `lookup(peer)`'s, then remembered. A peer found
    /// without a route is logged when it had one or was not known; a lookup that failed
    /// otherwise (out of descriptors) is logged, answers none and is not remembered.
    pub(super) fn route(
        &mut self,
        now: Instant,
        peer: IpAddr,
        lookup: impl FnOnce(IpAddr) -> io::Result<IpAddr>,
    ) -> Option<IpAddr> {
        let known = self.entries.get(&peer).copied();
        if let Some(entry) = known
            && now < entry.until
        {
            return entry.route;
        }
        let (route, ttl) = match lookup(peer) {
            Ok(ip) => (Some(ip), ROUTE_TTL),
            Err(e) if says_no_route(&e) => {
                if known.is_none_or(|entry| entry.route.is_some()) {
                    warn!(%peer, "no route to peer: {e}");
                }
                (None, NO_ROUTE_TTL)
            }
            // Out of descriptors or buffers: the route is unknown, not missing, and the next
            // question may find it.
            Err(e) => {
                warn!(%peer, "cannot look up the route to peer: {e}");
                return None;
            }
        };
        if known.is_none() && self.entries.len() >= MAX_ROUTES {
            self.entries.retain(|_, entry| now < entry.until);
            if self.entries.len() >= MAX_ROUTES {
                self.entries.clear();
            }
        }
        let until = now + ttl;
        self.entries.insert(peer, Entry { route, until });
        route
    }
}

/// Whether a lookup's `error` says the kernel has no route to the peer, rather than that
/// the lookup itself failed.
fn says_no_route(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::AddrNotAvailable
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// A lookup answering `answer`, counting its calls in `calls`.
    fn lookup<'a>(
        calls: &'a Cell<u32>,
        answer: Option<&'a str>,
    ) -> impl FnOnce(IpAddr) -> io::Result<IpAddr> + 'a {
        move |_| {
            calls.set(calls.get() + 1);
            answer
                .map(ip)
                .ok_or_else(|| io::Error::from(io::ErrorKind::NetworkUnreachable))
        }
    }

    #[test]
    fn a_route_is_looked_up_again_once_it_expires_and_a_new_address_is_taken() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        let peer = ip("198.51.100.7");
        let old = Some("192.0.2.1");
        assert_eq!(
            routes.route(start, peer, lookup(&calls, old)),
            Some(ip("192.0.2.1"))
        );
        let later = start + ROUTE_TTL - Duration::from_millis(1);
        let renewed = Some("192.0.2.99");
        assert_eq!(
            routes.route(later, peer, lookup(&calls, renewed)),
            Some(ip("192.0.2.1")),
            "remembered while fresh"
        );
        assert_eq!(calls.get(), 1);
        assert_eq!(
            routes.route(start + ROUTE_TTL, peer, lookup(&calls, renewed)),
            Some(ip("192.0.2.99")),
            "the address the host has now"
        );
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn no_route_is_believed_only_briefly() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        let peer = ip("2001:db8::7");
        assert_eq!(routes.route(start, peer, lookup(&calls, None)), None);
        let back = Some("2001:db8::1");
        let soon = start + Duration::from_millis(500);
        assert_eq!(
            routes.route(soon, peer, lookup(&calls, back)),
            None,
            "one answer within a call's setup"
        );
        assert_eq!(calls.get(), 1);
        assert_eq!(
            routes.route(start + NO_ROUTE_TTL, peer, lookup(&calls, back)),
            Some(ip("2001:db8::1")),
            "the route is back"
        );
        let gone = start + NO_ROUTE_TTL + ROUTE_TTL;
        assert_eq!(routes.route(gone, peer, lookup(&calls, None)), None);
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn a_lookup_that_failed_for_want_of_descriptors_is_not_remembered() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        let peer = ip("192.0.2.9");
        let out_of_descriptors = |_| {
            calls.set(calls.get() + 1);
            Err(io::Error::from_raw_os_error(libc::EMFILE))
        };
        assert_eq!(routes.route(start, peer, out_of_descriptors), None);
        assert_eq!(
            routes.route(start, peer, lookup(&calls, Some("192.0.2.1"))),
            Some(ip("192.0.2.1")),
            "asked again at once"
        );
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn the_peers_remembered_are_bounded_and_expired_ones_go_first() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        let peer = |n: usize| IpAddr::from([10, 0, (n / 256) as u8, (n % 256) as u8]);
        let local = Some("192.0.2.1");
        // Half of them stale by the time the table is full.
        for n in 0..MAX_ROUTES / 2 {
            routes.route(start, peer(n), lookup(&calls, local));
        }
        let later = start + ROUTE_TTL;
        for n in MAX_ROUTES / 2..MAX_ROUTES {
            routes.route(later, peer(n), lookup(&calls, local));
        }
        assert_eq!(routes.entries.len(), MAX_ROUTES);
        routes.route(later, peer(MAX_ROUTES), lookup(&calls, local));
        assert_eq!(
            routes.entries.len(),
            MAX_ROUTES / 2 + 1,
            "the stale half went"
        );
        assert!(routes.entries.contains_key(&peer(MAX_ROUTES - 1)));
        // All fresh: the table starts over.
        for n in MAX_ROUTES + 1..MAX_ROUTES * 3 / 2 {
            routes.route(later, peer(n), lookup(&calls, local));
        }
        assert_eq!(routes.entries.len(), MAX_ROUTES);
        routes.route(later, peer(0), lookup(&calls, local));
        assert_eq!(routes.entries.len(), 1);
    }
}
