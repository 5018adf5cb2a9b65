//! Participants invited by `addParticipant` before they call: listed in
//! `roomInfo` (with no call yet) and found by `findParticipant`. They are kept
//! in the room's `invited` meta value, one `participant_id<TAB>number` record
//! a line (see [`crate::fields`]).

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
            }
        })
        .collect()
}

/// The meta value holding `invited`.
pub fn encode(invited: &[Invited]) -> String {
    invited
        .iter()
        .map(|i| fields::join(&[&i.participant_id, &i.number]) + "\n")
        .collect()
}

/// `invited` with `new` added at the end; an earlier invitation of the same
/// participant id is replaced where it is, as SEMS updates its list.
pub fn add(mut invited: Vec<Invited>, new: Invited) -> Vec<Invited> {
    match invited
        .iter_mut()
        .find(|i| i.participant_id == new.participant_id)
    {
        Some(earlier) => *earlier = new,
        None => invited.push(new),
    }
    invited
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
/// call in the room has taken (`joined` holds the ids of the room's calls).
pub fn not_joined<'a>(invited: &'a [Invited], joined: &[&str]) -> Vec<&'a Invited> {
    invited
        .iter()
        .filter(|i| !joined.contains(&i.participant_id.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invited(id: &str, number: &str) -> Invited {
        Invited {
            participant_id: id.to_owned(),
            number: number.to_owned(),
        }
    }

    #[test]
    fn round_trips_through_meta() {
        let list = vec![invited("p1", "100"), invited("p\t2", "sip:200@example.com")];
        assert_eq!(decode(&encode(&list)), list);
        assert_eq!(decode(""), Vec::<Invited>::new());
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
    fn joined_participants_are_listed_by_their_call_only() {
        let list = vec![invited("p1", "100"), invited("p2", "200")];
        assert_eq!(not_joined(&list, &["p2", ""]), vec![&list[0]]);
    }
}
