//! The marks a participant leaving leaves for one it left alone
//! (`lonely/<call>`, the unix time it was set), in the key-value store. The
//! call's instance deletes its mark when it reads it or ends; a mark it
//! never reads (its call ended as the mark was set, or it is the call of
//! another guest sharing the room) goes stale after a day and is swept.

use crate::fields;

/// The key prefix of the marks.
pub const PREFIX: &str = "lonely/";
/// How long a mark may wait to be read, in seconds: it is read at the end of
/// the prompt played with it, so a day is far more than any takes.
const STALE_AFTER_S: u64 = 86_400;

/// The key of the mark of `call`.
pub fn key(call: &str) -> String {
    format!("{PREFIX}{}", fields::escape(call))
}

/// Whether a mark holding `value` is stale at `now` (unix seconds); one that
/// holds no time is.
pub fn is_stale(value: Option<&str>, now: u64) -> bool {
    value
        .and_then(|v| v.parse::<u64>().ok())
        .is_none_or(|set_at| now.saturating_sub(set_at) > STALE_AFTER_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_goes_stale_after_a_day() {
        assert!(!is_stale(Some("1000"), 1000 + STALE_AFTER_S));
        assert!(is_stale(Some("1000"), 1001 + STALE_AFTER_S));
        assert!(!is_stale(Some("2000"), 1000), "a clock stepped back");
    }

    #[test]
    fn a_mark_without_a_time_is_stale() {
        assert!(is_stale(Some(""), 1000));
        assert!(is_stale(None, 1000));
    }

    #[test]
    fn marks_share_the_prefix() {
        assert_eq!(key("a/b"), "lonely/a%2Fb");
        assert!(key("c").starts_with(PREFIX));
    }
}
