//! The mute flags of finished participants. SEMS's `mute` and `unmute` set
//! the flag of any participant listed, one whose call is over too, and
//! `roomInfo` shows it until the participant drops off the list. The host no
//! longer changes a call that is over, so the guest keeps these flags in the
//! room's `finished_muted` meta value, one `call<TAB>flag` record a line (see
//! [`crate::fields`]; the flag is `1` or `0`): they go with the room, and the
//! flags of calls it no longer lists are dropped whenever the value is read
//! or written.

use crate::fields;

/// The room meta key holding the flags.
pub const META_KEY: &str = "finished_muted";

/// The flags a meta value holds of the calls in `listed`, by call, in order.
pub fn decode(meta: &str, listed: &[&str]) -> Vec<(String, bool)> {
    meta.lines()
        .filter_map(|line| {
            let mut parts = fields::split(line).into_iter();
            let call = parts.next()?;
            let muted = parts.next().is_some_and(|m| m == "1");
            listed.contains(&call.as_str()).then_some((call, muted))
        })
        .collect()
}

/// The meta value holding `flags`.
pub fn encode(flags: &[(String, bool)]) -> String {
    flags
        .iter()
        .map(|(call, muted)| fields::join(&[call, if *muted { "1" } else { "0" }]) + "\n")
        .collect()
}

/// The meta value `meta` becomes once `call` is flagged `muted`; the flags of
/// calls not in `listed` are dropped.
pub fn with_flag(meta: &str, listed: &[&str], call: &str, muted: bool) -> String {
    let mut flags = decode(meta, listed);
    match flags.iter_mut().find(|(c, _)| c == call) {
        Some((_, flag)) => *flag = muted,
        None => flags.push((call.to_owned(), muted)),
    }
    encode(&flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_through_meta() {
        let meta = with_flag("", &["a\tb"], "a\tb", true);
        let meta = with_flag(&meta, &["a\tb", "c"], "c", false);
        assert_eq!(
            decode(&meta, &["a\tb", "c"]),
            vec![("a\tb".to_owned(), true), ("c".to_owned(), false)]
        );
        assert_eq!(decode("", &["a"]), Vec::new());
    }

    #[test]
    fn a_second_flag_of_a_call_replaces_the_first() {
        let meta = with_flag("", &["a"], "a", true);
        assert_eq!(
            decode(&with_flag(&meta, &["a"], "a", false), &["a"]),
            vec![("a".to_owned(), false)]
        );
    }

    #[test]
    fn the_flags_of_calls_no_longer_listed_are_dropped() {
        let meta = with_flag("", &["gone"], "gone", true);
        assert_eq!(decode(&meta, &[]), Vec::new());
        let meta = with_flag(&meta, &["kept"], "kept", true);
        assert_eq!(meta, encode(&[("kept".to_owned(), true)]));
    }
}
