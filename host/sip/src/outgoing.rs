//! Calls the application places (RFC 3261 §8.1, §13.2): the request, its checks, and the state
//! of the INVITE until its final response and, after a 2xx, until Timer M (RFC 6026 §7.2).

use std::net::SocketAddr;

use rsip::prelude::HasHeaders;

use crate::auth::{Authenticator, Credentials};
use crate::build::check_extra_header;
use crate::dialog::RemoteCSeq;
use crate::endpoint::CallError;
use crate::message::Request;
use crate::request::Head;
use crate::sdp::Offer;
use crate::session::UpdateReply;
use crate::session::timer::{self, SessionTimers};
use crate::transaction::TxId;
use crate::transmit::Outbox;
use crate::transport::{Routed, Transport, TransportAddr};
use crate::{address, uri};

/// The most dialogs one INVITE may create (forks answering, RFC 6026 §7.2): early dialogs
/// past it are not kept, and 2xx responses with further To tags are dropped, so a peer cannot
/// make the endpoint send ACKs and BYEs without bound.
pub(crate) const MAX_DIALOGS: usize = 16;

/// A call the application places with [`Endpoint::invite`](crate::Endpoint::invite).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingCall {
    /// The Request-URI, a SIP or SIPS URI without headers, e.g. `sip:bob@192.0.2.9:5070`.
    pub request_uri: String,
    /// The From value, a name-addr or addr-spec without a tag (the endpoint adds its own).
    pub from: String,
    /// The To value, a name-addr or addr-spec without a tag (usually the Request-URI).
    pub to: String,
    /// Extra header lines (name, value), checked like those of
    /// [`Endpoint::reject_with`](crate::Endpoint::reject_with) and also refused when they
    /// name a header the endpoint writes on requests (Max-Forwards, Route, Contact, Allow,
    /// Supported, User-Agent, Authorization, Proxy-Authorization).
    pub headers: Vec<(String, String)>,
    /// A pre-loaded Route set (§8.1.2), each a name-addr such as
    /// `<sip:proxy.example.com;lr>`: sent as Route headers on the INVITE, its CANCEL and the
    /// ACK of a non-2xx. The first hop is [`OutgoingCall::destination`] all the same.
    pub route: Vec<String>,
    /// The next hop the INVITE goes to (the shell resolved the URI or picked the proxy).
    pub destination: SocketAddr,
    /// The transport to `destination`. Every request of the call goes over it: the INVITE,
    /// its CANCEL and ACKs, and the dialog's requests unless the peer's Contact or Record-Route
    /// names another (§18.1.1); the Via and Contact name it. A request over 1300 bytes bound
    /// for UDP goes over TCP to the same address instead, its Via naming TCP, and back over
    /// UDP should the connection fail (§18.1.1); its CANCEL and ACKs of a non-2xx follow it.
    pub transport: Transport,
    /// Our address to advertise: Via sent-by and Contact.
    pub local: SocketAddr,
    /// The SDP offer, sent as the INVITE's body.
    pub sdp_offer: String,
    /// Credentials for Digest challenges (`401`, `407`) to the INVITE and the BYE; without
    /// them a challenge fails the call. A user name with a quote, backslash or control
    /// character is refused as [`CallError::InvalidHeader`] named `Authorization`.
    pub credentials: Option<Credentials>,
    /// The INVITE's Max-Forwards: [`MAX_FORWARDS`] for a new call (§8.1.1.6); for a call
    /// forwarded on behalf of an incoming one, that one's less one
    /// ([`Endpoint::forwarded_max_forwards`](crate::Endpoint::forwarded_max_forwards)), so
    /// that a loop of forwards runs out of hops (§16.6 step 3, §20.22).
    pub max_forwards: u8,
}

/// The Max-Forwards of a request that starts its way here (RFC 3261 §8.1.1.6).
pub const MAX_FORWARDS: u8 = 70;

/// Header names the endpoint writes on requests besides those of responses.
const REQUEST_HEADERS: &[&str] = &[
    "Max-Forwards",
    "Route",
    "Contact",
    "m",
    "Allow",
    "Supported",
    "k",
    "User-Agent",
    "Authorization",
    "Proxy-Authorization",
];

impl OutgoingCall {
    /// Checks every field the endpoint writes as given: [`check_call_fields`] and the Route
    /// set, each a name-addr.
    pub(crate) fn check(&self) -> Result<(), CallError> {
        let addresses = [("From", self.from.as_str()), ("To", self.to.as_str())];
        check_call_fields(
            &self.request_uri,
            &addresses,
            &self.headers,
            self.credentials.as_ref(),
        )?;
        for route in &self.route {
            let name_addr = route.trim_start().starts_with('<') && !route.contains(['\r', '\n']);
            if !name_addr || address::parse(route).is_none() {
                return Err(invalid_address("Route", route));
            }
        }
        Ok(())
    }
}

/// Checks the fields of a call to place that its application gives, as
/// [`Endpoint::invite`](crate::Endpoint::invite) will: the Request-URI must be a SIP or SIPS
/// URI without headers (§19.1.1) that names its host as every reader reads it (no `@` after
/// the userinfo's, an IPv6 host in brackets: RFC 5118 §4.2), each of `addresses` (`From`,
/// `To`, named) an address without a tag (§20.10), each header line have a token for its name
/// (§25.1), no control character but HTAB in its value (§7.3.1) and name no header the
/// endpoint writes, and the credentials' user name hold no quote, backslash or control
/// character. So an application can refuse a bad call before resolving its target.
pub fn check_call_fields(
    request_uri: &str,
    addresses: &[(&'static str, &str)],
    headers: &[(String, String)],
    credentials: Option<&Credentials>,
) -> Result<(), CallError> {
    let is_sip = |text: &str| {
        text.split_once(':').is_some_and(|(scheme, _)| {
            ["sip", "sips"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s))
        })
    };
    match uri::parse(request_uri) {
        Some(parsed) if !parsed.has_headers && parsed.names_one_host() && is_sip(request_uri) => {}
        _ => return Err(invalid_address("Request-URI", request_uri)),
    }
    for &(field, value) in addresses {
        match address::parse(value) {
            Some(a) if a.tag().is_none() && !value.contains(['\r', '\n']) => {}
            _ => return Err(invalid_address(field, value)),
        }
    }
    for (name, value) in headers {
        let problem = match check_extra_header(name, value) {
            Err(problem) => Some(problem),
            Ok(()) if REQUEST_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) => {
                Some("the endpoint writes this header itself")
            }
            Ok(()) => None,
        };
        if let Some(problem) = problem {
            return Err(CallError::InvalidHeader {
                name: name.clone(),
                problem,
            });
        }
    }
    if let Some(credentials) = credentials {
        credentials
            .check()
            .map_err(|problem| CallError::InvalidHeader {
                name: "Authorization".into(),
                problem,
            })?;
    }
    Ok(())
}

fn invalid_address(field: &'static str, value: &str) -> CallError {
    CallError::InvalidAddress {
        field,
        value: value.to_owned(),
    }
}

/// How far an outgoing INVITE got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// No provisional response yet.
    Calling,
    /// A provisional response arrived: a CANCEL may be sent (§9.1).
    Ringing,
    /// A 2xx arrived: the call is the endpoint's like an incoming one; this record only ACKs
    /// 2xx retransmissions and releases other forks until Timer M.
    Accepted,
}

/// Whether the application hung up before the INVITE's final response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hangup {
    /// It did not.
    No,
    /// It did before any provisional response: the CANCEL waits for one (§9.1).
    Wanted,
    /// The CANCEL was sent.
    Cancelled,
}

/// An outgoing INVITE's state.
#[derive(Debug)]
pub(crate) struct Placed {
    /// What all its requests carry.
    pub(crate) head: Head,
    /// The application's header lines.
    pub(crate) headers: Vec<(String, String)>,
    /// The SDP offer.
    pub(crate) sdp_offer: String,
    /// The next hop and the transport to it.
    pub(crate) destination: TransportAddr,
    /// Where its latest INVITE went, once sent: `destination`, or over TCP to it for its size
    /// (§18.1.1), and back over UDP should that connection fail.
    pub(crate) sent_to: Option<TransportAddr>,
    /// The Digest credentials and the challenges they answered, if the call has credentials.
    pub(crate) auth: Option<Authenticator>,
    /// The credentials header lines of the latest INVITE, repeated on the ACK of its 2xx
    /// (§13.2.2.4).
    pub(crate) credential_lines: Vec<(&'static str, String)>,
    /// The CSeq number of the latest INVITE.
    pub(crate) cseq: u32,
    /// The Via branch of the latest INVITE.
    pub(crate) branch: String,
    /// The first INVITE as the endpoint reads requests, until the first 2xx hands it to the
    /// answered call (or, when that 2xx makes no dialog, drops it: later forks' 2xx are then
    /// acknowledged and ended).
    pub(crate) request: Option<Request>,
    /// Its client transaction.
    pub(crate) tx: TxId,
    /// How far it got.
    pub(crate) stage: Stage,
    /// Some response to one of its INVITEs came (a challenge counts): its next hop is up.
    pub(crate) heard: bool,
    /// Whether the application gave up.
    pub(crate) hangup: Hangup,
    /// The ACK sent for each 2xx, by the To tag of its dialog, routed by its size (§18.1.1):
    /// sent again as last sent for each retransmission of that 2xx (§13.2.2.4).
    pub(crate) acks: Vec<(String, Routed)>,
    /// The early dialogs of the latest INVITE (§12.1.2: each provisional response with a To
    /// tag makes one), at most [`MAX_DIALOGS`].
    pub(crate) early_dialogs: Vec<EarlyDialog>,
    /// The PRACKs sent for the call, in all its early dialogs.
    pub(crate) pracks: usize,
    /// The Min-SE its INVITEs state (RFC 4028 §7.1), none with session timers off: our
    /// minimum, or the larger one a 422 named ([`Placed::raise_min_se`]).
    pub(crate) min_se: Option<u32>,
    /// The Session-Expires its INVITEs ask for: none, the callee choosing, until a 422 names
    /// the Min-SE to ask for (§7.3). Once set, the call's one retry after a 422 is spent.
    session_expires: Option<u32>,
}

/// An early dialog of our INVITE: the callee's requests in it are answered, and its reliable
/// provisional responses PRACKed (RFC 3262 §4).
#[derive(Debug)]
pub(crate) struct EarlyDialog {
    /// The callee's To tag.
    pub(crate) tag: String,
    /// The RSeq of the last reliable provisional response taken (and PRACKed), if any.
    pub(crate) rseq: Option<u32>,
    /// The CSeq number of our last request in it (the PRACKs): the dialog's requests go on
    /// from it once it is confirmed.
    pub(crate) cseq: u32,
    /// The CSeq number of the callee's last request in it: its requests must come in order
    /// (§12.2.2), also once the dialog is confirmed.
    pub(crate) remote_cseq: RemoteCSeq,
    /// The answer to our offer that its latest provisional response with one carried (early
    /// media), kept for a 2xx in this dialog without one (§13.2.1, RFC 3264 §4).
    pub(crate) answer: Option<Offer>,
    /// Our final response to the callee's latest UPDATE in it, for its retransmissions; the
    /// confirmed dialog takes it over.
    pub(crate) update_reply: Option<UpdateReply>,
    /// Whether the callee ended it with a BYE: its requests then get 481.
    pub(crate) ended: bool,
}

impl Placed {
    /// The state of `call`, before its first INVITE is built, under the session-timer
    /// settings `timers`.
    pub(crate) fn new(call: OutgoingCall, head: Head, timers: &SessionTimers) -> Self {
        Self {
            head,
            headers: call.headers,
            sdp_offer: call.sdp_offer,
            destination: TransportAddr::new(call.transport, call.destination).sent_from(call.local),
            sent_to: None,
            auth: call.credentials.map(Authenticator::new),
            credential_lines: Vec::new(),
            cseq: 0,
            branch: String::new(),
            request: None,
            tx: TxId(0),
            stage: Stage::Calling,
            heard: false,
            hangup: Hangup::No,
            acks: Vec::new(),
            early_dialogs: Vec::new(),
            pracks: 0,
            min_se: timers.enabled.then_some(timers.min_se),
            session_expires: None,
        }
    }

    /// Takes `response`, a 422 to its INVITE (RFC 4028 §7.3): the next INVITE asks for the
    /// Min-SE it names as its Session-Expires and Min-SE. False, and nothing changes, with
    /// session timers off, after a 422 already raised it, or when it is not to be asked for
    /// again ([`timer::retry_interval`]).
    pub(crate) fn raise_min_se(
        &mut self,
        response: &impl HasHeaders,
        timers: &SessionTimers,
    ) -> bool {
        // A peer names its fixed minimum (§7.3), which one retry meets: one that names
        // another each time would otherwise have INVITEs sent without end.
        let Some(interval) = self
            .min_se
            .filter(|_| self.session_expires.is_none())
            .and_then(|asked| timer::retry_interval(response, asked, timers))
        else {
            return false;
        };
        self.min_se = Some(interval);
        self.session_expires = Some(interval);
        true
    }

    /// Where in `early_dialogs` the early dialog the callee's To tag `tag` names is, made now
    /// if it is new and there are fewer than [`MAX_DIALOGS`]; `None` past that bound.
    pub(crate) fn early_dialog(&mut self, tag: &str) -> Option<usize> {
        let index = match self.early_dialogs.iter().position(|d| d.tag == tag) {
            Some(index) => index,
            None if self.early_dialogs.len() >= MAX_DIALOGS => return None,
            None => {
                self.early_dialogs.push(EarlyDialog {
                    tag: tag.to_owned(),
                    rseq: None,
                    cseq: self.cseq,
                    remote_cseq: RemoteCSeq::default(),
                    answer: None,
                    update_reply: None,
                    ended: false,
                });
                self.early_dialogs.len() - 1
            }
        };
        Some(index)
    }

    /// Whether a 2xx arrived.
    pub(crate) fn answered(&self) -> bool {
        self.stage == Stage::Accepted
    }

    /// Sends again by `out`, over UDP, each ACK of a 2xx that went to `failed` over TCP for
    /// its size only ([`Routed::resend_over_udp_from`]).
    pub(crate) fn resend_acks_over_udp(&mut self, failed: TransportAddr, out: &mut Outbox) {
        for (_, ack) in &mut self.acks {
            ack.resend_over_udp_from(failed, out);
        }
    }

    /// Whether an ACK of a 2xx went over TCP for its size only, bound for UDP.
    pub(crate) fn has_ack_moved_for_size(&self) -> bool {
        self.acks.iter().any(|(_, ack)| ack.moved_for_size())
    }

    /// Where its latest INVITE went over a connection (TCP, as configured or for its size),
    /// until a 2xx arrives: the connection its final response may come on (§18.2.2).
    pub(crate) fn tcp_peer(&self) -> Option<SocketAddr> {
        let to = self.sent_to.filter(|to| to.transport.is_reliable())?;
        (!self.answered()).then_some(to.addr)
    }

    /// Builds the next INVITE with branch `branch`, the next CSeq number and credentials for
    /// every challenge answered so far (each given a client nonce by `cnonce`).
    pub(crate) fn next_invite(
        &mut self,
        branch: String,
        cnonce: impl FnMut() -> String,
    ) -> Vec<u8> {
        self.cseq += 1;
        // The early dialogs of an INVITE end with its final response (a challenge here).
        self.early_dialogs.clear();
        self.credential_lines = match &mut self.auth {
            Some(auth) => auth.headers("INVITE", &self.head.uri, cnonce),
            None => Vec::new(),
        };
        let timer_lines: Vec<(&str, String)> = [
            ("Session-Expires", self.session_expires),
            ("Min-SE", self.min_se),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?.to_string())))
        .collect();
        let headers: Vec<(&str, &str)> = self
            .credential_lines
            .iter()
            .chain(&timer_lines)
            .map(|(name, value)| (*name, value.as_str()))
            .chain(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .collect();
        let invite = self
            .head
            .invite(&branch, self.cseq, &headers, &self.sdp_offer);
        self.branch = branch;
        self.stage = Stage::Calling;
        invite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> OutgoingCall {
        OutgoingCall {
            request_uri: "sip:bob@example.com".into(),
            from: "\"Alice\" <sip:alice@192.0.2.1>".into(),
            to: "sip:bob@example.com".into(),
            headers: vec![("X-Room".into(), "42".into())],
            route: vec!["<sip:proxy.example.com;lr>".into()],
            destination: "192.0.2.5:5060".parse().unwrap(),
            transport: Transport::Udp,
            local: "192.0.2.1:5060".parse().unwrap(),
            sdp_offer: String::new(),
            credentials: None,
            max_forwards: MAX_FORWARDS,
        }
    }

    #[test]
    fn fields_are_checked_and_named() {
        assert_eq!(call().check(), Ok(()));
        let invalid = |field: &'static str, value: &str| {
            Err(CallError::InvalidAddress {
                field,
                value: value.into(),
            })
        };
        for uri in [
            "bob@example.com",
            "sip:bob@example.com?X=1",
            "tel:+123",
            "sip:",
            "sip:u@gw;x=a@evil",
            "sip:u@gw@evil",
            "sip:2001:db8::1",
        ] {
            let c = OutgoingCall {
                request_uri: uri.into(),
                ..call()
            };
            assert_eq!(c.check(), invalid("Request-URI", uri), "{uri}");
        }
        for from in ["<sip:a@b>;tag=1", "\"A <sip:a@b>", "<sip:a@b>\r\nX: 1"] {
            let c = OutgoingCall {
                from: from.into(),
                ..call()
            };
            assert_eq!(c.check(), invalid("From", from), "{from}");
        }
        let c = OutgoingCall {
            route: vec!["sip:proxy;lr".into()],
            ..call()
        };
        assert_eq!(c.check(), invalid("Route", "sip:proxy;lr"));
        for name in ["Route", "max-forwards", "Via", "Bad Name"] {
            let c = OutgoingCall {
                headers: vec![(name.into(), "x".into())],
                ..call()
            };
            assert!(
                matches!(c.check(), Err(CallError::InvalidHeader { .. })),
                "{name}"
            );
        }
    }
}
