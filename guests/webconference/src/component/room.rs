//! A room as the admin functions and dial-in see it: SEMS's (room, adminpin)
//! lookup, the predefined rooms, the room's time-out, and its dial-outs in
//! progress.

use super::settings::Settings;
use crate::adminpin::{self, PinDecision};
use crate::invited::{self, Invited, NotStored, Updated};
use crate::predefined;
use crate::{dialout, entered_mark, expiry};
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::{Error, ParticipantInfo};
use switchyard_sdk::{KEEP_ROOM_META_KEY, kv, rooms, unix_seconds};

/// Opens the `predefined_rooms` and has the host keep them, releasing those
/// this guest's config dropped since it last opened them (see
/// [`predefined::ensure`]). Costs one key-value read once done.
pub fn ensure_predefined(settings: &Settings) {
    predefined::ensure(&PredefinedHost { settings }, &settings.predefined_rooms);
}

/// The host as [`predefined::ensure`] uses it.
struct PredefinedHost<'a> {
    settings: &'a Settings,
}

impl predefined::Host for PredefinedHost<'_> {
    type Error = Error;

    fn kv_get(&self, key: &str) -> Option<String> {
        kv::get(key)
    }

    fn kv_set(&self, key: &str, value: &str) -> Result<(), Error> {
        kv::set(key, value)
    }

    fn open(&self, room: &str) {
        rooms::open(room);
    }

    fn get_meta(&self, room: &str, key: &str) -> Option<String> {
        rooms::get_meta(room, key)
    }

    fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), Error> {
        rooms::set_meta(room, key, value)
    }

    fn settle_keep(&self, room: &str) -> bool {
        let settings = self.settings;
        invited::settle_keep(&Invitations { settings, room })
    }

    fn log(&self, level: Level, message: &str) {
        log(level, message);
    }
}

/// The unix time the room runs out of time at, if it was created with a
/// time-out.
pub fn end(room: &str) -> Option<u64> {
    expiry::end(rooms::get_meta(room, expiry::META_KEY).as_deref())
}

/// Whether the room has run out of time (whether or not it is deleted for it).
pub fn is_expired(room: &str) -> bool {
    expiry::is_expired(
        rooms::get_meta(room, expiry::META_KEY).as_deref(),
        unix_seconds(),
    )
}

/// Deletes the room if it ran out of time and `support_rooms_timeout` is set;
/// true if it did. A room with participants is deleted at its end by their
/// timers (see [`super::room_end`]); an empty one by the next look at it, which
/// then finds no room, as it would in SEMS, whose cleaner deleted it at its end.
/// Cheap for rooms without a time-out: it reads one meta value, never the
/// participant list.
pub fn sweep_if_timed_out(settings: &Settings, room: &str) -> bool {
    if !settings.support_rooms_timeout || !is_expired(room) {
        return false;
    }
    // Deleted in the very next step: the host has no compare-and-set, so a
    // room of that name deleted and opened anew after the look would be
    // deleted in its place; the less comes between, the less likely that is.
    let closed = rooms::close(room);
    log(
        Level::Info,
        &format!("room {room:?} timed out: deleting it"),
    );
    if let Err(e) = closed {
        log(Level::Warn, &format!("deleting room {room:?}: {e:?}"));
    }
    true
}

/// Whether the room exists (after deleting it if it timed out).
pub fn exists(settings: &Settings, room: &str) -> bool {
    sweep_if_timed_out(settings, room);
    rooms::info(room).is_some()
}

/// Whether a listing shows the room: it exists and, with
/// `support_rooms_timeout`, has not run out of time (SEMS's cleaner has
/// deleted such a room).
pub fn is_listed(settings: &Settings, room: &str) -> bool {
    exists(settings, room) && !(settings.support_rooms_timeout && is_expired(room))
}

/// The room's admin pin: `None` if the room does not exist, "" if it has none.
pub fn pin(settings: &Settings, room: &str) -> Option<String> {
    exists(settings, room).then(|| rooms::get_meta(room, adminpin::META_KEY).unwrap_or_default())
}

/// Marks `room` as one a caller is entering, before `call` joins it (see
/// [`reopened_by_join`]): the mark it finds there, or else the one it leaves
/// (an [`entered_mark::token`] of `call`); `None` if the room no longer
/// exists. The mark stays with the room: its first caller writes it, and a
/// caller marking it at the same time takes that one.
pub fn mark_entered(room: &str, call: &str) -> Option<String> {
    if let Some(mark) = rooms::get_meta(room, entered_mark::META_KEY) {
        return Some(mark);
    }
    // Without a random number the call id alone tells this run's calls apart.
    let token = entered_mark::token(call, getrandom::u64().unwrap_or_default());
    match rooms::swap_meta(room, entered_mark::META_KEY, None, &token) {
        Ok(true) => Some(token),
        // Another caller marked it in between.
        Ok(false) => rooms::get_meta(room, entered_mark::META_KEY),
        Err(_) => None,
    }
}

/// Whether `room`, marked by [`mark_entered`] (which gave `seen`) before a
/// call joined it and where the join found `others`, was opened anew by
/// that join (see [`entered_mark::reopened_by_join`]): deleted between the
/// mark and the join, which took the mark with it, and opened again by
/// nobody else meanwhile (an admin function gives a room it opens a pin or
/// invitations; another caller is among `others`). A caller admitted to the
/// room the join opened, marking it before this looks, does not hide it:
/// its mark is another.
pub fn reopened_by_join(room: &str, seen: &str, others: u32) -> bool {
    let now = rooms::get_meta(room, entered_mark::META_KEY);
    let meta = |key: &str| rooms::get_meta(room, key).is_some();
    let claimed = meta(adminpin::META_KEY) || meta(invited::META_KEY);
    entered_mark::reopened_by_join(seen, now.as_deref(), others, claimed)
}

/// Applies SEMS's (room, adminpin) rule; true if the caller may use the room.
/// An unknown room is opened with the pin given (unless rooms are private); a
/// room without a pin takes it. A room that timed out is unknown.
pub fn open_with_pin(settings: &Settings, room: &str, pin_given: &str) -> bool {
    match adminpin::decide(
        pin(settings, room).as_deref(),
        pin_given,
        settings.private_rooms,
        settings.ignore_pin,
    ) {
        PinDecision::OpenWithPin => {
            rooms::open(room);
            rooms::set_meta(room, adminpin::META_KEY, pin_given).is_ok()
        }
        PinDecision::TakePin => rooms::set_meta(room, adminpin::META_KEY, pin_given).is_ok(),
        PinDecision::Accept => true,
        PinDecision::Refuse => false,
    }
}

/// How many of the room's dial-outs are still being placed (see
/// [`dialout::is_being_placed`]). A dial-out is listed from the moment it is
/// placed, and the host moves it on as its SIP progresses, so the count holds
/// even when its instance is lost.
pub fn dialing(room: &str) -> usize {
    rooms::info(room).map_or(0, |info| {
        info.participants
            .iter()
            .filter(|p| dialout::is_being_placed(p.status, &p.reason))
            .count()
    })
}

/// Changes the room's invitations by `change` (see [`invited::update`]):
/// stored less those a call listed in the room holds, with the host keeping
/// the room while it holds any, until it times out. One the host will not
/// keep, as it keeps only so many, still holds them, and expires once empty
/// as any room does. True if the change is stored, even with the keep left
/// unsettled, which is logged as a warning: the next change stored sets it
/// again.
pub fn update_invited(
    settings: &Settings,
    room: &str,
    change: impl FnMut(&mut Vec<Invited>, &[&str]) -> bool,
) -> Result<bool, NotStored<Error>> {
    let updated = invited::update(&Invitations { settings, room }, change)?;
    if updated == Updated::StoredKeepUnsettled {
        log(
            Level::Warn,
            &format!(
                "room {room:?}: invitations changed, but rewritten by others {} times while this set the room's keep for them: the keep waits for the next change",
                invited::MAX_ATTEMPTS
            ),
        );
    }
    Ok(updated.is_stored())
}

/// The room whose invitations are changed, as [`invited::update`] uses it.
struct Invitations<'a> {
    settings: &'a Settings,
    room: &'a str,
}

impl invited::InvitationRoom for Invitations<'_> {
    type Error = Error;

    fn participants(&self) -> Vec<ParticipantInfo> {
        participants(self.room)
    }

    fn invited(&self) -> Option<String> {
        rooms::get_meta(self.room, invited::META_KEY)
    }

    fn swap_invited(&self, expected: Option<&str>, meta: &str) -> Result<bool, Error> {
        rooms::swap_meta(self.room, invited::META_KEY, expected, meta)
    }

    fn timed_out(&self) -> bool {
        self.settings.support_rooms_timeout && is_expired(self.room)
    }

    fn predefined(&self) -> bool {
        let pin_meta = rooms::get_meta(self.room, predefined::PIN_META_KEY);
        // Most rooms were not opened as predefined: which are listed is
        // not worth reading for them.
        if !predefined::opened_as_predefined(pin_meta.as_deref()) {
            return false;
        }
        // A call begun before a reload holds the settings it began with: the
        // rooms opened as predefined since are those of the value settled.
        let listed = kv::get(predefined::MARKER_KEY)
            .unwrap_or_else(|| self.settings.predefined_rooms.clone());
        predefined::is_predefined(&listed, self.room, pin_meta.as_deref())
    }

    fn set_keep(&self, keep: bool) {
        let keep = if keep { "1" } else { "" };
        if let Err(e) = rooms::set_meta(self.room, KEEP_ROOM_META_KEY, keep) {
            log(
                Level::Warn,
                &format!("room {:?}: keep {keep:?} not stored: {e:?}", self.room),
            );
        }
    }
}

/// The participants the room lists (none if it does not exist).
pub fn participants(room: &str) -> Vec<ParticipantInfo> {
    rooms::info(room)
        .map(|info| info.participants)
        .unwrap_or_default()
}

/// The room's invited participants.
pub fn invited(room: &str) -> Vec<Invited> {
    rooms::get_meta(room, invited::META_KEY)
        .map(|meta| invited::decode(&meta))
        .unwrap_or_default()
}

/// Sets `muted` on the room's first invitation still listed (see
/// [`invited::set_first_muted`]); false if it lists none.
pub fn set_first_invitation_muted(
    settings: &Settings,
    room: &str,
    muted: bool,
) -> Result<bool, NotStored<Error>> {
    update_invited(settings, room, |list, joined| {
        invited::set_first_muted(list, joined, muted)
    })
}

/// A call joined `room` with `participant_id`: an invitation of that id is
/// taken off the room's list (the call is listed in its place).
pub fn take_invitation(settings: &Settings, room: &str, participant_id: &str) {
    if participant_id.is_empty() {
        return;
    }
    let taken = update_invited(settings, room, |list, _| {
        invited::remove(list, participant_id)
    });
    if let Err(e) = taken {
        log(
            Level::Warn,
            &format!("room {room:?}: taking off the invitation of {participant_id:?}: {e}"),
        );
    }
}
