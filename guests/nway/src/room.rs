//! The host's rooms as this guest reads them: who is present, with which
//! options, and what the guest keeps with a room's conference in its meta
//! (lock, pin, made by escalation). Members of a room's conference out of it
//! inviting are [`out`]'s.

use crate::options::Options;
use crate::out;
use switchyard_sdk::types::{Error, ParticipantInfo, ParticipantStatus};
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

/// Why a room takes no more participants: a word for the log, and the
/// prompt that says it.
pub type Refusal = (&'static str, &'static str);

/// Whom a room takes: when locked, only admins; and at most `max_members`
/// members, in it or out inviting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// The most members of the room's conference (0: no limit).
    pub max_members: u32,
    /// The one coming is an admin: it passes a lock.
    pub admin: bool,
}

impl Admission {
    /// A member of the room's conference coming back (from inviting, or
    /// following its conference): always taken.
    pub const MEMBER: Admission = Admission {
        max_members: 0,
        admin: true,
    };

    /// Why `room`, with `members` members besides the one coming, refuses
    /// it: locked, or full with one more.
    fn refusal(self, room: &str, members: usize) -> Option<Refusal> {
        if is_locked(room) && !self.admin {
            Some(("locked", "conference_locked"))
        } else if self.max_members > 0 && members + 1 > self.max_members as usize {
            Some(("full", "conference_full"))
        } else {
            None
        }
    }
}

/// Why `room` would not take one more participant by `admission`, judged
/// before it joins (an invitation not placed yet). `coming` is the call
/// coming in: a mark of it as a member out is no other member's place (an
/// invitee its holder handed its mark). A member coming back is in the room
/// a moment before its mark goes (so that the conference never seems over),
/// and is counted once. As calls coming at once would each find the room as
/// it is, only [`join`] decides.
pub fn refusal(room: &str, admission: Admission, coming: &str) -> Option<Refusal> {
    let present = present(room);
    let out_only = out::members(room, coming)
        .into_iter()
        .filter(|member| !present.iter().any(|p| p.call == member.call))
        .count();
    admission.refusal(room, present.len() + out_only)
}

/// What came of a call's [`join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// It is in the room, with this many other participants.
    In(u32),
    /// The room refused it, and it left the room again.
    Refused(Refusal),
}

/// Puts `call` into `room` as `listed`, then judges it by `admission`: one
/// the room refuses leaves it again. It counts the participants that joined
/// the room before it (the host lists them in the order of their joins,
/// which it makes one at a time), so that of calls joining at once only
/// those past the limit are refused, and a lock set before the judgement
/// holds; and the members out inviting other than those, seen before the
/// join or after it, so that one going out or coming back meanwhile is
/// counted (once, unless it went out and came back again in between).
/// The host's error if the call could not join.
pub fn join(
    call: &Call,
    room: &str,
    listed: &JoinOptions,
    admission: Admission,
) -> Result<Joined, Error> {
    if admission == Admission::MEMBER {
        return call.join(room, listed).map(Joined::In);
    }
    let out_calls = || out::members(room, call.id()).into_iter().map(|m| m.call);
    let mut away: Vec<String> = out_calls().collect();
    let others = call.join(room, listed)?;
    // The room first, then the marks: a member going out has its mark before it leaves.
    let before = joined_before(&present(room), call.id());
    away.extend(out_calls());
    away.retain(|away| !before.contains(away));
    away.sort_unstable();
    away.dedup();
    match admission.refusal(room, before.len() + away.len()) {
        None => Ok(Joined::In(others)),
        Some(refusal) => {
            let _ = call.leave();
            Ok(Joined::Refused(refusal))
        }
    }
}

/// The calls of `present` (a room's participants, in the order they joined)
/// that joined before `me`; all but `me` if it is not among them.
fn joined_before(present: &[ParticipantInfo], me: &str) -> Vec<String> {
    let at = present.iter().position(|p| p.call == me);
    present[..at.unwrap_or(present.len())]
        .iter()
        .filter(|p| p.call != me)
        .map(|p| p.call.clone())
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(calls: &[&str]) -> Vec<ParticipantInfo> {
        calls
            .iter()
            .map(|call| ParticipantInfo {
                call: (*call).to_owned(),
                number: String::new(),
                status: ParticipantStatus::Connected,
                reason: "entered".to_owned(),
                muted: false,
                participant_id: String::new(),
                listen_only: false,
                talking: false,
            })
            .collect()
    }

    #[test]
    fn a_call_counts_those_that_joined_before_it() {
        let room = listed(&["c1", "c2", "me", "c3"]);
        assert_eq!(joined_before(&room, "me"), ["c1", "c2"]);
        assert_eq!(joined_before(&room, "c1"), Vec::<String>::new());
        assert_eq!(
            joined_before(&room, "gone"),
            ["c1", "c2", "me", "c3"],
            "one not listed counts everyone"
        );
    }
}
