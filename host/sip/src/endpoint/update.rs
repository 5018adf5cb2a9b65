//! Our UPDATE in a confirmed call (RFC 3311 §5.1): a new offer, or a session refresh without
//! one (RFC 4028 §7.4), and its outcome. The peer's UPDATE is in `in_dialog`.

use std::time::Instant;

use super::session::{Ended, GLARE_ATTEMPTS, offer_request};
use super::{Endpoint, Owner};
use crate::body;
use crate::call::{CallKey, Phase};
use crate::event::Event;
use crate::session::timer;
use crate::session::{OutgoingUpdate, Retry, glare_wait};

impl Endpoint {
    /// Sends our UPDATE in `call`, with `offer` (already stamped) or, for a refresh, none.
    pub(super) fn send_update(&mut self, now: Instant, call: CallKey, offer: Option<String>) {
        self.new_request(call);
        self.send_update_with(now, call, offer, &[]);
    }

    /// Sends our UPDATE in `call`, with `offer` (already stamped) or none, and the
    /// credentials header lines `credentials`.
    fn send_update_with(
        &mut self,
        now: Instant,
        call: CallKey,
        offer: Option<String>,
        credentials: &[(&'static str, String)],
    ) {
        let branch = self.ids.branch();
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let (request, destination) = offer_request(
            state,
            rsip::Method::Update,
            &branch,
            (&self.user_agent, &self.session_timers),
            (offer.as_deref(), credentials),
        );
        state.session.attempts += u32::from(offer.is_some());
        state.session.update = Some(OutgoingUpdate { offer });
        let update = (request, destination);
        self.start_non_invite(now, rsip::Method::Update, branch, update, Some(call));
    }

    /// Our UPDATE in `waiting` ended as `ended` says.
    pub(super) fn update_done(&mut self, now: Instant, waiting: Option<CallKey>, ended: Ended<'_>) {
        let Some(call) = waiting else {
            return;
        };
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(update) = state.session.update.take() else {
            return;
        };
        if state.phase == Phase::Ending {
            // Our BYE is under way: the UPDATE's outcome concerns the call no more, and its
            // timeout must not end the dialog a second time.
            return;
        }
        let code = ended.code();
        let success = (200..300).contains(&code);
        if success && let Some(response) = ended.response() {
            // RFC 3261 §12.2.1.2: the 2xx to our target refresh names the peer's target.
            state.dialog.refresh_target(&response.raw.headers);
            // RFC 4028 §10: any 2xx to our UPDATE refreshes the session, whatever its answer;
            // the peer restarted its timer.
            let agreed =
                timer::from_answer(&response.raw, state.session.timer, &self.session_timers);
            state.session.refreshed(now, agreed);
            if let Some(offer) = update.offer {
                match body::description(
                    &response.raw.headers,
                    &response.raw.body,
                    response.source.ip(),
                ) {
                    Some(answer) => {
                        state.local_sdp = Some(offer.clone());
                        state.session.own_offer_answered(&offer);
                        self.events.push_back(Event::OfferAnswered {
                            call,
                            answer,
                            offer,
                        });
                    }
                    None => self.events.push_back(Event::UnusableAnswer {
                        call,
                        offer,
                        no_sdp: body::carries_no_sdp(&response.raw.headers, &response.raw.body),
                    }),
                }
            }
            return self.reschedule(Owner::Session(call));
        }
        if matches!(code, 405 | 501) {
            // The peer listed UPDATE but will not take it: re-INVITE from now on, this
            // offer or refresh included. It goes as a due one does, once no exchange is under
            // way (§14.1): an UPDATE without offer let the peer's offer through meanwhile,
            // and our 2xx may still await its ACK.
            state.session.peer_allows_update = false;
            match update.offer {
                Some(offer) => {
                    let made_in = state.local_sdp.as_deref();
                    state.session.glared(Retry::new(now, offer, made_in));
                }
                None => state.session.refresh_gives_way(now),
            }
            return self.reschedule(Owner::Session(call));
        }
        // RFC 4028 §7.3: asked again with the interval the 422 names.
        if let Some(response) = ended.response().filter(|r| r.code == 422)
            && state
                .session
                .raise_min_se(&response.raw, &self.session_timers)
        {
            self.send_update(now, call, update.offer);
            return self.reschedule(Owner::Session(call));
        }
        // §22.2, §22.3: a challenge the call's credentials answer sends it again.
        if let Some(response) = ended.response()
            && let Some(credentials) = self.credentials_for(call, response, "UPDATE")
        {
            self.send_update_with(now, call, update.offer, &credentials);
            return self.reschedule(Owner::Session(call));
        }
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        match update.offer {
            // RFC 3311 §5.1 defers to §14.1 for a 491: wait, then offer again.
            Some(offer) if code == 491 && state.session.attempts < GLARE_ATTEMPTS => {
                let at = now + glare_wait(self.ids.number(), state.dialog.call_id_is_ours());
                let made_in = state.local_sdp.as_deref();
                state.session.glared(Retry::new(at, offer, made_in));
            }
            offer => self.refused(now, call, offer, ended),
        }
        self.reschedule(Owner::Session(call));
    }
}
