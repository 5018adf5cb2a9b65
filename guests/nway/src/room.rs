//! The host's rooms as this guest reads them: who is present, with which
//! options, and the state the guest keeps with a room (lock, pin, made by
//! escalation).

use crate::options::Options;
use switchyard_sdk::rooms;
use switchyard_sdk::types::{ParticipantInfo, ParticipantStatus};

/// The room meta key marking a locked room ("1").
const LOCKED: &str = "nway-locked";
/// The room meta key of a pin set by the room's first caller (option `D`).
const PIN: &str = "nway-pin";
/// The room meta key marking a room made by escalating a two-party call ("1").
const ADHOC: &str = "nway-adhoc";

/// The participants of `room` in it now (connected), in the order they joined.
pub fn present(room: &str) -> Vec<ParticipantInfo> {
    rooms::info(room)
        .map(|info| {
            info.participants
                .into_iter()
                .filter(|p| p.status == ParticipantStatus::Connected)
                .collect()
        })
        .unwrap_or_default()
}

/// [`present`] without the call `me`.
pub fn others(room: &str, me: &str) -> Vec<ParticipantInfo> {
    let mut all = present(room);
    all.retain(|p| p.call != me);
    all
}

/// A participant's options, as it listed them in its participant id.
pub fn options_of(participant: &ParticipantInfo) -> Options {
    Options::parse(&participant.participant_id).unwrap_or_default()
}

/// Whether a marked user other than `me` is in `room`.
pub fn marked_present(room: &str, me: &str) -> bool {
    others(room, me).iter().any(|p| options_of(p).marked)
}

/// Whether `participant` waits for a marked user (option `w`) in `room`: it
/// hears music, and is muted and deaf, until one is there.
pub fn is_waiting(room: &str, participant: &ParticipantInfo) -> bool {
    options_of(participant).waits_for_marked() && !marked_present(room, &participant.call)
}

/// Whether the room is locked.
pub fn is_locked(room: &str) -> bool {
    rooms::get_meta(room, LOCKED).as_deref() == Some("1")
}

/// Locks or unlocks the room; false if it does not exist.
pub fn set_locked(room: &str, locked: bool) -> bool {
    rooms::set_meta(room, LOCKED, if locked { "1" } else { "" }).is_ok()
}

/// The pin a caller set for the room (option `D`), if any.
pub fn own_pin(room: &str) -> Option<String> {
    rooms::get_meta(room, PIN).filter(|pin| !pin.is_empty())
}

/// Sets the room's own pin (empty: none), opening the room.
pub fn set_own_pin(room: &str, pin: &str) {
    rooms::open(room);
    // The room was just opened, so setting its meta cannot fail.
    let _ = rooms::set_meta(room, PIN, pin);
}

/// Why `room` takes no more participants, as a word for the log and the
/// prompt that says it: locked (an `admin` still gets in), or full with
/// `joining` more than those in it (`max_members` 0: no limit).
pub fn refusal(
    room: &str,
    max_members: u32,
    joining: usize,
    admin: bool,
) -> Option<(&'static str, &'static str)> {
    if is_locked(room) && !admin {
        Some(("locked", "conference_locked"))
    } else if max_members > 0 && present(room).len() + joining > max_members as usize {
        Some(("full", "conference_full"))
    } else {
        None
    }
}

/// Whether `room` is gone: its conference was closed (option `x`) while a
/// participant was out inviting. Nothing else deletes a room someone left
/// to invite from, unless it stayed empty past the host's room expiry.
pub fn is_closed(room: &str) -> bool {
    rooms::info(room).is_none()
}

/// Forgets the room's lock, pin and escalated mark: as MeetMe's, they
/// belong to one conference, which is over once nobody is in the room.
pub fn forget_conference(room: &str) {
    // A room that is gone has nothing to forget.
    let _ = rooms::set_meta(room, LOCKED, "");
    let _ = rooms::set_meta(room, PIN, "");
    let _ = rooms::set_meta(room, ADHOC, "");
}

/// Opens `room` (if it is not open) for an escalated two-party call, so
/// that nobody may dial into it; a room nobody is in starts a new
/// conference, without lock or pin.
pub fn open_adhoc(room: &str) {
    rooms::open(room);
    if present(room).is_empty() {
        forget_conference(room);
    }
    // The room is open now, so setting its meta cannot fail.
    let _ = rooms::set_meta(room, ADHOC, "1");
}

/// Whether `room` was opened for an escalated two-party call: only its
/// calls' invitations bring people in.
pub fn is_adhoc(room: &str) -> bool {
    rooms::get_meta(room, ADHOC).as_deref() == Some("1")
}

/// The first free room of `first..=last` that is `acceptable`: one this
/// call opens now, else an open one nobody is in.
///
/// Opening is atomic in the host, so two calls looking at once never get
/// the same new room; an open empty room is only taken when every
/// acceptable room of the range exists.
pub fn first_free(first: u64, last: u64, acceptable: impl Fn(&str) -> bool) -> Option<String> {
    let candidates = || {
        (first..=last)
            .map(|n| n.to_string())
            .filter(|room| acceptable(room))
    };
    candidates()
        .find(|room| rooms::open(room))
        .or_else(|| candidates().find(|room| present(room).is_empty()))
}
