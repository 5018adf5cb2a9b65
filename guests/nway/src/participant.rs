//! A participant of a room: what it and the room hear when it joins, its
//! keys in the room (leave, the `*` menu, invite), inviting someone (dial
//! tone, the number, a private talk with the invitee, then join or drop),
//! and what the room hears when it leaves.

use crate::digits::{Digits, Typing};
use crate::invitee;
use crate::keys::{Codes, KICK_LAST_CODE, LEAVE_CODE, LOCK_CODE, MUTE_CODE, TimedKeys};
use crate::message::Message;
use crate::options::Options;
use crate::out;
use crate::placed::Placed;
use crate::room::{self, Admission, Joined, Refusal};
use crate::settings::Settings;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::{Error, ParticipantInfo, TalkState};
use switchyard_sdk::{Call, DialRequest, Event, JoinOptions, TimerId, dial, rooms};

/// A call in a room, or out of it for a while to invite someone.
#[derive(Debug)]
pub struct Participant {
    room: String,
    number: String,
    /// The From of the calls it places inviting ("": the host's own identity).
    from: String,
    options: Options,
    muted: bool,
    /// An admin muted it: only an admin unmutes it, and it stays muted
    /// through a wait for a marked user and a return to the room.
    admin_muted: bool,
    /// It is in the room's list (joined and not left to invite).
    joined: bool,
    /// The room heard it join since it last came in (a wait for a marked
    /// user holds the announcement until it is let in, once).
    greeted: bool,
    /// Alone with option `M`, it hears `only_person` first: the room's music
    /// starts when the prompt ends, if it is still alone. The room's meta
    /// says so too ([`room::set_music_waits`]).
    music_after_prompt: bool,
    /// While it is out inviting: the timer that renews its mark ([`out::went_out`]).
    renewal: Option<TimerId>,
    /// The other side of the two-party call it escalated, into whose room it
    /// goes if that side escalated the call too.
    gives_way_to: Option<Call>,
    stage: Stage,
    keys: TimedKeys,
}

#[derive(Debug)]
enum Stage {
    /// In the room, deaf and muted, hearing music until a marked user joins.
    Waiting,
    /// In the room.
    InRoom,
    /// Out of the room, typing the number to invite (dial tone until the first key).
    Dialing(Digits),
    /// Out of the room, calling or talking privately with the invitee.
    Consulting {
        /// The invitee's call.
        invitee: Call,
        /// The invitee's options in the room (an admin passes its lock).
        options: Options,
        /// The number it was called at, as the room lists it.
        number: String,
        /// It answered and the two are bridged.
        answered: bool,
    },
    /// Out of the room, which the host locked while it was out: it hears
    /// so, and is hung up when the prompt ends.
    LockedOut,
}

/// The keys of a participant in its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoomKey {
    Leave,
    ToggleMute,
    ToggleLock,
    KickLast,
    Invite,
}

/// The keys of a participant talking privately with its invitee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConsultKey {
    Join,
    Drop,
}

impl Participant {
    /// Puts `call` into `room` as `number` with `options`, if the room's
    /// `admission` takes it; its invitations are `from`
    /// ([`crate::caller_id`]). A call the room refuses is left out of it
    /// again, and hears nothing yet: the refusal says why.
    pub fn enter(
        call: &Call,
        room: String,
        number: String,
        from: String,
        options: Options,
        admission: Admission,
    ) -> Result<Participant, Refusal> {
        let mut participant = Participant::new(room, number, from, options, Stage::InRoom);
        match participant.join(call, admission) {
            Some(refusal) => Err(refusal),
            None => Ok(participant),
        }
    }

    /// A participant of `room` that is out of it, typing a number to invite
    /// (the holder of an escalated two-party call), as [`Participant::enter`].
    pub fn dialing(
        call: &Call,
        settings: &Settings,
        room: String,
        number: String,
        from: String,
        options: Options,
    ) -> Participant {
        let stage = Stage::Dialing(start_dialing(call, settings));
        let mut participant = Participant::new(room, number, from, options, stage);
        participant.go_out(call);
        participant
    }

    /// Both sides of a two-party call may escalate it at once, each into a
    /// room of its own: this side, which escalated it, gives way to `peer`,
    /// the other side, and follows it into its room when it hears of it
    /// ([`Message::Join`]).
    pub fn give_way_to(&mut self, peer: Call) {
        self.gives_way_to = Some(peer);
    }

    /// It is out of the room, inviting: its mark says so, renewed while it
    /// is out and its conference goes on.
    fn go_out(&mut self, call: &Call) {
        out::went_out(&self.room, call.id(), self.options, &self.number);
        self.renewal = if out::is_closed(call.id()) {
            None
        } else {
            call.start_timer(out::MARK_RENEWAL).ok()
        };
    }

    /// It is back: its mark goes.
    fn come_back(&mut self, call: &Call) {
        out::came_back(&self.room, call.id());
        if let Some(timer) = self.renewal.take() {
            call.cancel_timer(timer);
        }
    }

    fn new(
        room: String,
        number: String,
        from: String,
        options: Options,
        stage: Stage,
    ) -> Participant {
        Participant {
            room,
            number,
            from,
            options,
            muted: false,
            admin_muted: false,
            joined: false,
            greeted: false,
            music_after_prompt: false,
            renewal: None,
            gives_way_to: None,
            stage,
            keys: TimedKeys::default(),
        }
    }

    /// Something happened to the call.
    pub fn on_event(&mut self, call: &Call, settings: &Settings, event: Event) {
        match event {
            Event::Dtmf(key) => self.on_key(call, settings, key),
            Event::Timer(id) if self.keys.timed_out(id) => {}
            Event::Timer(id) if self.renewal == Some(id) => self.go_out(call),
            Event::Timer(id) => {
                // Only `#` dials a number: a time-out, after keys or none, goes back.
                if let Stage::Dialing(digits) = &mut self.stage
                    && digits.timed_out(id).is_some()
                {
                    self.dialled(call, settings, Typing::Cancelled);
                }
            }
            Event::PromptDone if matches!(self.stage, Stage::Waiting) => {
                let _ = call.play_looped(&["music_on_hold"]);
            }
            Event::PromptDone if matches!(self.stage, Stage::LockedOut) => {
                let _ = call.hangup();
            }
            Event::PromptDone if matches!(self.stage, Stage::InRoom) && self.music_after_prompt => {
                self.music_if_still_alone(call);
            }
            // A beep (a join code pressed too early) ended: the invitee still rings.
            Event::PromptDone
                if matches!(
                    self.stage,
                    Stage::Consulting {
                        answered: false,
                        ..
                    }
                ) =>
            {
                let _ = call.play_looped(&["ringback"]);
            }
            // The invitee hung up after it answered.
            Event::Unbridged if matches!(self.stage, Stage::Consulting { .. }) => {
                self.back_to_room(call);
            }
            Event::Talk(talk) if self.options.talker_events => self.log_talk(call, talk),
            Event::Hangup => self.left(call),
            _ => {}
        }
    }

    /// Another call's flow, `from`, told this one something. What an
    /// invitee says counts only from the one consulted now: an earlier
    /// one's late failure (its CANCEL waits for a provisional response)
    /// must not end this consultation.
    pub fn on_message(&mut self, call: &Call, from: &Call, message: Message) {
        match (&self.stage, message) {
            (Stage::Waiting, Message::MarkedJoined) => self.stop_waiting(call),
            (Stage::InRoom, Message::MarkedLeft)
                if self.options.waits_for_marked()
                    && !room::marked_present(&self.room, call.id()) =>
            {
                self.start_waiting(call);
            }
            (Stage::Consulting { invitee, .. }, Message::Answered | Message::Failed(_))
                if invitee.id() != from.id() =>
            {
                log(
                    Level::Info,
                    &format!("{call}: {from} is no longer the invitee; its news is dropped"),
                );
            }
            (Stage::Consulting { invitee, .. }, Message::Answered) => {
                let invitee = invitee.clone();
                let _ = call.stop_playing();
                match call.bridge(&invitee) {
                    Ok(()) => {
                        if let Stage::Consulting { answered, .. } = &mut self.stage {
                            *answered = true;
                        }
                    }
                    // It hung up as it answered: nobody to talk to.
                    Err(e) => {
                        log(
                            Level::Info,
                            &format!("{call}: the invitee answered but cannot be talked to: {e:?}"),
                        );
                        let _ = invitee.hangup();
                        self.back_to_room_hearing(call, "call_failed");
                    }
                }
            }
            (Stage::Consulting { .. }, Message::Failed(code)) => {
                log(
                    Level::Info,
                    &format!("{call}: the invitee's call failed ({code})"),
                );
                self.back_to_room_hearing(call, "call_failed");
            }
            (_, Message::Join(room))
                if self
                    .gives_way_to
                    .as_ref()
                    .is_some_and(|peer| peer.id() == from.id()) =>
            {
                self.follow(call, room);
            }
            (_, Message::Moved(room)) => self.moved(call, room),
            (_, Message::AdminMuted(muted)) => self.admin_muted = muted,
            _ => {}
        }
    }

    /// An admin merged the room into `room` and moved the call there, muted,
    /// listen-only and deaf as it was (the admin saw to that): a waiting
    /// participant that finds a marked user there stops waiting, and a
    /// marked user ends the wait of those there. One that left to invite
    /// meanwhile stays out, a member of the new room's conference; one that
    /// came back from inviting before it heard of the merge (the merge saw
    /// it out) is back in the old room, and goes to the new one itself.
    fn moved(&mut self, call: &Call, room: String) {
        if !self.joined {
            // It left to invite as the merge moved it: it stays out, its mark and place in
            // the new room now, and back in its mix only when it comes back (its join
            // then tells a marked user's arrival).
            let old = self.move_out(call, room);
            let _ = call.leave();
            // Its mark kept the old room's conference going through the merge.
            room::end_if_vacant_but_for(&old, "");
            return;
        }
        if !room::present(&room).iter().any(|p| p.call == call.id()) {
            let old = self.rejoin_in(call, room);
            room::end_if_vacant_but_for(&old, call.id());
            return;
        }
        self.room = room;
        if matches!(self.stage, Stage::Waiting) && room::marked_present(&self.room, call.id()) {
            self.stop_waiting(call);
        }
        if self.options.marked {
            tell(&room::others(&self.room, call.id()), &Message::MarkedJoined);
        }
    }

    /// The other side of its two-party call escalated the call too, into
    /// `room`: this side goes there as it is, out inviting or back in the
    /// room, and the conference of the room it took itself, which holds
    /// nobody else, is over.
    fn follow(&mut self, call: &Call, room: String) {
        log(
            Level::Info,
            &format!(
                "{call}: both sides escalated; it follows the other side from room {} to room {room}",
                self.room
            ),
        );
        self.gives_way_to = None;
        let old = if self.joined {
            self.rejoin_in(call, room)
        } else {
            self.move_out(call, room)
        };
        room::end_if_vacant_but_for(&old, call.id());
    }

    /// While it is in its room, its conference moves to `room`: it joins
    /// there as a member. The room it was in.
    fn rejoin_in(&mut self, call: &Call, room: String) -> String {
        let old = std::mem::replace(&mut self.room, room);
        if let Some(refusal) = self.join(call, Admission::MEMBER) {
            self.locked_out(call, refusal);
        }
        old
    }

    /// While it is out, its conference moves to `room`: its mark, and its
    /// invitee's room, go there. The room it was a member of.
    fn move_out(&mut self, call: &Call, room: String) -> String {
        let old = std::mem::replace(&mut self.room, room);
        // Its invitee joins where it comes back to.
        if let Stage::Consulting { invitee, .. } = &self.stage {
            let _ = invitee.send_message(&Message::Moved(self.room.clone()).encode());
        }
        out::moved(&old, &self.room, call.id());
        old
    }

    /// Joins the room, which judges the call by `admission` as it joins
    /// ([`room::join`]): the refusal of one it refused (and that left it
    /// again, or that the host's lock kept out).
    fn join(&mut self, call: &Call, admission: Admission) -> Option<Refusal> {
        let listed = JoinOptions {
            number: self.number.clone(),
            reason: "entered".to_owned(),
            participant_id: self.options.to_string(),
        };
        let counted = match room::join(call, &self.room, &listed, admission) {
            Ok(Joined::In(counted)) => counted,
            Ok(Joined::Refused(refusal)) => return Some(refusal),
            Err(e) => return self.not_joined(call, "join", e),
        };
        // A call the room listed already (a caller holding the room it picked while it
        // typed a pin, muted and deaf) keeps its flags through the join: all are set.
        // Left deaf, it would hear nothing of the conference it is let into.
        if let Err(e) = call.set_deaf(self.options.talk_only) {
            // A call in no room has nothing to leave.
            let _ = call.leave();
            return self.not_joined(call, "set its deafness in", e);
        }
        if let Err(e) = call.set_muted(self.admin_muted) {
            log(
                Level::Warn,
                &format!(
                    "{call}: its mute stays as it was in room {}: {e:?}",
                    self.room
                ),
            );
        }
        self.joined = true;
        self.muted = false;
        if self.options.listen_only {
            let _ = call.set_listen_only(true);
        }
        if self.options.record {
            // The room may be recorded already: then this is refused and it goes on.
            let _ = rooms::start_recording(&self.room, &recording_name(&self.room));
        }
        if self.options.waits_for_marked() && !room::marked_present(&self.room, call.id()) {
            self.start_waiting(call);
            return None;
        }
        self.stage = Stage::InRoom;
        // Company is who was there as it joined (the host's count, which also counts one
        // still typing a pin) and is still there (one that joined since came after it).
        self.greet(call, counted.min(self.company(call)));
        None
    }

    /// The host refused `what` of a join with `error`: the refusal of a call
    /// the host could not put in the room now (it hears so), or none for a
    /// call ending (an invitee its holder dropped, unbridged as it goes,
    /// where nothing went wrong) or one that can never join (hung up).
    fn not_joined(&self, call: &Call, what: &str, error: Error) -> Option<Refusal> {
        let room = &self.room;
        match error {
            Error::WrongState(_) | Error::NoSuchCall => {
                log(
                    Level::Info,
                    &format!("{call}: ended before it joined room {room}"),
                );
            }
            Error::Failed(why) => {
                log(
                    Level::Warn,
                    &format!("{call}: the host could not {what} room {room} now: {why}"),
                );
                return Some(("the host could not take it now", "call_failed"));
            }
            e => {
                log(
                    Level::Error,
                    &format!("{call}: cannot {what} room {room}: {e:?}"),
                );
            }
        }
        let _ = call.hangup();
        None
    }

    /// No marked user is in the room: the participant is unheard and deaf, and hears that it
    /// waits, then music, until one joins. It is unheard as listen-only, and listed muted
    /// only if an admin muted it: the room's mute then tells an admin's mute or unmute
    /// meanwhile, by this guest or the host's API ([`Participant::note_admin_mute`]).
    fn start_waiting(&mut self, call: &Call) {
        self.note_admin_mute(call);
        self.stage = Stage::Waiting;
        // Listen-only first: unmuted before it, a call muted by itself would be heard.
        let _ = call.set_listen_only(true);
        let _ = call.set_muted(self.admin_muted);
        let _ = call.set_deaf(true);
        let _ = call.play(&["wait_for_leader"]);
    }

    /// A marked user joined: the waiting participant hears, and is heard
    /// unless it muted itself meanwhile or an admin muted it (before the wait
    /// or during it); the room hears it join if it did not yet.
    fn stop_waiting(&mut self, call: &Call) {
        let _ = call.stop_playing();
        self.note_admin_mute(call);
        // Muted first: heard for a moment otherwise.
        let _ = call.set_muted(self.muted || self.admin_muted);
        let _ = call.set_listen_only(self.options.listen_only);
        let _ = call.set_deaf(self.options.talk_only);
        self.stage = Stage::InRoom;
        if !self.greeted {
            self.greet(call, self.company(call));
        }
    }

    /// How many are in the room with it ([`room::others`]): neither a caller
    /// still typing the pin of a room it picked, muted and deaf, nor an
    /// invitee still called, is company yet.
    fn company(&self, call: &Call) -> u32 {
        let others = room::others(&self.room, call.id()).len();
        u32::try_from(others).unwrap_or(u32::MAX)
    }

    /// What the participant and the room hear when it joins, with `others`
    /// in the room already.
    fn greet(&mut self, call: &Call, others: u32) {
        self.greeted = true;
        if self.options.marked {
            tell(&room::others(&self.room, call.id()), &Message::MarkedJoined);
        }
        let prompted = self.tell_company(call, others);
        // As MeetMe's conf-onlyperson, the prompt comes before the music: the
        // host would play the call's prompt over its room's mix.
        let alone_with_music = others == 0 && self.options.music_alone;
        self.music_waits_for_prompt(call, alone_with_music && prompted);
        // An announcement replaces the one before: a join sound ends the
        // music the lone participant heard. One alone hears nothing of the
        // room before its music, whatever an earlier conference left there.
        let _ = match (others, self.options.quiet) {
            _ if alone_with_music && !prompted => music_for(&self.room),
            (0, _) | (_, true) => rooms::stop_announcement(&self.room),
            (_, false) => rooms::announce(
                &self.room,
                &[self.sound("join_sound", "participant_joined")],
                false,
            ),
        };
    }

    /// What the participant hears of its company as it joins, with `others`
    /// in the room already: `only_person` when alone (unless option `1`),
    /// else their count with option `c`. Whether it hears `only_person`.
    fn tell_company(&self, call: &Call, others: u32) -> bool {
        match (others, self.options.announce_count) {
            (0, _) if self.options.no_only_person => false,
            (0, _) => call.play(&["only_person"]).is_ok(),
            (_, true) => {
                say_count(call, others + 1);
                false
            }
            (_, false) => false,
        }
    }

    /// Whether the room's music for it, alone, `waits` for its
    /// `only_person` to end. The room's meta says so, as the flow of one
    /// that joins and leaves meanwhile would start the music over the prompt.
    fn music_waits_for_prompt(&mut self, call: &Call, waits: bool) {
        if waits {
            room::set_music_waits(&self.room, call.id());
        } else if self.music_after_prompt {
            room::clear_music_waits(&self.room, call.id());
        }
        self.music_after_prompt = waits;
    }

    /// Its `only_person` prompt ended: the room's music starts if it is
    /// still alone in it.
    fn music_if_still_alone(&mut self, call: &Call) {
        self.music_waits_for_prompt(call, false);
        if self.joined && room::others(&self.room, call.id()).is_empty() {
            let _ = music_for(&self.room);
        }
    }

    /// The call is over: what the room hears (music for one left alone
    /// with option `M`), the room's lock and pin forgotten when its
    /// conference is over (nobody in it, nobody out inviting), or its end
    /// when the last marked user left a room whose participants end with it.
    /// An answered invitee it talked with takes its place, and joins.
    fn left(&mut self, call: &Call) {
        if let Stage::Consulting {
            invitee,
            answered,
            options,
            number,
        } = &self.stage
        {
            if *answered && !out::is_closed(call.id()) {
                self.hand_over(invitee, *options, number);
            } else {
                // Nobody would be there to talk to, or no room to go to.
                let _ = invitee.hangup();
            }
        }
        self.renewal = None;
        out::ended(&self.room, call.id());
        // One out inviting has left the room's mix but not its conference: its leaving
        // counts as anyone's (a marked user's ends an `x` room; the last one ends it all).
        let inviting = matches!(
            self.stage,
            Stage::Dialing(_) | Stage::Consulting { .. } | Stage::LockedOut
        );
        if !self.joined && !inviting {
            return;
        }
        let Some(others) = member_left(&self.room, call.id(), self.options) else {
            return;
        };
        if others.is_empty() {
            // Members out inviting: the conference goes on without anyone in the room.
            room::end_if_vacant_but_for(&self.room, call.id());
        } else if self.joined {
            // One out inviting was heard leaving as it went out.
            let _ = self.announce_leave(&others);
        }
    }

    /// What the room, with `others` left in it, hears as this participant
    /// leaves it, for good or to invite: music for one left alone with
    /// option `M` (unless its flow starts it once its `only_person` ends),
    /// else the drop sound (or words) if the room heard it join and it is
    /// not quiet.
    fn announce_leave(&self, others: &[ParticipantInfo]) -> Result<(), Error> {
        match others {
            [] => Ok(()),
            [alone]
                if room::options_of(alone).music_alone
                    && !room::music_waits_for(&self.room, &alone.call) =>
            {
                music_for(&self.room)
            }
            _ if self.options.quiet || !self.greeted => Ok(()),
            _ => rooms::announce(
                &self.room,
                &[self.sound("drop_sound", "participant_left")],
                false,
            ),
        }
    }

    /// It hangs up talking with its answered `invitee`, which has `options`
    /// in the room and is listed as `number`: the invitee is a member out
    /// until it joins (or is refused, or hangs up), so that the conference is
    /// not over meanwhile.
    fn hand_over(&self, invitee: &Call, options: Options, number: &str) {
        out::went_out(&self.room, invitee.id(), options, number);
        // The invitee may have joined, letting go of a mark it did not have yet,
        // or ended, leaving the mark to nobody (its own flow let go before it
        // was written): the conference would then never be found over.
        let joined = room::present(&self.room)
            .iter()
            .any(|p| p.call == invitee.id());
        if joined {
            out::came_back(&self.room, invitee.id());
        } else if matches!(
            invitee.send_message(&Message::Probe.encode()),
            Err(Error::NoSuchCall)
        ) {
            out::ended(&self.room, invitee.id());
        }
    }

    /// The prompt announcing a join or a leave: the `sound`, or the `words` with option `I`.
    fn sound(&self, sound: &str, words: &str) -> String {
        if self.options.announce_joins {
            words
        } else {
            sound
        }
        .to_owned()
    }

    fn on_key(&mut self, call: &Call, settings: &Settings, key: char) {
        match &mut self.stage {
            Stage::Dialing(digits) => {
                if digits.is_empty() {
                    let _ = call.stop_playing();
                }
                let typing = digits.press(call, key);
                self.dialled(call, settings, typing);
            }
            Stage::Consulting {
                answered, options, ..
            } => {
                let (answered, admin) = (*answered, options.admin);
                let codes = Codes::new(
                    settings
                        .codes
                        .join
                        .iter()
                        .map(|code| (code.clone(), ConsultKey::Join))
                        .chain([(settings.codes.drop.clone(), ConsultKey::Drop)]),
                );
                match self
                    .keys
                    .press(call, key, &codes, settings.codes.interdigit)
                {
                    Some(ConsultKey::Join) if answered => {
                        // The room may have been locked, or filled up, while the two talked.
                        match self.refusal(settings, admin) {
                            Some((why, prompt)) => {
                                log(
                                    Level::Info,
                                    &format!(
                                        "room {}: {call} may not bring its invitee in: {why}",
                                        self.room
                                    ),
                                );
                                let _ = call.play(&[prompt]);
                            }
                            None => {
                                self.back_to_room(call);
                            }
                        }
                    }
                    Some(ConsultKey::Join) => {
                        let _ = call.play(&["beep"]);
                    }
                    Some(ConsultKey::Drop) => {
                        if let Stage::Consulting { invitee, .. } = &self.stage {
                            let _ = invitee.hangup();
                        }
                        self.back_to_room(call);
                    }
                    None => {}
                }
            }
            Stage::LockedOut => {}
            Stage::InRoom | Stage::Waiting => {
                if self.options.pass_dtmf {
                    for other in room::others(&self.room, call.id()) {
                        let _ = Call::new(other.call).send_dtmf(&key.to_string());
                    }
                }
                let codes = self.room_codes(settings);
                if let Some(action) = self
                    .keys
                    .press(call, key, &codes, settings.codes.interdigit)
                {
                    self.room_key(call, settings, action);
                }
            }
        }
    }

    fn room_codes(&self, settings: &Settings) -> Codes<RoomKey> {
        let mut codes = Vec::new();
        if self.options.hash_leaves {
            codes.push((LEAVE_CODE.to_owned(), RoomKey::Leave));
        }
        if self.options.menu {
            codes.push((MUTE_CODE.to_owned(), RoomKey::ToggleMute));
            if self.options.admin {
                codes.push((LOCK_CODE.to_owned(), RoomKey::ToggleLock));
                codes.push((KICK_LAST_CODE.to_owned(), RoomKey::KickLast));
            }
        }
        if self.options.invite && matches!(self.stage, Stage::InRoom) {
            codes.push((settings.codes.invite.clone(), RoomKey::Invite));
        }
        Codes::new(codes)
    }

    fn room_key(&mut self, call: &Call, settings: &Settings, action: RoomKey) {
        match action {
            RoomKey::Leave => {
                let _ = call.hangup();
            }
            RoomKey::ToggleMute => self.toggle_mute(call),
            RoomKey::ToggleLock => {
                let locked = !room::is_locked(&self.room);
                room::set_locked(&self.room, locked);
                let _ = call.play(&[if locked {
                    "conference_locked"
                } else {
                    "conference_unlocked"
                }]);
            }
            RoomKey::KickLast => self.kick_last(call),
            RoomKey::Invite if self.too_many_out(call, settings) => {
                log(
                    Level::Info,
                    &format!(
                        "room {}: {} may not go out inviting: too many members out inviting",
                        self.room, self.number
                    ),
                );
                let _ = call.play(&["call_failed"]);
            }
            RoomKey::Invite => {
                self.note_admin_mute(call);
                // Its mark first, then out: the conference never seems over between the two.
                self.go_out(call);
                let _ = call.leave();
                self.joined = false;
                self.stage = Stage::Dialing(start_dialing(call, settings));
                // The room hears it leave, as it hears it join when it is back.
                let _ = self.announce_leave(&room::others(&self.room, call.id()));
                self.greeted = false;
            }
        }
    }

    /// `*1`: the participant mutes or unmutes itself. One listen-only, or
    /// muted by an admin, cannot: it hears that it is muted. A waiting one
    /// stays muted until a marked user joins, and is then as it chose.
    fn toggle_mute(&mut self, call: &Call) {
        let muted = match self.stage {
            Stage::Waiting => {
                self.note_admin_mute(call);
                self.toggle_mute_once_in()
            }
            _ if self.options.listen_only => true,
            _ => {
                let listed_muted = self.note_admin_mute(call);
                if self.admin_muted {
                    true
                } else {
                    self.muted = !listed_muted;
                    let _ = call.set_muted(self.muted);
                    self.muted
                }
            }
        };
        let _ = call.play(&[if muted { "muted" } else { "unmuted" }]);
    }

    /// `*1` while it waits for a marked user: it chooses whether it is muted
    /// once one joins ([`Participant::stop_waiting`]), unless it is
    /// listen-only or muted by an admin. Whether it will be muted then.
    fn toggle_mute_once_in(&mut self) -> bool {
        if !self.options.listen_only && !self.admin_muted {
            self.muted = !self.muted;
        }
        self.muted || self.admin_muted || self.options.listen_only
    }

    /// Reads whether the room lists the call muted, as it is in the room:
    /// muted there but not by itself, it was muted by an admin (of this guest
    /// or through the host's API), who alone may unmute it; unmuted there, an
    /// admin unmuted it. While it waits its own choice is not set in the room
    /// ([`Participant::start_waiting`]): a mute listed is an admin's. Read
    /// before the call leaves the room, starts waiting or stops, as each sets
    /// the host's mute anew ([`Participant::join`] lists it anew, unmuted).
    /// Whether it is listed muted.
    fn note_admin_mute(&mut self, call: &Call) -> bool {
        let listed_muted = room::present(&self.room)
            .iter()
            .any(|p| p.call == call.id() && p.muted);
        self.judge_admin_mute(listed_muted);
        listed_muted
    }

    /// Notes whether an admin muted it, the room listing it `listed_muted`
    /// ([`Participant::note_admin_mute`]).
    fn judge_admin_mute(&mut self, listed_muted: bool) {
        let own_mute_listed = self.muted && !matches!(self.stage, Stage::Waiting);
        self.admin_muted = listed_muted && (self.admin_muted || !own_mute_listed);
    }

    /// `*3`: an admin kicks the participant that joined last, unless that is
    /// itself or another admin (as MeetMe's menu, which then kicks nobody).
    fn kick_last(&self, call: &Call) {
        let present = room::present(&self.room);
        match present.last() {
            Some(last) if last.call != call.id() && !room::options_of(last).admin => {
                let _ = Call::new(last.call.clone()).kick();
                let _ = call.play(&["beep"]);
            }
            _ => log(
                Level::Info,
                &format!(
                    "room {}: {call} may not kick the last to join: itself or an admin",
                    self.room
                ),
            ),
        }
    }

    /// Why the room would not take this participant's invitee (`admin`: the
    /// invitee is an admin, which passes a lock), if it would not. The
    /// participant, out inviting, keeps its own place.
    fn refusal(&self, settings: &Settings, admin: bool) -> Option<Refusal> {
        let admission = Admission {
            max_members: settings.max_members(&self.room),
            admin,
            holds_room: false,
            dials_in: false,
        };
        room::refusal(&self.room, admission, "")
    }

    /// Whether `max_invites_per_room` members of the room other than this
    /// one are out inviting already.
    fn too_many_out(&self, call: &Call, settings: &Settings) -> bool {
        out::count(&self.room, call.id()) >= settings.max_invites_per_room as usize
    }

    /// The number being dialled ended (or was abandoned). A number
    /// `invite_allow` does not take, a room that is locked, or full with this
    /// participant and the invitee back, or a room with `max_invites_per_room`
    /// members out inviting already, refuses the invitation: the participant
    /// hears why, in the room again, and nobody is called.
    fn dialled(&mut self, call: &Call, settings: &Settings, typing: Typing) {
        let number = match typing {
            Typing::Done(number) if !number.is_empty() => number,
            Typing::More => return,
            _ => {
                self.back_to_room(call);
                return;
            }
        };
        let options = invitee::options(settings, &self.room, &number);
        let refusal = if !settings.invite_allow.is_match(&number) {
            Some(("not allowed", "call_failed"))
        } else if self.too_many_out(call, settings) {
            Some(("too many members out inviting", "call_failed"))
        } else {
            self.refusal(settings, options.admin)
        };
        if let Some((why, prompt)) = refusal {
            log(
                Level::Info,
                &format!(
                    "room {}: {} may not invite {number}: {why}",
                    self.room, self.number
                ),
            );
            return self.back_to_room_hearing(call, prompt);
        }
        let Some(uri) = settings.uri_of(&number) else {
            log(Level::Info, &format!("{call}: no route to {number}"));
            return self.back_to_room_hearing(call, "call_failed");
        };
        let request = DialRequest {
            from: self.from.clone(),
            context: Placed::Invitee {
                holder: call.id().to_owned(),
                room: self.room.clone(),
                number: number.clone(),
            }
            .encode(),
            ..DialRequest::to(uri)
        };
        match dial(&request) {
            Ok(invitee) => {
                let _ = call.play_looped(&["ringback"]);
                self.stage = Stage::Consulting {
                    invitee,
                    options,
                    number,
                    answered: false,
                };
            }
            Err(e) => {
                log(Level::Warn, &format!("{call}: cannot invite: {e:?}"));
                self.back_to_room_hearing(call, "call_failed");
            }
        }
    }

    /// Ends an invitation: the participant is in its room again. (An
    /// answered invitee whose bridge this ends joins the room itself.) If
    /// its conference was closed while it was out, its call ends instead,
    /// and its invitee's; so they do if the host locked the room meanwhile
    /// ([`Participant::locked_out`]). False if it is not back in the room.
    fn back_to_room(&mut self, call: &Call) -> bool {
        let _ = call.stop_playing();
        self.keys.clear();
        if out::is_closed(call.id()) {
            if let Stage::Consulting { invitee, .. } = &self.stage {
                let _ = invitee.hangup();
            }
            closed_while_out(call, &self.room);
            return false;
        }
        // In before its mark goes, so that the conference never seems over meanwhile.
        if let Some(refusal) = self.join(call, Admission::MEMBER) {
            self.locked_out(call, refusal);
            return false;
        }
        self.come_back(call);
        // Closed as it came back: the closing either hung up everyone in the room
        // or marked this call closed first.
        if out::is_closed(call.id()) {
            closed_while_out(call, &self.room);
            return false;
        }
        true
    }

    /// The room would not take the member back (the host's lock, which no
    /// member passes, refused it): it hears why and is hung up, and so is the
    /// invitee it talked with, whom the room would refuse too. It is a member
    /// out until its call ends, and leaves the conference then.
    fn locked_out(&mut self, call: &Call, (why, prompt): Refusal) {
        log(
            Level::Info,
            &format!("room {}: {call} may not come back: {why}", self.room),
        );
        if let Stage::Consulting { invitee, .. } = &self.stage {
            let _ = invitee.hangup();
        }
        self.stage = Stage::LockedOut;
        self.joined = false;
        self.greeted = false;
        if call.play(&[prompt]).is_err() {
            let _ = call.hangup();
        }
    }

    /// [`Participant::back_to_room`], then hears `prompt` (why its invitation
    /// ended) if it is back.
    fn back_to_room_hearing(&mut self, call: &Call, prompt: &str) {
        if self.back_to_room(call) {
            let _ = call.play(&[prompt]);
        }
    }

    fn log_talk(&self, call: &Call, talk: TalkState) {
        let what = if talk.talking {
            format!("talks ({} dBov)", talk.level_dbov)
        } else {
            "stopped talking".to_owned()
        };
        log(Level::Info, &format!("room {}: {call} {what}", self.room));
    }
}

/// Tells each of `participants` (their flows) `message`; those the host would
/// not take it for (past its bound on messages in one call into the guest) are
/// counted in a warning, those whose call is gone need it no more.
fn tell(participants: &[ParticipantInfo], message: &Message) {
    let text = message.encode();
    let untold = participants
        .iter()
        .filter(|participant| {
            Call::new(participant.call.clone())
                .send_message(&text)
                .is_err_and(|e| !matches!(e, Error::NoSuchCall))
        })
        .count();
    if untold > 0 {
        log(
            Level::Warn,
            &format!(
                "{untold} of {} participants not told: {text}",
                participants.len()
            ),
        );
    }
}

/// `call`, a member of `room`'s conference with `options`, left it for good,
/// from the room or from out of it: when it was the last marked user, the
/// room is closed if it or a member staying has option `x`, else those in the
/// room hear that the marked user left ([`Message::MarkedLeft`]). Members
/// out inviting are still of the conference: a marked one keeps it going,
/// and one with `x` has it end with the last marked user. The participants
/// left in the room; `None` when it was closed.
pub fn member_left(room: &str, call: &str, options: Options) -> Option<Vec<ParticipantInfo>> {
    let others = room::others(room, call);
    let staying: Vec<Options> = others
        .iter()
        .map(room::options_of)
        .chain(out::members(room, call).iter().map(|m| m.options))
        .collect();
    let last_marked = options.marked && !staying.iter().any(|o| o.marked);
    if last_marked && (options.end_on_marked_leave || staying.iter().any(|o| o.end_on_marked_leave))
    {
        log(
            Level::Info,
            &format!("room {room}: the last marked user left; closing it"),
        );
        out::close(room);
        return None;
    }
    if last_marked {
        tell(&others, &Message::MarkedLeft);
    }
    Some(others)
}

/// `call`'s conference, in `room`, was closed while it was out inviting:
/// its call ends.
fn closed_while_out(call: &Call, room: &str) {
    log(
        Level::Info,
        &format!("room {room}: closed while {call} was out inviting"),
    );
    let _ = call.hangup();
}

/// Tells a participant with option `c` that `count` are in the room (as
/// MeetMe, only when it has company): "there are", the number in words,
/// "participants". The embedded prompts say `0` to `9`; the words of larger
/// numbers (`10` to `19`, `20` … `90`, `hundred`) are prompts that
/// `media.prompts_dir` may add: without them the host plays nothing of the
/// list, and the number is said digit by digit instead.
fn say_count(call: &Call, count: u32) {
    let said = |number: Vec<String>| {
        let prompts: Vec<&str> = ["there_are"]
            .into_iter()
            .chain(number.iter().map(String::as_str))
            .chain(["participants"])
            .collect();
        call.play(&prompts)
    };
    if let Err(Error::InvalidArgument(_)) = said(number_words(count)) {
        let _ = said(count.to_string().chars().map(String::from).collect());
    }
}

/// The prompts saying `n` in English words: `12` is `["12"]`, `45` is
/// `["40", "5"]`, `305` is `["3", "hundred", "5"]`; from 1000 on, digit by
/// digit.
fn number_words(n: u32) -> Vec<String> {
    match n {
        0..20 => vec![n.to_string()],
        20..100 => {
            let unit = (!n.is_multiple_of(10)).then(|| (n % 10).to_string());
            [(n - n % 10).to_string()].into_iter().chain(unit).collect()
        }
        100..1000 => {
            let rest = (!n.is_multiple_of(100)).then(|| number_words(n % 100));
            [(n / 100).to_string(), "hundred".to_owned()]
                .into_iter()
                .chain(rest.into_iter().flatten())
                .collect()
        }
        _ => n.to_string().chars().map(String::from).collect(),
    }
}

/// Music on hold looped into `room`, for one alone there (option `M`).
fn music_for(room: &str) -> Result<(), Error> {
    rooms::announce(room, &["music_on_hold".into()], true)
}

/// Dial tone, and the keypad waiting for a number.
fn start_dialing(call: &Call, settings: &Settings) -> Digits {
    let _ = call.play_looped(&["dial_tone"]);
    Digits::start(call, settings.codes.dial_timeout)
}

/// A recording's file name: the room and the time, e.g. `nway-9000-1767225600`.
pub fn recording_name(room: &str) -> String {
    format!("nway-{room}-{}", switchyard_sdk::unix_seconds())
}

#[cfg(test)]
mod tests {
    use super::{Options, Participant, Stage, number_words};

    fn waiting(letters: &str) -> Participant {
        let options = Options::parse(letters).unwrap();
        let (room, number) = ("9000".to_owned(), "300".to_owned());
        Participant::new(room, number, String::new(), options, Stage::Waiting)
    }

    #[test]
    fn star_1_while_waiting_tells_whether_it_will_be_muted_once_let_in() {
        let mut choosing = waiting("ws");
        assert!(choosing.toggle_mute_once_in(), "muted as it chose");
        assert!(!choosing.toggle_mute_once_in(), "unmuted as it chose");
        let mut listening = waiting("wsm");
        assert!(listening.toggle_mute_once_in(), "listen-only");
        assert!(
            listening.toggle_mute_once_in(),
            "listen-only, pressed again"
        );
        let mut muted = waiting("ws");
        muted.admin_muted = true;
        assert!(muted.toggle_mute_once_in(), "muted by an admin");
        assert!(
            muted.toggle_mute_once_in(),
            "muted by an admin, pressed again"
        );
        assert!(!muted.muted, "its own choice left as it was");
    }

    #[test]
    fn a_mute_listed_while_it_waits_is_an_admins() {
        let mut waiting = waiting("ws");
        assert!(waiting.toggle_mute_once_in(), "it chose to be muted");
        waiting.judge_admin_mute(true);
        assert!(
            waiting.admin_muted,
            "muted through the host's API meanwhile"
        );
        assert!(waiting.toggle_mute_once_in(), "*1 then says it stays muted");
        waiting.judge_admin_mute(false);
        assert!(!waiting.admin_muted, "unmuted through the host's API");

        let mut in_room = waiting;
        in_room.stage = Stage::InRoom;
        in_room.muted = true;
        in_room.judge_admin_mute(true);
        assert!(
            !in_room.admin_muted,
            "in the room, a mute it chose is its own"
        );
    }

    #[test]
    fn numbers_are_said_in_whole_words() {
        let said = |n| number_words(n).join(" ");
        assert_eq!(said(1), "1");
        assert_eq!(said(10), "10");
        assert_eq!(said(12), "12");
        assert_eq!(said(40), "40");
        assert_eq!(said(45), "40 5");
        assert_eq!(said(300), "3 hundred");
        assert_eq!(said(312), "3 hundred 12");
        assert_eq!(said(1234), "1 2 3 4");
    }
}
