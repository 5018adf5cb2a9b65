//! The mark a caller entering a private room leaves in the room's meta
//! before its call joins: the token of the call that marked the room first.
//! A join that finds the mark gone, or another's, opened the room anew: it
//! was deleted between the mark and the join, which took the mark with it.

/// The room meta key holding the mark.
pub const META_KEY: &str = "entered";

/// The token an entering call marks a room with: its call id and a random
/// number, so that no other call, before a restart or after it, marks a
/// room with the same.
pub fn token(call: &str, random: u64) -> String {
    format!("{call}/{random:016x}")
}

/// Whether the join of a call that saw the mark `seen` before it, and found
/// `others` in the room, opened the room anew: the room's mark is now
/// another (`now`: none, or one a later caller left in the room this join
/// opened), nobody else was in it, and no admin function gave it a pin or
/// invitations (`claimed`), as one that opens a room does.
pub fn reopened_by_join(seen: &str, now: Option<&str>, others: u32, claimed: bool) -> bool {
    now != Some(seen) && others == 0 && !claimed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_still_marked_as_seen_was_not_reopened() {
        assert!(!reopened_by_join("c1/01", Some("c1/01"), 0, false));
    }

    #[test]
    fn a_room_whose_mark_is_gone_was_reopened_by_the_join() {
        assert!(reopened_by_join("c1/01", None, 0, false));
    }

    #[test]
    fn a_later_callers_mark_in_the_reopened_room_does_not_hide_it() {
        // X saw its own mark; the room was deleted, X's join opened it anew,
        // and Y, admitted to it, marked it before X looked.
        let x = token("c1", 1);
        let y = token("c2", 2);
        assert!(reopened_by_join(&x, Some(&y), 0, false));
    }

    #[test]
    fn a_room_with_company_or_claimed_by_an_admin_was_not_reopened_by_this_join() {
        assert!(!reopened_by_join("c1/01", None, 1, false));
        assert!(!reopened_by_join("c1/01", None, 0, true));
    }

    #[test]
    fn tokens_differ_by_call_and_by_random_number() {
        assert_ne!(token("c1", 7), token("c2", 7));
        assert_ne!(token("c1", 7), token("c1", 8));
    }
}
