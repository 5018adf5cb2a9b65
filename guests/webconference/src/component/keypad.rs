//! Room-number entry by keypad: `enter_pin`, digits ended by `#` or `*`,
//! `wrong_pin` and another try after an empty or refused entry, the digits
//! read back and `entering_conference` after a good one.
//!
//! Unlike SEMS, the entry is bounded: `max_room_attempts` tries (0: any
//! number), `room_entry_timeout` for all of them, `room_entry_digit_timeout`
//! between keys (from the end of the prompt or the last key); past a bound
//! the caller hears `wrong_pin_bye` and is hung up. A digit time-out with
//! digits typed ends the entry as `#` would: a caller who forgot `#` gets in.

use super::dial_in::{self, CallState, Phase};
use super::long_timer::{Fired, LongTimer};
use crate::admission;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::media;
use switchyard_sdk::types::Error;

/// The longest room number accepted by keypad.
const MAX_ROOM_DIGITS: usize = 32;

/// The entry's pending time-outs.
#[derive(Debug, Default)]
pub struct EntryTimers {
    digit: LongTimer,
    total: LongTimer,
}

impl EntryTimers {
    /// Cancels both.
    pub fn cancel(&mut self) {
        self.digit.cancel();
        self.total.cancel();
    }
}

/// Starts `timer` for `seconds`, in place of its pending wait (none for 0).
fn start_timer(timer: &mut LongTimer, call: &str, seconds: u32) -> Result<(), Error> {
    if seconds == 0 {
        timer.cancel();
        return Ok(());
    }
    timer.start_s(call, seconds)
}

/// Answers and asks for the room number; the whole entry's time-out starts.
pub fn start(state: &mut CallState) -> Result<(), Error> {
    dial_in::answer(state)?;
    let seconds = state.settings.room_entry_timeout_s;
    start_timer(&mut state.entry_timers.total, &state.call, seconds)?;
    ask(state, 0)
}

/// Plays `enter_pin` (or `wrong_pin` after a failed entry) and collects
/// digits; after `max_room_attempts` failures, if set, says goodbye.
fn ask(state: &mut CallState, attempts: u32) -> Result<(), Error> {
    if state
        .settings
        .max_room_attempts
        .is_some_and(|max| attempts >= max)
    {
        return dial_in::say_goodbye(state);
    }
    state.entry_timers.digit.cancel();
    let prompt = if attempts == 0 {
        "enter_pin"
    } else {
        "wrong_pin"
    };
    media::play(&state.call, &[prompt.to_owned()], false)?;
    state.phase = Phase::EnteringRoom {
        digits: String::new(),
        attempts,
    };
    Ok(())
}

/// A key pressed while the room number is asked for.
pub fn on_key(state: &mut CallState, key: char) -> Result<(), Error> {
    let Phase::EnteringRoom { digits, attempts } = &mut state.phase else {
        return Ok(());
    };
    match key {
        '#' | '*' => {
            let typed = std::mem::take(digits);
            let attempts = *attempts;
            evaluate(state, typed, attempts)
        }
        digit if digit.is_ascii_digit() => {
            if digits.is_empty() {
                // The caller started typing: the prompt has done its job.
                media::stop(&state.call)?;
            }
            // One digit past the longest number is kept, so that an
            // entry too long is refused rather than cut to another room.
            if digits.len() <= MAX_ROOM_DIGITS {
                digits.push(digit);
            }
            restart_digit_timer(state)
        }
        _ => Ok(()),
    }
}

/// The prompt asking for the number ended: the wait for the next key starts.
pub fn on_prompt_done(state: &mut CallState) -> Result<(), Error> {
    restart_digit_timer(state)
}

fn restart_digit_timer(state: &mut CallState) -> Result<(), Error> {
    let seconds = state.settings.room_entry_digit_timeout_s;
    start_timer(&mut state.entry_timers.digit, &state.call, seconds)
}

/// A timer fired while the room number is asked for.
pub fn on_timer(state: &mut CallState, timer: u64) -> Result<(), Error> {
    let Phase::EnteringRoom { digits, attempts } = &mut state.phase else {
        return Ok(());
    };
    match state.entry_timers.total.on_timer(&state.call, timer)? {
        Fired::Due => {
            log(
                Level::Info,
                &format!("call {}: room entry timed out", state.call),
            );
            return dial_in::say_goodbye(state);
        }
        Fired::Early => return Ok(()),
        Fired::Other => {}
    }
    if state.entry_timers.digit.on_timer(&state.call, timer)? != Fired::Due {
        return Ok(());
    }
    if digits.is_empty() {
        log(
            Level::Info,
            &format!("call {}: no room number typed in time", state.call),
        );
        return dial_in::say_goodbye(state);
    }
    let typed = std::mem::take(digits);
    let attempts = *attempts;
    evaluate(state, typed, attempts)
}

/// Ends an entry: an empty one asks again; a refused one (too short for
/// `room_pin_split`, or not admitted) counts against the caller's source and
/// asks again, unless that puts the source over its limit (goodbye); a good
/// one is read back before joining.
fn evaluate(state: &mut CallState, typed: String, attempts: u32) -> Result<(), Error> {
    state.entry_timers.digit.cancel();
    if typed.is_empty() {
        return ask(state, attempts + 1);
    }
    let entry = (typed.len() <= MAX_ROOM_DIGITS)
        .then(|| admission::parse(&typed, state.settings.room_pin_split))
        .flatten()
        .filter(|entry| dial_in::admitted(&state.settings, entry));
    let Some(entry) = entry else {
        if state.settings.source_guard.record_failure(&state.source) {
            log(
                Level::Info,
                &format!(
                    "call {}: too many refused room entries from {}",
                    state.call, state.source
                ),
            );
            return dial_in::say_goodbye(state);
        }
        return ask(state, attempts + 1);
    };
    state.entry_timers.cancel();
    let mut prompts: Vec<String> = typed.chars().map(String::from).collect();
    prompts.push("entering_conference".to_owned());
    media::play(&state.call, &prompts, false)?;
    state.phase = Phase::ReadingBack { entry };
    Ok(())
}
