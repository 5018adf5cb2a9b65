//! The wall clock, as guests keep it in records and meta: whole unix seconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// The time now, in unix seconds (0 on a clock set before 1970).
pub fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
