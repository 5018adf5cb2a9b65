//! Members of a room's conference out of the room, inviting someone, and
//! what their conference keeps while they are out.
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
//!
//! While any member is out, two more records are kept with the room's
//! marks, and go with its last mark: the room's state as [`room::State`]
//! (the host deletes a room left empty for a while, and its meta with it: a
//! member coming back, or anyone reaching the room, [`revive`]s it), and
//! whether the conference was closed (option `x`) meanwhile ([`close`]).

use crate::message::Message;
use crate::room;
use switchyard_sdk::types::Error;
use switchyard_sdk::{Call, kv, rooms, unix_seconds};

/// How often a member out inviting renews its mark.
pub const MARK_RENEWAL: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a mark may go without renewal before its call is checked, in seconds:
/// three renewals.
const STALE_AFTER_S: u64 = 90;

/// The most marks of one room looked at: more members than that out at
/// once count as that many.
const MAX_OUT_CHECKED: u32 = 1000;

/// The key of `room`'s record of `what` (`out`, `kept`, `closed`); the room's
/// length first, so that no room's key begins another's.
fn key(what: &str, room: &str) -> String {
    format!("{what}/{}:{room}/", room.len())
}

/// The key of the mark of `call`, out of `room` inviting.
fn mark_key(room: &str, call: &str) -> String {
    format!("{}{call}", key("out", room))
}

/// A member of a room's conference out of the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMember {
    /// Its call.
    pub call: String,
    /// It is a marked user (option `A`).
    pub marked: bool,
}

/// Marks `call` (a `marked` user or not) as a member of `room`'s conference
/// out of the room, inviting, or renews its mark; the room's state is kept
/// with it.
pub fn went_out(room: &str, call: &str, marked: bool) {
    let mark = format!("{}{}", unix_seconds(), if marked { " A" } else { "" });
    // Past the store's bounds the mark is lost: the member is then counted
    // as gone until it is back, as if it had left.
    let _ = kv::set(&mark_key(room, call), &mark);
    keep(room);
}

/// `call` is back in `room`, or its call ended: its mark goes, and with the
/// last mark what the room kept for its members out.
pub fn came_back(room: &str, call: &str) {
    kv::delete(&mark_key(room, call));
    if kv::list(&key("out", room), 1).is_empty() {
        kv::delete(&key("kept", room));
        kv::delete(&key("closed", room));
    }
}

/// The members of `room`'s conference out of the room inviting, other than
/// `me`, whose calls are still up; marks of calls that are gone are removed.
pub fn members(room: &str, me: &str) -> Vec<OutMember> {
    let prefix = key("out", room);
    let now = unix_seconds();
    kv::list(&prefix, MAX_OUT_CHECKED)
        .into_iter()
        .filter_map(|key| {
            let call = key[prefix.len()..].to_owned();
            if call == me {
                return None;
            }
            let mark = kv::get(&key).unwrap_or_default();
            let (at, flags) = mark.split_once(' ').unwrap_or((&mark, ""));
            let renewed = at
                .parse::<u64>()
                .is_ok_and(|at| now.abs_diff(at) < STALE_AFTER_S);
            // Only a call that is gone makes its mark stale: a probe the host
            // refused for another reason (too many in one call) proves nothing.
            let gone = !renewed
                && matches!(
                    Call::new(&call).send_message(&Message::Probe.encode()),
                    Err(Error::NoSuchCall)
                );
            if gone {
                came_back(room, &call);
                return None;
            }
            Some(OutMember {
                marked: flags.contains('A'),
                call,
            })
        })
        .collect()
}

/// How many members of `room`'s conference other than `me` are out of the
/// room inviting (their calls still up).
pub fn count(room: &str, me: &str) -> usize {
    members(room, me).len()
}

/// Whether a marked user other than `me` is out of `room` inviting.
pub fn marked_out(room: &str, me: &str) -> bool {
    members(room, me).iter().any(|member| member.marked)
}

/// Keeps `room`'s state for its members out, while the room exists (one
/// that expired has nothing newer to keep).
pub fn keep(room: &str) {
    if rooms::info(room).is_some() {
        // Past the store's bounds the state is lost with the room if it expires.
        let _ = kv::set(&key("kept", room), &room::State::of(room).encode());
    }
}

/// Keeps `room`'s state anew if it is kept (a member is out): its lock or
/// pin changed.
pub fn keep_if_kept(room: &str) {
    if kv::get(&key("kept", room)).is_some() {
        keep(room);
    }
}

/// Reopens `room` if the host deleted it (left empty too long) while
/// members of its conference are out, with the state it had: its
/// conference goes on. A closed room stays closed.
pub fn revive(room: &str) {
    if rooms::info(room).is_some() || is_closed(room) {
        return;
    }
    if let Some(kept) = kv::get(&key("kept", room)) {
        rooms::open(room);
        room::State::decode(&kept).restore(room);
    }
}

/// Closes `room`: everyone in it is hung up; members out learn it when
/// they come back ([`is_closed`]), and so do their invitees.
pub fn close(room: &str) {
    if !members(room, "").is_empty() {
        // Past the store's bounds, a member coming back finds the room gone
        // and opens it anew.
        let _ = kv::set(&key("closed", room), "1");
    }
    let _ = rooms::close(room);
}

/// Whether `room`'s conference was closed while members were out of it.
pub fn is_closed(room: &str) -> bool {
    kv::get(&key("closed", room)).is_some()
}
