//! What a room's other participants notice of a dial-in participant:
//! `join_sound` when it joins, `drop_sound` when it leaves, and the
//! `lonely_user_timer` of the one it leaves alone.
//!
//! A join costs the same in a room of two or of thousands: the joining call
//! says `join_sound` (its room hears it as its voice; it does not hear itself),
//! and only the first participant, the one that may be looping
//! `first_participant`, is played to directly. A leave is announced into the
//! room once (`drop_sound`).
//!
//! Only a call's own instance starts its timers, and an instance hears only
//! its own call's events; so with `lonely_user_timer` set, a participant that
//! leaves one other behind marks that one alone in the key-value store
//! (`lonely/<call>`) and plays it `drop_sound` directly, whose `prompt-done`
//! makes that one's instance look at the mark and start its timer. Nothing
//! polls.

use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::{Error, ParticipantStatus};
use switchyard_sdk::unix_seconds;
use switchyard_sdk::{kv, media, rooms, signaling, timers};

/// The key prefix of the marks left for a participant left alone.
const LONELY_PREFIX: &str = "lonely/";

fn lonely_key(call: &str) -> String {
    format!("{LONELY_PREFIX}{call}")
}

/// The connected participants of `room` other than `me`: those who hear the
/// room and its sounds.
pub fn company(room: &str, me: &str) -> Vec<String> {
    rooms::info(room)
        .map(|info| info.participants)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.call != me && p.status == ParticipantStatus::Connected)
        .map(|p| p.call)
        .collect()
}

/// Plays `sound` to `call` only; a call that ended meanwhile is skipped.
fn play_to(call: &str, sound: &str) {
    if let Err(e) = media::play(call, &[sound.to_owned()], false) {
        log(
            Level::Debug,
            &format!("{sound} not played to {call}: {e:?}"),
        );
    }
}

/// `me`, answered, is in `room`, where `others` participants were: alone, it
/// hears `first_participant` (`looped` until someone joins); otherwise the
/// others hear it join ([`joined`]).
pub fn entered(room: &str, me: &str, others: usize, looped: bool) -> Result<(), Error> {
    if others == 0 {
        media::play(me, &["first_participant".to_owned()], looped)?;
    }
    joined(room, me, others);
    Ok(())
}

/// `me` joined `room`, where `others` participants were: they hear
/// `join_sound`. The first participant hears it in place of its prompts (a
/// looped `first_participant` ends there).
pub fn joined(room: &str, me: &str, others: usize) {
    match others {
        0 => {}
        1 => {
            for first in company(room, me) {
                play_to(&first, "join_sound");
            }
        }
        _ => {
            if let Err(e) = media::speak(me, &["join_sound".to_owned()], false) {
                log(Level::Debug, &format!("{me}: join_sound not said: {e:?}"));
            }
        }
    }
}

/// `me` left `room`: the others hear `drop_sound`; with `lonely` set, the
/// only one left, if so, is marked alone.
pub fn left(room: &str, me: &str, lonely: bool) {
    if lonely && let [alone] = company(room, me).as_slice() {
        let since = unix_seconds().to_string();
        if let Err(e) = kv::set(&lonely_key(alone), &since) {
            log(Level::Warn, &format!("{alone} not marked alone: {e:?}"));
        }
        play_to(alone, "drop_sound");
        return;
    }
    if let Err(e) = rooms::announce(room, &["drop_sound".to_owned()], false) {
        log(
            Level::Debug,
            &format!("{room}: drop_sound not announced: {e:?}"),
        );
    }
}

/// The `lonely_user_timer` of one participant.
#[derive(Debug, Default)]
pub struct Lonely {
    timer: Option<u64>,
}

impl Lonely {
    /// Starts (or restarts) the timer: `seconds` from now `call` is hung up
    /// if it is still alone. Zero seconds: off.
    pub fn start(&mut self, call: &str, seconds: u32) {
        if seconds == 0 {
            return;
        }
        if let Some(old) = self.timer.take() {
            timers::cancel(old);
        }
        match super::start_timer_s(call, seconds) {
            Ok(id) => self.timer = Some(id),
            Err(e) => log(Level::Warn, &format!("{call}: no lonely timer: {e:?}")),
        }
    }

    /// A prompt ended for `call` in its room: starts the timer if a
    /// participant who left marked it alone.
    pub fn on_prompt_done(&mut self, call: &str, seconds: u32) {
        if seconds > 0 && kv::delete(&lonely_key(call)) {
            self.start(call, seconds);
        }
    }

    /// Whether `timer` is this one; if so and `call` is still alone in
    /// `room`, hangs it up (SEMS kicks a lonely user with a BYE).
    pub fn on_timer(&mut self, call: &str, room: &str, timer: u64) -> bool {
        if self.timer != Some(timer) {
            return false;
        }
        self.timer = None;
        if company(room, call).is_empty() {
            log(
                Level::Info,
                &format!("{call} alone in room {room:?} too long: hanging up"),
            );
            // It may have ended meanwhile: nothing more to do then.
            let _ = signaling::hangup(call);
        }
        true
    }

    /// The call ended: a mark left for it is deleted.
    pub fn forget(call: &str) {
        kv::delete(&lonely_key(call));
    }
}
