//! The functions behind the master password: getRoomPassword, listRooms.

use super::admin::{reply, status};
use super::room;
use super::settings::Settings;
use crate::master;
use switchyard_sdk::control::Fault;
use switchyard_sdk::params::Params;
use switchyard_sdk::{Value, rooms};

/// `getRoomPassword(master_pwd, room)` → `[0, adminpin]`,
/// `[403, "Wrong Master Password."]` or `[404, "Room does not exist."]`.
pub fn room_password(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let password = params.string(0)?;
    let room = params.string(1)?;
    if !master::accepts(settings.master_password.as_deref(), &password) {
        return status(403, "Wrong Master Password.");
    }
    match room::pin(settings, &room) {
        Some(pin) => status(0, &pin),
        None => status(404, "Room does not exist."),
    }
}

/// `listRooms(master_pwd)` → `[200, [room…]]` (with `support_rooms_timeout`,
/// without the rooms that ran out of time: SEMS's cleaner has deleted them),
/// or `[407, ["Wrong Master Password."]]`.
pub fn list_rooms(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let password = params.string(0)?;
    if !master::accepts(settings.master_password.as_deref(), &password) {
        return reply(vec![
            Value::Int(407),
            Value::Array(vec!["Wrong Master Password.".into()]),
        ]);
    }
    let live = rooms::list()
        .into_iter()
        .filter(|r| room::is_listed(settings, r))
        .map(Value::from)
        .collect();
    reply(vec![Value::Int(200), Value::Array(live)])
}
