//! The `lonely_user_timer` of one participant: alone in its room that long,
//! it is hung up (SEMS kicks a lonely user with a BYE).
//!
//! Only a call's own instance starts its timers, and an instance hears only
//! its own call's events; so a participant that leaves one other behind marks
//! that one alone in the key-value store (see [`crate::lonely_mark`]) and
//! plays it `drop_sound` directly (see [`super::presence::left`]), whose
//! `prompt-done` makes that one's instance look at the mark and start its
//! timer. Nothing polls. Alone means without company as [`super::presence::company`] counts
//! it: a callee still ringing keeps the one waiting for it.

use super::long_timer::{Fired, LongTimer};
use super::presence;
use crate::lonely_mark;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::{kv, signaling, unix_seconds};

/// The most marks a sweep reads.
const MAX_SWEPT: u32 = 256;

/// Marks `call` alone, for its instance to start its timer at its next
/// `prompt-done`; stale marks are swept on the way.
pub fn mark_alone(call: &str) {
    let now = unix_seconds();
    for key in kv::list(lonely_mark::PREFIX, MAX_SWEPT) {
        if lonely_mark::is_stale(kv::get(&key).as_deref(), now) {
            kv::delete(&key);
        }
    }
    if let Err(e) = kv::set(&lonely_mark::key(call), &now.to_string()) {
        log(Level::Warn, &format!("{call} not marked alone: {e:?}"));
    }
}

/// The `lonely_user_timer` of one participant.
#[derive(Debug, Default)]
pub struct Lonely {
    timer: LongTimer,
}

impl Lonely {
    /// Starts (or restarts) the timer: `seconds` from now `call` is hung up
    /// if it is still alone. Zero seconds: off.
    pub fn start(&mut self, call: &str, seconds: u32) {
        if seconds == 0 {
            return;
        }
        if let Err(e) = self.timer.start_s(call, seconds) {
            log(Level::Warn, &format!("{call}: no lonely timer: {e:?}"));
        }
    }

    /// A prompt ended for `call` in its room: starts the timer if a
    /// participant who left marked it alone.
    pub fn on_prompt_done(&mut self, call: &str, seconds: u32) {
        if seconds > 0 && kv::delete(&lonely_mark::key(call)) {
            self.start(call, seconds);
        }
    }

    /// Whether `timer` is this one; if so and its time is up, hangs `call`
    /// up if it is still alone in `room`.
    pub fn on_timer(&mut self, call: &str, room: &str, timer: u64) -> bool {
        match self.timer.on_timer(call, timer) {
            Ok(Fired::Other) => false,
            Ok(Fired::Early) => true,
            Ok(Fired::Due) => {
                if presence::company(room, call).is_empty() {
                    log(
                        Level::Info,
                        &format!("{call} alone in room {room:?} too long: hanging up"),
                    );
                    // It may have ended meanwhile: nothing more to do then.
                    let _ = signaling::hangup(call);
                }
                true
            }
            Err(e) => {
                log(Level::Warn, &format!("{call}: lonely timer lost: {e:?}"));
                true
            }
        }
    }

    /// The call ended: a mark left for it is deleted.
    pub fn forget(call: &str) {
        kv::delete(&lonely_mark::key(call));
    }
}
