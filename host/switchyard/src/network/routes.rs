//! The routes towards peers the kernel gave, remembered for a short time.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use switchyard_guest::LogThrottle;
use tracing::warn;

/// How long a route found is used before it is looked up again. A lookup costs about 10 µs
/// (a socket bound to an ephemeral port, connected and closed), and with a wildcard listener
/// every SIP message received asks for the route to its sender, under the core's lock: this
/// makes it one lookup per peer every 30 s. Short enough that a new address (a DHCP renewal,
/// a floating address moved) reaches Via, Contact and SDP, and a route gone away stops
/// being used, within half a minute.
const ROUTE_TTL: Duration = Duration::from_secs(30);

/// How long "no route", or a lookup the kernel refuses for what the peer is (`EINVAL` for an
/// IPv6 link-local peer without its interface, which a caller may put in its SDP), is believed. A missing route is often a passing state (a link that
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
    /// The lines saying a lookup failed, keyed by its error's kind: peers are the callers'
    /// choice, and each new one must not add a line.
    failures_logged: LogThrottle,
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
    /// without a route is logged when it had one or was not known. A lookup that failed
    /// otherwise is logged as [`LogThrottle`] lets it, and answers none, remembered for
    /// [`NO_ROUTE_TTL`] too; unless it failed for want of resources (descriptors, buffers,
    /// memory): then it answers the route last found, if any, else `Err` saying why the
    /// route is unknown, and nothing new is remembered.
    pub(super) fn route(
        &mut self,
        now: Instant,
        peer: IpAddr,
        lookup: impl FnOnce(IpAddr) -> io::Result<IpAddr>,
    ) -> Result<Option<IpAddr>, String> {
        let known = self.entries.get(&peer).copied();
        if let Some(entry) = known
            && now < entry.until
        {
            return Ok(entry.route);
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
            // question may find it. The last one found is likelier right than none at all,
            // which would refuse the calls of a peer we served a moment ago.
            Err(e) if wants_resources(&e) => {
                self.log_failure(now, peer, &e);
                return match known {
                    // The last answer stands, a route or none.
                    Some(entry) => Ok(entry.route),
                    None => Err(format!("cannot look up the route to {peer}: {e}")),
                };
            }
            // The same question gets the same refusal.
            Err(e) => {
                self.log_failure(now, peer, &e);
                (None, NO_ROUTE_TTL)
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
        Ok(route)
    }

    /// Logs, as [`LogThrottle`] lets it, that looking up the route to `peer` failed at
    /// `now` with `error`.
    fn log_failure(&self, now: Instant, peer: IpAddr, error: &io::Error) {
        let kind = error.kind().to_string();
        if let Some(admitted) = self.failures_logged.admit(&kind, now) {
            warn!(%peer, "cannot look up the route to peer: {error}{admitted}");
        }
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

/// Whether a lookup's `error` says it lacked resources (descriptors, buffers, memory), which
/// the next lookup may have.
fn wants_resources(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
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
            Ok(Some(ip("192.0.2.1")))
        );
        let later = start + ROUTE_TTL - Duration::from_millis(1);
        let renewed = Some("192.0.2.99");
        assert_eq!(
            routes.route(later, peer, lookup(&calls, renewed)),
            Ok(Some(ip("192.0.2.1"))),
            "remembered while fresh"
        );
        assert_eq!(calls.get(), 1);
        assert_eq!(
            routes.route(start + ROUTE_TTL, peer, lookup(&calls, renewed)),
            Ok(Some(ip("192.0.2.99"))),
            "the address the host has now"
        );
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn no_route_is_believed_only_briefly() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        let peer = ip("2001:db8::7");
        assert_eq!(routes.route(start, peer, lookup(&calls, None)), Ok(None));
        let back = Some("2001:db8::1");
        let soon = start + Duration::from_millis(500);
        assert_eq!(
            routes.route(soon, peer, lookup(&calls, back)),
            Ok(None),
            "one answer within a call's setup"
        );
        assert_eq!(calls.get(), 1);
        assert_eq!(
            routes.route(start + NO_ROUTE_TTL, peer, lookup(&calls, back)),
            Ok(Some(ip("2001:db8::1"))),
            "the route is back"
        );
        let gone = start + NO_ROUTE_TTL + ROUTE_TTL;
        assert_eq!(routes.route(gone, peer, lookup(&calls, None)), Ok(None));
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
        assert_eq!(
            routes.route(start, peer, out_of_descriptors),
            Err("cannot look up the route to 192.0.2.9: Too many open files (os error 24)".into()),
            "unknown, not missing"
        );
        assert_eq!(
            routes.route(start, peer, lookup(&calls, Some("192.0.2.1"))),
            Ok(Some(ip("192.0.2.1"))),
            "asked again at once"
        );
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn an_expired_route_is_used_while_a_lookup_lacks_descriptors() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        let peer = ip("198.51.100.7");
        routes
            .route(start, peer, lookup(&calls, Some("192.0.2.1")))
            .unwrap();
        let out_of_descriptors = |_| {
            calls.set(calls.get() + 1);
            Err(io::Error::from_raw_os_error(libc::EMFILE))
        };
        let expired = start + ROUTE_TTL;
        assert_eq!(
            routes.route(expired, peer, out_of_descriptors),
            Ok(Some(ip("192.0.2.1"))),
            "the route last found"
        );
        assert_eq!(
            routes.route(expired, peer, lookup(&calls, Some("192.0.2.99"))),
            Ok(Some(ip("192.0.2.99"))),
            "looked up again at the next question"
        );
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn no_route_found_last_stands_while_a_lookup_lacks_descriptors() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        let peer = ip("2001:db8::7");
        assert_eq!(routes.route(start, peer, lookup(&calls, None)), Ok(None));
        let out_of_descriptors = |_| Err(io::Error::from_raw_os_error(libc::EMFILE));
        assert_eq!(
            routes.route(start + NO_ROUTE_TTL, peer, out_of_descriptors),
            Ok(None),
            "not served, as found last: not unknown"
        );
    }

    #[test]
    fn a_lookup_the_kernel_refuses_is_remembered_like_no_route_and_logged_once() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        // What connecting towards fe80::1 without its interface gives.
        let refused = |_| {
            calls.set(calls.get() + 1);
            Err(io::Error::from_raw_os_error(libc::EINVAL))
        };
        let peer = ip("fe80::1");
        let soon = start + NO_ROUTE_TTL - Duration::from_millis(1);
        let ((), log) = crate::test_log::logged(|| {
            assert_eq!(routes.route(start, peer, refused), Ok(None));
            assert_eq!(routes.route(soon, peer, refused), Ok(None));
        });
        assert_eq!(calls.get(), 1, "remembered");
        assert_eq!(log.matches("cannot look up the route").count(), 1, "{log}");
        // Peers are the callers' to choose: a new one each time adds no line either.
        let ((), log) = crate::test_log::logged(|| {
            for n in 2..100u16 {
                let other = IpAddr::from([0xfe80, 0, 0, 0, 0, 0, 0, n]);
                assert_eq!(routes.route(soon, other, refused), Ok(None));
            }
        });
        assert_eq!(log, "");
        assert_eq!(
            routes.route(start + NO_ROUTE_TTL, peer, lookup(&calls, Some("fe80::2"))),
            Ok(Some(ip("fe80::2"))),
            "asked again once its time is up"
        );
    }

    #[test]
    fn the_peers_remembered_are_bounded_and_expired_ones_go_first() {
        let (mut routes, calls, start) = (Routes::default(), Cell::new(0), Instant::now());
        let peer = |n: usize| IpAddr::from([10, 0, (n / 256) as u8, (n % 256) as u8]);
        let local = Some("192.0.2.1");
        // Half of them stale by the time the table is full.
        for n in 0..MAX_ROUTES / 2 {
            routes.route(start, peer(n), lookup(&calls, local)).unwrap();
        }
        let later = start + ROUTE_TTL;
        for n in MAX_ROUTES / 2..MAX_ROUTES {
            routes.route(later, peer(n), lookup(&calls, local)).unwrap();
        }
        assert_eq!(routes.entries.len(), MAX_ROUTES);
        routes
            .route(later, peer(MAX_ROUTES), lookup(&calls, local))
            .unwrap();
        assert_eq!(
            routes.entries.len(),
            MAX_ROUTES / 2 + 1,
            "the stale half went"
        );
        assert!(routes.entries.contains_key(&peer(MAX_ROUTES - 1)));
        // All fresh: the table starts over.
        for n in MAX_ROUTES + 1..MAX_ROUTES * 3 / 2 {
            routes.route(later, peer(n), lookup(&calls, local)).unwrap();
        }
        assert_eq!(routes.entries.len(), MAX_ROUTES);
        routes.route(later, peer(0), lookup(&calls, local)).unwrap();
        assert_eq!(routes.entries.len(), 1);
    }
}
