//! A two-party call through the guest (B2BUA): the caller's call is
//! forwarded to the number it dialled; the holder of the feature codes
//! escalates it into a room with the escalate code (`*0`): the other party
//! goes into a new room, the holder hears dial tone to invite someone. When
//! both sides escalate at once (`holder = "both"`), each takes a room and
//! tells the other to join it; the callee's side then gives way, and
//! follows the caller's side into its room ([`Participant::give_way_to`]).

use crate::caller_id;
use crate::keys::{Codes, TimedKeys};
use crate::message::Message;
use crate::participant::Participant;
use crate::placed::Placed;
use crate::room::{self, Admission, Claim};
use crate::settings::{Holder, RoomScheme, Settings};
use std::time::Duration;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::store::{HostKv, Kv};
use switchyard_sdk::types::{Error, InviteInfo};
use switchyard_sdk::{Call, DialRequest, Event, JoinOptions, TimerId};

/// How long the callee's side waits before it tells the caller's side again
/// that it answered, when the host refused the message (one call into the
/// guest sends only so many): a message the host took may still be dropped,
/// unseen, when too many wait for the caller's side.
const ANSWERED_RETRY: Duration = Duration::from_millis(200);
/// How long a side waits, out of the bridge, for the other side's word that
/// it escalated the call into a room ([`Message::Join`]); then, the word lost,
/// it hangs up, left in no room with nobody to talk to, unless the other
/// side found no room and bridged it again ([`BRIDGED_AGAIN`]).
const JOIN_WAIT: Duration = Duration::from_secs(10);
/// The prefix of the store's keys marking a side as bridged again by the
/// other side, whose escalation found no room (`bridged-again/<call>`), for as
/// long as that bridge holds. The host tells a call nothing when it is
/// bridged, and [`Message::Unlinked`] may be dropped unseen: the side waiting
/// for its room reads the mark before it gives up ([`JOIN_WAIT`]).
const BRIDGED_AGAIN: &str = "bridged-again/";

/// One side of a two-party call.
#[derive(Debug)]
pub struct Party {
    /// The other side.
    peer: Call,
    /// The caller's number: escalated rooms may be numbered after it.
    caller_number: String,
    /// This side's number, as it is listed in a room.
    own_number: String,
    /// The From of the calls this side places inviting, once escalated ("":
    /// the host's own identity).
    own_from: String,
    /// This side may use the feature codes.
    holds_codes: bool,
    /// This side (the callee's) gives way when both sides escalate the call
    /// at once: it follows the other side into the room that side took.
    gives_way: bool,
    /// The callee answered: both sides are up, and the call may be escalated.
    answered: bool,
    /// The callee's side: the timer that tells the caller's side again that
    /// it answered.
    answered_retry: Option<TimerId>,
    /// The other side left the bridge, into a room it escalated the call
    /// into: the timer that ends the wait for its word ([`JOIN_WAIT`]).
    join_wait: Option<TimerId>,
    /// The two sides were bridged again after an escalation that found no
    /// room: the host no longer ends one side's call with the other's, so
    /// this side ends the other's when its own ends. Unset when the other
    /// side leaves the bridge (it hung up, or escalated into a room); the
    /// [`BRIDGED_AGAIN`] mark this side set for the other goes with it.
    unlinked: bool,
    keys: TimedKeys,
}

/// The only code of a two-party call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Escalate;

impl Party {
    /// Forwards the new call to `number`, the number it dialled (its
    /// Request-URI user, decoded: what `directory` lists and the callee is
    /// listed as), `from` the caller ([`caller_id`]; "": the host's own
    /// identity); `None` if it could not be (the call is rejected, with why).
    pub fn forward(
        call: &Call,
        settings: &Settings,
        invite: &InviteInfo,
        number: &str,
        from: String,
    ) -> Option<Party> {
        let Some(uri) = settings.uri_of(number) else {
            let _ = call.reject(404, "No Route To That Number");
            return None;
        };
        let request = DialRequest {
            from: from.clone(),
            context: Placed::Party {
                caller: call.id().to_owned(),
                caller_number: invite.from_user.clone(),
                callee_number: number.to_owned(),
            }
            .encode(),
            ..DialRequest::to(uri)
        };
        match call.forward(&request) {
            Ok(peer) => Some(Party {
                peer,
                caller_number: invite.from_user.clone(),
                own_number: invite.from_user.clone(),
                own_from: from,
                holds_codes: settings.holder != Holder::Callee,
                gives_way: false,
                answered: false,
                answered_retry: None,
                join_wait: None,
                unlinked: false,
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
            own_from: caller_id::of_number(settings, &callee_number),
            own_number: callee_number,
            holds_codes: settings.holder != Holder::Caller,
            gives_way: true,
            answered: false,
            answered_retry: None,
            join_wait: None,
            unlinked: false,
            keys: TimedKeys::default(),
        }
    }

    /// Something happened to this side: a participant when it escalated.
    /// The escalate code counts only once the callee answered: before, the
    /// callee would be put in a room while it rings, and hear nothing once
    /// it answers.
    pub fn on_event(
        &mut self,
        call: &Call,
        settings: &Settings,
        event: Event,
    ) -> Option<Participant> {
        match event {
            // The callee's side: the caller's side learns it from its message.
            Event::Answered => {
                self.answered = true;
                self.tell_answered(call);
            }
            Event::Timer(id) if self.answered_retry == Some(id) => self.tell_answered(call),
            Event::Timer(id) if self.join_wait == Some(id) => {
                self.join_wait = None;
                self.join_wait_ended(call);
            }
            Event::Dtmf(key) if self.holds_codes => {
                let codes = Codes::new([(settings.codes.escalate.clone(), Escalate)]);
                match self
                    .keys
                    .press(call, key, &codes, settings.codes.interdigit)
                {
                    Some(Escalate) if self.answered => return self.escalate(call, settings),
                    Some(Escalate) => log(
                        Level::Info,
                        &format!("{call}: the escalate code before the callee answered: ignored"),
                    ),
                    None => {}
                }
            }
            Event::Timer(id) => {
                self.keys.timed_out(id);
            }
            // The other side escalated (it is in a room now, and says which, or bridges
            // this side again when it found none, and marks it: `BRIDGED_AGAIN`), or its
            // call ended before it heard it was unlinked: then nobody is left to talk to.
            Event::Unbridged => {
                let unlinked = self.end_bridged_again();
                match out_of_bridge(&HostKv, call.id(), unlinked, || self.other_side_is_up()) {
                    OutOfBridge::HangUp => {
                        let _ = call.hangup();
                    }
                    OutOfBridge::WaitForRoom => {
                        self.stop_waiting_for_join(call);
                        self.join_wait = call.start_timer(JOIN_WAIT).ok();
                    }
                }
            }
            Event::Hangup => self.end_with_own_call(),
            _ => {}
        }
        None
    }

    /// The wait for the other side's word of its room is over
    /// ([`JOIN_WAIT`]): this side hangs up, unless it is bridged again.
    fn join_wait_ended(&mut self, call: &Call) {
        match join_wait_over(&HostKv, call.id(), || self.other_side_is_up()) {
            JoinWaitOver::BridgedAgain => {
                log(
                    Level::Info,
                    &format!("{call}: bridged again, the other side's word of it lost"),
                );
                self.unlinked = true;
            }
            JoinWaitOver::OtherSideGone => {
                log(
                    Level::Warn,
                    &format!("{call}: bridged again by the other side, which is gone"),
                );
                let _ = call.hangup();
            }
            JoinWaitOver::Abandoned => {
                log(
                    Level::Warn,
                    &format!("{call}: the other side left the bridge but never said which room"),
                );
                let _ = call.hangup();
            }
        }
    }

    /// Whether the other side's call is still up (the host refuses a
    /// message to one that is gone).
    fn other_side_is_up(&self) -> bool {
        !matches!(
            self.peer.send_message(&Message::Probe.encode()),
            Err(Error::NoSuchCall)
        )
    }

    /// This side's call ended: the other side's ends with it once the host
    /// no longer links them ([`Party::unlinked`]).
    fn end_with_own_call(&mut self) {
        if self.end_bridged_again() {
            let _ = self.peer.hangup();
        }
    }

    /// The two sides are no longer bridged again (see [`Party::unlinked`]):
    /// the mark this side set for the other goes. Whether they were.
    fn end_bridged_again(&mut self) -> bool {
        let unlinked = std::mem::take(&mut self.unlinked);
        if unlinked {
            unmark_bridged_again(&HostKv, self.peer.id());
        }
        unlinked
    }

    /// Tells the caller's side that the callee answered; while the host
    /// refuses the message, again every [`ANSWERED_RETRY`], as without it
    /// the caller's escalate code would never count.
    fn tell_answered(&mut self, call: &Call) {
        self.answered_retry = match self.peer.send_message(&Message::Answered.encode()) {
            // Told, or the caller is gone.
            Ok(()) | Err(Error::NoSuchCall) => None,
            Err(_) => call.start_timer(ANSWERED_RETRY).ok(),
        };
    }

    /// The callee answered (to the caller's side), or the other side
    /// escalated the call: this side goes into the room.
    pub fn on_message(
        &mut self,
        call: &Call,
        settings: &Settings,
        message: Message,
    ) -> Option<Participant> {
        match message {
            Message::Answered => {
                self.answered = true;
                None
            }
            // The other side claimed the room for both: it takes this side.
            Message::Join(room) => self.follow(call, settings, room),
            // Bridged again: the other side found no room.
            Message::Unlinked => {
                self.unlinked = true;
                self.stop_waiting_for_join(call);
                None
            }
            _ => None,
        }
    }

    /// The other side escalated the call into `room`: this side goes into
    /// it, keeping it the escalation's ([`room::follow_escalation`]). Nobody
    /// is left to talk to if it cannot: the other side is out of the bridge.
    fn follow(&mut self, call: &Call, settings: &Settings, room: String) -> Option<Participant> {
        self.stop_waiting_for_join(call);
        let listed = self.escalation_listing(settings);
        let entered = match room::follow_escalation(&self.peer, call, &room, &listed) {
            Claim::Taken => Participant::enter(
                call,
                room.clone(),
                self.own_number.clone(),
                self.own_from.clone(),
                settings.escalated_options,
                Admission::MEMBER,
            ),
            Claim::Busy => Err(("taken by another conference, or locked", "call_failed")),
            Claim::GaveUp => Err(("the host could not put it there", "call_failed")),
        };
        entered
            .inspect_err(|(why, _)| {
                log(
                    Level::Info,
                    &format!("{call}: not let into room {room}: {why}"),
                );
                let _ = call.hangup();
            })
            .ok()
    }

    /// No longer waits for the other side's word of its room ([`JOIN_WAIT`]).
    fn stop_waiting_for_join(&mut self, call: &Call) {
        if let Some(timer) = self.join_wait.take() {
            call.cancel_timer(timer);
        }
    }

    /// The holder escalated: the other side is sent to a new room, and the
    /// holder, out of it, dials someone to invite. With no room to go to,
    /// the two talk on.
    fn escalate(&mut self, call: &Call, settings: &Settings) -> Option<Participant> {
        // Pressing the code shows this side in a bridge: no word of a room is
        // awaited, and the wait must not end it while it claims one itself.
        self.stop_waiting_for_join(call);
        let listed = self.escalation_listing(settings);
        let found = claim_keeping_mark(&HostKv, self.peer.id(), self.unlinked, || {
            escalation_room(call, &listed, settings, &self.caller_number)
        });
        let Some(room) = found else {
            // A room it tried to claim took it out of the bridge, and out of
            // the link that ended each side's call with the other's.
            let told = call.bridge(&self.peer).is_ok() && self.tell_bridged_again();
            if !told {
                // The other side ended meanwhile: nobody is left to talk to.
                log(
                    Level::Info,
                    &format!("{call}: the other side left while escalating"),
                );
                let _ = call.hangup();
                return None;
            }
            self.unlinked = true;
            log(Level::Warn, &format!("{call}: no free room to escalate to"));
            let _ = call.play(&["conference_full"]);
            return None;
        };
        log(Level::Info, &format!("{call}: escalated into room {room}"));
        let mut holder = Participant::dialing(
            call,
            settings,
            room.clone(),
            self.own_number.clone(),
            self.own_from.clone(),
            settings.escalated_options,
        );
        // Its mark holds its place now: out of the room it claimed, before the
        // other side joins it.
        let _ = call.leave();
        let _ = self.peer.send_message(&Message::Join(room).encode());
        if self.gives_way {
            holder.give_way_to(self.peer.clone());
        }
        Some(holder)
    }

    /// How this side is listed in the room an escalation puts it in.
    fn escalation_listing(&self, settings: &Settings) -> JoinOptions {
        JoinOptions {
            number: self.own_number.clone(),
            reason: "escalating".to_owned(),
            participant_id: settings.escalated_options.to_string(),
        }
    }

    /// Tells the other side, bridged again after an escalation that found
    /// no room, that it is: by the store, which keeps it until this bridge
    /// ends ([`mark_bridged_again`]), and by [`Message::Unlinked`], which may
    /// be dropped. False if the other side is gone.
    fn tell_bridged_again(&self) -> bool {
        mark_bridged_again(&HostKv, self.peer.id());
        let gone = matches!(
            self.peer.send_message(&Message::Unlinked.encode()),
            Err(Error::NoSuchCall)
        );
        if gone {
            unmark_bridged_again(&HostKv, self.peer.id());
        }
        !gone
    }
}

/// The room `claim` finds for an escalation by the holder of a call whose
/// other side, `peer`, it had bridged again (`bridged_again`) or not. The
/// mark of `peer` in `store` ([`mark_bridged_again`]) holds while the claims
/// run: until the holder is out of the bridge for a room, the other side,
/// the word of its bridge lost, may end its wait for a room ([`JOIN_WAIT`])
/// and must read it. It goes once a room is found; with none, the holder
/// bridges the other side again, and it stays.
fn claim_keeping_mark(
    store: &impl Kv,
    peer: &str,
    bridged_again: bool,
    claim: impl FnOnce() -> Option<String>,
) -> Option<String> {
    let room = claim();
    if bridged_again && room.is_some() {
        unmark_bridged_again(store, peer);
    }
    room
}

/// What a side does once out of the bridge ([`Event::Unbridged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutOfBridge {
    /// It waits for the other side's word of its room ([`JOIN_WAIT`]).
    WaitForRoom,
    /// It hangs up: the other side, which had bridged it again, is gone.
    HangUp,
}

/// What `call`, out of the bridge, does: bridged again by the other side
/// (`unlinked`, see [`Party::unlinked`]), it asks `other_side_is_up`, and
/// takes its mark in `store` back ([`mark_bridged_again`]) if the other
/// side is gone, as one whose instance stopped short (a trap) leaves it.
fn out_of_bridge(
    store: &impl Kv,
    call: &str,
    unlinked: bool,
    other_side_is_up: impl FnOnce() -> bool,
) -> OutOfBridge {
    if !unlinked || other_side_is_up() {
        return OutOfBridge::WaitForRoom;
    }
    unmark_bridged_again(store, call);
    OutOfBridge::HangUp
}

/// How a side's wait for the other side's word of its room ends
/// ([`JOIN_WAIT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JoinWaitOver {
    /// The other side found no room and bridged it again: the two talk on.
    BridgedAgain,
    /// The other side bridged it again, and is gone since: nobody is left
    /// to talk to.
    OtherSideGone,
    /// The word was lost: the side is in no room, with nobody to talk to.
    Abandoned,
}

/// How the wait of `call` for its room ends, as `store` marks it
/// ([`mark_bridged_again`]). A marked side asks `other_side_is_up`: the
/// instance of one gone may have stopped short (a trap) and left the mark,
/// which `call` then takes back.
fn join_wait_over(
    store: &impl Kv,
    call: &str,
    other_side_is_up: impl FnOnce() -> bool,
) -> JoinWaitOver {
    let mark = bridged_again_key(call);
    if store.get(&mark).is_none() {
        return JoinWaitOver::Abandoned;
    }
    if other_side_is_up() {
        return JoinWaitOver::BridgedAgain;
    }
    store.delete(&mark);
    JoinWaitOver::OtherSideGone
}

/// Marks `peer` in `store` as bridged again by the other side of its call,
/// until that bridge ends ([`unmark_bridged_again`]).
fn mark_bridged_again(store: &impl Kv, peer: &str) {
    // Past the store's bounds the mark is lost: `Message::Unlinked` alone tells.
    let _ = store.set(&bridged_again_key(peer), "");
}

/// Takes back [`mark_bridged_again`]'s mark of `peer`.
fn unmark_bridged_again(store: &impl Kv, peer: &str) {
    store.delete(&bridged_again_key(peer));
}

/// The store's key marking `call` as bridged again ([`BRIDGED_AGAIN`]).
fn bridged_again_key(call: &str) -> String {
    format!("{BRIDGED_AGAIN}{call}")
}

/// The room an escalated call moves to, claimed for it by its `holder`,
/// listed as `listed` (see [`room::claim_adhoc`]; the holder is left in
/// it). With `room_scheme = "offset"` the caller's room is only preferred:
/// one held by a conference, or one with a profile, gives way to the first
/// free room. Rooms with a profile are never taken. Escalated rooms whose
/// conference ended unnoticed are let go first
/// ([`room::release_stale_adhoc`]).
fn escalation_room(
    holder: &Call,
    listed: &JoinOptions,
    settings: &Settings,
    caller_number: &str,
) -> Option<String> {
    room::release_stale_adhoc(&room::Host);
    let unconfigured = |room: &str| !settings.rooms.contains_key(room);
    let claim = |room: &str| room::claim_adhoc(holder, room, listed);
    let preferred = match settings.room_scheme {
        RoomScheme::Offset(offset) => plain_number(caller_number)
            .and_then(|n| offset.checked_add(n))
            .map(|room| room.to_string()),
        RoomScheme::FirstFree => None,
    };
    // A room not open is vacant: the claim opens it.
    let preferred = preferred.filter(|room| unconfigured(room) && room::is_vacant(room));
    match preferred.map(|room| (claim(&room), room)) {
        Some((Claim::Taken, room)) => Some(room),
        Some((Claim::GaveUp, _)) => None,
        _ => room::first_free(&room::Host, settings.free_rooms, unconfigured, claim),
    }
}

/// `number` as a whole number if it is written as one plainly: digits only,
/// without a leading zero (so "0100" and "+100" are no number, and no two
/// numbers give one room).
fn plain_number(number: &str) -> Option<u64> {
    let plain = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && (number == "0" || !number.starts_with('0'));
    plain.then(|| number.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_sdk::store::MemoryKv;

    /// The other side's call is still up.
    fn up() -> bool {
        true
    }

    /// An unmarked side never asks: its wait ends in a hang-up anyway.
    fn never_asked() -> bool {
        unreachable!("whether the other side is up is asked of a marked side only")
    }

    #[test]
    fn a_side_bridged_again_talks_on_though_the_word_of_it_was_lost() {
        let store = MemoryKv::default();
        assert_eq!(
            join_wait_over(&store, "b", never_asked),
            JoinWaitOver::Abandoned
        );
        // The holder `h` found no room and bridged `b` again; its message is lost.
        mark_bridged_again(&store, "b");
        assert_eq!(join_wait_over(&store, "b", up), JoinWaitOver::BridgedAgain);
        assert_eq!(
            join_wait_over(&store, "h", never_asked),
            JoinWaitOver::Abandoned,
            "only the side bridged again is marked"
        );
        // The holder escalates again, into a room.
        let room = claim_keeping_mark(&store, "b", true, || Some("9000".to_owned()));
        assert_eq!(room.as_deref(), Some("9000"));
        assert_eq!(
            join_wait_over(&store, "b", never_asked),
            JoinWaitOver::Abandoned
        );
    }

    #[test]
    fn a_side_bridged_again_reads_its_mark_while_the_holder_claims_rooms_again() {
        let store = MemoryKv::default();
        mark_bridged_again(&store, "b");
        // `b`'s first wait, its word of the bridge lost, ends while the
        // holder, still bridged with it, claims rooms.
        let ended_meanwhile = || {
            assert_eq!(join_wait_over(&store, "b", up), JoinWaitOver::BridgedAgain);
            None
        };
        assert_eq!(claim_keeping_mark(&store, "b", true, ended_meanwhile), None);
        // None found: the holder bridges `b` again, and the mark stays.
        assert_eq!(join_wait_over(&store, "b", up), JoinWaitOver::BridgedAgain);
    }

    #[test]
    fn a_mark_left_by_a_holder_gone_unseen_is_taken_back_and_its_side_hangs_up() {
        let store = MemoryKv::default();
        // The holder bridged `b` again, then its instance trapped: nobody
        // took the mark back.
        mark_bridged_again(&store, "b");
        let gone = || false;
        assert_eq!(
            join_wait_over(&store, "b", gone),
            JoinWaitOver::OtherSideGone
        );
        assert_eq!(store.get(&bridged_again_key("b")), None, "mark taken back");
    }

    #[test]
    fn a_side_bridged_again_takes_its_mark_back_when_the_other_side_is_gone() {
        let store = MemoryKv::default();
        mark_bridged_again(&store, "b");
        // The holder escalates again: `b` waits for its room, marked until
        // the holder is in one.
        assert_eq!(
            out_of_bridge(&store, "b", true, up),
            OutOfBridge::WaitForRoom
        );
        assert_eq!(join_wait_over(&store, "b", up), JoinWaitOver::BridgedAgain);
        // The holder's call ended, its instance stopped short of its hang-up.
        assert_eq!(
            out_of_bridge(&store, "b", true, || false),
            OutOfBridge::HangUp
        );
        assert_eq!(store.get(&bridged_again_key("b")), None, "mark taken back");
        // Not bridged again: it waits, asking nothing.
        assert_eq!(
            out_of_bridge(&store, "c", false, never_asked),
            OutOfBridge::WaitForRoom
        );
    }

    #[test]
    fn only_plain_numbers_name_a_room() {
        assert_eq!(plain_number("100"), Some(100));
        assert_eq!(plain_number("0"), Some(0));
        for number in [
            "",
            "+100",
            "0100",
            "-1",
            "1e3",
            " 100",
            "99999999999999999999999",
        ] {
            assert_eq!(plain_number(number), None, "{number:?}");
        }
    }
}
