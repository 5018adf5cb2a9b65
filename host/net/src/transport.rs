//! What goes in and out of [`SipSockets`](crate::SipSockets).

use std::net::SocketAddr;

pub use switchyard_sip::Transport;

/// Names one TCP connection (or TLS over one) for as long as it is open; never reused within a
/// [`SipSockets`](crate::SipSockets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub(crate) u64);

/// One message received: a UDP datagram, or a framed message from a TCP or TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The transport it came on.
    pub transport: Transport,
    /// The local address it arrived at (the socket's or the connection's).
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// The connection it came on (TCP and TLS only): responses to a request go back on it
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
    /// For TCP and TLS, the connection to prefer (a request's, for its responses, §18.2.2); if
    /// it is gone, the message goes like one without a connection. Ignored for UDP.
    pub connection: Option<ConnectionId>,
    /// For UDP, the local address to send from (a response's: where its request arrived,
    /// RFC 3581 §4): the socket bound to it, or else a wildcard socket on its port. `None`,
    /// or no such socket: the first socket of the destination's family.
    pub source: Option<SocketAddr>,
    /// For TCP, where to open a connection when none to `destination` is open (a response's
    /// whose request's connection closed: the source IP at the Via's sent-by port, §18.2.2).
    /// `None`: to `destination`.
    pub reopen: Option<SocketAddr>,
    /// A complete SIP message.
    pub payload: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transport_is_the_call_cores_and_prints_as_in_via() {
        let ours: switchyard_sip::Transport = Transport::Tcp;
        assert_eq!(format!("SIP/2.0/{ours}"), "SIP/2.0/TCP");
        assert_eq!(Transport::Udp.to_string(), "UDP");
        assert_eq!(format!("SIP/2.0/{}", Transport::Tls), "SIP/2.0/TLS");
    }
}
