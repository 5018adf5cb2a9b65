//! {{name}}: a Switchyard call flow.
//!
//! A call is answered and hears `entering_conference`; when the prompt ends it
//! joins the room named by the dialled number (the Request-URI's user part
//! with its `%XX` escapes decoded, `lobby` if it has none), and hears
//! `first_participant` if nobody else is there. A call whose user part does
//! not decode to text is rejected with 400, and one whose user part names no
//! room the host takes (`.`, `..`, or more than 64 characters) with 404,
//! before it is answered. After `time_limit_s` seconds (the guest's config,
//! default 3600, at most a day) it hears `goodbye` and is hung up. Each room
//! counts the calls it has had in its meta, which goes with the room (a count
//! in the guest's key-value store would stay for every number ever dialled).

use std::time::Duration;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::InviteInfo;
use switchyard_sdk::{
    Call, CallFlow, Event, JoinOptions, MAX_TIMER, TimerId, config, room_name, rooms, uri,
};

switchyard_sdk::config_keys! {
    "time_limit_s": number,
}

/// One call's state.
struct Flow {
    /// The room the call is for.
    room: String,
    /// How the call is listed in its room.
    number: String,
    /// Where the call is.
    phase: Phase,
}

/// Where a call is in its flow.
enum Phase {
    /// Hearing the greeting; joins the room when it ends.
    Greeting,
    /// In the room until the timer fires.
    InRoom { time_limit: TimerId },
    /// Hearing goodbye; hung up when it ends.
    Leaving,
    /// Rejected: in no room.
    Refused,
}

impl CallFlow for Flow {
    fn on_invite(call: &Call, invite: InviteInfo) -> Self {
        // RFC 3261 §19.1.4: `47%31%31` dials what `4711` dials.
        let Some(user) = uri::decoded_user(&invite.request_user) else {
            log(
                Level::Info,
                &format!(
                    "call {call}: Request-URI user {:?} does not decode to text; 400",
                    invite.request_user
                ),
            );
            let _ = call.reject(400, "Bad Request-URI User");
            return Flow::refused(invite.from_user);
        };
        let room = if user.is_empty() {
            "lobby".to_owned()
        } else {
            user
        };
        // The host refuses to join a call to a room it cannot have: refused
        // here, the caller is not answered only to be hung up.
        if !room_name::is_room_name(&room) {
            log(
                Level::Info,
                &format!(
                    "call {call}: Request-URI user {:?} names no room (1 to {} characters, \
                     not . or ..); 404",
                    invite.request_user,
                    room_name::MAX_ROOM_CHARS
                ),
            );
            let _ = call.reject(404, "No Such Room");
            return Flow::refused(invite.from_user);
        }
        let flow = Flow {
            room,
            number: invite.from_user,
            phase: Phase::Greeting,
        };
        if let Err(e) = call
            .answer()
            .and_then(|()| call.play(&["entering_conference"]))
        {
            log(Level::Warn, &format!("call {call}: cannot answer: {e}"));
            let _ = call.hangup();
        }
        flow
    }

    fn on_event(&mut self, call: &Call, event: Event) {
        let step = match (&self.phase, event) {
            (Phase::Greeting, Event::PromptDone) => self.join(call),
            (Phase::InRoom { time_limit }, Event::Timer(fired)) if fired == *time_limit => {
                self.phase = Phase::Leaving;
                call.play(&["goodbye"])
            }
            (Phase::Leaving, Event::PromptDone) => call.hangup(),
            (Phase::Refused, _) => Ok(()),
            (_, Event::Hangup) => {
                log(Level::Info, &format!("call {call} left room {}", self.room));
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = step {
            log(Level::Warn, &format!("call {call}: {e}; hanging up"));
            let _ = call.hangup();
        }
    }
}

/// The room meta key of the count of calls the room has had.
const CALLS_META_KEY: &str = "calls";

/// How many times a call reads its room's count and tries to store one more,
/// each time another call counted itself in between.
const MAX_COUNT_ATTEMPTS: usize = 16;

/// Counts one more call into `room`; the count. Calls joining at once each
/// count: the count is stored only if it is still the one read
/// (`rooms::swap_meta`), and read again when another call's came between.
fn count_call(room: &str) -> Result<u64, switchyard_sdk::types::Error> {
    for _ in 0..MAX_COUNT_ATTEMPTS {
        let read = rooms::get_meta(room, CALLS_META_KEY);
        let count = read.as_deref().and_then(|count| count.parse::<u64>().ok());
        let count = count.unwrap_or(0) + 1;
        if rooms::swap_meta(room, CALLS_META_KEY, read.as_deref(), &count.to_string())? {
            return Ok(count);
        }
    }
    Err(switchyard_sdk::types::Error::Failed(format!(
        "other calls counted themselves {MAX_COUNT_ATTEMPTS} times meanwhile"
    )))
}

impl Flow {
    /// A call that was rejected, from `number`.
    fn refused(number: String) -> Self {
        Flow {
            room: String::new(),
            number,
            phase: Phase::Refused,
        }
    }

    /// Puts the call into its room, counts it, and starts its time limit.
    fn join(&mut self, call: &Call) -> Result<(), switchyard_sdk::types::Error> {
        let others = call.join(&self.room, &JoinOptions::number(&self.number))?;
        // A count is no reason to end a call: a room whose meta is full only stops counting.
        let count = match count_call(&self.room) {
            Ok(count) => count.to_string(),
            Err(e) => {
                log(
                    Level::Warn,
                    &format!("room {}: not counted: {e}", self.room),
                );
                "?".to_owned()
            }
        };
        log(
            Level::Info,
            &format!(
                "call {call} joined room {} with {others} others (call {count} to it)",
                self.room
            ),
        );
        if others == 0 {
            call.play(&["first_participant"])?;
        }
        let limit_s = config::get("time_limit_s")
            .and_then(|s| s.parse().ok())
            .unwrap_or(3600);
        // The host takes timers of at most a day.
        let limit = Duration::from_secs(limit_s).min(MAX_TIMER);
        let time_limit = call.start_timer(limit)?;
        self.phase = Phase::InRoom { time_limit };
        Ok(())
    }
}

switchyard_sdk::call_flow!(Flow);
