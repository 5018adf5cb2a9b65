//! One dial-in call: routing, room-number entry by keypad (see [`super::keypad`]),
//! joining the room, and what it hears there.
//!
//! Each call has its own guest instance, so the call's state is a plain
//! thread-local of this instance.

use super::keypad::{self, EntryTimers};
use super::lonely::Lonely;
use super::presence;
use super::room;
use super::room_end::RoomEnd;
use super::settings::Settings;
use crate::admission::{self, Entry};
use crate::routing::{self, Route};
use crate::{limits, remote_party};
use std::cell::RefCell;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::rooms::{self, JoinOptions};
use switchyard_sdk::types::{Error, Event, InviteInfo};
use switchyard_sdk::{media, signaling, uri};

/// Where the call is in its flow.
#[derive(Debug)]
pub(super) enum Phase {
    /// Collecting the room number's digits; `attempts` entries failed so far.
    EnteringRoom { digits: String, attempts: u32 },
    /// Reading the room number back; joins when the prompts end.
    ReadingBack { entry: Entry },
    /// In the room.
    InRoom { room: String },
    /// Playing a goodbye (or refused); hangs up when it ends.
    Leaving,
}

/// One dial-in call's state.
pub(super) struct CallState {
    pub call: String,
    /// How it is listed, cut to the host's size ([`limits::number`]).
    pub number: String,
    /// From `participant_id_param` or `participant_id_header`, cut to the
    /// host's size ([`limits::participant_id`]); an id carried by the room
    /// number (`room_pin_split`) replaces it.
    pub participant_id: String,
    /// Who its refused room entries count against: the address the INVITE
    /// came from, or its caller behind a trusted proxy.
    pub source: String,
    pub settings: Settings,
    pub phase: Phase,
    pub answered: bool,
    pub entry_timers: EntryTimers,
    pub lonely: Lonely,
    pub room_end: RoomEnd,
}

thread_local! {
    static CALL: RefCell<Option<CallState>> = const { RefCell::new(None) };
}

/// Routes a new call and starts its flow. A call from a source over its limit
/// of refused room entries is rejected with 403 at once, one whose
/// Request-URI user does not decode ([`uri::decoded_user`]) with 400.
pub fn on_invite(invite: InviteInfo) {
    let settings = Settings::load();
    room::ensure_predefined(&settings);
    let header = |name: &str| {
        invite
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.clone())
    };
    let app_param = header("P-App-Param");
    let participant_id = match &settings.participant_id_param {
        Some(name) => routing::app_params(app_param.as_deref().unwrap_or(""))
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v),
        None => header(&settings.participant_id_header),
    };
    let mut state = CallState {
        call: invite.call.clone(),
        number: limits::number(&remote_party::listing(
            header("From").as_deref(),
            &invite.from_uri,
        )),
        participant_id: limits::participant_id(&participant_id.unwrap_or_default()),
        source: settings
            .source_guard
            .counted_as(&invite.source, &invite.from_uri),
        settings,
        phase: Phase::Leaving,
        answered: false,
        entry_timers: EntryTimers::default(),
        lonely: Lonely::default(),
        room_end: RoomEnd::default(),
    };
    if state.settings.source_guard.is_blocked(&state.source) {
        log(
            Level::Info,
            &format!(
                "call {} from {}: too many refused room entries from there; 403",
                state.call, state.source
            ),
        );
        let result = signaling::reject(&state.call, 403, "Forbidden");
        return finish_step(state, result);
    }
    // RFC 3261 §19.1.4: `000777%31` dials what `0007771` dials.
    let request_user = uri::decoded_user(&invite.request_user);
    let route = routing::route(
        &state.settings.routing,
        request_user.as_deref(),
        app_param.as_deref(),
    );
    let started = match route {
        Route::Room { room, reason } => {
            match admission::parse(&room, state.settings.room_pin_split) {
                Some(entry) => enter_room(&mut state, entry, reason),
                // Too short to split (SEMS leaves such a call hanging) or no
                // room name: the caller is told so and hung up.
                None => refused(&mut state),
            }
        }
        Route::AskForRoom => keypad::start(&mut state),
        Route::BadUser => refuse_request_user(&state.call, &invite.request_user),
    };
    finish_step(state, started);
}

/// Rejects a call whose Request-URI user, by which `direct_room_re` would
/// name the room, has a broken escape or decodes to no text.
fn refuse_request_user(call: &str, user: &str) -> Result<(), Error> {
    log(
        Level::Info,
        &format!("call {call}: Request-URI user {user:?} does not decode to text; 400"),
    );
    signaling::reject(call, 400, "Bad Request-URI User")
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
        Event::Dtmf(key) => keypad::on_key(&mut state, key),
        Event::PromptDone => on_prompt_done(&mut state),
        Event::Timer(timer) => on_timer(&mut state, timer),
        // This flow makes no bridges and places no calls (dial-outs are
        // other instances).
        Event::Unbridged
        | Event::Talk(_)
        | Event::Held(_)
        | Event::Dialed(_)
        | Event::Progress(_)
        | Event::Answered
        | Event::Failed(_) => Ok(()),
        Event::Hangup => return on_hangup(&state),
    };
    finish_step(state, result);
}

/// Keeps the call's state for its next event; a step that failed hangs the
/// call up, and the flow goes no further.
fn finish_step(mut state: CallState, result: Result<(), Error>) {
    if let Err(e) = result {
        log(
            Level::Error,
            &format!("call {}: {e:?}; hanging up", state.call),
        );
        // The call may already be gone; there is nothing more to do then.
        let _ = signaling::hangup(&state.call);
        // Kept in its room, if it is in one: its hangup is still to come, and
        // the others must hear it leave.
        if !matches!(state.phase, Phase::InRoom { .. }) {
            state.phase = Phase::Leaving;
        }
    }
    CALL.with(|c| *c.borrow_mut() = Some(state));
}

fn on_prompt_done(state: &mut CallState) -> Result<(), Error> {
    match std::mem::replace(&mut state.phase, Phase::Leaving) {
        Phase::ReadingBack { entry } => enter_room(state, entry, "entered"),
        Phase::Leaving => signaling::hangup(&state.call),
        phase => {
            state.phase = phase;
            match &state.phase {
                Phase::EnteringRoom { .. } => keypad::on_prompt_done(state),
                Phase::InRoom { .. } => {
                    let seconds = state.settings.lonely_user_timer_s;
                    state.lonely.on_prompt_done(&state.call, seconds);
                    Ok(())
                }
                Phase::ReadingBack { .. } | Phase::Leaving => Ok(()),
            }
        }
    }
}

fn on_timer(state: &mut CallState, timer: u64) -> Result<(), Error> {
    match &state.phase {
        Phase::EnteringRoom { .. } => keypad::on_timer(state, timer),
        Phase::InRoom { room } => {
            if !state.lonely.on_timer(&state.call, room, timer) {
                state
                    .room_end
                    .on_timer(&state.call, room, timer, &state.settings);
            }
            Ok(())
        }
        Phase::ReadingBack { .. } | Phase::Leaving => Ok(()),
    }
}

/// The call is over: the others in its room hear it leave.
fn on_hangup(state: &CallState) {
    if let Phase::InRoom { room } = &state.phase {
        presence::left(room, &state.call, state.settings.lonely_user_timer_s > 0);
    }
    Lonely::forget(&state.call);
}

/// Plays `wrong_pin_bye` and hangs up when it ends.
pub(super) fn say_goodbye(state: &mut CallState) -> Result<(), Error> {
    state.entry_timers.cancel();
    answer(state)?;
    media::play(&state.call, &["wrong_pin_bye".to_owned()], false)?;
    state.phase = Phase::Leaving;
    Ok(())
}

/// A room entry was refused: it counts against the caller's source, and the
/// caller hears `wrong_pin_bye` and is hung up.
fn refused(state: &mut CallState) -> Result<(), Error> {
    state.settings.source_guard.record_failure(&state.source);
    say_goodbye(state)
}

/// Answers the call unless it already is.
pub(super) fn answer(state: &mut CallState) -> Result<(), Error> {
    if !state.answered {
        signaling::answer(&state.call)?;
        state.answered = true;
    }
    Ok(())
}

/// Whether the caller may enter the room it asked for (see
/// [`admission::admits`]), after deleting the room if it timed out. Only
/// private rooms read the room: the participant list of a big room is costly
/// to copy.
pub(super) fn admitted(settings: &Settings, entry: &Entry) -> bool {
    room::sweep_if_timed_out(settings, &entry.room);
    if !settings.private_rooms {
        return true;
    }
    // Invitations first: a call is listed before it takes its invitation, so
    // one entering with the same id meanwhile is found in one or the other.
    let invited = match &entry.participant_id {
        Some(_) => room::invited(&entry.room),
        None => Vec::new(),
    };
    let info = rooms::info(&entry.room);
    let listed = info.iter().flat_map(|info| &info.participants);
    let ids: Vec<&str> = invited
        .iter()
        .map(|i| i.participant_id.as_str())
        .chain(listed.map(|p| p.participant_id.as_str()))
        .collect();
    admission::admits(true, info.is_some(), entry, &ids)
}

/// Joins the room, then answers: the participant is listed before the caller
/// hears the 200 OK, so nothing the caller does next can find it missing.
/// The others hear `join_sound`; the first participant hears
/// `first_participant`, and its lonely timer starts. In a room with a
/// time-out, the timer for the room's end starts. A private room deleted
/// between the admission and the join is refused as one that does not exist
/// (see [`room::mark_entered`] and [`refuse_reopened`]); one opened again
/// meanwhile by an admin function or another caller is entered. A locked
/// room refuses the call ([`locked_out`]).
fn enter_room(state: &mut CallState, entry: Entry, reason: &str) -> Result<(), Error> {
    if !admitted(&state.settings, &entry) {
        return refused(state);
    }
    // Any caller may open a room that is not private: only a private one is
    // marked, to find whether the join opened it.
    let mark = if state.settings.private_rooms {
        match room::mark_entered(&entry.room, &state.call) {
            Some(mark) => Some(mark),
            None => return refused(state),
        }
    } else {
        None
    };
    let participant_id = entry
        .participant_id
        .unwrap_or_else(|| state.participant_id.clone());
    let joined = rooms::join(
        &state.call,
        &entry.room,
        &JoinOptions {
            number: state.number.clone(),
            reason: reason.to_owned(),
            participant_id: participant_id.clone(),
        },
    );
    let others = match joined {
        Ok(others) => others,
        // A locked room lets no new call in, and a call that is ending joins
        // no room: both `wrong-state`, and both normal outcomes.
        Err(Error::WrongState(why)) => return locked_out(state, &entry.room, &why),
        Err(e) => return Err(e),
    };
    if let Some(mark) = &mark
        && room::reopened_by_join(&entry.room, mark, others)
    {
        return refuse_reopened(state, &entry.room);
    }
    state.phase = Phase::InRoom {
        room: entry.room.clone(),
    };
    room::take_invitation(&state.settings, &entry.room, &participant_id);
    answer(state)?;
    let looped = state.settings.loop_first_participant_prompt;
    // A call that joins a room is not muted there.
    presence::entered(&entry.room, &state.call, others as usize, true, looped)?;
    if others == 0 {
        state
            .lonely
            .start(&state.call, state.settings.lonely_user_timer_s);
    }
    state
        .room_end
        .start(&state.call, &entry.room, &state.settings);
    Ok(())
}

/// The host let the call into no room (`why`): `room` is locked, or the
/// call is ending and nobody is left to tell. An unanswered call is rejected
/// with 480 "Room Locked" (480: the room may be unlocked later); one
/// answered to type the number hears `conference_locked` and is hung up.
fn locked_out(state: &mut CallState, room: &str, why: &str) -> Result<(), Error> {
    log(
        Level::Info,
        &format!("call {}: not let into room {room:?}: {why}", state.call),
    );
    state.phase = Phase::Leaving;
    let told = if state.answered {
        media::play(&state.call, &["conference_locked".to_owned()], false)
    } else {
        signaling::reject(&state.call, 480, "Room Locked")
    };
    if told.is_err() {
        // The call is ending already: this only makes sure it ends.
        let _ = signaling::hangup(&state.call);
    }
    Ok(())
}

/// The call's join opened `room` anew: `private_rooms` lets no such room
/// exist, and a room without a pin would take the first one any admin
/// function gives. The call leaves it, it is deleted again, and the caller is
/// refused.
fn refuse_reopened(state: &mut CallState, room: &str) -> Result<(), Error> {
    log(
        Level::Info,
        &format!(
            "call {}: room {room:?} was deleted as the call entered it; refused",
            state.call
        ),
    );
    let left = rooms::leave(&state.call);
    // Deleted even if the call could not leave it (it is ending): deleted
    // again meanwhile, it is gone all the same.
    if let Err(e) = rooms::close(room) {
        log(Level::Info, &format!("deleting room {room:?}: {e:?}"));
    }
    left?;
    refused(state)
}
