//! Participants invited by `addParticipant` before they call: listed in
//! `roomInfo` (with no call yet) and found by `findParticipant`.
//!
//! Each invitation has its own key in the key-value store,
//! `invited/<set>/<seq>`, holding one `participant_id<TAB>number<TAB>muted`
//! record (see [`crate::fields`]; muted is `1` or `0`). `<set>` names the
//! room's invitations; the room keeps it in its meta under [`META_KEY`], so a
//! room deleted and opened anew starts with none. `<seq>` numbers them in the
//! order they were invited, which the store lists them in. The host has no
//! compare-and-set, and a call taking its invitation runs beside the control
//! functions that add and mute them: so adding, muting or taking one writes
//! its own key only and never rewrites another's, and the room's keep flag
//! is written on its own (see [`sync_keep`]).

use crate::fields;
use switchyard_sdk::store::Kv;
use switchyard_sdk::types::{Error, ParticipantInfo, ParticipantStatus};

/// The room meta key naming the room's set of invitations in the store.
pub const META_KEY: &str = "invitations";
/// The key prefix of every invitation.
const PREFIX: &str = "invited/";
/// The most invitations a room holds (SEMS has no bound): each `roomInfo`
/// reads them all.
pub const MAX_INVITATIONS: u32 = 1000;
/// How many times [`sync_keep`] writes the keep flag at most: each round
/// follows a change another instance made meanwhile.
const MAX_KEEP_ROUNDS: usize = 8;

/// One invited participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invited {
    /// The application's identity of the participant.
    pub participant_id: String,
    /// The number it was invited with.
    pub number: String,
    /// Muted by `mute` (its tag is the empty one `roomInfo` shows), as SEMS
    /// lists it; a call taking the invitation is listed as that call is.
    pub muted: bool,
}

/// A room as the invitations see it; its invitations are in a [`Kv`].
pub trait InvitationRoom {
    /// The participants the room lists now.
    fn participants(&self) -> Vec<ParticipantInfo>;
    /// The name of its set of invitations ([`META_KEY`]), if it has one.
    fn set_name(&self) -> Option<String>;
    /// Gives the room a new, unique set name and returns it.
    fn new_set_name(&self) -> Result<String, Error>;
    /// Whether the room has run out of time.
    fn timed_out(&self) -> bool;
    /// Has the host keep the room while it is empty, or not; a failure is
    /// the implementation's to report.
    fn set_keep(&self, keep: bool);
}

/// One invitation and the key holding it.
struct Stored {
    key: String,
    invited: Invited,
}

/// The room's invitations, in the order they were invited.
pub fn list(room: &impl InvitationRoom, kv: &impl Kv) -> Vec<Invited> {
    stored(room, kv).into_iter().map(|s| s.invited).collect()
}

/// Invites `new` to the room, after its other invitations; an earlier
/// invitation of the same participant id takes the new number where it is,
/// as SEMS updates its list. An invitation without an id is always another
/// one, as in SEMS. An id a call in the room holds (see [`holders`]) is that
/// call's: no invitation is kept for it. Past [`MAX_INVITATIONS`] this is
/// `invalid-argument`, as a store too full to take it is.
pub fn add(room: &impl InvitationRoom, kv: &impl Kv, new: Invited) -> Result<(), Error> {
    let set = match room.set_name() {
        Some(set) => set,
        None => room.new_set_name()?,
    };
    let stored = stored_in(kv, &set);
    let earlier = stored
        .iter()
        .find(|s| !new.participant_id.is_empty() && s.invited.participant_id == new.participant_id);
    let (key, invited) = match earlier {
        Some(earlier) => (
            earlier.key.clone(),
            Invited {
                muted: earlier.invited.muted,
                ..new
            },
        ),
        None if stored.len() >= MAX_INVITATIONS as usize => {
            return Err(Error::InvalidArgument(format!(
                "a room holds at most {MAX_INVITATIONS} invitations"
            )));
        }
        None => (next_key(&set, stored.last()), new),
    };
    kv.set(&key, &encode(&invited))?;
    drop_if_taken(room, kv, &key, &invited.participant_id);
    sync_keep(room, kv);
    Ok(())
}

/// Sets `muted` on the first invitation still listed (see [`not_joined`]),
/// which SEMS's `mute` and `unmute` find by the empty tag; false if none is,
/// or it could not be written.
pub fn set_first_muted(room: &impl InvitationRoom, kv: &impl Kv, muted: bool) -> bool {
    let listed = room.participants();
    let joined = holders(&listed);
    let first = stored(room, kv)
        .into_iter()
        .find(|s| is_listed(&s.invited, &joined));
    let Some(Stored { key, invited }) = first else {
        return false;
    };
    let invited = Invited { muted, ..invited };
    if kv.set(&key, &encode(&invited)).is_err() {
        return false;
    }
    if drop_if_taken(room, kv, &key, &invited.participant_id) {
        sync_keep(room, kv);
    }
    true
}

/// A call that joined with `participant_id` takes the invitation of that id
/// (the call is listed in its place, as in SEMS, so it is not listed again
/// once the call is over); whether there was one. A call takes no
/// invitation without an id.
pub fn take(room: &impl InvitationRoom, kv: &impl Kv, participant_id: &str) -> bool {
    if participant_id.is_empty() {
        return false;
    }
    let taken: Vec<Stored> = stored(room, kv)
        .into_iter()
        .filter(|s| s.invited.participant_id == participant_id)
        .collect();
    for s in &taken {
        kv.delete(&s.key);
    }
    if taken.is_empty() {
        return false;
    }
    sync_keep(room, kv);
    true
}

/// Deletes the invitations of the set named `set`: its room is gone.
pub fn forget(kv: &impl Kv, set: &str) {
    for key in kv.list(&prefix(set), MAX_INVITATIONS) {
        kv.delete(&key);
    }
}

/// Has the host keep the room while it holds invitations, until it has run
/// out of time ([`keeps_room`]). The flag is written alone, then the
/// invitations are looked at again, and it is written again if it no longer
/// matches them: whichever instance changes them last writes the flag after
/// its change and finds it right, so the flag ends matching the invitations
/// left.
pub fn sync_keep(room: &impl InvitationRoom, kv: &impl Kv) {
    let mut written = None;
    for _ in 0..MAX_KEEP_ROUNDS {
        let keep = keeps_room(holds_any(room, kv), room.timed_out());
        if written == Some(keep) {
            return;
        }
        room.set_keep(keep);
        written = Some(keep);
    }
}

/// The invited participants still to be listed: those whose participant id no
/// call in the room holds (`joined` holds the room's [`holders`]). A
/// call takes no invitation without an id, so those are always listed.
pub fn not_joined<'a>(invited: &'a [Invited], joined: &[&str]) -> Vec<&'a Invited> {
    invited.iter().filter(|i| is_listed(i, joined)).collect()
}

/// Whether the host is to keep the room, empty, for its invitations (`held`:
/// it holds any): until it has run out of time (`timed_out`), when it goes
/// at the next look at it as any room that timed out.
pub fn keeps_room(held: bool, timed_out: bool) -> bool {
    held && !timed_out
}

/// The participant ids of the listed calls that hold the invitation of their
/// id: all but the finished ones. A finished call took its invitation when it
/// joined; one of that id invited since is a new invitation, listed beside
/// it, as SEMS merges a new invitation only into an entry without a call.
pub fn holders(participants: &[ParticipantInfo]) -> Vec<&str> {
    participants
        .iter()
        .filter(|p| p.status != ParticipantStatus::Finished)
        .map(|p| p.participant_id.as_str())
        .collect()
}

fn stored(room: &impl InvitationRoom, kv: &impl Kv) -> Vec<Stored> {
    room.set_name()
        .map(|set| stored_in(kv, &set))
        .unwrap_or_default()
}

fn stored_in(kv: &impl Kv, set: &str) -> Vec<Stored> {
    kv.list(&prefix(set), MAX_INVITATIONS)
        .into_iter()
        .filter_map(|key| {
            // One taken since the listing is gone.
            let record = kv.get(&key)?;
            Some(Stored {
                invited: decode(&record),
                key,
            })
        })
        .collect()
}

fn holds_any(room: &impl InvitationRoom, kv: &impl Kv) -> bool {
    room.set_name()
        .is_some_and(|set| !kv.list(&prefix(&set), 1).is_empty())
}

/// Deletes the invitation just written under `key` if a call listed in the
/// room holds its id: that call took it between the read and the write,
/// which brought it back. A call is listed before it takes its invitation,
/// so this look finds it. Whether it was deleted.
fn drop_if_taken(
    room: &impl InvitationRoom,
    kv: &impl Kv,
    key: &str,
    participant_id: &str,
) -> bool {
    let participants = room.participants();
    let taken = !participant_id.is_empty() && holders(&participants).contains(&participant_id);
    taken && kv.delete(key)
}

fn prefix(set: &str) -> String {
    format!("{PREFIX}{set}/")
}

/// The key after `last`'s in the set, zero-padded so that the store lists
/// the keys in the order they were made.
fn next_key(set: &str, last: Option<&Stored>) -> String {
    let next = last
        .and_then(|s| s.key.rsplit('/').next())
        .and_then(|seq| seq.parse::<u64>().ok())
        .map_or(0, |seq| seq + 1);
    format!("{}{next:020}", prefix(set))
}

fn encode(invited: &Invited) -> String {
    let muted = if invited.muted { "1" } else { "0" };
    fields::join(&[&invited.participant_id, &invited.number, muted])
}

/// A record without a mute flag is not muted.
fn decode(record: &str) -> Invited {
    let mut parts = fields::split(record).into_iter();
    Invited {
        participant_id: parts.next().unwrap_or_default(),
        number: parts.next().unwrap_or_default(),
        muted: parts.next().is_some_and(|m| m == "1"),
    }
}

fn is_listed(invited: &Invited, joined: &[&str]) -> bool {
    invited.participant_id.is_empty() || !joined.contains(&invited.participant_id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;

    fn invited(id: &str, number: &str) -> Invited {
        Invited {
            participant_id: id.to_owned(),
            number: number.to_owned(),
            muted: false,
        }
    }

    fn muted(id: &str, number: &str) -> Invited {
        Invited {
            muted: true,
            ..invited(id, number)
        }
    }

    /// A key-value store in memory.
    #[derive(Default)]
    struct MemoryKv {
        entries: RefCell<BTreeMap<String, String>>,
    }

    impl Kv for MemoryKv {
        fn get(&self, key: &str) -> Option<String> {
            self.entries.borrow().get(key).cloned()
        }

        fn set(&self, key: &str, value: &str) -> Result<(), Error> {
            self.entries
                .borrow_mut()
                .insert(key.to_owned(), value.to_owned());
            Ok(())
        }

        fn delete(&self, key: &str) -> bool {
            self.entries.borrow_mut().remove(key).is_some()
        }

        fn list(&self, prefix: &str, limit: u32) -> Vec<String> {
            let entries = self.entries.borrow();
            let keys = entries.keys().filter(|k| k.starts_with(prefix));
            keys.take(limit as usize).cloned().collect()
        }
    }

    /// A room's participants, set name and keep flag, in memory.
    #[derive(Default)]
    struct Room {
        participants: RefCell<Vec<ParticipantInfo>>,
        set: RefCell<Option<String>>,
        keep: Cell<bool>,
    }

    impl Room {
        fn join(&self, id: &str) {
            let joined = participant(id, ParticipantStatus::Connected);
            self.participants.borrow_mut().push(joined);
        }
    }

    impl InvitationRoom for Room {
        fn participants(&self) -> Vec<ParticipantInfo> {
            self.participants.borrow().clone()
        }

        fn set_name(&self) -> Option<String> {
            self.set.borrow().clone()
        }

        fn new_set_name(&self) -> Result<String, Error> {
            *self.set.borrow_mut() = Some("s1".to_owned());
            Ok("s1".to_owned())
        }

        fn timed_out(&self) -> bool {
            false
        }

        fn set_keep(&self, keep: bool) {
            self.keep.set(keep);
        }
    }

    /// Something another instance does between two steps of this one: run
    /// once, at the step it is set for.
    struct Meanwhile<'a>(Cell<Option<Box<dyn FnOnce() + 'a>>>);

    impl<'a> Meanwhile<'a> {
        fn new(other: impl FnOnce() + 'a) -> Self {
            Meanwhile(Cell::new(Some(Box::new(other))))
        }

        fn run(&self) {
            if let Some(other) = self.0.take() {
                other();
            }
        }
    }

    /// `kv` as one instance sees it: `meanwhile` runs before its next set or
    /// delete.
    struct KvMeddled<'a> {
        kv: &'a MemoryKv,
        meanwhile: Meanwhile<'a>,
    }

    impl Kv for KvMeddled<'_> {
        fn get(&self, key: &str) -> Option<String> {
            self.kv.get(key)
        }

        fn set(&self, key: &str, value: &str) -> Result<(), Error> {
            self.meanwhile.run();
            self.kv.set(key, value)
        }

        fn delete(&self, key: &str) -> bool {
            self.meanwhile.run();
            self.kv.delete(key)
        }

        fn list(&self, prefix: &str, limit: u32) -> Vec<String> {
            self.kv.list(prefix, limit)
        }
    }

    /// `room` as one instance sees it: `meanwhile` runs before its next
    /// write of the keep flag.
    struct KeepMeddled<'a> {
        room: &'a Room,
        meanwhile: Meanwhile<'a>,
    }

    impl InvitationRoom for KeepMeddled<'_> {
        fn participants(&self) -> Vec<ParticipantInfo> {
            self.room.participants()
        }

        fn set_name(&self) -> Option<String> {
            self.room.set_name()
        }

        fn new_set_name(&self) -> Result<String, Error> {
            self.room.new_set_name()
        }

        fn timed_out(&self) -> bool {
            self.room.timed_out()
        }

        fn set_keep(&self, keep: bool) {
            self.meanwhile.run();
            self.room.set_keep(keep);
        }
    }

    fn participant(id: &str, status: ParticipantStatus) -> ParticipantInfo {
        ParticipantInfo {
            call: format!("c-{id}"),
            number: String::new(),
            status,
            reason: String::new(),
            muted: false,
            participant_id: id.to_owned(),
            listen_only: false,
            talking: false,
        }
    }

    fn invite(room: &Room, kv: &MemoryKv, id: &str, number: &str) {
        add(room, kv, invited(id, number)).unwrap();
    }

    #[test]
    fn records_round_trip_and_one_without_a_mute_flag_is_not_muted() {
        let odd = muted("p\t2", "sip:200@example.com");
        assert_eq!(decode(&encode(&odd)), odd);
        assert_eq!(decode("p1\t100"), invited("p1", "100"));
    }

    #[test]
    fn invitations_are_listed_in_the_order_they_came() {
        let (room, kv) = (Room::default(), MemoryKv::default());
        assert_eq!(list(&room, &kv), Vec::new());
        for (id, number) in [("", "100"), ("p1", "200"), ("", "300")] {
            invite(&room, &kv, id, number);
        }
        for n in 3..11 {
            invite(&room, &kv, &format!("p{n}"), "400");
        }
        let listed = list(&room, &kv);
        assert_eq!(
            listed[..3],
            [invited("", "100"), invited("p1", "200"), invited("", "300")],
            "invitations without an id are each kept"
        );
        assert_eq!(listed[10], invited("p10", "400"), "after p9");
        assert!(room.keep.get());
    }

    #[test]
    fn a_second_invitation_replaces_the_first_where_it_is_and_keeps_its_mute() {
        let (room, kv) = (Room::default(), MemoryKv::default());
        invite(&room, &kv, "p1", "100");
        invite(&room, &kv, "p2", "200");
        assert!(set_first_muted(&room, &kv, true));
        invite(&room, &kv, "p1", "101");
        assert_eq!(
            list(&room, &kv),
            vec![muted("p1", "101"), invited("p2", "200")]
        );
    }

    #[test]
    fn an_id_a_call_holds_is_not_invited() {
        let (room, kv) = (Room::default(), MemoryKv::default());
        room.join("p1");
        invite(&room, &kv, "p1", "100");
        assert_eq!(list(&room, &kv), Vec::new());
        assert!(!room.keep.get());
    }

    #[test]
    fn a_room_holds_so_many_invitations() {
        let (room, kv) = (Room::default(), MemoryKv::default());
        for _ in 0..MAX_INVITATIONS {
            invite(&room, &kv, "", "100");
        }
        let refused = add(&room, &kv, invited("", "100"));
        assert!(
            matches!(refused, Err(Error::InvalidArgument(_))),
            "{refused:?}"
        );
    }

    #[test]
    fn the_first_invitation_listed_is_muted_and_unmuted() {
        let (room, kv) = (Room::default(), MemoryKv::default());
        assert!(!set_first_muted(&room, &kv, true), "none to mute");
        for (id, number) in [("p1", "100"), ("", "200"), ("", "300")] {
            invite(&room, &kv, id, number);
        }
        room.join("p1");
        assert!(set_first_muted(&room, &kv, true));
        assert_eq!(
            list(&room, &kv),
            vec![invited("p1", "100"), muted("", "200"), invited("", "300")]
        );
        assert!(set_first_muted(&room, &kv, false));
        assert_eq!(list(&room, &kv)[1], invited("", "200"));
    }

    #[test]
    fn a_joining_participant_takes_its_invitation_once() {
        let (room, kv) = (Room::default(), MemoryKv::default());
        invite(&room, &kv, "p1", "100");
        invite(&room, &kv, "p2", "200");
        assert!(take(&room, &kv, "p1"));
        assert!(!take(&room, &kv, "p1"), "taken once");
        assert!(!take(&room, &kv, ""), "none without an id");
        assert_eq!(list(&room, &kv), vec![invited("p2", "200")]);
        assert!(take(&room, &kv, "p2"));
        assert!(!room.keep.get(), "no longer kept");
    }

    #[test]
    fn a_room_opened_anew_has_none_of_the_invitations_of_the_one_before() {
        let (room, kv) = (Room::default(), MemoryKv::default());
        invite(&room, &kv, "p1", "100");
        forget(&kv, &room.set_name().unwrap());
        assert!(kv.entries.borrow().is_empty());
        let reopened = Room::default();
        assert_eq!(list(&reopened, &kv), Vec::new());
    }

    #[test]
    fn an_invitation_added_while_a_call_takes_another_survives() {
        let room = Room::default();
        let kv = MemoryKv::default();
        invite(&room, &kv, "p1", "100");
        // p1 joins; its take has read the invitations when a client adds p2.
        room.join("p1");
        let taker = KvMeddled {
            kv: &kv,
            meanwhile: Meanwhile::new(|| invite(&room, &kv, "p2", "200")),
        };
        assert!(take(&room, &taker, "p1"));
        assert_eq!(list(&room, &kv), vec![invited("p2", "200")]);
        assert!(room.keep.get(), "kept for p2");
    }

    #[test]
    fn a_mute_written_as_its_invitee_takes_it_brings_it_not_back() {
        let room = Room::default();
        let kv = MemoryKv::default();
        invite(&room, &kv, "p1", "100");
        invite(&room, &kv, "p2", "200");
        // mute has found p1 first; p1 joins and takes it before mute writes.
        let muter = KvMeddled {
            kv: &kv,
            meanwhile: Meanwhile::new(|| {
                room.join("p1");
                assert!(take(&room, &kv, "p1"));
            }),
        };
        assert!(set_first_muted(&room, &muter, true));
        assert_eq!(list(&room, &kv), vec![invited("p2", "200")]);
    }

    #[test]
    fn the_keep_flag_stays_while_an_invitation_added_meanwhile_is_left() {
        let room = Room::default();
        let kv = MemoryKv::default();
        invite(&room, &kv, "p1", "100");
        // p1's take found no invitation left and is about to clear the flag
        // when a client adds p2 and sets it.
        room.join("p1");
        let taker = KeepMeddled {
            room: &room,
            meanwhile: Meanwhile::new(|| invite(&room, &kv, "p2", "200")),
        };
        assert!(take(&taker, &kv, "p1"));
        assert!(room.keep.get(), "kept for p2");
    }

    #[test]
    fn invitations_without_an_id_are_listed_beside_calls_without_one() {
        let list = vec![invited("", "100"), invited("p1", "200")];
        assert_eq!(not_joined(&list, &["", "p1"]), vec![&list[0]]);
    }

    #[test]
    fn a_room_is_kept_for_invitations_until_it_has_timed_out() {
        assert!(keeps_room(true, false));
        assert!(!keeps_room(true, true));
        assert!(!keeps_room(false, false));
    }

    #[test]
    fn a_finished_call_holds_no_invitation() {
        let participants = [
            participant("p1", ParticipantStatus::Finished),
            participant("p2", ParticipantStatus::Connected),
        ];
        assert_eq!(holders(&participants), vec!["p2"]);
        let list = vec![invited("p1", "101"), invited("p2", "200")];
        assert_eq!(
            not_joined(&list, &holders(&participants)),
            vec![&list[0]],
            "p1 invited again beside its finished call"
        );
    }
}
