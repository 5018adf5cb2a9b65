//! Bounds on what the endpoint takes from the network.

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
    /// New requests accepted per second from one source IP address, in bursts of up to one
    /// second's worth; `None` lifts the limit. A request over it is dropped unanswered and
    /// counted ([`Stats::dropped_rate_limited`]). Retransmissions a transaction absorbs, ACKs
    /// and responses are never limited. At most [`Limits::MAX_TRACKED_SOURCES`] sources are
    /// tracked at once; a source that finds the table full while others are busy is let
    /// through, so that floods from many (possibly spoofed) addresses cannot lock out a peer.
    /// Default [`Limits::DEFAULT_MAX_REQUESTS_PER_SOURCE_PER_SECOND`].
    ///
    /// [`Stats::dropped_rate_limited`]: crate::Stats::dropped_rate_limited
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

    /// How many sources the request-rate limit tracks at most (about 40 bytes each).
    pub const MAX_TRACKED_SOURCES: usize = 16_384;
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
