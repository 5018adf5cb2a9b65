//! A caller entering a conference: the room (dialled, typed, or the first
//! empty one), its pin, a new room's pin, and the room's admission (locked,
//! full) before it joins. Rooms made by escalating a two-party call are no
//! conference one can dial into.

use crate::digits::{Digits, Typing};
use crate::options::Options;
use crate::participant::Participant;
use crate::room::{self, Admission};
use crate::settings::{RoomProfile, Settings};
use std::time::Duration;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::room_name::is_room_name;
use switchyard_sdk::types::Error;
use switchyard_sdk::{Call, Event, JoinOptions};

/// The longest wait for each key of a room number or pin.
const KEY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a room number is asked for before the caller is hung up
/// (MeetMe's three).
const ROOM_ATTEMPTS: u32 = 3;

/// Who calls into a conference.
#[derive(Debug)]
pub struct Caller {
    /// Its number (the From user).
    pub number: String,
    /// Its number is vouched for ([`Settings::vouches_for`]): the room's
    /// `callers` options for it apply.
    pub vouched: bool,
    /// The From of the calls it places inviting, once in ([`crate::caller_id`]).
    pub from: String,
    /// Who its wrong pins count against, across calls (see
    /// [`SourceGuard::counted_as`](switchyard_sdk::source_limit::SourceGuard::counted_as)).
    pub source: String,
}

/// A caller on its way into a room.
#[derive(Debug)]
pub struct Entry {
    caller: Caller,
    /// Room numbers typed that led nowhere (nothing typed included).
    room_tries: u32,
    /// The room it picked, which it holds, listed [`room::ENTERING`], until
    /// it joins it as a participant or lets it go ([`Entry::let_go`]).
    held: Option<String>,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    /// Typing the room number.
    Room(Digits),
    /// Typing the room's pin; `tries` wrong ones so far.
    Pin {
        room: String,
        profile: RoomProfile,
        pin: String,
        digits: Digits,
        tries: u32,
    },
    /// The first caller of a room typing a pin for it (`#` for none);
    /// `tries` entries abandoned so far.
    NewPin {
        room: String,
        profile: RoomProfile,
        digits: Digits,
        tries: u32,
    },
    /// Hearing why it is refused; hung up when the prompt ends.
    Refused,
}

/// Where an entry went.
enum Next {
    Stay(Stage),
    Enter(Participant),
}

/// How a conference call begins.
pub enum Start {
    /// It was rejected (an unknown room, no empty room, no answer possible).
    Rejected,
    /// It is asked for a room number or pin, or hears why it is refused.
    Entering(Entry),
    /// It went straight into its room.
    Entered(Participant),
}

impl Entry {
    /// `caller` dialled the conference access with `room` ("": none). A
    /// source with too many wrong pins of late is refused with 403; a call
    /// the host cannot answer, with 503 ([`answer_or_reject`]).
    pub fn start(call: &Call, settings: &Settings, room: &str, caller: Caller) -> Start {
        let source = &caller.source;
        if settings.source_guard.is_blocked(source) {
            log(
                Level::Info,
                &format!("call from {source}: too many wrong pins from there; 403"),
            );
            let _ = call.reject(403, "Too Many Wrong Pins");
            return Start::Rejected;
        }
        let picking = settings.conference_options;
        let picked = room.is_empty() && (picking.pick_empty || picking.pick_empty_without_pin);
        let room = match room {
            "" if picked => {
                let free = pick_room(&room::Host, settings, call.id(), &caller.number);
                let Some(free) = free else {
                    let _ = call.reject(486, "No Empty Conference");
                    return Start::Rejected;
                };
                Some(free)
            }
            "" => None,
            room => Some(room.to_owned()),
        };
        if let Some(room) = &room
            && !may_dial_into(settings, room)
        {
            let _ = call.reject(404, "No Such Conference");
            return Start::Rejected;
        }
        let mut entry = Entry {
            caller,
            room_tries: 0,
            held: room.clone().filter(|_| picked),
            stage: Stage::Refused,
        };
        if let Err(e) = answer_or_let_go(&room::Host, call, &mut entry.held) {
            log(
                Level::Warn,
                &format!("{call}: cannot be answered: {e:?}; 503"),
            );
            return Start::Rejected;
        }
        // It holds the room it picked while it types a pin, hearing nobody and heard by
        // nobody; joining as a participant unmutes it.
        if picked && let Err(e) = call.set_muted(true).and_then(|()| call.set_deaf(true)) {
            log(
                Level::Warn,
                &format!("{call}: cannot hold its room muted and deaf: {e:?}"),
            );
            entry.stage = entry.refuse(call, &["call_failed"]);
            return Start::Entering(entry);
        }
        let Some(room) = room else {
            entry.stage = Stage::Room(Digits::after_prompts(
                call,
                &["enter_conference_number"],
                KEY_TIMEOUT,
            ));
            return Start::Entering(entry);
        };
        match entry.admit(call, settings, room) {
            Next::Stay(stage) => {
                entry.stage = stage;
                Start::Entering(entry)
            }
            Next::Enter(participant) => Start::Entered(participant),
        }
    }

    /// Something happened to the caller: a participant once it is in.
    pub fn on_event(
        &mut self,
        call: &Call,
        settings: &Settings,
        event: Event,
    ) -> Option<Participant> {
        let typing = match (&mut self.stage, event) {
            (_, Event::Hangup) => {
                self.let_go(call);
                return None;
            }
            (Stage::Refused, Event::PromptDone) => {
                let _ = call.hangup();
                return None;
            }
            (
                Stage::Room(d) | Stage::Pin { digits: d, .. } | Stage::NewPin { digits: d, .. },
                Event::Dtmf(key),
            ) => {
                if d.is_empty() {
                    let _ = call.stop_playing();
                }
                d.press(call, key)
            }
            (
                Stage::Room(d) | Stage::Pin { digits: d, .. } | Stage::NewPin { digits: d, .. },
                Event::Timer(id),
            ) => d.timed_out(id)?,
            (
                Stage::Room(d) | Stage::Pin { digits: d, .. } | Stage::NewPin { digits: d, .. },
                Event::PromptDone,
            ) => {
                d.prompt_done(call);
                return None;
            }
            _ => return None,
        };
        if typing == Typing::More {
            return None;
        }
        let stage = std::mem::replace(&mut self.stage, Stage::Refused);
        match self.typed(call, settings, stage, typing) {
            Next::Stay(stage) => {
                self.stage = stage;
                None
            }
            Next::Enter(participant) => Some(participant),
        }
    }

    /// A number or pin was typed (or abandoned) in `stage`. A room number or
    /// pin is what was typed by `#` or the time-out; a new pin only what `#`
    /// ended (alone: none), as a pin set by mistake would lock everyone out.
    /// Too many keys are a wrong number or pin, and no new pin.
    fn typed(&mut self, call: &Call, settings: &Settings, stage: Stage, typing: Typing) -> Next {
        // Too many keys name no room and match no pin, as no key does; but they are a
        // guess, which counts against the source, where no key is a hesitation.
        let (typed, new_pin, guessed) = match typing {
            Typing::Done(typed) => (typed.clone(), Some(typed.clone()), !typed.is_empty()),
            Typing::TimedOut(typed) => (typed.clone(), None, !typed.is_empty()),
            Typing::TooLong => (String::new(), None, true),
            Typing::More | Typing::Cancelled => (String::new(), None, false),
        };
        match stage {
            Stage::Room(_) if !typed.is_empty() && may_dial_into(settings, &typed) => {
                self.admit(call, settings, typed)
            }
            Stage::Room(_) => {
                // A wrong number counts against the source as a wrong pin does (both are
                // guessed); a caller who typed nothing has only hesitated.
                let locked_out =
                    guessed && settings.source_guard.record_failure(&self.caller.source);
                self.room_tries += 1;
                if locked_out || self.room_tries >= ROOM_ATTEMPTS {
                    return Next::Stay(self.refuse(call, &["wrong_pin_bye"]));
                }
                Next::Stay(Stage::Room(Digits::after_prompts(
                    call,
                    &["enter_conference_number"],
                    KEY_TIMEOUT,
                )))
            }
            Stage::Pin {
                room,
                profile,
                pin,
                tries,
                ..
            } => {
                if typed == pin {
                    return self.check_admission(call, room, profile, Some(&typed));
                }
                // As with room numbers, a caller who typed nothing has only
                // hesitated: it uses up a try, not its source's allowance.
                let locked_out =
                    guessed && settings.source_guard.record_failure(&self.caller.source);
                if locked_out {
                    log(
                        Level::Info,
                        &format!(
                            "{}: too many wrong pins; locked out for now",
                            self.caller.source
                        ),
                    );
                }
                if locked_out || tries + 1 >= settings.pin_attempts {
                    return Next::Stay(self.refuse(call, &["wrong_conference_pin", "goodbye"]));
                }
                Next::Stay(Stage::Pin {
                    room,
                    profile,
                    pin,
                    digits: Digits::after_prompts(
                        call,
                        &["wrong_conference_pin", "enter_conference_pin"],
                        KEY_TIMEOUT,
                    ),
                    tries: tries + 1,
                })
            }
            Stage::NewPin {
                room,
                profile,
                tries,
                ..
            } => {
                // Another first caller may have got in while this one typed: one who
                // set a pin made the room theirs, and its pin is asked.
                if let Some(pin) = room::own_pin(&room) {
                    return ask_pin(call, room, profile, pin);
                }
                let Some(new_pin) = new_pin else {
                    if tries + 1 >= settings.pin_attempts {
                        return Next::Stay(self.refuse(call, &["goodbye"]));
                    }
                    return ask_new_pin(call, room, profile, tries + 1);
                };
                // One who got in without a pin meanwhile has opened the room as it is;
                // of two first callers setting theirs at once, the second is asked the
                // first's pin by the admission check.
                if !room::vacant_but_for(&room, call.id()) {
                    return self.check_admission(call, room, profile, Some(&new_pin));
                }
                let name = room.clone();
                let entered = room::enter_with_own_pin(&name, call.id(), &new_pin, || {
                    self.check_admission(call, room, profile, Some(&new_pin))
                });
                entered.unwrap_or_else(|e| {
                    log(
                        Level::Warn,
                        &format!(
                            "room {name}: {} cannot set its pin: {e:?}",
                            self.caller.number
                        ),
                    );
                    Next::Stay(self.refuse(call, &["call_failed"]))
                })
            }
            Stage::Refused => Next::Stay(Stage::Refused),
        }
    }

    /// The room is known: its pin is asked, or a new pin, or it is entered.
    fn admit(&mut self, call: &Call, settings: &Settings, room: String) -> Next {
        let Some(profile) = settings.profile(&room) else {
            return Next::Stay(self.refuse(call, &["wrong_pin_bye"]));
        };
        let options = self.options_in(&profile);
        // A caller that picked the room is in it already.
        let vacant = room::vacant_but_for(&room, call.id());
        if vacant {
            // A lock, pin or keep left with a vacant room (the host restarted)
            // belongs to a conference that is over.
            room::forget_conference(&room::Host, &room, call.id());
        }
        if let Some(pin) = profile.pin.clone().or_else(|| room::own_pin(&room)) {
            return ask_pin(call, room, profile, pin);
        }
        if options.ask_new_pin && vacant {
            return ask_new_pin(call, room, profile, 0);
        }
        self.check_admission(call, room, profile, None)
    }

    /// Lets the caller, who typed `typed_pin` (if any), in unless the room
    /// is locked (admins pass) or full, as the room judges it once the caller
    /// joined ([`room::join`]). As the caller may have been
    /// typing for a while, what may have changed meanwhile is judged again: a
    /// room escalated meanwhile is no conference to enter, and a pin set
    /// meanwhile is asked.
    fn check_admission(
        &mut self,
        call: &Call,
        room: String,
        profile: RoomProfile,
        typed_pin: Option<&str>,
    ) -> Next {
        if room::is_adhoc(&room) {
            log(
                Level::Info,
                &format!(
                    "room {room}: {} refused: an escalated call took it",
                    self.caller.number
                ),
            );
            return Next::Stay(self.refuse(call, &["conference_locked"]));
        }
        if let Some(pin) = profile.pin.clone().or_else(|| room::own_pin(&room))
            && typed_pin != Some(pin.as_str())
        {
            return ask_pin(call, room, profile, pin);
        }
        let options = self.options_in(&profile);
        let admission = Admission {
            max_members: profile.max_members,
            admin: options.admin,
            holds_room: self.held.is_some(),
            dials_in: true,
        };
        let number = &self.caller.number;
        let entered = Participant::enter(
            call,
            room.clone(),
            number.clone(),
            self.caller.from.clone(),
            options,
            admission,
        );
        match entered {
            Ok(participant) => Next::Enter(participant),
            Err((why, prompt)) => {
                log(
                    Level::Info,
                    &format!("room {room}: {number} refused: {why}"),
                );
                Next::Stay(self.refuse(call, &[prompt]))
            }
        }
    }

    /// Plays why the caller is refused, out of a room it picked
    /// ([`Entry::let_go`]); it is hung up when the prompts end. Its stage now.
    fn refuse(&mut self, call: &Call, prompts: &[&str]) -> Stage {
        self.let_go(call);
        if call.play(prompts).is_err() {
            let _ = call.hangup();
        }
        Stage::Refused
    }

    /// The caller refused, or gone, lets the room it picked go: its
    /// conference ends if nobody else keeps it going, as when its last
    /// member leaves ([`room::end_if_vacant_but_for`]), since a lock, pin or
    /// recording left there by one who came and went meanwhile belongs to
    /// nobody now.
    fn let_go(&mut self, call: &Call) {
        let_go_of(&room::Host, call.id(), &mut self.held);
    }

    /// The caller's options in a room of `profile`: with those `callers`
    /// gives its number only if its number is vouched for.
    fn options_in(&self, profile: &RoomProfile) -> Options {
        if self.caller.vouched {
            profile.options_of(&self.caller.number)
        } else {
            profile.options
        }
    }
}

/// [`Entry::let_go`] as `host` has it: `call` lets go of the room it
/// holds, `held` (none afterwards).
fn let_go_of(host: &impl room::RoomHost, call: &str, held: &mut Option<String>) {
    if let Some(room) = held.take() {
        host.leave(call);
        room::end_if_vacant_but_for_in(host, &room, call);
    }
}

/// What answering a caller asks of the host: the host itself ([`Call`]), or
/// a native test's stand-in.
trait Answering {
    /// The call's id.
    fn id(&self) -> &str;
    /// Answers the call (200 OK).
    fn answer(&self) -> Result<(), Error>;
    /// Rejects the unanswered call with `code` and `reason`.
    fn reject(&self, code: u16, reason: &str) -> Result<(), Error>;
}

impl Answering for Call {
    fn id(&self) -> &str {
        Call::id(self)
    }

    fn answer(&self) -> Result<(), Error> {
        Call::answer(self)
    }

    fn reject(&self, code: u16, reason: &str) -> Result<(), Error> {
        Call::reject(self, code, reason)
    }
}

/// Answers `call`. One the host cannot answer (no media port is left for
/// it) is rejected with 503 instead: it must enter no room, where the room
/// would hear it join and its rejection would then count as its leaving.
/// The host's error if it could not answer.
fn answer_or_reject(call: &impl Answering) -> Result<(), Error> {
    call.answer().inspect_err(|_| {
        let _ = call.reject(503, "Cannot Answer Now");
    })
}

/// Answers `call` ([`answer_or_reject`]); one that cannot be answered lets
/// go of the room it picked and holds, `held`, in `host` ([`let_go_of`]).
fn answer_or_let_go(
    host: &impl room::RoomHost,
    call: &impl Answering,
    held: &mut Option<String>,
) -> Result<(), Error> {
    answer_or_reject(call).inspect_err(|_| let_go_of(host, call.id(), held))
}

/// The first empty room of the free rooms that a caller asking for one may
/// be given ([`pickable`]), claimed for its `call`, listed as `number`
/// ([`room::claim`]): it is in the room from now on, so that callers
/// picking at once, while every room is open and vacant, get different rooms.
fn pick_room(
    host: &impl room::RoomHost,
    settings: &Settings,
    call: &str,
    number: &str,
) -> Option<String> {
    let without_pin = settings.conference_options.pick_empty_without_pin;
    let listed = JoinOptions {
        number: number.to_owned(),
        reason: room::ENTERING.to_owned(),
        participant_id: String::new(),
    };
    room::first_free(
        host,
        settings.free_rooms,
        |room| pickable(host, settings, room, without_pin),
        |room| room::claim(host, call, room, &listed),
    )
}

/// Whether a caller asking for an empty room may be given `room`: it has a
/// profile (with dynamic rooms off, only a room with its own has one), is
/// no room made by escalating a two-party call, and, `without_pin`, has no
/// pin. The profile is read first: it costs no call into the host.
fn pickable(
    host: &impl room::RoomHost,
    settings: &Settings,
    room: &str,
    without_pin: bool,
) -> bool {
    settings
        .profile(room)
        .is_some_and(|p| !without_pin || p.pin.is_none() && room::own_pin_in(host, room).is_none())
        && !room::is_adhoc_in(host, room)
}

/// Whether callers may dial into `room`: the host takes it as a room name
/// ([`is_room_name`]), it has a profile, and is no room made by
/// escalating a two-party call.
fn may_dial_into(settings: &Settings, room: &str) -> bool {
    is_room_name(room) && settings.profile(room).is_some() && !room::is_adhoc(room)
}

/// Asks the caller for `pin`, the pin of `room`.
fn ask_pin(call: &Call, room: String, profile: RoomProfile, pin: String) -> Next {
    Next::Stay(Stage::Pin {
        room,
        profile,
        pin,
        digits: Digits::after_prompts(call, &["enter_conference_pin"], KEY_TIMEOUT),
        tries: 0,
    })
}

/// Asks the first caller of `room` for a pin for it, after `tries` entries
/// it abandoned (`*` or the time-out).
fn ask_new_pin(call: &Call, room: String, profile: RoomProfile, tries: u32) -> Next {
    Next::Stay(Stage::NewPin {
        room,
        profile,
        digits: Digits::after_prompts(call, &["enter_new_pin"], KEY_TIMEOUT),
        tries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::fake::FakeHost;
    use std::cell::RefCell;

    /// A call whose answer comes out as `answer`, and the rejections it got.
    struct FakeCall {
        answer: Result<(), Error>,
        rejected: RefCell<Vec<u16>>,
    }

    impl FakeCall {
        /// A call the host cannot answer.
        fn unanswerable() -> Self {
            FakeCall {
                answer: Err(Error::WrongState("no RTP port: all taken".into())),
                rejected: RefCell::default(),
            }
        }
    }

    impl Answering for FakeCall {
        fn id(&self) -> &str {
            "c1"
        }

        fn answer(&self) -> Result<(), Error> {
            self.answer.clone()
        }

        fn reject(&self, code: u16, _: &str) -> Result<(), Error> {
            self.rejected.borrow_mut().push(code);
            Ok(())
        }
    }

    #[test]
    fn a_caller_that_cannot_be_answered_is_rejected_and_goes_no_further() {
        let unanswered = FakeCall::unanswerable();
        let outcome = answer_or_reject(&unanswered);
        assert!(matches!(outcome, Err(Error::WrongState(_))), "{outcome:?}");
        assert_eq!(*unanswered.rejected.borrow(), [503]);
        let answered = FakeCall {
            answer: Ok(()),
            rejected: RefCell::default(),
        };
        assert!(answer_or_reject(&answered).is_ok());
        assert!(answered.rejected.borrow().is_empty());
    }

    /// Settings whose callers pick an empty room of 9000..=9002, and set
    /// its pin.
    fn picking() -> Settings {
        let table = [
            ("conference_options", "eD"),
            ("room_first", "9000"),
            ("room_last", "9002"),
        ];
        Settings::load(|key| {
            let value = table.iter().find(|(k, _)| *k == key);
            value.map(|(_, v)| (*v).to_owned())
        })
        .unwrap()
    }

    #[test]
    fn a_caller_that_cannot_be_answered_lets_the_room_it_picked_go() {
        let host = FakeHost::default();
        let mut held = pick_room(&host, &picking(), "c1", "100");
        assert_eq!(held.as_deref(), Some("9000"));
        // Nobody else came into it.
        host.vacant.borrow_mut().insert("9000".into());
        let unanswered = FakeCall::unanswerable();
        let outcome = answer_or_let_go(&host, &unanswered, &mut held);
        assert!(matches!(outcome, Err(Error::WrongState(_))), "{outcome:?}");
        assert_eq!(*unanswered.rejected.borrow(), [503]);
        assert_eq!(held, None);
        assert!(host.listed.borrow()["9000"].is_empty(), "out of the room");
        assert_eq!(*host.silenced.borrow(), ["9000"], "its conference ended");
    }

    #[test]
    fn callers_picking_an_empty_room_at_once_get_different_rooms() {
        let settings = picking();
        // Every room of the range is open, and empty until it expires.
        let rooms = || (9000..=9002).map(|n| n.to_string());
        let host = FakeHost::with_rooms(rooms());
        host.vacant.borrow_mut().extend(rooms());
        let first = pick_room(&host, &settings, "c1", "100");
        let second = pick_room(&host, &settings, "c2", "200");
        assert_eq!(first.as_deref(), Some("9000"));
        assert_eq!(
            second.as_deref(),
            Some("9001"),
            "the first caller holds 9000"
        );
        assert_eq!(host.listed.borrow()["9000"], ["c1"]);
        assert_eq!(host.listed.borrow()["9001"], ["c2"]);
    }

    #[test]
    fn only_rooms_with_a_profile_are_looked_up_for_an_empty_one() {
        let table = [
            ("dynamic_rooms", "false"),
            ("rooms", r#"{ "9500" = { options = "q" } }"#),
        ];
        let settings = Settings::load(|key| {
            let value = table.iter().find(|(k, _)| *k == key);
            value.map(|(_, v)| (*v).to_owned())
        })
        .unwrap();
        let host = FakeHost::with_rooms((9000..=9999).map(|n| n.to_string()));
        let pickable: Vec<u64> = (9000..=9999)
            .filter(|n| pickable(&host, &settings, &n.to_string(), false))
            .collect();
        assert_eq!(pickable, [9500]);
        assert_eq!(host.calls.get(), 1, "one room looked up");
    }
}
