//! Participants invited by `addParticipant` before they call: listed in
//! `roomInfo` (with no call yet) and found by `findParticipant`. They are kept
//! in the room's `invited` meta value, one `participant_id<TAB>number<TAB>muted`
//! record a line (see [`crate::fields`]; muted is `1` or `0`, and a record
//! without it is not muted).

use crate::fields;
use std::fmt;
use switchyard_sdk::types::{ParticipantInfo, ParticipantStatus};

/// The room meta key holding the invited participants.
pub const META_KEY: &str = "invited";

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

/// The invited participants a meta value holds.
pub fn decode(meta: &str) -> Vec<Invited> {
    meta.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut parts = fields::split(line).into_iter();
            Invited {
                participant_id: parts.next().unwrap_or_default(),
                number: parts.next().unwrap_or_default(),
                muted: parts.next().is_some_and(|m| m == "1"),
            }
        })
        .collect()
}

/// The meta value holding `invited`.
pub fn encode(invited: &[Invited]) -> String {
    invited
        .iter()
        .map(|i| {
            let muted = if i.muted { "1" } else { "0" };
            fields::join(&[&i.participant_id, &i.number, muted]) + "\n"
        })
        .collect()
}

/// `invited` with `new` added at the end; an earlier invitation of the same
/// participant id takes the new number where it is, as SEMS updates its list.
/// An invitation without an id is always another one, as in SEMS.
pub fn add(mut invited: Vec<Invited>, new: Invited) -> Vec<Invited> {
    let earlier = invited
        .iter_mut()
        .find(|i| !new.participant_id.is_empty() && i.participant_id == new.participant_id);
    match earlier {
        Some(earlier) => earlier.number = new.number,
        None => invited.push(new),
    }
    invited
}

/// Sets `muted` on the first invitation still listed (see [`not_joined`]),
/// which SEMS's `mute` and `unmute` find by the empty tag; false if none is.
/// `joined` holds the room's [`holders`].
pub fn set_first_muted(invited: &mut [Invited], joined: &[&str], muted: bool) -> bool {
    match invited.iter_mut().find(|i| is_listed(i, joined)) {
        Some(first) => {
            first.muted = muted;
            true
        }
        None => false,
    }
}

/// Removes the invitation of `participant_id`; whether there was one. A call
/// that joins with an invited id takes the invitation's place in the room's
/// list, as in SEMS, so it is not listed again once the call is over.
pub fn remove(invited: &mut Vec<Invited>, participant_id: &str) -> bool {
    let before = invited.len();
    invited.retain(|i| i.participant_id != participant_id);
    invited.len() != before
}

/// The invited participants still to be listed: those whose participant id no
/// call in the room holds (`joined` holds the room's [`holders`]). A
/// call takes no invitation without an id, so those are always listed.
pub fn not_joined<'a>(invited: &'a [Invited], joined: &[&str]) -> Vec<&'a Invited> {
    invited.iter().filter(|i| is_listed(i, joined)).collect()
}

/// `invited` without the invitations a call in the room holds (`joined`
/// holds the room's [`holders`]). Stored this way, a list read before a call
/// took its invitation cannot bring the invitation back.
pub fn without_taken(mut invited: Vec<Invited>, joined: &[&str]) -> Vec<Invited> {
    invited.retain(|i| is_listed(i, joined));
    invited
}

/// Whether the host is to keep the room, empty, for `invited`: while it holds
/// any, until it has run out of time (`timed_out`), when it goes at the next
/// look at it as any room that timed out.
pub fn keeps_room(invited: &[Invited], timed_out: bool) -> bool {
    !invited.is_empty() && !timed_out
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

/// A room as [`update`] reads and writes its invitations.
pub trait InvitationRoom {
    /// Why the invitations could not be written.
    type Error;
    /// The participants the room lists now.
    fn participants(&self) -> Vec<ParticipantInfo>;
    /// The room's invitations as stored (see [`encode`]); `None` if none
    /// ever were.
    fn invited(&self) -> Option<String>;
    /// Compare-and-set: stores `meta` (see [`encode`]) as the room's
    /// invitations only if they are now `expected` (`None`: none ever
    /// stored), in one step no other write comes between. False, storing
    /// nothing, if they were others.
    fn swap_invited(&self, expected: Option<&str>, meta: &str) -> Result<bool, Self::Error>;
    /// Whether the room has run out of time.
    fn timed_out(&self) -> bool;
    /// Whether the room is one of `predefined_rooms` now (see
    /// [`crate::predefined::is_predefined`]), which the host keeps whatever
    /// its invitations; it stops being so when the config drops it.
    fn predefined(&self) -> bool;
    /// Has the host keep the room while it is empty, or not; a failure is
    /// the implementation's to report, the invitations being stored.
    fn set_keep(&self, keep: bool);
}

/// How many times [`update`] reads the invitations and tries to store its
/// change, each time another write came between, before it gives up.
pub const MAX_ATTEMPTS: usize = 16;

/// What [`update`] did with the room's invitations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    /// `change` made none: nothing was stored.
    Unchanged,
    /// The change is stored, and the host keeps the room, or not, as the
    /// list stored now has it.
    Stored,
    /// The change is stored, but each of [`MAX_ATTEMPTS`] keeps was for a
    /// list others had replaced by the read that followed it: the host keeps
    /// the room, or not, as a list no longer stored has it, until the next
    /// change stored sets the keep again.
    StoredKeepUnsettled,
}

impl Updated {
    /// Whether a change was stored, the keep settled or not.
    pub fn is_stored(self) -> bool {
        self != Updated::Unchanged
    }
}

/// Why [`update`] stored nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotStored<E> {
    /// The room refused the write (it is gone, or the list is too long).
    Refused(E),
    /// Other writes came between each of [`MAX_ATTEMPTS`] reads and the
    /// write that followed it.
    Contended,
}

impl<E: fmt::Debug> fmt::Display for NotStored<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotStored::Refused(e) => write!(f, "{e:?}"),
            NotStored::Contended => write!(
                f,
                "its invitations were rewritten by others {MAX_ATTEMPTS} times while this changed them"
            ),
        }
    }
}

/// Changes the room's invitations by `change`, which gets them as stored
/// and the room's [`holders`], and says whether it changed them. The list
/// changed is stored less those a call in the room holds, and the host
/// keeps the room while it holds any (see [`keeps_room`]).
///
/// The list is stored only if it is still the one read (compare-and-set):
/// when another write came between, it is read and changed again, up to
/// [`MAX_ATTEMPTS`] times, so that no other instance's change is lost.
/// A change stored is [`Updated::Stored`], or [`Updated::StoredKeepUnsettled`]
/// if others kept rewriting the list as it set the keep: either way the
/// change is made, and is not to be made again.
pub fn update<R: InvitationRoom>(
    room: &R,
    mut change: impl FnMut(&mut Vec<Invited>, &[&str]) -> bool,
) -> Result<Updated, NotStored<R::Error>> {
    for _ in 0..MAX_ATTEMPTS {
        let stored = room.invited();
        let participants = room.participants();
        let joined = holders(&participants);
        let mut list = decode(stored.as_deref().unwrap_or_default());
        if !change(&mut list, &joined) {
            return Ok(Updated::Unchanged);
        }
        let meta = encode(&without_taken(list, &joined));
        let swapped = room.swap_invited(stored.as_deref(), &meta);
        if swapped.map_err(NotStored::Refused)? {
            return Ok(if keep_for_stored(room, Some(meta)) {
                Updated::Stored
            } else {
                Updated::StoredKeepUnsettled
            });
        }
    }
    Err(NotStored::Contended)
}

/// Has the host keep the room, or not, as it is now (see [`update`]): for a
/// room that stopped being predefined, which keeps it then only for its
/// invitations. False if others kept rewriting its invitations meanwhile,
/// as [`Updated::StoredKeepUnsettled`].
pub fn settle_keep<R: InvitationRoom>(room: &R) -> bool {
    keep_for_stored(room, room.invited())
}

/// Has the host keep the room for the invitations stored now, starting
/// from `written`, the list this instance has just stored (or read). As
/// another instance may store its list, or release the room from being
/// predefined, between this one's reads and its keep, the keep is set again
/// as long as what it was set for (the list and whether the room is
/// predefined) is not what is stored after it: each writer's last keep is
/// for what is still stored after that keep, so the keep set last is for
/// what was stored last. A predefined room is kept whatever its list. False
/// if each of [`MAX_ATTEMPTS`] keeps was for what was replaced by then.
fn keep_for_stored<R: InvitationRoom>(room: &R, written: Option<String>) -> bool {
    let mut kept_for = (written, room.predefined());
    for _ in 0..MAX_ATTEMPTS {
        let (stored, predefined) = &kept_for;
        let list = decode(stored.as_deref().unwrap_or_default());
        room.set_keep(*predefined || keeps_room(&list, room.timed_out()));
        let now = (room.invited(), room.predefined());
        if now == kept_for {
            return true;
        }
        kept_for = now;
    }
    false
}

fn is_listed(invited: &Invited, joined: &[&str]) -> bool {
    invited.participant_id.is_empty() || !joined.contains(&invited.participant_id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

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

    #[test]
    fn round_trips_through_meta() {
        let list = vec![invited("p1", "100"), muted("p\t2", "sip:200@example.com")];
        assert_eq!(decode(&encode(&list)), list);
        assert_eq!(decode(""), Vec::<Invited>::new());
    }

    #[test]
    fn records_without_a_mute_flag_are_not_muted() {
        assert_eq!(decode("p1\t100\n"), vec![invited("p1", "100")]);
    }

    #[test]
    fn the_first_invitation_listed_is_muted_and_unmuted() {
        let mut list = vec![invited("p1", "100"), invited("", "200"), invited("", "300")];
        assert!(set_first_muted(&mut list, &["p1"], true));
        assert_eq!(
            list,
            vec![invited("p1", "100"), muted("", "200"), invited("", "300")]
        );
        assert!(set_first_muted(&mut list, &["p1"], false));
        assert_eq!(list[1], invited("", "200"));
        assert!(!set_first_muted(&mut [invited("p1", "100")], &["p1"], true));
    }

    #[test]
    fn a_second_invitation_keeps_the_mute_of_the_first() {
        let list = add(vec![muted("p1", "100")], invited("p1", "101"));
        assert_eq!(list, vec![muted("p1", "101")]);
    }

    #[test]
    fn a_joining_participant_takes_its_invitation() {
        let mut list = vec![invited("p1", "100"), invited("p2", "200")];
        assert!(remove(&mut list, "p1"));
        assert_eq!(list, vec![invited("p2", "200")]);
        assert!(!remove(&mut list, "p1"), "taken once");
        assert_eq!(list, vec![invited("p2", "200")]);
    }

    #[test]
    fn a_second_invitation_replaces_the_first_where_it_is() {
        let list = add(vec![invited("p1", "100")], invited("p2", "200"));
        let list = add(list, invited("p1", "101"));
        assert_eq!(list, vec![invited("p1", "101"), invited("p2", "200")]);
    }

    #[test]
    fn invitations_without_an_id_are_each_kept() {
        let list = add(vec![invited("", "100")], invited("p1", "200"));
        let list = add(list, invited("", "300"));
        assert_eq!(
            list,
            vec![invited("", "100"), invited("p1", "200"), invited("", "300")]
        );
    }

    #[test]
    fn invitations_without_an_id_are_listed_beside_calls_without_one() {
        let list = vec![invited("", "100"), invited("p1", "200")];
        assert_eq!(not_joined(&list, &["", "p1"]), vec![&list[0]]);
    }

    #[test]
    fn a_list_stored_drops_the_invitations_calls_took() {
        let list = vec![
            invited("p1", "100"),
            invited("", "200"),
            invited("p2", "300"),
        ];
        assert_eq!(
            without_taken(list, &["p1", ""]),
            vec![invited("", "200"), invited("p2", "300")]
        );
    }

    #[test]
    fn a_room_is_kept_for_invitations_until_it_has_timed_out() {
        assert!(keeps_room(&[invited("p1", "100")], false));
        assert!(!keeps_room(&[invited("p1", "100")], true));
        assert!(!keeps_room(&[], false));
    }

    #[test]
    fn joined_participants_are_listed_by_their_call_only() {
        let list = vec![invited("p1", "100"), invited("p2", "200")];
        assert_eq!(not_joined(&list, &["p2", ""]), vec![&list[0]]);
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

    /// A room's participants, invitations and keep flag, in memory, and
    /// whether it is predefined.
    #[derive(Default)]
    struct Room {
        participants: RefCell<Vec<ParticipantInfo>>,
        invited: RefCell<Option<String>>,
        keep: Cell<bool>,
        predefined: Cell<bool>,
    }

    impl Room {
        fn join(&self, id: &str) {
            let joined = participant(id, ParticipantStatus::Connected);
            self.participants.borrow_mut().push(joined);
        }

        fn list(&self) -> Vec<Invited> {
            decode(self.invited.borrow().as_deref().unwrap_or_default())
        }
    }

    /// Another instance's step, run in the middle of this one's.
    type Step<'a> = Box<dyn FnOnce() + 'a>;

    /// One instance using `room`. Each of its compare-and-sets first runs
    /// one of `before_swap`, and each keep it sets one of `before_keep`, as
    /// if another instance ran then; `reads` counts its reads of the
    /// invitations.
    struct Caller<'a> {
        room: &'a Room,
        before_swap: RefCell<Vec<Step<'a>>>,
        before_keep: RefCell<Vec<Step<'a>>>,
        reads: Cell<usize>,
    }

    impl<'a> Caller<'a> {
        fn new(room: &'a Room) -> Self {
            Caller {
                room,
                before_swap: RefCell::default(),
                before_keep: RefCell::default(),
                reads: Cell::default(),
            }
        }

        /// What a call joining with `id` does: takes its invitation.
        fn take(&self, id: &str) -> Result<Updated, NotStored<()>> {
            update(self, |list, _| remove(list, id))
        }

        /// What `addParticipant` does.
        fn add(&self, new: &Invited) -> Result<Updated, NotStored<()>> {
            update(self, |list, _| {
                *list = add(std::mem::take(list), new.clone());
                true
            })
        }

        /// What `mute` of the empty tag does.
        fn mute_first(&self) -> Result<Updated, NotStored<()>> {
            update(self, |list, joined| set_first_muted(list, joined, true))
        }
    }

    fn run_next(steps: &RefCell<Vec<Step<'_>>>) {
        let step = steps.borrow_mut().pop();
        if let Some(step) = step {
            step();
        }
    }

    impl InvitationRoom for Caller<'_> {
        type Error = ();

        fn participants(&self) -> Vec<ParticipantInfo> {
            self.room.participants.borrow().clone()
        }

        fn invited(&self) -> Option<String> {
            self.reads.set(self.reads.get() + 1);
            self.room.invited.borrow().clone()
        }

        fn swap_invited(&self, expected: Option<&str>, meta: &str) -> Result<bool, ()> {
            run_next(&self.before_swap);
            let mut stored = self.room.invited.borrow_mut();
            let swapped = stored.as_deref() == expected;
            if swapped {
                *stored = Some(meta.to_owned());
            }
            Ok(swapped)
        }

        fn timed_out(&self) -> bool {
            false
        }

        fn predefined(&self) -> bool {
            self.room.predefined.get()
        }

        fn set_keep(&self, keep: bool) {
            run_next(&self.before_keep);
            self.room.keep.set(keep);
        }
    }

    #[test]
    fn two_invitees_joining_at_once_leave_neither_invitation_nor_keep() {
        let room = Room::default();
        let admin = Caller::new(&room);
        admin.add(&invited("X", "100")).unwrap();
        admin.add(&invited("Y", "200")).unwrap();
        assert!(room.keep.get());

        // A joins and looks at the participants; B joins and takes its
        // invitation from the list A read, before A writes.
        room.join("X");
        let b = Caller::new(&room);
        let a = Caller::new(&room);
        a.before_swap.borrow_mut().push(Box::new(|| {
            room.join("Y");
            assert_eq!(b.take("Y"), Ok(Updated::Stored));
        }));
        assert_eq!(
            a.take("X"),
            Ok(Updated::Unchanged),
            "B's write dropped X's, held"
        );
        assert!(room.list().is_empty(), "no invitation left");
        assert!(!room.keep.get(), "the room is not kept");
    }

    #[test]
    fn a_predefined_room_stays_kept_once_its_invitations_are_taken() {
        let room = Room {
            predefined: Cell::new(true),
            keep: Cell::new(true),
            ..Room::default()
        };
        let admin = Caller::new(&room);
        admin.add(&invited("X", "100")).unwrap();
        room.join("X");
        assert_eq!(Caller::new(&room).take("X"), Ok(Updated::Stored));
        assert!(room.list().is_empty(), "no invitation left");
        assert!(room.keep.get(), "still kept, as predefined");
    }

    #[test]
    fn a_room_no_longer_predefined_is_kept_only_for_its_invitations() {
        let room = Room {
            predefined: Cell::new(true),
            keep: Cell::new(true),
            ..Room::default()
        };
        room.predefined.set(false);
        assert!(settle_keep(&Caller::new(&room)));
        assert!(!room.keep.get(), "no invitation holds it");

        let admin = Caller::new(&room);
        admin.add(&invited("X", "100")).unwrap();
        room.keep.set(false);
        assert!(settle_keep(&admin));
        assert!(room.keep.get(), "kept for X");
    }

    #[test]
    fn a_room_released_while_a_caller_keeps_it_as_predefined_is_not_kept() {
        let room = Room {
            predefined: Cell::new(true),
            keep: Cell::new(true),
            ..Room::default()
        };
        Caller::new(&room).add(&invited("X", "100")).unwrap();
        room.join("X");
        // The caller reads the room as predefined; before its keep, the
        // config drops the room, whose keep is settled for no invitation.
        let releasing = Caller::new(&room);
        let caller = Caller::new(&room);
        caller.before_keep.borrow_mut().push(Box::new(|| {
            room.predefined.set(false);
            assert!(settle_keep(&releasing));
            assert!(!room.keep.get(), "released");
        }));
        assert_eq!(caller.take("X"), Ok(Updated::Stored));
        assert!(room.list().is_empty(), "no invitation left");
        assert!(!room.keep.get(), "not kept without invitations");
    }

    #[test]
    fn an_invitation_added_while_a_caller_takes_its_own_is_kept() {
        let room = Room::default();
        let admin = Caller::new(&room);
        admin.add(&invited("X", "100")).unwrap();
        room.join("X");
        let caller = Caller::new(&room);
        caller.before_swap.borrow_mut().push(Box::new(|| {
            assert_eq!(admin.add(&invited("Y", "200")), Ok(Updated::Stored))
        }));
        // The admin's list left out X's invitation, which the caller holds.
        assert_eq!(caller.take("X"), Ok(Updated::Unchanged));
        assert_eq!(room.list(), [invited("Y", "200")]);
        assert!(room.keep.get(), "kept for Y");
    }

    #[test]
    fn a_mute_and_an_invitation_added_at_once_are_both_kept() {
        let room = Room::default();
        let admin = Caller::new(&room);
        admin.add(&invited("", "100")).unwrap();
        let muting = Caller::new(&room);
        muting.before_swap.borrow_mut().push(Box::new(|| {
            assert_eq!(admin.add(&invited("p2", "200")), Ok(Updated::Stored))
        }));
        assert_eq!(muting.mute_first(), Ok(Updated::Stored));
        assert_eq!(room.list(), [muted("", "100"), invited("p2", "200")]);
    }

    #[test]
    fn a_change_stored_unopposed_reads_the_invitations_before_it_and_after_its_keep() {
        let room = Room::default();
        let admin = Caller::new(&room);
        assert_eq!(admin.add(&invited("X", "100")), Ok(Updated::Stored));
        assert_eq!(admin.reads.get(), 2, "the list written is not read back");
        assert!(room.keep.get(), "kept for X");
    }

    #[test]
    fn the_keep_set_last_is_for_the_list_stored_last() {
        let room = Room::default();
        let admin = Caller::new(&room);
        admin.add(&invited("X", "100")).unwrap();
        room.join("X");
        // The caller's list (none left) is stored, then the admin's; the
        // caller's keep comes after the admin's.
        let caller = Caller::new(&room);
        caller.before_keep.borrow_mut().push(Box::new(|| {
            assert_eq!(admin.add(&invited("Y", "200")), Ok(Updated::Stored))
        }));
        assert_eq!(caller.take("X"), Ok(Updated::Stored));
        assert_eq!(room.list(), [invited("Y", "200")]);
        assert!(room.keep.get(), "kept for Y");
    }

    #[test]
    fn a_change_stored_is_done_though_others_overtake_its_keep() {
        let room = Room::default();
        let other = Caller::new(&room);
        let admin = Caller::new(&room);
        // The admin adds X; before each of its keeps, another instance takes
        // X's invitation or adds it again, ending with it added: the admin's
        // last keep is for the list without X.
        for pass in 0..MAX_ATTEMPTS {
            let other = &other;
            let step: Step<'_> = if pass % 2 == 0 {
                Box::new(move || assert_eq!(other.add(&invited("X", "100")), Ok(Updated::Stored)))
            } else {
                Box::new(move || assert_eq!(other.take("X"), Ok(Updated::Stored)))
            };
            admin.before_keep.borrow_mut().push(step);
        }
        let added = admin.add(&invited("X", "100"));
        assert_eq!(added, Ok(Updated::StoredKeepUnsettled));
        assert!(added.unwrap().is_stored(), "answered as done");
        assert_eq!(room.list(), [invited("X", "100")]);
        assert!(!room.keep.get(), "kept as the list replaced has it");

        assert_eq!(admin.add(&invited("Y", "200")), Ok(Updated::Stored));
        assert!(room.keep.get(), "the next change stored settles the keep");
    }

    #[test]
    fn a_change_others_keep_overtaking_is_refused_and_loses_nothing() {
        let room = Room::default();
        let admin = Caller::new(&room);
        admin.add(&invited("", "100")).unwrap();
        let numbers: Vec<String> = (0..MAX_ATTEMPTS).map(|n| format!("2{n:02}")).collect();
        let muting = Caller::new(&room);
        for number in &numbers {
            let admin = &admin;
            muting.before_swap.borrow_mut().push(Box::new(move || {
                assert_eq!(admin.add(&invited("", number)), Ok(Updated::Stored));
            }));
        }
        assert_eq!(muting.mute_first(), Err(NotStored::Contended));
        let list = room.list();
        assert_eq!(list.len(), 1 + MAX_ATTEMPTS, "every invitation added");
        assert!(list.iter().all(|i| !i.muted), "the mute stored nothing");
    }
}
