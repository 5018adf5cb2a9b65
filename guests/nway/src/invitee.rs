//! Someone a participant invited: its call rings, then talks privately
//! with the participant, then joins the room when the participant leaves
//! their talk (by the join code, or by hanging up).

use crate::caller_id;
use crate::message::Message;
use crate::options::Options;
use crate::out;
use crate::participant::Participant;
use crate::room;
use crate::settings::Settings;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::{Call, Event};

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
}

impl Invitee {
    /// The invited call of `holder`, to `room`.
    pub fn new(holder: String, room: String, number: String) -> Invitee {
        Invitee {
            holder: Call::new(holder),
            room,
            number,
            refused: false,
        }
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
    /// if nobody else is left.
    fn let_go(&self, call: &Call) {
        out::ended(&self.room, call.id());
        room::end_if_vacant_but_for(&self.room, call.id());
    }

    /// Something happened to the invited call: a participant when it joins.
    pub fn on_event(
        &mut self,
        call: &Call,
        settings: &Settings,
        event: Event,
    ) -> Option<Participant> {
        let tell = |message: Message| {
            let _ = self.holder.send_message(&message.encode());
        };
        match event {
            Event::Answered => tell(Message::Answered),
            Event::Failed(failure) => tell(Message::Failed(failure.code)),
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
                let max_members = settings.max_members(&self.room);
                let Some((why, prompt)) =
                    room::refusal(&self.room, max_members, options.admin, call.id())
                else {
                    let participant = Participant::enter(
                        call,
                        self.room.clone(),
                        self.number.clone(),
                        caller_id::of_number(settings, &self.number),
                        options,
                    );
                    // In the room now: the mark that held its place goes.
                    out::came_back(&self.room, call.id());
                    return Some(participant);
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
