//! What the call tag of `kickout`, `mute` and `unmute` names in a room.

/// A call tag, as found in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A participant whose call has not finished.
    Participant,
    /// A participant whose call has finished, listed until it expires: SEMS
    /// still finds it (and answers OK to what can no longer be done).
    Finished,
    /// The empty tag `roomInfo` shows for an invitation, in a room listing
    /// one: SEMS finds the first invitation by it (and answers OK to what
    /// cannot be done to a call not yet made).
    Invited,
    /// None of these: SEMS's "call does not exist".
    Unknown,
}

/// Finds `tag` among the room's participants (`listed`: call tag and whether
/// that participant has finished; a dial-out is listed from the moment it is
/// placed) and, for the empty tag, its invitations (`invited`: whether it
/// lists one).
pub fn find(tag: &str, listed: &[(&str, bool)], invited: bool) -> Found {
    if tag.is_empty() {
        return if invited {
            Found::Invited
        } else {
            Found::Unknown
        };
    }
    match listed.iter().find(|&&(call, _)| call == tag) {
        Some(&(_, true)) => Found::Finished,
        Some(&(_, false)) => Found::Participant,
        None => Found::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_participants_are_found() {
        assert_eq!(find("c1", &[("c1", false)], false), Found::Participant);
    }

    #[test]
    fn finished_participants_are_found_until_they_expire() {
        assert_eq!(find("c1", &[("c1", true)], false), Found::Finished);
    }

    #[test]
    fn the_empty_tag_finds_an_invitation() {
        assert_eq!(find("", &[("c1", false)], true), Found::Invited);
        assert_eq!(find("", &[("c1", false)], false), Found::Unknown);
        assert_eq!(find("c1", &[("c1", false)], true), Found::Participant);
    }

    #[test]
    fn other_tags_are_unknown() {
        assert_eq!(find("c2", &[("c1", false)], true), Found::Unknown);
        assert_eq!(find("", &[], false), Found::Unknown);
    }
}
