//! The room functions: roomCreate, roomInfo, roomDelete, changeRoomAdminpin,
//! addParticipant, findParticipant.

use super::admin::{WRONG_PIN, pin_param, reply, status};
use super::finished_mutes;
use super::room;
use super::settings::Settings;
use crate::invited::{self, Invited, NotStored};
use crate::{adminpin, expiry, limits, listing};
use std::fmt;
use switchyard_sdk::control::Fault;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::params::Params;
use switchyard_sdk::rooms;
use switchyard_sdk::types::{Error, ParticipantInfo, ParticipantStatus};
use switchyard_sdk::unix_seconds;
use switchyard_sdk::{Value, fault};

/// The fault of `addParticipant` when the room's invitations fill what the
/// host keeps with a room (64 KiB): an internal limit, as SEMS has none.
const TOO_MANY_INVITATIONS: i32 = 500;

/// `roomCreate(room [, timeout_s])` → `[0, "OK", adminpin]` with a new random
/// pin (also for an existing room without one), or `[1, "room already
/// opened", ""]`. A positive timeout (`with_timeout`: it was given) gives a
/// new room its end.
pub fn create(
    settings: &Settings,
    params: &Params<'_>,
    with_timeout: bool,
) -> Result<Value, Fault> {
    let room = params.string(0)?;
    let timeout = if with_timeout {
        Some(params.int(1)?)
    } else {
        None
    };
    let existed = room::pin(settings, &room);
    if existed.as_deref().is_some_and(|pin| !pin.is_empty()) {
        return reply(vec![Value::Int(1), "room already opened".into(), "".into()]);
    }
    let pin = adminpin::new_pin(random()?);
    // A room a caller opened since the look is an existing one: it takes
    // only the pin, as SEMS has it.
    if existed.is_none()
        && open(&room, params, 0)?
        && let Some(at) = timeout.and_then(|t| expiry::expires_at(unix_seconds(), t))
    {
        set_meta(&room, expiry::META_KEY, &at.to_string())?;
    }
    set_meta(&room, adminpin::META_KEY, &pin)?;
    reply(vec![Value::Int(0), "OK".into(), pin.into()])
}

/// `roomInfo(room, adminpin)` → `[0, "OK", [participant…]]` or
/// `[1, "wrong adminpin or inexisting room", []]`. Invited participants that
/// have not called yet are listed with no call tag, Disconnected.
pub fn info(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let room = params.string(0)?;
    let pin = pin_param(params, 1)?;
    if !room::open_with_pin(settings, &room, &pin) {
        return reply(vec![
            Value::Int(1),
            WRONG_PIN.into(),
            Value::Array(Vec::new()),
        ]);
    }
    let listed = room::participants(&room);
    let invited = room::invited(&room);
    let waiting = invited::not_joined(&invited, &invited::holders(&listed));
    let calls: Vec<&str> = listed.iter().map(|p| p.call.as_str()).collect();
    let finished_muted = finished_mutes::of_room(&room, &calls);
    let participants = listed
        .iter()
        .map(|p| {
            let muted = match p.status {
                ParticipantStatus::Finished => finished_muted.get(&p.call).copied(),
                _ => None,
            };
            participant(p, muted.unwrap_or(p.muted))
        })
        .chain(waiting.into_iter().map(invitee))
        .collect();
    reply(vec![Value::Int(0), "OK".into(), Value::Array(participants)])
}

/// `roomDelete(room, adminpin)` → `[0, "OK"]` after hanging up everyone,
/// `[2, "room does not exist\n"]`, or `[1, "wrong adminpin or inexisting room"]`.
pub fn delete(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let room = params.string(0)?;
    let pin = pin_param(params, 1)?;
    if !room::exists(settings, &room) {
        return status(2, "room does not exist\n");
    }
    if !room::open_with_pin(settings, &room, &pin) {
        return status(1, WRONG_PIN);
    }
    if let Err(e) = rooms::close(&room) {
        // Only a room deleted meanwhile fails to close: it is gone either way.
        log(Level::Info, &format!("closing room {room:?}: {e:?}"));
    }
    status(0, "OK")
}

/// `changeRoomAdminpin(room, adminpin, new_adminpin)` → `[0, "OK"]` or
/// `[1, "wrong adminpin or inexisting room"]`.
pub fn change_pin(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let room = params.string(0)?;
    let pin = pin_param(params, 1)?;
    let new_pin = pin_param(params, 2)?;
    if !room::open_with_pin(settings, &room, &pin) {
        return status(1, WRONG_PIN);
    }
    set_meta(&room, adminpin::META_KEY, &new_pin)?;
    status(0, "OK")
}

/// `addParticipant(room, participant_id, number)` → `[200, "OK"]`, or
/// `[400, "Failed"]` for an unknown room when rooms are private. An unknown
/// room is opened otherwise, without a pin. The id and number are cut to the
/// host's sizes, as a call's are ([`limits`]). A room whose invitations fill
/// what the host keeps with it is fault [`TOO_MANY_INVITATIONS`]; one whose
/// invitations others kept rewriting meanwhile, so that this one is not
/// stored ([`invited::update`]), is fault 500. One stored is `[200, "OK"]`,
/// even when the room's keep is left for the next change to settle.
pub fn add_participant(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let room = params.string(0)?;
    let participant_id = limits::participant_id(&params.string(1)?);
    let number = limits::number(&params.string(2)?);
    if !room::exists(settings, &room) {
        if settings.private_rooms {
            return status(400, "Failed");
        }
        open(&room, params, 0)?;
    }
    let new = Invited {
        participant_id,
        number,
        muted: false,
    };
    let added = room::update_invited(settings, &room, |list, _| {
        *list = invited::add(std::mem::take(list), new.clone());
        true
    });
    match added {
        Ok(_) => status(200, "OK"),
        Err(NotStored::Refused(Error::InvalidArgument(why))) => Err(fault(
            TOO_MANY_INVITATIONS,
            format!("room {room:?} holds too many invitations to take this one: {why}"),
        )),
        Err(e) => Err(not_stored(&room, &e)),
    }
}

/// `findParticipant(participant_id)` → `[[room…]]`: the rooms listing that
/// participant, as a call or as an invitation, as one array (SEMS's clients read
/// the result's first element as the list). Rooms past their time-out are
/// not among them, as in `listRooms`. A long id is cut as `addParticipant`
/// cuts it.
pub fn find_participant(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let participant_id = limits::participant_id(&params.string(0)?);
    let found = rooms::list()
        .into_iter()
        .filter(|room| room::is_listed(settings, room))
        .filter(|room| {
            let calls = room::participants(room);
            calls.iter().any(|p| p.participant_id == participant_id)
                || room::invited(room)
                    .iter()
                    .any(|i| i.participant_id == participant_id)
        })
        .map(Value::from)
        .collect();
    reply(vec![Value::Array(found)])
}

/// Opens `room`, which did not exist, named by the argument at `index`;
/// true if this opened it, false if a call opened it meanwhile. A name the
/// host takes for no room (empty, `.`, `..`, or longer than 64 characters)
/// is fault 300 naming the function and the argument, where SEMS would open
/// it.
fn open(room: &str, params: &Params<'_>, index: usize) -> Result<bool, Fault> {
    if rooms::open(room) {
        return Ok(true);
    }
    if rooms::info(room).is_some() {
        return Ok(false);
    }
    Err(params.refuse(index, &limits::no_room_named(room)))
}

/// Sets a room meta value; the room vanishing meanwhile is an internal fault.
fn set_meta(room: &str, key: &str, value: &str) -> Result<(), Fault> {
    rooms::set_meta(room, key, value).map_err(|e| changed_meanwhile(room, &e))
}

/// The internal fault of a room that vanished, or that others changed,
/// while this changed it: `why`.
fn changed_meanwhile(room: &str, why: &impl fmt::Display) -> Fault {
    fault(500, format!("room {room:?} changed meanwhile: {why}"))
}

/// The fault for the room's invitations left unchanged by `e`.
pub(super) fn not_stored(room: &str, e: &NotStored<Error>) -> Fault {
    changed_meanwhile(room, e)
}

/// A random number from the host (WASI random).
fn random() -> Result<u64, Fault> {
    getrandom::u64().map_err(|e| fault(500, format!("no random number: {e}")))
}

/// `[call_tag, number, status, reason, muted, participant_id]`, the reason
/// as SEMS lists it ([`listing::sems_reason`]).
fn participant(p: &ParticipantInfo, muted: bool) -> Value {
    Value::Array(vec![
        p.call.clone().into(),
        p.number.clone().into(),
        Value::Int(status_code(p.status)),
        listing::sems_reason(&p.reason).into(),
        Value::Int(i32::from(muted)),
        p.participant_id.clone().into(),
    ])
}

/// An invited participant with no call yet: no tag, Disconnected, no reason.
fn invitee(i: &Invited) -> Value {
    Value::Array(vec![
        "".into(),
        i.number.clone().into(),
        Value::Int(status_code(ParticipantStatus::Disconnected)),
        "".into(),
        Value::Int(i32::from(i.muted)),
        i.participant_id.clone().into(),
    ])
}

fn status_code(status: ParticipantStatus) -> i32 {
    match status {
        ParticipantStatus::Disconnected => 0,
        ParticipantStatus::Connecting => 1,
        ParticipantStatus::Ringing => 2,
        ParticipantStatus::Connected => 3,
        ParticipantStatus::Disconnecting => 4,
        ParticipantStatus::Finished => 5,
    }
}
