//! Room-number entry by keypad: `enter_pin`, digits ended by `#` or `*`,
//! `wrong_pin` and another try after an empty or refused entry, the digits
//! read back and `entering_conference` after a good one.
//!
//! Unlike SEMS, the entry is bounded: `max_room_attempts` tries,
//! `room_entry_timeout` for all of them, `room_entry_digit_timeout` between
//! keys (from the end of the prompt or the last key); past a bound the caller
//! hears `wrong_pin_bye` and is hung up. A digit time-out with digits typed
//! ends the entry as `#` would: a caller who forgot `#` gets in.

use super::dial_in::{self, CallState, Phase};
use crate::admission;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::Error;
use switchyard_sdk::{media, timers};

/// The longest room number accepted by keypad.
const MAX_ROOM_DIGITS: usize = 32;

/// The entry's pending time-outs.
#[derive(Debug, Default)]
pub struct EntryTimers {
    digit: Option<u64>,
    total: Option<u64>,
}

impl EntryTimers {
    /// Cancels both.
    pub fn cancel(&mut self) {
        for timer in [self.digit.take(), self.total.take()].into_iter().flatten() {
            timers::cancel(timer);
        }
    }
}

/// Starts a timer of `seconds` (none for 0).
fn start_timer(call: &str, seconds: u32) -> Result<Option<u64>, Error> {
    if seconds == 0 {
        return Ok(None);
    }
    super::start_timer_s(call, seconds).map(Some)
}

/// Answers and asks for the room number; the whole entry's time-out starts.
pub fn start(state: &mut CallState) -> Result<(), Error> {
    dial_in::answer(state)?;
    state.entry_timers.total = start_timer(&state.call, state.settings.room_entry_timeout_s)?;
    ask(state, 0)
}

/// Plays `enter_pin` (or `wrong_pin` after a failed entry) and collects
/// digits; after `max_room_attempts` failures says goodbye.
fn ask(state: &mut CallState, attempts: u32) -> Result<(), Error> {
    if attempts >= state.settings.max_room_attempts {
        return dial_in::say_goodbye(state);
    }
    if let Some(timer) = state.entry_timers.digit.take() {
        timers::cancel(timer);
    }
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
    if let Some(timer) = state.entry_timers.digit.take() {
        timers::cancel(timer);
    }
    state.entry_timers.digit = start_timer(&state.call, state.settings.room_entry_digit_timeout_s)?;
    Ok(())
}

/// A timer fired while the room number is asked for.
pub fn on_timer(state: &mut CallState, timer: u64) -> Result<(), Error> {
    let Phase::EnteringRoom { digits, attempts } = &mut state.phase else {
        return Ok(());
    };
    if state.entry_timers.total == Some(timer) {
        state.entry_timers.total = None;
        log(
            Level::Info,
            &format!("call {}: room entry timed out", state.call),
        );
        return dial_in::say_goodbye(state);
    }
    if state.entry_timers.digit != Some(timer) {
        return Ok(());
    }
    state.entry_timers.digit = None;
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
    if let Some(timer) = state.entry_timers.digit.take() {
        timers::cancel(timer);
    }
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
