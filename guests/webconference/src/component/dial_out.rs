//! One call placed by `dialout`, which lists it in its room at once
//! ("INVITE"); the host moves it to Ringing, Connected or Finished (with the
//! SIP reason) as its SIP progresses, and its audio joins the room when it has
//! some; while Connecting or Ringing it counts against the room's
//! `max_dialouts_per_room`. Listed,
//! it is company (see [`super::presence`]): a looped `first_participant` ends,
//! and while the callee rings without early media, the room hears a ringback
//! tone from it. The room's other participants hear `join_sound` when it
//! answers and `drop_sound` when it ends, answered or not (one left alone by
//! it is marked so); answering into an empty room, it hears
//! `first_participant` and has the `lonely_user_timer` of a dial-in
//! participant, and in a room with a time-out its timer for the room's end.

use super::lonely::Lonely;
use super::presence;
use super::room;
use super::room_end::RoomEnd;
use super::settings::Settings;
use crate::dialout::Context;
use std::cell::RefCell;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::Event;
use switchyard_sdk::{media, signaling};

struct Placed {
    call: String,
    context: Context,
    settings: Settings,
    lonely: Lonely,
    room_end: RoomEnd,
}

thread_local! {
    static PLACED: RefCell<Option<Placed>> = const { RefCell::new(None) };
}

/// Whether this instance handles a call placed by `dialout`.
pub fn is_placed() -> bool {
    PLACED.with(|p| p.borrow().is_some())
}

/// The placed call's first event: its room, number and participant id. A
/// first participant looping its prompt has company now.
pub fn on_dialed(call: &str, context: &str) {
    let Some(context) = Context::decode(context) else {
        log(
            Level::Warn,
            &format!("call {call} was placed with an unknown context {context:?}; hanging up"),
        );
        let _ = signaling::hangup(call);
        return;
    };
    presence::end_loops(&context.room, call);
    let placed = Placed {
        call: call.to_owned(),
        context,
        settings: Settings::load(),
        lonely: Lonely::default(),
        room_end: RoomEnd::default(),
    };
    PLACED.with(|p| *p.borrow_mut() = Some(placed));
}

/// The placed call's later events.
pub fn on_event(event: Event) {
    let Some(mut placed) = PLACED.with(|p| p.borrow_mut().take()) else {
        return;
    };
    match event {
        Event::Progress(progress) => ring_in_room(&placed, !progress.early_media),
        Event::Answered => {
            ring_in_room(&placed, false);
            let (room, call) = (&placed.context.room, &placed.call);
            let listed = room::participants(room);
            let others = presence::company_in(&listed, call).len();
            let heard = presence::is_heard(&listed, call);
            let looped = placed.settings.loop_first_participant_prompt;
            if let Err(e) = presence::entered(room, call, others, heard, looped) {
                log(
                    Level::Info,
                    &format!("{}: first_participant not played: {e:?}", placed.call),
                );
            }
            if others == 0 {
                placed
                    .lonely
                    .start(&placed.call, placed.settings.lonely_user_timer_s);
            }
            placed
                .room_end
                .start(&placed.call, &placed.context.room, &placed.settings);
        }
        Event::PromptDone => placed
            .lonely
            .on_prompt_done(&placed.call, placed.settings.lonely_user_timer_s),
        Event::Timer(timer) => {
            let (call, room) = (&placed.call, &placed.context.room);
            if !placed.lonely.on_timer(call, room, timer) {
                placed
                    .room_end
                    .on_timer(call, room, timer, &placed.settings);
            }
        }
        Event::Failed(failure) => {
            log(
                Level::Info,
                &format!(
                    "dial-out {} to room {:?} failed: {} {}",
                    placed.call, placed.context.room, failure.code, failure.reason
                ),
            );
        }
        Event::Hangup => {
            let lonely = placed.settings.lonely_user_timer_s > 0;
            presence::left(&placed.context.room, &placed.call, lonely);
            Lonely::forget(&placed.call);
            return;
        }
        _ => {}
    }
    PLACED.with(|p| *p.borrow_mut() = Some(placed));
}

/// Starts or stops the ringback the room hears from the callee. Early media
/// is the callee's own sound, so it ends the ringback.
fn ring_in_room(placed: &Placed, ringing: bool) {
    let result = if ringing {
        media::speak(&placed.call, &["ringback".to_owned()], true)
    } else {
        media::stop_speaking(&placed.call)
    };
    if let Err(e) = result {
        log(
            Level::Warn,
            &format!("dial-out {}: ringback: {e:?}", placed.call),
        );
    }
}
