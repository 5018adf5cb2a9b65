//! One dial-in call: routing, room-number entry by keypad, joining the room.
//!
//! Each call has its own guest instance, so the call's state is a plain
//! thread-local of this instance.

use super::room;
use super::settings::Settings;
use crate::routing::{self, Route};
use std::cell::RefCell;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::rooms::{self, JoinOptions};
use switchyard_sdk::types::{Error, Event, InviteInfo};
use switchyard_sdk::{media, signaling};

/// The longest room number accepted by keypad.
const MAX_ROOM_DIGITS: usize = 32;

/// Where the call is in its flow.
#[derive(Debug)]
enum Phase {
    /// Collecting the room number's digits; `attempts` entries failed so far.
    EnteringRoom { digits: String, attempts: u32 },
    /// Reading the room number back; joins when the prompts end.
    ReadingBack { room: String },
    /// In the room.
    InRoom,
    /// Playing a goodbye; hangs up when it ends.
    Leaving,
}

struct CallState {
    call: String,
    number: String,
    participant_id: String,
    settings: Settings,
    phase: Phase,
    answered: bool,
}

thread_local! {
    static CALL: RefCell<Option<CallState>> = const { RefCell::new(None) };
}

/// Routes a new call and starts its flow.
pub fn on_invite(invite: InviteInfo) {
    let settings = Settings::load();
    let header = |name: &str| {
        invite
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.clone())
    };
    let route = routing::route(
        &settings.routing,
        &invite.request_user,
        header("P-App-Param").as_deref(),
    );
    let mut state = CallState {
        call: invite.call.clone(),
        number: invite.from_user.clone(),
        participant_id: header(&settings.participant_id_header).unwrap_or_default(),
        settings,
        phase: Phase::InRoom,
        answered: false,
    };
    let started = match route {
        Route::Room { room, reason } => enter_room(&mut state, &room, reason),
        Route::AskForRoom => ask_for_room(&mut state, 0),
        Route::DirectRoomTooShort => say_goodbye(&mut state),
    };
    finish_step(state, started);
}

/// Advances the call's flow on one of its events.
pub fn on_event(call: &str, event: Event) {
    let Some(mut state) = CALL.with(|c| c.borrow_mut().take()) else {
        log(
            Level::Warn,
            &format!("event {event:?} for unknown call {call}"),
        );
        return;
    };
    let result = match event {
        Event::Dtmf(key) => on_key(&mut state, key),
        Event::PromptDone => on_prompt_done(&mut state),
        // This flow starts no timers, makes no bridges and places no calls
        // (dial-outs are other instances).
        Event::Timer(_)
        | Event::Unbridged
        | Event::Dialed(_)
        | Event::Progress(_)
        | Event::Answered
        | Event::Failed(_) => Ok(()),
        Event::Hangup => return,
    };
    finish_step(state, result);
}

fn finish_step(state: CallState, result: Result<(), Error>) {
    if let Err(e) = result {
        log(
            Level::Error,
            &format!("call {}: {e:?}; hanging up", state.call),
        );
        // The call may already be gone; there is nothing more to do then.
        let _ = signaling::hangup(&state.call);
        return;
    }
    CALL.with(|c| *c.borrow_mut() = Some(state));
}

fn on_key(state: &mut CallState, key: char) -> Result<(), Error> {
    let Phase::EnteringRoom { digits, attempts } = &mut state.phase else {
        return Ok(());
    };
    match key {
        '#' | '*' => {
            let room = std::mem::take(digits);
            let attempts = *attempts;
            room::sweep_if_timed_out(&state.settings, &room);
            let unknown_private = state.settings.private_rooms && rooms::info(&room).is_none();
            if room.is_empty() || unknown_private {
                return ask_for_room(state, attempts + 1);
            }
            let mut prompts: Vec<String> = room.chars().map(String::from).collect();
            prompts.push("entering_conference".to_owned());
            media::play(&state.call, &prompts, false)?;
            state.phase = Phase::ReadingBack { room };
            Ok(())
        }
        digit if digit.is_ascii_digit() => {
            if digits.is_empty() {
                // The caller started typing: the prompt has done its job.
                media::stop(&state.call)?;
            }
            if digits.len() < MAX_ROOM_DIGITS {
                digits.push(digit);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn on_prompt_done(state: &mut CallState) -> Result<(), Error> {
    match std::mem::replace(&mut state.phase, Phase::InRoom) {
        Phase::ReadingBack { room } => enter_room(state, &room, "entered"),
        Phase::Leaving => signaling::hangup(&state.call),
        phase => {
            state.phase = phase;
            Ok(())
        }
    }
}

/// Plays `enter_pin` (or `wrong_pin` after a failed entry) and collects digits;
/// after `max_room_attempts` failures plays `wrong_pin_bye` and hangs up.
fn ask_for_room(state: &mut CallState, attempts: u32) -> Result<(), Error> {
    if attempts >= state.settings.max_room_attempts {
        return say_goodbye(state);
    }
    answer(state)?;
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

fn say_goodbye(state: &mut CallState) -> Result<(), Error> {
    answer(state)?;
    media::play(&state.call, &["wrong_pin_bye".to_owned()], false)?;
    state.phase = Phase::Leaving;
    Ok(())
}

/// Answers the call unless it already is.
fn answer(state: &mut CallState) -> Result<(), Error> {
    if !state.answered {
        signaling::answer(&state.call)?;
        state.answered = true;
    }
    Ok(())
}

/// Joins the room, then answers: the participant is listed before the caller
/// hears the 200 OK, so nothing the caller does next can find it missing.
fn enter_room(state: &mut CallState, room: &str, reason: &str) -> Result<(), Error> {
    // Only private rooms read the room first: the participant list of a big
    // room is costly to copy on every join.
    room::sweep_if_timed_out(&state.settings, room);
    if state.settings.private_rooms && rooms::info(room).is_none() {
        return say_goodbye(state);
    }
    let others = rooms::join(
        &state.call,
        room,
        &JoinOptions {
            number: state.number.clone(),
            reason: reason.to_owned(),
            participant_id: state.participant_id.clone(),
        },
    )?;
    answer(state)?;
    state.phase = Phase::InRoom;
    if others == 0 {
        let looped = state.settings.loop_first_participant_prompt;
        media::play(&state.call, &["first_participant".to_owned()], looped)?;
    }
    Ok(())
}
