//! Conference rooms and their participant lists.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::call::CallId;
use crate::timers::TimerId;
use switchyard_media::{Prompt, RecordingId};

/// The longest reason a participant is listed with, in bytes: a guest's longer one is
/// refused, a longer one from SIP (a callee's reason phrase) is cut.
pub(crate) const MAX_REASON_BYTES: usize = 256;
/// The longest room name, in characters.
pub const MAX_ROOM_NAME: usize = 64;
/// The longest key of a value kept with a room, in bytes: a key-value store's.
pub const MAX_META_KEY_BYTES: usize = crate::kv::MAX_KEY_BYTES;
/// The longest value kept with a room, in bytes: a key-value store's.
pub const MAX_META_VALUE_BYTES: usize = crate::kv::MAX_VALUE_BYTES;
/// The most values kept with one room.
pub const MAX_META_ENTRIES: usize = 64;
/// The most bytes of keys and values kept with one room together: two of the longest
/// values, so that the rooms a guest can keep open cost the host a bounded share of memory.
pub const MAX_META_BYTES: usize = 2 * MAX_META_VALUE_BYTES;
/// The meta key that keeps a room while it is empty: while its value is not
/// empty the room neither expires nor counts among the empty rooms waiting
/// (`max_empty_rooms`). A guest sets it for a room that must outlive its
/// participants (invitations not yet taken, members out inviting) and clears
/// it (sets "") when that is over; the room's expiry starts then.
pub const KEEP_META_KEY: &str = "keep";

/// What is wrong with `room` as a room name, if anything: it is empty, `.` or `..`,
/// or longer than [`MAX_ROOM_NAME`] characters.
pub fn room_name_problem(room: &str) -> Option<String> {
    if room.is_empty() {
        return Some("a room name must not be empty".to_owned());
    }
    // RFC 3986 §5.2.4: a client removes `.` and `..` segments from a URL path, so
    // /api/v1/rooms/.. would never reach the room.
    if room == "." || room == ".." {
        return Some(format!(
            "a room name must not be {room:?}: no REST path can name such a room"
        ));
    }
    let length = room.chars().count();
    (length > MAX_ROOM_NAME)
        .then(|| format!("a room name must be at most {MAX_ROOM_NAME} characters, not {length}"))
}

/// A participant's state, numbered as SEMS numbers it (0 … 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantStatus {
    /// Not connected.
    Disconnected,
    /// Listed before its call was answered.
    Connecting,
    /// Ringing (outbound calls).
    Ringing,
    /// In the room.
    Connected,
    /// Being hung up.
    Disconnecting,
    /// Its call ended; listed until it expires.
    Finished,
}

/// How a call appears in its room's list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinOptions {
    /// The number shown.
    pub number: String,
    /// The initial reason text, e.g. "direct access: entered".
    pub reason: String,
    /// An application-defined identity ("" if none).
    pub participant_id: String,
}

/// One participant, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantView {
    /// Its call.
    pub call: CallId,
    /// The number shown.
    pub number: String,
    /// Its state.
    pub status: ParticipantStatus,
    /// Why it is in that state: at most 256 bytes.
    pub reason: String,
    /// Muted by `set-muted`.
    pub muted: bool,
    /// An application-defined identity.
    pub participant_id: String,
    /// Listen-only by `set-listen-only`.
    pub listen_only: bool,
    /// Deaf by `set-deaf`: it hears nothing of the room until it leaves it.
    pub deaf: bool,
    /// In a talkspurt now (the media's voice activity detection).
    pub talking: bool,
}

/// A room and its list, in join order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomView {
    /// The room's name.
    pub room: String,
    /// Its participants.
    pub participants: Vec<ParticipantView>,
}

#[derive(Debug)]
pub(crate) struct Participant {
    pub(crate) view: ParticipantView,
    /// The timer that removes it once finished.
    pub(crate) expiry: Option<TimerId>,
}

/// One room. Participants are kept in join order under a sequence number, with
/// an index by call, so every operation costs the same however long the list.
#[derive(Debug, Default)]
pub(crate) struct Room {
    // Boxed: a B-tree node has room for eleven entries, and most rooms hold a
    // few participants, so an inline one would cost a room about 2 KB.
    participants: BTreeMap<u64, Box<Participant>>,
    by_call: HashMap<CallId, u64>,
    next_seq: u64,
    /// Participants not finished.
    live: usize,
    /// Its meta values, shared with the snapshots of [`RoomState`](crate::RoomState) taken
    /// since they last changed: changed through `CallCore::edit_meta` only, which copies
    /// them first while a snapshot still holds them, and counts the rooms kept.
    pub(crate) meta: Arc<BTreeMap<String, String>>,
    pub(crate) predefined: bool,
    /// The timer that deletes it while it is empty.
    pub(crate) expiry: Option<TimerId>,
    /// The recording of its mix, while it is being recorded.
    pub(crate) recording: Option<RecordingId>,
    /// It admits nobody new (participants listed already stay and may rejoin).
    pub(crate) locked: bool,
    /// The prompts looped into it until they are stopped or replaced: played again
    /// whenever the room gets a first member with media on its worker, which plays
    /// nothing into a room without one.
    pub(crate) looped_announcement: Option<Vec<Arc<Prompt>>>,
}

impl Room {
    /// An empty room; a `predefined` one never expires.
    pub(crate) fn new(predefined: bool) -> Room {
        Room {
            predefined,
            ..Room::default()
        }
    }

    /// Whether its meta keeps it while it is empty ([`KEEP_META_KEY`]).
    pub(crate) fn kept(&self) -> bool {
        self.meta.get(KEEP_META_KEY).is_some_and(|v| !v.is_empty())
    }

    /// Adds `call` (not already listed) at the end of the list, `talking` if its
    /// leg is in a talkspurt.
    pub(crate) fn add(
        &mut self,
        call: CallId,
        options: JoinOptions,
        status: ParticipantStatus,
        talking: bool,
    ) {
        self.next_seq += 1;
        self.by_call.insert(call, self.next_seq);
        if status != ParticipantStatus::Finished {
            self.live += 1;
        }
        let view = ParticipantView {
            call,
            number: options.number,
            status,
            reason: options.reason,
            muted: false,
            participant_id: options.participant_id,
            listen_only: false,
            deaf: false,
            talking,
        };
        self.participants
            .insert(self.next_seq, Box::new(Participant { view, expiry: None }));
    }

    /// Lists `call`, listed already, with `options` in place of those it was listed with; its
    /// place in the list, state and flags stay. Nothing happens if it is not listed.
    pub(crate) fn relist(&mut self, call: CallId, options: JoinOptions) {
        if let Some(participant) = self.get_mut(call) {
            let view = &mut participant.view;
            view.number = options.number;
            view.reason = options.reason;
            view.participant_id = options.participant_id;
        }
    }

    /// Removes `call` from the list.
    pub(crate) fn remove(&mut self, call: CallId) -> Option<Box<Participant>> {
        let seq = self.by_call.remove(&call)?;
        let participant = self.participants.remove(&seq)?;
        if participant.view.status != ParticipantStatus::Finished {
            self.live -= 1;
        }
        Some(participant)
    }

    pub(crate) fn get(&self, call: CallId) -> Option<&Participant> {
        let seq = self.by_call.get(&call)?;
        self.participants.get(seq).map(|p| &**p)
    }

    pub(crate) fn get_mut(&mut self, call: CallId) -> Option<&mut Participant> {
        let seq = self.by_call.get(&call)?;
        self.participants.get_mut(seq).map(|p| &mut **p)
    }

    /// Sets the participant's status (and reason, if given, cut to its first
    /// [`MAX_REASON_BYTES`] at a character boundary), keeping the count of live
    /// participants.
    pub(crate) fn set_status(
        &mut self,
        call: CallId,
        status: ParticipantStatus,
        reason: Option<&str>,
    ) {
        let Some(seq) = self.by_call.get(&call) else {
            return;
        };
        let Some(p) = self.participants.get_mut(seq) else {
            return;
        };
        let was_finished = p.view.status == ParticipantStatus::Finished;
        let is_finished = status == ParticipantStatus::Finished;
        match (was_finished, is_finished) {
            (false, true) => self.live -= 1,
            (true, false) => self.live += 1,
            _ => {}
        }
        p.view.status = status;
        if is_finished {
            // Its leg is gone, and with it the talk-stop event it would have sent.
            p.view.talking = false;
        }
        // A callee's reason phrase may be as long as a SIP message allows, and a listing is
        // copied into every listing of its room: it is kept as short as a guest's reason.
        if let Some(reason) = reason {
            reason[..reason.floor_char_boundary(MAX_REASON_BYTES)].clone_into(&mut p.view.reason);
        }
    }

    /// Participants that have not finished.
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Whether nobody is listed.
    pub(crate) fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// How many are listed, finished ones included.
    pub(crate) fn len(&self) -> usize {
        self.participants.len()
    }

    /// The calls listed, finished ones included, in join order.
    pub(crate) fn calls(&self) -> impl Iterator<Item = CallId> + '_ {
        self.participants.values().map(|p| p.view.call)
    }

    pub(crate) fn view(&self, name: &str) -> RoomView {
        RoomView {
            room: name.to_owned(),
            participants: self.participants.values().map(|p| p.view.clone()).collect(),
        }
    }

    /// Takes every participant out, in join order.
    pub(crate) fn drain(&mut self) -> Vec<Participant> {
        self.by_call.clear();
        self.live = 0;
        std::mem::take(&mut self.participants)
            .into_values()
            .map(|p| *p)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(number: &str) -> JoinOptions {
        JoinOptions {
            number: number.to_owned(),
            reason: "entered".to_owned(),
            participant_id: String::new(),
        }
    }

    #[test]
    fn the_list_keeps_join_order_and_counts_live_participants() {
        let mut room = Room::default();
        room.add(
            CallId(3),
            options("carol"),
            ParticipantStatus::Connected,
            false,
        );
        room.add(
            CallId(1),
            options("alice"),
            ParticipantStatus::Connecting,
            false,
        );
        room.add(
            CallId(2),
            options("bob"),
            ParticipantStatus::Connected,
            true,
        );
        assert_eq!(room.live(), 3);
        room.get_mut(CallId(1)).unwrap().view.talking = true;
        room.set_status(CallId(1), ParticipantStatus::Finished, Some("BYE"));
        let long = "\u{e9}".repeat(200);
        room.set_status(CallId(3), ParticipantStatus::Connected, Some(&long));
        assert_eq!(
            room.get(CallId(3)).unwrap().view.reason,
            long[..MAX_REASON_BYTES],
            "a reason is cut to the longest listed"
        );
        assert_eq!(room.live(), 2, "a finished participant is not live");
        assert!(
            !room.get_mut(CallId(1)).unwrap().view.talking,
            "a finished participant talks no more"
        );
        let view = room.view("9");
        let calls: Vec<u64> = view.participants.iter().map(|p| p.call.0).collect();
        assert_eq!(calls, [3, 1, 2], "join order");
        assert_eq!(view.participants[1].reason, "BYE");
        assert!(view.participants[2].talking, "listed talking as its leg is");
        assert!(room.remove(CallId(1)).is_some());
        assert_eq!((room.len(), room.live()), (2, 2));
        assert!(room.remove(CallId(1)).is_none(), "removed once only");
        assert_eq!(room.drain().len(), 2);
        assert!(room.is_empty());
    }

    #[test]
    fn a_room_name_is_1_to_64_characters_and_no_dot_segment() {
        for name in ["1", "...", ".a", "a.", "r".repeat(MAX_ROOM_NAME).as_str()] {
            assert_eq!(room_name_problem(name), None, "{name:?}");
        }
        for name in [".", ".."] {
            let problem = room_name_problem(name).expect("a dot segment is refused");
            assert!(problem.contains("REST path"), "{name:?}: {problem}");
        }
        assert!(room_name_problem("").is_some());
        assert!(room_name_problem(&"r".repeat(MAX_ROOM_NAME + 1)).is_some());
    }
}
