//! What goes in and out of [`SipSockets`](crate::SipSockets).

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

impl fmt::Display for Transport {
    /// The name as written in a Via header (`UDP`, `TCP`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
        })
    }
}

/// Names one TCP connection for as long as it is open; never reused within a
/// [`SipSockets`](crate::SipSockets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub(crate) u64);

/// One message received: a UDP datagram, or a framed message from a TCP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The transport it came on.
    pub transport: Transport,
    /// The local address it arrived at (the socket's or the connection's).
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// The connection it came on (TCP only): responses to a request go back on it
    /// (§18.2.2).
    pub connection: Option<ConnectionId>,
    /// The message: a whole datagram (CRLF keepalives included, which the call core counts),
    /// or one message framed from a connection (keepalive pings are answered here, RFC 5626
    /// §3.5.1, and not passed on).
    pub payload: Vec<u8>,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The transport to send it on.
    pub transport: Transport,
    /// Where it goes.
    pub destination: SocketAddr,
    /// For TCP, the connection to prefer (a request's, for its responses, §18.2.2); if it is
    /// gone, the message goes like one without a connection. Ignored for UDP.
    pub connection: Option<ConnectionId>,
    /// A complete SIP message.
    pub payload: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_print_as_in_via() {
        assert_eq!(format!("SIP/2.0/{}", Transport::Udp), "SIP/2.0/UDP");
        assert_eq!(Transport::Tcp.to_string(), "TCP");
    }
}
