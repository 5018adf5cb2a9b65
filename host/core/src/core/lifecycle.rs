//! How calls, participants and rooms end, and what they leave behind.

use std::time::{Duration, Instant};
use switchyard_sip::EndCause;

use super::{CallCore, Ending};
use crate::call::{Attachment, CallId};
use crate::effect::{CallEvent, MediaOp};
use crate::rooms::{ParticipantStatus, Room};
use crate::timers::{TimerId, TimerKind};

impl CallCore {
    /// Whether `call`'s guest still hears key presses, timers, prompts ending and talk: the
    /// call is up or being placed, and nothing has set it ending (its guest's `hangup` or
    /// `reject`, a `kick`, its room closed, its peer's BYE). Events of those kinds queued
    /// before then are dropped as they come to be delivered.
    pub fn hears_events(&self, call: CallId) -> bool {
        self.going_on(call)
    }

    /// Whether `call`'s guest is to hear `event`, of a kind [`CallCore::hears_events`] covers,
    /// as it comes to be delivered: as `hears_events` says, and a prompt-done only of the list
    /// last played to it. Once its guest's `play` replaced a list, or its `stop` ended it, that
    /// list reports nothing (call.wit), also when its end was queued for the guest before.
    pub fn hears_event(&self, call: CallId, event: &CallEvent) -> bool {
        match event {
            CallEvent::PromptDone(play) => {
                self.hears_events(call) && self.is_latest_play(call, *play)
            }
            _ => self.hears_events(call),
        }
    }

    /// The ACK for the call's 2xx arrived: the 2xx went, and its answer counts. A call hung
    /// up before it came stays listed as Disconnecting.
    pub(super) fn confirmed(&mut self, call: CallId) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        if let Some((started, answered)) = state.take_uncounted_answer() {
            self.stats.answered(started, answered);
        }
        if state.ending() {
            return;
        }
        self.set_participant_status(call, ParticipantStatus::Connected, None);
    }

    /// Sets the listed status (and reason, if given) of the call, if it is a participant.
    pub(super) fn set_participant_status(
        &mut self,
        call: CallId,
        status: ParticipantStatus,
        reason: Option<&str>,
    ) {
        if let Some(room) = self.room_of_mut(call) {
            room.set_status(call, status, reason);
        }
    }

    /// The room the call is listed in, if any.
    fn room_of_mut(&mut self, call: CallId) -> Option<&mut Room> {
        let room = self.calls.get(&call)?.room()?;
        self.rooms.get_mut(room)
    }

    /// Marks the call, and its participant if it is one, talking or not (its
    /// leg's voice activity).
    pub(super) fn set_talking(&mut self, call: CallId, talking: bool) {
        if let Some(state) = self.calls.get_mut(&call) {
            state.talking = talking;
        }
        if let Some(participant) = self.room_of_mut(call).and_then(|r| r.get_mut(call)) {
            participant.view.talking = talking;
        }
    }

    /// The call is over: everything it held goes, its participant is Finished
    /// (and expires), a bridge peer is told, a forwarded call's other side is
    /// hung up, its guest hears `Hangup`.
    pub(super) fn ended(&mut self, now: Instant, call: CallId, cause: Ending) {
        let Some(mut state) = self.calls.remove(&call) else {
            return;
        };
        self.by_key.remove(&state.key);
        let cause = if state.unanswered {
            let (code, reason) = self.unanswered_failure();
            self.guest_event(
                call,
                CallEvent::Failed {
                    code,
                    reason: reason.clone(),
                },
            );
            Ending::Failed(format!("{code} {reason}"))
        } else {
            cause
        };
        match &cause {
            Ending::Sip(cause) => tracing::info!(%call, ?cause, "call ended"),
            Ending::Failed(status) => tracing::info!(%call, status, "call ended"),
        }
        for timer in state
            .timers
            .iter()
            .chain(&state.ring_timer)
            .chain(&state.target_timer)
            .chain(&state.probe_timer)
        {
            self.timers.cancel(*timer);
        }
        if let Some(worker) = state.worker {
            // Removing the leg also takes it out of its room or bridge.
            self.media(MediaOp::RemoveLeg {
                worker,
                leg: call.leg(),
            });
        } else if state.local_sdp.is_some() {
            // A placed call whose media never started still holds the port its
            // offer named.
            self.network.close_rtp(call.leg());
        }
        let answered =
            state.answered_at().is_some() && (!state.answer_uncounted || cause.follows_a_2xx());
        if answered {
            if let Some((started, answered)) = state.take_uncounted_answer() {
                self.stats.answered(started, answered);
            }
            let connected = state.connected_since();
            self.stats
                .ended_answered(connected.map(|since| now.saturating_duration_since(since)));
        } else {
            self.stats.ended_unanswered();
        }
        match state.attachment {
            Attachment::Alone => {}
            Attachment::Bridge(peer) => self.peer_unbridged(peer),
            Attachment::Room(room) => {
                // A hang-up from here already gave its reason ("disconnect", "kicked").
                let reason = match &cause {
                    Ending::Sip(EndCause::RemoteBye) => Some("BYE"),
                    Ending::Sip(EndCause::Cancelled) => Some("CANCEL"),
                    Ending::Sip(EndCause::NoAck) => Some("no ACK"),
                    Ending::Sip(EndCause::NoPrack) => Some("no PRACK"),
                    Ending::Sip(_) => None,
                    Ending::Failed(status) => Some(status.as_str()),
                };
                self.finish_participant(now, &room, call, reason);
            }
        }
        // The other call of a forward ends too, also one still resolving its
        // target, which would otherwise be placed for a caller who is gone. A
        // forwarded call unanswered in time rejects its caller with its 408.
        if let Some(other) = state.linked {
            if state.unanswered {
                let (code, reason) = self.unanswered_failure();
                self.fail_caller(now, other, code, &reason);
            } else if self.going_on(other) {
                let _ = self.hangup(now, other);
            }
        }
        self.guest_event(call, CallEvent::Hangup);
    }

    /// Takes the call out of its room or bridge; it is alone afterwards. A room
    /// left empty starts expiring; a bridge peer is told.
    pub(super) fn detach(&mut self, now: Instant, call: CallId) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let worker = state.worker;
        let leg = call.leg();
        match std::mem::replace(&mut state.attachment, Attachment::Alone) {
            Attachment::Alone => {}
            Attachment::Room(room) => {
                if let Some(worker) = worker {
                    self.media(MediaOp::Leave { worker, leg });
                }
                if let Some(r) = self.rooms.get_mut(&room)
                    && let Some(participant) = r.remove(call)
                    && let Some(expiry) = participant.expiry
                {
                    self.timers.cancel(expiry);
                }
                self.schedule_room_expiry(now, &room);
            }
            Attachment::Bridge(peer) => {
                if let Some(worker) = worker {
                    self.media(MediaOp::Unbridge { worker, leg });
                }
                self.peer_unbridged(peer);
            }
        }
    }

    fn peer_unbridged(&mut self, peer: CallId) {
        if let Some(state) = self.calls.get_mut(&peer) {
            state.attachment = Attachment::Alone;
            self.guest_event(peer, CallEvent::Unbridged);
        }
    }

    /// Marks a participant Finished (with a new reason, if given) and schedules
    /// its removal from the list.
    pub(super) fn finish_participant(
        &mut self,
        now: Instant,
        room: &str,
        call: CallId,
        reason: Option<&str>,
    ) {
        let delay = self.config.participants_expire_delay;
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        r.set_status(call, ParticipantStatus::Finished, reason);
        if delay.is_zero() {
            r.remove(call);
            self.schedule_room_expiry(now, room);
            return;
        }
        let timer = self.timers.schedule(
            now + delay,
            TimerKind::ParticipantExpiry {
                room: room.to_owned(),
                call,
            },
        );
        if let Some(participant) = self.rooms.get_mut(room).and_then(|r| r.get_mut(call)) {
            participant.expiry = Some(timer);
        }
    }

    /// A finished participant's time in the list is up.
    pub(super) fn expire_participant(&mut self, now: Instant, room: &str, call: CallId) {
        if let Some(r) = self.rooms.get_mut(room) {
            r.remove(call);
            self.schedule_room_expiry(now, room);
        }
    }

    /// Starts the expiry of `room` if it is empty, not predefined, not kept
    /// by its meta and not already expiring; past `max_empty_rooms` waiting, the oldest goes now.
    pub(super) fn schedule_room_expiry(&mut self, now: Instant, room: &str) {
        let delay = self.config.rooms_expire_delay;
        let Some(id) = self.start_room_expiry(now, room, delay) else {
            return;
        };
        self.empty_rooms.started(id, room);
        while self.empty_rooms.waiting() > self.config.max_empty_rooms {
            let rooms = &self.rooms;
            let Some((id, oldest)) = self
                .empty_rooms
                .oldest(|id, name| rooms.get(name).is_some_and(|r| r.expiry == Some(id)))
            else {
                break;
            };
            self.timers.cancel(id);
            if let Some(removed) = self.rooms.remove(&oldest) {
                self.room_removed(&oldest, &removed);
            }
            self.empty_rooms.stopped();
            tracing::debug!(
                room = oldest,
                "too many empty rooms: the oldest expired early"
            );
        }
    }

    /// Starts the expiry of a room restored at start: it expires after the
    /// time it had `left` (none: the whole delay; at most the delay), but is
    /// not one of the `max_empty_rooms` waiting, so that no restored room
    /// deletes another; the limit applies once it has been joined and emptied
    /// again.
    pub(super) fn schedule_restored_room_expiry(
        &mut self,
        now: Instant,
        room: &str,
        left: Option<Duration>,
    ) {
        let delay = self.config.rooms_expire_delay;
        let delay = left.map_or(delay, |left| left.min(delay));
        if let Some(id) = self.start_room_expiry(now, room, delay) {
            self.restored_expiries.insert(id);
        }
    }

    /// Schedules the expiry timer of `room`, `delay` from `now`, if it is empty, not
    /// predefined, not kept by its meta and not already expiring.
    fn start_room_expiry(&mut self, now: Instant, room: &str, delay: Duration) -> Option<TimerId> {
        let r = self.rooms.get_mut(room)?;
        if r.predefined || r.kept() || !r.is_empty() || r.expiry.is_some() {
            return None;
        }
        let id = self
            .timers
            .schedule(now + delay, TimerKind::RoomExpiry(room.to_owned()));
        r.expiry = Some(id);
        self.rooms_version += 1;
        Some(id)
    }

    /// Stops the expiry of a room that is joined or closed.
    pub(super) fn cancel_room_expiry(&mut self, expiry: Option<TimerId>) {
        if let Some(id) = expiry {
            self.rooms_version += 1;
            self.timers.cancel(id);
            self.room_stopped_waiting(id);
        }
    }

    /// The room expiring under `id` no longer waits.
    fn room_stopped_waiting(&mut self, id: TimerId) {
        if self.restored_expiries.remove(&id) {
            return;
        }
        self.empty_rooms.stopped();
        let rooms = &self.rooms;
        self.empty_rooms
            .compact(|id, name| rooms.get(name).is_some_and(|r| r.expiry == Some(id)));
    }

    /// An empty room's time is up (joining cancels the expiry, so it is still empty).
    pub(super) fn expire_room(&mut self, room: &str) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let Some(id) = r.expiry.take() else {
            return;
        };
        if r.is_empty()
            && let Some(removed) = self.rooms.remove(room)
        {
            self.room_removed(room, &removed);
            tracing::debug!(room, "empty room expired");
        }
        self.room_stopped_waiting(id);
    }
}
