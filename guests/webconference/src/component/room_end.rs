//! The end of a room created with a time-out, while calls are in it: each
//! participant's instance starts a timer for the room's end, and the first
//! to fire deletes the room, hanging everyone up (SEMS's cleaner does the same
//! within a second of the end). Without `support_rooms_timeout` rooms do not
//! end.

use super::room;
use super::settings::Settings;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::timers;
use switchyard_sdk::unix_seconds;

/// One participant's timer for its room's end.
#[derive(Debug, Default)]
pub struct RoomEnd {
    timer: Option<u64>,
}

impl RoomEnd {
    /// Starts the timer for the end of `room`, if it has one and rooms end;
    /// `call` is the participant whose instance hears it.
    pub fn start(&mut self, call: &str, room: &str, settings: &Settings) {
        if !settings.support_rooms_timeout {
            return;
        }
        let Some(end) = room::end(room) else {
            return;
        };
        // The end is a whole unix second and `now` is rounded down, so the
        // timer fires at or after it.
        let seconds = end.saturating_sub(unix_seconds());
        let seconds = u32::try_from(seconds).unwrap_or(u32::MAX);
        self.cancel();
        match super::start_timer_s(call, seconds) {
            Ok(timer) => self.timer = Some(timer),
            Err(e) => log(
                Level::Warn,
                &format!("{call}: no timer for the end of room {room:?}: {e:?}"),
            ),
        }
    }

    /// Whether `timer` is this one; if so, deletes `room` if its time is up,
    /// or waits for the rest (a timer lasts at most a day).
    pub fn on_timer(&mut self, call: &str, room: &str, timer: u64, settings: &Settings) -> bool {
        if self.timer != Some(timer) {
            return false;
        }
        self.timer = None;
        if !room::sweep_if_timed_out(settings, room) {
            self.start(call, room, settings);
        }
        true
    }

    /// Cancels a pending timer.
    fn cancel(&mut self) {
        if let Some(timer) = self.timer.take() {
            timers::cancel(timer);
        }
    }
}
