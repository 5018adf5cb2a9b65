//! The host's rooms as this guest reads them: who is present, with which
//! options, and the state the guest keeps with a room (lock, pin).

use crate::options::Options;
use switchyard_sdk::rooms;
use switchyard_sdk::types::{ParticipantInfo, ParticipantStatus};

/// The room meta key marking a locked room ("1").
const LOCKED: &str = "nway-locked";
/// The room meta key of a pin set by the room's first caller (option `D`).
const PIN: &str = "nway-pin";

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

/// The first free room of `first..=last` that is `acceptable`: one this
/// call opens now, else an open one nobody is in.
///
/// Opening is atomic in the host, so two calls looking at once never get
/// the same new room; an open empty room is only taken when every
/// acceptable room of the range exists.
pub fn first_free(first: u64, last: u64, acceptable: impl Fn(&str) -> bool) -> Option<String> {
    let candidates = || {
        (first..=last)
            .map(|n| n.to_string())
            .filter(|room| acceptable(room))
    };
    candidates()
        .find(|room| rooms::open(room))
        .or_else(|| candidates().find(|room| present(room).is_empty()))
}
