//! One call placed by `dialout`: it joins its room as soon as the host lets it.
//!
//! The host refuses `rooms.join` while a placed call is still resolving its
//! target (the call does not exist for `join` yet), which is usually still the
//! case when `dialed` arrives; so the join is tried on `dialed`, then again on
//! each `progress` and on `answered` until it succeeds.

use crate::dialout::{self, Context};
use std::cell::RefCell;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::rooms::{self, JoinOptions};
use switchyard_sdk::types::{Error, Event};
use switchyard_sdk::{kv, signaling};

struct Placed {
    call: String,
    context: Context,
    joined: bool,
}

thread_local! {
    static PLACED: RefCell<Option<Placed>> = const { RefCell::new(None) };
}

/// Whether this instance handles a call placed by `dialout`.
pub fn is_placed() -> bool {
    PLACED.with(|p| p.borrow().is_some())
}

/// The placed call's first event: its room, number and participant id.
pub fn on_dialed(call: &str, context: &str) {
    let Some(context) = Context::decode(context) else {
        log(
            Level::Warn,
            &format!("call {call} was placed with an unknown context {context:?}; hanging up"),
        );
        let _ = signaling::hangup(call);
        return;
    };
    let mut placed = Placed {
        call: call.to_owned(),
        context,
        joined: false,
    };
    try_join(&mut placed, "INVITE");
    PLACED.with(|p| *p.borrow_mut() = Some(placed));
}

/// The placed call's later events.
pub fn on_event(event: Event) {
    let Some(mut placed) = PLACED.with(|p| p.borrow_mut().take()) else {
        return;
    };
    match event {
        // With early media flowing, joining now would leave the audio out of
        // the room after the answer: wait for it.
        Event::Progress(progress) if !progress.early_media => try_join(&mut placed, "INVITE"),
        Event::Answered => {
            no_longer_dialing(&placed);
            try_join(&mut placed, "200 OK");
        }
        Event::Failed(failure) => {
            log(
                Level::Info,
                &format!(
                    "dial-out {} to room {:?} failed: {} {}",
                    placed.call, placed.context.room, failure.code, failure.reason
                ),
            );
            no_longer_dialing(&placed);
        }
        Event::Hangup => {
            no_longer_dialing(&placed);
            return;
        }
        _ => {}
    }
    PLACED.with(|p| *p.borrow_mut() = Some(placed));
}

/// Joins the room unless done already; hangs up if the room was deleted
/// while the call was being placed.
fn try_join(placed: &mut Placed, reason: &str) {
    if placed.joined {
        return;
    }
    let room = &placed.context.room;
    if rooms::info(room).is_none() {
        log(
            Level::Info,
            &format!("room {room:?} is gone: hanging up dial-out {}", placed.call),
        );
        let _ = signaling::hangup(&placed.call);
        return;
    }
    let options = JoinOptions {
        number: placed.context.number.clone(),
        reason: reason.to_owned(),
        participant_id: placed.context.participant_id.clone(),
    };
    match rooms::join(&placed.call, room, &options) {
        Ok(_) => placed.joined = true,
        // Still resolving its target: the next event tries again.
        Err(Error::NoSuchCall) => log(
            Level::Debug,
            &format!("dial-out {} cannot join room {room:?} yet", placed.call),
        ),
        Err(e) => {
            log(
                Level::Warn,
                &format!(
                    "dial-out {} cannot join room {room:?}: {e:?}; hanging up",
                    placed.call
                ),
            );
            let _ = signaling::hangup(&placed.call);
        }
    }
}

/// The call is answered or over: it no longer counts against the room's
/// dial-outs in progress.
fn no_longer_dialing(placed: &Placed) {
    kv::delete(&dialout::key(&placed.context.room, &placed.call));
}
