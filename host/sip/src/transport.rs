//! SIP transports (RFC 3261 §18) and addresses reached over one.

use std::fmt;
use std::net::SocketAddr;

use crate::transmit::Outbox;
use crate::via;

/// The largest request sent over UDP: the path MTU being unknown, a larger one goes over TCP
/// (RFC 3261 §18.1.1: "larger than 1300 bytes and the path MTU is unknown").
pub(crate) const MAX_UDP_REQUEST: usize = 1300;

/// A SIP transport protocol (RFC 3261 §18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Datagrams, one message each (§18.1.1).
    Udp,
    /// A stream of messages framed by Content-Length (§18.3).
    Tcp,
    /// TCP's stream inside TLS (§26.2.1): framed as TCP is. Only connections the peer
    /// opened carry it: a request of ours over TLS goes on the peer's connection, or fails.
    Tls,
}

impl Transport {
    /// Whether the transport is reliable, a connection (TCP, TLS): transactions then
    /// retransmit nothing (no Timer A, E or G) and end as soon as their final response is
    /// settled (Timers D, I, J and K are zero; §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2), and
    /// responses go back on the request's connection (§18.2.2).
    pub fn is_reliable(self) -> bool {
        matches!(self, Self::Tcp | Self::Tls)
    }

    /// The transport a URI's `transport` parameter names (§19.1.1, case-insensitive); `None`
    /// for one the endpoint does not speak.
    pub(crate) fn from_param(value: &str) -> Option<Self> {
        [Self::Udp, Self::Tcp, Self::Tls]
            .into_iter()
            .find(|t| value.eq_ignore_ascii_case(&t.to_string()))
    }
}

impl fmt::Display for Transport {
    /// The name as written in a Via header (`UDP`, `TCP`, `TLS`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
        })
    }
}

/// A socket address and the transport to reach it over: where a message goes, or where we
/// are to a peer; as a destination, also how the message leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TransportAddr {
    /// The transport.
    pub(crate) transport: Transport,
    /// The socket address.
    pub(crate) addr: SocketAddr,
    /// The local address a message to `addr` leaves from over UDP, so that a NAT or a
    /// trunk that knows us there lets it through: for the responses to a request, the
    /// address the request arrived at (RFC 3581 §4); for a request, the address its Via
    /// and Contact name (RFC 3261 §18.1.1). `None`: any socket of the address's family.
    pub(crate) source: Option<SocketAddr>,
    /// For the responses to a request over TCP, the port to open a connection to, at the
    /// request's source IP (the Via's `received`), when its connection has closed: the
    /// Via's sent-by port (§18.2.2). `None` for every other destination.
    pub(crate) reopen_port: Option<u16>,
}

impl TransportAddr {
    /// `addr` over `transport`, sent from any local address. An IPv4-mapped IPv6 address
    /// (`::ffff:a.b.c.d`) is taken as the IPv4 address it is, which messages to it are sent to
    /// and which a transport failure there is reported for.
    pub(crate) fn new(transport: Transport, addr: SocketAddr) -> Self {
        Self {
            transport,
            addr: SocketAddr::new(addr.ip().to_canonical(), addr.port()),
            source: None,
            reopen_port: None,
        }
    }

    /// The same destination, reached from the local address `source`.
    pub(crate) fn sent_from(self, source: SocketAddr) -> Self {
        Self {
            source: Some(source),
            ..self
        }
    }

    /// Whether `other` is the same transport and address, however it is reached.
    pub(crate) fn same_place(&self, other: &TransportAddr) -> bool {
        self.transport == other.transport && self.addr == other.addr
    }

    /// `addr` over UDP.
    #[cfg(test)]
    pub(crate) fn udp(addr: SocketAddr) -> Self {
        Self::new(Transport::Udp, addr)
    }
}

/// A request of ours and where it goes, by the size rule of §18.1.1: bound for UDP but larger
/// than [`MAX_UDP_REQUEST`], it goes over TCP to the same address and port, its top Via naming
/// TCP, and may go back to UDP once ([`Routed::back_to_udp`]).
#[derive(Debug)]
pub(crate) struct Routed {
    /// The request, its top Via naming the transport it goes over.
    request: Vec<u8>,
    /// Where it goes, and over which transport.
    destination: TransportAddr,
    /// Whether it goes over TCP for its size only, bound for UDP.
    moved_for_size: bool,
}

impl Routed {
    /// `request`, built with its top Via naming `destination`'s transport, routed to
    /// `destination`: over TCP instead if that is UDP and the request is larger than
    /// [`MAX_UDP_REQUEST`].
    pub(crate) fn new(request: Vec<u8>, destination: TransportAddr) -> Self {
        let moved_for_size =
            destination.transport == Transport::Udp && request.len() > MAX_UDP_REQUEST;
        let mut routed = Self {
            request,
            destination,
            moved_for_size,
        };
        if moved_for_size {
            routed.move_to(Transport::Tcp);
        }
        routed
    }

    /// The request as it goes.
    pub(crate) fn request(&self) -> &[u8] {
        &self.request
    }

    /// Where the request goes, over the transport its top Via names.
    pub(crate) fn destination(&self) -> TransportAddr {
        self.destination
    }

    /// Whether the request goes over TCP for its size only: a failure of TCP to its
    /// destination sends it back to UDP ([`Routed::back_to_udp`]).
    pub(crate) fn moved_for_size(&self) -> bool {
        self.moved_for_size
    }

    /// Routes the request over UDP again, its top Via naming UDP, if it went over TCP for its
    /// size only and not back already; returns whether it did. §18.1.1: a request whose TCP
    /// connection could not be made "SHOULD" be retried over UDP, which is done once.
    pub(crate) fn back_to_udp(&mut self) -> bool {
        if !self.moved_for_size {
            return false;
        }
        self.moved_for_size = false;
        self.move_to(Transport::Udp);
        true
    }

    /// Sends the request again by `out`, over UDP ([`Routed::back_to_udp`]), if it went to
    /// `failed`, where the transport failed, over TCP for its size only.
    pub(crate) fn resend_over_udp_from(&mut self, failed: TransportAddr, out: &mut Outbox) {
        if self.destination.same_place(&failed) && self.back_to_udp() {
            out.send(self.destination, self.request.clone());
        }
    }

    /// Routes the request over `transport`, its top Via naming it.
    fn move_to(&mut self, transport: Transport) {
        via::set_top_transport(&mut self.request, transport);
        self.destination.transport = transport;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_print_as_in_via_and_read_from_uri_parameters() {
        assert_eq!(format!("SIP/2.0/{}", Transport::Udp), "SIP/2.0/UDP");
        assert_eq!(Transport::Tcp.to_string(), "TCP");
        assert_eq!(Transport::from_param("tcp"), Some(Transport::Tcp));
        assert_eq!(Transport::from_param("UDP"), Some(Transport::Udp));
        assert_eq!(Transport::from_param("sctp"), None);
        assert!(Transport::Tcp.is_reliable() && !Transport::Udp.is_reliable());
    }

    #[test]
    fn tls_prints_as_in_via_reads_from_uri_parameters_and_is_reliable() {
        assert_eq!(format!("SIP/2.0/{}", Transport::Tls), "SIP/2.0/TLS");
        assert_eq!(Transport::from_param("tls"), Some(Transport::Tls));
        assert_eq!(Transport::from_param("TLS"), Some(Transport::Tls));
        assert!(Transport::Tls.is_reliable());
    }
}
