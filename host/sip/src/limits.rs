//! Bounds on what the endpoint takes from the network.

use std::net::IpAddr;
use std::num::NonZeroU32;

/// Bounds on what the endpoint takes from the network, set with
/// [`Endpoint::with_limits`](crate::Endpoint::with_limits); [`Limits::default`] suits a public
/// SIP port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest datagram the endpoint reads, in bytes. A request above it gets
    /// `513 Message Too Large` (RFC 3261 §21.5.11) when its head can be read, save an ACK
    /// (never answered); other datagrams above it are dropped and counted
    /// ([`Stats::dropped_too_large`]). Default [`Limits::DEFAULT_MAX_MESSAGE_BYTES`].
    ///
    /// [`Stats::dropped_too_large`]: crate::Stats::dropped_too_large
    pub max_message_bytes: usize,
    /// New requests accepted per second from one source host ([`host_of`]: an IPv4 address,
    /// or an IPv6 /64), in bursts of up to one second's worth; `None` lifts the limit. A
    /// request over it is dropped unanswered and counted ([`Stats::dropped_rate_limited`]).
    /// Retransmissions a transaction absorbs, ACKs and responses are never limited, nor are
    /// the retransmissions, ACKs and CANCELs of an INVITE refused for want of room that the
    /// endpoint answers from its memory of those refusals
    /// ([`Stats::invites_refused_overloaded`]). At most
    /// [`Limits::MAX_TRACKED_SOURCES`] hosts are tracked at once, each with its own bucket;
    /// the hosts that find the table full share one more bucket of the same rate. A flood
    /// from many (possibly spoofed) addresses thus cannot get past the limit by outnumbering
    /// the table, and cannot take the buckets of the peers already tracked, which keep being
    /// served; what it delays is new peers, until the table has room again (a host's entry
    /// goes once its bucket is full again, at most a second after its last request).
    /// Default [`Limits::DEFAULT_MAX_REQUESTS_PER_SOURCE_PER_SECOND`].
    ///
    /// [`Stats::dropped_rate_limited`]: crate::Stats::dropped_rate_limited
    /// [`Stats::invites_refused_overloaded`]: crate::Stats::invites_refused_overloaded
    pub max_requests_per_source_per_second: Option<NonZeroU32>,
}

impl Limits {
    /// 16 KiB. RFC 3261 §18.1.1 sends a request larger than the path MTU less 200 bytes (or
    /// 1300 bytes when the MTU is unknown) over a congestion-controlled transport, so SIP over
    /// UDP rarely exceeds 1.5 KB; INVITEs with large SDP (video, ICE candidates) reach a few
    /// KB through IP fragmentation. 16 KiB leaves room for those and every RFC 4475 message
    /// while reading a quarter of what a maximal UDP datagram (65,535 bytes) would cost.
    pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024;

    /// 10,000 new requests per second: each call takes two (INVITE and BYE; ACKs and
    /// retransmissions are free), so one upstream proxy can bring 5,000 calls per second,
    /// five times the default rate of the SIPp load harness (`benches/load`, 1,000 calls per
    /// second from one address), while a single flooding source is held to that rate.
    pub const DEFAULT_MAX_REQUESTS_PER_SOURCE_PER_SECOND: NonZeroU32 =
        NonZeroU32::new(10_000).unwrap();

    /// How many source hosts the request-rate limit tracks at most (about 40 bytes each).
    pub const MAX_TRACKED_SOURCES: usize = 16_384;

    /// How many transactions the endpoint keeps at once, lingering ones included: a new
    /// request that finds them all taken gets `503 Service Unavailable` with `Retry-After`,
    /// outside any transaction (RFC 3261 §21.5.4), until some end. Each call takes two for
    /// 64*T1 (32 s) after it is set up and after it ends, so this holds 16,000 calls a second;
    /// a lingering transaction takes under 100 bytes, a live one a few hundred. Each source
    /// host ([`host_of`]) has a fair share: once half the places are taken, a host holding
    /// 1/64 of them (16,384, 256 calls a second) gets that `503` for its new requests, so
    /// that a few hosts cannot take every place (at the default rate limit one host's
    /// requests could hold 320,000). Requests within a dialog the endpoint has and CANCELs of
    /// its transactions, which end calls and transactions sooner, are not refused until a
    /// reserve of 1/16 more (65,536) is taken too.
    pub const MAX_TRANSACTIONS: usize = 1 << 20;
}

/// The host an address belongs to, as per-host limits count it (TCP connections per host,
/// requests per second per host): an IPv4 address is one host, also when written IPv4-mapped
/// (`::ffff:a.b.c.d`); an IPv6 address counts as its /64, the subnet one host is given and may
/// pick any address of (RFC 4291 §2.5.1, RFC 8981).
pub fn host_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((v6.to_bits() & !u128::from(u64::MAX)).into()),
        },
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: Self::DEFAULT_MAX_MESSAGE_BYTES,
            max_requests_per_source_per_second: Some(
                Self::DEFAULT_MAX_REQUESTS_PER_SOURCE_PER_SECOND,
            ),
        }
    }
}
