//! The shell's side of [`Network`]: routes for our address, RTP and RTCP sockets.

mod routes;

use crate::rtp_ports::{LegSockets, RtpPorts};
use routes::Routes;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use switchyard_core::Network;
use switchyard_media::LegId;
use tracing::warn;

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

/// What the core asks of the network, answered with real sockets and the
/// kernel's routing table.
pub struct ShellNetwork {
    /// The configured address for Contact and SDP, if any.
    advertise: Option<IpAddr>,
    /// The addresses the SIP sockets listen on, in the order configured.
    listen: Vec<SocketAddr>,
    /// Routes looked up lately, by peer.
    routes: Routes,
    ports: RtpPorts,
    pending: PendingSockets,
}

impl ShellNetwork {
    /// Our address: `advertise` if set and of the peer's family, else the local address of the route
    /// towards each peer when a `listen` socket takes it (a wildcard one of its
    /// family, or one bound to it), else the first `listen` address of the
    /// peer's family. RTP sockets come from `ports` and wait in `pending` for
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
            routes: Routes::default(),
            ports,
            pending,
        }
    }
}

impl Network for ShellNetwork {
    fn local_ip_for(&mut self, peer: IpAddr) -> IpAddr {
        self.own_ip_for(peer).unwrap_or_else(|| {
            let fallback = if peer.is_ipv4() {
                IpAddr::from(Ipv4Addr::LOCALHOST)
            } else {
                IpAddr::from(Ipv6Addr::LOCALHOST)
            };
            warn!(%peer, "no route to peer; advertising {fallback}");
            fallback
        })
    }

    fn advertised_ip(&self, peer: IpAddr) -> Option<IpAddr> {
        // A peer of the other family could reach neither our Contact nor our RTP there.
        self.advertise.filter(|ip| ip.is_ipv4() == peer.is_ipv4())
    }

    fn media_ip_for(&mut self, remote: IpAddr) -> Option<IpAddr> {
        if !self.ports.serves(remote) {
            return None;
        }
        // A peer elsewhere cannot send RTP to our loopback address.
        self.own_ip_for(remote)
            .or_else(|| remote.is_loopback().then_some(remote))
    }

    fn reaches(&mut self, peer: IpAddr) -> bool {
        self.route(peer).is_some()
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

impl ShellNetwork {
    /// Our address as `peer` sees it: `advertise` when of its family, else the one the route
    /// to `peer` leaves from when a listener of its family takes it, else that family's
    /// first listener bound to an address, else the route's; `None` when there is neither
    /// such a listener nor a route (an IPv6 peer on a host without IPv6 connectivity, a
    /// link-local address without its interface).
    fn own_ip_for(&mut self, peer: IpAddr) -> Option<IpAddr> {
        if let Some(ip) = self.advertised_ip(peer) {
            return Some(ip);
        }
        let route = self.route(peer);
        let family = || {
            self.listen
                .iter()
                .map(SocketAddr::ip)
                .filter(|ip| ip.is_ipv4() == peer.is_ipv4())
        };
        if let Some(ip) = route
            && family().any(|l| l.is_unspecified() || l == ip)
        {
            return Some(ip);
        }
        family().find(|ip| !ip.is_unspecified()).or(route)
    }

    /// The local address the kernel routes towards `peer` from now, or none: no
    /// route (an IPv6 peer on a host without IPv6 connectivity).
    fn route(&mut self, peer: IpAddr) -> Option<IpAddr> {
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
        assert_eq!(wildcard.media_ip_for(v6), Some(v6));
        assert_eq!(wildcard.media_ip_for(LOOPBACK), Some(LOOPBACK));
        // `network` binds RTP to 127.0.0.1: IPv4 only.
        let mut fixed = network(None, &["127.0.0.1:5060"]);
        assert_eq!(fixed.media_ip_for(v6), None);
        assert_eq!(fixed.media_ip_for(LOOPBACK), Some(LOOPBACK));
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
        assert_eq!(v4_sip.media_ip_for(link_local), None);
        assert_eq!(
            v4_sip.local_ip_for(link_local),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            "SIP still falls back to loopback"
        );
    }

    #[test]
    fn a_peer_the_host_has_a_route_to_is_reached() {
        let mut net = network(None, &["0.0.0.0:5060"]);
        assert!(net.reaches(LOOPBACK));
    }
}
