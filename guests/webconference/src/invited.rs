//! Participants invited by `addParticipant` before they call: listed in
//! `roomInfo` (with no call yet) and found by `findParticipant`. They are kept
//! in the room's `invited` meta value, one `participant_id<TAB>number<TAB>muted`
//! record a line (see [`crate::fields`]; muted is `1` or `0`, and a record
//! without it is not muted).

use crate::fields;

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
/// call in the room has taken (`joined` holds the ids of the room's calls). A
/// call takes no invitation without an id, so those are always listed.
pub fn not_joined<'a>(invited: &'a [Invited], joined: &[&str]) -> Vec<&'a Invited> {
    invited.iter().filter(|i| is_listed(i, joined)).collect()
}

/// `invited` without the invitations a call in the room took (`joined` holds
/// the ids of the room's calls). Stored this way, a list read before a call
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

fn is_listed(invited: &Invited, joined: &[&str]) -> bool {
    invited.participant_id.is_empty() || !joined.contains(&invited.participant_id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
