//! The shell's side of [`Network`]: routes for our address, RTP sockets.

use crate::rtp_ports::RtpPorts;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
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
    /// The SIP socket's address.
    listen: IpAddr,
    /// Routes looked up so far, by peer. Bounded by the peers a host talks to;
    /// cleared when it reaches [`MAX_ROUTES`].
    routes: HashMap<IpAddr, IpAddr>,
    ports: RtpPorts,
    pending: PendingSockets,
}

/// The most peer routes remembered before the cache starts over.
const MAX_ROUTES: usize = 4096;

impl ShellNetwork {
    /// Our address: `advertise` if set, else `listen` unless unspecified, else
    /// the route towards each peer. RTP sockets come from `ports` and wait in
    /// `pending` for their leg.
    pub fn new(
        advertise: Option<IpAddr>,
        listen: IpAddr,
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
        if !self.listen.is_unspecified() {
            return self.listen;
        }
        if self.routes.len() >= MAX_ROUTES {
            self.routes.clear();
        }
        let listen = self.listen;
        *self.routes.entry(peer).or_insert_with(|| {
            // connect() on UDP sends nothing: it only asks the kernel for a route.
            UdpSocket::bind(SocketAddr::new(listen, 0))
                .and_then(|s| s.connect(SocketAddr::new(peer, 9)).map(|()| s))
                .and_then(|s| s.local_addr())
                .map(|a| a.ip())
                .unwrap_or_else(|e| {
                    warn!(%peer, "no route to peer ({e}); advertising {listen}");
                    listen
                })
        })
    }

    fn open_rtp(&mut self, leg: LegId) -> Result<u16, String> {
        let socket = self
            .ports
            .allocate()
            .ok_or_else(|| "every port of the RTP range is in use".to_owned())?;
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
