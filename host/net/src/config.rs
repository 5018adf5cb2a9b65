//! What [`SipSockets`](crate::SipSockets) listens on and the bounds it keeps.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use switchyard_sip::Limits;

/// Addresses and bounds for [`SipSockets::bind`](crate::SipSockets::bind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketsConfig {
    /// Each address gets a UDP socket and a TCP listener on the same port (with port 0, the
    /// port the UDP socket got). IPv6 sockets are IPv6-only, so that `0.0.0.0:p` and `[::]:p`
    /// can both be bound.
    pub listen: Vec<SocketAddr>,
    /// A TCP connection with no byte read or written for this long is closed. Default
    /// [`SocketsConfig::DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// A message read from a TCP connection must arrive whole within this long of its first
    /// byte, however its bytes trickle in, and one written must be taken whole within this
    /// long (a peer that stops reading); otherwise the connection is closed. It is also how
    /// long a connection its peer closed its side of stays open for the responses still
    /// owed. Default [`SocketsConfig::DEFAULT_MESSAGE_TIMEOUT`].
    pub message_timeout: Duration,
    /// How long an outgoing TCP connection may take to be established. Default
    /// [`SocketsConfig::DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// TCP connections holding a place at most, accepted and initiated together: beyond it,
    /// sends needing a new one fail. Those serving peers' requests take at most seven eighths
    /// of it, and so do those opened for our own, so that neither kind can crowd out the
    /// other. A connection accepted beyond it (or beyond the peers' share) takes the place of
    /// one serving a host that holds more of those than the new one's would with it: of the
    /// host holding the most, the one longest without a SIP message read or written
    /// (keepalives do not count) that the owner does not need
    /// ([`SipSockets::keep_open_while`](crate::SipSockets::keep_open_while)), and while that
    /// host has none to give, one of the next holding fewer. Eight connections are looked at
    /// at most; with none found, the new one is closed at once. The one evicted reads no
    /// more, writes the responses owed to the requests read from it (for the message timeout
    /// after the last at most) and closes, holding no place meanwhile: at most an eighth of
    /// this many close so at once, open beyond it. So a few hosts cannot take every place
    /// from the others. Default [`SocketsConfig::DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// TCP connections of each kind one host holds at most (an IPv4 address, or an IPv6
    /// /64): those serving its requests (accepted from it, or opened to answer it), and
    /// those opened from here for our own requests, counted apart. Beyond it, more accepted
    /// from that host are closed at once, and sends needing a new one to it fail, so that one
    /// host cannot take every connection: where an in-dialog request goes is the peer's
    /// choice (its Contact or Record-Route), not the call core's. Default
    /// [`SocketsConfig::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS`].
    pub max_connections_per_address: usize,
    /// Messages waiting to be written on one TCP connection at most; a send beyond it fails.
    /// 0 is taken as 1: a connection's queue holds one message at least. Default
    /// [`SocketsConfig::DEFAULT_MAX_WRITE_QUEUE`].
    pub max_write_queue: usize,
    /// The largest message read from a TCP connection: a larger one closes the connection
    /// (after a `513` to a request). Default [`Limits::DEFAULT_MAX_MESSAGE_BYTES`], the call
    /// core's limit for datagrams.
    pub max_message_bytes: usize,
    /// The Server header of the `400`/`513` sent before closing a connection whose framing
    /// failed.
    pub server: String,
}

impl SocketsConfig {
    /// 180 s. RFC 5626 §4.4.1 has clients on connection-oriented transports send a CRLF
    /// keepalive every 95 to 120 s, so a connection a client keeps alive must survive
    /// 120 s of silence; 180 s leaves room for a late ping. Connections without keepalives
    /// carry transactions that end within 64*T1 = 32 s (§17), so they still go within
    /// minutes.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(180);
    /// 32 s, 64*T1: the sender's client transaction has given up by then (Timers B and F,
    /// RFC 3261 §17.1.1.2, §17.1.2.2), so a message still incomplete could no longer be of use.
    pub const DEFAULT_MESSAGE_TIMEOUT: Duration = Duration::from_secs(32);
    /// 5 s: a TCP handshake that has not completed by then (three SYN retransmissions on
    /// Linux take 1 + 2 + 4 s) is unlikely to, and the transaction's own timers retry.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// 1,024 connections, each holding a socket and one framing buffer of up to
    /// `max_message_bytes` (16 MiB at most with the default limits).
    pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
    /// 64 connections, a sixteenth of the default `max_connections`: the phones of an office
    /// behind one NAT address each keep a connection open (RFC 5626 flows), so the cap must
    /// leave room for dozens; a proxy or SBC in front of many users multiplexes them on a few.
    pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
    /// 64 messages: a call's transactions put a handful in flight; more means the peer is not
    /// reading.
    pub const DEFAULT_MAX_WRITE_QUEUE: usize = 64;

    /// Evicted connections closing at once beside `max_connections` of them, at most: an
    /// eighth ([`SocketsConfig::max_connections`]).
    pub const fn most_evicting(max_connections: usize) -> usize {
        max_connections / 8
    }

    /// TCP sockets open at once with `max_connections` places, at most: those holding a
    /// place and those evicted, still closing ([`SocketsConfig::most_evicting`]).
    pub const fn most_open(max_connections: usize) -> usize {
        max_connections + Self::most_evicting(max_connections)
    }

    /// UDP and TCP on `0.0.0.0:port` and `[::]:port`, with the default bounds.
    pub fn dual_stack(port: u16) -> Self {
        Self::on(vec![
            SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port),
            SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port),
        ])
    }

    /// UDP and TCP on each address of `listen`, with the default bounds.
    pub fn on(listen: Vec<SocketAddr>) -> Self {
        Self {
            listen,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            message_timeout: Self::DEFAULT_MESSAGE_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: Self::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            max_write_queue: Self::DEFAULT_MAX_WRITE_QUEUE,
            max_message_bytes: Limits::DEFAULT_MAX_MESSAGE_BYTES,
            server: "switchyard".to_owned(),
        }
    }
}

impl Default for SocketsConfig {
    /// [`SocketsConfig::dual_stack`] on port 5060.
    fn default() -> Self {
        Self::dual_stack(5060)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_listens_on_both_families_at_5060() {
        let config = SocketsConfig::default();
        let listen: Vec<String> = config.listen.iter().map(ToString::to_string).collect();
        assert_eq!(listen, ["0.0.0.0:5060", "[::]:5060"]);
        assert!(config.idle_timeout > Duration::from_secs(120));
        assert!(config.message_timeout < config.idle_timeout);
        assert!(config.max_connections_per_address < config.max_connections);
    }
}
