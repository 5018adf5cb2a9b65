//! Members of a room's conference out of the room, inviting someone, and
//! what their conference keeps while they are out.
//!
//! A member out inviting has left the room's mix but not its conference:
//! it keeps its place (it counts against `max_members`), and while it is out
//! the conference is not over, even with nobody in the room. Each such
//! member has a mark in the key-value store: its flow sets it when it goes
//! out, renews it every [`MARK_RENEWAL`] while out, and removes it when it
//! is back or its call ends; a holder that hangs up on its answered invitee
//! hands its mark to the invitee, whose flow removes it once the invitee is
//! in the room, refused or gone. A mark not renewed for [`STALE_AFTER_S`] is
//! a flow's that failed, or a clock's step: its call is checked with a
//! [`Message::Probe`] before it counts, and a mark whose call is gone is
//! removed by whoever finds it.
//!
//! While any member is out, the room carries the host's `keep` meta, so
//! that the host does not delete it (and its lock, pin and escalated mark
//! with it) while nobody is in it. When the conference is closed (option
//! `x`), each member out has its mark turned into a mark of its own call as
//! closed ([`close`]): it and its invitee learn it when they come back
//! ([`is_closed`]), while a new conference in the room knows nothing of it.

use crate::message::Message;
use crate::options::Options;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::Error;
use switchyard_sdk::{Call, KEEP_ROOM_META_KEY, kv, rooms, unix_seconds};

/// How often a member out inviting renews its mark.
pub const MARK_RENEWAL: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a mark may go without renewal before its call is checked, in seconds:
/// three renewals.
const STALE_AFTER_S: u64 = 90;

/// The most marks of one room looked at: more members than that out at
/// once count as that many.
const MAX_OUT_CHECKED: u32 = 1000;

/// The prefix of `room`'s marks; the room's length first, so that no room's
/// prefix begins another's.
fn prefix(room: &str) -> String {
    format!("out/{}:{room}/", room.len())
}

/// The key of the mark of `call`, out of `room` inviting.
fn mark_key(room: &str, call: &str) -> String {
    format!("{}{call}", prefix(room))
}

/// The key saying that the conference `call` was out of is closed.
fn closed_key(call: &str) -> String {
    format!("closed/{call}")
}

/// A member of a room's conference out of the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMember {
    /// Its call.
    pub call: String,
    /// Its options in the room.
    pub options: Options,
    /// Its number, as the room lists it.
    pub number: String,
}

/// Marks `call`, listed in `room` as `number` with `options`, as a member of
/// `room`'s conference out of the room, inviting, or renews its mark, and
/// has the host keep the room. A call whose conference was closed
/// ([`is_closed`]) gets no mark.
pub fn went_out(room: &str, call: &str, options: Options, number: &str) {
    set_mark(room, call, &format!("{options} {number}"));
}

/// [`went_out`] with `who` the mark's options and number, as the mark holds
/// them after its time.
fn set_mark(room: &str, call: &str, who: &str) {
    let mark = format!("{} {who}", unix_seconds());
    // Past the store's bounds the mark is lost: the member is then counted
    // as gone until it is back, as if it had left.
    let _ = kv::set(&mark_key(room, call), &mark);
    // Checked after the mark is set, as `close` sets the closed mark before it
    // takes the out mark: whichever runs second sees the other's write.
    if is_closed(call) {
        kv::delete(&mark_key(room, call));
        return;
    }
    keep(room, true);
}

/// `call` is back in `room`, or its call ended: its mark goes, and with the
/// last mark the room's keep. Idempotent: a call without a mark changes
/// nothing but a keep no member needs.
pub fn came_back(room: &str, call: &str) {
    kv::delete(&mark_key(room, call));
    if !anyone_out(room) {
        keep(room, false);
        // A member that went out meanwhile set the keep before this cleared it.
        if anyone_out(room) {
            keep(room, true);
        }
    }
}

/// `call` ended, a member of `room`'s conference: [`came_back`], and its
/// closed mark goes.
pub fn ended(room: &str, call: &str) {
    came_back(room, call);
    kv::delete(&closed_key(call));
}

/// Moves `call`'s mark, if it has one, from `from` to `into`, where its
/// conference was merged.
pub fn moved(from: &str, into: &str, call: &str) {
    if let Some(mark) = kv::get(&mark_key(from, call)) {
        came_back(from, call);
        set_mark(into, call, mark.split_once(' ').map_or("", |(_, who)| who));
    }
}

/// Whether any mark of `room`, renewed or not, is in the store.
fn anyone_out(room: &str) -> bool {
    !kv::list(&prefix(room), 1).is_empty()
}

/// Sets or clears `room`'s keep. The host keeps only so many rooms at once:
/// past that, the room expires once empty as any, its conference with it.
fn keep(room: &str, kept: bool) {
    let value = if kept { "1" } else { "" };
    // Each renewal asks again: only a change is written (and saved with the rooms).
    if rooms::get_meta(room, KEEP_ROOM_META_KEY).unwrap_or_default() == value {
        return;
    }
    match rooms::set_meta(room, KEEP_ROOM_META_KEY, value) {
        // A room that is gone has nothing to keep.
        Ok(()) | Err(Error::NoSuchRoom) => {}
        Err(e) => log(
            Level::Warn,
            &format!("room {room}: members are out but the room is not kept: {e:?}"),
        ),
    }
}

/// Clears the keep of `room` when no member of its conference is out: the
/// room is vacant, and a keep left (its marks lost with a restart, the room
/// meta not) would keep it for ever.
pub fn drop_stale_keep(room: &str) {
    if !anyone_out(room) {
        keep(room, false);
    }
}

/// The members of `room`'s conference out of the room inviting, other than
/// `me`, whose calls are still up; marks of calls that are gone are removed.
pub fn members(room: &str, me: &str) -> Vec<OutMember> {
    let prefix = prefix(room);
    let now = unix_seconds();
    kv::list(&prefix, MAX_OUT_CHECKED)
        .into_iter()
        .filter_map(|key| {
            let call = key[prefix.len()..].to_owned();
            if call == me {
                return None;
            }
            let mark = kv::get(&key).unwrap_or_default();
            let (at, options, number) = read_mark(&mark);
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
                ended(room, &call);
                return None;
            }
            Some(OutMember {
                call,
                options,
                number: number.to_owned(),
            })
        })
        .collect()
}

/// What `mark` holds: when it was set or renewed (unix seconds, as written),
/// the member's options and its number.
fn read_mark(mark: &str) -> (&str, Options, &str) {
    let (at, who) = mark.split_once(' ').unwrap_or((mark, ""));
    let (options, number) = who.split_once(' ').unwrap_or((who, ""));
    (at, Options::parse(options).unwrap_or_default(), number)
}

/// The options of the member whose place `call` holds out of `room` (its
/// own, or its holder's handed to it), if it has a mark there.
pub fn options_of(room: &str, call: &str) -> Option<Options> {
    kv::get(&mark_key(room, call)).map(|mark| read_mark(&mark).1)
}

/// How many members of `room`'s conference other than `me` are out of the
/// room inviting (their calls still up).
pub fn count(room: &str, me: &str) -> usize {
    members(room, me).len()
}

/// Closes `room`: everyone in it is hung up, and the members out learn it
/// when they come back ([`is_closed`]), and so do their invitees.
pub fn close(room: &str) {
    for member in members(room, "") {
        mark_closed(room, &member.call);
        kv::delete(&mark_key(room, &member.call));
    }
    let _ = rooms::close(room);
}

/// Marks the conference of `call`, a member out of `room`, as closed for it
/// ([`is_closed`]). A member that came back or ended since it was listed has
/// no mark any more: its closed mark goes again, as its flow, which deletes
/// the closed mark when the call ends, may have done so already (one back in
/// the room is hung up with the room).
fn mark_closed(room: &str, call: &str) {
    // Past the store's bounds, a member coming back finds the room gone and
    // opens it anew.
    let _ = kv::set(&closed_key(call), room);
    if kv::get(&mark_key(room, call)).is_none() {
        kv::delete(&closed_key(call));
    }
}

/// Hangs up `call`, a member out of `room` inviting, as kicked: its
/// conference is closed for it first ([`mark_closed`]), so that an invitee
/// it talks with is hung up with it rather than handed its place.
pub fn kick(room: &str, call: &str) -> Result<(), Error> {
    mark_closed(room, call);
    let kicked = Call::new(call).hangup();
    if kicked.is_err() {
        // A call already gone has no flow left to clear its marks.
        ended(room, call);
    }
    kicked
}

/// Whether the conference `call` was out of inviting was closed meanwhile.
pub fn is_closed(call: &str) -> bool {
    kv::get(&closed_key(call)).is_some()
}
