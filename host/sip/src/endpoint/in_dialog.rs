//! The peer's requests in a confirmed call: re-INVITE (RFC 3261 §14.2) and UPDATE
//! (RFC 3311 §5.2) with or without an offer, INFO with DTMF, and the responses that state the
//! session timer (RFC 4028 §9).

use std::net::SocketAddr;
use std::time::Instant;

use super::inbound::{parse_offer, trying, without_offer};
use super::session::can_offer;
use super::{Endpoint, Owner, TxEntry};
use crate::body;
use crate::build::{Extensions, LocalContact, ResponseBuilder};
use crate::call::{Call, CallKey, Phase};
use crate::dialog::Dialog;
use crate::dtmf_relay::{self, DTMF_RELAY};
use crate::event::Event;
use crate::hosts::HostCounts;
use crate::message::Request;
use crate::prack::Reliable;
use crate::reply::{Refusal, Reply};
use crate::sdp::Offer;
use crate::session::timer::{self, Agreed, TooSmall};
use crate::session::{IncomingOffer, UpdateReply};
use crate::transaction::{ServerKey, Transaction, TxId};

impl Endpoint {
    /// The peer's re-INVITE in `call` (§14.2), which is not ending.
    pub(super) fn on_reinvite(
        &mut self,
        now: Instant,
        key: ServerKey,
        call: CallKey,
        request: Request,
    ) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        heard_from(&mut self.tcp_peers, &mut state.dialog, request.peer);
        if state.session.incoming.is_some() || state.phase == Phase::Offered {
            // §14.2: an INVITE before our final response to the previous one (a re-INVITE's,
            // or the call's own in its early dialog).
            let response = self.retry_later(&request);
            return self.send_new_invite_final(now, key, &request, (500, response), None);
        }
        // §14.2: our own offer is outstanding, or our 2xx (of the call or a re-INVITE) awaits
        // its ACK.
        if !can_offer(state) {
            return self.reply(now, key, &request, Reply::RequestPending);
        }
        let agreed = match timer::negotiate(&request.raw, &self.session_timers) {
            Ok(agreed) => agreed,
            Err(TooSmall(min_se)) => {
                let response = too_small(&request, min_se, None, &self.user_agent);
                return self.send_new_invite_final(now, key, &request, (422, response), None);
            }
        };
        match read_body_offer(&request) {
            Err(refused) => self.reply(now, key, &request, Reply::RefusedOffer(refused)),
            // §14.2 and RFC 3264 §8: no offer — our 2xx offers the current session and the
            // ACK brings the answer.
            Ok(None) => {
                state.dialog.accept_target_refresh(&request);
                let sdp = state.session.offer_current(state.local_sdp.as_deref());
                let ours = (state.dialog.contact(), Extensions::of(&self.session_timers));
                let response = ok(&request, ours, agreed, Some(&sdp), &self.user_agent);
                state.session.offer_in_2xx = Some(sdp);
                state.session.refreshed(now, agreed);
                state.await_ack(now, request.cseq, response.clone(), request.destination);
                let tx = self.new_invite_server(key, &request, Some(call), None);
                self.send_invite_final(now, tx, 200, response);
                self.reschedule(Owner::Call(call));
                self.reschedule(Owner::Session(call));
            }
            Ok(Some(offer)) => {
                let tx = self.new_invite_server(key, &request, Some(call), None);
                self.trying_unless_answered(now, tx, &request);
                self.offered(
                    call,
                    IncomingOffer::Reinvite {
                        request: Box::new(request),
                        tx,
                    },
                    agreed,
                    offer,
                );
            }
        }
    }

    /// The peer's UPDATE in `call` (RFC 3311 §5.2), which is not ending.
    pub(super) fn on_update(
        &mut self,
        now: Instant,
        key: ServerKey,
        call: CallKey,
        request: Request,
    ) {
        let offer = read_body_offer(&request);
        let has_offer = !matches!(offer, Ok(None));
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        heard_from(&mut self.tcp_peers, &mut state.dialog, request.peer);
        // RFC 3311 §5.2: an offer while one of ours is unanswered gets 491; while one of the
        // peer's is unanswered, 500 with Retry-After.
        if has_offer && (state.session.incoming.is_some() || invite_offer_unanswered(state)) {
            let response = self.retry_later(&request);
            return self.send_update_final(call, &request, response);
        }
        // RFC 3311 §5.2: once our answer went in a PRACKed reliable provisional response, an
        // offer in the early dialog is a new one. The session changes only from the call's
        // 2xx on, which carries the application's answer to the INVITE's offer: refused with
        // 488, the early session stays.
        if has_offer && state.phase == Phase::Offered {
            let response = ResponseBuilder::new(
                &request.raw,
                488,
                "Not Acceptable Here",
                None,
                &self.user_agent,
            )
            .build();
            return self.send_update_final(call, &request, response);
        }
        if has_offer && state.session.negotiating() {
            return self.reply(now, key, &request, Reply::RequestPending);
        }
        let agreed = match timer::negotiate(&request.raw, &self.session_timers) {
            // RFC 4028 §9: the session timer starts with the INVITE's 2xx, which
            // negotiates it; before it there is no session to refresh or expire.
            _ if state.phase == Phase::Offered => None,
            Ok(agreed) => agreed,
            Err(TooSmall(min_se)) => {
                let response = too_small(&request, min_se, None, &self.user_agent);
                return self.send_update_final(call, &request, response);
            }
        };
        match offer {
            Err(refused) => {
                let response = self.compose(Reply::RefusedOffer(refused), &request, None);
                self.send_update_final(call, &request, response);
            }
            // RFC 4028 §7.4: an UPDATE without offer refreshes the session only, and RFC
            // 3311 §5.2 the target.
            Ok(None) => {
                state.dialog.accept_target_refresh(&request);
                let ours = (state.dialog.contact(), Extensions::of(&self.session_timers));
                let response = ok(&request, ours, agreed, None, &self.user_agent);
                // Before the answer, the INVITE's own agreement stands for its 2xx.
                let refreshes = state.phase != Phase::Offered;
                if refreshes {
                    state.session.refreshed(now, agreed);
                }
                self.send_update_final(call, &request, response);
                if refreshes {
                    self.reschedule(Owner::Session(call));
                }
            }
            Ok(Some(offer)) => self.offered(
                call,
                IncomingOffer::Update {
                    request: Box::new(request),
                },
                agreed,
                offer,
            ),
        }
    }

    /// A retransmission of the peer's UPDATE in `call` is absorbed by its server transaction
    /// (§17.2.2): it gets the final response again once one went, and nothing while the
    /// UPDATE's offer waits for the application. Returns whether `request` was one.
    pub(super) fn on_update_retransmission(&mut self, call: CallKey, request: &Request) -> bool {
        let Some(session) = self.calls.get(&call).map(|state| &state.session) else {
            return false;
        };
        match session
            .update_reply
            .as_ref()
            .filter(|reply| reply.cseq == request.cseq)
        {
            Some(reply) => {
                self.out.resend(reply.destination, &reply.response);
                true
            }
            None => session.awaits_answer(request),
        }
    }

    /// The peer's INFO in `call`. An `application/dtmf-relay` body is a key press (200 and
    /// [`Event::Dtmf`]; 400 if it names none); an empty one is a keepalive (200, RFC 6086
    /// §4.2.2 allows INFO without body). Any other body gets 415 naming dtmf-relay: a 200
    /// would tell the peer its content was acted upon (§21.4.13).
    pub(super) fn on_info(
        &mut self,
        now: Instant,
        key: ServerKey,
        call: CallKey,
        request: Request,
    ) {
        let body = &request.raw.body;
        let reply = if body.iter().all(u8::is_ascii_whitespace) {
            Reply::Ok
        } else if media_type(&request).is_some_and(|t| t.eq_ignore_ascii_case(DTMF_RELAY)) {
            match dtmf_relay::parse(body) {
                Some(key) => {
                    self.events.push_back(Event::Dtmf {
                        call,
                        digit: key.digit,
                        duration_ms: key.duration_ms,
                    });
                    Reply::Ok
                }
                None => Reply::MalformedBody,
            }
        } else {
            Reply::UnsupportedInfo
        };
        self.reply(now, key, &request, reply);
    }

    /// The ACK of our 2xx to a re-INVITE: after an offerless one it carries the answer to
    /// the offer in our 2xx (§14.2). Without a usable answer the previous session stays, and
    /// the application hears of it ([`Event::UnusableAnswer`]): the peer took our offer.
    pub(super) fn on_reinvite_ack(&mut self, call: CallKey, ack: &Request) {
        if let Some(Err(offer)) = self.answer_in_ack(call, ack) {
            let no_sdp = body::carries_no_sdp(&ack.raw.headers, &ack.raw.body);
            self.events.push_back(Event::UnusableAnswer {
                call,
                offer,
                no_sdp,
            });
        }
    }

    /// The ACK of our 2xx to an INVITE without an offer (a late offer): the answer to the
    /// offer in our 2xx must be in it (§13.2.1). Without a usable one the call has no session
    /// to carry media: it is hung up.
    pub(super) fn on_late_answer(&mut self, now: Instant, call: CallKey, ack: &Request) {
        if !matches!(self.answer_in_ack(call, ack), Some(Ok(()))) {
            let _ = self.hangup(now, call);
        }
    }

    /// Takes the answer in `ack` to the offer in our 2xx ([`Event::OfferAnswered`]); `Err`
    /// with that offer when there is none usable, `None` when no offer of ours waited for it.
    fn answer_in_ack(&mut self, call: CallKey, ack: &Request) -> Option<Result<(), String>> {
        let state = self.calls.get_mut(&call)?;
        let offer = state.session.offer_in_2xx.take()?;
        let Some(answer) = body::description(&ack.raw.headers, &ack.raw.body, ack.source.ip())
        else {
            return Some(Err(offer));
        };
        state.local_sdp = Some(offer.clone());
        self.events.push_back(Event::OfferAnswered {
            call,
            answer,
            offer,
        });
        Some(Ok(()))
    }

    /// The 422 to the peer's dialog-creating INVITE, with our tag `tag`.
    pub(super) fn too_small_invite(
        &mut self,
        now: Instant,
        key: ServerKey,
        request: &Request,
        min_se: u32,
        tag: &str,
    ) {
        let response = too_small(request, min_se, Some(tag), &self.user_agent);
        self.send_new_invite_final(now, key, request, (422, response), Some(tag));
    }

    /// Has the new INVITE server transaction `tx` of the peer's re-INVITE `request` send
    /// 100 (Trying) unless the application answers its offer within 200 ms (§17.2.1).
    fn trying_unless_answered(&mut self, now: Instant, tx: TxId, request: &Request) {
        let trying = trying(request, &self.user_agent);
        if let Some(TxEntry {
            tx: Transaction::InviteServer(invite),
            ..
        }) = self.transactions.get_mut(&tx)
        {
            invite.trying_unless_answered(now, trying);
        }
        self.reschedule(Owner::Tx(tx));
    }

    /// Files the peer's offer in `incoming` and tells the application.
    fn offered(
        &mut self,
        call: CallKey,
        incoming: IncomingOffer,
        agreed: Option<Agreed>,
        offer: Offer,
    ) {
        if let Some(state) = self.calls.get_mut(&call) {
            state.session.incoming = Some(incoming);
            state.session.incoming_timer = agreed;
            self.events.push_back(Event::SessionOffer { call, offer });
        }
    }

    /// Sends the final response to an UPDATE and keeps it for the UPDATE's retransmissions.
    pub(super) fn send_update_final(
        &mut self,
        call: CallKey,
        request: &Request,
        response: Vec<u8>,
    ) {
        self.out.send(request.destination, response.clone());
        if let Some(state) = self.calls.get_mut(&call) {
            state.session.update_reply = Some(UpdateReply {
                cseq: request.cseq,
                response,
                destination: request.destination,
            });
        }
    }

    /// `500` with a Retry-After of 0 to 10 s, for an offer that crosses one of the peer's
    /// own (§14.2, RFC 3311 §5.2).
    fn retry_later(&mut self, request: &Request) -> Vec<u8> {
        let seconds = (self.ids.number() % 11).to_string();
        ResponseBuilder::new(
            &request.raw,
            500,
            "Server Internal Error",
            None,
            &self.user_agent,
        )
        .extra_headers(&[("Retry-After", &seconds)])
        .build()
    }
}

/// Whether the offer of the call's INVITE waits for our answer: the call is offered, and no
/// reliable provisional response of ours that carried the answer was PRACKed (RFC 3262 §5).
fn invite_offer_unanswered(state: &Call) -> bool {
    state.phase == Phase::Offered
        && !state
            .reliable
            .as_ref()
            .is_some_and(Reliable::answer_acknowledged)
}

/// A 200 to the peer's `request` with our Contact `contact` (RFC 3311 §5.2 wants one on
/// UPDATE too), our capabilities with `extensions`, the session timer's headers and `sdp`, if
/// any.
pub(super) fn ok(
    request: &Request,
    (contact, extensions): (LocalContact, Extensions),
    agreed: Option<Agreed>,
    sdp: Option<&str>,
    server: &str,
) -> Vec<u8> {
    let builder = ResponseBuilder::new(&request.raw, 200, "OK", None, server)
        .contact(contact)
        .capabilities(extensions);
    let builder = with_timer(builder, agreed);
    match sdp {
        Some(sdp) => builder.sdp(sdp),
        None => builder,
    }
    .build()
}

/// `builder` with the headers that state the session timer `agreed`, if any (RFC 4028 §9).
pub(super) fn with_timer(builder: ResponseBuilder, agreed: Option<Agreed>) -> ResponseBuilder {
    let Some(agreed) = agreed else {
        return builder;
    };
    let headers = agreed.response_headers();
    let lines: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    builder.extra_headers(&lines)
}

/// `422 Session Interval Too Small` with our Min-SE (RFC 4028 §9).
fn too_small(request: &Request, min_se: u32, tag: Option<&str>, server: &str) -> Vec<u8> {
    ResponseBuilder::new(&request.raw, 422, "Session Interval Too Small", tag, server)
        .extra_headers(&[("Min-SE", &min_se.to_string())])
        .build()
}

/// The peer of `dialog` sent a target refresh request from `source` ([`Dialog::heard_from`]),
/// its TCP peer counted in `tcp_peers` ([`Endpoint::uses_tcp_connection`]) where it now is.
/// Whether the request is accepted or refused, the peer is there: a phone behind NAT that
/// reconnected is reached on its new connection, whose Contact (the remote target) changes
/// only with a 2xx ([`Dialog::accept_target_refresh`]).
fn heard_from(tcp_peers: &mut HostCounts<SocketAddr>, dialog: &mut Dialog, source: SocketAddr) {
    if let Some(before) = dialog.tcp_peer() {
        tcp_peers.release(before);
    }
    dialog.heard_from(source);
    if let Some(after) = dialog.tcp_peer() {
        tcp_peers.add(after);
    }
}

/// The SDP offer in a request: `None` when it offers none ([`without_offer`]: a late offer in
/// a new INVITE), `Err` with the refusal of an unusable one (in a dialog the previous session
/// stays, §14.2).
pub(super) fn read_body_offer(request: &Request) -> Result<Option<Offer>, Refusal> {
    if without_offer(request) {
        return Ok(None);
    }
    parse_offer(request).map(Some)
}

/// The media type of the Content-Type, without parameters.
fn media_type(request: &Request) -> Option<&str> {
    body::content_type(&request.raw.headers)?
        .split(';')
        .next()
        .map(str::trim)
}
