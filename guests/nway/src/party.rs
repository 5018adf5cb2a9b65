//! A two-party call through the guest (B2BUA): the caller's call is
//! forwarded to the number it dialled; the holder of the feature codes
//! escalates it into a room with the escalate code (`*0`): the other party
//! goes into a new room, the holder hears dial tone to invite someone.

use crate::keys::{Codes, TimedKeys};
use crate::message::Message;
use crate::participant::Participant;
use crate::placed::Placed;
use crate::room;
use crate::settings::{Holder, RoomScheme, Settings};
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::InviteInfo;
use switchyard_sdk::{Call, DialRequest, Event};

/// One side of a two-party call.
#[derive(Debug)]
pub struct Party {
    /// The other side.
    peer: Call,
    /// The caller's number: escalated rooms may be numbered after it.
    caller_number: String,
    /// This side's number, as it is listed in a room.
    own_number: String,
    /// This side may use the feature codes.
    holds_codes: bool,
    keys: TimedKeys,
}

/// The only code of a two-party call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Escalate;

impl Party {
    /// Forwards the new call to the number it dialled; `None` if it could
    /// not be (the call is rejected, with why).
    pub fn forward(call: &Call, settings: &Settings, invite: &InviteInfo) -> Option<Party> {
        let number = &invite.request_user;
        let Some(uri) = settings.uri_of(number) else {
            let _ = call.reject(404, "No Route To That Number");
            return None;
        };
        let request = DialRequest {
            context: Placed::Party {
                caller: call.id().to_owned(),
                caller_number: invite.from_user.clone(),
                callee_number: number.clone(),
            }
            .encode(),
            ..DialRequest::to(uri)
        };
        match call.forward(&request) {
            Ok(peer) => Some(Party {
                peer,
                caller_number: invite.from_user.clone(),
                own_number: invite.from_user.clone(),
                holds_codes: settings.holder != Holder::Callee,
                keys: TimedKeys::default(),
            }),
            Err(e) => {
                log(Level::Warn, &format!("{call}: cannot forward: {e:?}"));
                let _ = call.reject(500, "Cannot Forward The Call");
                None
            }
        }
    }

    /// The callee's side, placed by the caller's [`Party::forward`].
    pub fn callee(
        settings: &Settings,
        caller: String,
        caller_number: String,
        callee_number: String,
    ) -> Party {
        Party {
            peer: Call::new(caller),
            caller_number,
            own_number: callee_number,
            holds_codes: settings.holder != Holder::Caller,
            keys: TimedKeys::default(),
        }
    }

    /// Something happened to this side: a participant when it escalated.
    pub fn on_event(
        &mut self,
        call: &Call,
        settings: &Settings,
        event: Event,
    ) -> Option<Participant> {
        match event {
            Event::Dtmf(key) if self.holds_codes => {
                let codes = Codes::new([(settings.codes.escalate.clone(), Escalate)]);
                if let Some(Escalate) =
                    self.keys
                        .press(call, key, &codes, settings.codes.interdigit)
                {
                    return self.escalate(call, settings);
                }
            }
            Event::Timer(id) => {
                self.keys.timed_out(id);
            }
            _ => {}
        }
        None
    }

    /// The other side escalated the call: this side goes into the room.
    pub fn on_message(
        &mut self,
        call: &Call,
        settings: &Settings,
        message: Message,
    ) -> Option<Participant> {
        let Message::Join(room) = message else {
            return None;
        };
        Some(Participant::enter(
            call,
            room,
            self.own_number.clone(),
            settings.escalated_options,
        ))
    }

    /// The holder escalated: the other side is sent to a new room, and the
    /// holder, out of it, dials someone to invite.
    fn escalate(&mut self, call: &Call, settings: &Settings) -> Option<Participant> {
        let Some(room) = escalation_room(settings, &self.caller_number) else {
            log(Level::Warn, &format!("{call}: no free room to escalate to"));
            let _ = call.play(&["conference_full"]);
            return None;
        };
        room::open_adhoc(&room);
        log(Level::Info, &format!("{call}: escalated into room {room}"));
        let _ = self
            .peer
            .send_message(&Message::Join(room.clone()).encode());
        let _ = call.unbridge();
        Some(Participant::dialing(
            call,
            settings,
            room,
            self.own_number.clone(),
            settings.escalated_options,
        ))
    }
}

/// The room an escalated call moves to.
fn escalation_room(settings: &Settings, caller_number: &str) -> Option<String> {
    let (first, last) = settings.free_rooms;
    match settings.room_scheme {
        RoomScheme::Offset(offset) => caller_number
            .parse::<u64>()
            .ok()
            .and_then(|n| offset.checked_add(n))
            .map(|room| room.to_string())
            .or_else(|| room::first_free(first, last, |_| true)),
        RoomScheme::FirstFree => room::first_free(first, last, |_| true),
    }
}
