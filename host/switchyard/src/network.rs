//! The shell's side of [`Network`]: routes for our address, RTP sockets.

use crate::rtp_ports::RtpPorts;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, UdpSocket};
use std::sync::{Arc, Mutex};
use switchyard_core::Network;
use switchyard_media::LegId;
use tracing::warn;

/// RTP sockets bound for legs whose `AddLeg` the media pool has not taken yet.
/// Every entry is taken by `AddLeg` or released by the core when an answer fails.
#[derive(Debug, Clone, Default)]
pub struct PendingSockets(Arc<Mutex<HashMap<LegId, UdpSocket>>>);

impl PendingSockets {
    /// Takes the socket reserved for `leg`.
    pub fn take(&self, leg: LegId) -> Option<UdpSocket> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&leg)
    }

    fn put(&self, leg: LegId, socket: UdpSocket) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(leg, socket);
    }
}

/// What the core asks of the network, answered with real sockets and the
/// kernel's routing table.
pub struct ShellNetwork {
    /// The configured address for Contact and SDP, if any.
    advertise: Option<IpAddr>,
    /// The addresses the SIP sockets listen on.
    listen: Vec<IpAddr>,
    /// Routes looked up so far, by peer. Bounded by the peers a host talks to;
    /// cleared when it reaches [`MAX_ROUTES`].
    routes: HashMap<IpAddr, IpAddr>,
    ports: RtpPorts,
    pending: PendingSockets,
}

/// The most peer routes remembered before the cache starts over.
const MAX_ROUTES: usize = 4096;

impl ShellNetwork {
    /// Our address: `advertise` if set, else a specified `listen` address of
    /// the peer's family, else the route towards each peer. RTP sockets come
    /// from `ports` and wait in `pending` for their leg.
    pub fn new(
        advertise: Option<IpAddr>,
        listen: Vec<IpAddr>,
        ports: RtpPorts,
        pending: PendingSockets,
    ) -> ShellNetwork {
        ShellNetwork {
            advertise,
            listen,
            routes: HashMap::new(),
            ports,
            pending,
        }
    }
}

impl Network for ShellNetwork {
    fn local_ip_for(&mut self, peer: IpAddr) -> IpAddr {
        if let Some(ip) = self.advertise {
            return ip;
        }
        let same_family = |ip: &&IpAddr| ip.is_ipv4() == peer.is_ipv4();
        if let Some(ip) = self
            .listen
            .iter()
            .filter(same_family)
            .find(|ip| !ip.is_unspecified())
        {
            return *ip;
        }
        if self.routes.len() >= MAX_ROUTES {
            self.routes.clear();
        }
        *self.routes.entry(peer).or_insert_with(|| {
            switchyard_net::local_ip_for(peer).unwrap_or_else(|e| {
                let fallback = if peer.is_ipv4() {
                    IpAddr::from(Ipv4Addr::LOCALHOST)
                } else {
                    IpAddr::from(Ipv6Addr::LOCALHOST)
                };
                warn!(%peer, "no route to peer ({e}); advertising {fallback}");
                fallback
            })
        })
    }

    fn open_rtp(&mut self, leg: LegId, local: IpAddr) -> Result<u16, String> {
        let socket = self.ports.allocate(local)?;
        let port = socket
            .local_addr()
            .map_err(|e| format!("RTP socket: {e}"))?
            .port();
        self.pending.put(leg, socket);
        Ok(port)
    }

    fn close_rtp(&mut self, leg: LegId) {
        self.pending.take(leg);
    }
}
