//! What the endpoint tells the application.

use std::net::SocketAddr;

use crate::call::CallKey;
use crate::sdp::Offer;

/// Something the application must know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new INVITE with a usable SDP offer; 100 Trying was already sent. Answer it with
    /// [`Endpoint::answer`](crate::Endpoint::answer) or
    /// [`Endpoint::reject`](crate::Endpoint::reject).
    IncomingCall(IncomingCall),
    /// The ACK for our 2xx arrived: media may flow both ways.
    CallConfirmed {
        /// The call.
        call: CallKey,
    },
    /// A provisional response (101-199) to our INVITE arrived; one event per response
    /// received, retransmissions included, none once the application hung up.
    CallProgress {
        /// The call.
        call: CallKey,
        /// The status code.
        code: u16,
        /// The reason phrase as sent.
        reason: String,
        /// The SDP answer it carries (early media), if it has a To tag and a usable SDP body.
        answer: Option<Offer>,
    },
    /// A 2xx to our INVITE arrived: the ACK was sent and the dialog is confirmed.
    CallAnswered {
        /// The call.
        call: CallKey,
        /// The SDP answer of the 2xx, or of a provisional response if the 2xx has none.
        answer: Offer,
    },
    /// Our INVITE failed; like [`Event::CallEnded`], the call's key is no longer valid. `code`
    /// and `reason` are those of the final non-2xx response (after any Digest retries),
    /// `408 Request Timeout` when no response came within 64*T1 (Timer B),
    /// `488 Not Acceptable Here` for a 2xx without a usable SDP answer (ACKed, then BYEd), or
    /// `502` with the problem as reason for a 2xx without a readable Contact or Record-Route.
    CallFailed {
        /// The call.
        call: CallKey,
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// The call is over; its key is no longer valid.
    CallEnded {
        /// The call.
        call: CallKey,
        /// Why it ended.
        cause: EndCause,
    },
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndCause {
    /// The peer sent BYE.
    RemoteBye,
    /// The peer cancelled the INVITE before it was answered.
    Cancelled,
    /// The peer never acknowledged our 2xx (64*T1); a BYE was sent.
    NoAck,
    /// The application hung up: our BYE got a final response or timed out, the unanswered
    /// INVITE was rejected with 480, or our cancelled INVITE got its final response or timed
    /// out.
    LocalHangup,
    /// The application rejected the INVITE.
    Rejected,
}

/// A new call offered by the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    /// The call's handle.
    pub call: CallKey,
    /// The Request-URI.
    pub request_uri: String,
    /// The user part of the Request-URI ("" if none).
    pub request_user: String,
    /// The From URI.
    pub from_uri: String,
    /// The user part of the From URI ("" if none).
    pub from_user: String,
    /// The From display name, unquoted.
    pub from_display_name: Option<String>,
    /// The To URI.
    pub to_uri: String,
    /// The SIP Call-ID.
    pub call_id: String,
    /// Every header as (name, value) text, in order (compact names expanded).
    pub headers: Vec<(String, String)>,
    /// The datagram's source address.
    pub source: SocketAddr,
    /// The SDP offer's audio stream.
    pub offer: Offer,
}
