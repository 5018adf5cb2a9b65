//! The host's rooms as this guest reads them: who is present, with which
//! options, and what the guest keeps with a room's conference in its meta
//! (lock, pin, made by escalation). Members of a room's conference out of it
//! inviting are [`out`]'s.
//!
//! The switch holds thousands of rooms, and each call into the host waits for
//! it: picking a room and letting escalated rooms go ask the host a number of
//! times that does not grow with the rooms of others. The escalated rooms are
//! listed in the key-value store (`adhoc/<room>`) beside their meta; as the
//! store ends with the host process and the meta does not, the first to look
//! after a start lists them anew from every room's meta (`adhoc-indexed`
//! says it was done).

use crate::options::Options;
use crate::out;
use std::collections::HashSet;
use switchyard_sdk::store::{HostKv, Kv};
use switchyard_sdk::types::{Error, ParticipantInfo, ParticipantStatus};
use switchyard_sdk::{Call, JoinOptions, rooms, unix_seconds};

/// The room meta key marking a locked room ("1").
const LOCKED: &str = "nway-locked";
/// The room meta key of a pin set by the room's first caller (option `D`):
/// the pin, followed by ` <call> <unix seconds>` while the caller that set it
/// is on its way into the room ([`enter_with_own_pin`]).
const PIN: &str = "nway-pin";
/// The longest a caller that set the room's pin is taken as on its way in,
/// in seconds: longer than letting it in takes, and short, as a setting
/// left by a flow that trapped (or by a restart) holds the pin meanwhile.
const PIN_SETTING_S: u64 = 10;
/// The room meta key saying whose conference the room holds: [`ESCALATED`]
/// and a call of the two-party call escalated into it for one made so (the
/// holder's, until the other party joins and takes the mark:
/// [`follow_escalation`]), [`DIALLED`] and a call for one a caller dialled
/// into; none or "" while no conference claimed it. Both claims are compare-and-sets of it, so that
/// only one of a caller dialling in and an escalation taking the room at
/// once has it.
const ADHOC: &str = "nway-adhoc";
/// How the [`ADHOC`] value of a room made by escalating a two-party call
/// starts: the call holding the mark follows (the holder's, then the other
/// party's), so that each escalation writes a value of its own.
const ESCALATED: &str = "escalated ";
/// The [`ADHOC`] value an earlier version marks every escalated room with.
const ESCALATED_BEFORE: &str = "1";
/// How the [`ADHOC`] value of a room a caller dialled into starts: the last
/// such caller's call follows, so that each caller writes a value of its own.
const DIALLED: &str = "dialled ";
/// How many times a caller dialling in reads the room's [`ADHOC`] value and
/// tries to mark it ([`dial_in_refusal`]) while other callers mark it.
const MAX_MARK_ATTEMPTS: usize = 16;
/// The room meta key naming the call alone in the room whose music waits
/// for its `only_person` to end.
const MUSIC_WAITS: &str = "nway-music-waits";
/// The longest a music mark holds, in seconds: longer than the bundled
/// `only_person` prompt; with a longer one in `media.prompts_dir`, music
/// may start under its end when another caller comes and goes.
const MUSIC_WAIT_S: u64 = 30;
/// The prefix of the store's keys listing the rooms marked [`ADHOC`].
const ADHOC_LISTED: &str = "adhoc/";
/// The store's key saying that [`ADHOC_LISTED`] lists every room so marked.
const ADHOC_INDEXED: &str = "adhoc-indexed";
/// The most escalated rooms listed at once: as many as a range of free rooms.
const MAX_ADHOC_LISTED: u32 = 100_000;
/// The reason a room lists a caller with while it holds the room it picked
/// and types a pin: no member of the conference yet, only the room's
/// next one. Joining as a participant lists it anew.
pub const ENTERING: &str = "entering";

/// What picking rooms and letting escalated rooms go ask of the host: the
/// host itself ([`Host`]), or a native test's stand-in.
pub trait RoomHost: Kv {
    /// Every open room.
    fn rooms(&self) -> Vec<String>;
    /// The value kept with `room` under `key`, if any.
    fn meta(&self, room: &str, key: &str) -> Option<String>;
    /// Compare-and-set: sets the value kept with `room` under `key` to
    /// `value` only if it is now `expected` (`None`: not set), in one step
    /// no other write comes between. False if the value was another, setting
    /// nothing; the host's error if it could not set it (the room is gone,
    /// or its meta takes no more).
    fn swap_meta(
        &self,
        room: &str,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, Error>;
    /// Whether `room`'s conference is over but for `me` ([`vacant_but_for`]).
    fn vacant_but_for(&self, room: &str, me: &str) -> bool;
    /// Clears `room`'s keep if no member is out ([`out::drop_stale_keep`]).
    fn drop_stale_keep(&self, room: &str);
    /// Stops `room`'s recording and what is announced into it.
    fn silence(&self, room: &str);
    /// Lists `call` in `room` as `listed`, out of any room it was in; how
    /// many other participants the room lists, their calls going on.
    fn join(&self, call: &str, room: &str, listed: &JoinOptions) -> Result<u32, Error>;
    /// Takes `call` out of its room.
    fn leave(&self, call: &str);
    /// How many members of `room`'s conference other than `call` are out
    /// inviting ([`out::count`]).
    fn out_count(&self, room: &str, call: &str) -> usize;
}

/// The host's rooms and store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Host;

impl Kv for Host {
    fn get(&self, key: &str) -> Option<String> {
        HostKv.get(key)
    }

    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        HostKv.set(key, value)
    }

    fn delete(&self, key: &str) -> bool {
        HostKv.delete(key)
    }

    fn swap(&self, key: &str, expected: Option<&str>, value: Option<&str>) -> Result<bool, Error> {
        HostKv.swap(key, expected, value)
    }

    fn list(&self, prefix: &str, limit: u32) -> Vec<String> {
        HostKv.list(prefix, limit)
    }
}

impl RoomHost for Host {
    fn rooms(&self) -> Vec<String> {
        rooms::list()
    }

    fn meta(&self, room: &str, key: &str) -> Option<String> {
        rooms::get_meta(room, key)
    }

    fn swap_meta(
        &self,
        room: &str,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, Error> {
        rooms::swap_meta(room, key, expected, value)
    }

    fn vacant_but_for(&self, room: &str, me: &str) -> bool {
        vacant_but_for(room, me)
    }

    fn drop_stale_keep(&self, room: &str) {
        out::drop_stale_keep(room);
    }

    fn silence(&self, room: &str) {
        // A room not recorded, or gone, has nothing to stop.
        let _ = rooms::stop_recording(room);
        let _ = rooms::stop_announcement(room);
    }

    fn join(&self, call: &str, room: &str, listed: &JoinOptions) -> Result<u32, Error> {
        Call::new(call).join(room, listed)
    }

    fn leave(&self, call: &str) {
        // A call in no room, or gone, has nothing to leave.
        let _ = Call::new(call).leave();
    }

    fn out_count(&self, room: &str, call: &str) -> usize {
        out::count(room, call)
    }
}

/// The participants of `room` in it now (connected, and no caller still
/// [`ENTERING`]), in the order they joined.
pub fn present(room: &str) -> Vec<ParticipantInfo> {
    rooms::info(room)
        .map(|info| info.participants.into_iter().filter(is_present).collect())
        .unwrap_or_default()
}

/// Whether `participant` is one of its room's conference in the room now.
fn is_present(participant: &ParticipantInfo) -> bool {
    participant.status == ParticipantStatus::Connected && participant.reason != ENTERING
}

/// Whether `participant` keeps its room's conference going: in it or
/// coming (an invitee listed as it is called), and no caller still
/// [`ENTERING`].
fn keeps_conference(participant: &ParticipantInfo) -> bool {
    participant.reason != ENTERING
        && matches!(
            participant.status,
            ParticipantStatus::Connecting
                | ParticipantStatus::Ringing
                | ParticipantStatus::Connected
        )
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
    own_pin_in(&Host, room)
}

/// [`own_pin`] as `host` has it.
pub fn own_pin_in(host: &impl RoomHost, room: &str) -> Option<String> {
    let value = host.meta(room, PIN)?;
    let pin = value.split(' ').next().filter(|pin| !pin.is_empty());
    pin.map(str::to_owned)
}

/// Sets `room`'s own pin to `pin` for `caller`, its first caller, opening
/// the room, unless it has one; then lets the caller in by `enter`, which
/// judges it with the room's pin ([`enter_with_own_pin_in`]). What `enter`
/// returns; the host's error if the room's meta could not take the pin,
/// `enter` not run.
pub fn enter_with_own_pin<T>(
    room: &str,
    caller: &str,
    pin: &str,
    enter: impl FnOnce() -> T,
) -> Result<T, Error> {
    rooms::open(room);
    enter_with_own_pin_in(&Host, room, caller, pin, unix_seconds(), enter)
}

/// [`enter_with_own_pin`] as `host` has it at `now`. The pin is set only
/// while the room has none (not set, or forgotten as ""), in one step
/// (compare-and-set): of two first callers setting theirs at once, the
/// second sets nothing, and its `enter` finds the first's pin. Until `enter`
/// returns, the pin names its caller as on its way in: not listed in the
/// room yet, it keeps the pin from a conference forgotten meanwhile
/// ([`forget_conference`]).
fn enter_with_own_pin_in<T>(
    host: &impl RoomHost,
    room: &str,
    caller: &str,
    pin: &str,
    now: u64,
    enter: impl FnOnce() -> T,
) -> Result<T, Error> {
    let setting = format!("{pin} {caller} {now}");
    let set = set_if_unclaimed(host, room, PIN, &setting)?;
    let entered = enter();
    if set {
        // Let in (listed now) or refused, the caller is on its way no longer; a
        // conference forgotten meanwhile took the pin, which stays forgotten.
        let _ = host.swap_meta(room, PIN, Some(&setting), pin);
    }
    Ok(entered)
}

/// Whether `value`, read from a room's meta under `key`, is a pin that a
/// caller other than `me` set and is on its way in with at `now`
/// ([`enter_with_own_pin_in`]).
fn pin_on_its_way(key: &str, value: &str, me: &str, now: u64) -> bool {
    if key != PIN {
        return false;
    }
    let setter = value
        .split_once(' ')
        .and_then(|(_, setting)| fresh_mark_holder(setting, now, PIN_SETTING_S));
    setter.is_some_and(|setter| setter != me)
}

/// Sets `room`'s `key` to `value` only while it is not set or "", by
/// compare-and-set; true if it set it.
fn set_if_unclaimed(
    host: &impl RoomHost,
    room: &str,
    key: &str,
    value: &str,
) -> Result<bool, Error> {
    Ok(host.swap_meta(room, key, None, value)? || host.swap_meta(room, key, Some(""), value)?)
}

/// Marks `call`, alone in `room`, as hearing `only_person` before the
/// room's music: one leaving it alone meanwhile leaves the music to its
/// flow ([`music_waits_for`]), for at most [`MUSIC_WAIT_S`].
pub fn set_music_waits(room: &str, call: &str) {
    // A room that is gone has nothing to mark.
    let _ = rooms::set_meta(room, MUSIC_WAITS, &format!("{call} {}", unix_seconds()));
}

/// Takes back [`set_music_waits`]'s mark of `call`, unless another's
/// replaced it.
pub fn clear_music_waits(room: &str, call: &str) {
    clear_music_waits_in(&Host, room, call, unix_seconds());
}

/// [`clear_music_waits`] as `host` has it at `now`: only the mark read is
/// cleared (compare-and-set), so that another's set meanwhile stays.
fn clear_music_waits_in(host: &impl RoomHost, room: &str, call: &str, now: u64) {
    let mark = host.meta(room, MUSIC_WAITS);
    if let Some(mark) = mark.filter(|mark| mark_holds_for(mark, call, now)) {
        // A room that is gone has no mark to take back.
        let _ = host.swap_meta(room, MUSIC_WAITS, Some(&mark), "");
    }
}

/// Whether `call`'s music in `room` waits for its `only_person` to end
/// ([`set_music_waits`]).
pub fn music_waits_for(room: &str, call: &str) -> bool {
    rooms::get_meta(room, MUSIC_WAITS)
        .is_some_and(|mark| mark_holds_for(&mark, call, unix_seconds()))
}

/// Whether the music mark `mark` (`<call> <unix seconds>`) still holds for
/// `call` at `now`: one older than [`MUSIC_WAIT_S`] is from a flow that
/// never got to its prompt's end (it trapped), and holds no music back.
fn mark_holds_for(mark: &str, call: &str, now: u64) -> bool {
    fresh_mark_holder(mark, now, MUSIC_WAIT_S) == Some(call)
}

/// The call a mark `<call> <unix seconds>` names, if the mark is at most
/// `max_age` seconds old at `now`.
fn fresh_mark_holder(mark: &str, now: u64, max_age: u64) -> Option<&str> {
    let (marked, since) = mark.rsplit_once(' ')?;
    let since = since.parse::<u64>().ok()?;
    (now.saturating_sub(since) <= max_age).then_some(marked)
}

/// Whether `room`'s conference is over for everyone but `me`: the room
/// lists nobody else who keeps it going ([`keeps_conference`]: a caller
/// holding the room while it types a pin does not), and no other member is
/// out inviting.
pub fn vacant_but_for(room: &str, me: &str) -> bool {
    !anyone_listed_but(room, me) && out::count(room, me) == 0
}

/// Whether `room` lists a participant other than `me` that keeps its
/// conference going.
fn anyone_listed_but(room: &str, me: &str) -> bool {
    let Some(info) = rooms::info(room) else {
        return false;
    };
    info.participants
        .iter()
        .any(|p| p.call != me && keeps_conference(p))
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
    /// The one coming is in the room already, holding the room it picked
    /// while it typed a pin ([`ENTERING`]): it comes after everyone there.
    pub holds_room: bool,
    /// The one coming dialled into the room: it enters no room an
    /// escalation took, which is judged once it joined, in one step with
    /// the escalation's claim ([`dial_in_refusal`]).
    pub dials_in: bool,
}

impl Admission {
    /// A member of the room's conference coming back (from inviting, or
    /// following its conference): always taken.
    pub const MEMBER: Admission = Admission {
        max_members: 0,
        admin: true,
        holds_room: false,
        dials_in: false,
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
    /// It is in the room, where the host counted this many others not
    /// finished as it joined.
    In(u32),
    /// The room refused it, and it left the room again.
    Refused(Refusal),
}

/// Puts `call` into `room` as `listed`, then judges it by `admission`: one
/// the room refuses leaves it again. It counts the participants that joined
/// the room before it (the host lists them in the order of their joins,
/// which it makes one at a time; one that holds the room counts everyone
/// there), so that of calls joining at once only
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
        return host_join(call, room, listed);
    }
    let out_calls = || out::members(room, call.id()).into_iter().map(|m| m.call);
    let mut away: Vec<String> = out_calls().collect();
    let others = match host_join(call, room, listed)? {
        Joined::In(others) => others,
        refused => return Ok(refused),
    };
    let marked = if admission.dials_in {
        dial_in_refusal(&Host, room, call.id())
    } else {
        Ok(None)
    };
    match marked {
        Ok(None) => {}
        Ok(Some(refusal)) => {
            let _ = call.leave();
            return Ok(Joined::Refused(refusal));
        }
        Err(e) => {
            let _ = call.leave();
            return Err(e);
        }
    }
    // The room first, then the marks: a member going out has its mark before it leaves.
    let present = present(room);
    let before = if admission.holds_room {
        others_in(&present, call.id())
    } else {
        joined_before(&present, call.id())
    };
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

/// Puts `call` into `room` as `listed`. The host's own lock (its console, REST
/// API or `switchyard.lock`) keeps out every call the room does not list,
/// admins and members coming back from inviting too: such a call is refused
/// as by this guest's lock. The host's error if the call could not join
/// otherwise (an ending call's is `wrong-state` too).
fn host_join(call: &Call, room: &str, listed: &JoinOptions) -> Result<Joined, Error> {
    match call.join(room, listed) {
        Ok(others) => Ok(Joined::In(others)),
        Err(Error::WrongState(why)) if is_host_lock(&why) => {
            Ok(Joined::Refused(("locked by the host", "conference_locked")))
        }
        Err(e) => Err(e),
    }
}

/// Whether the host's `wrong-state` refusal of a join, `why`, is its room
/// lock's ("room 42 is locked") rather than an ending call's.
fn is_host_lock(why: &str) -> bool {
    why.starts_with("room ") && why.ends_with(" is locked")
}

/// The calls of `present` (a room's participants, in the order they joined)
/// that joined before `me`; all but `me` if it is not among them.
fn joined_before(present: &[ParticipantInfo], me: &str) -> Vec<String> {
    let at = present.iter().position(|p| p.call == me);
    others_in(&present[..at.unwrap_or(present.len())], me)
}

/// The calls of `participants` but `me`.
fn others_in(participants: &[ParticipantInfo], me: &str) -> Vec<String> {
    participants
        .iter()
        .filter(|p| p.call != me)
        .map(|p| p.call.clone())
        .collect()
}

/// Forgets the room's lock, pin, escalated mark and music waiting for a
/// prompt, while its conference is over but for `me` ([`vacant_but_for`]):
/// as MeetMe's, they belong to one conference; and the host's keep, if no
/// member is out. A pin whose caller is on its way in stays
/// ([`enter_with_own_pin`]).
pub fn forget_conference(host: &impl RoomHost, room: &str, me: &str) {
    let now = unix_seconds();
    for key in [LOCKED, PIN, ADHOC, MUSIC_WAITS] {
        // Vacancy is read after the value, and only the value read is cleared
        // (compare-and-set): a caller or escalation claiming the room is listed in
        // it before it sets its own (a caller setting its pin names itself in the pin
        // instead), and what it sets after the read stays.
        let Some(value) = host.meta(room, key).filter(|value| !value.is_empty()) else {
            continue;
        };
        if !pin_on_its_way(key, &value, me, now) && host.vacant_but_for(room, me) {
            // A room that is gone has nothing to forget.
            let _ = host.swap_meta(room, key, Some(&value), "");
        }
    }
    host.drop_stale_keep(room);
}

/// Ends `room`'s conference if it is over but for `me` ([`vacant_but_for`]):
/// as MeetMe's, its recording and its music stop, and it is forgotten
/// ([`forget_conference`]). True if it ended.
pub fn end_if_vacant_but_for(room: &str, me: &str) -> bool {
    end_if_vacant_but_for_in(&Host, room, me)
}

/// [`end_if_vacant_but_for`] as `host` has it.
pub fn end_if_vacant_but_for_in(host: &impl RoomHost, room: &str, me: &str) -> bool {
    let vacant = host.vacant_but_for(room, me);
    if vacant {
        // The host keeps a looped announcement with the open room, and plays it
        // again to whoever joins next: music for one alone is not theirs.
        host.silence(room);
        forget_conference(host, room, me);
    }
    vacant
}

/// Takes `room` for the escalated two-party call of `holder` (listed as
/// `listed`), atomically against other escalations: the holder joins it,
/// and as the host lists calls one at a time, the first to join a room that
/// nobody is in and no member out inviting holds has it ([`make_adhoc`]);
/// and against a caller dialling in, which marks the room as its own
/// ([`dial_in_refusal`]): of the two, the first to mark it has it.
/// The holder is then left in the room: it must leave it only once its mark
/// as a member out ([`out::went_out`]) holds its place. One that did not get
/// the room leaves it at once, out of the bridge it was in.
pub fn claim_adhoc(holder: &Call, room: &str, listed: &JoinOptions) -> Claim {
    claim_adhoc_in(&Host, holder.id(), room, listed)
}

/// [`claim_adhoc`] as `host` has it.
fn claim_adhoc_in(host: &impl RoomHost, holder: &str, room: &str, listed: &JoinOptions) -> Claim {
    match claim(host, holder, room, listed) {
        Claim::Taken if !make_adhoc(host, room, holder) => {
            host.leave(holder);
            Claim::Busy
        }
        claimed => claimed,
    }
}

/// Puts `call`, the other side of the two-party call that `holder`
/// escalated into `room` ([`claim_adhoc`]), into the room (listed as
/// `listed`), which stays the escalation's: the holder's mark passes to the
/// call, by compare-and-set, so that the holder hanging up before the call
/// is in, which forgets a conference it finds over ([`forget_conference`]),
/// leaves the mark; one forgotten already the call claims anew as an
/// escalation does, if the room holds nobody else, as [`claim`] judges it
/// (a caller holding the room while it types a pin counts). [`Claim::Busy`], the
/// call out of the room again, if a caller or another escalation took the
/// room meanwhile.
pub fn follow_escalation(holder: &Call, call: &Call, room: &str, listed: &JoinOptions) -> Claim {
    follow_escalation_in(&Host, holder.id(), call.id(), room, listed)
}

/// [`follow_escalation`] as `host` has it.
fn follow_escalation_in(
    host: &impl RoomHost,
    holder: &str,
    call: &str,
    room: &str,
    listed: &JoinOptions,
) -> Claim {
    let others = match join_for_claim(host, call, room, listed) {
        Ok(others) => others,
        Err(refused) => return refused,
    };
    let holders = escalation_mark(holder);
    let passed = host.swap_meta(room, ADHOC, Some(&holders), &escalation_mark(call));
    match passed {
        Ok(true) => Claim::Taken,
        Ok(false)
            if holds_nobody_else(host, room, call, others) && make_adhoc(host, room, call) =>
        {
            Claim::Taken
        }
        Ok(false) => {
            host.leave(call);
            Claim::Busy
        }
        Err(_) => {
            host.leave(call);
            Claim::GaveUp
        }
    }
}

/// What came of a [`claim`] of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The room is the call's: it is in it.
    Taken,
    /// Another holds the room, or locked it: another room may be free.
    Busy,
    /// The call could join no room (it is ending, or the host could not do
    /// it now): no other room is worth trying.
    GaveUp,
}

/// Takes `room` for `call` (listed as `listed`), atomically against other
/// claims: `call` joins it (which opens it), and as the host lists calls
/// one at a time, the first to join a room that nobody is in and no member
/// out inviting holds has it. One that has it stays in the room; one that
/// joined but did not get it leaves it at once.
pub fn claim(host: &impl RoomHost, call: &str, room: &str, listed: &JoinOptions) -> Claim {
    match join_for_claim(host, call, room, listed) {
        Ok(others) if holds_nobody_else(host, room, call, others) => Claim::Taken,
        Ok(_) => {
            host.leave(call);
            Claim::Busy
        }
        Err(refused) => refused,
    }
}

/// Puts `call` into `room` (listed as `listed`) on its way to claiming it:
/// the other participants listed, or what came of the claim if it could not
/// join: [`Claim::Busy`] for a room the host locked, [`Claim::GaveUp`] else.
fn join_for_claim(
    host: &impl RoomHost,
    call: &str,
    room: &str,
    listed: &JoinOptions,
) -> Result<u32, Claim> {
    host.join(call, room, listed).map_err(|error| match error {
        Error::WrongState(why) if is_host_lock(&why) => Claim::Busy,
        // Whatever kept this call out of this room keeps it out of every other.
        _ => Claim::GaveUp,
    })
}

/// Whether `room`, which `call` joined with `others` other participants
/// listed (what the join returned), holds nobody else: none listed, a
/// caller holding the room while it types a pin ([`ENTERING`]) included,
/// and no member out inviting.
fn holds_nobody_else(host: &impl RoomHost, room: &str, call: &str, others: u32) -> bool {
    others == 0 && host.out_count(room, call) == 0
}

/// The [`ADHOC`] value of a room made by escalating a two-party call while
/// `holder`, a call of it, holds the mark.
fn escalation_mark(holder: &str) -> String {
    format!("{ESCALATED}{holder}")
}

/// Starts a new conference in the free `room` (opened, or open and vacant)
/// that `holder` claimed for an escalated two-party call, without lock or
/// pin, so that nobody may dial into it; lists it among the escalated rooms.
/// False, changing nothing, if a caller that dialled in meanwhile marked the
/// room first ([`dial_in_refusal`]): the room is the caller's, and so is a
/// pin it set on its way in, which the conference forgotten leaves.
fn make_adhoc(host: &impl RoomHost, room: &str, holder: &str) -> bool {
    forget_conference(host, room, holder);
    let mark = escalation_mark(holder);
    // A room whose meta takes no mark (gone, or full) is no room to take.
    let marked = set_if_unclaimed(host, room, ADHOC, &mark).unwrap_or(false);
    if marked {
        // Past the store's bounds the room is not listed: once its conference
        // ends unnoticed, it is kept until the host's next start.
        let _ = host.set(&adhoc_key(room), "");
    }
    marked
}

/// Why `room`, which `call` dialled into and joined, refuses it: an
/// escalation took the room. Otherwise the room is marked as the caller's
/// ([`DIALLED`]), by compare-and-set against [`make_adhoc`]'s mark: the
/// first of the two to mark the room has it. Each caller writes a mark of
/// its own, so that a conference forgotten meanwhile ([`forget_conference`])
/// clears only the mark it read. The host's error if it could not mark the
/// room (gone, or its meta full), which no other try mends.
fn dial_in_refusal(host: &impl RoomHost, room: &str, call: &str) -> Result<Option<Refusal>, Error> {
    let mark = format!("{DIALLED}{call}");
    for _ in 0..MAX_MARK_ATTEMPTS {
        let read = host.meta(room, ADHOC);
        if read.as_deref().is_some_and(is_escalation_mark) {
            return Ok(Some(("an escalated call took it", "conference_locked")));
        }
        if host.swap_meta(room, ADHOC, read.as_deref(), &mark)? {
            return Ok(None);
        }
    }
    Ok(Some(("others kept marking it", "conference_locked")))
}

/// The store's key listing `room` among the escalated rooms.
fn adhoc_key(room: &str) -> String {
    format!("{ADHOC_LISTED}{room}")
}

/// Whether `room` was opened for an escalated two-party call: only its
/// calls' invitations bring people in.
pub fn is_adhoc(room: &str) -> bool {
    is_adhoc_in(&Host, room)
}

/// [`is_adhoc`] as `host` has it.
pub fn is_adhoc_in(host: &impl RoomHost, room: &str) -> bool {
    host.meta(room, ADHOC)
        .is_some_and(|mark| is_escalation_mark(&mark))
}

/// Whether the [`ADHOC`] value `mark` is an escalation's, as this version
/// or an earlier one marks it.
fn is_escalation_mark(mark: &str) -> bool {
    mark == ESCALATED_BEFORE || mark.starts_with(ESCALATED)
}

/// The first free room of `first..=last` that is `acceptable` and that
/// `take` takes ([`Claim::Taken`]): one not open, else an open vacant one.
/// A room `take` gives up on ends the walk: none is picked.
///
/// `take` opens a room not open and makes taking it atomic ([`claim`]), so
/// that two calls looking at once never take the same room, and a room is
/// only opened by the call that takes it (an open room waits to expire, and
/// pushes other empty rooms out). An open empty room is only tried when
/// every acceptable room of the range exists. The rooms open are listed
/// once, so that only those not open are tried: `acceptable` and the host
/// are asked nothing of the others but in the walk for a vacant one.
pub fn first_free(
    host: &impl RoomHost,
    (first, last): (u64, u64),
    acceptable: impl Fn(&str) -> bool,
    take: impl Fn(&str) -> Claim,
) -> Option<String> {
    let open: HashSet<String> = host.rooms().into_iter().collect();
    let range = || (first..=last).map(|n| n.to_string());
    let new = range().filter(|room| !open.contains(room) && acceptable(room));
    let vacant = range().filter(|room| acceptable(room) && host.vacant_but_for(room, ""));
    for room in new.chain(vacant) {
        match take(&room) {
            Claim::Taken => return Some(room),
            Claim::Busy => {}
            Claim::GaveUp => return None,
        }
    }
    None
}

/// Lets the host expire the escalated rooms whose conference ended
/// unnoticed: no caller dials into one to find it vacant, so a keep left
/// by a restart (the members' marks lost, the room's meta not) or by a
/// member's flow that failed while out would keep it for ever. Rooms no
/// longer escalated (forgotten, or gone) leave the list.
pub fn release_stale_adhoc(host: &impl RoomHost) {
    for room in adhoc_rooms(host) {
        if !is_adhoc_in(host, &room) {
            unlist_adhoc(host, &room);
        } else if host.vacant_but_for(&room, "") {
            // Not `forget_conference`: an escalation may be claiming the room
            // this moment, and its mark, once set, keeps the keep.
            host.drop_stale_keep(&room);
        }
    }
}

/// The rooms listed as escalated; after a start of the host, every room
/// whose meta marks it so, listed on the way.
fn adhoc_rooms(host: &impl RoomHost) -> Vec<String> {
    if host.get(ADHOC_INDEXED).is_none() {
        for room in host.rooms() {
            if is_adhoc_in(host, &room) {
                let _ = host.set(&adhoc_key(&room), "");
            }
        }
        let _ = host.set(ADHOC_INDEXED, "");
    }
    host.list(ADHOC_LISTED, MAX_ADHOC_LISTED)
        .into_iter()
        .map(|key| key[ADHOC_LISTED.len()..].to_owned())
        .collect()
}

/// Takes `room`, found no longer escalated, off the list; an escalation that
/// claimed it meanwhile marked it before listing it, so it is listed again.
fn unlist_adhoc(host: &impl RoomHost, room: &str) {
    host.delete(&adhoc_key(room));
    if is_adhoc_in(host, room) {
        let _ = host.set(&adhoc_key(room), "");
    }
}

/// A stand-in for the host in native tests: rooms, their meta and the
/// store in memory, and a count of the calls made into it.
#[cfg(test)]
pub mod fake {
    use super::{ADHOC, ENTERING, ESCALATED_BEFORE, RoomHost, adhoc_key};
    use std::cell::{Cell, RefCell};
    use std::collections::{BTreeMap, BTreeSet};
    use switchyard_sdk::JoinOptions;
    use switchyard_sdk::store::{Kv, MemoryKv};
    use switchyard_sdk::types::Error;

    /// Another call's step, run in the middle of one's own.
    pub type OtherStep = Box<dyn FnOnce(&FakeHost)>;

    /// The rooms and store of a host, and what was asked of it.
    #[derive(Default)]
    pub struct FakeHost {
        /// The open rooms, each with its meta.
        pub rooms: RefCell<BTreeMap<String, BTreeMap<String, String>>>,
        /// The open rooms with nobody in or out of them but the calls
        /// [`FakeHost::listed`] lists.
        pub vacant: RefCell<BTreeSet<String>>,
        /// The calls that joined each room through this host, in order.
        pub listed: RefCell<BTreeMap<String, Vec<String>>>,
        /// The calls of [`FakeHost::listed`] listed as [`ENTERING`]: as the
        /// host counts them, they are in their room, but they keep no
        /// conference going.
        pub entering: RefCell<BTreeSet<String>>,
        /// The rooms each join was asked for, in order, whether or not it
        /// put its call there (and opened its room).
        pub joins: RefCell<Vec<String>>,
        /// The store.
        pub kv: MemoryKv,
        /// The rooms whose stale keep was dropped.
        pub released: RefCell<Vec<String>>,
        /// The rooms whose recording and announcement were stopped.
        pub silenced: RefCell<Vec<String>>,
        /// How many calls were made into the host.
        pub calls: Cell<usize>,
        /// The error every join fails with, if any.
        pub join_error: RefCell<Option<Error>>,
        /// Other calls' steps: each write of meta first runs the last one
        /// left, as if another call ran then.
        pub before_meta_write: RefCell<Vec<OtherStep>>,
    }

    impl FakeHost {
        /// A host with rooms `names` open, each with someone in it.
        pub fn with_rooms(names: impl IntoIterator<Item = String>) -> Self {
            let host = FakeHost::default();
            host.rooms
                .borrow_mut()
                .extend(names.into_iter().map(|room| (room, BTreeMap::new())));
            host
        }

        /// Opens `room` as escalated, and listed so, as an escalation of an
        /// earlier version leaves it.
        pub fn add_adhoc(&self, room: &str, vacant: bool) {
            let meta = BTreeMap::from([(ADHOC.to_owned(), ESCALATED_BEFORE.to_owned())]);
            self.rooms.borrow_mut().insert(room.to_owned(), meta);
            self.kv
                .set(&adhoc_key(room), "")
                .expect("a store in memory");
            if vacant {
                self.vacant.borrow_mut().insert(room.to_owned());
            }
        }

        fn ask(&self) {
            self.calls.set(self.calls.get() + 1);
        }

        /// Sets the value kept with `room` under `key`, as another call's
        /// `rooms.set-meta` does.
        pub fn set_meta(&self, room: &str, key: &str, value: &str) {
            self.run_other_step();
            self.ask();
            if let Some(meta) = self.rooms.borrow_mut().get_mut(room) {
                meta.insert(key.to_owned(), value.to_owned());
            }
        }

        fn run_other_step(&self) {
            let other = self.before_meta_write.borrow_mut().pop();
            if let Some(other) = other {
                other(self);
            }
        }

        /// Opens `room`, as a join does; true if this created it.
        pub fn open(&self, room: &str) -> bool {
            self.ask();
            let mut rooms = self.rooms.borrow_mut();
            let created = !rooms.contains_key(room);
            rooms.entry(room.to_owned()).or_default();
            created
        }
    }

    impl Kv for FakeHost {
        fn get(&self, key: &str) -> Option<String> {
            self.ask();
            self.kv.get(key)
        }

        fn set(&self, key: &str, value: &str) -> Result<(), Error> {
            self.ask();
            self.kv.set(key, value)
        }

        fn delete(&self, key: &str) -> bool {
            self.ask();
            self.kv.delete(key)
        }

        fn swap(
            &self,
            key: &str,
            expected: Option<&str>,
            value: Option<&str>,
        ) -> Result<bool, Error> {
            self.ask();
            self.kv.swap(key, expected, value)
        }

        fn list(&self, prefix: &str, limit: u32) -> Vec<String> {
            self.ask();
            self.kv.list(prefix, limit)
        }
    }

    impl RoomHost for FakeHost {
        fn rooms(&self) -> Vec<String> {
            self.ask();
            self.rooms.borrow().keys().cloned().collect()
        }

        fn meta(&self, room: &str, key: &str) -> Option<String> {
            self.ask();
            self.rooms.borrow().get(room)?.get(key).cloned()
        }

        fn swap_meta(
            &self,
            room: &str,
            key: &str,
            expected: Option<&str>,
            value: &str,
        ) -> Result<bool, Error> {
            self.run_other_step();
            self.ask();
            let mut rooms = self.rooms.borrow_mut();
            let meta = rooms.get_mut(room).ok_or(Error::NoSuchRoom)?;
            let swapped = meta.get(key).map(String::as_str) == expected;
            if swapped {
                meta.insert(key.to_owned(), value.to_owned());
            }
            Ok(swapped)
        }

        fn vacant_but_for(&self, room: &str, me: &str) -> bool {
            self.ask();
            let listed = self.listed.borrow();
            let entering = self.entering.borrow();
            let keeps = |c: &String| c != me && !entering.contains(c);
            let others = listed.get(room).is_some_and(|c| c.iter().any(keeps));
            !others
                && (!self.rooms.borrow().contains_key(room) || self.vacant.borrow().contains(room))
        }

        fn drop_stale_keep(&self, room: &str) {
            self.ask();
            self.released.borrow_mut().push(room.to_owned());
        }

        fn silence(&self, room: &str) {
            self.ask();
            self.silenced.borrow_mut().push(room.to_owned());
        }

        fn join(&self, call: &str, room: &str, listed: &JoinOptions) -> Result<u32, Error> {
            self.joins.borrow_mut().push(room.to_owned());
            if let Some(error) = self.join_error.borrow().clone() {
                self.ask();
                return Err(error);
            }
            self.leave(call);
            if listed.reason == ENTERING {
                self.entering.borrow_mut().insert(call.to_owned());
            }
            // Rooms open but not vacant have someone this host does not list.
            let occupied = !self.open(room) && !self.vacant.borrow().contains(room);
            let mut listed = self.listed.borrow_mut();
            let calls = listed.entry(room.to_owned()).or_default();
            calls.push(call.to_owned());
            Ok(u32::from(occupied) + u32::try_from(calls.len() - 1).unwrap_or(u32::MAX))
        }

        fn leave(&self, call: &str) {
            self.ask();
            for calls in self.listed.borrow_mut().values_mut() {
                calls.retain(|c| c != call);
            }
            self.entering.borrow_mut().remove(call);
        }

        fn out_count(&self, _: &str, _: &str) -> usize {
            self.ask();
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeHost;
    use super::*;
    use std::collections::BTreeMap;
    use switchyard_sdk::store::MemoryKv;

    #[test]
    fn a_music_mark_holds_for_its_call_until_it_is_old() {
        assert!(mark_holds_for("c7 1000", "c7", 1000 + MUSIC_WAIT_S));
        assert!(!mark_holds_for("c7 1000", "c7", 1001 + MUSIC_WAIT_S));
        assert!(!mark_holds_for("c7 1000", "c8", 1000));
        assert!(!mark_holds_for("c7", "c7", 1000));
        assert!(!mark_holds_for("", "c7", 1000));
    }

    /// A host with 10,000 rooms of others (`o0`…) open, and the free rooms
    /// 9000..=9998 open with someone in each.
    fn busy_host() -> FakeHost {
        let others = (0..10_000).map(|n| format!("o{n}"));
        FakeHost::with_rooms(others.chain((9000..9999).map(|n| n.to_string())))
    }

    #[test]
    fn letting_escalated_rooms_go_asks_nothing_of_other_rooms() {
        let host = busy_host();
        host.add_adhoc("500", true);
        host.add_adhoc("501", false);
        host.add_adhoc("502", true);
        host.rooms.borrow_mut().remove("502");
        release_stale_adhoc(&host);
        assert_eq!(*host.released.borrow(), ["500"], "once after a start");
        assert_eq!(
            host.list(ADHOC_LISTED, 10),
            ["adhoc/500", "adhoc/501"],
            "a room gone leaves the list"
        );
        host.calls.set(0);
        host.released.borrow_mut().clear();
        release_stale_adhoc(&host);
        assert_eq!(*host.released.borrow(), ["500"]);
        let calls = host.calls.get();
        assert!(calls <= 8, "{calls} calls into the host among 11,000 rooms");
    }

    #[test]
    fn escalated_rooms_are_listed_anew_after_a_start() {
        let mut host = busy_host();
        host.add_adhoc("500", true);
        host.kv = MemoryKv::default();
        release_stale_adhoc(&host);
        assert_eq!(*host.released.borrow(), ["500"]);
        assert_eq!(host.list(ADHOC_LISTED, 10), ["adhoc/500"]);
    }

    #[test]
    fn a_forgotten_room_claimed_meanwhile_stays_listed() {
        let host = FakeHost::default();
        host.add_adhoc("500", false);
        unlist_adhoc(&host, "500");
        assert_eq!(host.list(ADHOC_LISTED, 10), ["adhoc/500"], "claimed again");
        host.rooms
            .borrow_mut()
            .insert("500".into(), BTreeMap::new());
        unlist_adhoc(&host, "500");
        assert!(host.list(ADHOC_LISTED, 10).is_empty(), "forgotten");
    }

    #[test]
    fn picking_a_free_room_opens_only_rooms_not_open() {
        let host = busy_host();
        // A claim opens the room it takes.
        let take = |room: &str| {
            host.open(room);
            Claim::Taken
        };
        let picked = first_free(&host, (9000, 9999), |_| true, take);
        assert_eq!(picked.as_deref(), Some("9999"));
        let calls = host.calls.get();
        assert!(calls <= 2, "{calls} calls into the host to pick a room");
        host.vacant.borrow_mut().insert("9500".into());
        let picked = first_free(&host, (9000, 9999), |_| true, take);
        assert_eq!(picked.as_deref(), Some("9500"), "then the first vacant");
        let unacceptable = first_free(&host, (9000, 9999), |room| room != "9500", take);
        assert_eq!(unacceptable, None);
    }

    #[test]
    fn a_conference_is_forgotten_only_while_nobody_claims_its_room() {
        let host = FakeHost::default();
        host.open("9000");
        host.vacant.borrow_mut().insert("9000".into());
        let meta = |key: &str| host.meta("9000", key);
        // A caller claimed the room after the last one left, and set its pin.
        host.join("c2", "9000", &JoinOptions::number("200"))
            .unwrap();
        host.set_meta("9000", PIN, "1234");
        forget_conference(&host, "9000", "c1");
        assert_eq!(
            meta(PIN).as_deref(),
            Some("1234"),
            "the new conference's pin"
        );
        host.leave("c2");
        host.set_meta("9000", LOCKED, "1");
        forget_conference(&host, "9000", "c1");
        assert_eq!(meta(PIN).as_deref(), Some(""));
        assert_eq!(meta(LOCKED).as_deref(), Some(""));
        assert_eq!(meta(ADHOC), None, "only what is set is cleared");
    }

    /// A `D` caller `caller` of room 9000, which typed `pin`, setting it and
    /// entering: what `enter` returns.
    fn enter_with_pin<T>(host: &FakeHost, caller: &str, pin: &str, enter: impl FnOnce() -> T) -> T {
        enter_with_own_pin_in(host, "9000", caller, pin, unix_seconds(), enter).unwrap()
    }

    #[test]
    fn of_two_first_callers_setting_a_pin_at_once_the_second_sets_none() {
        let host = FakeHost::default();
        host.open("9000");
        // Both found the room without a pin, then set theirs.
        assert_eq!(own_pin_in(&host, "9000"), None);
        assert_eq!(own_pin_in(&host, "9000"), None);
        let asked = enter_with_pin(&host, "c1", "1111", || {
            enter_with_pin(&host, "c2", "2222", || own_pin_in(&host, "9000"))
        });
        assert_eq!(asked.as_deref(), Some("1111"), "the second is asked it");
        assert_eq!(host.meta("9000", PIN).as_deref(), Some("1111"));
        // A pin forgotten with its conference leaves the room to the next.
        host.vacant.borrow_mut().insert("9000".into());
        forget_conference(&host, "9000", "");
        enter_with_pin(&host, "c3", "3333", || ());
        assert_eq!(own_pin_in(&host, "9000").as_deref(), Some("3333"));
    }

    #[test]
    fn a_new_pin_stays_while_its_caller_is_on_its_way_in() {
        let host = FakeHost::default();
        host.open("9000");
        host.vacant.borrow_mut().insert("9000".into());
        let listed = JoinOptions::number("100");
        let escalation = enter_with_pin(&host, "c1", "1111", || {
            // Another caller dials in, finds the room vacant and forgets its
            // conference; an escalation claims the room, the caller joining
            // and marking it first.
            forget_conference(&host, "9000", "c2");
            host.before_meta_write.borrow_mut().push(dial_in("c1"));
            claim_adhoc_in(&host, "h", "9000", &listed)
        });
        assert_eq!(escalation, Claim::Busy);
        assert_eq!(own_pin_in(&host, "9000").as_deref(), Some("1111"));
        assert_eq!(host.meta("9000", PIN).as_deref(), Some("1111"), "in now");
        assert_eq!(host.listed.borrow()["9000"], ["c1"]);
    }

    #[test]
    fn a_pin_set_by_a_caller_long_gone_is_forgotten() {
        let host = FakeHost::default();
        host.open("9000");
        host.vacant.borrow_mut().insert("9000".into());
        let long_ago = unix_seconds() - PIN_SETTING_S - 1;
        host.set_meta("9000", PIN, &format!("1111 c1 {long_ago}"));
        forget_conference(&host, "9000", "c2");
        assert_eq!(own_pin_in(&host, "9000"), None);
    }

    #[test]
    fn a_fresh_escalation_keeps_its_mark_as_an_old_one_is_forgotten() {
        let host = FakeHost::default();
        host.open("9000");
        host.vacant.borrow_mut().insert("9000".into());
        // An earlier version's escalation, over.
        host.set_meta("9000", ADHOC, ESCALATED_BEFORE);
        assert!(is_adhoc_in(&host, "9000"));
        // As a caller forgets it, an escalation claims the room.
        host.before_meta_write
            .borrow_mut()
            .push(Box::new(|host: &FakeHost| {
                let listed = JoinOptions::number("100");
                assert_eq!(claim_adhoc_in(host, "h", "9000", &listed), Claim::Taken);
            }));
        forget_conference(&host, "9000", "c1");
        assert!(is_adhoc_in(&host, "9000"), "the new escalation's");
        assert_eq!(host.meta("9000", ADHOC).as_deref(), Some("escalated h"));
    }

    #[test]
    fn a_caller_that_cannot_mark_its_room_is_told_at_once() {
        // The room is gone.
        let host = FakeHost::default();
        let marked = dial_in_refusal(&host, "9000", "c1");
        assert!(matches!(marked, Err(Error::NoSuchRoom)), "{marked:?}");
        let calls = host.calls.get();
        assert!(calls <= 2, "{calls} calls into the host");
    }

    /// A step of `caller`, dialling into room 9000: it joins, and marks the room.
    fn dial_in(caller: &'static str) -> fake::OtherStep {
        Box::new(move |host: &FakeHost| {
            host.join(caller, "9000", &JoinOptions::number("200"))
                .unwrap();
            assert_eq!(dial_in_refusal(host, "9000", caller).unwrap(), None);
        })
    }

    /// Holder `h` escalated into room 9000, which it left to dial: the
    /// host, and how the other side, `b`, is listed.
    fn escalated_and_left() -> (FakeHost, JoinOptions) {
        let host = FakeHost::default();
        let listed = JoinOptions::number("100");
        assert_eq!(claim_adhoc_in(&host, "h", "9000", &listed), Claim::Taken);
        host.leave("h");
        (host, JoinOptions::number("102"))
    }

    #[test]
    fn the_other_side_follows_the_holder_into_its_escalated_room() {
        let (host, listed) = escalated_and_left();
        assert_eq!(
            follow_escalation_in(&host, "h", "b", "9000", &listed),
            Claim::Taken
        );
        assert!(is_adhoc_in(&host, "9000"));
        assert_eq!(host.listed.borrow()["9000"], ["b"]);
    }

    #[test]
    fn a_holder_hanging_up_before_the_other_side_is_in_leaves_its_room_escalated() {
        let (host, listed) = escalated_and_left();
        host.vacant.borrow_mut().insert("9000".into());
        // The holder hangs up: its conference seems over, and is forgotten.
        forget_conference(&host, "9000", "h");
        assert_eq!(
            follow_escalation_in(&host, "h", "b", "9000", &listed),
            Claim::Taken
        );
        assert!(is_adhoc_in(&host, "9000"), "no room callers may dial into");
        // The holder's hang-up found the room vacant, and the other side
        // joins before it clears the mark it read.
        let (host, listed) = escalated_and_left();
        host.vacant.borrow_mut().insert("9000".into());
        host.before_meta_write
            .borrow_mut()
            .push(Box::new(move |host: &FakeHost| {
                let followed = follow_escalation_in(host, "h", "b", "9000", &listed);
                assert_eq!(followed, Claim::Taken);
            }));
        forget_conference(&host, "9000", "h");
        assert!(is_adhoc_in(&host, "9000"), "the mark passed on stays");
        assert_eq!(host.listed.borrow()["9000"], ["b"]);
    }

    #[test]
    fn the_other_side_stays_out_of_a_room_a_caller_picked_meanwhile() {
        let (host, listed) = escalated_and_left();
        host.vacant.borrow_mut().insert("9000".into());
        forget_conference(&host, "9000", "h");
        // A caller picking an empty room holds the one the holder's hang-up
        // left vacant, and types its pin.
        let entering = JoinOptions {
            reason: ENTERING.to_owned(),
            ..JoinOptions::number("200")
        };
        assert_eq!(claim(&host, "c1", "9000", &entering), Claim::Taken);
        assert_eq!(
            follow_escalation_in(&host, "h", "b", "9000", &listed),
            Claim::Busy
        );
        assert_eq!(host.listed.borrow()["9000"], ["c1"], "the other side left");
        assert!(!is_adhoc_in(&host, "9000"), "the caller may enter it");
    }

    #[test]
    fn the_other_side_stays_out_of_a_room_another_took_meanwhile() {
        let (host, listed) = escalated_and_left();
        host.vacant.borrow_mut().insert("9000".into());
        forget_conference(&host, "9000", "h");
        // A caller dials into the room the holder's hang-up left vacant.
        dial_in("c1")(&host);
        assert_eq!(
            follow_escalation_in(&host, "h", "b", "9000", &listed),
            Claim::Busy
        );
        assert_eq!(host.listed.borrow()["9000"], ["c1"], "the other side left");
        assert_eq!(host.meta("9000", ADHOC).as_deref(), Some("dialled c1"));
    }

    #[test]
    fn a_caller_that_marked_a_room_first_keeps_it_from_an_escalation() {
        let host = FakeHost::default();
        // The holder joined the vacant room; the caller joins and marks it
        // before the holder does.
        host.before_meta_write.borrow_mut().push(dial_in("c1"));
        let listed = JoinOptions::number("100");
        assert_eq!(claim_adhoc_in(&host, "h", "9000", &listed), Claim::Busy);
        assert!(!is_adhoc_in(&host, "9000"));
        assert_eq!(host.listed.borrow()["9000"], ["c1"], "the holder left");
        assert!(host.list(ADHOC_LISTED, 10).is_empty(), "not listed");
    }

    #[test]
    fn a_caller_that_joined_a_room_an_escalation_marked_is_refused() {
        let host = FakeHost::default();
        let listed = JoinOptions::number("100");
        assert_eq!(claim_adhoc_in(&host, "h", "9000", &listed), Claim::Taken);
        host.join("c1", "9000", &JoinOptions::number("200"))
            .unwrap();
        let refusal = dial_in_refusal(&host, "9000", "c1").unwrap();
        assert_eq!(
            refusal.map(|(why, _)| why),
            Some("an escalated call took it")
        );
        assert!(is_adhoc_in(&host, "9000"));
    }

    #[test]
    fn a_mark_set_while_a_conference_is_forgotten_stays() {
        let host = FakeHost::default();
        host.open("9000");
        host.vacant.borrow_mut().insert("9000".into());
        // A caller's mark left by a conference over (the host restarted).
        host.set_meta("9000", ADHOC, "dialled c0");
        // As the holder forgets that conference, a caller joins and marks the room.
        host.before_meta_write.borrow_mut().push(dial_in("c1"));
        let listed = JoinOptions::number("100");
        assert_eq!(claim_adhoc_in(&host, "h", "9000", &listed), Claim::Busy);
        assert_eq!(host.meta("9000", ADHOC).as_deref(), Some("dialled c1"));
    }

    #[test]
    fn a_music_mark_set_while_another_takes_its_own_back_stays() {
        let host = FakeHost::default();
        host.open("9000");
        host.set_meta("9000", MUSIC_WAITS, "c1 1000");
        host.before_meta_write
            .borrow_mut()
            .push(Box::new(|host: &FakeHost| {
                host.set_meta("9000", MUSIC_WAITS, "c2 1001");
            }));
        clear_music_waits_in(&host, "9000", "c1", 1002);
        assert_eq!(host.meta("9000", MUSIC_WAITS).as_deref(), Some("c2 1001"));
        clear_music_waits_in(&host, "9000", "c2", 1002);
        assert_eq!(host.meta("9000", MUSIC_WAITS).as_deref(), Some(""));
    }

    #[test]
    fn a_call_that_can_join_no_room_opens_none_looking_for_a_free_one() {
        let host = FakeHost::default();
        *host.join_error.borrow_mut() = Some(Error::NoSuchCall);
        let listed = JoinOptions::number("100");
        let picked = first_free(
            &host,
            (9000, 9999),
            |_| true,
            |room| claim(&host, "c1", room, &listed),
        );
        assert_eq!(picked, None);
        assert_eq!(*host.joins.borrow(), ["9000"], "one room tried");
        assert!(host.rooms.borrow().is_empty(), "none opened");
        let calls = host.calls.get();
        assert!(calls <= 3, "{calls} calls into the host");
    }

    #[test]
    fn a_room_the_host_locked_is_passed_over_for_the_next() {
        let host = FakeHost::default();
        let locked = Error::WrongState("room 9000 is locked".into());
        *host.join_error.borrow_mut() = Some(locked);
        let listed = JoinOptions::number("100");
        assert_eq!(claim(&host, "c1", "9000", &listed), Claim::Busy);
        *host.join_error.borrow_mut() = Some(Error::Failed("media busy".into()));
        assert_eq!(claim(&host, "c1", "9000", &listed), Claim::GaveUp);
    }

    #[test]
    fn a_caller_holding_a_room_while_it_types_a_pin_is_no_member() {
        let mut entering = listed(&["c1"]).remove(0);
        entering.reason = ENTERING.to_owned();
        assert!(!is_present(&entering), "not in the conference");
        assert!(!keeps_conference(&entering), "no one keeping it going");
        let mut entered = entering.clone();
        entered.reason = "entered".to_owned();
        assert!(is_present(&entered));
        assert!(keeps_conference(&entered));
        entered.status = ParticipantStatus::Ringing;
        assert!(!is_present(&entered), "an invitee called is not in yet");
        assert!(keeps_conference(&entered), "but keeps the conference going");
    }

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
    fn the_hosts_lock_is_told_from_an_ending_call() {
        assert!(is_host_lock("room 208 is locked"));
        assert!(!is_host_lock("c-17 is ending"));
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
