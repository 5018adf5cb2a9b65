//! Participants invited by `addParticipant` before they call: listed in
//! `roomInfo` (with no call yet) and found by `findParticipant`. They are kept
//! in the room's `invited` meta value, one `participant_id<TAB>number<TAB>muted`
//! record a line (see [`crate::fields`]; muted is `1` or `0`, and a record
//! without it is not muted).

use crate::fields;
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

/// A room as [`store`] reads and writes its invitations.
pub trait InvitationRoom {
    /// Why the invitations could not be written.
    type Error;
    /// The participants the room lists now.
    fn participants(&self) -> Vec<ParticipantInfo>;
    /// Stores `meta` (see [`encode`]) as the room's invitations.
    fn set_invited(&self, meta: &str) -> Result<(), Self::Error>;
    /// Whether the room has run out of time.
    fn timed_out(&self) -> bool;
    /// Has the host keep the room while it is empty, or not; a failure is
    /// the implementation's to report, the invitations being stored.
    fn set_keep(&self, keep: bool);
}

/// Stores `list` as the room's invitations, less those a call in the room
/// holds (see [`holders`]), and has the host keep the room while it holds
/// any (see [`keeps_room`]).
pub fn store<R: InvitationRoom>(room: &R, list: Vec<Invited>) -> Result<(), R::Error> {
    // The host has no compare-and-set: a call that joined since `list` was
    // read took its invitation from what was stored then, and this write
    // brings that invitation back. Such a call is listed before it reads the
    // list, so the look after each write sees it, and the invitation goes
    // again; a call listed only after that look reads what this wrote. Each
    // rewrite only removes, so this ends. Still open: an invitation another
    // instance adds between the read of `list` and this write is lost, and
    // when two such writes interleave, the keep flag of one may stay with
    // the list of the other until the next store.
    let mut list = untaken(room, list);
    loop {
        write(room, &list)?;
        let left = untaken(room, list.clone());
        if left.len() == list.len() {
            return Ok(());
        }
        list = left;
    }
}

fn untaken<R: InvitationRoom>(room: &R, list: Vec<Invited>) -> Vec<Invited> {
    without_taken(list, &holders(&room.participants()))
}

fn write<R: InvitationRoom>(room: &R, list: &[Invited]) -> Result<(), R::Error> {
    room.set_invited(&encode(list))?;
    room.set_keep(keeps_room(list, room.timed_out()));
    Ok(())
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

    /// A room's participants, invitations and keep flag, in memory.
    #[derive(Default)]
    struct Room {
        participants: RefCell<Vec<ParticipantInfo>>,
        invited: RefCell<String>,
        keep: Cell<bool>,
    }

    impl Room {
        fn join(&self, id: &str) {
            let joined = participant(id, ParticipantStatus::Connected);
            self.participants.borrow_mut().push(joined);
        }
    }

    /// One call's instance using `room`; `before_first_write` runs just
    /// before its first write, as if another instance ran then.
    struct Caller<'a> {
        room: &'a Room,
        before_first_write: Cell<Option<Box<dyn FnOnce() + 'a>>>,
    }

    impl<'a> Caller<'a> {
        fn new(room: &'a Room) -> Self {
            Caller {
                room,
                before_first_write: Cell::new(None),
            }
        }

        /// What a call joining with `id` does: takes its invitation.
        fn take(&self, id: &str) {
            let mut list = decode(&self.room.invited.borrow());
            assert!(remove(&mut list, id), "{id} invited");
            store(self, list).unwrap();
        }
    }

    impl InvitationRoom for Caller<'_> {
        type Error = ();

        fn participants(&self) -> Vec<ParticipantInfo> {
            self.room.participants.borrow().clone()
        }

        fn set_invited(&self, meta: &str) -> Result<(), ()> {
            if let Some(other) = self.before_first_write.take() {
                other();
            }
            *self.room.invited.borrow_mut() = meta.to_owned();
            Ok(())
        }

        fn timed_out(&self) -> bool {
            false
        }

        fn set_keep(&self, keep: bool) {
            self.room.keep.set(keep);
        }
    }

    #[test]
    fn two_invitees_joining_at_once_leave_neither_invitation_nor_keep() {
        let room = Room::default();
        let list = vec![invited("X", "100"), invited("Y", "200")];
        store(&Caller::new(&room), list).unwrap();
        assert!(room.keep.get());

        // A joins and looks at the participants; B joins and takes its
        // invitation from the list A read, before A writes.
        room.join("X");
        let b = Caller::new(&room);
        let a = Caller::new(&room);
        a.before_first_write.set(Some(Box::new(|| {
            room.join("Y");
            b.take("Y");
        })));
        a.take("X");
        assert_eq!(*room.invited.borrow(), "", "no invitation left");
        assert!(!room.keep.get(), "the room is not kept");
    }
}
