//! The host's rooms as this guest reads them: who is present, with which
//! options, and what the guest keeps with a room's conference in its meta
//! (lock, pin, made by escalation). Members of a room's conference out of it
//! inviting are [`out`]'s.

use crate::options::Options;
use crate::out;
use switchyard_sdk::types::{ParticipantInfo, ParticipantStatus};
use switchyard_sdk::{Call, JoinOptions, rooms};

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

/// Whether `room`'s conference is over for everyone but `me`: nobody else is
/// in the room, and no other member is out inviting.
pub fn vacant_but_for(room: &str, me: &str) -> bool {
    others(room, me).is_empty() && out::count(room, me) == 0
}

/// Whether `room`'s conference is over: [`vacant_but_for`] nobody.
pub fn is_vacant(room: &str) -> bool {
    vacant_but_for(room, "")
}

/// Why `room` takes no more participants, as a word for the log and the
/// prompt that says it: locked (an `admin` still gets in), or full with one
/// more than its members, in it or out inviting (`max_members` 0: no limit).
/// `coming` is the call coming in: a mark of it as a member out is no
/// other member's place (an invitee its holder handed its mark).
pub fn refusal(
    room: &str,
    max_members: u32,
    admin: bool,
    coming: &str,
) -> Option<(&'static str, &'static str)> {
    if is_locked(room) && !admin {
        Some(("locked", "conference_locked"))
    } else if max_members > 0 && members(room, coming) + 1 > max_members as usize {
        Some(("full", "conference_full"))
    } else {
        None
    }
}

/// How many members `room`'s conference has besides `coming`: those in the room and those
/// out inviting, each once. A member coming back is in the room a moment before its mark
/// goes (so that the conference never seems over), and its invitee, let in by that return,
/// may count them in between.
fn members(room: &str, coming: &str) -> usize {
    let present = present(room);
    let out_only = out::members(room, coming)
        .into_iter()
        .filter(|member| !present.iter().any(|p| p.call == member.call))
        .count();
    present.len() + out_only
}

/// Forgets the room's lock, pin and escalated mark: as MeetMe's, they
/// belong to one conference, which is over once nobody is in the room and
/// nobody is out inviting; and the host's keep, if no member is out.
pub fn forget_conference(room: &str) {
    // A room that is gone has nothing to forget.
    let _ = rooms::set_meta(room, LOCKED, "");
    let _ = rooms::set_meta(room, PIN, "");
    let _ = rooms::set_meta(room, ADHOC, "");
    out::drop_stale_keep(room);
}

/// Ends `room`'s conference if it is over but for `me` ([`vacant_but_for`]):
/// as MeetMe's, its recording stops, and it is forgotten
/// ([`forget_conference`]). True if it ended.
pub fn end_if_vacant_but_for(room: &str, me: &str) -> bool {
    let vacant = vacant_but_for(room, me);
    if vacant {
        let _ = rooms::stop_recording(room);
        forget_conference(room);
    }
    vacant
}

/// Takes `room` for the escalated two-party call of `holder` (listed as
/// `listed`), atomically against other escalations: the holder joins it,
/// and as the host lists calls one at a time, the first to join a room that
/// nobody is in and no member out inviting holds has it ([`make_adhoc`]).
/// The holder is then left in the room: it must leave it only once its mark
/// as a member out ([`out::went_out`]) holds its place. One that did not get
/// the room leaves it at once, out of the bridge it was in.
pub fn claim_adhoc(holder: &Call, room: &str, listed: &JoinOptions) -> bool {
    let claimed = matches!(holder.join(room, listed), Ok(0)) && out::count(room, holder.id()) == 0;
    if claimed {
        make_adhoc(room);
    } else {
        let _ = holder.leave();
    }
    claimed
}

/// Starts a new conference in the free `room` (opened, or open and vacant)
/// for an escalated two-party call, without lock or pin, so that nobody may
/// dial into it.
fn make_adhoc(room: &str) {
    forget_conference(room);
    // The room is open, so setting its meta cannot fail.
    let _ = rooms::set_meta(room, ADHOC, "1");
}

/// Whether `room` was opened for an escalated two-party call: only its
/// calls' invitations bring people in.
pub fn is_adhoc(room: &str) -> bool {
    rooms::get_meta(room, ADHOC).as_deref() == Some("1")
}

/// The first free room of `first..=last` that is `acceptable` and that
/// `take` takes: one this call opens now, else an open vacant one.
///
/// Opening is atomic in the host, so two calls looking at once never open
/// the same new room; an open empty room is only taken when every
/// acceptable room of the range exists, and only `take` can make taking it
/// atomic.
pub fn first_free(
    first: u64,
    last: u64,
    acceptable: impl Fn(&str) -> bool,
    take: impl Fn(&str) -> bool,
) -> Option<String> {
    let candidates = || {
        (first..=last)
            .map(|n| n.to_string())
            .filter(|room| acceptable(room))
    };
    candidates()
        .find(|room| rooms::open(room) && take(room))
        .or_else(|| candidates().find(|room| is_vacant(room) && take(room)))
}

/// Lets the host expire the escalated rooms whose conference ended
/// unnoticed: no caller dials into one to find it vacant, so a keep left
/// by a restart (the members' marks lost, the room's meta not) or by a
/// member's flow that failed while out would keep it for ever.
pub fn release_stale_adhoc() {
    for room in rooms::list().iter().filter(|room| is_adhoc(room)) {
        // Not `forget_conference`: an escalation may be claiming the room this
        // moment, and its mark, once set, keeps the keep.
        if is_vacant(room) {
            out::drop_stale_keep(room);
        }
    }
}
