//! What the host tells the event stream (`GET /api/v1/events`): who joins
//! and leaves which room, talks, is muted or presses a key, recordings,
//! placed calls' progress, guest versions loaded and guest faults.
//!
//! The room each call is in is kept here from its join to its leave or
//! hang-up, so the stream can name the room of a call's later events; the
//! table holds only calls that are in a room.

use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use switchyard_control::events::EventLog;
use switchyard_core::{CallEvent, CallId, RecordingEnd};

/// The events kept for clients that reconnect.
pub const EVENTS_KEPT: usize = 4096;

/// The host's publisher of events.
#[derive(Debug)]
pub struct Events {
    log: Arc<EventLog>,
    /// Each call in a room, by its tag.
    rooms: Mutex<HashMap<String, Listing>>,
}

/// A call's place in a room, from one join to its leave.
#[derive(Debug)]
struct Listing {
    room: String,
    /// The core reported the call's leave of the room for a bridge ([`Events::bridging`]),
    /// not told yet.
    bridging: bool,
}

impl Default for Events {
    fn default() -> Self {
        Events::new(Arc::new(EventLog::new(EVENTS_KEPT)))
    }
}

impl Events {
    /// A publisher into `log`.
    pub fn new(log: Arc<EventLog>) -> Self {
        Events {
            log,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    /// The log the control endpoint streams.
    pub fn log(&self) -> Arc<EventLog> {
        self.log.clone()
    }

    /// How many calls are known to be in a room (each forgotten at its hang-up or when it
    /// leaves for a bridge).
    pub fn calls_in_rooms(&self) -> usize {
        self.rooms().len()
    }

    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<String, Listing>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The room the call whose tag is `call` is in, if any.
    fn room_of(&self, call: &str) -> Option<String> {
        self.rooms().get(call).map(|listing| listing.room.clone())
    }

    /// How a call's RTP fared as its leg ended in `room`, if any (see [`crate::quality`]).
    pub fn quality(&self, room: Option<&str>, data: serde_json::Value) {
        self.log.publish("quality", room, data);
    }

    /// `call` joined `room`, listed as `number` (leaving the room it was in).
    /// Call it with the core still locked by the join: a hang-up the core
    /// handles after it then finds the call here ([`Events::call_event`]).
    pub fn joined(&self, call: CallId, room: &str, number: &str) {
        let call = call.to_string();
        let listing = Listing {
            room: room.to_owned(),
            bridging: false,
        };
        let before = self.rooms().insert(call.clone(), listing).map(|l| l.room);
        if let Some(before) = before.filter(|before| before != room) {
            self.log.publish(
                "leave",
                Some(&before),
                json!({"call": call, "reason": "moved"}),
            );
        }
        self.log
            .publish("join", Some(room), json!({"call": call, "number": number}));
    }

    /// The core reports that `call` left `room` for a bridge: call it with the core locked,
    /// as the report is taken from the core, and tell the leave by [`Events::left_room`] once
    /// it is not. A join in between (under the core's lock too) lists the call anew, and the
    /// leave, of the listing before, is then not told.
    pub fn bridging(&self, call: CallId, room: &str) {
        if let Some(listing) = self.rooms().get_mut(&call.to_string())
            && listing.room == room
        {
            listing.bridging = true;
        }
    }

    /// `call` left `room` for a bridge, as the core reported it ([`Events::bridging`]): told
    /// unless the call was listed anew since, in that room or another.
    pub fn left_room(&self, call: CallId, room: &str) {
        let reported = |listing: &Listing| listing.bridging && listing.room == room;
        self.leave(&call.to_string(), "bridged", reported);
    }

    /// `call` left its room (if it was in one) because of `reason`.
    pub fn left(&self, call: CallId, reason: &str) {
        self.leave(&call.to_string(), reason, |_| true);
    }

    /// The call whose tag is `call` left the room it is in because of `reason`, if `ends`
    /// holds of its listing there.
    fn leave(&self, call: &str, reason: &str, ends: impl Fn(&Listing) -> bool) {
        let left = {
            let mut rooms = self.rooms();
            match rooms.get(call) {
                Some(listing) if ends(listing) => rooms.remove(call).map(|l| l.room),
                _ => None,
            }
        };
        if let Some(room) = left {
            self.log.publish(
                "leave",
                Some(&room),
                json!({"call": call, "reason": reason}),
            );
        }
    }

    /// `call` was muted or unmuted.
    pub fn muted(&self, call: CallId, muted: bool) {
        let call = call.to_string();
        let room = self.room_of(&call);
        self.log.publish(
            "mute",
            room.as_deref(),
            json!({"call": call, "muted": muted}),
        );
    }

    /// A recording of `room` started or stopped.
    pub fn recording(&self, room: &str, name: Option<&str>, recording: bool) {
        self.log.publish(
            "recording",
            Some(room),
            json!({"recording": recording, "name": name}),
        );
    }

    /// The recording of `room` ended without being stopped: its file takes no more (it could
    /// not be written, or reached the WAV size limit), its media worker failed, or the room is
    /// gone.
    pub fn recording_ended(&self, room: &str, reason: RecordingEnd) {
        self.log.publish(
            "recording",
            Some(room),
            json!({"recording": false, "name": null, "reason": reason.as_str()}),
        );
    }

    /// Something happened to the call whose tag (as [`CallId`] shows it) is
    /// `call`: its talking, keys, a placed call's progress, its hang-up.
    pub fn call_event(&self, call: &str, event: &CallEvent) {
        let room = || self.room_of(call);
        match event {
            CallEvent::Talk {
                talking,
                level_dbov,
            } => {
                self.log.publish(
                    "talking",
                    room().as_deref(),
                    json!({"call": call, "talking": talking, "level_dbov": level_dbov}),
                );
            }
            CallEvent::Dtmf(key) => {
                self.log.publish(
                    "dtmf",
                    room().as_deref(),
                    json!({"call": call, "key": key.to_string()}),
                );
            }
            CallEvent::Dialed(_) => self.dial(call, room(), "dialing", None),
            CallEvent::Progress { code, .. } => self.dial(call, room(), "progress", Some(*code)),
            CallEvent::Answered => self.dial(call, room(), "answered", None),
            CallEvent::Failed { code, .. } => self.dial(call, room(), "failed", Some(*code)),
            CallEvent::Hangup => self.leave(call, "hangup", |_| true),
            _ => {}
        }
    }

    fn dial(&self, call: &str, room: Option<String>, state: &str, code: Option<u16>) {
        self.log.publish(
            "dialout",
            room.as_deref(),
            json!({"call": call, "state": state, "code": code}),
        );
    }

    /// Version `version` of `guest` was loaded and serves new calls.
    pub fn guest_loaded(&self, guest: &str, version: u32) {
        self.log.publish(
            "guest_loaded",
            None,
            json!({"guest": guest, "version": version}),
        );
    }

    /// A guest's version failed (trapped, ran past its deadline, …) on `call`.
    pub fn guest_fault(&self, guest: &str, version: u32, call: &str, error: &str) {
        self.log.publish(
            "guest_fault",
            None,
            json!({"guest": guest, "version": version, "call": call, "error": error}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that the events `events` keeps are, oldest first, of the (kind, room)s
    /// `expected`.
    #[track_caller]
    fn assert_kinds_and_rooms(events: &Events, expected: &[(&str, Option<&str>)]) {
        let kept = events.log().since(0).events;
        let seen: Vec<(&str, Option<&str>)> =
            kept.iter().map(|e| (e.kind, e.room.as_deref())).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn a_call_s_events_name_its_room_until_it_leaves() {
        let events = Events::default();
        events.joined(CallId(1), "7", "alice");
        events.call_event(
            "c1",
            &CallEvent::Talk {
                talking: true,
                level_dbov: -20,
            },
        );
        events.joined(CallId(1), "8", "alice");
        events.call_event("c1", &CallEvent::Hangup);
        events.call_event("c1", &CallEvent::Hangup);
        assert_kinds_and_rooms(
            &events,
            &[
                ("join", Some("7")),
                ("talking", Some("7")),
                ("leave", Some("7")),
                ("join", Some("8")),
                ("leave", Some("8")),
            ],
        );
        assert!(
            events.rooms().is_empty(),
            "a call that hung up is forgotten"
        );
    }

    #[test]
    fn a_call_bridged_out_of_its_room_leaves_it_unless_it_is_in_another_by_then() {
        let events = Events::default();
        events.joined(CallId(1), "7", "alice");
        events.bridging(CallId(1), "7");
        events.left_room(CallId(1), "7");
        events.call_event("c1", &CallEvent::Hangup);
        // Told late, after the call joined another room: that one it is still in.
        events.joined(CallId(2), "7", "bob");
        events.bridging(CallId(2), "7");
        events.joined(CallId(2), "8", "bob");
        events.left_room(CallId(2), "7");
        let kept = events.log().since(0).events;
        let seen: Vec<(&str, Option<&str>, &str)> = kept
            .iter()
            .map(|e| {
                let reason = e.data["reason"].as_str().unwrap_or("");
                (e.kind, e.room.as_deref(), reason)
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("join", Some("7"), ""),
                ("leave", Some("7"), "bridged"),
                ("join", Some("7"), ""),
                ("leave", Some("7"), "moved"),
                ("join", Some("8"), ""),
            ]
        );
    }

    #[test]
    fn a_leave_for_a_bridge_told_after_the_call_joined_the_room_again_is_not_told() {
        let events = Events::default();
        events.joined(CallId(1), "7", "alice");
        // The leave is taken from the core; a guest joins the call back before it is told.
        events.bridging(CallId(1), "7");
        events.joined(CallId(1), "7", "alice");
        events.left_room(CallId(1), "7");
        events.muted(CallId(1), true);
        assert_kinds_and_rooms(
            &events,
            &[
                ("join", Some("7")),
                ("join", Some("7")),
                ("mute", Some("7")),
            ],
        );
        assert_eq!(events.calls_in_rooms(), 1, "the call is still in the room");
    }
}
