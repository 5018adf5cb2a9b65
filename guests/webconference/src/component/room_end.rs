//! The end of a room created with a time-out, while calls are in it: each
//! participant's instance waits for the room's end, and the first to get
//! there deletes the room, hanging everyone up (SEMS's cleaner does the same
//! within a second of the end). Without `support_rooms_timeout` rooms do not
//! end.

use super::long_timer::{Fired, LongTimer};
use super::room;
use super::settings::Settings;
use crate::deadline::Deadline;
use switchyard_sdk::log::{Level, log};

/// One participant's wait for its room's end.
#[derive(Debug, Default)]
pub struct RoomEnd {
    timer: LongTimer,
}

impl RoomEnd {
    /// Starts the wait for the end of `room`, if it has one and rooms end;
    /// `call` is the participant whose instance hears it.
    pub fn start(&mut self, call: &str, room: &str, settings: &Settings) {
        if !settings.support_rooms_timeout {
            return;
        }
        let Some(end) = room::end(room) else {
            return;
        };
        if let Err(e) = self.timer.start(call, Deadline::at(end)) {
            log(
                Level::Warn,
                &format!("{call}: no timer for the end of room {room:?}: {e:?}"),
            );
        }
    }

    /// Whether `timer` is this one; if so and the end has come, deletes
    /// `room` (or waits for an end set meanwhile).
    pub fn on_timer(&mut self, call: &str, room: &str, timer: u64, settings: &Settings) -> bool {
        match self.timer.on_timer(call, timer) {
            Ok(Fired::Other) => false,
            Ok(Fired::Early) => true,
            Ok(Fired::Due) => {
                if !room::sweep_if_timed_out(settings, room) {
                    self.start(call, room, settings);
                }
                true
            }
            Err(e) => {
                log(
                    Level::Warn,
                    &format!("{call}: timer for the end of room {room:?} lost: {e:?}"),
                );
                true
            }
        }
    }
}
