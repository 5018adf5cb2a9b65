//! What guests and control requests ask of the core. Every command either
//! changes state and queues effects, or returns an error and changes nothing.
//! A command that would send a media worker commands is refused while one of
//! them has [`MAX_MEDIA_BACKLOG`](crate::MAX_MEDIA_BACKLOG) waiting.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchyard_media::{LegParams, MAX_GAIN_DB, MIN_GAIN_DB, PlayId, Prompt, PromptRole, RoomId};
use switchyard_sip::sdp;

use super::{CallCore, RETRY_AFTER_S};
use crate::call::{Attachment, Call, CallId, Phase};
use crate::dial::DialRequest;
use crate::effect::{Effect, MediaOp};
use crate::error::CoreError;
use crate::rooms::{
    JoinOptions, KEEP_META_KEY, MAX_META_BYTES, MAX_META_ENTRIES, MAX_META_KEY_BYTES,
    MAX_META_VALUE_BYTES, MAX_REASON_BYTES, ParticipantStatus, Room, RoomView, room_name_problem,
};
use crate::timers::{TimerId, TimerKind};

impl CallCore {
    /// Answers an offered call: 200 OK with the SDP answer, and its media leg
    /// starts (in its room, if it already joined one). A call with early media
    /// repeats the answer it already sent, and counts as answered in the stats
    /// once its ACK comes or it ends otherwise than for want of a PRACK.
    pub fn answer(&mut self, now: Instant, call: CallId) -> Result<(), CoreError> {
        let state = self.call(call)?;
        if state.phase() != Phase::Offered {
            return Err(CoreError::state("the call is already answered or ending"));
        }
        let late_offer = state.session.is_none();
        let (sdp, fresh) = match &state.local_sdp {
            Some(sdp) => (sdp.clone(), false),
            None if late_offer => (self.reserve_offer(call)?, true),
            None => (self.reserve_answer(call)?, true),
        };
        let key = self.call(call)?.key;
        if let Err(e) = self.endpoint.answer(now, key, sdp.clone()) {
            if fresh {
                self.network.close_rtp(call.leg());
            }
            return Err(CoreError::state(e.to_string()));
        }
        if late_offer {
            // Until the ACK brings the answer, the leg sends nothing: what the guest plays
            // meanwhile starts, and is heard from the answer on.
            self.start_leg_with(call, super::outbound::silent_params(), sdp)?;
        } else if fresh {
            self.start_leg(call, sdp)?;
        }
        let state = self
            .calls
            .set_phase(call, Phase::Answered(now))
            .ok_or(CoreError::NoSuchCall)?;
        state.handled = true;
        if fresh {
            let started = state.started;
            self.stats.answered(started, now);
        } else {
            // The 2xx after an early answer may wait for its PRACK, and never go.
            state.answer_uncounted = true;
        }
        self.rearm_rtp_timeout(call);
        self.watch_peer(now, call);
        Ok(())
    }

    /// Reserves an RTP port for an incoming call and returns the SDP answer
    /// naming it; [`CallCore::start_leg`] uses it, or the port must be closed.
    pub(super) fn reserve_answer(&mut self, call: CallId) -> Result<String, CoreError> {
        let negotiated = self
            .call(call)?
            .session
            .as_ref()
            .ok_or_else(|| CoreError::state(format!("{call} has no agreed audio yet")))?
            .negotiated
            .clone();
        let local_rtp = self.reserve_rtp(call)?;
        // RFC 4566 §5.2: any number unique to the session will do; the call's is.
        Ok(sdp::answer(&negotiated, local_rtp, call.0))
    }

    /// Reserves an RTP port for an incoming call without an offer (a late offer) and returns
    /// our offer naming it, for the 2xx; the port is the leg's, or must be closed.
    fn reserve_offer(&mut self, call: CallId) -> Result<String, CoreError> {
        let local_rtp = self.reserve_rtp(call)?;
        Ok(super::outbound::our_offer(local_rtp, call.0))
    }

    /// Reserves the RTP port of an incoming call's leg, on the call's local address, and
    /// records it as the call's.
    fn reserve_rtp(&mut self, call: CallId) -> Result<SocketAddr, CoreError> {
        let local_ip = self.call(call)?.local_ip;
        let port = self
            .network
            .open_rtp(call.leg(), local_ip)
            .map_err(|e| CoreError::state(format!("no RTP port: {e}")))?;
        let local_rtp = SocketAddr::new(local_ip, port);
        self.call_mut(call)?.local_rtp = Some(local_rtp);
        Ok(local_rtp)
    }

    /// Starts the media leg of a call whose audio is agreed, on the port its
    /// `local_sdp` names (reserved already): in its room if it joined one, and
    /// muted or deaf if it was before.
    pub(super) fn start_leg(&mut self, call: CallId, local_sdp: String) -> Result<(), CoreError> {
        let params = self
            .call(call)?
            .session
            .as_ref()
            .ok_or_else(|| CoreError::state(format!("{call} has no agreed audio yet")))?
            .leg_params();
        self.start_leg_with(call, params, local_sdp)
    }

    /// Starts the call's media leg with `params`, in its room if it has one.
    pub(super) fn start_leg_with(
        &mut self,
        call: CallId,
        params: LegParams,
        local_sdp: String,
    ) -> Result<(), CoreError> {
        let leg = call.leg();
        let state = self.call(call)?;
        let room = state.room().map(str::to_owned);
        let muted = state.media_muted;
        let deaf = room
            .as_deref()
            .and_then(|room| self.rooms.get(room)?.get(call))
            .is_some_and(|participant| participant.view.deaf);
        let worker = match &room {
            Some(room) => self.placement.room(room),
            None => self.placement.leg(leg),
        };
        self.media(MediaOp::AddLeg {
            worker,
            leg,
            params,
        });
        if let Some(room) = room {
            self.media(MediaOp::Join {
                worker,
                leg,
                room: RoomId(room.clone()),
            });
            self.resume_announcement(&room, call);
        }
        // A participant muted before it was answered starts muted.
        if muted {
            self.media(MediaOp::SetMuted { worker, leg, muted });
        }
        // A participant made deaf before it had media starts deaf.
        if deaf {
            self.media(MediaOp::SetDeaf { worker, leg, deaf });
        }
        let state = self.call_mut(call)?;
        state.worker = Some(worker);
        state.local_sdp = Some(local_sdp);
        Ok(())
    }

    /// Rejects an offered call with a final response (300–699), but for the codes whose
    /// response needs a header field of its own (3xx, 401, 405, 407, 415, 420–423, 494), which
    /// are [`CoreError::InvalidArgument`].
    pub fn reject(
        &mut self,
        now: Instant,
        call: CallId,
        code: u16,
        reason: &str,
    ) -> Result<(), CoreError> {
        if !(300..=699).contains(&code) {
            return Err(CoreError::InvalidArgument(format!(
                "reject needs a final non-2xx code (300-699), got {code}"
            )));
        }
        if super::outbound::needs_own_headers(code) {
            return Err(CoreError::InvalidArgument(format!(
                "a {code} needs a header field of its own (a Contact, a challenge, Allow, \
                 Accept, Unsupported, Require, Min-SE, Min-Expires or Security-Server), which \
                 reject cannot give: use another code (480, 403, 500, ...)"
            )));
        }
        if self.call(call)?.phase() != Phase::Offered {
            return Err(CoreError::state("only an unanswered call can be rejected"));
        }
        let state = self
            .calls
            .set_phase(call, Phase::Ending { answered: None })
            .ok_or(CoreError::NoSuchCall)?;
        state.handled = true;
        let key = state.key;
        self.set_participant_status(call, ParticipantStatus::Disconnecting, Some("disconnect"));
        self.endpoint
            .reject(now, key, code, reason)
            .map_err(|e| CoreError::state(e.to_string()))?;
        self.drain_sip(now);
        Ok(())
    }

    /// Ends a call: BYE if answered, a rejection (480) otherwise. Ending a call
    /// that is already ending does nothing.
    pub fn hangup(&mut self, now: Instant, call: CallId) -> Result<(), CoreError> {
        self.end(now, call, "disconnect").map(drop)
    }

    /// Hangs up a participant of a room; it is listed as "kicked". True when this ended
    /// the call, false when it was ending already (for another reason, which stands).
    pub fn kick(&mut self, now: Instant, call: CallId) -> Result<bool, CoreError> {
        let in_room = match self.dialing.get(&call) {
            Some(pending) => pending.room.is_some(),
            None => self.call(call)?.room().is_some(),
        };
        if !in_room {
            return Err(CoreError::state(format!("{call} is not in a room")));
        }
        self.end(now, call, "kicked")
    }

    /// Ends the call for `reason`: true when this ended it, false when it was ending already.
    fn end(&mut self, now: Instant, call: CallId, reason: &str) -> Result<bool, CoreError> {
        if self.hang_up_pending(now, call, reason) {
            return Ok(true);
        }
        let state = self.call(call)?;
        if state.ending() {
            return Ok(false);
        }
        let answered = state.answered_at();
        let state = self
            .calls
            .set_phase(call, Phase::Ending { answered })
            .ok_or(CoreError::NoSuchCall)?;
        state.handled = true;
        let key = state.key;
        self.set_participant_status(call, ParticipantStatus::Disconnecting, Some(reason));
        self.endpoint
            .hangup(now, key)
            .map_err(|e| CoreError::state(e.to_string()))?;
        self.drain_sip(now);
        Ok(true)
    }

    /// Connects two answered calls to each other; each leaves its room or
    /// bridge first (a former peer is told it is unbridged).
    pub fn bridge(&mut self, now: Instant, a: CallId, b: CallId) -> Result<(), CoreError> {
        if a == b {
            return Err(CoreError::InvalidArgument(format!(
                "a call cannot be bridged to itself ({a})"
            )));
        }
        for call in [a, b] {
            if !self.call(call)?.answered() {
                return Err(CoreError::state(format!("{call} is not answered")));
            }
        }
        self.check_media_backlog(&[a, b])?;
        for (call, peer) in [(a, b), (b, a)] {
            if self.call(call)?.linked != Some(peer) {
                self.unlink(call);
            }
        }
        self.connect_legs(now, a, b)
    }

    /// Bridges two calls whose media legs run (answered, or early media).
    pub(super) fn connect_legs(
        &mut self,
        now: Instant,
        a: CallId,
        b: CallId,
    ) -> Result<(), CoreError> {
        if self.call(a)?.attachment == Attachment::Bridge(b) {
            return Ok(());
        }
        for call in [a, b] {
            if let Some(room) = self.call(call)?.room() {
                let room = room.to_owned();
                self.effects.push_back(Effect::LeftRoom { call, room });
            }
        }
        self.detach(now, a);
        self.detach(now, b);
        let worker = self.media_worker(a)?;
        self.media_worker(b)?;
        self.move_to(b, worker);
        for call in [a, b] {
            self.unmute_media(call);
        }
        self.media(MediaOp::Bridge {
            worker,
            a: a.leg(),
            b: b.leg(),
        });
        for (call, peer) in [(a, b), (b, a)] {
            let state = self.call_mut(call)?;
            state.attachment = Attachment::Bridge(peer);
            state.put_with_others(now);
        }
        Ok(())
    }

    /// Separates the call's bridge; both calls are alone, and the peer is told.
    pub fn unbridge(&mut self, now: Instant, call: CallId) -> Result<(), CoreError> {
        if !matches!(self.call(call)?.attachment, Attachment::Bridge(_)) {
            return Err(CoreError::state(format!("{call} is not bridged")));
        }
        self.check_media_backlog(&[call])?;
        self.unlink(call);
        self.detach(now, call);
        Ok(())
    }

    /// Plays prompts to a call with media: to it only ([`PromptRole::Heard`]),
    /// or as its voice ([`PromptRole::Said`]).
    pub fn play(
        &mut self,
        call: CallId,
        prompts: Vec<Arc<Prompt>>,
        looped: bool,
        role: PromptRole,
    ) -> Result<(), CoreError> {
        let worker = self.guest_media_worker(call)?;
        let play = self.next_play(call, role);
        self.media(MediaOp::Play {
            worker,
            leg: call.leg(),
            prompts,
            looped,
            role,
            play,
        });
        Ok(())
    }

    /// Stops the call's prompts of `role`.
    pub fn stop(&mut self, call: CallId, role: PromptRole) -> Result<(), CoreError> {
        let worker = self.guest_media_worker(call)?;
        self.next_play(call, role);
        self.media(MediaOp::Stop {
            worker,
            leg: call.leg(),
            role,
        });
        Ok(())
    }

    /// Numbers the next play or stop of the call's prompts of `role`. Of a list it hears, the
    /// end of every one before goes unreported from now on, also once the worker reported it:
    /// the guest's `play` replaced that list, or its `stop` ended it (call.wit). Voice prompts
    /// report no end: theirs leave the number as it is.
    fn next_play(&mut self, call: CallId, role: PromptRole) -> PlayId {
        let Some(state) = self.calls.get_mut(&call) else {
            return PlayId::default();
        };
        if role == PromptRole::Heard {
            state.heard_play.0 += 1;
        }
        state.heard_play
    }

    /// Lists the call in `room` (opening it), after it leaves any room or
    /// bridge; an answered call's media moves there. A call joining the room
    /// it is in stays there as it is, its media and flags untouched, listed
    /// with `options` in its place. Returns how many other
    /// participants of the room have not finished. A number of more than
    /// 2 KiB, or a reason or participant id of more than 256 bytes, is
    /// refused.
    pub fn join(
        &mut self,
        now: Instant,
        call: CallId,
        room: &str,
        options: JoinOptions,
    ) -> Result<u32, CoreError> {
        self.check_joinable(Some(call), room, &options)?;
        if self.dialing.contains_key(&call) {
            return Ok(self.join_while_placing(now, call, room, options));
        }
        let state = self.call(call)?;
        if state.ending() {
            return Err(CoreError::state(format!("{call} is ending")));
        }
        if state.room() == Some(room) {
            return Ok(self.relist(room, call, options));
        }
        let status = if state.answered() {
            ParticipantStatus::Connected
        } else {
            ParticipantStatus::Connecting
        };
        if let Some(worker) = state.worker {
            // The leg leaves its room or bridge on its worker, and joins on the room's.
            self.media_backlog
                .check([worker, self.placement.room(room)])?;
        }
        let media_started = state.worker.is_some();
        self.unlink(call);
        self.keep_room(room);
        self.detach(now, call);
        let others = self.list_participant(room, call, options, status);
        let state = self.call_mut(call)?;
        state.attachment = Attachment::Room(room.to_owned());
        state.put_with_others(now);
        if !media_started {
            // Listed anew, unmuted: a mute in the room it left must not follow it to its media.
            state.media_muted = false;
        } else {
            let worker = self.placement.room(room);
            self.move_to(call, worker);
            self.unmute_media(call);
            self.media(MediaOp::Join {
                worker,
                leg: call.leg(),
                room: RoomId(room.to_owned()),
            });
            self.resume_announcement(room, call);
        }
        Ok(others)
    }

    /// Places a call (as [`dial`](Self::dial) does) listed in `room` at once,
    /// Connecting, as [`join`](Self::join) would list it; its media joins
    /// when it has some. A room it may not join refuses the whole: nothing is
    /// placed.
    pub fn dial_into_room(
        &mut self,
        now: Instant,
        request: DialRequest,
        room: &str,
        options: JoinOptions,
    ) -> Result<CallId, CoreError> {
        self.check_joinable(None, room, &options)?;
        let call = self.dial(request)?;
        self.join_while_placing(now, call, room, options);
        Ok(call)
    }

    /// Whether [`dial_into_room`](Self::dial_into_room) would list a call in
    /// `room` with `options` now: what it refuses before placing anything.
    pub fn check_dial_room(&self, room: &str, options: &JoinOptions) -> Result<(), CoreError> {
        self.check_joinable(None, room, options)
    }

    /// Whether `call` (`None`: a call not placed yet) may join `room` listed
    /// with `options`: a valid name, options within their sizes (see
    /// [`check_join_options`]), and a room not locked unless it lists the call
    /// already.
    fn check_joinable(
        &self,
        call: Option<CallId>,
        room: &str,
        options: &JoinOptions,
    ) -> Result<(), CoreError> {
        check_room_name(room)?;
        check_join_options(options)?;
        match self.rooms.get(room) {
            Some(r) if r.locked && call.is_none_or(|call| r.get(call).is_none()) => {
                Err(CoreError::state(format!("room {room} is locked")))
            }
            _ => Ok(()),
        }
    }

    /// Lists a call still resolving its target in `room` (Connecting); its
    /// media joins when it has some. It leaves any room it was listed in; in
    /// the one it is listed in already, it is listed anew in place.
    fn join_while_placing(
        &mut self,
        now: Instant,
        call: CallId,
        room: &str,
        options: JoinOptions,
    ) -> u32 {
        let listed = self.dialing.get(&call).and_then(|p| p.room.as_deref());
        if listed == Some(room) {
            return self.relist(room, call, options);
        }
        self.keep_room(room);
        self.unlist_while_placing(now, call);
        if let Some(pending) = self.dialing.get_mut(&call) {
            pending.room = Some(room.to_owned());
        }
        self.list_participant(room, call, options, ParticipantStatus::Connecting)
    }

    /// Lists `call`, a participant of `room` already, with `options` where it is: leaving
    /// first would empty a room it is alone in, whose expiry would start and, past
    /// `max_empty_rooms`, push out another room, and its media would leave and join again.
    /// Returns how many others there have not finished.
    fn relist(&mut self, room: &str, call: CallId, options: JoinOptions) -> u32 {
        let Some(r) = self.rooms.get_mut(room) else {
            return 0;
        };
        r.relist(call, options);
        // It is one of the participants not finished: its call goes on.
        u32::try_from(r.live().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// Stops the expiry of `room` if it waits empty, as a call is about to
    /// join it: the room the call leaves then starts waiting, and must not
    /// push this one out past the empty rooms' cap.
    fn keep_room(&mut self, room: &str) {
        let expiry = self.rooms.get_mut(room).and_then(|r| r.expiry.take());
        self.cancel_room_expiry(expiry);
    }

    /// Takes a call still resolving its target off the list of the room it
    /// joined; false if it joined none.
    fn unlist_while_placing(&mut self, now: Instant, call: CallId) -> bool {
        let Some(room) = self
            .dialing
            .get_mut(&call)
            .and_then(|pending| pending.room.take())
        else {
            return false;
        };
        if let Some(r) = self.rooms.get_mut(&room) {
            r.remove(call);
            self.schedule_room_expiry(now, &room);
        }
        true
    }

    /// Adds `call` to the list of `room` (opening it, stopping its expiry);
    /// returns how many others there have not finished.
    fn list_participant(
        &mut self,
        room: &str,
        call: CallId,
        options: JoinOptions,
        status: ParticipantStatus,
    ) -> u32 {
        self.keep_room(room);
        // Back in a room it left for a bridge before the shell heard of it: telling the
        // shell it left would now take it out of the room it is in.
        self.effects.retain(
            |e| !matches!(e, Effect::LeftRoom { call: c, room: r } if *c == call && r == room),
        );
        let talking = self.calls.get(&call).is_some_and(|c| c.talking);
        let entry = self.room_or_create(room);
        let others = entry.live();
        entry.add(call, options, status, talking);
        u32::try_from(others).unwrap_or(u32::MAX)
    }

    /// Takes the call out of its room; it is then alone.
    pub fn leave(&mut self, now: Instant, call: CallId) -> Result<(), CoreError> {
        if self.dialing.contains_key(&call) {
            return match self.unlist_while_placing(now, call) {
                true => Ok(()),
                false => Err(CoreError::state(format!("{call} is not in a room"))),
            };
        }
        if self.call(call)?.room().is_none() {
            return Err(CoreError::state(format!("{call} is not in a room")));
        }
        self.check_media_backlog(&[call])?;
        self.detach(now, call);
        Ok(())
    }

    /// Mutes or unmutes a participant.
    pub fn set_muted(&mut self, call: CallId, muted: bool) -> Result<(), CoreError> {
        self.set_participant_flag(call, |p| &mut p.muted, muted)
    }

    /// Sets the gain on what a call with media says, as its room or bridge
    /// peer hears it: `MIN_GAIN_DB..=MAX_GAIN_DB` dB (0: as received).
    pub fn set_gain(&mut self, call: CallId, gain_db: f32) -> Result<(), CoreError> {
        if !(MIN_GAIN_DB..=MAX_GAIN_DB).contains(&gain_db) {
            return Err(CoreError::InvalidArgument(format!(
                "a gain is {MIN_GAIN_DB} to {MAX_GAIN_DB} dB, not {gain_db}"
            )));
        }
        let worker = self.guest_media_worker(call)?;
        self.media(MediaOp::SetGain {
            worker,
            leg: call.leg(),
            gain_db,
        });
        Ok(())
    }

    /// Makes a participant listen-only, or not.
    pub fn set_listen_only(&mut self, call: CallId, listen_only: bool) -> Result<(), CoreError> {
        self.set_participant_flag(call, |p| &mut p.listen_only, listen_only)
    }

    /// Makes a participant deaf, or not: it hears nothing of its room (its
    /// own prompts still play) until it leaves the room.
    pub fn set_deaf(&mut self, call: CallId, deaf: bool) -> Result<(), CoreError> {
        let (participant, worker) = self.participant_mut(call)?;
        participant.deaf = deaf;
        if let Some(worker) = worker {
            self.media(MediaOp::SetDeaf {
                worker,
                leg: call.leg(),
                deaf,
            });
        }
        Ok(())
    }

    /// A call's entry in its room's list, and its media worker if it has media,
    /// for a guest's command to change it: refused while that worker is busy
    /// (see [`check_media_backlog`](Self::check_media_backlog)).
    fn participant_mut(
        &mut self,
        call: CallId,
    ) -> Result<(&mut crate::ParticipantView, Option<usize>), CoreError> {
        let (room, worker) = match self.dialing.get(&call) {
            Some(dialing) => (dialing.room.clone(), None),
            None => {
                let state = self.call(call)?;
                (state.room().map(str::to_owned), state.worker)
            }
        };
        let room = room.ok_or_else(|| CoreError::state(format!("{call} is not in a room")))?;
        self.media_backlog.check(worker)?;
        let participant = self
            .rooms
            .get_mut(&room)
            .and_then(|r| r.get_mut(call))
            .ok_or(CoreError::NoSuchRoom)?;
        Ok((&mut participant.view, worker))
    }

    fn set_participant_flag(
        &mut self,
        call: CallId,
        flag: fn(&mut crate::ParticipantView) -> &mut bool,
        value: bool,
    ) -> Result<(), CoreError> {
        let (participant, worker) = self.participant_mut(call)?;
        *flag(participant) = value;
        let muted = participant.muted || participant.listen_only;
        if let Some(worker) = worker {
            self.media(MediaOp::SetMuted {
                worker,
                leg: call.leg(),
                muted,
            });
        }
        // A call still resolving takes the flag from its listing once filed.
        if let Some(state) = self.calls.get_mut(&call) {
            state.media_muted = muted;
        }
        Ok(())
    }

    /// Starts a timer of `call` (a placed call still resolving its target
    /// included) that fires as [`CallEvent::Timer`](crate::CallEvent::Timer)
    /// after `after`, unless the call ends or the timer is cancelled first.
    pub fn start_timer(
        &mut self,
        now: Instant,
        call: CallId,
        after: Duration,
    ) -> Result<TimerId, CoreError> {
        let max = self.config.max_timers_per_call;
        let pending = match self.dialing.get(&call) {
            Some(dialing) => dialing.timers.len(),
            None => {
                let state = self.call(call)?;
                if state.ending() {
                    return Err(CoreError::state(format!("{call} is ending")));
                }
                state.timers.len()
            }
        };
        if pending >= max {
            return Err(CoreError::InvalidArgument(format!(
                "{call} already has {max} timers pending"
            )));
        }
        let id = self.timers.schedule(now + after, TimerKind::Guest(call));
        self.guest_timers_mut(call)?.insert(id);
        Ok(id)
    }

    /// The guest timers pending of `call`, placed and resolving or not.
    pub(super) fn guest_timers_mut(
        &mut self,
        call: CallId,
    ) -> Result<&mut BTreeSet<TimerId>, CoreError> {
        match self.dialing.get_mut(&call) {
            Some(dialing) => Ok(&mut dialing.timers),
            None => self
                .calls
                .get_mut(&call)
                .map(|state| &mut state.timers)
                .ok_or(CoreError::NoSuchCall),
        }
    }

    /// Cancels a guest timer `call` started; false if it is not pending, or is
    /// not one of `call`'s (another call's, or not a guest's).
    pub fn cancel_timer(&mut self, call: CallId, timer: TimerId) -> bool {
        if self.timers.get(timer) != Some(&TimerKind::Guest(call)) {
            return false;
        }
        self.timers.cancel(timer);
        if let Ok(timers) = self.guest_timers_mut(call) {
            timers.remove(&timer);
        }
        true
    }

    /// Opens an empty room; false if it exists. It expires like any empty room, unless it
    /// is predefined.
    pub fn open_room(&mut self, now: Instant, room: &str) -> Result<bool, CoreError> {
        check_room_name(room)?;
        if self.rooms.contains_key(room) {
            return Ok(false);
        }
        self.room_or_create(room);
        self.schedule_room_expiry(now, room);
        Ok(true)
    }

    /// The room and its list.
    pub fn room_info(&self, room: &str) -> Option<RoomView> {
        self.rooms.get(room).map(|r| r.view(room))
    }

    /// Every room, in name order.
    pub fn list_rooms(&self) -> Vec<String> {
        self.rooms.keys().cloned().collect()
    }

    /// Deletes the room and hangs up every call in it, whose media ends at once: its leg is
    /// removed straight from the room, which its figures then name. A predefined room is
    /// opened again at once, empty, with no meta or lock: it still never expires.
    pub fn close_room(&mut self, now: Instant, room: &str) -> Result<(), CoreError> {
        check_room_name(room)?;
        let mut removed = self.rooms.remove(room).ok_or(CoreError::NoSuchRoom)?;
        self.room_removed(room, &removed);
        self.cancel_room_expiry(removed.expiry.take());
        for participant in removed.drain() {
            if let Some(expiry) = participant.expiry {
                self.timers.cancel(expiry);
            }
            let call = participant.view.call;
            if let Some(pending) = self.dialing.get_mut(&call) {
                // Still resolving: once placed it must not be filed into a room that is gone.
                pending.room = None;
                let _ = self.hangup(now, call);
                continue;
            }
            if let Some(state) = self.calls.get_mut(&call) {
                state.attachment = Attachment::Alone;
                // RFC 3261 §15.1.1: the session is over once the BYE goes. Removed from the
                // room, not first taken out of it, the leg's figures name the room it was in;
                // left in it, it would share the mix of a room opened anew under the name.
                // Its removal as the call ends then finds no leg, which the worker ignores.
                if let Some(worker) = state.worker {
                    self.media(MediaOp::RemoveLeg {
                        worker,
                        leg: call.leg(),
                    });
                }
                let _ = self.hangup(now, call);
            }
        }
        if removed.predefined {
            self.room_or_create(room);
        }
        Ok(())
    }

    /// Plays prompts into the room: every participant with media hears them,
    /// as if one more participant said them, in place of what was played into
    /// it before. Once, or `looped` (music on hold): then they start over at
    /// the end until [`stop_announcement`](Self::stop_announcement), another
    /// announcement or the room is gone, and play again, from the start,
    /// whenever the room gets a participant with media after having none. An
    /// announcement played once into a room where no participant has media
    /// is refused ([`CoreError::WrongState`]): nobody would hear it, and what
    /// was played before goes on.
    pub fn announce(
        &mut self,
        room: &str,
        prompts: Vec<Arc<Prompt>>,
        looped: bool,
    ) -> Result<(), CoreError> {
        check_room_name(room)?;
        if !self.rooms.contains_key(room) {
            return Err(CoreError::NoSuchRoom);
        }
        if !looped && !self.has_media_members(room, None) {
            return Err(CoreError::state(format!(
                "nobody in room {room:?} hears it: no participant has media"
            )));
        }
        self.media_backlog.check([self.placement.room(room)])?;
        if let Some(r) = self.rooms.get_mut(room) {
            r.looped_announcement = looped.then(|| prompts.clone());
        }
        self.send_announcement(room, prompts, looped);
        Ok(())
    }

    /// Stops what is played into the room, once or looped.
    pub fn stop_announcement(&mut self, room: &str) -> Result<(), CoreError> {
        check_room_name(room)?;
        self.media_backlog.check([self.placement.room(room)])?;
        let r = self.rooms.get_mut(room).ok_or(CoreError::NoSuchRoom)?;
        r.looped_announcement = None;
        self.media(MediaOp::StopAnnouncement {
            worker: self.placement.room(room),
            room: RoomId(room.to_owned()),
        });
        Ok(())
    }

    /// Asks the room's worker to play `prompts` into it.
    fn send_announcement(&mut self, room: &str, prompts: Vec<Arc<Prompt>>, looped: bool) {
        self.media(MediaOp::Announce {
            worker: self.placement.room(room),
            room: RoomId(room.to_owned()),
            prompts,
            looped,
        });
    }

    /// `call`'s leg has just joined `room` on its worker: when it is the room's only
    /// member with media there, the worker made the room anew, without the looped
    /// announcement it dropped with its last member (or never had), which plays again.
    fn resume_announcement(&mut self, room: &str, call: CallId) {
        let Some(prompts) = self
            .rooms
            .get(room)
            .and_then(|r| r.looped_announcement.clone())
        else {
            return;
        };
        if !self.has_media_members(room, Some(call)) {
            self.send_announcement(room, prompts, true);
        }
    }

    /// Whether a participant of `room` other than `except` has its media in the
    /// room: a leg that joined it on its worker and has not left.
    fn has_media_members(&self, room: &str, except: Option<CallId>) -> bool {
        let Some(r) = self.rooms.get(room) else {
            return false;
        };
        r.calls().filter(|&c| Some(c) != except).any(|c| {
            self.calls
                .get(&c)
                .is_some_and(|state| state.worker.is_some() && state.room() == Some(room))
        })
    }

    /// Locks the room (nobody new may join it; those listed stay) or
    /// unlocks it.
    pub fn set_locked(&mut self, room: &str, locked: bool) -> Result<(), CoreError> {
        self.rooms
            .get_mut(room)
            .ok_or(CoreError::NoSuchRoom)?
            .locked = locked;
        self.rooms_version += 1;
        Ok(())
    }

    /// Whether the room is locked; `None` if it does not exist.
    pub fn is_locked(&self, room: &str) -> Option<bool> {
        self.rooms.get(room).map(|r| r.locked)
    }

    /// Sets a value kept with the room: a key of at most [`MAX_META_KEY_BYTES`], a
    /// value of at most [`MAX_META_VALUE_BYTES`], at most [`MAX_META_BYTES`] of both
    /// together, at most [`MAX_META_ENTRIES`] keys
    /// (past them, [`CoreError::InvalidArgument`] and nothing changes).
    /// [`KEEP_META_KEY`] set stops an empty room's expiry, in at most
    /// `max_empty_rooms` rooms at once (past them, `InvalidArgument`); set to ""
    /// at `now`, it starts it.
    pub fn set_meta(
        &mut self,
        now: Instant,
        room_name: &str,
        key: &str,
        value: &str,
    ) -> Result<(), CoreError> {
        self.check_meta_write(room_name, key, value)?;
        self.write_meta(now, room_name, key, value)
    }

    /// Compare-and-set of a value kept with the room: sets `key` to `value` as
    /// [`set_meta`](Self::set_meta) does only if its value is now `expected` (`None`: the
    /// key is not set); `Ok(false)`, and nothing changes, if it is another. The errors are
    /// `set_meta`'s, found before the values are compared: a write that could never be
    /// made is refused whatever the room holds.
    pub fn swap_meta(
        &mut self,
        now: Instant,
        room_name: &str,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, CoreError> {
        let room = self.check_meta_write(room_name, key, value)?;
        if room.meta.get(key).map(String::as_str) != expected {
            return Ok(false);
        }
        self.write_meta(now, room_name, key, value).map(|()| true)
    }

    /// The room named `room_name`, once `key` may be set to `value` in it: the errors of
    /// [`set_meta`](Self::set_meta) otherwise.
    fn check_meta_write(
        &self,
        room_name: &str,
        key: &str,
        value: &str,
    ) -> Result<&Room, CoreError> {
        check_room_name(room_name)?;
        let room = self.rooms.get(room_name).ok_or(CoreError::NoSuchRoom)?;
        if let Some(problem) = self
            .keep_refused(room, key, value)
            .or_else(|| meta_refused(&room.meta, key, value))
        {
            return Err(CoreError::InvalidArgument(problem));
        }
        Ok(room)
    }

    /// Sets `key` to `value` in the meta of `room_name`, which
    /// [`check_meta_write`](Self::check_meta_write) allowed: [`KEEP_META_KEY`] stops or
    /// starts the room's expiry (at `now`).
    fn write_meta(
        &mut self,
        now: Instant,
        room_name: &str,
        key: &str,
        value: &str,
    ) -> Result<(), CoreError> {
        let Some(room) = self.edit_meta(room_name, |meta| {
            meta.insert(key.to_owned(), value.to_owned());
        }) else {
            return Err(CoreError::NoSuchRoom);
        };
        if key == KEEP_META_KEY {
            if room.kept() {
                let expiry = room.expiry.take();
                self.cancel_room_expiry(expiry);
            } else {
                self.schedule_room_expiry(now, room_name);
            }
        }
        Ok(())
    }

    /// Changes the meta of `room` by `edit` (a copy of it, while a [`room_states`]
    /// snapshot still shares it), keeping the count of rooms kept; the room, or `None` if
    /// there is none.
    ///
    /// [`room_states`]: Self::room_states
    pub(super) fn edit_meta(
        &mut self,
        room: &str,
        edit: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> Option<&mut Room> {
        let r = self.rooms.get_mut(room)?;
        let was_kept = r.kept();
        edit(Arc::make_mut(&mut r.meta));
        self.kept_rooms = self.kept_rooms - usize::from(was_kept) + usize::from(r.kept());
        self.rooms_version += 1;
        Some(r)
    }

    /// Why `room` may not be kept anew by `key` set to `value`, if it may not: kept rooms
    /// never expire, so at most `max_empty_rooms` are kept at once, as many as empty rooms
    /// may wait, or a guest could keep rooms without end.
    pub(super) fn keep_refused(&self, room: &Room, key: &str, value: &str) -> Option<String> {
        let newly_kept = key == KEEP_META_KEY && !value.is_empty() && !room.kept();
        let limit = self.config.max_empty_rooms;
        (newly_kept && self.kept_rooms() >= limit)
            .then(|| format!("at most {limit} rooms are kept at once"))
    }

    /// How many rooms their meta keeps ([`KEEP_META_KEY`]).
    fn kept_rooms(&self) -> usize {
        debug_assert_eq!(
            self.kept_rooms,
            self.rooms.values().filter(|r| r.kept()).count(),
            "the count of kept rooms follows their meta"
        );
        self.kept_rooms
    }

    /// A value kept with the room.
    pub fn get_meta(&self, room: &str, key: &str) -> Option<String> {
        self.rooms.get(room)?.meta.get(key).cloned()
    }

    /// The guest's `on-invite` returned. A call it left untouched (neither
    /// answered, rejected nor hung up) is rejected with 500; true if so.
    pub fn invite_done(&mut self, now: Instant, call: CallId) -> bool {
        let untouched = self
            .calls
            .get(&call)
            .is_some_and(|c| !c.handled && c.phase() == Phase::Offered);
        if untouched {
            tracing::warn!(%call, "the guest neither answered nor rejected the call");
            let _ = self.reject(now, call, 500, "Server Internal Error");
        }
        untouched
    }

    /// The call's guest trapped or overran its deadline and is gone. The safe
    /// fallback: a participant of a room stays there, answered or still being
    /// placed (the call goes on without call logic, as a host's dial-out does);
    /// an unanswered incoming call is rejected with 500; any other placed call
    /// not yet sent (its target still being resolved) is dropped; any other is
    /// hung up.
    pub fn guest_failed(&mut self, now: Instant, call: CallId) {
        if self.keep_placing_without_guest(call) {
            self.stats.guest_failures += 1;
            return;
        }
        // A placed call whose target is still being resolved is not sent at all.
        if self.cancel_pending(now, call, 500, "Server Internal Error") {
            self.stats.guest_failures += 1;
            return;
        }
        if !self.calls.contains_key(&call) {
            return;
        }
        self.stats.guest_failures += 1;
        self.go_on_without_guest(now, call, |core| {
            core.reject(now, call, 500, "Server Internal Error")
        });
    }

    /// No guest instance could be had for the call: an incoming one is
    /// refused with 503 and Retry-After; a placed one is hung up, unless it
    /// is a participant of a room, which stays there (as after
    /// [`guest_failed`](Self::guest_failed)).
    pub fn guest_unavailable(&mut self, now: Instant, call: CallId) {
        if self.keep_placing_without_guest(call) {
            return;
        }
        // Nothing to serve the call: the caller it was placed for, if any, may try later.
        if self.cancel_pending(now, call, 480, "Temporarily Unavailable") {
            return;
        }
        self.go_on_without_guest(now, call, |core| {
            let key = core
                .calls
                .set_phase(call, Phase::Ending { answered: None })
                .ok_or(CoreError::NoSuchCall)?
                .key;
            core.stats.refused_no_instance += 1;
            core.refuse_busy(now, key, RETRY_AFTER_S);
            core.drain_sip(now);
            Ok(())
        });
    }

    /// Lets `call`, still resolving its target, go on without its guest if it is listed in a
    /// room: its guest timers end, and it is placed as a host's dial-out into the room would
    /// be. False if it is no such call.
    fn keep_placing_without_guest(&mut self, call: CallId) -> bool {
        let Some(pending) = self
            .dialing
            .get_mut(&call)
            .filter(|pending| pending.room.is_some())
        else {
            return false;
        };
        let timers = std::mem::take(&mut pending.timers);
        self.end_guest_timers(&timers);
        true
    }

    /// What becomes of `call`, which has a SIP call, once it has no guest: its guest timers
    /// end; a participant of a room stays there, answered or ringing (the ring timeout still
    /// cancels it unanswered, and its answer connects it to the room); an unanswered incoming
    /// call is refused by `refuse`; any other is hung up (a BYE once answered, a CANCEL while
    /// it is placed).
    fn go_on_without_guest(
        &mut self,
        now: Instant,
        call: CallId,
        refuse: impl FnOnce(&mut Self) -> Result<(), CoreError>,
    ) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        for timer in std::mem::take(&mut state.timers) {
            self.timers.cancel(timer);
        }
        let result = match state.phase() {
            Phase::Dialing | Phase::Answered(_) if state.room().is_some() => Ok(()),
            Phase::Offered => refuse(self),
            Phase::Dialing | Phase::Answered(_) | Phase::Ending { .. } => self.hangup(now, call),
        };
        if let Err(e) = result {
            tracing::warn!(%call, "fallback without a guest: {e}");
        }
    }

    /// The state of `call`, which has a SIP call; else why not (see
    /// [`without_sip_call`](Self::without_sip_call)).
    pub(super) fn call(&self, call: CallId) -> Result<&Call, CoreError> {
        self.calls
            .get(&call)
            .ok_or_else(|| self.without_sip_call(call))
    }

    /// [`call`](Self::call), to change.
    pub(super) fn call_mut(&mut self, call: CallId) -> Result<&mut Call, CoreError> {
        if !self.calls.contains_key(&call) {
            return Err(self.without_sip_call(call));
        }
        self.calls.get_mut(&call).ok_or(CoreError::NoSuchCall)
    }

    /// Why `call` has no SIP call: a placed call still resolving its target exists, and
    /// is in the wrong state for a command on its SIP call (as it is once the INVITE went,
    /// until the answer); any other does not exist (any more).
    fn without_sip_call(&self, call: CallId) -> CoreError {
        if self.dialing.contains_key(&call) {
            return CoreError::state(format!(
                "{call} is being placed: its target is not resolved yet"
            ));
        }
        CoreError::NoSuchCall
    }

    pub(super) fn media_worker(&self, call: CallId) -> Result<usize, CoreError> {
        self.call(call)?
            .worker
            .ok_or_else(|| CoreError::state(format!("{call} has no media yet")))
    }

    /// [`media_worker`](Self::media_worker), for a guest's command to it:
    /// refused while the worker is busy (see
    /// [`check_media_backlog`](Self::check_media_backlog)).
    pub(super) fn guest_media_worker(&self, call: CallId) -> Result<usize, CoreError> {
        let worker = self.media_worker(call)?;
        self.media_backlog.check([worker])?;
        Ok(worker)
    }

    /// Refuses a guest's command to the media of `calls` while the worker of
    /// any of them has [`MAX_MEDIA_BACKLOG`](crate::MAX_MEDIA_BACKLOG)
    /// commands waiting: a guest looping such commands must not queue them
    /// faster than the worker carries them out. Calls without media pass.
    fn check_media_backlog(&self, calls: &[CallId]) -> Result<(), CoreError> {
        let workers = calls
            .iter()
            .filter_map(|call| self.calls.get(call).and_then(|state| state.worker));
        self.media_backlog.check(workers)
    }

    /// Moves an answered call's leg to `worker` if it lives elsewhere.
    fn move_to(&mut self, call: CallId, worker: usize) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(from) = state.worker.filter(|&w| w != worker) else {
            return;
        };
        state.worker = Some(worker);
        self.media(MediaOp::Move {
            leg: call.leg(),
            from,
            to: worker,
        });
    }

    /// A leg that enters a room or bridge starts heard: mute is a participant's,
    /// and a new participant is not muted.
    fn unmute_media(&mut self, call: CallId) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        if let (true, Some(worker)) = (state.media_muted, state.worker) {
            state.media_muted = false;
            self.media(MediaOp::SetMuted {
                worker,
                leg: call.leg(),
                muted: false,
            });
        }
    }
}

/// The longest number a participant is listed with, in bytes: a dial URI's
/// longest, since a participant is often listed by its URI.
const MAX_NUMBER_BYTES: usize = 2048;
/// The longest participant id, in bytes.
const MAX_PARTICIPANT_ID_BYTES: usize = 256;

/// A participant's listing is kept for as long as it is listed, told to the
/// event stream and copied into every `rooms.info`, so each of its texts is
/// at most [`MAX_NUMBER_BYTES`], [`MAX_REASON_BYTES`] or
/// [`MAX_PARTICIPANT_ID_BYTES`].
fn check_join_options(options: &JoinOptions) -> Result<(), CoreError> {
    for (what, text, most) in [
        ("a participant's number", &options.number, MAX_NUMBER_BYTES),
        ("a participant's reason", &options.reason, MAX_REASON_BYTES),
        (
            "a participant's id",
            &options.participant_id,
            MAX_PARTICIPANT_ID_BYTES,
        ),
    ] {
        CoreError::unless_longer(what, text, most)?;
    }
    Ok(())
}

/// Why `meta`, a room's, may not take `value` under `key` (in place of the value it has
/// there, if any), if it may not: a key longer than [`MAX_META_KEY_BYTES`], a value longer
/// than [`MAX_META_VALUE_BYTES`], more than [`MAX_META_ENTRIES`] keys, or more than
/// [`MAX_META_BYTES`] of keys and values together.
pub(super) fn meta_refused(
    meta: &BTreeMap<String, String>,
    key: &str,
    value: &str,
) -> Option<String> {
    let too_long = |what: &str, length: usize, limit: usize| {
        format!("a room's {what} must be at most {limit} bytes, not {length}")
    };
    if key.len() > MAX_META_KEY_BYTES {
        return Some(too_long("key", key.len(), MAX_META_KEY_BYTES));
    }
    if value.len() > MAX_META_VALUE_BYTES {
        return Some(too_long("value", value.len(), MAX_META_VALUE_BYTES));
    }
    if meta.len() >= MAX_META_ENTRIES && !meta.contains_key(key) {
        return Some(format!("a room keeps at most {MAX_META_ENTRIES} values"));
    }
    let others: usize = meta
        .iter()
        .filter(|(k, _)| k.as_str() != key)
        .map(|(k, v)| k.len() + v.len())
        .sum();
    (others + key.len() + value.len() > MAX_META_BYTES)
        .then(|| format!("a room keeps at most {MAX_META_BYTES} bytes of keys and values"))
}

/// A room needs a name (see [`room_name_problem`]): any other is
/// [`CoreError::InvalidArgument`], whether or not a room of that name could exist.
pub(super) fn check_room_name(room: &str) -> Result<(), CoreError> {
    room_name_problem(room).map_or(Ok(()), |problem| Err(CoreError::InvalidArgument(problem)))
}
