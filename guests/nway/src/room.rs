//! The host's rooms as this guest reads them: who is present, with which
//! options, who of its conference is out of it inviting someone, and the
//! state the guest keeps with a room (lock, pin, made by escalation).
//!
//! A member out inviting has left the room's mix but not its conference:
//! it keeps its place (it counts against `max_members`), and while it is out
//! the conference is not over, even with nobody in the room. Each such
//! member has a mark in the key-value store, which only its own flow writes:
//! it sets it when it goes out, renews it every [`MARK_RENEWAL`] while out,
//! and removes it when it is back or its call ends. A mark not renewed for
//! [`STALE_AFTER_S`] is a flow's that failed, or a clock's step: its call is
//! checked with a [`Message::Probe`] before it counts, and a mark whose call
//! is gone is removed by whoever finds it.

use crate::message::Message;
use crate::options::Options;
use switchyard_sdk::types::{Error, ParticipantInfo, ParticipantStatus};
use switchyard_sdk::{Call, kv, rooms, unix_seconds};

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

/// The key prefix of the marks of `room`'s members out inviting; the room's
/// length first, so that no room's prefix is another's.
fn out_prefix(room: &str) -> String {
    format!("out/{}:{room}/", room.len())
}

/// The key of the mark of `call`, out of `room` inviting.
fn out_key(room: &str, call: &str) -> String {
    format!("{}{call}", out_prefix(room))
}

/// How often a member out inviting renews its mark.
pub const MARK_RENEWAL: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a mark may go without renewal before its call is checked, in seconds:
/// three renewals.
const STALE_AFTER_S: u64 = 90;

/// Marks `call` as a member of `room`'s conference out of the room, inviting,
/// or renews its mark.
pub fn went_out(room: &str, call: &str) {
    // Past the store's bounds the mark is lost: the member is then counted
    // as gone until it is back, as if it had left.
    let _ = kv::set(&out_key(room, call), &unix_seconds().to_string());
}

/// `call` is back in `room`, or its call ended: its mark goes.
pub fn came_back(room: &str, call: &str) {
    kv::delete(&out_key(room, call));
}

/// The members of `room`'s conference out of the room inviting, other than
/// `me`, whose calls are still up; marks of calls that are gone are removed.
fn out_inviting(room: &str, me: &str) -> usize {
    let prefix = out_prefix(room);
    let now = unix_seconds();
    kv::list(&prefix, MAX_OUT_CHECKED)
        .iter()
        .filter(|key| {
            let call = &key[prefix.len()..];
            if call == me {
                return false;
            }
            let renewed = kv::get(key)
                .and_then(|at| at.parse::<u64>().ok())
                .is_some_and(|at| now.abs_diff(at) < STALE_AFTER_S);
            // Only a call that is gone makes its mark stale: a probe the host
            // refused for another reason (too many in one call) proves nothing.
            if renewed
                || !matches!(
                    Call::new(call).send_message(&Message::Probe.encode()),
                    Err(Error::NoSuchCall)
                )
            {
                return true;
            }
            kv::delete(key);
            false
        })
        .count()
}

/// The most marks of one room looked at: more members than that out at
/// once count as that many.
const MAX_OUT_CHECKED: u32 = 1000;

/// Whether `room`'s conference is over for everyone but `me`: nobody else is
/// in the room, and no other member is out inviting.
pub fn vacant_but_for(room: &str, me: &str) -> bool {
    others(room, me).is_empty() && out_inviting(room, me) == 0
}

/// Whether `room`'s conference is over: [`vacant_but_for`] nobody.
pub fn is_vacant(room: &str) -> bool {
    vacant_but_for(room, "")
}

/// Why `room` takes no more participants, as a word for the log and the
/// prompt that says it: locked (an `admin` still gets in), or full with
/// `joining` more than its members, in it or out inviting (`max_members` 0:
/// no limit).
pub fn refusal(
    room: &str,
    max_members: u32,
    joining: usize,
    admin: bool,
) -> Option<(&'static str, &'static str)> {
    if is_locked(room) && !admin {
        Some(("locked", "conference_locked"))
    } else if max_members > 0
        && present(room).len() + out_inviting(room, "") + joining > max_members as usize
    {
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
/// that nobody may dial into it; a vacant room starts a new conference,
/// without lock or pin.
pub fn open_adhoc(room: &str) {
    rooms::open(room);
    if is_vacant(room) {
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
/// call opens now, else an open vacant one.
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
        .or_else(|| candidates().find(|room| is_vacant(room)))
}
