//! What the call tag of `kickout`, `mute` and `unmute` names in a room.

/// A call tag, as found in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A participant whose call has not finished.
    Participant,
    /// A participant whose call has finished, listed until it expires: SEMS
    /// still finds it (and answers OK to what can no longer be done).
    Finished,
    /// A dial-out of the room not yet in its list (still being placed); it
    /// can be hung up, not muted.
    Dialing,
    /// Neither: SEMS's "call does not exist".
    Unknown,
}

/// Finds `tag` among the room's participants (`listed`: call tag and whether
/// that participant has finished) and its dial-outs in progress.
pub fn find(tag: &str, listed: &[(&str, bool)], dialing: &[String]) -> Found {
    if let Some(&(_, finished)) = listed.iter().find(|&&(call, _)| call == tag) {
        if finished {
            Found::Finished
        } else {
            Found::Participant
        }
    } else if dialing.iter().any(|call| call == tag) {
        Found::Dialing
    } else {
        Found::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_participants_are_found() {
        assert_eq!(find("c1", &[("c1", false)], &[]), Found::Participant);
    }

    #[test]
    fn finished_participants_are_found_until_they_expire() {
        assert_eq!(find("c1", &[("c1", true)], &[]), Found::Finished);
    }

    #[test]
    fn dial_outs_not_yet_listed_are_found() {
        assert_eq!(find("c9", &[("c1", false)], &["c9".into()]), Found::Dialing);
    }

    #[test]
    fn other_tags_are_unknown() {
        assert_eq!(find("c2", &[("c1", false)], &["c9".into()]), Found::Unknown);
        assert_eq!(find("", &[], &[]), Found::Unknown);
    }
}
