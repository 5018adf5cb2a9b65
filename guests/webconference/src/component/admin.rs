//! The SEMS webconference XML-RPC functions: which function does what.
//!
//! Results are the arrays SEMS returns, before the server-info string that the
//! host appends to every one of them. Without a `master_password`,
//! `getRoomPassword` and `listRooms` refuse every password, as SEMS's code
//! does.

use super::room;
use super::settings::Settings;
use super::{admin_calls, admin_feedback, admin_master, admin_rooms};
use crate::adminpin::{self, MAX_PIN_BYTES};
use switchyard_sdk::control::Fault;
use switchyard_sdk::params::Params;
use switchyard_sdk::{UNKNOWN_FUNCTION, Value, fault};

/// The functions SEMS's `_list` names, in its order.
const FUNCTIONS: [&str; 15] = [
    "roomCreate",
    "roomDelete",
    "roomInfo",
    "dialout",
    "mute",
    "unmute",
    "kickout",
    "changeRoomAdminpin",
    "serverInfo",
    "vqConferenceFeedback",
    "vqCallFeedback",
    "vqRoomFeedback",
    "getRoomPassword",
    "listRooms",
    "findParticipant",
];

/// Answers one control function.
pub fn handle(function: &str, params: &[Value]) -> Result<Value, Fault> {
    let settings = Settings::load();
    room::ensure_predefined(&settings);
    // SEMS reads the arguments it needs and ignores any more.
    let args = |min| Params::at_least(function, params, min);
    match function {
        "roomCreate" => admin_rooms::create(&settings, &args(1)?, params.len() > 1),
        "roomInfo" => admin_rooms::info(&settings, &args(2)?),
        "roomDelete" => admin_rooms::delete(&settings, &args(2)?),
        "changeRoomAdminpin" => admin_rooms::change_pin(&settings, &args(3)?),
        "addParticipant" => admin_rooms::add_participant(&settings, &args(3)?),
        "findParticipant" => admin_rooms::find_participant(&settings, &args(1)?),
        "kickout" => admin_calls::kickout(&settings, &args(3)?),
        "mute" => admin_calls::set_muted(&settings, &args(3)?, true),
        "unmute" => admin_calls::set_muted(&settings, &args(3)?, false),
        "dialout" => admin_calls::dialout(&settings, &args(7)?, params.len()),
        "vqRoomFeedback" => admin_feedback::room(&settings, &args(3)?),
        "vqCallFeedback" => admin_feedback::call(&settings, &args(4)?),
        "vqConferenceFeedback" => admin_feedback::conference(&settings, &args(5)?),
        "resetFeedback" => admin_feedback::reset(&args(1)?),
        "flushFeedback" => admin_feedback::flush(),
        "getRoomPassword" => admin_master::room_password(&settings, &args(2)?),
        "listRooms" => admin_master::list_rooms(&settings, &args(1)?),
        "help" => reply(vec!["help text goes here".into()]),
        "_list" => reply(FUNCTIONS.iter().map(|&name| name.into()).collect()),
        _ => Err(fault(
            UNKNOWN_FUNCTION,
            format!("unknown method name: {function}"),
        )),
    }
}

/// A result array.
pub fn reply(items: Vec<Value>) -> Result<Value, Fault> {
    Ok(Value::Array(items))
}

/// `[code, text]`.
pub fn status(code: i32, text: &str) -> Result<Value, Fault> {
    reply(vec![Value::Int(code), text.into()])
}

/// The admin pin at `index` (from 0): fault 300 naming the function and the
/// argument if no room could keep it ([`adminpin::can_keep`]), so that it is
/// refused before a room is opened or given it.
pub fn pin_param(params: &Params<'_>, index: usize) -> Result<String, Fault> {
    let pin = params.string(index)?;
    if adminpin::can_keep(&pin) {
        return Ok(pin);
    }
    let problem = format!(
        "an adminpin has at most {MAX_PIN_BYTES} bytes, got {}",
        pin.len()
    );
    Err(params.refuse(index, &problem))
}

/// SEMS's answer to a lookup refused by [`super::room::open_with_pin`].
pub const WRONG_PIN: &str = "wrong adminpin or inexisting room";
