//! A session re-negotiated in a call: the peer's new offer (re-INVITE or
//! UPDATE: hold, resume, codec or address change) answered and applied to the
//! media leg; our own offer to hold or resume the call, and its answer applied
//! likewise.

use std::time::Instant;
use switchyard_sip::sdp;

use super::{CallCore, FAMILY_NOT_SERVED};
use crate::call::{CallId, Session};
use crate::effect::{CallEvent, MediaOp};
use crate::error::CoreError;

impl CallCore {
    /// The peer offers a new session: answered from the same RTP port, or
    /// refused with 488 when no codec is in common or its address is of another family
    /// than that port's (the session stays, RFC 3261 §14.2); the leg takes the new
    /// parameters at once.
    pub(super) fn session_offer(&mut self, now: Instant, call: CallId, offer: sdp::Offer) {
        let Some(state) = self.calls.get(&call) else {
            return;
        };
        let key = state.key;
        let held = state.held;
        let (Some(mut session), Some(local_rtp)) = (Session::agree(&offer), state.local_rtp) else {
            tracing::info!(%call, "new offer without a codec in common: 488, the session stays");
            self.refuse_offer(now, call, "Not Acceptable Here");
            return;
        };
        session.peer_holds = state
            .session
            .as_ref()
            .is_some_and(|before| before.held_by_peer(session.negotiated.remote.direction));
        // The leg's socket stays the call's: it cannot send to another family.
        if !session.reachable_from(local_rtp.ip()) {
            tracing::info!(%call, "new offer of another address family: 488, the session stays");
            self.refuse_offer(now, call, FAMILY_NOT_SERVED);
            return;
        }
        if held {
            // A call we hold stays held whatever the peer offers: we still do not
            // take its media (a mutual hold when it holds too).
            session.negotiated.direction = session.negotiated.direction.without_receiving();
        }
        // The endpoint keeps the o= line and raises its version (RFC 3264 §8).
        let answer = sdp::answer(&session.negotiated, local_rtp, call.0);
        if let Err(e) = self.endpoint.accept_offer(now, key, answer) {
            tracing::warn!(%call, "answering the new offer: {e}");
            return;
        }
        self.apply_session(now, call, session);
    }

    /// Refuses the peer's new offer in `call` with 488 and `reason`.
    fn refuse_offer(&mut self, now: Instant, call: CallId, reason: &str) {
        let Some(key) = self.calls.get(&call).map(|c| c.key) else {
            return;
        };
        if let Err(e) = self.endpoint.refuse_offer(now, key, 488, reason) {
            tracing::warn!(%call, "refusing the new offer: {e}");
        }
    }

    /// Puts the answered `call` on hold (`held`) or takes it off: a new offer
    /// of its session, `sendonly` (the peer stops sending; the call still gets
    /// what it is played or its room's mix) or `sendrecv` (RFC 3264 §8.4), by
    /// re-INVITE or UPDATE as the endpoint's offer method says. The outcome
    /// reaches the guest as [`CallEvent::Held`]. Refused: a call not answered
    /// or ending, or an offer already under way either way (RFC 3261 §14.1).
    pub fn hold(&mut self, now: Instant, call: CallId, held: bool) -> Result<(), CoreError> {
        let state = self.call(call)?;
        if state.session.is_none() || state.local_rtp.is_none() || !state.answered() {
            return Err(CoreError::state(format!("{call} is not answered")));
        }
        if state.hold_asked.is_some() {
            return Err(CoreError::state(format!(
                "{call} waits for the answer to its last hold or resume"
            )));
        }
        self.offer_session(now, call, held)?;
        let state = self.call_mut(call)?;
        state.hold_asked = Some(held);
        // It goes in place of our offer of the session kept, if that waited out a 491 (the
        // endpoint drops the retry): its outcome is the guest's alone.
        state.restoring_session = None;
        Ok(())
    }

    /// Offers `call`'s peer the call's session anew, held (`held`: `sendonly`) or not
    /// (`sendrecv`), by re-INVITE or UPDATE as the endpoint's offer method says; returns
    /// the offer as [`renewed_offer`](Self::renewed_offer) makes it. Refused: a call without
    /// a session or an RTP port, or one where the endpoint cannot offer now.
    fn offer_session(
        &mut self,
        now: Instant,
        call: CallId,
        held: bool,
    ) -> Result<String, CoreError> {
        let offer = self.renewed_offer(call, held)?;
        let key = self.call(call)?.key;
        self.endpoint
            .reoffer(now, key, offer.clone())
            .map_err(|e| CoreError::state(e.to_string()))?;
        Ok(offer)
    }

    /// `call`'s session as we offer it anew, held (`held`: `sendonly`) or not
    /// (`sendrecv`), with an o= line the endpoint rewrites. Refused: a call without a
    /// session or an RTP port.
    fn renewed_offer(&self, call: CallId, held: bool) -> Result<String, CoreError> {
        let state = self.call(call)?;
        let (Some(session), Some(local_rtp)) = (&state.session, state.local_rtp) else {
            return Err(CoreError::state(format!("{call} has no session")));
        };
        Ok(sdp::renewed_offer(
            &session.negotiated,
            hold_direction(held),
            local_rtp,
            call.0,
        ))
    }

    /// The peer answered `offer`, a new offer of ours (a hold, a resume, a
    /// session refresh, or our 2xx to its re-INVITE without an offer). Only
    /// the answer to an offer of the direction the guest's hold or resume asked
    /// for settles it. An answer without a codec we offered or of another
    /// address family cannot be used: see [`answer_unusable`](Self::answer_unusable).
    pub(super) fn offer_answered(
        &mut self,
        now: Instant,
        call: CallId,
        answer: &sdp::Offer,
        offer: &str,
    ) {
        match Session::agree_answer(answer, offer) {
            Some(mut session) => {
                // A first answer (the ACK of a call whose INVITE had no offer) holds nothing.
                session.peer_holds = self
                    .calls
                    .get(&call)
                    .and_then(|c| c.session.as_ref())
                    .is_some_and(|before| before.held_by_peer(session.negotiated.remote.direction));
                self.apply_session(now, call, session);
                if let Some(held) = self.settle_hold(call, offer) {
                    self.set_held(call, held);
                    self.guest_event(call, CallEvent::Held(Ok(held)));
                }
            }
            // A call whose INVITE had no offer has no session without this answer.
            None if self.calls.get(&call).is_some_and(|c| c.session.is_none()) => {
                tracing::info!(%call, "the answer to our offer in the 2xx has no codec we offered or an address of another family: hanging up");
                let _ = self.hangup(now, call);
            }
            None => {
                tracing::warn!(%call, "the answer to our offer has no codec we offered or an address of another family: the session stays");
                self.answer_unusable(now, call, offer);
            }
        }
    }

    /// The peer took `offer`, a new offer of ours in `call`, with an answer the endpoint
    /// cannot read, or none at all (`no_sdp`). Our offer of the session as it stands (a
    /// session refresh, our offer of the session kept) so taken without SDP changes nothing:
    /// some peers answer a refresh so, and would be hung up at the first one were it offered
    /// again. Any other goes to [`answer_unusable`](Self::answer_unusable), the guest's hold
    /// or resume so taken among them.
    pub(super) fn answer_unreadable(
        &mut self,
        now: Instant,
        call: CallId,
        offer: &str,
        no_sdp: bool,
    ) {
        if no_sdp && self.hold_answered_by(call, offer).is_none() {
            tracing::debug!(%call, "our offer of the session as it stands was taken without SDP: the session stays");
            self.take_restoring(call, offer);
            return;
        }
        tracing::warn!(%call, "the answer to our offer cannot be read: the session stays");
        self.answer_unusable(now, call, offer);
    }

    /// The peer answered `offer`, a new offer of ours in `call`, with nothing we can use
    /// (no codec we offered, an address of another family, or no answer the endpoint can
    /// read), yet took it as the session: the session stays as it was, a hold or resume
    /// of `offer`'s direction is told refused, [`UNUSABLE_ANSWER`], and the session the
    /// call kept is offered again (RFC 3264 §5, RFC 6337 §3.1: an offerer that cannot use
    /// the answer makes a new offer or ends the session), so that the peer does not go on
    /// with what was not used. If `offer` was itself that offer of the session kept, or
    /// the endpoint cannot send one now (an exchange under way; one that waits only for a
    /// request of ours to end is sent then), the call is hung up instead of offered again
    /// without end.
    fn answer_unusable(&mut self, now: Instant, call: CallId, offer: &str) {
        let restoring = self.take_restoring(call, offer);
        if self.settle_hold(call, offer).is_some() {
            self.guest_event(call, CallEvent::Held(Err(UNUSABLE_ANSWER.to_owned())));
        }
        let offered = if restoring {
            Err(CoreError::state("its answer cannot be used either"))
        } else {
            self.offer_kept_session(now, call)
        };
        match offered {
            Ok(offer) => {
                if let Some(state) = self.calls.get_mut(&call) {
                    state.restoring_session = Some(without_origin(&offer));
                }
            }
            Err(e) => {
                tracing::info!(%call, "the session kept is not offered again ({e}): hanging up");
                let _ = self.hangup(now, call);
            }
        }
    }

    /// Offers `call`'s peer the session it kept, in the call's direction (held or not), and
    /// returns that offer. A guest's hold or resume still pending is waiting out a 491 (RFC
    /// 3261 §14.1: no offer of ours was under way while another was answered), and its retry
    /// offers the session kept in the direction asked for: nothing is sent, as an offer now
    /// would drop that retry and leave the guest unanswered, and the retry's offer, as
    /// [`renewed_offer`](Self::renewed_offer) makes it, is returned in its place.
    fn offer_kept_session(&mut self, now: Instant, call: CallId) -> Result<String, CoreError> {
        let state = self.call(call)?;
        match state.hold_asked {
            Some(held) => self.renewed_offer(call, held),
            None => {
                let held = state.held;
                self.offer_session(now, call, held)
            }
        }
    }

    /// Whether `offer`, an offer of ours in `call` as sent whose answer or refusal came, is
    /// our offer of the session kept; if it is, that offer no longer awaits its outcome.
    /// Any other offer's outcome leaves it waiting.
    fn take_restoring(&mut self, call: CallId, offer: &str) -> bool {
        let Some(state) = self.calls.get_mut(&call) else {
            return false;
        };
        let restoring = state
            .restoring_session
            .as_deref()
            .is_some_and(|kept| kept == without_origin(offer));
        if restoring {
            state.restoring_session = None;
        }
        restoring
    }

    /// Records that `call` is now on hold (`held`) or off it.
    fn set_held(&mut self, call: CallId, held: bool) {
        if let Some(state) = self.calls.get_mut(&call) {
            state.held = held;
        }
    }

    /// The peer refused `offer`, a new offer of ours as sent, with `code` and
    /// `reason`; the session stays as it was. Only the refusal of an offer of
    /// the direction the guest's hold or resume asked for settles it, and is told
    /// first. A refused offer of the session kept after an unusable answer ends
    /// the call.
    pub(super) fn offer_refused(
        &mut self,
        now: Instant,
        call: CallId,
        offer: &str,
        code: u16,
        reason: &str,
    ) {
        if self.settle_hold(call, offer).is_some() {
            self.guest_event(call, CallEvent::Held(Err(format!("{code} {reason}"))));
        }
        if self.take_restoring(call, offer) {
            // The peer keeps the session it answered unusably, which the call
            // cannot be brought back from: it ends (RFC 6337 §3.1).
            tracing::warn!(%call, code, "our offer of the session kept was refused: hanging up");
            let _ = self.hangup(now, call);
        }
    }

    /// Ends the wait of `call`'s hold or resume if `offer`, an offer of ours as
    /// sent that was answered or refused, is of the direction it asked for (or
    /// does not parse); returns what it asked for (`true`: hold).
    fn settle_hold(&mut self, call: CallId, offer: &str) -> Option<bool> {
        let held = self.hold_answered_by(call, offer)?;
        if let Some(state) = self.calls.get_mut(&call) {
            state.hold_asked = None;
        }
        Some(held)
    }

    /// What `call`'s hold or resume still waiting asked for (`true`: hold), if `offer`, an
    /// offer of ours as sent, is of its direction (or does not parse).
    fn hold_answered_by(&self, call: CallId, offer: &str) -> Option<bool> {
        // Another offer of ours, of the session as it stands (a refresh), may be answered
        // or refused while the hold's waits out a 491 (RFC 3261 §14.1): it holds or
        // resumes nothing.
        let held = self.calls.get(&call)?.hold_asked?;
        // An offer that does not parse (none of ours should) settles it, so that the guest is
        // never left unable to hold or resume again.
        if offered_direction(offer).is_some_and(|direction| direction != hold_direction(held)) {
            return None;
        }
        Some(held)
    }

    /// Makes `session` the call's and hands its parameters to the live leg;
    /// its peer is probed from now on if it sends no RTP any more, and no
    /// longer if it does again.
    pub(super) fn apply_session(&mut self, now: Instant, call: CallId, session: Session) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let params = session.leg_params();
        state.session = Some(session);
        // A session agreed anew, by the peer's offer or a usable answer to another of ours,
        // leaves nothing to restore: our offer of the session kept is now only a refresh.
        state.restoring_session = None;
        if let Some(worker) = state.worker {
            self.media(MediaOp::UpdateLeg {
                worker,
                leg: call.leg(),
                params,
            });
        }
        self.watch_peer(now, call);
    }
}

/// What a guest's hold or resume is told when the peer's answer to it cannot be used: what
/// we refuse an offer we cannot use with (RFC 3261 §21.4.26). Such an answer leaves the
/// session as it was, as a refused offer does (RFC 3261 §14.2).
const UNUSABLE_ANSWER: &str = "488 Not Acceptable Here";

/// The direction our offer to hold (`held`) or resume a call gives our side: `sendonly`, the
/// peer to stop sending, or `sendrecv` (RFC 3264 §8.4).
fn hold_direction(held: bool) -> sdp::Direction {
    if held {
        sdp::Direction::SendOnly
    } else {
        sdp::Direction::SendRecv
    }
}

/// Our offer `sdp` but for its o= line, which the endpoint stamps anew on each offer it
/// sends (RFC 3264 §8): the rest tells one offer of ours from another.
fn without_origin(sdp: &str) -> String {
    sdp.split_inclusive('\n')
        .filter(|line| !line.starts_with("o="))
        .collect()
}

/// The direction our offer `offer`, as sent, gives our side; `None` if it does not parse (or
/// has other than one audio stream, as ours never do).
fn offered_direction(offer: &str) -> Option<sdp::Direction> {
    sdp::Offer::parse(offer.as_bytes())
        .ok()?
        .sole_stream()
        .map(|ours| ours.direction)
}
