//! The guests' view of the host: every import goes to the [`Core`].

use crate::core::Core;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use switchyard_guest::{Error, HostApi, JoinOptions, RoomInfo};
use tokio::sync::Notify;

/// The [`HostApi`] of every guest instance: locks the core for each import
/// and wakes the signaling task, which sends what the import queued.
#[derive(Clone)]
pub struct CoreHost {
    core: Arc<Mutex<Core>>,
    wake: Arc<Notify>,
}

impl CoreHost {
    /// A host API over `core`; `wake` is notified after every change.
    pub fn new(core: Arc<Mutex<Core>>, wake: Arc<Notify>) -> CoreHost {
        CoreHost { core, wake }
    }

    /// Runs `f` on the locked core, then wakes the signaling task.
    fn with<T>(&self, f: impl FnOnce(&mut Core) -> T) -> T {
        let result = f(&mut lock(&self.core));
        self.wake.notify_one();
        result
    }
}

/// Locks the core. A panic while it was held is a bug that already took its
/// task down; the state is still the best there is, so keep serving.
pub fn lock(core: &Mutex<Core>) -> MutexGuard<'_, Core> {
    core.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl HostApi for CoreHost {
    fn answer(&self, call: &str) -> Result<(), Error> {
        self.with(|core| core.answer(Instant::now(), call))
    }

    fn reject(&self, call: &str, code: u16, reason: &str) -> Result<(), Error> {
        self.with(|core| core.reject(Instant::now(), call, code, reason))
    }

    fn hangup(&self, call: &str) -> Result<(), Error> {
        self.with(|core| core.hangup(Instant::now(), call))
    }

    fn play(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        self.with(|core| core.play(call, prompts, looped))
    }

    fn stop(&self, call: &str) -> Result<(), Error> {
        self.with(|core| core.stop(call))
    }

    fn open_room(&self, room: &str) -> bool {
        self.with(|core| core.rooms_mut().open(room))
    }

    fn room_info(&self, room: &str) -> Option<RoomInfo> {
        lock(&self.core).rooms().info(room)
    }

    fn list_rooms(&self) -> Vec<String> {
        lock(&self.core).rooms().names()
    }

    fn close_room(&self, room: &str) -> Result<(), Error> {
        self.with(|core| core.close_room(Instant::now(), room))
    }

    fn join(&self, call: &str, room: &str, options: JoinOptions) -> Result<(), Error> {
        self.with(|core| core.join(call, room, options))
    }

    fn leave(&self, call: &str) -> Result<(), Error> {
        self.with(|core| core.leave(call))
    }

    fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), Error> {
        self.with(|core| core.rooms_mut().set_meta(room, key, value))
            .then_some(())
            .ok_or(Error::NoSuchRoom)
    }

    fn get_meta(&self, room: &str, key: &str) -> Option<String> {
        lock(&self.core).rooms().get_meta(room, key)
    }
}
