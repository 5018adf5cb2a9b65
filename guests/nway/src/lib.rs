//! MeetMe-style conferences and ad-hoc n-way calls, as a Switchyard guest.
//!
//! A new call's Request-URI user picks what it is:
//! - `conference_pattern` (default `^8([0-9]*)$`): a caller entering a
//!   conference room ([`entry`]): the room dialled, typed or picked, its
//!   pin, its admission, then a [`participant`] with the room's MeetMe
//!   [`options`].
//! - `call_pattern` (default `^[0-9]+$`): a two-party call forwarded to that
//!   number ([`party`]); the holder of the feature codes escalates it into a
//!   room and invites others ([`participant`], [`invitee`]).
//! - anything else is rejected with 404.
//!
//! The calls' flows tell each other what happened with host messages
//! ([`message`]); the rooms, their participants and their lock are the
//! host's. The control API is [`admin`].

mod admin;
mod caller_id;
mod digits;
mod entry;
mod invitee;
mod keys;
mod message;
mod options;
mod out;
mod participant;
mod party;
mod placed;
mod room;
mod settings;

use entry::{Caller, Entry, Start};
use invitee::Invitee;
use message::Message;
use participant::Participant;
use party::Party;
use placed::Placed;
use settings::Settings;
use std::sync::OnceLock;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::InviteInfo;
use switchyard_sdk::{Call, CallFlow, Event, config, uri};

/// What one call is to this guest.
#[derive(Debug)]
enum Nway {
    /// A side of a two-party call.
    Party(Party),
    /// Entering a conference room.
    Entry(Entry),
    /// Invited, not yet in the room.
    Invitee(Invitee),
    /// In a room (or out of it for a while, inviting someone).
    Participant(Participant),
    /// Refused; it only waits for its hang-up.
    Refused,
}

/// The guest's settings, read once per instance; the error names the bad key.
fn settings() -> Result<&'static Settings, &'static str> {
    static SETTINGS: OnceLock<Result<Settings, String>> = OnceLock::new();
    SETTINGS
        .get_or_init(|| Settings::load(config::get))
        .as_ref()
        .map_err(String::as_str)
}

/// Whether `user`, a Request-URI user decoded, is text a number or a room
/// may be: no control character. The numbers and rooms this guest keeps are
/// single lines of text (a dial request's context holds one a line).
fn is_one_line(user: &str) -> bool {
    !user.chars().any(char::is_control)
}

/// Logs the config error; the caller refuses or ends the call.
fn misconfigured(error: &str) -> Nway {
    log(Level::Error, &format!("config: {error}"));
    Nway::Refused
}

impl CallFlow for Nway {
    fn on_invite(call: &Call, invite: InviteInfo) -> Self {
        // A From user past what a room lists would make the call's join fail.
        let invite = InviteInfo {
            from_user: caller_id::number(&invite.from_user),
            ..invite
        };
        let settings = match settings() {
            Ok(settings) => settings,
            Err(error) => {
                let _ = call.reject(500, "Conference Service Misconfigured");
                return misconfigured(error);
            }
        };
        // Only a trusted proxy vouches for a From: another caller's own would be
        // passed off to the callees as someone the server knows.
        let from = if settings.proxied(&invite.source) {
            caller_id::from_header(&invite.from_user, &invite.from_uri)
        } else {
            String::new()
        };
        // RFC 3261 §19.1.4: `%31` in the user dials what `1` dials, and is
        // looked up, called and listed as `1`.
        let Some(user) = uri::decoded_user(&invite.request_user) else {
            log(
                Level::Info,
                &format!(
                    "{call}: Request-URI user {:?} does not decode to text; 400",
                    invite.request_user
                ),
            );
            let _ = call.reject(400, "Bad Request-URI User");
            return Nway::Refused;
        };
        if !is_one_line(&user) {
            log(
                Level::Info,
                &format!("{call}: Request-URI user {user:?} has a control character; 404"),
            );
            let _ = call.reject(404, "Not Found");
            return Nway::Refused;
        }
        if let Some(found) = settings.conference_pattern.captures(&user) {
            let room = found.get(1).map_or("", |m| m.as_str());
            let source = settings
                .source_guard
                .counted_as(&invite.source, &invite.from_uri);
            let caller = Caller {
                number: invite.from_user.clone(),
                vouched: settings.vouches_for(&invite.source),
                from,
                source,
            };
            return match Entry::start(call, settings, room, caller) {
                Start::Rejected => Nway::Refused,
                Start::Entering(entry) => Nway::Entry(entry),
                Start::Entered(participant) => Nway::Participant(participant),
            };
        }
        if settings.call_pattern.is_match(&user) {
            return Party::forward(call, settings, &invite, &user, from)
                .map_or(Nway::Refused, Nway::Party);
        }
        let _ = call.reject(404, "Not Found");
        Nway::Refused
    }

    fn on_dialed(call: &Call, context: String) -> Option<Self> {
        let settings = match settings() {
            Ok(settings) => settings,
            Err(error) => {
                let _ = call.hangup();
                return Some(misconfigured(error));
            }
        };
        match Placed::decode(&context) {
            Some(Placed::Party {
                caller,
                caller_number,
                callee_number,
            }) => Some(Nway::Party(Party::callee(
                settings,
                caller,
                caller_number,
                callee_number,
            ))),
            Some(Placed::Invitee {
                holder,
                room,
                number,
            }) => Some(Nway::Invitee(Invitee::new(holder, room, number))),
            None => {
                log(
                    Level::Warn,
                    &format!("{call}: placed with an unknown context"),
                );
                let _ = call.hangup();
                None
            }
        }
    }

    fn on_event(&mut self, call: &Call, event: Event) {
        let Ok(settings) = settings() else {
            return;
        };
        let next = match self {
            Nway::Party(party) => party.on_event(call, settings, event),
            Nway::Entry(entry) => entry.on_event(call, settings, event),
            Nway::Invitee(invitee) => invitee.on_event(call, settings, event),
            Nway::Participant(participant) => {
                participant.on_event(call, settings, event);
                None
            }
            Nway::Refused => None,
        };
        if let Some(participant) = next {
            *self = Nway::Participant(participant);
        }
    }

    fn on_message(&mut self, call: &Call, from: Call, text: String) {
        let (Ok(settings), Some(message)) = (settings(), Message::decode(&text)) else {
            log(
                Level::Warn,
                &format!("{call}: unknown message {text:?} from {from}"),
            );
            return;
        };
        let next = match self {
            Nway::Party(party) => party.on_message(call, settings, message),
            Nway::Participant(participant) => {
                participant.on_message(call, &from, message);
                None
            }
            Nway::Invitee(invitee) => {
                invitee.on_message(call, message);
                None
            }
            Nway::Entry(_) | Nway::Refused => None,
        };
        if let Some(participant) = next {
            *self = Nway::Participant(participant);
        }
    }

    fn config_problem() -> Option<String> {
        settings().err().map(str::to_owned)
    }
}

switchyard_sdk::call_flow!(Nway, control: admin::Admin);

#[cfg(test)]
mod tests {
    use super::is_one_line;

    #[test]
    fn a_user_with_a_control_character_is_no_number() {
        assert!(is_one_line("102"));
        assert!(is_one_line("*67#é"));
        for user in ["9\nfoo", "9\r", "1\t2", "\u{7f}", "\u{85}"] {
            assert!(!is_one_line(user), "{user:?}");
        }
    }
}
