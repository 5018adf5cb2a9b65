//! The choices RFC 3263 makes from a URI and from DNS records, as pure functions: which
//! queries to make (§4.1, §4.2), which NAPTR services to follow (§4.1), in which order to
//! try SRV targets (RFC 2782) and the addresses of a name (RFC 8305 §4).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use rand::Rng;

use super::Target;
use super::uri::{Destination, Host};
use crate::Transport;

/// The SIP port (RFC 3261 §19.1.2).
pub(crate) const SIP_PORT: u16 = 5060;

/// The most NAPTR services one resolution follows (looks up the SRV records of). Only SIP
/// over UDP and over TCP are followed, one record each in a domain that offers them; a zone
/// of thousands of NAPTR records must not cost thousands of SRV lookups.
const MAX_SERVICES: usize = 4;

/// A NAPTR record's fields that §4.1 reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Naptr {
    pub(crate) order: u16,
    pub(crate) preference: u16,
    pub(crate) flags: String,
    pub(crate) services: String,
    /// The domain name to query SRV records of.
    pub(crate) replacement: String,
}

/// An SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Srv {
    pub(crate) priority: u16,
    pub(crate) weight: u16,
    pub(crate) port: u16,
    /// The host; "." (or "") when the service is decidedly not available there.
    pub(crate) target: String,
}

/// What to look up for a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// An IP address: no DNS at all.
    Literal(Target),
    /// A/AAAA records of `name`, each address on `port` with `transport` (§4.2: a port was
    /// given, or no SRV records were found).
    Addresses {
        name: String,
        port: u16,
        transport: Transport,
    },
    /// NAPTR records of `naptr` if set; if they give no usable service, SRV records of each
    /// `srv` name in turn; if there are none, A/AAAA records as in `fallback`, over the
    /// transport of the first usable NAPTR service if there was one ([`Plan::over`]).
    Discover {
        naptr: Option<String>,
        srv: Vec<(Transport, String)>,
        fallback: Box<Plan>,
    },
}

impl Plan {
    /// The plan with its addresses contacted over `chosen`: §4.2 has the A/AAAA records of a
    /// name without SRV records used with "the transport protocol determined previously",
    /// the one its NAPTR records chose.
    pub(crate) fn over(self, chosen: Transport) -> Plan {
        match self {
            Plan::Addresses { name, port, .. } => Plan::Addresses {
                name,
                port,
                transport: chosen,
            },
            other => other,
        }
    }
}

/// RFC 3263 §4.1 and §4.2 for `destination`: an IP address needs no DNS (port 5060, UDP
/// unless a transport is given); a name with a port needs only A/AAAA; a name with a
/// transport but no port, SRV for that transport; a bare name, NAPTR, then SRV for UDP and
/// TCP, then A/AAAA on 5060 over UDP.
pub(crate) fn plan(destination: &Destination) -> Plan {
    let transport = destination.transport.unwrap_or(Transport::Udp);
    let name = match &destination.host {
        Host::Ip(ip) => {
            return Plan::Literal(Target {
                transport,
                addr: SocketAddr::new(*ip, destination.port.unwrap_or(SIP_PORT)),
            });
        }
        Host::Name(name) => name.clone(),
    };
    if let Some(port) = destination.port {
        return Plan::Addresses {
            name,
            port,
            transport,
        };
    }
    let fallback = Box::new(Plan::Addresses {
        name: name.clone(),
        port: SIP_PORT,
        transport,
    });
    let srv = |transport| (transport, srv_name(transport, &name));
    match destination.transport {
        Some(transport) => Plan::Discover {
            naptr: None,
            srv: vec![srv(transport)],
            fallback,
        },
        // §4.1 leaves the order of SRV queries without NAPTR to the client: UDP first, the
        // transport every SIP element supports (RFC 3261 §18).
        None => Plan::Discover {
            naptr: Some(name.clone()),
            srv: vec![srv(Transport::Udp), srv(Transport::Tcp)],
            fallback,
        },
    }
}

/// The SRV name of SIP over `transport` at `name` (§4.1: `_sip._udp`, `_sip._tcp`,
/// `_sips._tcp`).
fn srv_name(transport: Transport, name: &str) -> String {
    let (service, proto) = match transport {
        Transport::Udp => ("sip", "udp"),
        Transport::Tcp => ("sip", "tcp"),
        Transport::Tls => ("sips", "tcp"),
    };
    format!("_{service}._{proto}.{name}")
}

/// §4.1: the NAPTR records that lead to SIP over a transport this crate supports
/// (`SIP+D2U`, `SIP+D2T`) through SRV records (flag `s`), as (transport, SRV name), lowest
/// preference first: only those of the lowest order that has any, and at most
/// [`MAX_SERVICES`]; records of higher order are not followed.
pub(crate) fn naptr_services(records: &[Naptr]) -> Vec<(Transport, String)> {
    let mut usable: Vec<_> = records
        .iter()
        .filter(|r| r.flags.eq_ignore_ascii_case("s"))
        .filter_map(|r| {
            let transport = if r.services.eq_ignore_ascii_case("SIP+D2U") {
                Transport::Udp
            } else if r.services.eq_ignore_ascii_case("SIP+D2T") {
                Transport::Tcp
            } else {
                return None;
            };
            Some((r.order, r.preference, transport, r.replacement.clone()))
        })
        .collect();
    // RFC 3403 §4.1: once a record of some order matches, records of another order are not
    // considered; RFC 3263 §4.1 has a record match when the client supports its service.
    let lowest = usable.iter().map(|&(order, ..)| order).min();
    usable.retain(|&(order, ..)| Some(order) == lowest);
    usable.sort_by_key(|&(_, preference, ..)| preference);
    usable
        .into_iter()
        .take(MAX_SERVICES)
        .map(|(_, _, transport, name)| (transport, name))
        .collect()
}

/// RFC 2782: the first `limit` of `records` in the order to try them: lowest priority
/// first; within a priority, drawn one by one with probability proportional to weight
/// (weight 0 rarely first), using `rng`. Records with target "." are dropped (the service is
/// not offered). Drawing stops at `limit`, so that thousands of records cost `limit` draws.
pub(crate) fn order_srv(records: Vec<Srv>, limit: usize, rng: &mut impl Rng) -> Vec<Srv> {
    let mut remaining: Vec<Srv> = records
        .into_iter()
        .filter(|r| !matches!(r.target.as_str(), "." | ""))
        .collect();
    // RFC 2782: weight-0 records go first in the list the running sums are taken over, so a
    // draw of 0 picks them and any other draw passes them.
    remaining.sort_by_key(|r| (r.priority, r.weight != 0));
    let mut ordered = Vec::with_capacity(remaining.len().min(limit));
    while ordered.len() < limit
        && let Some(priority) = remaining.first().map(|r| r.priority)
    {
        let group_len = remaining
            .iter()
            .take_while(|r| r.priority == priority)
            .count();
        let total: u32 = remaining[..group_len]
            .iter()
            .map(|r| u32::from(r.weight))
            .sum();
        let draw = rng.random_range(0..=total);
        let mut running = 0;
        let chosen = remaining[..group_len]
            .iter()
            .position(|r| {
                running += u32::from(r.weight);
                running >= draw
            })
            .unwrap_or(0);
        ordered.push(remaining.remove(chosen));
    }
    ordered
}

/// Why no request may be sent to an address, wherever it came from (a URI's host, a DNS
/// answer). Each prints as said of the address: "0.0.0.0:5060 is unspecified".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unsendable {
    /// Port 0, which no server listens on.
    #[error("has port 0")]
    PortZero,
    /// The unspecified address (`0.0.0.0`, `::`): Linux delivers what is sent to it to this
    /// host, so a request would come back to our own listener as a new one; filtering
    /// resolvers answer it for the names they block.
    #[error("is unspecified")]
    Unspecified,
    /// A multicast address, which names no one server; SIP over multicast (RFC 3261
    /// §18.1.1) is not offered.
    #[error("is a multicast address")]
    Multicast,
    /// The IPv4 broadcast address, which names no one server.
    #[error("is the broadcast address")]
    Broadcast,
}

/// Why no request may be sent to `addr`, `None` if one may: it needs a port, and an address
/// of one host other than this one by the mere fact of being sent to ([`Unsendable`]). An
/// IPv4-mapped IPv6 address is judged as the IPv4 address it is.
pub fn unsendable(addr: SocketAddr) -> Option<Unsendable> {
    let ip = addr.ip().to_canonical();
    if addr.port() == 0 {
        Some(Unsendable::PortZero)
    } else if ip.is_unspecified() {
        Some(Unsendable::Unspecified)
    } else if ip.is_multicast() {
        Some(Unsendable::Multicast)
    } else if ip == IpAddr::V4(Ipv4Addr::BROADCAST) {
        Some(Unsendable::Broadcast)
    } else {
        None
    }
}

/// Why no request may be sent to `destination` as its URI writes it ([`unsendable`]): its
/// port if 0, and its host (§4: its `maddr` if present) if an IP address, on its port or
/// 5060. `None` otherwise; the addresses of a host name are judged as DNS gives them.
pub(crate) fn unsendable_as_written(destination: &Destination) -> Option<Unsendable> {
    match destination.host {
        Host::Ip(ip) => unsendable(SocketAddr::new(ip, destination.port.unwrap_or(SIP_PORT))),
        Host::Name(_) => (destination.port == Some(0)).then_some(Unsendable::PortZero),
    }
}

/// RFC 8305 §4: the addresses of one name, `ips`, in the order to try them: IPv4 and IPv6
/// alternating, IPv4 first, each family in the order DNS gave it.
pub(crate) fn interleave_families(ips: impl IntoIterator<Item = IpAddr>) -> Vec<IpAddr> {
    // RFC 8305 lets the preferred family lead (IPv6 on most hosts, by RFC 6724) because it
    // starts the next attempt 250 ms later without waiting for the first. Targets here are
    // tried in turn (RFC 3263 §4.3): one that never answers a request over UDP holds the call
    // for the next-target wait (seconds), and does so on every call. IPv6 that is routed but
    // broken upstream fails that way, while SIP carriers and trunks serve IPv4: IPv4 leads,
    // as SIP servers commonly prefer it. Alternating still tries IPv6 second when IPv4 is the
    // broken family, rather than after every IPv4 address of the name.
    let (v4, v6): (Vec<IpAddr>, Vec<IpAddr>) = ips.into_iter().partition(IpAddr::is_ipv4);
    let mut ordered = Vec::with_capacity(v4.len() + v6.len());
    for i in 0..v4.len().max(v6.len()) {
        ordered.extend(v4.get(i));
        ordered.extend(v6.get(i));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;
    use crate::resolve::uri;

    fn plan_of(text: &str) -> Plan {
        plan(&uri::parse(text).unwrap())
    }

    fn addresses(name: &str, port: u16, transport: Transport) -> Plan {
        Plan::Addresses {
            name: name.to_owned(),
            port,
            transport,
        }
    }

    #[test]
    fn ip_literals_skip_dns_and_ports_skip_srv() {
        assert_eq!(
            plan_of("sip:[2001:db8::1]"),
            Plan::Literal(Target {
                transport: Transport::Udp,
                addr: "[2001:db8::1]:5060".parse().unwrap()
            })
        );
        assert_eq!(
            plan_of("sip:a@192.0.2.1:5080;transport=tcp"),
            Plan::Literal(Target {
                transport: Transport::Tcp,
                addr: "192.0.2.1:5080".parse().unwrap()
            })
        );
        assert_eq!(
            plan_of("sip:example.com:5070"),
            addresses("example.com", 5070, Transport::Udp)
        );
    }

    #[test]
    fn names_without_a_port_go_through_srv_and_naptr() {
        assert_eq!(
            plan_of("sip:example.com;transport=tcp"),
            Plan::Discover {
                naptr: None,
                srv: vec![(Transport::Tcp, "_sip._tcp.example.com".into())],
                fallback: Box::new(addresses("example.com", 5060, Transport::Tcp)),
            }
        );
        assert_eq!(
            plan_of("sip:alice@example.com"),
            Plan::Discover {
                naptr: Some("example.com".into()),
                srv: vec![
                    (Transport::Udp, "_sip._udp.example.com".into()),
                    (Transport::Tcp, "_sip._tcp.example.com".into())
                ],
                fallback: Box::new(addresses("example.com", 5060, Transport::Udp)),
            }
        );
    }

    #[test]
    fn naptr_keeps_supported_sip_services_in_order() {
        let naptr = |order, preference, flags: &str, services: &str, replacement: &str| Naptr {
            order,
            preference,
            flags: flags.into(),
            services: services.into(),
            replacement: replacement.into(),
        };
        let records = [
            naptr(50, 50, "s", "SIP+D2U", "_sip._udp.example.com"),
            naptr(90, 50, "s", "SIPS+D2T", "_sips._tcp.example.com"),
            naptr(50, 10, "S", "sip+d2t", "_sip._tcp.example.com"),
            naptr(10, 10, "s", "SIP+D2S", "_sip._sctp.example.com"),
            naptr(10, 10, "u", "E2U+sip", "!^.*$!sip:info@example.com!"),
            naptr(20, 10, "", "SIP+D2U", "other.example.com"),
        ];
        assert_eq!(
            naptr_services(&records),
            [
                (Transport::Tcp, "_sip._tcp.example.com".to_owned()),
                (Transport::Udp, "_sip._udp.example.com".to_owned())
            ]
        );
    }

    #[test]
    fn naptr_follows_only_the_lowest_order_with_a_supported_service() {
        let naptr = |order, preference, services: &str, replacement: &str| Naptr {
            order,
            preference,
            flags: "s".into(),
            services: services.into(),
            replacement: replacement.into(),
        };
        let records = [
            naptr(30, 10, "SIP+D2U", "_sip._udp.backup.example.com"),
            naptr(20, 20, "SIP+D2U", "_sip._udp.example.com"),
            naptr(20, 10, "SIP+D2T", "_sip._tcp.example.com"),
            naptr(10, 10, "SIPS+D2T", "_sips._tcp.example.com"),
        ];
        assert_eq!(
            naptr_services(&records),
            [
                (Transport::Tcp, "_sip._tcp.example.com".to_owned()),
                (Transport::Udp, "_sip._udp.example.com".to_owned())
            ],
            "order 10 offers no supported service; order 30 is not followed"
        );
    }

    fn srv(priority: u16, weight: u16, target: &str) -> Srv {
        Srv {
            priority,
            weight,
            port: 5060,
            target: target.into(),
        }
    }

    fn targets(records: &[Srv]) -> Vec<&str> {
        records.iter().map(|r| r.target.as_str()).collect()
    }

    #[test]
    fn srv_priorities_come_in_order_and_unavailable_targets_go() {
        let mut rng = SmallRng::seed_from_u64(1);
        let records = vec![
            srv(20, 5, "c"),
            srv(10, 0, "a"),
            srv(30, 0, "."),
            srv(15, 100, "b"),
        ];
        assert_eq!(
            targets(&order_srv(records, usize::MAX, &mut rng)),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn srv_weights_share_first_place_proportionally() {
        let mut rng = SmallRng::seed_from_u64(7);
        let records = vec![srv(1, 90, "heavy"), srv(1, 10, "light"), srv(1, 0, "zero")];
        let mut firsts = std::collections::HashMap::new();
        for _ in 0..10_000 {
            let ordered = order_srv(records.clone(), usize::MAX, &mut rng);
            assert_eq!(ordered.len(), 3);
            *firsts.entry(ordered[0].target.clone()).or_insert(0) += 1;
        }
        let share = |t: &str| firsts.get(t).copied().unwrap_or(0);
        // Expected: 90/101, 10/101 and 1/101 (a draw of exactly 0).
        assert!((8600..9200).contains(&share("heavy")), "{firsts:?}");
        assert!((800..1200).contains(&share("light")), "{firsts:?}");
        assert!((30..200).contains(&share("zero")), "{firsts:?}");
        let again = order_srv(records.clone(), usize::MAX, &mut SmallRng::seed_from_u64(3));
        assert_eq!(
            again,
            order_srv(records, usize::MAX, &mut SmallRng::seed_from_u64(3)),
            "seeded"
        );
    }

    #[test]
    fn srv_ordering_stops_at_the_limit_as_a_prefix_of_the_whole_order() {
        let records: Vec<Srv> = (0..1_000)
            .map(|n| srv(n % 3, n % 7, &format!("h{n}")))
            .collect();
        let whole = order_srv(records.clone(), usize::MAX, &mut SmallRng::seed_from_u64(5));
        assert_eq!(whole.len(), 1_000);
        let first = order_srv(records, 16, &mut SmallRng::seed_from_u64(5));
        assert_eq!(first, whole[..16], "the same draws, stopped at 16");
        assert!(first.iter().all(|r| r.priority == 0), "{first:?}");
    }

    #[test]
    fn naptr_services_followed_are_bounded() {
        let records: Vec<Naptr> = (0..1_000)
            .map(|n| Naptr {
                order: 10,
                preference: n,
                flags: "s".into(),
                services: "SIP+D2U".into(),
                replacement: format!("_sip._udp.s{n}.example.com"),
            })
            .collect();
        let services = naptr_services(&records);
        assert_eq!(services.len(), MAX_SERVICES);
        assert_eq!(services[0].1, "_sip._udp.s0.example.com");
    }

    #[test]
    fn only_an_address_of_one_other_host_and_a_port_may_be_sent_to() {
        for sendable in ["192.0.2.1:5060", "[2001:db8::1]:5060", "127.0.0.1:5060"] {
            assert_eq!(unsendable(sendable.parse().unwrap()), None, "{sendable}");
        }
        for (refused, why) in [
            ("0.0.0.0:5060", Unsendable::Unspecified),
            ("[::]:5060", Unsendable::Unspecified),
            ("[::ffff:0.0.0.0]:5060", Unsendable::Unspecified),
            ("224.0.0.1:5060", Unsendable::Multicast),
            ("[ff02::1]:5060", Unsendable::Multicast),
            ("[::ffff:239.1.1.1]:5060", Unsendable::Multicast),
            ("255.255.255.255:5060", Unsendable::Broadcast),
            ("[::ffff:255.255.255.255]:5060", Unsendable::Broadcast),
            ("192.0.2.1:0", Unsendable::PortZero),
            ("0.0.0.0:0", Unsendable::PortZero),
        ] {
            assert_eq!(unsendable(refused.parse().unwrap()), Some(why), "{refused}");
        }
    }

    #[test]
    fn a_uri_is_judged_by_the_address_it_is_written_with() {
        for (text, why) in [
            ("sip:192.0.2.1", None),
            ("sip:proxy.example.com", None),
            ("sip:proxy.example.com;maddr=0.0.0.0;maddr=192.0.2.1", None),
            ("sip:0.0.0.0;maddr=proxy.example.com", None),
            ("sip:[::]:5070", Some(Unsendable::Unspecified)),
            ("sip:proxy.example.com:0", Some(Unsendable::PortZero)),
            ("sip:224.0.0.1:0", Some(Unsendable::PortZero)),
            (
                "sip:proxy.example.com;maddr=192.0.2.1;maddr=255.255.255.255",
                Some(Unsendable::Broadcast),
            ),
        ] {
            let destination = uri::parse(text).unwrap();
            assert_eq!(unsendable_as_written(&destination), why, "{text}");
        }
    }

    #[test]
    fn address_families_alternate_ipv4_first() {
        let ips =
            |text: &[&str]| -> Vec<IpAddr> { text.iter().map(|t| t.parse().unwrap()).collect() };
        let dns = ips(&[
            "2001:db8::1",
            "2001:db8::2",
            "2001:db8::3",
            "192.0.2.1",
            "192.0.2.2",
        ]);
        assert_eq!(
            interleave_families(dns),
            ips(&[
                "192.0.2.1",
                "2001:db8::1",
                "192.0.2.2",
                "2001:db8::2",
                "2001:db8::3"
            ])
        );
        let one_family = ips(&["2001:db8::2", "2001:db8::1"]);
        assert_eq!(interleave_families(one_family.clone()), one_family);
        assert!(interleave_families([]).is_empty());
    }
}
