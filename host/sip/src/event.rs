//! What the endpoint tells the application.

use std::net::SocketAddr;

use crate::call::CallKey;
use crate::sdp::Offer;

/// Something the application must know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new INVITE with a usable SDP offer; 100 Trying was already sent. Answer it with
    /// [`Endpoint::answer`](crate::Endpoint::answer) or
    /// [`Endpoint::reject`](crate::Endpoint::reject); one whose INVITE has an Expires that
    /// runs out before either is withdrawn as if cancelled (487, [`EndCause::Cancelled`]).
    /// An Expires that is no number of seconds is ignored.
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
        /// The next hop failed rather than the request (RFC 3263 §4.3): no response came at
        /// all (Timer B) or it answered 503 (RFC 3261 §21.5.4). The application may send a new
        /// INVITE to the next target the URI resolved to.
        try_next: bool,
    },
    /// The peer offers a new session description in the confirmed call: a re-INVITE or an
    /// UPDATE with SDP (RFC 3264 §8, RFC 3311). The application settles it with
    /// [`Endpoint::accept_offer`](crate::Endpoint::accept_offer) or
    /// [`Endpoint::refuse_offer`](crate::Endpoint::refuse_offer), at once or later; until then
    /// the current session stays, the request's retransmissions are absorbed and a re-INVITE
    /// gets 100 (Trying) after 200 ms (RFC 3261 §17.2.1). A CANCEL of the re-INVITE (§9.2) or
    /// the end of the call settles it with 487 instead, and both calls then return
    /// [`CallError::InvalidState`](crate::CallError::InvalidState).
    SessionOffer {
        /// The call.
        call: CallKey,
        /// The new offer (its `connection` may name a new RTP address).
        offer: Offer,
    },
    /// The peer answered our offer: a 2xx to our re-INVITE
    /// ([`Endpoint::reoffer`](crate::Endpoint::reoffer) or a session refresh), already
    /// ACKed, or the ACK to our 2xx that offered our session to an offerless re-INVITE. The
    /// answered description is now the session.
    OfferAnswered {
        /// The call.
        call: CallKey,
        /// The answer.
        answer: Offer,
        /// Our offer it answers, as sent: the peer sends with its payload types (RFC 3264
        /// §5.1), which the answer need not repeat.
        offer: String,
    },
    /// The peer refused our re-INVITE with a final non-2xx response (already ACKed); the
    /// previous session stays (§14.1). A 491 is retried by the endpoint (§14.1), once any
    /// exchange under way has ended, and reported only if the retries fail too or none could
    /// go within 64*T1 of falling due. A re-INVITE that got a provisional response and no
    /// final one within 64*T1 of being sent is cancelled (§9.1): its 487 is reported, or a 487 of our own if no final response comes within
    /// 64*T1 more; a 2xx that still comes then is ACKed, and the session kept is offered
    /// again (its answer reported as [`Event::OfferAnswered`]). One whose destination the
    /// transport could not reach before any response came is refused with 503
    /// ([`Endpoint::transport_failed`](crate::Endpoint::transport_failed)). A 481 or 408
    /// is followed by [`Event::CallEnded`] with [`EndCause::DialogGone`] (RFC 5057
    /// §5.1), a 408 after our BYE (RFC 4028 §10). A session refresh of ours (RFC 4028)
    /// refused in a way that may pass later (480, 486, 500, 503, 504, or its 491 retry
    /// finding no time to go) is sent again and not reported; the refusal that ends its
    /// retries is, as is any other refusal of it.
    OfferRefused {
        /// The call.
        call: CallKey,
        /// The status code (408 when the re-INVITE timed out).
        code: u16,
        /// The reason phrase.
        reason: String,
        /// Our offer it refuses, as sent: one of the application's
        /// ([`Endpoint::reoffer`](crate::Endpoint::reoffer)) or the endpoint's own offer of the
        /// current session (a session refresh, or the session kept offered again), which may
        /// be refused while the application's waits to be sent again after a 491.
        offer: String,
    },
    /// The peer took our offer, yet answered it with nothing the endpoint can read: the 2xx
    /// to our re-INVITE (already ACKed) or UPDATE, or the ACK to our 2xx that offered our
    /// session to an offerless re-INVITE, carried no SDP, or SDP without a usable audio
    /// stream (a port of 0, a media address the peer could not hold, malformed). For the
    /// peer the exchange is over and our offer is the session; the endpoint keeps the
    /// previous one. The offerer of an answer it cannot use makes a new offer or ends the
    /// session (RFC 3264 §5, RFC 6337 §3.1): offer the session kept again
    /// ([`Endpoint::reoffer`](crate::Endpoint::reoffer)) or hang up.
    UnusableAnswer {
        /// The call.
        call: CallKey,
        /// Our offer it answers, as sent, like [`Event::OfferRefused`]'s.
        offer: String,
        /// Whether the 2xx or ACK carried no SDP at all (no body, or only one of another
        /// type, such as ISUP) rather than SDP that cannot be used. Some peers so answer an
        /// offer of the session as it stands (a session refresh), meaning to change nothing.
        no_sdp: bool,
    },
    /// The peer pressed a key: an INFO with an `application/dtmf-relay` body, answered 200.
    Dtmf {
        /// The call.
        call: CallKey,
        /// `0`-`9`, `*`, `#` or `A`-`D`.
        digit: char,
        /// How long the key was pressed, in ms (0 when the INFO does not say).
        duration_ms: u32,
    },
    /// The outcome of [`Endpoint::probe`](crate::Endpoint::probe): the final status code of
    /// the OPTIONS (408 when it timed out, 503 when the transport could not reach its
    /// destination). A 481 or 408 is followed by
    /// [`Event::CallEnded`] with [`EndCause::DialogGone`] (RFC 5057 §5.1), a 408 after our
    /// BYE.
    ProbeResult {
        /// The call.
        call: CallKey,
        /// The status code.
        code: u16,
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
    /// The peer cancelled the INVITE before it was answered, or the INVITE's Expires ran out
    /// first (RFC 3261 §13.3.1); either way it got 487.
    Cancelled,
    /// The peer never acknowledged our 2xx (64*T1); a BYE was sent.
    NoAck,
    /// The application hung up: our BYE got a final response or timed out, the unanswered
    /// INVITE was rejected with 480, or our cancelled INVITE got its final response or timed
    /// out.
    LocalHangup,
    /// The application rejected the INVITE.
    Rejected,
    /// The caller, which required reliable provisional responses (RFC 3262), never
    /// acknowledged ours (64*T1): the INVITE was rejected with 500.
    NoPrack,
    /// The session interval ran out without a refresh (RFC 4028 §10); a BYE was sent.
    SessionExpired,
    /// The peer answered one of our in-dialog requests with 481, or it timed out
    /// (RFC 5057 §5.1): the dialog no longer exists on its side.
    DialogGone,
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
    /// The source address of the INVITE's datagram or connection.
    pub source: SocketAddr,
    /// The SDP offer, or `None` for an INVITE without one (a late offer, RFC 3261 §13.2.1):
    /// the SDP given to [`Endpoint::answer`](crate::Endpoint::answer) is then our offer, and
    /// the ACK brings the answer ([`Event::OfferAnswered`]).
    pub offer: Option<Offer>,
}
