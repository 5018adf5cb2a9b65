//! The application's side of a confirmed call (RFC 3261 §14, RFC 4028, RFC 3264 §8): settling
//! the peer's offers, our re-INVITE and OPTIONS and their outcomes, and the session timer.
//! The peer's requests are in `in_dialog`.

use std::time::{Duration, Instant};

use super::in_dialog::ok;
use super::{CallError, ClientRequest, Endpoint, Owner, known, refusal};
use crate::body;
use crate::build::{ACCEPT, Extensions, ResponseBuilder};
use crate::call::{CallKey, Phase};
use crate::dialog::Parts;
use crate::event::{EndCause, Event};
use crate::message::Response;
use crate::reply::Reply;
use crate::session::reinvite::Reinvite;
use crate::session::timer::{self, SessionTimers, TIMER_TAG};
use crate::session::{Due, IncomingOffer, OfferMethod, Retry, glare_wait, retry_after};
use crate::timer::T1;
use crate::transaction::{ClientOutcome, Machine, ServerKey};
use crate::transport::TransportAddr;

/// How a client transaction of ours ended, as the one that waits for it hears.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ended<'a> {
    /// Its final response came.
    Answered(&'a Response),
    /// Timer F or B fired first: taken as a 408 (§8.1.3.1).
    TimedOut,
    /// The transport failed towards where it went: taken as a 503 (§8.1.3.1), for the
    /// reason given.
    Unreachable(&'a str),
    /// Our re-INVITE was cancelled and got no final response within 64*T1 of its CANCEL:
    /// taken as a 487 (§9.1).
    Cancelled,
    /// Our offer waiting to go again after a 491 could not go within its bound, an exchange
    /// under way all that time: taken as that 491 (§14.1).
    Pending,
}

impl<'a> Ended<'a> {
    /// The status code it counts as.
    pub(super) fn code(self) -> u16 {
        match self {
            Self::Answered(response) => response.code,
            Self::TimedOut => 408,
            Self::Unreachable(_) => 503,
            Self::Cancelled => 487,
            Self::Pending => 491,
        }
    }

    /// The final response, if one came.
    pub(super) fn response(self) -> Option<&'a Response> {
        match self {
            Self::Answered(response) => Some(response),
            Self::TimedOut | Self::Unreachable(_) | Self::Cancelled | Self::Pending => None,
        }
    }

    /// The wait the final response's Retry-After asks for, if one came with one.
    fn retry_after(self) -> Option<Duration> {
        self.response()
            .and_then(|response| retry_after(&response.raw.headers))
    }

    /// The reason phrase it counts with.
    pub(super) fn reason(self) -> String {
        match self {
            Self::Answered(response) => reason_phrase(&response.raw),
            Self::TimedOut => "Request Timeout".to_owned(),
            Self::Unreachable(reason) => reason.to_owned(),
            Self::Cancelled => "Request Terminated".to_owned(),
            Self::Pending => "Request Pending".to_owned(),
        }
    }

    /// Whether our refresh so refused may pass if sent again a little later (RFC 4028 §10
    /// lets the refresher retry until the session expires).
    fn may_pass(self) -> bool {
        match self {
            // RFC 3261 §21 names the refusals that pass: a server briefly failing or
            // overloaded (500, 503: §21.5.1, §21.5.4; ours when the transport could not
            // reach the peer, §8.1.3.1), one that waited too long for another (504,
            // §21.5.5), a peer unavailable or busy for a while (480, 486: §21.4.18,
            // §21.4.24, both with a Retry-After for when to ask again). Any other would
            // meet itself again: a body, extension, method or request refused (§21.4), a
            // redirection (§21.3), a global failure (§21.6), a precondition that failed
            // (580, RFC 3312 §8), a challenge the call's credentials did not answer; 422 and
            // 491 have retries of their own (RFC 4028 §7.3, §14.1).
            Self::Answered(_) | Self::Unreachable(_) => {
                matches!(self.code(), 480 | 486 | 500 | 503 | 504)
            }
            // The exchange that held our 491 retry back may be over by then; if not, the
            // refresh due waits for it.
            Self::Pending => true,
            // The dialog is gone (RFC 5057 §5.1), or the peer would not answer in time.
            Self::TimedOut | Self::Cancelled => false,
        }
    }
}

/// Re-INVITEs sent with one offer at most while the peer answers 491 (§14.1 sets no bound;
/// two peers that keep colliding must stop somewhere).
pub(super) const GLARE_ATTEMPTS: u32 = 3;

/// How long a due refresh, or offer of the session kept, waits for an offer/answer exchange
/// under way to end.
const REFRESH_POSTPONED: Duration = Duration::from_secs(2);

/// How long a due 491 retry waits before trying again while no offer can go: T1, about the
/// round trip that brings the ACK or answer it waits for.
const RETRY_POSTPONED: Duration = T1;

impl Endpoint {
    /// The endpoint with `timers` as its session-timer settings (RFC 4028) in place of
    /// [`SessionTimers::default`].
    pub fn with_session_timers(self, timers: SessionTimers) -> Self {
        Self {
            session_timers: timers,
            ..self
        }
    }

    /// Accepts the peer's offer of [`Event::SessionOffer`] with `sdp_answer`, whose o= line
    /// the endpoint rewrites to continue the call's (RFC 3264 §8). A re-INVITE gets 200 OK
    /// with the answer, retransmitted until its ACK (§13.3.1.4; no ACK within 64*T1 ends the
    /// call like [`EndCause::NoAck`]); an UPDATE gets 200 OK at once. The answer becomes the
    /// session, the session timer starts over (RFC 4028 §10), and the request's Contact
    /// becomes the remote target (§12.2.2) unless a later request of the peer's (a higher
    /// CSeq) set it already. Without a pending offer [`CallError::InvalidState`] is returned.
    pub fn accept_offer(
        &mut self,
        now: Instant,
        call: CallKey,
        sdp_answer: String,
    ) -> Result<(), CallError> {
        let state = known(&mut self.calls, call)?;
        let incoming = state.session.incoming.take().ok_or(no_offer(call))?;
        state.dialog.accept_target_refresh(incoming.request());
        let agreed = state.session.incoming_timer.take();
        let sdp = state.session.stamp(&sdp_answer);
        let response = ok(
            incoming.request(),
            (state.dialog.contact(), Extensions::of(&self.session_timers)),
            agreed,
            Some(&sdp),
            &self.user_agent,
        );
        state.local_sdp = Some(sdp);
        state.session.refreshed(now, agreed);
        match incoming {
            IncomingOffer::Reinvite { request, tx } => {
                state.await_ack(now, request.cseq, response.clone(), request.destination);
                self.send_invite_final(now, tx, 200, response);
                self.reschedule(Owner::Call(call));
            }
            IncomingOffer::Update { request } => self.send_update_final(call, &request, response),
        }
        self.reschedule(Owner::Session(call));
        Ok(())
    }

    /// Refuses the peer's offer of [`Event::SessionOffer`] with the final response `code`
    /// (300..=699, e.g. 488) and `reason`; the previous session and remote target stay
    /// (§14.2, §12.2.2). Errors: a code out of range ([`CallError::InvalidStatus`]), no
    /// pending offer ([`CallError::InvalidState`]).
    pub fn refuse_offer(
        &mut self,
        now: Instant,
        call: CallKey,
        code: u16,
        reason: &str,
    ) -> Result<(), CallError> {
        refusal(code)?;
        let state = known(&mut self.calls, call)?;
        let incoming = state.session.incoming.take().ok_or(no_offer(call))?;
        state.session.incoming_timer = None;
        let response = ResponseBuilder::new(
            &incoming.request().raw,
            code,
            reason,
            None,
            &self.user_agent,
        )
        .build();
        match incoming {
            IncomingOffer::Reinvite { tx, .. } => self.send_invite_final(now, tx, code, response),
            IncomingOffer::Update { request } => self.send_update_final(call, &request, response),
        }
        Ok(())
    }

    /// The endpoint sending its own offers and session refreshes by `method` in place of
    /// [`OfferMethod::default`].
    pub fn with_offer_method(self, method: OfferMethod) -> Self {
        Self {
            offer_method: method,
            ..self
        }
    }

    /// Offers `sdp_offer` (hold with `a=sendonly`, resume, a codec change), its o= line
    /// rewritten to continue the call's (RFC 3264 §8), by re-INVITE or UPDATE as
    /// [`OfferMethod`] says. The outcome is [`Event::OfferAnswered`] (a re-INVITE's 2xx is
    /// ACKed), [`Event::UnusableAnswer`] or [`Event::OfferRefused`]; a 491 is retried after
    /// the §14.1 wait, with the session as it then stands in the direction of `sdp_offer` if
    /// the peer's offer accepted in that wait changed it (a stream added, another codec, RFC
    /// 3264 §8); a refresh of the peer's, answered with the session kept, leaves `sdp_offer`
    /// to go as made. Possible only in a confirmed call with no offer/answer exchange under
    /// way in either direction and no request of ours carrying one (§14.1, RFC 3311 §5.1),
    /// else [`CallError::InvalidState`]. While our UPDATE without an offer (a session
    /// refresh) is unanswered, the offer waits for its transaction to end and goes then, its
    /// o= line rewritten as it goes: one request of ours at a time.
    pub fn reoffer(
        &mut self,
        now: Instant,
        call: CallKey,
        sdp_offer: String,
    ) -> Result<(), CallError> {
        let state = known(&mut self.calls, call)?;
        if !can_offer(state) {
            return Err(busy(call, state.phase));
        }
        state.session.retry = None;
        state.session.attempts = 0;
        if state.session.update.is_some() {
            // Due at once, yet not before the UPDATE's transaction ends (`Session::take_due`);
            // stamped then, after any answer of ours sent meanwhile (RFC 3264 §8).
            let made_in = state.local_sdp.as_deref();
            state.session.retry = Some(Retry::unsent(now, sdp_offer, made_in));
            self.reschedule(Owner::Session(call));
        } else {
            let offer = state.session.stamp(&sdp_offer);
            state.session.refresh_gives_way(now);
            self.send_offer(now, call, offer);
        }
        Ok(())
    }

    /// Sends an OPTIONS in the confirmed call (a keepalive or probe, §11); its final status
    /// code comes as [`Event::ProbeResult`] (408 on timeout, 503 when the transport failed:
    /// [`Endpoint::transport_failed`]), and a 481 or 408 then ends the call with
    /// [`EndCause::DialogGone`] (RFC 5057 §5.1). Else [`CallError::InvalidState`].
    pub fn probe(&mut self, now: Instant, call: CallKey) -> Result<(), CallError> {
        let state = known(&mut self.calls, call)?;
        if state.phase != Phase::Confirmed {
            return Err(busy(call, state.phase));
        }
        let branch = self.ids.branch();
        let (request, destination) =
            state
                .dialog
                .request(rsip::Method::Options, &branch, &self.user_agent);
        let options = (request, destination);
        self.start_non_invite(now, rsip::Method::Options, branch, options, Some(call));
        Ok(())
    }

    /// A response to our re-INVITE in `call`.
    pub(super) fn on_reinvite_response(&mut self, now: Instant, call: CallKey, response: Response) {
        let Some(state) = self.calls.get_mut(&call) else {
            self.reinvites.remove(&response.branch);
            return;
        };
        let Some(reinvite) = state
            .session
            .outgoing
            .as_mut()
            .filter(|reinvite| reinvite.branch == response.branch)
        else {
            return;
        };
        let code = response.code;
        let first_final = code >= 200 && reinvite.is_pending();
        // §17.1.1.3: the ACK of a non-2xx is the transaction's, built from the re-INVITE as
        // sent whatever target refresh the dialog saw since.
        let passed = reinvite
            .tx
            .on_response(now, code, response.to(), &mut self.out);
        if !first_final {
            // §13.2.2.4: each retransmission of the 2xx is ACKed again.
            if let Some(ack) = reinvite.ack.as_ref().filter(|_| passed) {
                self.out.resend(ack.destination(), ack.request());
            }
            return self.reschedule(Owner::Session(call));
        }
        let success = (200..300).contains(&code);
        if success {
            // §12.2.1.2: the 2xx to our target refresh names the peer's target.
            state.dialog.refresh_target(&response.raw.headers);
            // §13.2.2.4: the ACK of a 2xx is a new transaction, with a branch of its own.
            let ack = state.dialog.ack(
                reinvite.cseq,
                &self.ids.branch(),
                &self.user_agent,
                &reinvite.credentials,
            );
            self.out.send(ack.destination(), ack.request().to_vec());
            reinvite.ack = Some(ack);
        }
        let offer = reinvite.offer.clone();
        if success {
            // RFC 4028 §10: any 2xx to our re-INVITE refreshes the session, whatever its
            // answer; the peer restarted its timer.
            let agreed =
                timer::from_answer(&response.raw, state.session.timer, &self.session_timers);
            state.session.refreshed(now, agreed);
        }
        let answer = body::description(
            &response.raw.headers,
            &response.raw.body,
            response.source.ip(),
        );
        match (success, answer) {
            (true, Some(answer)) => {
                state.local_sdp = Some(offer.clone());
                state.session.own_offer_answered(&offer);
                self.events.push_back(Event::OfferAnswered {
                    call,
                    answer,
                    offer,
                });
            }
            (true, None) => self.events.push_back(Event::UnusableAnswer {
                call,
                offer,
                no_sdp: body::carries_no_sdp(&response.raw.headers, &response.raw.body),
            }),
            (false, _) if code == 491 && state.session.attempts < GLARE_ATTEMPTS => {
                let at = now + glare_wait(self.ids.number(), state.dialog.call_id_is_ours());
                let made_in = state.local_sdp.as_deref();
                state.session.glared(Retry::new(at, offer, made_in));
            }
            // RFC 4028 §7.3: asked again with the interval the 422 names.
            (false, _)
                if code == 422
                    && state
                        .session
                        .raise_min_se(&response.raw, &self.session_timers) =>
            {
                self.send_reinvite(now, call, offer);
            }
            // §22.2, §22.3: a challenge the call's credentials answer sends it again.
            (false, _) if self.answer_reinvite_challenge(now, call, &response, offer.clone()) => {}
            (false, _) => self.refused(now, call, Some(offer), Ended::Answered(&response)),
        }
        self.reschedule(Owner::Session(call));
    }

    /// Runs `call`'s session timers due at `now`: our re-INVITE's retransmissions and
    /// timeout, a 491 retry, our refresh, the session's expiry.
    pub(super) fn on_session_timeout(&mut self, now: Instant, call: CallKey) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        if let Some(reinvite) = state.session.outgoing.as_mut() {
            let outcome = reinvite.tx.on_timeout(now, &mut self.out);
            let cancelled = reinvite.cancelled();
            let timed_out =
                (outcome == Some(ClientOutcome::Timeout)).then(|| reinvite.offer.clone());
            if reinvite.tx.is_terminated() {
                let given_up = cancelled && timed_out.is_some();
                if let Some(reinvite) = state.session.outgoing.take() {
                    self.reinvites.remove(&reinvite.branch);
                    if given_up {
                        let context = (&mut self.ids, self.user_agent.as_str());
                        self.orphaned_reinvites.adopt_given_up(
                            now,
                            call,
                            reinvite,
                            &state.dialog,
                            context,
                        );
                    }
                }
            } else if reinvite.cancel_due(now) {
                let cancel = reinvite.cancel(now);
                let branch = reinvite.branch.clone();
                self.start_non_invite(now, rsip::Method::Cancel, branch, cancel, None);
            }
            if let Some(offer) = timed_out {
                // §9.1: no final response 64*T1 after our CANCEL, the re-INVITE counts as
                // cancelled; the session stays as it was (§14.1). RFC 5057 §5.1: no response
                // at all, the peer's dialog is gone.
                let ended = if cancelled {
                    Ended::Cancelled
                } else {
                    Ended::TimedOut
                };
                self.refused(now, call, Some(offer), ended);
            }
        }
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        match state.session.take_due(now) {
            // RFC 4028 §10: no refresh in time — the session is over.
            Some(Due::Expired) => return self.end_with_bye(now, call, EndCause::SessionExpired),
            Some(Due::Retry(retry)) if can_send_offer(state) => {
                // §14.1's wait, or our UPDATE's, may have let the peer's offer through,
                // answered by us: the offer must take back neither the version nor the
                // session that offer made (RFC 3264 §8).
                let offer = state
                    .session
                    .retried_offer(&retry, state.local_sdp.as_deref());
                self.send_offer(now, call, offer);
            }
            // §14.1 retries the offer if still wanted: the peer's exchange let in during the
            // wait (or our 2xx to it awaiting its ACK) only delays it.
            Some(Due::Retry(retry)) => self.postpone_retry(now, call, retry),
            Some(Due::Refresh) if can_send_offer(state) => {
                state.session.attempts = 0;
                state.session.refreshing = true;
                if state.session.by_update(self.offer_method) {
                    // RFC 4028 §7.4: an UPDATE refresh carries no offer.
                    self.send_update(now, call, None);
                } else {
                    // RFC 4028 §7.4 via §9: a re-INVITE with the current session.
                    let offer = state.session.offer_current(state.local_sdp.as_deref());
                    self.send_reinvite(now, call, offer);
                }
            }
            // An exchange is under way: try again once it may be over.
            Some(Due::Refresh) => state.session.postpone_refresh(now + REFRESH_POSTPONED),
            Some(Due::Restore) if can_send_offer(state) => {
                state.session.attempts = 0;
                state.session.restoring();
                let offer = state.session.offer_current(state.local_sdp.as_deref());
                self.send_offer(now, call, offer);
            }
            Some(Due::Restore) => state.session.restore(now + REFRESH_POSTPONED),
            None => {}
        }
        self.reschedule(Owner::Session(call));
    }

    /// A 2xx came at `now` to a re-INVITE of `call` that was cancelled, given up and
    /// reported refused ([`Event::OfferRefused`] 487): the peer took the offer the call gave
    /// up, and is offered the session the call kept (§14.1), as soon as no other exchange is
    /// under way. Its answer comes as [`Event::OfferAnswered`], as for a refresh.
    pub(super) fn restore_session(&mut self, now: Instant, call: CallKey) {
        if let Some(state) = self.calls.get_mut(&call) {
            state.session.restore(now);
            self.reschedule(Owner::Session(call));
        }
    }

    /// Our 491 retry `retry` in `call` fell due at `now` but cannot go (an exchange under way,
    /// our 2xx awaiting its ACK): it is tried again after [`RETRY_POSTPONED`], and refused
    /// ([`Ended::Pending`], see [`Endpoint::refused`]) once its bound has passed. The caller
    /// reschedules.
    fn postpone_retry(&mut self, now: Instant, call: CallKey, retry: Retry) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        match retry.postponed(now, now + RETRY_POSTPONED) {
            Ok(retry) => state.session.retry = Some(retry),
            Err(retry) => self.refused(now, call, Some(retry.offer), Ended::Pending),
        }
    }

    /// A non-INVITE client transaction carrying `request` that `waiting` waits for `ended`.
    pub(super) fn client_done(
        &mut self,
        now: Instant,
        request: ClientRequest,
        waiting: Option<CallKey>,
        ended: Ended<'_>,
    ) {
        let call = match request {
            ClientRequest::Bye => return self.bye_done(now, waiting),
            ClientRequest::Update => return self.update_done(now, waiting, ended),
            ClientRequest::Probe => waiting,
        };
        // A probe's outcome does not concern a call whose BYE is under way.
        let live = |call: &CallKey| {
            self.calls
                .get(call)
                .is_some_and(|state| state.phase != Phase::Ending)
        };
        let Some(call) = call.filter(live) else {
            return;
        };
        let code = ended.code();
        self.events.push_back(Event::ProbeResult { call, code });
        if matches!(code, 408 | 481) {
            self.lose_dialog(now, call, code);
        }
    }

    /// Settles the peer's offer still waiting in `call` with `487 Request Terminated`: the call
    /// is ending (§15.1.2), or the re-INVITE that made the offer was cancelled (§9.2). An
    /// UPDATE's retransmissions get the same 487 until Timer J (§17.2.2), even once the call
    /// is gone.
    pub(super) fn end_offer(&mut self, now: Instant, call: CallKey) {
        let Some(incoming) = self
            .calls
            .get_mut(&call)
            .and_then(|state| state.session.incoming.take())
        else {
            return;
        };
        let reply = Reply::RequestTerminated;
        match incoming {
            IncomingOffer::Reinvite { request, tx } => {
                let response = self.compose(reply, &request, None);
                self.send_invite_final(now, tx, reply.code(), response);
            }
            // The UPDATE's server transaction, not the call, answers its retransmissions: our
            // BYE's 200 usually ends the call before the first of them comes.
            IncomingOffer::Update { request } => {
                let key = ServerKey::new(&request.transaction_id, request.method);
                self.reply(now, key, &request, reply);
            }
        }
    }

    /// A request in `call` got `code` 408 or 481, or timed out (408): the dialog is over
    /// (RFC 5057 §5.1). RFC 4028 §10 then sends a BYE, which a peer that may still hold the
    /// dialog needs (its answer lost, a proxy's 408); a peer that answered 481 holds none and
    /// gets no BYE.
    pub(super) fn lose_dialog(&mut self, now: Instant, call: CallKey, code: u16) {
        if code == 481 {
            self.end_offer(now, call);
            self.end_call(now, call, EndCause::DialogGone);
        } else {
            self.end_with_bye(now, call, EndCause::DialogGone);
        }
    }

    /// Our re-INVITE or UPDATE in `call`, carrying `offer` (none: an UPDATE refresh), ended
    /// refused at `now` as `ended` says, and goes no more. A 408 or 481 loses the dialog
    /// ([`Endpoint::lose_dialog`]). Else, if it was our refresh and the refusal one that may
    /// pass later ([`Ended::may_pass`]), the refresh is due again
    /// ([`Session::retry_refresh`](crate::session::Session::retry_refresh)). The refusal of
    /// an offer is reported ([`Event::OfferRefused`]) unless it was our refresh, so retried:
    /// the application made no offer, and the session stays until the retry's outcome. The
    /// caller reschedules.
    pub(super) fn refused(
        &mut self,
        now: Instant,
        call: CallKey,
        offer: Option<String>,
        ended: Ended<'_>,
    ) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let code = ended.code();
        let refresh = state.session.take_refreshing();
        let retried =
            refresh && ended.may_pass() && state.session.retry_refresh(now, ended.retry_after());
        if let Some(offer) = offer.filter(|_| !retried) {
            self.events.push_back(Event::OfferRefused {
                call,
                code,
                reason: ended.reason(),
                offer,
            });
        }
        if matches!(code, 408 | 481) {
            self.lose_dialog(now, call, code);
        }
    }

    /// Sends `offer` (already stamped) in `call` by the request [`OfferMethod`] calls for.
    fn send_offer(&mut self, now: Instant, call: CallKey, offer: String) {
        match self.calls.get(&call) {
            Some(state) if state.session.by_update(self.offer_method) => {
                self.send_update(now, call, Some(offer))
            }
            Some(_) => self.send_reinvite(now, call, offer),
            None => {}
        }
    }

    /// Sends our re-INVITE with `offer` (already stamped) in `call`.
    pub(super) fn send_reinvite(&mut self, now: Instant, call: CallKey, offer: String) {
        self.new_request(call);
        self.send_reinvite_with(now, call, offer, Vec::new());
    }

    /// Sends our re-INVITE with `offer` (already stamped) and the credentials header lines
    /// `credentials` in `call`.
    pub(super) fn send_reinvite_with(
        &mut self,
        now: Instant,
        call: CallKey,
        offer: String,
        credentials: Vec<(&'static str, String)>,
    ) {
        let branch = self.ids.branch();
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let (request, destination) = offer_request(
            state,
            rsip::Method::Invite,
            &branch,
            (&self.user_agent, &self.session_timers),
            (Some(&offer), &credentials),
        );
        let cseq = state.dialog.local_cseq();
        if let Some(old) = state.session.outgoing.take() {
            // A 491 or a challenge ended it; its final response may come again.
            self.reinvites.remove(&old.branch);
            self.orphaned_reinvites
                .adopt(now, old, &state.dialog, &mut self.ids, &self.user_agent);
        }
        state.session.attempts += 1;
        state.session.outgoing = Some(Reinvite::send(
            now,
            call,
            destination,
            request,
            (branch.clone(), cseq),
            (offer, credentials),
            &mut self.out,
        ));
        self.reinvites.insert(branch, call);
        self.reschedule(Owner::Session(call));
    }
}

/// Our re-INVITE or UPDATE (`method`) in the call `state`, with Via branch `branch` and our
/// User-Agent `user_agent`, carrying `offer` (none: an UPDATE refresh) and the header lines
/// `credentials`, and where it goes. It states our Contact (§12.2.1.1: a target refresh), our
/// support of session timers if `timers` has them on, and the session timer we keep with
/// the Min-SE we hold to (RFC 4028 §7.4).
pub(super) fn offer_request(
    state: &mut crate::call::Call,
    method: rsip::Method,
    branch: &str,
    (user_agent, timers): (&str, &SessionTimers),
    (offer, credentials): (Option<&str>, &[(&'static str, String)]),
) -> (Vec<u8>, TransportAddr) {
    let mut headers = vec![("Contact", state.dialog.contact().value())];
    if Extensions::of(timers).timer {
        headers.push(("Supported", TIMER_TAG.to_owned()));
    }
    headers.extend(credentials.iter().cloned());
    if let Some(agreed) = state.session.timer {
        headers.extend(agreed.request_headers(timers.min_se.max(state.session.min_se)));
    }
    let parts = Parts {
        cseq: None,
        headers: &headers,
        body: offer.map(|offer| (ACCEPT, offer)),
    };
    state
        .dialog
        .request_with(method, branch, user_agent, &parts)
}

/// Whether a new offer may start in the call (§14.1): confirmed, no 2xx awaiting its ACK, no
/// exchange under way.
pub(super) fn can_offer(state: &crate::call::Call) -> bool {
    state.phase == Phase::Confirmed && !state.awaiting_ack() && !state.session.negotiating()
}

/// Whether we may send a new offer or refresh in the call: as [`can_offer`], and no UPDATE
/// of ours is under way (one refresh at a time).
fn can_send_offer(state: &crate::call::Call) -> bool {
    can_offer(state) && state.session.update.is_none()
}

fn busy(call: CallKey, phase: Phase) -> CallError {
    CallError::InvalidState {
        call,
        state: match phase {
            Phase::Confirmed => "negotiating a session",
            other => other.describe(),
        },
    }
}

fn no_offer(call: CallKey) -> CallError {
    CallError::InvalidState {
        call,
        state: "without a pending offer",
    }
}

/// The reason phrase of `response`. rsip keeps none for the codes it names, only a name in
/// CamelCase ("NotAcceptableHere"), which is spelled out in words.
pub(super) fn reason_phrase(response: &rsip::Response) -> String {
    if let rsip::StatusCode::Other(_, reason) = &response.status_code {
        return reason.clone();
    }
    let status = response.status_code.to_string();
    let name = status.split_once(' ').map_or("", |(_, name)| name);
    let mut phrase = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() && !phrase.is_empty() {
            phrase.push(' ');
        }
        phrase.push(c);
    }
    phrase
}
