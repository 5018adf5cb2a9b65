//! The UAC core: placing calls, the responses to our INVITEs, CANCEL and Digest retries
//! (RFC 3261 §8.1, §9.1, §13.2, §22; RFC 6026 §7.2).

use std::collections::HashMap;
use std::time::Instant;

use super::{CallError, ClientKey, Endpoint, Owner, TxEntry, TxKey, file_call};
use crate::auth::{Authenticator, Challenger};
use crate::body;
use crate::build::Extensions;
use crate::call::{Call, CallKey, Phase};
use crate::dialog::{Dialog, Parts};
use crate::event::{EndCause, Event};
use crate::header_text::{has_tag, texts};
use crate::message::{self, Rejection, Request, Response};
use crate::outgoing::{Hangup, MAX_DIALOGS, OutgoingCall, Placed, Stage};
use crate::prack::RELIABLE_TAG;
use crate::request::Head;
use crate::sdp::Offer;
use crate::session::{self, timer};
use crate::transaction::{ClientOutcome, InviteClient, Transaction, TxId};
use crate::transport::TransportAddr;
use crate::wire::{self, Datagram};

/// The most PRACKs one placed call sends: a callee sends its next reliable provisional
/// response only once the last is PRACKed (RFC 3262 §3), so a real one needs a handful, while
/// one that numbered 180s on and on without bound would have a PRACK transaction, and its
/// retransmissions over UDP, sent for each, to where its Contact says.
const MAX_PRACKS: usize = 32;

impl Endpoint {
    /// Places a call: sends the INVITE with the SDP offer, a fresh Call-ID and From tag, to
    /// `call.destination` over `call.transport`, retransmitted by Timer A until a response
    /// (over UDP only). Timer B (64*T1), or a failure of the transport to its destination
    /// ([`Endpoint::transport_failed`]), gives it up if no response comes at all; once a
    /// provisional response came, only a final response or [`Endpoint::hangup`] ends it
    /// (§17.1.1.2). What follows is reported as
    /// [`Event::CallProgress`] for each provisional response (with [`Event::Dtmf`] for a key the
    /// callee sends by INFO in an early dialog), then [`Event::CallAnswered`]
    /// (the 2xx was ACKed; the call then ends with [`Event::CallEnded`]) or
    /// [`Event::CallFailed`]. A `401`/`407` is answered with the call's credentials once for
    /// each realm it brings, up to four realms (each proxy on the path may challenge), and
    /// once more for a realm whose new challenge says `stale=true`. Returns the call's key; [`CallError::InvalidAddress`] or [`CallError::InvalidHeader`] names a field
    /// that cannot be sent as given, [`CallError::InvalidRequest`] an INVITE the endpoint
    /// would itself refuse (say, for a SIPS Request-URI over UDP or TCP), and nothing is sent
    /// then.
    pub fn invite(&mut self, now: Instant, call: OutgoingCall) -> Result<CallKey, CallError> {
        call.check()?;
        let local = TransportAddr::new(call.transport, call.local);
        let head = Head {
            uri: call.request_uri.clone(),
            from: call.from.clone(),
            from_tag: self.ids.tag(),
            to: call.to.clone(),
            call_id: format!("{}@{}", self.ids.tag(), call.local.ip()),
            route: call.route.clone(),
            local,
            user_agent: self.user_agent.clone(),
            max_forwards: call.max_forwards,
            extensions: Extensions::of(&self.session_timers),
        };
        let mut placed = Placed::new(call, head, &self.session_timers);
        let branch = self.ids.branch();
        // No challenge was taken yet, so no client nonce is asked for.
        let request = placed.next_invite(branch.clone(), String::new);
        placed.request = Some(read_back(&request, local)?);
        let key = CallKey::new(self.next_id());
        let destination = placed.destination;
        self.placed_call_ids
            .insert(placed.head.call_id.clone(), key);
        self.placed.insert(key, Box::new(placed));
        self.stats.outgoing_calls += 1;
        self.start_invite(now, key, branch, request, destination);
        Ok(key)
    }

    /// Sends the next INVITE of the placed call `call`, with credentials.
    fn resend_invite(&mut self, now: Instant, call: CallKey) {
        let branch = self.ids.branch();
        let Some(placed) = self.placed.get_mut(&call) else {
            return;
        };
        let ids = &mut self.ids;
        let request = placed.next_invite(branch.clone(), || ids.tag());
        let destination = placed.destination;
        self.start_invite(now, call, branch, request, destination);
    }

    /// Sends `request`, an INVITE of the placed call `call` with Via branch `branch`, to
    /// `destination` in a new client transaction.
    fn start_invite(
        &mut self,
        now: Instant,
        call: CallKey,
        branch: String,
        request: Vec<u8>,
        destination: TransportAddr,
    ) {
        let tx = InviteClient::new(now, destination, request, call, &mut self.out);
        let key = ClientKey {
            branch,
            method: rsip::Method::Invite.to_string(),
        };
        let tx = Transaction::InviteClient(tx);
        let sent_to = tx.sent_to();
        let id = self.insert_tx(TxKey::Client(key), tx, sent_to);
        if let Some(placed) = self.placed.get_mut(&call) {
            placed.tx = id;
        }
        self.follow_invite(call, id);
    }

    /// Records where the INVITE of client transaction `id` went now, if it is the latest of
    /// the placed call `call`: the call's TCP peer ([`Placed::tcp_peer`]) is counted in
    /// `tcp_peers` there, and no longer where the call's INVITE went before.
    pub(super) fn follow_invite(&mut self, call: CallKey, id: TxId) {
        let sent_to = self
            .transactions
            .get(&id)
            .and_then(|entry| entry.tx.sent_to());
        let Some(placed) = self.placed.get_mut(&call).filter(|placed| placed.tx == id) else {
            return;
        };
        if let Some(peer) = placed.tcp_peer() {
            self.tcp_peers.release(peer);
        }
        placed.sent_to = sent_to;
        if let Some(peer) = placed.tcp_peer() {
            self.tcp_peers.add(peer);
        }
    }

    /// Whether the placed call `call`, not hung up, has had no response at all to its
    /// INVITEs yet, not even 100 Trying or a challenge: its next hop may be down (RFC 3263
    /// §4.3), and the next target worth a try before Timer B. False for a call not being
    /// placed.
    pub fn unheard(&self, call: CallKey) -> bool {
        self.placed
            .get(&call)
            .is_some_and(|p| !p.heard && p.hangup == Hangup::No)
    }

    /// Whether the placed call `call` was hung up before any provisional response to its
    /// INVITE, its CANCEL waiting for one (§9.1). False for a call not being placed.
    pub(super) fn hung_up_unheard(&self, call: CallKey) -> bool {
        self.placed
            .get(&call)
            .is_some_and(|p| p.hangup == Hangup::Wanted)
    }

    /// Hangs up the placed call `call` if it has no final response yet (see
    /// [`Endpoint::hangup`]); returns whether it was such a call.
    pub(super) fn hangup_placed(&mut self, now: Instant, call: CallKey) -> bool {
        let Some(placed) = self.placed.get_mut(&call) else {
            return false;
        };
        match (placed.stage, placed.hangup) {
            (Stage::Accepted, _) => return false,
            // §9.1: a CANCEL before any provisional response could overtake the INVITE.
            (Stage::Calling, Hangup::No) => placed.hangup = Hangup::Wanted,
            (Stage::Ringing, Hangup::No) => self.send_cancel(now, call),
            (_, Hangup::Wanted | Hangup::Cancelled) => {}
        }
        true
    }

    /// Sends the CANCEL of the placed call's INVITE (§9.1) in a client transaction of its
    /// own, and gives the INVITE 64*T1 more for its final response.
    fn send_cancel(&mut self, now: Instant, call: CallKey) {
        let Some(placed) = self.placed.get_mut(&call) else {
            return;
        };
        placed.hangup = Hangup::Cancelled;
        let (branch, invite) = (placed.branch.clone(), placed.tx);
        let Some(tx) = invite_client(&mut self.transactions, invite) else {
            return;
        };
        let cancel = tx.cancel(now);
        self.reschedule(Owner::Tx(invite));
        self.start_non_invite(now, rsip::Method::Cancel, branch, cancel, None);
    }

    /// A response matched the INVITE client transaction `id`.
    pub(super) fn on_invite_response(&mut self, now: Instant, id: TxId, response: Response) {
        let Some(tx) = invite_client(&mut self.transactions, id) else {
            return;
        };
        let call = tx.owner();
        if let Some(placed) = self.placed.get_mut(&call) {
            placed.heard = true;
        }
        let passed = tx.on_response(now, response.code, response.to(), &mut self.out);
        self.reschedule(Owner::Tx(id));
        if !passed {
            if response.code >= 200 {
                self.stats.response_retransmissions_received += 1;
            }
            return;
        }
        match response.code {
            ..=199 => self.on_provisional(now, call, response),
            200..=299 => self.on_2xx(now, call, response),
            _ => self.on_final_failure(now, call, response),
        }
    }

    fn on_provisional(&mut self, now: Instant, call: CallKey, response: Response) {
        let Some(placed) = self.placed.get_mut(&call) else {
            return;
        };
        if placed.stage == Stage::Calling {
            placed.stage = Stage::Ringing;
        }
        match placed.hangup {
            Hangup::Wanted => return self.send_cancel(now, call),
            Hangup::Cancelled => return,
            Hangup::No => {}
        }
        if response.code == 100 {
            return;
        }
        if let Some(rseq) = reliable_rseq(&response.raw)
            && !self.prack(now, call, &response, rseq)
        {
            return;
        }
        let Some(placed) = self.placed.get_mut(&call) else {
            return;
        };
        // §12.1.2: a provisional response with a To tag makes an early dialog, in which the
        // callee may send requests (RFC 3311 §5.1: UPDATE); §13.2.1, RFC 3264 §4: an answer
        // in one comes with that tag.
        let early = response
            .to_tag
            .as_deref()
            .and_then(|tag| placed.early_dialog(tag));
        let answer = response
            .to_tag
            .as_ref()
            .and_then(|_| carried_answer(&response).flatten());
        if let (Some(answer), Some(index)) = (&answer, early) {
            placed.early_dialogs[index].answer = Some(answer.clone());
        }
        self.events.push_back(Event::CallProgress {
            call,
            code: response.code,
            reason: response.reason,
            answer,
        });
    }

    /// A reliable provisional response numbered `rseq` (RFC 3262 §4): the next of its early
    /// dialog (or its first) gets a PRACK in that dialog, and is taken; a retransmission, one
    /// out of order, or one past [`MAX_PRACKS`] for the call is discarded (`false`). One that
    /// cannot make a dialog (no To tag, an unreadable Contact or Record-Route) is taken as an
    /// unreliable one.
    fn prack(&mut self, now: Instant, call: CallKey, response: &Response, rseq: u32) -> bool {
        let branch = self.ids.branch();
        let Some(placed) = self.placed.get_mut(&call) else {
            return false;
        };
        let Some(tag) = response.to_tag.clone() else {
            return true;
        };
        if placed.pracks >= MAX_PRACKS {
            return false;
        }
        let Some(index) = placed.early_dialog(&tag) else {
            return false;
        };
        let early = &placed.early_dialogs[index];
        if early.rseq.is_some_and(|last| rseq != last.wrapping_add(1)) {
            return false;
        }
        let Ok(mut dialog) = Dialog::uac(
            &placed.head,
            &response.raw,
            tag,
            early.cseq,
            placed.destination.addr,
        ) else {
            return true;
        };
        let rack = [("RAck", format!("{rseq} {} INVITE", placed.cseq))];
        let parts = Parts {
            headers: &rack,
            ..Parts::default()
        };
        let (request, destination) =
            dialog.request_with(rsip::Method::PRack, &branch, &self.user_agent, &parts);
        let early = &mut placed.early_dialogs[index];
        early.rseq = Some(rseq);
        early.cseq = dialog.local_cseq();
        placed.pracks += 1;
        self.start_non_invite(
            now,
            rsip::Method::PRack,
            branch,
            (request, destination),
            None,
        );
        true
    }

    /// A 2xx: the first creates the call's dialog (or fails the call with 502 if it makes none);
    /// a retransmitted one gets its ACK again; one from another fork is ACKed and released
    /// with a BYE (§13.2.2.4, RFC 6026 §7.2).
    fn on_2xx(&mut self, now: Instant, call: CallKey, response: Response) {
        let Some(placed) = self.placed.get_mut(&call) else {
            return;
        };
        let remote_tag = response.to_tag.clone().unwrap_or_default();
        if let Some((_, ack)) = placed.acks.iter().find(|(t, _)| *t == remote_tag) {
            self.out.resend(ack.destination(), ack.request());
            self.stats.response_retransmissions_received += 1;
            return;
        }
        if placed.acks.len() >= MAX_DIALOGS {
            self.stats.dropped_stray_responses += 1;
            return;
        }
        let first = placed.stage != Stage::Accepted;
        if let Some(peer) = placed.tcp_peer() {
            self.tcp_peers.release(peer);
        }
        placed.stage = Stage::Accepted;
        // A dialog whose early part had PRACKs goes on from their CSeq numbers (§12.2.1.1),
        // and the callee's requests from theirs (§12.2.2), its latest UPDATE's response kept;
        // a 2xx without an answer has the one of its own early dialog (§13.2.1), if any.
        let mut early = placed
            .early_dialogs
            .iter_mut()
            .find(|early| early.tag == remote_tag);
        let cseq = early.as_ref().map_or(placed.cseq, |early| early.cseq);
        let remote_cseq = early.as_ref().map(|early| early.remote_cseq);
        let update_reply = early.as_mut().and_then(|early| early.update_reply.take());
        let early_answer = early.and_then(|early| early.answer.take());
        let dialog = Dialog::uac(
            &placed.head,
            &response.raw,
            remote_tag.clone(),
            cseq,
            placed.destination.addr,
        );
        let mut dialog = match dialog {
            Ok(dialog) => dialog,
            // With an unreadable Contact or Record-Route, the dialog has no remote target or
            // route set (§12.1.2) to send an ACK or a BYE by (§13.2.2.4): the callee gives up
            // after 64*T1 (§13.3.1.4). The call fails, but its record stays until Timer M, so
            // that other forks' 2xx responses are still ACKed and released.
            Err(problem) => {
                if first {
                    placed.request = None;
                    let hangup = placed.hangup;
                    self.report_failure(call, hangup, 502, problem.to_owned(), false);
                }
                return;
            }
        };
        if let Some(remote_cseq) = remote_cseq {
            dialog.continue_remote_cseq(remote_cseq);
        }
        let ack = dialog.ack(
            placed.cseq,
            &self.ids.branch(),
            &self.user_agent,
            &placed.credential_lines,
        );
        self.out.send(ack.destination(), ack.request().to_vec());
        if ack.moved_for_size() {
            self.acks_moved_for_size.insert(call);
        }
        placed.acks.push((remote_tag, ack));
        // The first 2xx takes the INVITE's record; a later one is from another fork.
        let Some(request) = placed.request.take() else {
            self.stats.forked_2xx_released += 1;
            let auth = placed.auth.as_ref().map(Authenticator::share);
            return self.release(now, dialog, auth);
        };
        // The answer a 2xx carries is the one that holds (RFC 3261 §13.2.1): one we cannot
        // take ends the call, rather than media going where the 183 said. Only a 2xx without
        // one (no body, or one of other types only: the ANM of a SIP-T gateway, RFC 3204)
        // stands on its dialog's early answer.
        let carried = carried_answer(&response);
        let carries_answer = carried.is_some();
        let answer = carried.unwrap_or(early_answer);
        let hung_up = placed.hangup != Hangup::No;
        if answer.is_none() && !hung_up {
            let auth = placed.auth.as_ref().map(Authenticator::share);
            self.release(now, dialog, auth);
            let reason = if carries_answer {
                "Not Acceptable Here (unusable SDP answer in the 2xx)"
            } else {
                "Not Acceptable Here"
            };
            return self.events.push_back(Event::CallFailed {
                call,
                code: 488,
                reason: reason.into(),
                try_next: false,
            });
        }
        // The call becomes one of the endpoint's calls, confirmed, so in-dialog requests,
        // re-INVITEs and hangups find it as they find an incoming one.
        let mut state = Call::new(request, placed.tx, dialog);
        state.phase = Phase::Confirmed;
        state.session.update_reply = update_reply;
        // Our offer fixes the o= line later descriptions keep (RFC 3264 §8), and the 2xx
        // the session timer (RFC 4028 §7.2: the UAS has the last word).
        state.local_sdp = Some(state.session.stamp(&placed.sdp_offer));
        state.session.refreshed(
            now,
            timer::from_answer(&response.raw, None, &self.session_timers),
        );
        state.session.min_se = placed.min_se.unwrap_or_default();
        state.session.peer_allows_update = session::allows_update(&response.raw.headers);
        self.dialogs.insert(state.dialog.id().clone(), call);
        file_call(&mut self.calls, &mut self.tcp_peers, call, Box::new(state));
        // The call's challenges and nonce counts are those of the placed call, which keeps its
        // authenticator for the BYEs releasing other forks' 2xx responses.
        if let Some(auth) = &placed.auth {
            self.authenticators.insert(call, auth.share());
        }
        self.reschedule(Owner::Session(call));
        match answer {
            Some(answer) if !hung_up => {
                self.events.push_back(Event::CallAnswered { call, answer });
            }
            // §9.1: the 2xx crossed our CANCEL; the session is ended with a BYE.
            _ => self.send_bye(now, call),
        }
    }

    /// A final non-2xx: a challenge is answered if the rules allow (§22.2, §22.3), otherwise
    /// the call fails, or ends if the application hung up.
    fn on_final_failure(&mut self, now: Instant, call: CallKey, response: Response) {
        let Some(placed) = self.placed.get_mut(&call) else {
            return;
        };
        let retry = placed.hangup == Hangup::No
            && Challenger::of(response.code).is_some_and(|from| {
                placed
                    .auth
                    .as_mut()
                    .is_some_and(|auth| auth.on_challenge(&response.raw, from, "INVITE"))
            });
        if retry {
            self.stats.auth_retries += 1;
            return self.resend_invite(now, call);
        }
        // RFC 4028 §7.3: asked again with the interval the 422 names.
        if response.code == 422
            && placed.hangup == Hangup::No
            && placed.raise_min_se(&response.raw, &self.session_timers)
        {
            return self.resend_invite(now, call);
        }
        // RFC 3263 §4.3: a 503 is the next hop's failure; the next target may serve.
        let try_next = response.code == 503;
        self.fail_placed(call, response.code, response.reason, try_next);
    }

    /// Forgets the placed call `call` and reports its failure with `code`, `reason` and
    /// `try_next` (see [`Event::CallFailed`]), or its end if the application hung up.
    pub(super) fn fail_placed(&mut self, call: CallKey, code: u16, reason: String, try_next: bool) {
        if let Some(placed) = self.forget_placed(call) {
            self.report_failure(call, placed.hangup, code, reason, try_next);
        }
    }

    /// Reports the failure of the placed call `call` with `code`, `reason` and `try_next`
    /// (see [`Event::CallFailed`]), or its end if the application hung up (`hangup`).
    fn report_failure(
        &mut self,
        call: CallKey,
        hangup: Hangup,
        code: u16,
        reason: String,
        try_next: bool,
    ) {
        self.events.push_back(match hangup {
            Hangup::No => Event::CallFailed {
                call,
                code,
                reason,
                try_next,
            },
            Hangup::Wanted | Hangup::Cancelled => Event::CallEnded {
                call,
                cause: EndCause::LocalHangup,
            },
        });
    }

    /// Removes the placed call `call`, and its Call-ID from the index of early dialogs.
    fn forget_placed(&mut self, call: CallKey) -> Option<Box<Placed>> {
        let placed = self.placed.remove(&call)?;
        self.acks_moved_for_size.remove(&call);
        if let Some(peer) = placed.tcp_peer() {
            self.tcp_peers.release(peer);
        }
        self.placed_call_ids.remove(&placed.head.call_id);
        Some(placed)
    }

    /// Runs the timers of the INVITE client transaction `id`. Timer B fails the call with
    /// 408, the next target worth a try (or ends it if the application hung up); once the transaction of a 2xx ends
    /// (Timer M), the call's record of it goes.
    pub(super) fn on_invite_client_timeout(&mut self, now: Instant, id: TxId) {
        let Some(tx) = invite_client(&mut self.transactions, id) else {
            return;
        };
        let call = tx.owner();
        let outcome = tx.on_timeout(now, &mut self.out);
        self.reschedule(Owner::Tx(id));
        // An INVITE answered by a challenge lives on after its call sent the next one.
        if self.placed.get(&call).is_none_or(|p| p.tx != id) {
            return;
        }
        if outcome == Some(ClientOutcome::Timeout) {
            self.fail_placed(call, 408, "Request Timeout".into(), true);
        } else if !self.transactions.contains_key(&id) {
            self.forget_placed(call);
        }
    }
}

/// `invite`, sent from `local`, read back as the endpoint reads requests: the answered call's
/// record of its INVITE. `Err` if the endpoint would refuse it itself.
fn read_back(invite: &[u8], local: TransportAddr) -> Result<Request, CallError> {
    let refused = |reason: String| CallError::InvalidRequest { reason };
    let Some(Datagram::Request(raw)) = wire::parse(invite) else {
        return Err(refused("Unreadable request".into()));
    };
    message::validate_request(*raw, local.addr, local, false).map_err(|rejection| match rejection {
        Rejection::Refused { reason, .. } => refused(reason),
        Rejection::Unroutable => refused("Unroutable request".into()),
    })
}

/// The RSeq of a reliable provisional response (RFC 3262 §3: `Require: 100rel` and an RSeq);
/// `None` for another.
fn reliable_rseq(response: &rsip::Response) -> Option<u32> {
    if !has_tag(response, "Require", RELIABLE_TAG) {
        return None;
    }
    texts(response, "RSeq").find_map(|value| value.trim().parse().ok())
}

/// The SDP answer `response` carries: `None` if its body surely holds no SDP (it has none,
/// or only other types, such as a SIP-T or SIP-I gateway's ISUP, RFC 3204), else the answer,
/// `None` if it cannot be taken (unusable SDP, or a body that may hold SDP we cannot read).
fn carried_answer(response: &Response) -> Option<Option<Offer>> {
    let raw = &response.raw;
    (!body::carries_no_sdp(&raw.headers, &raw.body))
        .then(|| body::description(&raw.headers, &raw.body, response.source.ip()))
}

/// The INVITE client transaction `id` among `transactions`, if it still runs.
fn invite_client(transactions: &mut HashMap<TxId, TxEntry>, id: TxId) -> Option<&mut InviteClient> {
    match transactions.get_mut(&id) {
        Some(TxEntry {
            tx: Transaction::InviteClient(tx),
            ..
        }) => Some(tx),
        _ => None,
    }
}
