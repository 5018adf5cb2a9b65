//! The mute flags of finished participants in room meta (see
//! [`crate::finished_muted`]).

use super::room;
use crate::finished_muted;
use std::collections::HashMap;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::rooms;
use switchyard_sdk::types::ParticipantStatus;

/// Keeps `muted` as the flag of `call` if `room` lists it finished; whether it
/// does. Flags of calls no longer listed are dropped on the way.
pub fn set(room: &str, call: &str, muted: bool) -> bool {
    let participants = room::participants(room);
    let finished = participants
        .iter()
        .any(|p| p.call == call && p.status == ParticipantStatus::Finished);
    if !finished {
        return false;
    }
    let listed: Vec<&str> = participants.iter().map(|p| p.call.as_str()).collect();
    let meta = rooms::get_meta(room, finished_muted::META_KEY).unwrap_or_default();
    let value = finished_muted::with_flag(&meta, &listed, call, muted);
    if let Err(e) = rooms::set_meta(room, finished_muted::META_KEY, &value) {
        log(
            Level::Warn,
            &format!("room {room:?}: mute flag of {call} not kept: {e:?}"),
        );
    }
    true
}

/// The flags kept for the finished participants of `room`, by call; those of
/// calls it no longer lists (`listed`) are dropped on the way.
pub fn of_room(room: &str, listed: &[&str]) -> HashMap<String, bool> {
    let Some(meta) = rooms::get_meta(room, finished_muted::META_KEY) else {
        return HashMap::new();
    };
    let flags = finished_muted::decode(&meta, listed);
    let kept = finished_muted::encode(&flags);
    if kept != meta {
        // Only a room deleted meanwhile fails: its flags went with it.
        let _ = rooms::set_meta(room, finished_muted::META_KEY, &kept);
    }
    flags.into_iter().collect()
}
