//! The shell's side of [`Network`]: routes for our address, RTP and RTCP sockets.

mod routes;

use crate::rtp_ports::{LegSockets, RtpPorts};
use routes::Routes;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use switchyard_core::{Network, NoMediaAddress};
use switchyard_media::LegId;
use switchyard_net::Transport;
use tracing::{debug, warn};

/// RTP and RTCP sockets bound for legs whose `AddLeg` the media pool has not taken
/// yet. Every entry is taken by `AddLeg` or released by the core when an answer fails.
#[derive(Debug, Clone, Default)]
pub struct PendingSockets(Arc<Mutex<HashMap<LegId, LegSockets>>>);

impl PendingSockets {
    /// Takes the sockets reserved for `leg`.
    pub fn take(&self, leg: LegId) -> Option<LegSockets> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&leg)
    }

    /// How many legs' sockets are reserved and not yet taken.
    pub fn reserved(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn put(&self, leg: LegId, sockets: LegSockets) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(leg, sockets);
    }
}

/// The listeners a call placed out names in its Via and Contact, [`ShellNetwork::new`]'s
/// `listen`: the UDP and TCP entries of `bound` (`SipSockets::local_addrs`), in order. No TLS
/// one: a request of ours never leaves over TLS, and what the peer sends back comes over UDP
/// or TCP, which a TLS listener does not take.
pub fn plain_listeners(bound: &[(Transport, SocketAddr)]) -> Vec<SocketAddr> {
    listeners_of(bound, |transport| transport != Transport::Tls)
}

/// The TLS entries of `bound`, in order: [`ShellNetwork::reached_over_tls_on`]'s.
pub fn tls_listeners(bound: &[(Transport, SocketAddr)]) -> Vec<SocketAddr> {
    listeners_of(bound, |transport| transport == Transport::Tls)
}

fn listeners_of(
    bound: &[(Transport, SocketAddr)],
    wanted: impl Fn(Transport) -> bool,
) -> Vec<SocketAddr> {
    bound
        .iter()
        .filter(|(transport, _)| wanted(*transport))
        .map(|(_, addr)| *addr)
        .collect()
}

/// What the core asks of the network, answered with real sockets and the
/// kernel's routing table.
pub struct ShellNetwork {
    /// The configured address for Contact and SDP, if any.
    advertise: Option<IpAddr>,
    /// The addresses the SIP sockets listen on, in the order configured.
    listen: Vec<SocketAddr>,
    /// The addresses SIP over TLS listens on: callers reach us there, so their media
    /// address may be one of them, though nothing of ours leaves from them.
    tls_listen: Vec<SocketAddr>,
    /// Routes looked up lately, by peer.
    routes: Routes,
    ports: RtpPorts,
    pending: PendingSockets,
}

impl ShellNetwork {
    /// Our address: `advertise` if set, of the peer's family and not loopback towards a peer
    /// elsewhere, else the local address of the route towards each peer when a `listen`
    /// socket takes it (a wildcard one of its family, or one bound to it), else the first
    /// `listen` address of the peer's family. Our media address is the same, except that a
    /// specific address of `ports` is it when `advertise` is not (and none towards a peer
    /// elsewhere when loopback). RTP sockets come from `ports` and wait in `pending` for
    /// their leg.
    pub fn new(
        advertise: Option<IpAddr>,
        listen: Vec<SocketAddr>,
        ports: RtpPorts,
        pending: PendingSockets,
    ) -> ShellNetwork {
        ShellNetwork {
            advertise,
            listen,
            tls_listen: Vec::new(),
            routes: Routes::default(),
            ports,
            pending,
        }
    }

    /// This network with SIP over TLS listening on `tls_listen` too: a media address towards
    /// a peer may then be one of those a `listen` address takes, as our address for it.
    pub fn reached_over_tls_on(self, tls_listen: Vec<SocketAddr>) -> ShellNetwork {
        ShellNetwork { tls_listen, ..self }
    }
}

/// Which listeners an address of ours must be one of.
#[derive(Clone, Copy)]
enum Listeners {
    /// UDP and TCP: where what we send leaves from and the peer's answers come.
    Plain,
    /// TLS too: where a caller may have reached us, for the media we answer it with.
    AnyTransport,
}

impl Network for ShellNetwork {
    fn local_ip_for(&mut self, peer: IpAddr) -> IpAddr {
        self.own_ip_for(peer, Listeners::Plain)
            .unwrap_or_else(|why| {
                let fallback = if peer.is_ipv4() {
                    IpAddr::from(Ipv4Addr::LOCALHOST)
                } else {
                    IpAddr::from(Ipv6Addr::LOCALHOST)
                };
                match why {
                    NoMediaAddress::NotServed => {
                        warn!(%peer, "no route to peer; advertising {fallback}")
                    }
                    // The failed lookup is logged where it failed, at most so often: not again
                    // for each message while the host lacks descriptors.
                    NoMediaAddress::Unknown(reason) => {
                        debug!(%peer, %reason, "route unknown for now; advertising {fallback}")
                    }
                }
                fallback
            })
    }

    fn advertised_ip(&self, peer: IpAddr) -> Option<IpAddr> {
        // A peer of the other family could reach neither our Contact nor our RTP there, nor
        // a peer elsewhere our loopback address (one advertised for tests on a single host).
        self.advertise
            .filter(|ip| ip.is_ipv4() == peer.is_ipv4() && reachable_from(*ip, peer))
    }

    fn media_ip_for(&mut self, remote: IpAddr) -> Result<IpAddr, NoMediaAddress> {
        if !self.ports.serves(remote) {
            return Err(NoMediaAddress::NotServed);
        }
        // Behind a NAT, the advertised address forwards to the RTP socket wherever it is bound.
        if let Some(ip) = self.advertised_ip(remote) {
            return Ok(ip);
        }
        // RTP bound to one address finds no media sent to another (our SIP one, say).
        if let Some(fixed) = self.ports.fixed_address() {
            return reachable_from(fixed, remote)
                .then_some(fixed)
                .ok_or(NoMediaAddress::NotServed);
        }
        // A peer elsewhere cannot send RTP to our loopback address.
        self.own_ip_for(remote, Listeners::AnyTransport)
            .or_else(|why| {
                if remote.is_loopback() {
                    Ok(remote)
                } else {
                    Err(why)
                }
            })
    }

    fn reaches(&mut self, peer: IpAddr) -> bool {
        self.route(peer).is_ok_and(|route| route.is_some())
    }

    fn sip_port_for(&self, local: IpAddr) -> u16 {
        let family = || {
            self.listen
                .iter()
                .filter(|l| l.is_ipv4() == local.is_ipv4())
        };
        family()
            .find(|l| l.ip() == local)
            .or_else(|| family().find(|l| l.ip().is_unspecified()))
            .or_else(|| family().next())
            .or(self.listen.first())
            .map_or(5060, SocketAddr::port)
    }

    fn open_rtp(&mut self, leg: LegId, local: IpAddr) -> Result<u16, String> {
        let sockets = self.ports.allocate(local)?;
        let port = sockets
            .rtp
            .local_addr()
            .map_err(|e| format!("RTP socket: {e}"))?
            .port();
        self.pending.put(leg, sockets);
        Ok(port)
    }

    fn close_rtp(&mut self, leg: LegId) {
        self.pending.take(leg);
    }
}

/// Whether `peer` can send to our address `ours`: not to our loopback one from elsewhere.
fn reachable_from(ours: IpAddr, peer: IpAddr) -> bool {
    !ours.is_loopback() || peer.is_loopback()
}

impl ShellNetwork {
    /// Our address as `peer` sees it: `advertise` when given to it
    /// ([`Network::advertised_ip`]), else the one the route to `peer` leaves from when a
    /// listener of its family takes it, else that family's first listener bound to an
    /// address, else the route's; [`NoMediaAddress::NotServed`] when there is neither such a
    /// listener nor a route (an IPv6 peer on a host without IPv6 connectivity, a link-local
    /// address without its interface), [`NoMediaAddress::Unknown`] when there is no such
    /// listener and the route is not known for now. The listeners are `among`.
    fn own_ip_for(&mut self, peer: IpAddr, among: Listeners) -> Result<IpAddr, NoMediaAddress> {
        if let Some(ip) = self.advertised_ip(peer) {
            return Ok(ip);
        }
        let route = self.route(peer);
        let tls: &[SocketAddr] = match among {
            Listeners::Plain => &[],
            Listeners::AnyTransport => &self.tls_listen,
        };
        let family = || {
            self.listen
                .iter()
                .chain(tls)
                .map(SocketAddr::ip)
                .filter(|ip| ip.is_ipv4() == peer.is_ipv4())
        };
        if let Ok(Some(ip)) = route
            && family().any(|l| l.is_unspecified() || l == ip)
        {
            return Ok(ip);
        }
        match (family().find(|ip| !ip.is_unspecified()), route) {
            (Some(listener), _) => Ok(listener),
            (None, Ok(route)) => route.ok_or(NoMediaAddress::NotServed),
            (None, Err(why)) => Err(NoMediaAddress::Unknown(why)),
        }
    }

    /// The local address the kernel routes towards `peer` from now, or none: no
    /// route (an IPv6 peer on a host without IPv6 connectivity). While the host lacks the
    /// descriptor to ask, the one last found, or if none `Err` saying why it is unknown.
    fn route(&mut self, peer: IpAddr) -> Result<Option<IpAddr>, String> {
        self.routes
            .route(Instant::now(), peer, switchyard_net::local_ip_for)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(advertise: Option<IpAddr>, listen: &[&str]) -> ShellNetwork {
        ShellNetwork::new(
            advertise,
            listen.iter().map(|a| a.parse().unwrap()).collect(),
            RtpPorts::new(Ipv4Addr::LOCALHOST.into(), 40_000, 40_010),
            PendingSockets::default(),
        )
    }

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn the_address_a_listener_takes_on_the_route_to_the_peer_is_ours() {
        // The route to a loopback peer leaves from 127.0.0.1, which the second
        // listener is bound to: not the first listener's address.
        let mut two = network(None, &["192.0.2.1:5060", "127.0.0.1:5070"]);
        assert_eq!(two.local_ip_for(LOOPBACK), LOOPBACK);
        assert_eq!(two.sip_port_for(LOOPBACK), 5070);
        assert_eq!(two.sip_port_for("192.0.2.1".parse().unwrap()), 5060);
        // A wildcard listener takes any address of its family.
        let mut wildcard = network(None, &["0.0.0.0:5080"]);
        assert_eq!(wildcard.local_ip_for(LOOPBACK), LOOPBACK);
        assert_eq!(wildcard.sip_port_for(LOOPBACK), 5080);
        // A route no listener takes gives the first listener of the family.
        let mut other = network(None, &["192.0.2.1:5060"]);
        assert_eq!(
            other.local_ip_for(LOOPBACK),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        // `advertise` wins.
        let public: IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(
            network(Some(public), &["0.0.0.0:5060"]).local_ip_for(LOOPBACK),
            public
        );
    }

    #[test]
    fn an_advertised_address_serves_peers_of_its_family_only() {
        let public: IpAddr = "203.0.113.5".parse().unwrap();
        let mut both = network(Some(public), &["0.0.0.0:5060", "[::1]:5060"]);
        assert_eq!(both.local_ip_for(LOOPBACK), public);
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(
            both.local_ip_for(v6),
            v6,
            "an IPv6 peer gets an IPv6 address"
        );
    }

    #[test]
    fn each_family_has_the_port_of_its_own_listener() {
        let net = network(None, &["0.0.0.0:5060", "[::]:5070"]);
        assert_eq!(net.sip_port_for(LOOPBACK), 5060);
        assert_eq!(net.sip_port_for(IpAddr::V6(Ipv6Addr::LOCALHOST)), 5070);
    }

    #[test]
    fn media_has_an_address_of_the_remote_family_unless_the_rtp_address_is_of_the_other() {
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        // SIP over IPv4 only: an IPv6 media address still gets ours towards it.
        let mut wildcard = ShellNetwork::new(
            None,
            vec!["127.0.0.1:5060".parse().unwrap()],
            RtpPorts::new(Ipv4Addr::UNSPECIFIED.into(), 40_000, 40_010),
            PendingSockets::default(),
        );
        assert_eq!(wildcard.media_ip_for(v6), Ok(v6));
        assert_eq!(wildcard.media_ip_for(LOOPBACK), Ok(LOOPBACK));
        // `network` binds RTP to 127.0.0.1: IPv4 only.
        let mut fixed = network(None, &["127.0.0.1:5060"]);
        assert_eq!(fixed.media_ip_for(v6), Err(NoMediaAddress::NotServed));
        assert_eq!(fixed.media_ip_for(LOOPBACK), Ok(LOOPBACK));
    }

    #[test]
    fn media_for_a_peer_elsewhere_never_gets_our_loopback_address() {
        let mut v4_sip = ShellNetwork::new(
            None,
            vec!["0.0.0.0:5060".parse().unwrap()],
            RtpPorts::new(Ipv4Addr::UNSPECIFIED.into(), 40_000, 40_010),
            PendingSockets::default(),
        );
        // No route leads to a link-local address without its interface.
        let link_local: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(
            v4_sip.media_ip_for(link_local),
            Err(NoMediaAddress::NotServed)
        );
        assert_eq!(
            v4_sip.local_ip_for(link_local),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            "SIP still falls back to loopback"
        );
    }

    #[test]
    fn the_media_address_is_the_one_a_specific_rtp_address_binds_the_socket_to() {
        // SIP on 127.0.0.1, RTP on 127.0.0.2: a caller on 127.0.0.1 must send its media there.
        let media: IpAddr = "127.0.0.2".parse().unwrap();
        let pending = PendingSockets::default();
        let mut net = ShellNetwork::new(
            None,
            vec!["127.0.0.1:5060".parse().unwrap()],
            RtpPorts::new(media, 20_000, 60_000),
            pending.clone(),
        );
        assert_eq!(net.local_ip_for(LOOPBACK), LOOPBACK, "SIP stays on its own");
        let ours = net.media_ip_for(LOOPBACK).expect("a media address");
        assert_eq!(ours, media);
        let port = net.open_rtp(LegId(1), ours).unwrap();
        let sockets = pending.take(LegId(1)).unwrap();
        assert_eq!(
            sockets.rtp.local_addr().unwrap(),
            SocketAddr::new(ours, port),
            "the SDP's address and port are the socket's"
        );
        // A loopback RTP address is none for a peer elsewhere.
        assert_eq!(
            net.media_ip_for("192.0.2.10".parse().unwrap()),
            Err(NoMediaAddress::NotServed)
        );
        // An advertised address forwards to the socket wherever it is bound.
        let public: IpAddr = "203.0.113.5".parse().unwrap();
        let mut natted = ShellNetwork::new(
            Some(public),
            vec!["127.0.0.1:5060".parse().unwrap()],
            RtpPorts::new(media, 20_000, 60_000),
            PendingSockets::default(),
        );
        assert_eq!(natted.media_ip_for(LOOPBACK), Ok(public));
    }

    #[test]
    fn a_loopback_advertised_address_is_given_to_loopback_peers_only() {
        let elsewhere: IpAddr = "192.0.2.10".parse().unwrap();
        let listener: IpAddr = "192.0.2.1".parse().unwrap();
        let mut net = ShellNetwork::new(
            Some(LOOPBACK),
            vec![SocketAddr::new(listener, 5060)],
            RtpPorts::new(Ipv4Addr::UNSPECIFIED.into(), 40_000, 40_010),
            PendingSockets::default(),
        );
        assert_eq!(net.advertised_ip(LOOPBACK), Some(LOOPBACK));
        assert_eq!(net.local_ip_for(LOOPBACK), LOOPBACK);
        assert_eq!(net.media_ip_for(LOOPBACK), Ok(LOOPBACK));
        // A peer elsewhere gets the listener's address in Contact and SDP.
        assert_eq!(net.advertised_ip(elsewhere), None);
        assert_eq!(net.local_ip_for(elsewhere), listener);
        assert_eq!(net.media_ip_for(elsewhere), Ok(listener));
    }

    #[test]
    fn a_tls_listener_answers_callers_media_but_gives_placed_calls_neither_its_port_nor_address() {
        let of = |sip: &str, tls: &str| {
            let (sip, tls) = (sip.parse().unwrap(), tls.parse().unwrap());
            let bound = [
                (Transport::Udp, sip),
                (Transport::Tcp, sip),
                (Transport::Tls, tls),
            ];
            ShellNetwork::new(
                None,
                plain_listeners(&bound),
                RtpPorts::new(Ipv4Addr::UNSPECIFIED.into(), 40_000, 40_010),
                PendingSockets::default(),
            )
            .reached_over_tls_on(tls_listeners(&bound))
        };
        // SIP on the wildcard, TLS on one of its addresses: that address's port is SIP's.
        let tls_address: IpAddr = "203.0.113.10".parse().unwrap();
        let net = of("0.0.0.0:5060", "203.0.113.10:5061");
        assert_eq!(net.sip_port_for(tls_address), 5060);
        // SIP on one address, TLS on the wildcard: the route to a peer is ours for what we
        // send only when SIP listens there, but a caller reached us over TLS on it, so it is
        // our media address.
        let sip_address: IpAddr = "192.0.2.10".parse().unwrap();
        let mut net = of("192.0.2.10:5060", "0.0.0.0:5061");
        assert_eq!(net.local_ip_for(LOOPBACK), sip_address);
        assert_eq!(net.sip_port_for(sip_address), 5060);
        assert_eq!(net.media_ip_for(LOOPBACK), Ok(LOOPBACK));
    }

    #[test]
    fn a_peer_the_host_has_a_route_to_is_reached() {
        let mut net = network(None, &["0.0.0.0:5060"]);
        assert!(net.reaches(LOOPBACK));
    }
}
