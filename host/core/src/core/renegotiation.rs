//! A session re-negotiated in a call: the peer's new offer (re-INVITE or
//! UPDATE: hold, resume, codec or address change) answered and applied to the
//! media leg, and the answer to a new offer of ours applied likewise.

use std::time::Instant;
use switchyard_sip::sdp;

use super::CallCore;
use crate::call::{CallId, Session};
use crate::effect::MediaOp;

impl CallCore {
    /// The peer offers a new session: answered from the same RTP port, or
    /// refused with 488 when no codec is in common (the session stays, RFC
    /// 3261 §14.2); the leg takes the new parameters at once.
    pub(super) fn session_offer(&mut self, now: Instant, call: CallId, offer: sdp::Offer) {
        let Some(state) = self.calls.get(&call) else {
            return;
        };
        let key = state.key;
        let (Some(session), Some(local_rtp)) = (Session::agree(&offer), state.local_rtp) else {
            tracing::info!(%call, "new offer without a codec in common: 488, the session stays");
            if let Err(e) = self
                .endpoint
                .refuse_offer(now, key, 488, "Not Acceptable Here")
            {
                tracing::warn!(%call, "refusing the new offer: {e}");
            }
            return;
        };
        // The endpoint keeps the o= line and raises its version (RFC 3264 §8).
        let answer = sdp::answer(&session.negotiated, local_rtp, call.0);
        if let Err(e) = self.endpoint.accept_offer(now, key, answer) {
            tracing::warn!(%call, "answering the new offer: {e}");
            return;
        }
        self.apply_session(call, session);
    }

    /// The peer answered a new offer of ours (or a session refresh).
    pub(super) fn offer_answered(&mut self, call: CallId, answer: &sdp::Offer) {
        match Session::agree(answer) {
            Some(session) => self.apply_session(call, session),
            None => tracing::warn!(%call, "the answer to our offer has no codec we offered"),
        }
    }

    /// Makes `session` the call's and hands its parameters to the live leg.
    fn apply_session(&mut self, call: CallId, session: Session) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let params = session.leg_params();
        state.session = Some(session);
        if let Some(worker) = state.worker {
            self.media(MediaOp::UpdateLeg {
                worker,
                leg: call.leg(),
                params,
            });
        }
    }
}
