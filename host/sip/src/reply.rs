//! The final responses the endpoint gives on its own. Each is fully determined by the request it
//! answers, the To tag, the Server value and the [`Reply`] (with the extensions it names), so a
//! lingering transaction can rebuild it from a retransmitted request instead of keeping its
//! bytes (§17.2.2).

use rsip::headers::UntypedHeader;
use rsip::prelude::HasHeaders;

use crate::build::{Extensions, ResponseBuilder};
use crate::dtmf_relay::DTMF_RELAY;
use crate::fields;
use crate::header_text::option_tags;

/// A final response the endpoint composes itself: status code, reason phrase and the headers
/// that go with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `200 OK` (BYE, CANCEL, INFO).
    Ok,
    /// `200 OK` to OPTIONS, listing what the endpoint supports (§11.2).
    Options(Extensions),
    /// `405 Method Not Allowed` with Allow (§8.2.1).
    MethodNotAllowed(Extensions),
    /// `420 Bad Extension` with Unsupported listing the request's Require tags that are not
    /// among the extensions (§8.2.2.3).
    BadExtension(Extensions),
    /// `481 Call/Transaction Does Not Exist` (§12.2.2, §9.2).
    NoSuchCall,
    /// `482 Loop Detected` to a request merged on its way: a copy, on another branch, of an
    /// INVITE the endpoint already has (§8.2.2.2).
    LoopDetected,
    /// `483 Too Many Hops` to a request with Max-Forwards 0 (§16.3 step 3, §20.22).
    TooManyHops,
    /// `487 Request Terminated` to a request whose offer the endpoint settles unanswered:
    /// its call is ending (§15.1.2), or it was cancelled (§9.2).
    RequestTerminated,
    /// `491 Request Pending` (§14.2).
    RequestPending,
    /// `500` for an in-dialog request with a CSeq out of order (§12.2.2).
    CSeqOutOfOrder,
    /// `400` to an INFO whose dtmf-relay body names no key.
    MalformedBody,
    /// `400` to a PRACK without a readable RAck header (RFC 3262 §7.2).
    MalformedRAck,
    /// `415 Unsupported Media Type` to an INFO whose body is no dtmf-relay, with Accept
    /// naming the one INFO body the endpoint reads (§21.4.13).
    UnsupportedInfo,
    /// `488 Not Acceptable Here` to an offer the endpoint does not take (RFC 3264 §6).
    OfferNotAcceptable,
    /// The refusal of a body that offers no session the endpoint can take.
    RefusedOffer(Refusal),
}

/// Why the endpoint refuses the body of a request that may carry an offer; each has its
/// status code and reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `400`: a multipart body that cannot be split (RFC 5621).
    MalformedMultipart,
    /// `415`: a content coding other than the identity (§8.2.3).
    UnsupportedEncoding,
    /// `415`: a body with no SDP to read (RFC 5621 §9.1).
    UnsupportedMediaType,
    /// `406`: an Accept that excludes the SDP answer (RFC 4475 §3.3.15).
    AnswerNotAccepted,
    /// `400`: SDP that does not parse.
    MalformedSdp,
    /// `488`: SDP without an RTP/AVP audio stream (RFC 3264 §6).
    NoAudio,
    /// `488`: an SDP connection address that is no IP address.
    UnsupportedAddress,
    /// `488`: an SDP media address the request's source could not hold.
    ForeignAddress,
}

impl Refusal {
    /// The status code.
    pub(crate) fn code(self) -> u16 {
        match self {
            Self::MalformedMultipart | Self::MalformedSdp => 400,
            Self::UnsupportedEncoding | Self::UnsupportedMediaType => 415,
            Self::AnswerNotAccepted => 406,
            Self::NoAudio | Self::UnsupportedAddress | Self::ForeignAddress => 488,
        }
    }

    /// The reason phrase.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::MalformedMultipart => "Malformed multipart body",
            Self::UnsupportedEncoding => "Unsupported Content-Encoding",
            Self::UnsupportedMediaType => "Unsupported Media Type",
            Self::AnswerNotAccepted => "Accept header excludes application/sdp",
            Self::MalformedSdp => "Malformed SDP body",
            Self::NoAudio => "No RTP/AVP audio stream in SDP offer",
            Self::UnsupportedAddress => "SDP connection address is not an IP address",
            Self::ForeignAddress => "SDP media address is not the peer's",
        }
    }
}

impl Reply {
    /// The status code.
    pub(crate) fn code(self) -> u16 {
        match self {
            Self::Ok | Self::Options(_) => 200,
            Self::MethodNotAllowed(_) => 405,
            Self::BadExtension(_) => 420,
            Self::NoSuchCall => 481,
            Self::LoopDetected => 482,
            Self::TooManyHops => 483,
            Self::RequestTerminated => 487,
            Self::RequestPending => 491,
            Self::OfferNotAcceptable => 488,
            Self::CSeqOutOfOrder => 500,
            Self::MalformedBody | Self::MalformedRAck => 400,
            Self::UnsupportedInfo => 415,
            Self::RefusedOffer(refusal) => refusal.code(),
        }
    }

    /// Whether this refuses its request as malformed: every `400` the endpoint composes does
    /// (an unreadable dtmf-relay body, RAck, SDP or multipart body).
    pub(crate) fn refuses_malformed_request(self) -> bool {
        self.code() == 400
    }

    fn reason(self) -> &'static str {
        match self {
            Self::Ok | Self::Options(_) => "OK",
            Self::MethodNotAllowed(_) => "Method Not Allowed",
            Self::BadExtension(_) => "Bad Extension",
            Self::NoSuchCall => "Call/Transaction Does Not Exist",
            Self::LoopDetected => "Loop Detected",
            Self::TooManyHops => "Too Many Hops",
            Self::RequestTerminated => "Request Terminated",
            Self::RequestPending => "Request Pending",
            Self::OfferNotAcceptable => "Not Acceptable Here",
            Self::CSeqOutOfOrder => "CSeq out of order",
            Self::MalformedBody => "Malformed dtmf-relay body",
            Self::MalformedRAck => "Missing or malformed RAck header",
            Self::UnsupportedInfo => "Unsupported Media Type",
            Self::RefusedOffer(refusal) => refusal.reason(),
        }
    }

    /// The response to `request` with To tag `to_tag` (added if the request's To has none) and
    /// Server `server`: the same bytes whenever the inputs are the same.
    pub(crate) fn build(
        self,
        request: &impl HasHeaders,
        to_tag: Option<&str>,
        server: &str,
    ) -> Vec<u8> {
        let builder = ResponseBuilder::new(request, self.code(), self.reason(), to_tag, server);
        match self {
            Self::Options(extensions) | Self::MethodNotAllowed(extensions) => {
                builder.capabilities(extensions)
            }
            Self::BadExtension(extensions) => builder.header(rsip::headers::Unsupported::new(
                required(request, extensions),
            )),
            Self::UnsupportedInfo => builder.header(rsip::headers::Accept::new(DTMF_RELAY)),
            // §21.4.13, §8.2.3: a 415 names the bodies and codings the endpoint reads.
            Self::RefusedOffer(refusal) if refusal.code() == 415 => builder.accepted_bodies(),
            Self::Ok
            | Self::NoSuchCall
            | Self::LoopDetected
            | Self::TooManyHops
            | Self::RequestTerminated
            | Self::RequestPending
            | Self::OfferNotAcceptable
            | Self::CSeqOutOfOrder
            | Self::MalformedBody
            | Self::MalformedRAck
            | Self::RefusedOffer(_) => builder,
        }
        .build()
    }
}

/// The option tags of `request`'s Require headers that are not among `extensions`
/// (§8.2.2.3), comma-separated; empty if it requires nothing else.
pub(crate) fn required(request: &impl HasHeaders, extensions: Extensions) -> String {
    let invite = request.headers().iter().any(|h| match h {
        rsip::Header::CSeq(cseq) => fields::cseq(cseq.value()).is_ok_and(|(_, m)| m == "INVITE"),
        _ => false,
    });
    let tags: Vec<&str> = option_tags(request, "Require")
        .filter(|tag| !extensions.supports(tag, invite))
        .collect();
    tags.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prack::RELIABLE_TAG;
    use crate::wire::parse_request as request;

    const ALL: Extensions = Extensions { timer: true };
    const NO_TIMER: Extensions = Extensions { timer: false };

    #[test]
    fn an_invite_may_require_reliable_provisional_responses() {
        let invite = request(
            "INVITE sip:sut@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\n\
             From: <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>\r\n\
             Call-ID: cid\r\nCSeq: 1 INVITE\r\nRequire: 100REL, timer\r\n\r\n",
        );
        assert_eq!(required(&invite, ALL), "");
        assert_eq!(required(&invite, NO_TIMER), "timer");
        assert!(crate::header_text::has_tag(
            &invite,
            "Require",
            RELIABLE_TAG
        ));
        assert!(!crate::header_text::has_tag(&invite, "Require", "path"));
    }

    #[test]
    fn bad_extension_lists_every_required_tag_but_timer() {
        let req = request(
            "OPTIONS sip:sut@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\n\
             From: <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>\r\n\
             Call-ID: cid\r\nCSeq: 1 OPTIONS\r\nRequire: 100rel, timer\r\nRequire: path\r\n\r\n",
        );
        let reply = Reply::BadExtension(ALL);
        let text = String::from_utf8(reply.build(&req, Some("lt"), "s")).unwrap();
        assert!(text.starts_with("SIP/2.0 420 Bad Extension\r\n"), "{text}");
        assert!(text.contains("\r\nUnsupported: 100rel, path\r\n"), "{text}");
        assert!(
            text.contains("To: <sip:sut@192.0.2.1>;tag=lt\r\n"),
            "{text}"
        );
    }

    #[test]
    fn without_session_timers_timer_is_neither_supported_nor_met() {
        let req = request(
            "OPTIONS sip:sut@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\n\
             From: <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>\r\n\
             Call-ID: cid\r\nCSeq: 1 OPTIONS\r\nRequire: timer\r\n\r\n",
        );
        let refused = Reply::BadExtension(NO_TIMER).build(&req, Some("lt"), "s");
        let text = String::from_utf8(refused).unwrap();
        assert!(text.contains("\r\nUnsupported: timer\r\n"), "{text}");
        let options = Reply::Options(NO_TIMER).build(&req, Some("lt"), "s");
        let text = String::from_utf8(options).unwrap();
        assert!(text.contains("\r\nSupported: 100rel\r\n"), "{text}");
    }
}
