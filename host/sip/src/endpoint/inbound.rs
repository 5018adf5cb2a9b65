//! What the endpoint does with each received request and response.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rsip::headers::UntypedHeader;

use super::in_dialog::read_body_offer;
use super::{
    ClientKey, Ended, Endpoint, MergeKey, Owner, TxEntry, TxId, file_call, is_new_invite, progress,
};
use crate::body::{self, BodyError};
use crate::build::{ACCEPT, Extensions, ResponseBuilder};
use crate::call::{Acked, Call, CallKey, Phase};
use crate::dialog::{Dialog, DialogId};
use crate::event::{EndCause, Event, IncomingCall};
use crate::fields;
use crate::header_text::has_tag;
use crate::hosts::Host;
use crate::message::{self, Rejection, Request};
use crate::method::Method;
use crate::prack::{RELIABLE_TAG, Reliable};
use crate::reply::{Refusal, Reply, required};
use crate::sdp::{Offer, OfferError};
use crate::session;
use crate::session::timer::{self, TooSmall};
use crate::transaction::{Absorbed, ServerKey, Transaction};
use crate::transport::TransportAddr;
use crate::wire::RawRequest;

/// The INVITE server transaction a CANCEL matches (§9.2).
pub(super) struct CancelledInvite {
    /// The transaction and its call, if the INVITE still awaits its final response: the
    /// CANCEL then has an effect.
    proceeding: Option<(TxId, CallKey)>,
    /// The To tag the INVITE's responses add, if any.
    to_tag: Option<String>,
}

impl Endpoint {
    /// A request from `source` to `local`; `too_large` if it exceeded the size limit.
    pub(super) fn on_request(
        &mut self,
        now: Instant,
        local: TransportAddr,
        source: TransportAddr,
        raw: RawRequest,
        too_large: bool,
    ) {
        let request = match message::validate_request(raw, local.addr, source, too_large) {
            Ok(request) => request,
            Err(Rejection::Unroutable) if too_large => {
                self.stats.dropped_too_large += 1;
                return;
            }
            Err(Rejection::Unroutable) => {
                self.stats.dropped_unroutable_requests += 1;
                return;
            }
            Err(Rejection::Refused {
                raw,
                destination,
                code,
                reason,
            }) => return self.refuse_stateless(now, source.addr, &raw, destination, code, &reason),
        };
        let method = request.method;
        self.stats.requests_received.count(method);
        // §17.2.3: a request matching a server transaction is a retransmission, or the ACK
        // of a non-2xx final response.
        let tx_method = match method {
            Method::ACK => Method::INVITE,
            other => other,
        };
        let key = ServerKey::new(&request.transaction_id, tx_method);
        if let Some(&id) = self.server_index.get(&key) {
            return self.on_matched_request(now, id, method);
        }
        match self.lingering.on_request(
            &key,
            method,
            &request.raw,
            request.destination,
            &self.user_agent,
            &mut self.out,
        ) {
            Some(Absorbed::Retransmission) => {
                self.stats.request_retransmissions_received += 1;
                return;
            }
            Some(Absorbed::Ack) => return,
            // RFC 6026 §7.1: the ACK of a 2xx (or a new request) goes on to the core.
            None => {}
        }
        if self.answered_as_refused(&request) {
            return;
        }
        if method == Method::ACK {
            return self.on_ack(now, &request);
        }
        if !self.admit(now, source.addr) {
            return;
        }
        if !self.has_room_for(&request) {
            return self.overloaded(now, &request);
        }
        let extensions = Extensions::of(&self.session_timers);
        // §8.2.1: a method the endpoint does not implement (extension methods included) gets
        // 405 before any of §8.2.2's checks of the request's headers.
        let implemented = matches!(
            method,
            Method::INVITE
                | Method::BYE
                | Method::OPTIONS
                | Method::UPDATE
                | Method::INFO
                | Method::CANCEL
                | Method::PRACK
        );
        if !implemented {
            return self.reply(now, key, &request, Reply::MethodNotAllowed(extensions));
        }
        match (method, request.to_tag.is_some()) {
            (Method::CANCEL, _) => self.on_cancel(now, key, request),
            // §16.3 step 3: a request out of hops goes no further and gets 483, but OPTIONS
            // may be answered (§11). A CANCEL (above) only refers to its INVITE's transaction.
            _ if request.max_forwards == Some(0) && method != Method::OPTIONS => {
                if is_new_invite(&request) {
                    self.stats.invites_refused_too_many_hops += 1;
                }
                self.reply(now, key, &request, Reply::TooManyHops)
            }
            // §8.2.2.3: a request that requires an extension the endpoint does not support.
            _ if !required(&request.raw, extensions).is_empty() => {
                if is_new_invite(&request) {
                    self.stats.invites_refused_unsupported_extension += 1;
                }
                self.reply(now, key, &request, Reply::BadExtension(extensions))
            }
            (
                Method::INVITE
                | Method::BYE
                | Method::OPTIONS
                | Method::UPDATE
                | Method::INFO
                | Method::PRACK,
                true,
            ) => self.on_in_dialog(now, key, request),
            (Method::INVITE, false) => self.on_new_invite(now, local, key, request),
            (Method::OPTIONS, false) => self.reply(now, key, &request, Reply::Options(extensions)),
            // BYE, UPDATE, INFO and PRACK outside a dialog (§12.2.2, RFC 3311 §5.2, RFC 6086
            // §4.2.2, RFC 3262 §4): they only exist inside one.
            _ => self.reply(now, key, &request, Reply::NoSuchCall),
        }
    }

    /// Hands a request to the live INVITE server transaction it matched: a retransmitted
    /// INVITE, or the ACK of its non-2xx (the ACK of a 2xx finds the transaction lingering).
    fn on_matched_request(&mut self, now: Instant, id: TxId, method: Method) {
        let Some(TxEntry {
            tx: Transaction::InviteServer(invite),
            ..
        }) = self.transactions.get_mut(&id)
        else {
            return;
        };
        if method == Method::ACK {
            invite.on_ack();
        } else {
            self.stats.request_retransmissions_received += 1;
            invite.on_request_retransmission(&mut self.out);
        }
        self.reschedule_invite(now, id);
    }

    /// A new INVITE (no To tag): a call, unless it is another copy of an INVITE already here,
    /// forked to us twice upstream (§8.2.2.2), which gets 482.
    fn on_new_invite(
        &mut self,
        now: Instant,
        local: TransportAddr,
        key: ServerKey,
        request: Request,
    ) {
        let merge = MergeKey::of(&request);
        if self.is_merged(&merge) {
            self.stats.invites_refused_loop_detected += 1;
            return self.reply(now, key, &request, Reply::LoopDetected);
        }
        self.on_invite(now, local, merge, key, request);
    }

    /// A new call for the INVITE `request` of merge key `merge` received at `local`, or the
    /// response that refuses it.
    fn on_invite(
        &mut self,
        now: Instant,
        local: TransportAddr,
        merge: MergeKey,
        key: ServerKey,
        request: Request,
    ) {
        let local_tag = self.ids.tag();
        let dialog = match Dialog::uas(&request, local_tag, local) {
            Ok(dialog) => dialog,
            Err(reason) => {
                self.stats.invites_refused_bad_request += 1;
                self.stats.bad_requests_sent += 1;
                let tag = self.ids.tag();
                let response =
                    ResponseBuilder::new(&request.raw, 400, &reason, Some(&tag), &self.user_agent)
                        .build();
                return self.send_new_invite_final(now, key, &request, (400, response), Some(&tag));
            }
        };
        let offer = match read_body_offer(&request) {
            Ok(offer) => offer,
            Err(refusal) => {
                self.stats.invites_refused_unusable_offer += 1;
                let tag = Some(dialog.id().local_tag.as_str());
                return self.reply_tagged(now, key, &request, Reply::RefusedOffer(refusal), tag);
            }
        };
        let timer = match timer::negotiate(&request.raw, &self.session_timers) {
            Ok(timer) => timer,
            Err(TooSmall(min_se)) => {
                self.stats.invites_refused_session_interval_too_small += 1;
                let tag = dialog.id().local_tag.clone();
                return self.too_small_invite(now, key, &request, min_se, &tag);
            }
        };
        let call = CallKey::new(self.next_id());
        let local_tag = Some(dialog.id().local_tag.as_str());
        let tx = self.new_invite_server(key, &request, Some(call), local_tag);
        self.file_merge_key(tx, merge.clone());
        // §17.2.1: the endpoint always answers 100 Trying at once.
        let trying = trying(&request, &self.user_agent);
        if let Some(TxEntry {
            tx: Transaction::InviteServer(invite),
            ..
        }) = self.transactions.get_mut(&tx)
        {
            invite.send_provisional(trying, &mut self.out);
        }
        let incoming = incoming_call(call, &request, offer);
        self.dialogs.insert(dialog.id().clone(), call);
        self.offered.insert(merge, call);
        let peer_allows_update = session::allows_update(&request.raw.headers);
        // RFC 3262 §3: the first RSeq is drawn from 1 to 2^31 - 1.
        let first_rseq = (self.ids.number() >> 1).max(1);
        let reliable =
            has_tag(&request.raw, "Require", RELIABLE_TAG).then(|| Reliable::new(first_rseq));
        let expires_at = invite_expires(&request)
            .and_then(|seconds| now.checked_add(Duration::from_secs(seconds.into())));
        let mut state = Box::new(Call::new(request, tx, dialog));
        state.reliable = reliable;
        state.expires_at = expires_at;
        state.session.timer = timer;
        state.session.peer_allows_update = peer_allows_update;
        file_call(&mut self.calls, &mut self.tcp_peers, call, state);
        // The INVITE's Expires runs whether or not the application acts on the call.
        self.reschedule(Owner::Call(call));
        self.stats.incoming_calls += 1;
        self.events.push_back(Event::IncomingCall(incoming));
    }

    fn on_in_dialog(&mut self, now: Instant, key: ServerKey, request: Request) {
        let id = DialogId::of_request(&request);
        let Some(call) = self
            .dialogs
            .get(&id)
            .copied()
            .filter(|call| self.calls.contains_key(call))
        else {
            if let Some(call) = self.placed_in_early_dialog(&id) {
                return self.on_early_request(now, key, call, request);
            }
            // RFC 3262 §3: a PRACK that crossed the final response of a call that ended.
            let owed = request.method == Method::PRACK
                && progress::rack_of(&request)
                    .is_some_and(|rack| self.late_pracks.take(&id, &rack));
            if owed {
                return self.reply(now, key, &request, Reply::Ok);
            }
            // §12.2.2: no such dialog.
            return self.reply(now, key, &request, Reply::NoSuchCall);
        };
        if request.method == Method::UPDATE && self.on_update_retransmission(call, &request) {
            self.stats.request_retransmissions_received += 1;
            return;
        }
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        if !state.dialog.accept_remote_cseq(request.cseq) {
            // §12.2.2: a CSeq lower than the last one is answered with 500.
            return self.reply(now, key, &request, Reply::CSeqOutOfOrder);
        }
        match request.method {
            Method::BYE => {
                let phase = state.phase;
                self.end_offer(now, call);
                self.reply(now, key, &request, Reply::Ok);
                match phase {
                    Phase::Ending => {}
                    // §15.1.2: a BYE on the early dialog; the INVITE still gets its final
                    // response, and 487 is the one recommended.
                    Phase::Offered => self.reject_offered(
                        now,
                        call,
                        487,
                        "Request Terminated",
                        &[],
                        EndCause::RemoteBye,
                    ),
                    Phase::Answered | Phase::Confirmed => {
                        self.end_call(now, call, EndCause::RemoteBye);
                    }
                }
            }
            // A call that is ending takes no new offer: its dialog is as good as gone.
            Method::INVITE | Method::UPDATE if state.phase == Phase::Ending => {
                self.reply(now, key, &request, Reply::NoSuchCall)
            }
            Method::INVITE => self.on_reinvite(now, key, call, request),
            Method::UPDATE => self.on_update(now, key, call, request),
            Method::INFO => self.on_info(now, key, call, request),
            Method::PRACK => self.on_prack(now, key, call, request),
            _ => {
                let extensions = Extensions::of(&self.session_timers);
                self.reply(now, key, &request, Reply::Options(extensions))
            }
        }
    }

    fn on_ack(&mut self, now: Instant, request: &Request) {
        let Some(&call) = self.dialogs.get(&DialogId::of_request(request)) else {
            self.stats.dropped_acks += 1;
            return;
        };
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        match state.on_ack(request.cseq) {
            Some(Acked::Confirmed) => {
                self.events.push_back(Event::CallConfirmed { call });
                if state.hangup_requested {
                    self.send_bye(now, call);
                } else if state.session.offer_in_2xx.is_some() {
                    self.on_late_answer(now, call, request);
                }
            }
            Some(Acked::Refreshed) => self.on_reinvite_ack(call, request),
            None => {}
        }
        self.reschedule(Owner::Call(call));
    }

    /// §9.2: CANCEL matches the INVITE server transaction with the same identity. If that
    /// INVITE has no final response yet it gets 487: the call's own INVITE ends the call, a
    /// re-INVITE leaves the session as it was. The CANCEL itself gets 200 with the To tag of
    /// the INVITE's responses, whatever answered it and whether or not its call lasts (481 if
    /// nothing matches).
    fn on_cancel(&mut self, now: Instant, key: ServerKey, request: Request) {
        let Some(invite) = self.invite_to_cancel(&request.transaction_id) else {
            return self.reply(now, key, &request, Reply::NoSuchCall);
        };
        // A re-INVITE's responses add no tag: its To, which the CANCEL repeats, has ours. A
        // CANCEL without it still gets one, as any final response does (§8.2.6.2).
        let tag = invite
            .to_tag
            .or_else(|| request.to_tag.is_none().then(|| self.ids.tag()));
        self.reply_tagged(now, key, &request, Reply::Ok, tag.as_deref());
        if let Some((tx, call)) = invite.proceeding {
            self.cancelled(now, call, tx);
        }
    }

    /// The INVITE of the server transaction `tx` in `call`, without a final response yet, was
    /// cancelled (§9.2): it gets 487. The call's own INVITE ends the call; a re-INVITE's offer
    /// waiting for the application is withdrawn, and the session stays as it was.
    fn cancelled(&mut self, now: Instant, call: CallKey, tx: TxId) {
        let Some(state) = self.calls.get(&call) else {
            return;
        };
        if state.phase == Phase::Offered && state.invite_tx == tx {
            self.reject_offered(
                now,
                call,
                487,
                "Request Terminated",
                &[],
                EndCause::Cancelled,
            );
        } else if state.session.incoming_reinvite() == Some(tx) {
            self.end_offer(now, call);
        }
    }

    /// What a CANCEL finds of the INVITE server transaction of identity `id`, live or
    /// lingering; `None` if there is none.
    pub(super) fn invite_to_cancel(&self, id: &str) -> Option<CancelledInvite> {
        let key = ServerKey::new(id, Method::INVITE);
        let live = self
            .server_index
            .get(&key)
            .and_then(|&tx| match self.transactions.get(&tx) {
                Some(TxEntry {
                    tx: Transaction::InviteServer(invite),
                    ..
                }) => Some(CancelledInvite {
                    proceeding: invite
                        .call()
                        .filter(|call| invite.is_proceeding() && self.calls.contains_key(call))
                        .map(|call| (tx, call)),
                    to_tag: invite.to_tag().map(str::to_owned),
                }),
                _ => None,
            });
        live.or_else(|| {
            let to_tag = self.lingering.invite_to_tag(id)?;
            Some(CancelledInvite {
                proceeding: None,
                to_tag,
            })
        })
    }

    /// Answers `request` with a final response through a new server transaction, adding a
    /// fresh To tag if the request has none (§8.2.6.2); one refusing it as malformed is
    /// counted ([`Stats::bad_requests_sent`](super::Stats::bad_requests_sent)).
    pub(super) fn reply(&mut self, now: Instant, key: ServerKey, request: &Request, reply: Reply) {
        let tag = request.to_tag.is_none().then(|| self.ids.tag());
        self.reply_tagged(now, key, request, reply, tag.as_deref());
    }

    fn reply_tagged(
        &mut self,
        now: Instant,
        key: ServerKey,
        request: &Request,
        reply: Reply,
        tag: Option<&str>,
    ) {
        let response = self.compose(reply, request, tag);
        if request.method == Method::INVITE {
            self.send_new_invite_final(now, key, request, (reply.code(), response), tag);
        } else {
            // §17.2.2: the final response goes out at once; "Completed" only waits for
            // retransmissions, answered with the response rebuilt from them.
            self.out.send(request.destination, response);
            let started = (key, Host::of(request.source.ip()));
            self.lingering
                .completed(now, started, request.destination.transport, reply, tag);
        }
    }

    /// Sends a final response with status `code` to an INVITE through a new INVITE server
    /// transaction; `to_tag` is the To tag the response added, if the INVITE had none.
    pub(super) fn send_new_invite_final(
        &mut self,
        now: Instant,
        key: ServerKey,
        request: &Request,
        (code, response): (u16, Vec<u8>),
        to_tag: Option<&str>,
    ) {
        let tx = self.new_invite_server(key, request, None, to_tag);
        self.send_invite_final(now, tx, code, response);
    }

    pub(super) fn on_response(&mut self, now: Instant, source: SocketAddr, raw: rsip::Response) {
        let Some(response) = message::validate_response(raw, source) else {
            self.stats.dropped_malformed_responses += 1;
            return;
        };
        if response.method == rsip::Method::Invite
            && let Some(&call) = self.reinvites.get(&response.branch)
        {
            return self.on_reinvite_response(now, call, response);
        }
        if response.method == rsip::Method::Invite
            && let Some(orphan) = self.orphaned_reinvites.get_mut(&response.branch)
        {
            if let Some((ack, destination)) = orphan.ack_to_send(response.code) {
                self.out.resend(destination, ack);
            }
            if (200..300).contains(&response.code)
                && let Some(call) = self.orphaned_reinvites.take_refused(&response.branch)
            {
                self.restore_session(now, call);
            }
            return;
        }
        let key = ClientKey {
            branch: response.branch.clone(),
            method: response.method.to_string(),
        };
        let Some(&id) = self.client_index.get(&key) else {
            self.stats.dropped_stray_responses += 1;
            return;
        };
        if let Some(TxEntry {
            tx: Transaction::InviteClient(_),
            ..
        }) = self.transactions.get(&id)
        {
            return self.on_invite_response(now, id, response);
        }
        let Some(entry) = self.transactions.get_mut(&id) else {
            return;
        };
        let request = entry.client_request();
        let Transaction::NonInviteClient(client) = &mut entry.tx else {
            return;
        };
        let waiting = client.owner();
        let outcome = client.on_response(now, response.code);
        if outcome.is_some()
            && let Some(to) = entry.awaiting.take()
        {
            self.awaiting_at.forget(to, id);
        }
        self.reschedule(Owner::Tx(id));
        if outcome.is_some()
            && !self.answer_bye_challenge(now, waiting, &response)
            && !self.answer_release_challenge(now, id, &response)
        {
            self.client_done(now, request, waiting, Ended::Answered(&response));
        }
    }
}

/// The 100 (Trying) to the INVITE `request`, with its Timestamp (§8.2.6.1) and Server
/// `server`.
pub(super) fn trying(request: &Request, server: &str) -> Vec<u8> {
    ResponseBuilder::new(&request.raw, 100, "Trying", None, server)
        .timestamp_of(&request.raw)
        .build()
}

/// The Expires of the INVITE `request`, in seconds: how long it offers its call (§13.3.1,
/// §20.19). `None` without one, or if it is no delta-seconds: the call then has no expiry
/// (RFC 4475 §3.1.2.4 lets a malformed value be ignored).
fn invite_expires(request: &Request) -> Option<u32> {
    let value = request.raw.headers.iter().find_map(|h| match h {
        rsip::Header::Expires(expires) => Some(expires.value()),
        _ => None,
    })?;
    fields::expires(value)
}

/// Whether `request` offers no session description ([`body::offers_none`]): it has no body
/// (only whitespace), or a multipart one of parts it lets us ignore without an SDP part (as
/// a SIP-I or SIP-T gateway's ISUP alone, RFC 3204). An INVITE so is a late offer (§13.2.1).
pub(super) fn without_offer(request: &Request) -> bool {
    body::offers_none(&request.raw.headers, &request.raw.body)
}

/// The SDP body of `request` as an offer, or the response that refuses it: 415 for another
/// body type or a content coding other than the identity, 406 if the request accepts no SDP answer, 400 for broken SDP, 488 for SDP
/// without usable audio or naming media addresses the request's source could not hold
/// ([`Offer::sent_by`]).
pub(super) fn parse_offer(request: &Request) -> Result<Offer, Refusal> {
    let source = request.source.ip();
    let offer =
        body::parse(&request.raw.headers, &request.raw.body, source).map_err(|why| match why {
            BodyError::MalformedMultipart => Refusal::MalformedMultipart,
            // §8.2.3: a content coding we do not understand gets 415 with Accept-Encoding.
            BodyError::UnsupportedEncoding => Refusal::UnsupportedEncoding,
            // RFC 5621 §9.1: a part the request requires us to understand, and we do not.
            BodyError::NotSdp | BodyError::NoSdpPart | BodyError::UnsupportedPart { .. } => {
                Refusal::UnsupportedMediaType
            }
        })?;
    // RFC 4475 §3.3.15: the answer could be given in no type the request accepts.
    if !accepts_sdp(request) {
        return Err(Refusal::AnswerNotAccepted);
    }
    offer.map_err(|e| match e {
        OfferError::Malformed(_) => Refusal::MalformedSdp,
        OfferError::NoAudio => Refusal::NoAudio,
        OfferError::UnsupportedAddress(_) => Refusal::UnsupportedAddress,
        OfferError::ForeignAddress(_) => Refusal::ForeignAddress,
    })
}

/// Whether a response to `request` may carry SDP: it has no Accept header, or a media range of
/// one covers [`ACCEPT`] (§20.1; an empty Accept accepts nothing).
fn accepts_sdp(request: &Request) -> bool {
    let mut accepts = request
        .raw
        .headers
        .iter()
        .filter_map(|h| match h {
            rsip::Header::Accept(accept) => Some(accept.value()),
            _ => None,
        })
        .peekable();
    if accepts.peek().is_none() {
        return true;
    }
    accepts
        .flat_map(|value| value.split(','))
        .map(|range| range.split(';').next().unwrap_or_default().trim())
        .any(|range| {
            ["*/*", "application/*", ACCEPT]
                .iter()
                .any(|covering| range.eq_ignore_ascii_case(covering))
        })
}

fn incoming_call(call: CallKey, request: &Request, offer: Option<Offer>) -> IncomingCall {
    IncomingCall {
        call,
        request_uri: request.uri.clone(),
        request_user: request.user.clone(),
        from_uri: request.from.uri.clone(),
        from_user: request.from.user.clone(),
        from_display_name: request
            .from
            .display_name
            .as_deref()
            .map(message::unquote)
            .filter(|name| !name.is_empty()),
        to_uri: request.to.uri.clone(),
        call_id: request.call_id.clone(),
        headers: message::header_pairs(&request.raw.headers),
        source: request.source,
        offer,
    }
}
