//! What of the rooms outlives the process: each room's name, its meta (a
//! guest's pins, expiry and invitations live there), its lock and, for an empty
//! room waiting to expire, how long it has left, so that restarts more often
//! than the expiry delay do not keep every room for good. The shell
//! writes it out when [`CallCore::rooms_version`] moves and gives it back with
//! [`CallCore::restore_room`] at start, so rooms come back after a restart or a
//! crash; their participants do not (calls end with the process).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::CallCore;
use super::commands::meta_refused;
use crate::CoreError;

/// One room as it is kept across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomState {
    /// The room's name.
    pub room: String,
    /// Its meta values: shared with the room until they next change, so taking a
    /// snapshot copies none of them.
    pub meta: Arc<BTreeMap<String, String>>,
    /// Whether it admits nobody new.
    pub locked: bool,
    /// How long an empty room had left before it expired, when its state was taken;
    /// `None` for a room in use (or predefined), which starts a whole expiry delay once
    /// restored.
    pub expires_in: Option<Duration>,
}

impl CallCore {
    /// A number that changes whenever a room is opened or deleted, its meta
    /// or lock is set, or it starts or stops waiting empty to expire: when it has not
    /// moved, [`room_states`](Self::room_states) has not changed but for the time left
    /// to the expiries.
    pub fn rooms_version(&self) -> u64 {
        self.rooms_version
    }

    /// Every room's state at `now`, in name order.
    pub fn room_states(&self, now: Instant) -> Vec<RoomState> {
        self.rooms
            .iter()
            .map(|(name, room)| RoomState {
                room: name.clone(),
                meta: room.meta.clone(),
                locked: room.locked,
                expires_in: room
                    .expiry
                    .and_then(|id| self.timers.deadline(id))
                    .map(|at| at.saturating_duration_since(now)),
            })
            .collect()
    }

    /// Brings a room back: opened (empty, so its expiry starts: with the time
    /// `state` had left, at most the expiry delay) unless it exists, then given
    /// `state`'s meta and lock. An invalid name is refused.
    ///
    /// A restored room deletes no other: it does not count towards
    /// `max_empty_rooms` until it has been joined and emptied again, so every
    /// room of a restart comes back, however many there are. Its meta is held to
    /// what [`set_meta`](Self::set_meta) takes, key by key: a value past the limits
    /// is left out, and a room that would be kept while `max_empty_rooms` rooms are
    /// kept already (a limit lowered since) comes back not kept, expiring as empty
    /// rooms do; each with a warning naming the room and the key.
    pub fn restore_room(&mut self, now: Instant, state: &RoomState) -> Result<(), CoreError> {
        if let Some(problem) = crate::room_name_problem(&state.room) {
            return Err(CoreError::InvalidArgument(problem));
        }
        self.room_or_create(&state.room);
        let restored = self.restorable_meta(&state.room, &state.meta);
        if let Some(room) = self.edit_meta(&state.room, |meta| *meta = restored) {
            room.locked = state.locked;
        }
        self.schedule_restored_room_expiry(now, &state.room, state.expires_in);
        Ok(())
    }

    /// The meta of the room `name` with `saved` merged in, each saved value taken as
    /// [`set_meta`](Self::set_meta) would take it, in key order; one it would refuse is
    /// left out, with a warning.
    fn restorable_meta(
        &self,
        name: &str,
        saved: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let Some(room) = self.rooms.get(name) else {
            return BTreeMap::new();
        };
        let mut meta = (*room.meta).clone();
        for (key, value) in saved {
            let refused = self
                .keep_refused(room, key, value)
                .or_else(|| meta_refused(&meta, key, value));
            match refused {
                Some(problem) => {
                    tracing::warn!(
                        room = name,
                        key,
                        "a saved room value is not restored: {problem}"
                    );
                }
                None => {
                    meta.insert(key.clone(), value.clone());
                }
            }
        }
        meta
    }
}
