//! The SEMS webconference XML-RPC functions.
//!
//! Results are the arrays SEMS returns, before the server-info string that the
//! host appends to every one of them.

use super::settings::Settings;
use crate::adminpin::{self, PinDecision};
use switchyard_sdk::control::Fault;
use switchyard_sdk::params::Params;
use switchyard_sdk::rooms;
use switchyard_sdk::types::{ParticipantInfo, ParticipantStatus};
use switchyard_sdk::{Value, fault};

/// The fault for a function this guest does not serve.
const UNKNOWN_METHOD: i32 = 504;

/// Answers one control function.
pub fn handle(function: &str, params: &[Value]) -> Result<Value, Fault> {
    match function {
        "roomInfo" => room_info(Params::new(function, params, 2, 2)?),
        _ => Err(fault(
            UNKNOWN_METHOD,
            format!("unknown method name: {function}"),
        )),
    }
}

/// `roomInfo(room, adminpin)` → `[0, "OK", [participant…]]` or
/// `[1, "wrong adminpin or inexisting room", []]`.
fn room_info(params: Params<'_>) -> Result<Value, Fault> {
    let room = params.string(0)?;
    let pin = params.string(1)?;
    if !open_with_pin(&Settings::load(), &room, &pin) {
        return Ok(Value::Array(vec![
            Value::Int(1),
            "wrong adminpin or inexisting room".into(),
            Value::Array(Vec::new()),
        ]));
    }
    let participants = rooms::info(&room)
        .map(|info| info.participants.iter().map(participant).collect())
        .unwrap_or_default();
    Ok(Value::Array(vec![
        Value::Int(0),
        "OK".into(),
        Value::Array(participants),
    ]))
}

/// Applies SEMS's (room, adminpin) rule; true if the caller may use the room.
fn open_with_pin(settings: &Settings, room: &str, pin: &str) -> bool {
    let current = rooms::info(room).map(|_| rooms::get_meta(room, "adminpin").unwrap_or_default());
    match adminpin::decide(
        current.as_deref(),
        pin,
        settings.private_rooms,
        settings.ignore_pin,
    ) {
        PinDecision::OpenWithPin => {
            rooms::open(room);
            rooms::set_meta(room, "adminpin", pin).is_ok()
        }
        PinDecision::TakePin => rooms::set_meta(room, "adminpin", pin).is_ok(),
        PinDecision::Accept => true,
        PinDecision::Refuse => false,
    }
}

/// `[call_tag, number, status, reason, muted, participant_id]`.
fn participant(p: &ParticipantInfo) -> Value {
    Value::Array(vec![
        p.call.clone().into(),
        p.number.clone().into(),
        Value::Int(status_code(p.status)),
        p.reason.clone().into(),
        Value::Int(i32::from(p.muted)),
        p.participant_id.clone().into(),
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
