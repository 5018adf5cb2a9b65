//! Calls the host places: dial-out, and forwarding an incoming call as a new
//! outbound one (B2BUA), with their progress, answer and failure.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;
use switchyard_media::{
    Codec, LegParams, MediaDirection, OpusParams, RtcpPath, SUPPORTED_ENCODINGS,
};
use switchyard_sip::{CallError, CallKey, MAX_FORWARDS, OutgoingCall, Transport, sdp};

use super::CallCore;
use crate::call::{Attachment, Call, CallId, Phase, Session};
use crate::dial::DialRequest;
use crate::effect::{CallEvent, Effect, GuestOp, MediaOp};
use crate::error::CoreError;
use crate::failover::{self, Failover, Target};
use crate::network::Network;
use crate::rooms::ParticipantStatus;
use crate::timers::{TimerId, TimerKind};

/// The payload types our offers give telephone-event (RFC 4733) at each audio
/// clock rate offered: 101 (the one most peers use) at 8 kHz for G.711 and
/// G.722, 110 at 48 kHz for Opus.
const TELEPHONE_EVENTS: &[(u8, u32)] = &[(101, 8000), (110, 48_000)];

/// A placed call whose target is being resolved; it has no SIP call yet.
#[derive(Debug)]
pub(crate) struct PendingDial {
    request: DialRequest,
    linked: Option<CallId>,
    /// The room it joined while being placed: listed already, its media
    /// joins once it has some.
    pub(super) room: Option<String>,
    /// Its guest's timers pending, which the call keeps once it has a SIP
    /// call, and which end with it if it fails first.
    pub(super) timers: BTreeSet<TimerId>,
}

/// Our end of a placed call's INVITE: the SIP address its Via and Contact name, the RTP
/// port reserved for it, and our offer naming that port.
struct LocalEnd {
    sip: SocketAddr,
    rtp: SocketAddr,
    offer: String,
}

/// Why a call being placed ended before or instead of being answered.
struct Failure {
    code: u16,
    reason: String,
}

/// What became of a placed call when its next target was tried.
enum NextTargetOutcome {
    /// The INVITE went to the next target, or the call failed as it could not move its
    /// local end there.
    Tried,
    /// No target is left, or the endpoint refused the INVITE from the call's local end:
    /// the call is as it was.
    Untried,
    /// The endpoint refused the INVITE after the call's local end moved for it: the port
    /// the INVITE already sent offered is released, so the call cannot go on as it was.
    RefusedAfterMove(CallError),
}

impl Failure {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// The endpoint refused to send the call's INVITE (a field it cannot send as given).
    fn refused(error: &CallError) -> Self {
        Self::new(400, error.to_string())
    }
}

impl CallCore {
    /// Places a call: its target is resolved (the shell carries out
    /// [`Effect::Resolve`] and answers with [`CallCore::resolved`]), then the
    /// INVITE goes out with our SDP offer. The new call's guest instance gets
    /// [`CallEvent::Dialed`] with the request's context, then `Progress`,
    /// `Answered` or `Failed`. Refused: a bad request, more than
    /// `max_dialing` calls being placed, or a host shutting down.
    pub fn dial(&mut self, request: DialRequest) -> Result<CallId, CoreError> {
        self.place(request, None)
    }

    /// Forwards the unanswered incoming call `call` as a new outbound call
    /// (B2BUA): the callee's ringing reaches the caller as 180, its early media
    /// as 183 with our SDP; when it answers, the caller is answered and the two
    /// are bridged; its failure rejects the caller with the same code, but for one
    /// that would mean something else coming from this host (a redirection or 487
    /// becomes 480, a challenge 403, 503 or another whose response needs a header
    /// of its own 500); a BYE or CANCEL from either side ends both, until the guest
    /// parts the two once both are answered (unbridges them, or moves either into a
    /// room or another bridge). Returns the new call.
    pub fn forward(&mut self, call: CallId, request: DialRequest) -> Result<CallId, CoreError> {
        let state = self.call(call)?;
        if state.phase() != Phase::Offered {
            return Err(CoreError::state(format!(
                "only an unanswered incoming call can be forwarded; {call} is not one"
            )));
        }
        if state.linked.is_some() {
            return Err(CoreError::state(format!("{call} is already forwarded")));
        }
        let placed = self.place(request, Some(call))?;
        let state = self.call_mut(call)?;
        state.linked = Some(placed);
        state.with_others_since = Some(state.started);
        state.handled = true;
        Ok(placed)
    }

    /// Ends the link between a forwarded call and the other side when both were
    /// answered: the guest is taking `call` out of their bridge (`unbridge`,
    /// `join`, or a bridge to a third call), so from then on each call ends on
    /// its own, also when the other is already being hung up. Before the answer
    /// the link stays: the answer still answers and bridges the caller, and a
    /// CANCEL still ends both.
    pub(super) fn unlink(&mut self, call: CallId) {
        let Some(other) = self.calls.get(&call).and_then(|c| c.linked) else {
            return;
        };
        let answered = |id: CallId| {
            self.calls
                .get(&id)
                .is_some_and(|c| c.answered_at().is_some())
        };
        if !answered(call) || !answered(other) {
            return;
        }
        for id in [call, other] {
            if let Some(state) = self.calls.get_mut(&id) {
                state.linked = None;
            }
        }
    }

    /// The target of the placed call `call` resolved to `targets`, the
    /// transports and addresses its INVITE may go to, most preferred first
    /// (RFC 3263 §4), or not (`Err` says why). The INVITE goes to the first;
    /// while one fails as a next hop (no response at all, or 503) a new INVITE
    /// goes to the next, at most [`MAX_TARGETS`](crate::MAX_TARGETS) in all,
    /// passing over those the host has no route to, or no RTP of their address
    /// family for; one another local address reaches (another family, another
    /// interface) gets an INVITE from there, with an offer of its own. The call
    /// fails as the last target did. `Err`, or no target the host has a route and
    /// RTP for, fails the call with 478. Stale answers (the call was hung up
    /// meanwhile) are ignored.
    pub fn resolved(
        &mut self,
        now: Instant,
        call: CallId,
        targets: Result<Vec<(Transport, SocketAddr)>, String>,
    ) {
        let Some(pending) = self.dialing.remove(&call) else {
            return;
        };
        let network = self.network.as_mut();
        let outcome = targets
            .and_then(|targets| first_usable(network, targets))
            .map_err(|e| Failure::new(478, format!("Unresolvable destination: {e}")))
            .and_then(|(first, left)| self.send_invite(now, call, &pending, first, left));
        if let Err(failure) = outcome {
            self.pending_failed(now, call, pending, failure);
        }
    }

    /// Whether the host has a route to `peer` ([`Network::reaches`]): a placed call's target it
    /// has none to is passed over.
    pub fn reaches(&mut self, peer: IpAddr) -> bool {
        self.network.reaches(peer)
    }

    /// Calls being placed: resolving their target, or waiting for an answer.
    pub fn dialing(&self) -> usize {
        self.dialing.len() + self.calls.placing()
    }

    fn place(&mut self, request: DialRequest, linked: Option<CallId>) -> Result<CallId, CoreError> {
        request.check()?;
        if !self.accepting {
            return Err(CoreError::state("the host is shutting down"));
        }
        if self.dialing() >= self.config.max_dialing {
            return Err(CoreError::state(format!(
                "{} calls are being placed already, the most allowed",
                self.config.max_dialing
            )));
        }
        self.next_call += 1;
        self.stats.placed += 1;
        let call = CallId(self.next_call);
        let uri = self
            .config
            .outbound_proxy
            .clone()
            .unwrap_or_else(|| request.uri.clone());
        tracing::info!(%call, to = %request.uri, "placing a call");
        let context = request.context.clone();
        self.dialing.insert(
            call,
            PendingDial {
                request,
                linked,
                room: None,
                timers: BTreeSet::new(),
            },
        );
        self.effects
            .push_back(Effect::Guest(GuestOp::Dialed { call, context }));
        self.effects.push_back(Effect::Resolve { call, uri });
        Ok(call)
    }

    /// Reserves the RTP port, sends the INVITE to `first` and files the call
    /// with the targets `left` to try if it fails.
    fn send_invite(
        &mut self,
        now: Instant,
        call: CallId,
        pending: &PendingDial,
        (transport, destination): Target,
        left: std::vec::IntoIter<Target>,
    ) -> Result<(), Failure> {
        let LocalEnd { sip, rtp, offer } = self.open_local_end(call, destination)?;
        let local_ip = sip.ip();
        let request = &pending.request;
        let from = if request.from.is_empty() {
            format!("<sip:{}@{}>", self.config.dial_user, host(local_ip))
        } else {
            request.from.clone()
        };
        let to = if request.to.is_empty() {
            format!("<{}>", request.uri)
        } else {
            request.to.clone()
        };
        let outgoing = OutgoingCall {
            request_uri: request.uri.clone(),
            from,
            to,
            headers: request.headers.clone(),
            route: self
                .config
                .outbound_proxy
                .iter()
                .map(|proxy| format!("<{proxy}>"))
                .collect(),
            destination,
            transport,
            local: sip,
            sdp_offer: offer.clone(),
            credentials: request.credentials.clone(),
            max_forwards: pending
                .linked
                .and_then(|incoming| self.calls.get(&incoming))
                .and_then(|incoming| self.endpoint.forwarded_max_forwards(incoming.key))
                .unwrap_or(MAX_FORWARDS),
        };
        let key = match self.endpoint.invite(now, outgoing.clone()) {
            Ok(key) => key,
            Err(e) => {
                self.network.close_rtp(call.leg());
                return Err(Failure::refused(&e));
            }
        };
        let failover = Failover::new(outgoing, left);
        self.file_placed_call(now, call, key, rtp, offer, failover, pending);
        let ring_timer = self
            .timers
            .schedule(now + self.config.ring_timeout, TimerKind::RingTimeout(call));
        if let Some(state) = self.calls.get_mut(&call) {
            state.ring_timer = Some(ring_timer);
        }
        self.watch_target(now, call);
        self.drain_sip(now);
        Ok(())
    }

    /// Our end of the placed call `call` towards `destination`: the local address that
    /// reaches it, with our SIP port there, an RTP port reserved on our media address
    /// towards it ([`Network::media_ip_for`], which may be another), and our offer naming that
    /// port there.
    fn open_local_end(
        &mut self,
        call: CallId,
        destination: SocketAddr,
    ) -> Result<LocalEnd, Failure> {
        let local_ip = self.network.local_ip_for(destination.ip());
        let media_ip = self.network.media_ip_for(destination.ip()).map_err(|_| {
            Failure::new(
                503,
                format!("No RTP port: no address of ours carries media to {destination}"),
            )
        })?;
        let port = self
            .network
            .open_rtp(call.leg(), media_ip)
            .map_err(|e| Failure::new(503, format!("No RTP port: {e}")))?;
        let rtp = SocketAddr::new(media_ip, port);
        Ok(LocalEnd {
            sip: SocketAddr::new(local_ip, self.network.sip_port_for(local_ip)),
            rtp,
            offer: our_offer(rtp, call.0),
        })
    }

    /// Moves the placed call `call` to the local end towards the next target of `invite`,
    /// another than its current one (another family, another interface, another media
    /// address): the RTP port reserved (or the leg started) on the current one is released,
    /// and `invite`, as every INVITE to the targets after it, gets the new one's Via and
    /// Contact and an offer naming a port reserved there. A leg bridged to its forwarded
    /// caller's leaves the bridge with it, for the next target's early answer or 2xx to
    /// bridge anew; a room stays, which the next leg joins.
    fn move_local_end(&mut self, call: CallId, invite: &mut OutgoingCall) -> Result<(), Failure> {
        let Some(state) = self.calls.get_mut(&call) else {
            return Ok(());
        };
        let worker = state.worker.take();
        // Until a port is reserved on the new address, the call holds none.
        state.local_sdp = None;
        state.local_rtp = None;
        match worker {
            Some(worker) => {
                self.media(MediaOp::RemoveLeg {
                    worker,
                    leg: call.leg(),
                });
                self.forget_early_bridge(call);
            }
            None => self.network.close_rtp(call.leg()),
        }
        let LocalEnd { sip, rtp, offer } = self.open_local_end(call, invite.destination)?;
        if let Some(state) = self.calls.get_mut(&call) {
            state.local_ip = rtp.ip();
            state.local_rtp = Some(rtp);
            state.local_sdp = Some(offer.clone());
            if let Some(failover) = state.failover.as_mut() {
                failover.move_to(sip, offer.clone());
            }
        }
        invite.local = sip;
        invite.sdp_offer = offer;
        Ok(())
    }

    /// The placed call `call`, whose leg the media worker removed (taking it out of its
    /// bridge), and its forwarded caller are recorded alone again, for the next target's
    /// early media to bridge anew. Neither guest is told: the bridge of early media is the
    /// forward's own, and the caller stays forwarded.
    fn forget_early_bridge(&mut self, call: CallId) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let Attachment::Bridge(caller) = state.attachment else {
            return;
        };
        state.attachment = Attachment::Alone;
        state.rebridge_early = true;
        if let Some(caller) = self.calls.get_mut(&caller) {
            caller.attachment = Attachment::Alone;
        }
    }

    /// Whether `invite`, for a placed call's next target and from the call's current local
    /// end, needs another: another SIP address of ours reaches the target, or another media
    /// address than `media` (the one the call's offer names) serves it.
    fn local_end_moves(&mut self, media: IpAddr, invite: &OutgoingCall) -> bool {
        let peer = invite.destination.ip();
        self.network.local_ip_for(peer) != invite.local.ip()
            || self.network.media_ip_for(peer) != Ok(media)
    }

    /// Gives the INVITE the placed call `call` just sent `next_target_after` to get any
    /// response before [`target_silent`](Self::target_silent) looks again.
    fn watch_target(&mut self, now: Instant, call: CallId) {
        let due = now + self.config.next_target_after;
        let timer = self.timers.schedule(due, TimerKind::NextTarget(call));
        if let Some(old) = self
            .calls
            .get_mut(&call)
            .and_then(|state| state.target_timer.replace(timer))
        {
            self.timers.cancel(old);
        }
    }

    /// The placed call `call`'s current target has not answered its INVITE at all, not even
    /// with 100 Trying, within `next_target_after`: when another target is left, the INVITE
    /// is abandoned for it (RFC 3263 §4.3) rather than waiting out Timer B. The abandoned
    /// one is hung up: cancelled should it ring later, ended with a BYE should it answer,
    /// and nothing it does reaches the call any more. The last target keeps its INVITE.
    pub(super) fn target_silent(&mut self, now: Instant, call: CallId) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        state.target_timer = None;
        let silent = state.key;
        if state.phase() != Phase::Dialing || !self.endpoint.unheard(silent) {
            return;
        }
        match self.try_next_target(now, call) {
            NextTargetOutcome::Tried => {
                tracing::info!(%call, "no response from the target: trying the next");
            }
            NextTargetOutcome::Untried => return,
            NextTargetOutcome::RefusedAfterMove(error) => {
                self.fail_dialing(now, call, Failure::refused(&error));
            }
        }
        self.by_key.remove(&silent);
        let _ = self.endpoint.hangup(now, silent);
        self.drain_sip(now);
    }

    // Each argument is one part of the call it files.
    #[allow(clippy::too_many_arguments)]
    fn file_placed_call(
        &mut self,
        now: Instant,
        call: CallId,
        key: CallKey,
        local_rtp: SocketAddr,
        offer: String,
        failover: Failover,
        pending: &PendingDial,
    ) {
        // A participant muted or made listen-only while being placed starts so.
        let media_muted = pending
            .room
            .as_deref()
            .and_then(|room| self.rooms.get(room)?.get(call))
            .is_some_and(|p| p.view.muted || p.view.listen_only);
        let mut state = Call::new(key, now, local_rtp.ip(), Phase::Dialing);
        state.local_sdp = Some(offer);
        state.local_rtp = Some(local_rtp);
        state.linked = pending.linked;
        state.failover = Some(Box::new(failover));
        state.attachment = pending
            .room
            .clone()
            .map_or(Attachment::Alone, Attachment::Room);
        state.timers = pending.timers.clone();
        state.handled = true;
        state.media_muted = media_muted;
        state.with_others_since =
            (pending.room.is_some() || pending.linked.is_some()).then_some(now);
        self.calls.insert(call, state);
        self.by_key.insert(key, call);
    }

    /// A provisional response to a placed call; with SDP, its early media
    /// starts. A forwarded caller hears of it.
    pub(super) fn placed_call_progress(
        &mut self,
        call: CallId,
        now: Instant,
        code: u16,
        reason: String,
        answer: Option<sdp::Offer>,
    ) {
        let early_media = match answer {
            Some(answer) => self.start_placed_media(call, &answer),
            None => {
                self.start_silent_leg(call);
                false
            }
        };
        // As SEMS lists a dial-out: ringing on 180 and 183 only; 181 (forwarded),
        // 182 (queued) and the like leave it connecting, with their reason.
        let listed = if matches!(code, 180 | 183) {
            ParticipantStatus::Ringing
        } else {
            ParticipantStatus::Connecting
        };
        let status = format!("{code} {reason}");
        self.set_participant_status(call, listed, Some(&status));
        self.guest_event(
            call,
            CallEvent::Progress {
                code,
                reason,
                early_media,
            },
        );
        let Some(caller) = self.calls.get(&call).and_then(|c| c.linked) else {
            return;
        };
        if let Err(e) = self.relay_progress(now, caller, call, code) {
            tracing::debug!(%caller, "progress not relayed to the caller: {e}");
        }
    }

    /// The callee answered a placed call (our ACK is sent). Without a codec in
    /// common, or with an address of another family than our offer's, it is hung up
    /// and fails with 488. The 2xx's answer is the one that holds (RFC 3261
    /// §13.2.1), also after an early answer in a 183, which a fork other than the
    /// one that answered may have sent.
    pub(super) fn placed_call_answered(&mut self, now: Instant, call: CallId, answer: sdp::Offer) {
        let early = self.calls.get(&call).is_some_and(|c| c.session.is_some());
        let agreed = if early {
            let ours = self.calls.get(&call).and_then(|c| c.local_sdp.clone());
            Session::agree_answer(&answer, &ours.unwrap_or_default())
                .map(|session| self.apply_session(now, call, session))
                .is_some()
        } else {
            self.start_placed_media(call, &answer)
        };
        if !agreed {
            tracing::info!(%call, "the callee's answer has no codec in common or an address of another family: hanging up");
            let linked = self.calls.get(&call).and_then(|c| c.linked);
            self.guest_event(
                call,
                CallEvent::Failed {
                    code: 488,
                    reason: "Not Acceptable Here".to_owned(),
                },
            );
            if let Some(caller) = linked {
                let _ = self.reject(now, caller, 488, "Not Acceptable Here");
            }
            let _ = self.hangup(now, call);
            return;
        }
        let Some(state) = self.calls.set_phase(call, Phase::Answered(now)) else {
            return;
        };
        state.failover = None;
        let (linked, started) = (state.linked, state.started);
        for timer in [state.ring_timer.take(), state.target_timer.take()]
            .into_iter()
            .flatten()
        {
            self.timers.cancel(timer);
        }
        self.stats.answered(started, now);
        self.rearm_rtp_timeout(call);
        self.watch_peer(now, call);
        self.set_participant_status(call, ParticipantStatus::Connected, Some("200 OK"));
        self.guest_event(call, CallEvent::Answered);
        if let Some(caller) = linked
            && let Err(e) = self.connect_forwarded(now, caller, call)
        {
            tracing::info!(%caller, "the forwarded caller cannot be connected: {e}");
            let _ = self.hangup(now, call);
        }
    }

    /// A placed call failed with a final response (or a local time-out); a
    /// failure of the next hop (`try_next`) sends the INVITE to the next
    /// target instead, if there is one and the endpoint sends it.
    pub(super) fn placed_call_rejected(
        &mut self,
        now: Instant,
        call: CallId,
        code: u16,
        reason: String,
        try_next: bool,
    ) {
        if try_next && matches!(self.try_next_target(now, call), NextTargetOutcome::Tried) {
            return;
        }
        self.fail_dialing(now, call, Failure::new(code, reason));
    }

    /// Sends a new INVITE of the placed call `call`, still dialing, to its next
    /// target (RFC 3263 §4.3: a new transaction, the same offer, or a new one when
    /// another local end serves the target). A call that cannot move to that address
    /// (no RTP port free there) fails instead, and counts as tried. An INVITE the
    /// endpoint refuses leaves failing the call to the caller, which knows with what:
    /// the previous target's failure when it answered with one; the refusal itself
    /// when it gave none and the call cannot keep waiting for it, as after a move of
    /// its local end (the INVITE already sent offered the port the move released).
    /// Early media of the failed target stops until the new one's.
    fn try_next_target(&mut self, now: Instant, call: CallId) -> NextTargetOutcome {
        let Some(state) = self.calls.get_mut(&call) else {
            return NextTargetOutcome::Untried;
        };
        if state.phase() != Phase::Dialing {
            return NextTargetOutcome::Untried;
        }
        let Some(failover) = state.failover.as_mut() else {
            return NextTargetOutcome::Untried;
        };
        let (network, media) = (&mut self.network, state.local_ip);
        // Our addresses may have changed since the targets were resolved.
        let Some(mut invite) = failover.next(|ip| network.media_ip_for(ip).is_ok()) else {
            return NextTargetOutcome::Untried;
        };
        let destination = invite.destination;
        let moved = self.local_end_moves(media, &invite);
        if moved && let Err(failure) = self.move_local_end(call, &mut invite) {
            self.fail_dialing(now, call, failure);
            return NextTargetOutcome::Tried;
        }
        let key = match self.endpoint.invite(now, invite) {
            Ok(key) => key,
            Err(e) => {
                tracing::warn!(%call, "the INVITE to the next target was refused: {e}");
                // The INVITE already sent offered the port the move released.
                return if moved {
                    NextTargetOutcome::RefusedAfterMove(e)
                } else {
                    NextTargetOutcome::Untried
                };
            }
        };
        tracing::info!(%call, to = %destination, "trying the next target");
        let Some(state) = self.calls.get_mut(&call) else {
            return NextTargetOutcome::Untried;
        };
        state.key = key;
        self.by_key.insert(key, call);
        if state.session.take().is_some()
            && let Some(worker) = state.worker
        {
            self.media(MediaOp::UpdateLeg {
                worker,
                leg: call.leg(),
                params: silent_params(),
            });
        }
        self.watch_target(now, call);
        NextTargetOutcome::Tried
    }

    /// The placed call `call`, still dialing, fails with `failure` (its forwarded
    /// caller, if any, with it).
    fn fail_dialing(&mut self, now: Instant, call: CallId, failure: Failure) {
        let linked = self.calls.get(&call).and_then(|c| c.linked);
        self.placed_call_failed(now, call, linked, None, failure);
    }

    /// A placed call rang for `ring_timeout` unanswered: it is cancelled (RFC
    /// 3261 §9.1), and its guest hears it failed with 408 when it ends.
    pub(super) fn ring_timed_out(&mut self, now: Instant, call: CallId) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        state.ring_timer = None;
        if state.phase() != Phase::Dialing {
            return;
        }
        state.unanswered = true;
        tracing::info!(%call, "no answer in time: cancelling");
        let _ = self.hangup(now, call);
    }

    /// What a placed call cancelled for want of an answer failed with.
    pub(super) fn unanswered_failure(&self) -> (u16, String) {
        let limit = self.config.ring_timeout.as_secs();
        (408, format!("No answer within {limit} s"))
    }

    /// Reports the failure to the call's guest, rejects a forwarded caller
    /// ([`fail_caller`](Self::fail_caller)), and ends the call; a call still
    /// resolving its target leaves `room`, where it was listed, as Finished with the
    /// failure.
    fn placed_call_failed(
        &mut self,
        now: Instant,
        call: CallId,
        linked: Option<CallId>,
        room: Option<String>,
        failure: Failure,
    ) {
        tracing::info!(%call, code = failure.code, reason = %failure.reason, "placed call failed");
        let status = format!("{} {}", failure.code, failure.reason);
        self.guest_event(
            call,
            CallEvent::Failed {
                code: failure.code,
                reason: failure.reason.clone(),
            },
        );
        if let Some(caller) = linked {
            self.fail_caller(now, caller, failure.code, &failure.reason);
        }
        if self.calls.contains_key(&call) {
            self.ended(now, call, super::Ending::Failed(status));
        } else {
            self.unsent_call_ended(now, call, room, &status);
        }
    }

    /// The placed call `call` ended while still resolving its target, so without a SIP
    /// call: `room`, where it was listed, lists it Finished for `reason`.
    fn unsent_call_ended(
        &mut self,
        now: Instant,
        call: CallId,
        room: Option<String>,
        reason: &str,
    ) {
        self.stats.ended_unanswered();
        if let Some(room) = room {
            self.finish_participant(now, &room, call, Some(reason));
        }
        self.guest_event(call, CallEvent::Hangup);
    }

    /// The call forwarded for `caller` failed with `code`: the caller, unless
    /// it is gone or ending, is rejected with the code [`caller_failure`] makes
    /// of it, or hung up if it was answered meanwhile.
    pub(super) fn fail_caller(&mut self, now: Instant, caller: CallId, code: u16, reason: &str) {
        if self.calls.get(&caller).is_none_or(|c| c.ending()) {
            return;
        }
        let (code, reason) = caller_failure(code, reason);
        if self.reject(now, caller, code, reason).is_err() {
            let _ = self.hangup(now, caller);
        }
    }

    /// Ends a call still resolving its target, as failing with `code` and `reason` (the
    /// caller it was placed for, if any, is refused with them); false if it is not one.
    pub(super) fn cancel_pending(
        &mut self,
        now: Instant,
        call: CallId,
        code: u16,
        reason: &str,
    ) -> bool {
        let Some(pending) = self.dialing.remove(&call) else {
            return false;
        };
        self.pending_failed(now, call, pending, Failure::new(code, reason));
        true
    }

    /// Ends `call`, still resolving its target, as its guest's hang-up or a kick asked, for
    /// `reason` (what its room lists); false if it is not one. As for one hung up while it
    /// rings, its guest hears only `Hangup`, and the caller it was placed for, if any, is
    /// refused with 480 (not 487, which RFC 3261 §21.4.25 keeps for a request its sender's
    /// BYE or CANCEL ended: that caller sent neither).
    pub(super) fn hang_up_pending(&mut self, now: Instant, call: CallId, reason: &str) -> bool {
        let Some(pending) = self.dialing.remove(&call) else {
            return false;
        };
        tracing::info!(%call, reason, "placed call hung up while resolving its target");
        self.end_guest_timers(&pending.timers);
        if let Some(caller) = pending.linked {
            self.fail_caller(now, caller, 480, "Temporarily Unavailable");
        }
        self.unsent_call_ended(now, call, pending.room, reason);
        true
    }

    /// The call `pending` was placing, still resolving its target, fails with
    /// `failure`; its guest's timers end with it.
    fn pending_failed(
        &mut self,
        now: Instant,
        call: CallId,
        pending: PendingDial,
        failure: Failure,
    ) {
        self.end_guest_timers(&pending.timers);
        self.placed_call_failed(now, call, pending.linked, pending.room, failure);
    }

    /// A call's guest `timers` end with its guest or with it.
    pub(super) fn end_guest_timers<'t>(&mut self, timers: impl IntoIterator<Item = &'t TimerId>) {
        for timer in timers {
            self.timers.cancel(*timer);
        }
    }

    /// Agrees the audio with the callee's (early) answer and starts the leg
    /// on the port our offer named (or gives the silent leg of a ringing call
    /// the agreed parameters); false without a codec in common.
    fn start_placed_media(&mut self, call: CallId, answer: &sdp::Offer) -> bool {
        let Some(state) = self.calls.get_mut(&call) else {
            return false;
        };
        if state.session.is_some() {
            return true;
        }
        let ours = state.local_sdp.as_deref().unwrap_or_default();
        let Some(session) = Session::agree_answer(answer, ours) else {
            return false;
        };
        let params = session.leg_params();
        state.session = Some(session);
        if let Some(worker) = state.worker {
            self.media(MediaOp::UpdateLeg {
                worker,
                leg: call.leg(),
                params,
            });
            return true;
        }
        let offer = state.local_sdp.clone().unwrap_or_default();
        self.start_leg(call, offer).is_ok()
    }

    /// Gives a placed call that rings without early media a leg that neither
    /// sends nor receives (its audio is not agreed yet), so that its room can
    /// hear prompts said in its name (a ringback); the callee's answer gives
    /// it the agreed parameters.
    fn start_silent_leg(&mut self, call: CallId) {
        let Some(state) = self.calls.get(&call) else {
            return;
        };
        if state.worker.is_some() {
            return;
        }
        let offer = state.local_sdp.clone().unwrap_or_default();
        if let Err(e) = self.start_leg_with(call, silent_params(), offer) {
            tracing::debug!(%call, "no silent leg for the ringing call: {e}");
        }
    }

    /// Tells a forwarded caller of the callee's progress: 183 with our SDP
    /// answer once the callee's early media flows (the two legs bridged),
    /// else 180. Once that answer went, the callee's ringing goes on as 183
    /// with the same answer. A caller that sent no offer has no answer to take
    /// early media in (our offer goes in the 2xx): it hears 180 for any progress.
    fn relay_progress(
        &mut self,
        now: Instant,
        caller: CallId,
        callee: CallId,
        code: u16,
    ) -> Result<(), CoreError> {
        let callee_media = self.call(callee)?.session.is_some();
        let state = self.call(caller)?;
        if state.phase() != Phase::Offered {
            return Ok(());
        }
        let key = state.key;
        let caller_offered = state.session.is_some();
        if let Some(answer) = state.local_sdp.clone() {
            if callee_media && self.take_early_rebridge(caller, callee) {
                self.connect_legs(now, caller, callee)?;
            }
            return self.relay_ringing_in_early_media(now, key, code, answer);
        }
        if callee_media && caller_offered {
            let sdp = self.reserve_answer(caller)?;
            if let Err(e) =
                self.endpoint
                    .progress(now, key, 183, "Session Progress", Some(sdp.clone()))
            {
                self.network.close_rtp(caller.leg());
                return Err(CoreError::state(e.to_string()));
            }
            self.start_leg(caller, sdp)?;
            self.connect_legs(now, caller, callee)
        } else if (180..=182).contains(&code) || !callee_media || !caller_offered {
            self.endpoint
                .progress(now, key, 180, "Ringing", None)
                .map_err(|e| CoreError::state(e.to_string()))
        } else {
            Ok(())
        }
    }

    /// Whether the forwarded `caller` and its placed call `callee`, whose early bridge
    /// ended when `callee` moved to another local end, are to be bridged anew now that the
    /// next target's early media flows: once, and only while both are still alone. A
    /// guest that put either in a room or a bridge meanwhile keeps it there; any other
    /// early media leaves the caller where its guest has it.
    fn take_early_rebridge(&mut self, caller: CallId, callee: CallId) -> bool {
        let Some(state) = self.calls.get_mut(&callee) else {
            return false;
        };
        if !std::mem::take(&mut state.rebridge_early) {
            return false;
        }
        let alone = |call| {
            self.calls
                .get(&call)
                .is_some_and(|c| c.attachment == Attachment::Alone)
        };
        alone(caller) && alone(callee)
    }

    /// The callee's progress `code` reaches the forwarded caller `key`, whose
    /// early media flows with our `answer`: ringing (180-182) as 183 with that
    /// answer, any other not at all.
    fn relay_ringing_in_early_media(
        &mut self,
        now: Instant,
        key: CallKey,
        code: u16,
        answer: String,
    ) -> Result<(), CoreError> {
        if !(180..=182).contains(&code) {
            return Ok(());
        }
        // RFC 3261 §13.2.1, RFC 6337 §3.1: the answer is the same in every provisional
        // response to the INVITE (the endpoint leaves it out of a reliable one after the
        // first, where it would be a new offer); a 183 keeps the caller on the early media,
        // where many phones take a 180 for their own ringback.
        self.endpoint
            .progress(now, key, 183, "Session Progress", Some(answer))
            .map_err(|e| CoreError::state(e.to_string()))
    }

    /// The callee of a forwarded call answered: the caller is answered (with
    /// the SDP of its early media, if any) and the two are bridged.
    fn connect_forwarded(
        &mut self,
        now: Instant,
        caller: CallId,
        callee: CallId,
    ) -> Result<(), CoreError> {
        if self.call(caller)?.phase() == Phase::Offered {
            self.answer(now, caller)?;
        }
        self.connect_legs(now, caller, callee)
    }
}

/// The first of a placed call's `targets` it may try, and the rest: those `network` has a
/// route to and our RTP serves the address family of (RFC 3263 §4.3 passes over the
/// others); `Err` says why there is none.
fn first_usable(
    network: &mut dyn Network,
    targets: Vec<Target>,
) -> Result<(Target, std::vec::IntoIter<Target>), String> {
    if targets.is_empty() {
        return Err("no target".to_owned());
    }
    let routed: Vec<Target> = targets
        .into_iter()
        .filter(|(_, addr)| network.reaches(addr.ip()))
        .collect();
    if routed.is_empty() {
        return Err("no route to any of its addresses".to_owned());
    }
    let served = routed
        .into_iter()
        .filter(|(_, addr)| network.media_ip_for(addr.ip()).is_ok())
        .collect();
    failover::first(served)
        .ok_or_else(|| "no address of ours carries media to any of its addresses".to_owned())
}

/// The parameters of a leg whose audio is not agreed yet (a placed call ringing, an
/// incoming call without an offer before the ACK brings the answer to ours): it
/// neither sends nor receives, so nothing goes anywhere until the answer gives its
/// peer's address and codec.
pub(super) fn silent_params() -> LegParams {
    LegParams {
        codec: Codec::Pcmu,
        payload_type: Codec::Pcmu.payload_type(),
        telephone_event: None,
        incoming: None,
        remote: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        direction: MediaDirection::Inactive,
        ptime_ms: 20,
        opus: OpusParams::default(),
        rtcp: RtcpPath::Separate(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))),
        peer_holds: false,
    }
}

/// Our offer of every codec we support, at `local_rtp`, with the o= session id `session_id`:
/// that of a call we place, and of our 2xx to an INVITE without an offer.
pub(super) fn our_offer(local_rtp: SocketAddr, session_id: u64) -> String {
    sdp::offer(&offered_formats(), TELEPHONE_EVENTS, local_rtp, session_id)
}

/// What our offers list, in order of preference: every codec the media
/// workers support, at its static payload type (Opus at a dynamic one, with
/// our format parameters).
fn offered_formats() -> Vec<sdp::Format> {
    SUPPORTED_ENCODINGS
        .iter()
        .filter_map(|&(name, rate)| Codec::from_encoding(name, rate))
        .map(|codec| sdp::Format {
            payload_type: codec.payload_type(),
            encoding: codec.encoding_name().to_owned(),
            clock_rate: codec.clock_rate(),
            channels: codec.sdp_channels(),
            fmtp: (codec == Codec::Opus).then(|| sdp::OPUS_FMTP.to_owned()),
        })
        .collect()
}

/// An address as the host part of a SIP URI (IPv6 in brackets, RFC 3261 §25.1).
fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// What the caller of a forwarded call is rejected with when the call placed for it failed
/// with `code` and `reason`: the same, except where that response would be wrong coming from
/// this host, which answers the caller as a user agent, not as a proxy.
/// - A redirection (3xx) the host does not follow: 480, the callee not being reachable.
/// - A 487 answers only a request its sender cancelled (RFC 3261 §9.2, §15.1.2), which the
///   caller did not (its own CANCEL ends it before the call placed for it): 480, as when the
///   host hangs up the placed call once its INVITE went.
/// - A challenge (401, 407) was meant for the host, which could not answer it: 403.
/// - A 503 would tell the caller, and any proxy before it, that this host is out of service
///   (RFC 3261 §21.5.4); a proxy turns it into 500 for the same reason (§16.7 step 6): 500.
/// - Any other response a rejection cannot carry ([`needs_own_headers`]) refuses how the
///   host's request was made, nothing the caller did or could change: 500.
/// - A code outside 300–699 (none a failure can have): 500.
fn caller_failure(code: u16, reason: &str) -> (u16, &str) {
    match code {
        300..=399 | 487 => (480, "Temporarily Unavailable"),
        401 | 407 => (403, "Forbidden"),
        503 => (500, "Server Internal Error"),
        code if needs_own_headers(code) => (500, "Server Internal Error"),
        400..=699 => (code, reason),
        _ => (500, "Server Internal Error"),
    }
}

/// Whether a response with `code` needs a header field of its own, which a rejection (a code
/// and a phrase) cannot carry: a redirection's Contact (RFC 3261 §21.3), a challenge (401,
/// 407: §21.4.2, §21.4.8), 405's Allow (§21.4.6), 415's Accept (§21.4.13), 420's Unsupported
/// (§21.4.15), 421's Require (§21.4.16), 422's Min-SE (RFC 4028 §6), 423's Min-Expires
/// (§21.4.17), 494's Security-Server (RFC 3329 §2.3.1).
pub(crate) fn needs_own_headers(code: u16) -> bool {
    matches!(
        code,
        300..=399 | 401 | 405 | 407 | 415 | 420 | 421 | 422 | 423 | 494
    )
}
