//! SIP transports (RFC 3261 §18) and addresses reached over one.

use std::fmt;
use std::net::SocketAddr;

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
}

impl Transport {
    /// Whether the transport is reliable (TCP): transactions then retransmit nothing (no
    /// Timer A, E or G) and end as soon as their final response is settled (Timers D, I,
    /// J and K are zero; §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2).
    pub fn is_reliable(self) -> bool {
        self == Self::Tcp
    }

    /// The transport a URI's `transport` parameter names (§19.1.1, case-insensitive); `None`
    /// for one the endpoint does not speak.
    pub(crate) fn from_param(value: &str) -> Option<Self> {
        [Self::Udp, Self::Tcp]
            .into_iter()
            .find(|t| value.eq_ignore_ascii_case(&t.to_string()))
    }
}

impl fmt::Display for Transport {
    /// The name as written in a Via header (`UDP`, `TCP`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
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
    /// `addr` over `transport`, sent from any local address.
    pub(crate) fn new(transport: Transport, addr: SocketAddr) -> Self {
        Self {
            transport,
            addr,
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
}
