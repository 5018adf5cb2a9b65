//! The control API (XML-RPC, as `nway.<function>`): what MeetMeAdmin and
//! MeetMeCount do, for people and scripts.
//!
//! A room's conference is its participants and its members out of it
//! inviting ([`out`]): each function sees both, as the room's size limit does.
//!
//! | function | answers |
//! |---|---|
//! | `listRooms()` | `{rooms: [{room, members, out, locked}]}`, every room with a member in it or out: `members` in it, `out` out inviting |
//! | `listMembers(room)` | `{room, members: [{call, number, muted, talking, listenOnly, options, admin, marked}], out: [{call, number, options, admin, marked}]}`: those in the room, and those out inviting |
//! | `count(room)` | the number of members, in the room or out inviting |
//! | `kick(room, call)` / `kickAll(room)` | `1` / how many were kicked; one out inviting is hung up with the invitee it talks with |
//! | `mute(room, call)`, `unmute(room, call)` | `1`; one out inviting is muted or unmuted when it is back |
//! | `muteAll(room)`, `unmuteAll(room)` | how many changed (admins are left alone) |
//! | `lock(room)`, `unlock(room)` | `1` |
//! | `startRecording(room[, name])` | the file's name, `.wav` included; `stopRecording(room)`: `1` |
//! | `merge(from, into)` | how many moved from room `from` to room `into`; `from`'s recording, pin and lock end |
//!
//! Lists come in a struct: the host appends its server-info string to a
//! guest's array answer, as SEMS clients of the webconference functions
//! expect.
//!
//! Faults: 300 for wrong arguments (a recording name that is a path, a merge into no room name),
//! 404 for a room nobody is in nor out of inviting, or a call that is neither, 409 when the host
//! refuses (a recording already running, none to stop, a merge into a room it locked, before
//! anyone moved or part-way), 504 for an unknown function; -32603 "busy: …" when the host is
//! too busy to do it (the same call may be tried again; `kickAll`, `muteAll` and `unmuteAll`
//! answer it when any member's change was so refused).

use crate::message::Message;
use crate::options::Options;
use crate::out::{self, OutMember};
use crate::participant::recording_name;
use crate::room::{self, Admission, Joined};
use switchyard_sdk::control::Fault;
use switchyard_sdk::params::{Params, WRONG_ARGUMENTS};
use switchyard_sdk::room_name::{MAX_ROOM_CHARS, is_room_name};
use switchyard_sdk::types::{Error, ParticipantInfo};
use switchyard_sdk::{
    Call, ControlApi, JoinOptions, UNKNOWN_FUNCTION, Value, busy_fault, fault, rooms,
};

/// The fault code of a room nobody is in, or a call not in the room.
const NOT_FOUND: i32 = 404;
/// The fault code of a request the host refused in the room's state.
const CONFLICT: i32 = 409;

/// The guest's control API.
pub struct Admin;

impl ControlApi for Admin {
    fn handle(function: &str, params: &[Value]) -> Result<Value, Fault> {
        let args = |min, max| Params::new(function, params, min, max);
        match function {
            "listRooms" => {
                args(0, 0)?;
                Ok(list_rooms())
            }
            "listMembers" => {
                let room = args(1, 1)?.string(0)?;
                let all = conference(&room)?;
                Ok(Value::Struct(vec![
                    ("room".into(), Value::String(room)),
                    (
                        "members".into(),
                        Value::Array(all.present.iter().map(member).collect()),
                    ),
                    (
                        "out".into(),
                        Value::Array(all.away.iter().map(out_member).collect()),
                    ),
                ]))
            }
            "count" => conference(&args(1, 1)?.string(0)?).map(|all| count(all.len())),
            "kick" => on_member(&args(2, 2)?, |room, m| host(m.kick(room))),
            "mute" => on_member(&args(2, 2)?, |_, m| host(m.admin_mute(true))),
            "unmute" => on_member(&args(2, 2)?, |room, m| {
                if m.is_waiting(room) {
                    return Err(fault(
                        CONFLICT,
                        format!(
                            "{} waits for the marked user, muted until one joins",
                            m.call().id()
                        ),
                    ));
                }
                host(m.admin_mute(false))
            }),
            "kickAll" => {
                let room = args(1, 1)?.string(0)?;
                on_all(&room, |_| true, |m| m.kick(&room))
            }
            "muteAll" => on_all(&args(1, 1)?.string(0)?, not_admin, |m| m.admin_mute(true)),
            "unmuteAll" => {
                let room = args(1, 1)?.string(0)?;
                let chosen = |m: &Member<'_>| not_admin(m) && !m.is_waiting(&room);
                on_all(&room, chosen, |m| m.admin_mute(false))
            }
            "lock" | "unlock" => {
                let room = args(1, 1)?.string(0)?;
                conference(&room)?;
                room::set_locked(&room, function == "lock");
                Ok(Value::Int(1))
            }
            "startRecording" => {
                let given = args(1, 2)?;
                let room = given.string(0)?;
                let name = match params.len() {
                    2 => given.string(1)?,
                    _ => recording_name(&room),
                };
                conference(&room)?;
                rooms::start_recording(&room, &name).map_err(host_fault)?;
                Ok(Value::String(recording_file(&name)))
            }
            "stopRecording" => {
                let room = args(1, 1)?.string(0)?;
                rooms::stop_recording(&room).map_err(host_fault)?;
                Ok(Value::Int(1))
            }
            "merge" => {
                let params = args(2, 2)?;
                merge(&params.string(0)?, &params.string(1)?)
            }
            _ => Err(fault(
                UNKNOWN_FUNCTION,
                format!("unknown method name '{function}'"),
            )),
        }
    }
}

fn list_rooms() -> Value {
    let rooms = Value::Array(
        rooms::list()
            .into_iter()
            .filter_map(|name| {
                let all = conference(&name).ok()?;
                Some(Value::Struct(vec![
                    ("members".into(), count(all.present.len())),
                    ("out".into(), count(all.away.len())),
                    ("locked".into(), Value::Bool(room::is_locked(&name))),
                    ("room".into(), Value::String(name)),
                ]))
            })
            .collect(),
    );
    Value::Struct(vec![("rooms".into(), rooms)])
}

/// The members of a room's conference.
struct Conference {
    /// Its participants, in the room.
    present: Vec<ParticipantInfo>,
    /// Its members out of the room inviting.
    away: Vec<OutMember>,
}

impl Conference {
    fn len(&self) -> usize {
        self.present.len() + self.away.len()
    }

    fn all(&self) -> impl Iterator<Item = Member<'_>> {
        let present = self.present.iter().map(Member::In);
        present.chain(self.away.iter().map(Member::Out))
    }
}

/// `room`'s conference; fault 404 when nobody is in the room nor out of it
/// inviting. A member coming back, in the room before its mark goes, is one
/// in the room.
fn conference(room: &str) -> Result<Conference, Fault> {
    let present = room::present(room);
    let mut away = out::members(room, "");
    away.retain(|member| !present.iter().any(|p| p.call == member.call));
    if present.is_empty() && away.is_empty() {
        return Err(fault(NOT_FOUND, format!("nobody is in room {room}")));
    }
    Ok(Conference { present, away })
}

/// A member of a room's conference, in the room or out of it inviting.
enum Member<'a> {
    In(&'a ParticipantInfo),
    Out(&'a OutMember),
}

impl Member<'_> {
    fn call(&self) -> Call {
        Call::new(match self {
            Member::In(p) => p.call.clone(),
            Member::Out(m) => m.call.clone(),
        })
    }

    fn options(&self) -> Options {
        match self {
            Member::In(p) => room::options_of(p),
            Member::Out(m) => m.options,
        }
    }

    /// Whether it waits for a marked user in `room` (muted until one joins).
    fn is_waiting(&self, room: &str) -> bool {
        matches!(self, Member::In(p) if room::is_waiting(room, p))
    }

    /// Hangs it up as kicked from `room`.
    fn kick(&self, room: &str) -> Result<(), Error> {
        match self {
            Member::In(_) => self.call().kick(),
            Member::Out(m) => out::kick(room, &m.call),
        }
    }

    /// Mutes or unmutes it as an admin does, and tells its flow, so that it
    /// keeps the admin's choice however it moves (waiting for a marked user,
    /// out inviting and back): one out inviting is muted or unmuted when it
    /// is back.
    fn admin_mute(&self, muted: bool) -> Result<(), Error> {
        let call = self.call();
        let tell = || call.send_message(&Message::AdminMuted(muted).encode());
        match self {
            Member::In(_) => {
                call.set_muted(muted)?;
                // A flow that cannot be told still has the host's mute until it rejoins.
                let _ = tell();
                Ok(())
            }
            Member::Out(_) => tell(),
        }
    }
}

fn member(p: &ParticipantInfo) -> Value {
    let options = room::options_of(p);
    Value::Struct(vec![
        ("call".into(), Value::String(p.call.clone())),
        ("number".into(), Value::String(p.number.clone())),
        ("muted".into(), Value::Bool(p.muted)),
        ("talking".into(), Value::Bool(p.talking)),
        ("listenOnly".into(), Value::Bool(p.listen_only)),
        ("options".into(), Value::String(options.to_string())),
        ("admin".into(), Value::Bool(options.admin)),
        ("marked".into(), Value::Bool(options.marked)),
    ])
}

/// A member out of the room inviting, as `listMembers` lists it.
fn out_member(m: &OutMember) -> Value {
    Value::Struct(vec![
        ("call".into(), Value::String(m.call.clone())),
        ("number".into(), Value::String(m.number.clone())),
        ("options".into(), Value::String(m.options.to_string())),
        ("admin".into(), Value::Bool(m.options.admin)),
        ("marked".into(), Value::Bool(m.options.marked)),
    ])
}

fn count(n: usize) -> Value {
    Value::Int(i32::try_from(n).unwrap_or(i32::MAX))
}

fn not_admin(m: &Member<'_>) -> bool {
    !m.options().admin
}

/// Runs `action` on the member whose call is `params[1]` of room `params[0]`'s conference.
fn on_member(
    params: &Params<'_>,
    action: impl FnOnce(&str, &Member<'_>) -> Result<(), Fault>,
) -> Result<Value, Fault> {
    let (room, call) = (params.string(0)?, params.string(1)?);
    let all = conference(&room)?;
    let Some(member) = all.all().find(|m| m.call().id() == call) else {
        return Err(fault(NOT_FOUND, format!("{call} is not in room {room}")));
    };
    action(&room, &member)?;
    Ok(Value::Int(1))
}

/// What the host did, with its error as a fault.
fn host(done: Result<(), Error>) -> Result<(), Fault> {
    done.map_err(host_fault)
}

/// Runs `action` on every member of `room`'s conference that is `chosen`; how many it succeeded
/// on (see [`succeeded`]).
fn on_all(
    room: &str,
    chosen: impl Fn(&Member<'_>) -> bool,
    action: impl Fn(&Member<'_>) -> Result<(), Error>,
) -> Result<Value, Fault> {
    let all = conference(room)?;
    let outcomes: Vec<_> = all
        .all()
        .filter(|m| chosen(m))
        .map(|m| action(&m))
        .collect();
    succeeded(outcomes).map(count)
}

/// How many of `outcomes` succeeded; the busy fault if the host refused any because it is busy,
/// as the call may then be tried again (what was done already is done again to no effect).
fn succeeded(outcomes: Vec<Result<(), Error>>) -> Result<usize, Fault> {
    let mut done = 0;
    for outcome in outcomes {
        match outcome {
            Ok(()) => done += 1,
            Err(e) => {
                if let Some(busy) = busy_fault(&e) {
                    return Err(busy);
                }
            }
        }
    }
    Ok(done)
}

/// Moves everyone in room `from` into room `into`, listed, muted,
/// listen-only and deaf as they were; each participant's flow is told its
/// new room, and so is each member out inviting, which comes back to `into`.
/// `into` must be a room name (300) with a profile in the config (404). The
/// host's lock of `into` keeps everyone out: it is the fault when it kept out
/// the first participant, and no member out inviting is sent to a room that
/// would refuse it. A lock set part-way keeps the rest in `from`, and is
/// fault 409 saying how many moved first. When nobody could move, the
/// host's reason is the fault. Once `from` is vacant (nobody in it, nobody
/// out inviting) its conference is over: its recording stops and its pin
/// and lock go. Music for one alone in `into` stops.
fn merge(from: &str, into: &str) -> Result<Value, Fault> {
    check_merge(from, into)?;
    // Who waits for a marked user is judged before anyone moves: once a
    // marked user has moved, everyone left behind would seem to wait.
    let away = out::members(from, "");
    let present = room::present(from);
    if present.is_empty() && away.is_empty() {
        return Err(fault(NOT_FOUND, format!("nobody is in room {from}")));
    }
    let moving: Vec<(ParticipantInfo, bool)> = present
        .into_iter()
        .map(|p| {
            // Deaf is not listed: it is talk-only, or waiting for a marked user.
            let deaf = room::options_of(&p).talk_only || room::is_waiting(from, &p);
            (p, deaf)
        })
        .collect();
    let mut moves = Moves::of(into, moving.len() + away.len());
    moves.move_each(&moving, |(p, deaf)| move_participant(p, *deaf, into))?;
    // Members out inviting belong to the conference too: they come back to `into`,
    // unless its lock would refuse them. Each moves its own mark, and ends `from`'s
    // conference if it was the last.
    if !moves.locked_part_way {
        for member in away {
            if Call::new(member.call)
                .send_message(&Message::Moved(into.to_owned()).encode())
                .is_ok()
            {
                moves.moved += 1;
            }
        }
    }
    if let Some(e) = moves.refused.take()
        && moves.moved == 0
    {
        return Err(host_fault(e));
    }
    room::end_if_vacant_but_for(from, "");
    // A participant alone in `into` may have heard music (option `M`): it has company now.
    if room::present(into).len() > 1 {
        let _ = rooms::stop_announcement(into);
    }
    moves.answer()
}

/// What came of a merge's moves into one room.
#[derive(Debug)]
struct Moves<'a> {
    /// The room merged into.
    into: &'a str,
    /// How many members of the conference merged: in the room and out inviting.
    members: usize,
    /// How many moved.
    moved: usize,
    /// The host's lock of `into` refused one after others had moved: the
    /// rest stayed, and the conference is split.
    locked_part_way: bool,
    /// The first error the host refused a move with, other than its lock.
    refused: Option<Error>,
}

impl<'a> Moves<'a> {
    /// No move yet of the `members` of a conference merging into `into`.
    fn of(into: &'a str, members: usize) -> Self {
        Moves {
            into,
            members,
            moved: 0,
            locked_part_way: false,
            refused: None,
        }
    }

    /// Moves each of `moving` in turn with `move_one`, until the host's lock
    /// of `into` refuses one: nobody after it would get in. A lock that
    /// refused the first is the fault (409), nobody having moved.
    fn move_each<T>(
        &mut self,
        moving: &[T],
        mut move_one: impl FnMut(&T) -> Result<Joined, Error>,
    ) -> Result<(), Fault> {
        for one in moving {
            match move_one(one) {
                Ok(Joined::In(_)) => self.moved += 1,
                Ok(Joined::Refused((why, _))) if self.moved == 0 => {
                    return Err(fault(CONFLICT, format!("room {} is {why}", self.into)));
                }
                Ok(Joined::Refused(_)) => {
                    self.locked_part_way = true;
                    return Ok(());
                }
                Err(e) => {
                    self.refused.get_or_insert(e);
                }
            }
        }
        Ok(())
    }

    /// The merge's answer: how many moved, or, when the host's lock stopped
    /// it part-way, fault 409 saying how many moved before it, so that the
    /// admin knows the conference is split between the two rooms.
    fn answer(&self) -> Result<Value, Fault> {
        if self.locked_part_way {
            return Err(fault(
                CONFLICT,
                format!(
                    "room {} was locked by the host after {} of {} moved",
                    self.into, self.moved, self.members
                ),
            ));
        }
        Ok(count(self.moved))
    }
}

/// Why room `from` may not be merged into `into`, judged before anyone
/// moves: `into` is no room name (a member out inviting could never come
/// back to it), it is `from`, or the config has no profile for it.
fn check_merge(from: &str, into: &str) -> Result<(), Fault> {
    if !is_room_name(into) {
        return Err(fault(
            WRONG_ARGUMENTS,
            format!(
                "{into:?} is no room name: 1 to {MAX_ROOM_CHARS} characters, other than . and .."
            ),
        ));
    }
    if from == into {
        return Err(fault(
            CONFLICT,
            format!("room {from} cannot merge into itself"),
        ));
    }
    if crate::settings().is_ok_and(|settings| settings.profile(into).is_none()) {
        return Err(fault(NOT_FOUND, format!("no conference room {into}")));
    }
    Ok(())
}

/// Moves `p` into `into` as a member (which only the host's lock refuses),
/// then sets it muted, listen-only and `deaf` as it was, and tells its flow.
fn move_participant(p: &ParticipantInfo, deaf: bool, into: &str) -> Result<Joined, Error> {
    let listed = JoinOptions {
        number: p.number.clone(),
        reason: "merged".to_owned(),
        participant_id: p.participant_id.clone(),
    };
    let call = Call::new(p.call.clone());
    let joined = room::join(&call, into, &listed, Admission::MEMBER)?;
    if matches!(joined, Joined::In(_)) {
        // A join lists the call afresh: what it was set to must be set again.
        let _ = call.set_muted(p.muted);
        let _ = call.set_listen_only(p.listen_only);
        let _ = call.set_deaf(deaf);
        // A flow that cannot be told keeps the old room's name; the call is moved all the same.
        let _ = call.send_message(&Message::Moved(into.to_owned()).encode());
    }
    Ok(joined)
}

/// A host error as a fault.
fn host_fault(error: Error) -> Fault {
    if let Some(busy) = busy_fault(&error) {
        return busy;
    }
    match error {
        Error::NoSuchCall | Error::NoSuchRoom => fault(NOT_FOUND, format!("{error:?}")),
        Error::WrongState(why) => fault(CONFLICT, why),
        Error::InvalidArgument(why) => fault(WRONG_ARGUMENTS, why),
        Error::Failed(why) => fault(500, why),
    }
}

/// The name the recording `name` is listed and served by: the host writes `<name>.wav`, and a
/// name ending in `.wav` (in any case) with its extension in lower case.
fn recording_file(name: &str) -> String {
    const EXTENSION: &str = ".wav";
    let stem = name
        .len()
        .checked_sub(EXTENSION.len())
        .filter(|&at| name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(EXTENSION))
        .map_or(name, |at| &name[..at]);
    format!("{stem}{EXTENSION}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUSY: &str = "busy: media worker 0: 16384 commands waiting";

    #[test]
    fn a_busy_host_is_the_busy_fault() {
        let busy = host_fault(Error::Failed(BUSY.to_owned()));
        assert_eq!((busy.code, busy.message.as_str()), (-32603, BUSY));
    }

    #[test]
    fn other_host_failures_keep_their_faults() {
        let failed = host_fault(Error::Failed("no room for the file".to_owned()));
        assert_eq!(
            (failed.code, failed.message.as_str()),
            (500, "no room for the file")
        );
        assert_eq!(host_fault(Error::NoSuchCall).code, NOT_FOUND);
    }

    #[test]
    fn a_change_to_all_refused_as_busy_is_the_busy_fault() {
        let refused = || Err(Error::Failed(BUSY.to_owned()));
        let busy = succeeded(vec![Ok(()), refused(), Ok(())]).unwrap_err();
        assert_eq!((busy.code, busy.message.as_str()), (-32603, BUSY));
        let gone = || Err(Error::NoSuchCall);
        assert_eq!(succeeded(vec![Ok(()), gone(), Ok(())]).unwrap(), 2);
    }

    const LOCKED: Result<Joined, Error> = Ok(Joined::Refused(("locked by the host", "")));

    /// Merges `members` into room 208 (`outcomes` the host's answers to
    /// the moves, in turn): how many it tried, and the merge's outcome.
    fn merged(
        members: usize,
        outcomes: &[Result<Joined, Error>],
    ) -> (usize, Result<Moves<'static>, Fault>) {
        let mut moves = Moves::of("208", members);
        let mut tried = 0;
        let moving = moves.move_each(outcomes, |outcome| {
            tried += 1;
            outcome.clone()
        });
        (tried, moving.map(|()| moves))
    }

    #[test]
    fn a_merge_the_host_locked_part_way_says_how_many_moved_first() {
        let (tried, moves) = merged(
            5,
            &[
                Ok(Joined::In(0)),
                Ok(Joined::In(0)),
                LOCKED,
                Ok(Joined::In(0)),
            ],
        );
        assert_eq!(tried, 3, "nobody is sent after the lock refused one");
        let moves = moves.unwrap();
        assert!(moves.locked_part_way, "the rest stayed in the room merged");
        let split = moves.answer().unwrap_err();
        assert_eq!(
            (split.code, split.message.as_str()),
            (
                CONFLICT,
                "room 208 was locked by the host after 2 of 5 moved"
            )
        );
    }

    #[test]
    fn a_merge_the_host_locked_before_anyone_moved_moves_nobody() {
        let (tried, moves) = merged(2, &[LOCKED, Ok(Joined::In(0))]);
        assert_eq!(tried, 1);
        let locked = moves.unwrap_err();
        assert_eq!(
            (locked.code, locked.message.as_str()),
            (CONFLICT, "room 208 is locked by the host")
        );
    }

    #[test]
    fn a_merge_the_lock_did_not_stop_answers_how_many_moved() {
        let (tried, moves) = merged(
            3,
            &[Ok(Joined::In(0)), Err(Error::NoSuchCall), Ok(Joined::In(0))],
        );
        assert_eq!(tried, 3);
        let moves = moves.unwrap();
        assert!(matches!(moves.refused, Some(Error::NoSuchCall)));
        assert_eq!(moves.answer().unwrap(), Value::Int(2));
    }

    #[test]
    fn a_recording_file_is_its_name_with_the_extension_the_host_gives_it() {
        assert_eq!(recording_file("board"), "board.wav");
        assert_eq!(recording_file("Loud.WAV"), "Loud.wav");
        assert_eq!(recording_file("x.wav"), "x.wav");
        assert_eq!(recording_file("wav"), "wav.wav");
    }
}
