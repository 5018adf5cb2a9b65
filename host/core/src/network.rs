//! What the core asks of the shell synchronously.

use std::net::IpAddr;
use switchyard_media::LegId;

/// Why the host has no address of ours for the media of a call with a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoMediaAddress {
    /// None of the peer's family that it could reach: calls with it cannot be served.
    NotServed,
    /// Not known for now, for the reason given (the host had no descriptor to spare to ask
    /// its routing table): a later call may be served.
    Unknown(String),
}

impl NoMediaAddress {
    /// Why neither of two addresses tried in turn served: not known if either was not.
    pub(crate) fn or(self, then: NoMediaAddress) -> NoMediaAddress {
        match self {
            NoMediaAddress::NotServed => then,
            unknown @ NoMediaAddress::Unknown(_) => unknown,
        }
    }
}

/// The shell's network resources, which the core needs while it handles a
/// command (an SDP answer names a port before any packet flows).
pub trait Network: Send {
    /// Our address as `peer` sees it, for Contact and SDP.
    fn local_ip_for(&mut self, peer: IpAddr) -> IpAddr;
    /// The address configured to be ours towards `peer` whatever address its messages arrive
    /// at (a NAT's public one), if any: Contact and Via name it, not the arrival address.
    fn advertised_ip(&self, _peer: IpAddr) -> Option<IpAddr> {
        None
    }
    /// Whether the host has a route to `peer`: a placed call's target it has
    /// none to (an IPv6 address on a host without IPv6 connectivity) is passed
    /// over, as RFC 3263 §4.3 passes over a target that fails.
    fn reaches(&mut self, peer: IpAddr) -> bool;
    /// Our address for the media of a call with `remote`, of its family: the address the host
    /// advertises to it, if any; else the address our RTP sockets are bound to where that is
    /// one address; else the one
    /// [`local_ip_for`](Network::local_ip_for) gives towards it; or
    /// [`NoMediaAddress::NotServed`] when our RTP sockets cannot be of that family (a
    /// configured RTP address of the other) or the host has no address of it that `remote`
    /// could reach (never our loopback for a peer elsewhere), and
    /// [`NoMediaAddress::Unknown`] when the host could not find out for now.
    fn media_ip_for(&mut self, remote: IpAddr) -> Result<IpAddr, NoMediaAddress> {
        Ok(self.local_ip_for(remote))
    }
    /// The port of our SIP socket on `local` (an address
    /// [`local_ip_for`](Network::local_ip_for) gave), which a placed call's Via
    /// and Contact name.
    fn sip_port_for(&self, local: IpAddr) -> u16;
    /// Reserves an RTP port for `leg`, whose SDP names our address `local`
    /// (so the socket is of its family), and returns it; the shell hands the
    /// socket to the media worker when it applies
    /// [`MediaOp::AddLeg`](crate::MediaOp::AddLeg). `Err` says why none is free.
    fn open_rtp(&mut self, leg: LegId, local: IpAddr) -> Result<u16, String>;
    /// Releases a port reserved by [`Network::open_rtp`] that no `AddLeg` took.
    fn close_rtp(&mut self, leg: LegId);
}
