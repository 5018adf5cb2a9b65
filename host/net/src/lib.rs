//! Switchyard's network edge for SIP: the sockets the shell reads and writes, and the DNS
//! resolution that turns a SIP URI into addresses. The call core (`switchyard-sip`) stays
//! sans-IO; this crate is the tokio side it is driven from.
//!
//! - [`SipSockets`]: UDP and TCP listeners on every configured address (by default IPv4 and
//!   IPv6 on port 5060), yielding each received message as a [`Received`] and sending each
//!   [`Outgoing`] message on the right socket or connection. TCP follows RFC 3261 §18: messages
//!   framed by Content-Length ([`switchyard_sip::StreamFramer`]), responses on the connection
//!   their request came on, requests reusing an open connection, idle connections closed unless
//!   the owner still needs them ([`SipSockets::keep_open_while`]), and every table and queue
//!   bounded ([`SocketsConfig`]). SIP over TLS (§26.2.1, [`SipSockets::listen_tls`]) rides
//!   the same connection machinery once the handshake is done: connections are accepted
//!   only, and a message over TLS goes on its destination's own connection.
//! - [`Resolver`]: RFC 3263 server location (NAPTR, SRV, A/AAAA) with `hickory-resolver`; the
//!   choices it makes from the records are pure functions, tested without DNS.
//! - [`local_ip_for`]: the source address the kernel picks towards a destination, for
//!   Contact, Via and SDP on multi-homed hosts.
//! - [`Throttle`]: at most one warning per interval of a failure that repeats, as when
//!   accepting connections fails while the process is out of descriptors.
//!
//! [`Transport`] is the call core's (`switchyard_sip::Transport`, re-exported here), so the
//! shell hands what it receives to the endpoint and sends what it yields without converting;
//! it prints as in a Via header (`UDP`, `TCP`, `TLS`).
//!
//! Features:
//! - `testing` (cargo feature `testing`): a DNS server for tests (`testing::DnsServer`).
//!
//! Layout, one job per module: `transport` (the message types), `config`, `bind` (sockets
//! with socket2), `udp`, `connections` (the TCP connection table), `keep_open` (which idle
//! connections stay open), `packet_info` (a wildcard UDP socket's local address per
//! datagram), `refusals` (the responses connection tasks write refusing what they cannot
//! frame, and the requests they drop unanswered, counted), `tcp` (the accept loops, TLS handshakes and opening connections;
//! `tcp::connection`, one connection's task, over TCP or TLS), `sockets` ([`SipSockets`]),
//! `route` ([`local_ip_for`]), `resolve` ([`Resolver`]: `uri` for the URI's parts, `select`
//! for the record choices).

mod bind;
mod config;
mod connections;
mod keep_open;
mod packet_info;
mod refusals;
mod resolve;

mod route;
mod sockets;
mod tcp;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;
mod udp;

pub use config::SocketsConfig;
pub use resolve::{
    MAX_RESOLVED, ResolveError, Resolver, Target, Unsendable, check_routable, unsendable,
};
pub use switchyard_sip::host_of;

pub use route::local_ip_for;
pub use sockets::{SendError, SipSockets, SocketEvent};
pub use tcp::Throttle;
pub use transport::{ConnectionId, Outgoing, Received, Transport};
