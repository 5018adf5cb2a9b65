//! The mute flags of finished participants. SEMS's `mute` and `unmute` set
//! the flag of any participant listed, one whose call is over too, and
//! `roomInfo` shows it until the participant drops off the list. The host no
//! longer changes a call that is over, so the guest keeps these flags in its
//! key-value store (`finished_muted/<room>/<call>`: `1` or `0`) until then.

use crate::fields;
use std::collections::HashMap;
use switchyard_sdk::kv;
use switchyard_sdk::log::{Level, log};

/// The most flags read for one room.
const MAX_LISTED: u32 = 1024;

fn prefix(room: &str) -> String {
    format!("finished_muted/{}/", fields::escape(room))
}

/// Keeps `muted` as the flag of `call`, a finished participant of `room`.
pub fn set(room: &str, call: &str, muted: bool) {
    let key = format!("{}{}", prefix(room), fields::escape(call));
    if let Err(e) = kv::set(&key, if muted { "1" } else { "0" }) {
        log(
            Level::Warn,
            &format!("room {room:?}: mute flag of {call} not kept: {e:?}"),
        );
    }
}

/// The flags kept for the finished participants of `room`, by call; those of
/// calls it no longer lists (`listed`) are deleted on the way.
pub fn of_room(room: &str, listed: &[&str]) -> HashMap<String, bool> {
    let prefix = prefix(room);
    let mut flags = HashMap::new();
    for key in kv::list(&prefix, MAX_LISTED) {
        let call = fields::unescape(&key[prefix.len()..]);
        if !listed.contains(&call.as_str()) {
            kv::delete(&key);
            continue;
        }
        if let Some(value) = kv::get(&key) {
            flags.insert(call, value == "1");
        }
    }
    flags
}

/// Deletes the flags kept for `room`: it is closed.
pub fn forget(room: &str) {
    for key in kv::list(&prefix(room), MAX_LISTED) {
        kv::delete(&key);
    }
}
