//! Room time-outs: `roomCreate(room, timeout_s)` gives a room an end, kept as
//! the unix time in its `expires_at` meta value.

/// The room meta key holding the unix time a room expires at.
pub const META_KEY: &str = "expires_at";

/// When a room created at `now` (unix seconds) with `timeout_s` expires: never
/// for a timeout that is not positive, as SEMS has it.
pub fn expires_at(now: u64, timeout_s: i32) -> Option<u64> {
    u64::try_from(timeout_s)
        .ok()
        .filter(|&t| t > 0)
        .map(|t| now.saturating_add(t))
}

/// The unix time a room whose `expires_at` meta value is `meta` expires at:
/// none for a room without one, or with one that does not parse.
pub fn end(meta: Option<&str>) -> Option<u64> {
    meta.and_then(|m| m.parse::<u64>().ok())
}

/// Whether a room whose `expires_at` meta value is `meta` has expired at
/// `now`. A room without an [`end`] never expires.
pub fn is_expired(meta: Option<&str>, now: u64) -> bool {
    end(meta).is_some_and(|at| at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_timeouts_set_an_end() {
        assert_eq!(expires_at(1000, 60), Some(1060));
        assert_eq!(expires_at(1000, 0), None);
        assert_eq!(expires_at(1000, -5), None);
    }

    #[test]
    fn a_room_expires_once_its_end_is_reached() {
        assert!(!is_expired(Some("1060"), 1059));
        assert!(is_expired(Some("1060"), 1060));
        assert!(is_expired(Some("1060"), 2000));
    }

    #[test]
    fn rooms_without_an_end_never_expire() {
        assert!(!is_expired(None, u64::MAX));
        assert!(!is_expired(Some("soon"), u64::MAX));
    }
}
