//! SIP transports (RFC 3261 §18) and addresses reached over one.

use std::fmt;
use std::net::SocketAddr;

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
/// are to a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TransportAddr {
    /// The transport.
    pub(crate) transport: Transport,
    /// The socket address.
    pub(crate) addr: SocketAddr,
    /// For the responses to a received request: how they leave and where they go when
    /// `addr` alone does not do. `None` for every other destination.
    pub(crate) reply: Option<ReplyPath>,
}

/// What the shell needs beyond the destination to send the responses to a request
/// (RFC 3261 §18.2.2, RFC 3581 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplyPath {
    /// The local address the request arrived at: responses leave from it, so that a NAT
    /// that let the request in lets them out.
    pub(crate) local: SocketAddr,
    /// Over TCP, the port to open a connection to, at the request's source IP (the Via's
    /// `received`), when its connection has closed: the Via's sent-by port.
    pub(crate) reopen_port: Option<u16>,
}

impl TransportAddr {
    /// `addr` over `transport`, not a reply path.
    pub(crate) fn new(transport: Transport, addr: SocketAddr) -> Self {
        Self {
            transport,
            addr,
            reply: None,
        }
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
