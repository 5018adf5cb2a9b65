//! Someone a participant invited: its call rings, then talks privately
//! with the participant, then joins the room when the participant leaves
//! their talk (by the join code, or by hanging up).

use crate::caller_id;
use crate::message::Message;
use crate::options::Options;
use crate::out;
use crate::participant::{self, Participant};
use crate::room::{self, Admission};
use crate::settings::Settings;
use std::time::Duration;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::Error;
use switchyard_sdk::{Call, Event, TimerId};

/// How long the invitee waits before it tells its holder again what became
/// of its call, when the host refused the message (one call into the guest
/// sends only so many). A message the host took may still be dropped,
/// unseen, when too many wait for the holder: that one is not told again.
const TELL_RETRY: Duration = Duration::from_millis(200);
/// How many times it tells it at most (five seconds' worth).
const TELL_ATTEMPTS: u32 = 25;

/// An invited call, before it is in the room. Its holder, hanging up while
/// the two talk, hands it its mark of a member out ([`out`]): it lets go of
/// it once it is in the room, refused, or gone.
#[derive(Debug)]
pub struct Invitee {
    /// The inviting participant.
    holder: Call,
    /// The room it is invited to.
    room: String,
    /// The number it was called at, as it is listed in the room.
    number: String,
    /// The room would not take it: it hears why, then is hung up.
    refused: bool,
    /// What its holder was not told yet, told again when the timer fires.
    untold: Option<Untold>,
}

/// News for the holder that the host refused.
#[derive(Debug)]
struct Untold {
    message: Message,
    /// The timer that tells it again.
    timer: TimerId,
    /// How many times it was told.
    attempts: u32,
}

impl Invitee {
    /// The invited call of `holder`, to `room`.
    pub fn new(holder: String, room: String, number: String) -> Invitee {
        Invitee {
            holder: Call::new(holder),
            room,
            number,
            refused: false,
            untold: None,
        }
    }

    /// Tells the holder `message`, having told it `attempts` times before:
    /// without it, the holder would consult an invitee that answered, or
    /// failed, as if it still rang. While the host refuses the message, it is
    /// told again every [`TELL_RETRY`], [`TELL_ATTEMPTS`] times at most.
    fn tell(&mut self, call: &Call, message: Message, attempts: u32) {
        self.untold = match self.holder.send_message(&message.encode()) {
            // Told, or the holder is gone.
            Ok(()) | Err(Error::NoSuchCall) => None,
            Err(e) if attempts + 1 >= TELL_ATTEMPTS => {
                log(
                    Level::Warn,
                    &format!(
                        "{call}: its holder {} was never told {}: {e:?}",
                        self.holder,
                        message.encode()
                    ),
                );
                None
            }
            Err(_) => call.start_timer(TELL_RETRY).ok().map(|timer| Untold {
                message,
                timer,
                attempts: attempts + 1,
            }),
        };
    }

    /// Its holder's conference moved to another room (an admin merged
    /// it): the invitee joins that one, and a mark it holds moves there.
    pub fn on_message(&mut self, call: &Call, message: Message) {
        if let Message::Moved(room) = message {
            out::moved(&self.room, &room, call.id());
            self.room = room;
        }
    }

    /// It will not join: a mark it holds goes, and with it the conference
    /// if nobody else is left. The member whose place the mark held leaves
    /// the conference as any ([`participant::member_left`]): the last marked
    /// user ends a room with option `x`, and those waiting wait again.
    fn let_go(&self, call: &Call) {
        let held = out::options_of(&self.room, call.id());
        out::ended(&self.room, call.id());
        if let Some(options) = held
            && participant::member_left(&self.room, call.id(), options).is_none()
        {
            return;
        }
        room::end_if_vacant_but_for(&self.room, call.id());
    }

    /// Something happened to the invited call: a participant when it joins.
    pub fn on_event(
        &mut self,
        call: &Call,
        settings: &Settings,
        event: Event,
    ) -> Option<Participant> {
        match event {
            Event::Answered => self.tell(call, Message::Answered, 0),
            Event::Failed(failure) => self.tell(call, Message::Failed(failure.code), 0),
            Event::Timer(id) if self.untold.as_ref().is_some_and(|u| u.timer == id) => {
                if let Some(untold) = self.untold.take() {
                    self.tell(call, untold.message, untold.attempts);
                }
            }
            // The holder joined the room, or hung up: the invitee joins it,
            // unless the room was locked or filled up meanwhile (the holder's
            // own return was checked; a hang-up was not), or the conference
            // closed while the holder, or this call in its stead, was out.
            Event::Unbridged if out::is_closed(call.id()) || out::is_closed(self.holder.id()) => {
                log(
                    Level::Info,
                    &format!(
                        "room {}: closed before invitee {} got in",
                        self.room, self.number
                    ),
                );
                let _ = call.hangup();
            }
            Event::Unbridged => {
                let options = options(settings, &self.room, &self.number);
                let admission = Admission {
                    max_members: settings.max_members(&self.room),
                    admin: options.admin,
                    holds_room: false,
                    dials_in: false,
                };
                let entered = Participant::enter(
                    call,
                    self.room.clone(),
                    self.number.clone(),
                    caller_id::of_number(settings, &self.number),
                    options,
                    admission,
                );
                let (why, prompt) = match entered {
                    Ok(participant) => {
                        // In the room now: the mark that held its place goes.
                        out::came_back(&self.room, call.id());
                        return Some(participant);
                    }
                    Err(refusal) => refusal,
                };
                log(
                    Level::Info,
                    &format!("room {}: invitee {} refused: {why}", self.room, self.number),
                );
                self.refused = true;
                self.let_go(call);
                if call.play(&[prompt]).is_err() {
                    let _ = call.hangup();
                }
            }
            Event::PromptDone if self.refused => {
                let _ = call.hangup();
            }
            Event::Hangup => self.let_go(call),
            _ => {}
        }
        None
    }
}

/// The options of an invitee at `number` in `room`: those of an escalated
/// room, or those a caller of that number dialling in would have.
pub fn options(settings: &Settings, room: &str, number: &str) -> Options {
    match settings.profile(room) {
        Some(profile) if !room::is_adhoc(room) => profile.options_of(number),
        _ => settings.escalated_options,
    }
}
