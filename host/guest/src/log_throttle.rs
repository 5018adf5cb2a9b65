//! Lines that may come over and over, written at most once per key and
//! [`LogThrottle::INTERVAL`], the next one written saying how many were held back: those
//! the host writes on a guest's behalf, outside the guest's own allowance of log lines (a
//! dial the host refused, a message it dropped), keyed by guest, and the media workers'
//! failed sends, keyed by cause.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One kind of line, throttled per key. The keys are few (the configured guests, the
/// causes of a failure), so the table stays as small as their list.
#[derive(Debug, Default)]
pub struct LogThrottle {
    keys: Mutex<HashMap<String, Window>>,
}

/// A key's lines: when the last was written, and how many were held back
/// since.
#[derive(Debug, Clone, Copy)]
struct Window {
    written: Instant,
    held: u64,
}

/// A line [`LogThrottle::admit`] lets through. Its `Display` is what to add to the line:
/// how many like it were held back since the last one written, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    held: u64,
}

impl LogThrottle {
    /// The least time between two lines of one kind for one key.
    pub const INTERVAL: Duration = Duration::from_secs(10);

    /// Whether a line for `key` may be written at `now`: the first one, and the first
    /// one [`Self::INTERVAL`] after the last one written, are; the others are held back
    /// (`None`) and counted.
    pub fn admit(&self, key: &str, now: Instant) -> Option<Admitted> {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let Some(window) = keys.get_mut(key) else {
            keys.insert(
                key.to_owned(),
                Window {
                    written: now,
                    held: 0,
                },
            );
            return Some(Admitted { held: 0 });
        };
        if now.saturating_duration_since(window.written) < Self::INTERVAL {
            window.held += 1;
            return None;
        }
        let held = window.held;
        *window = Window {
            written: now,
            held: 0,
        };
        Some(Admitted { held })
    }
}

impl fmt::Display for Admitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.held {
            0 => Ok(()),
            held => write!(
                f,
                " ({held} more like it held back since the last such line)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_guest_and_interval_then_the_count_of_those_held_back() {
        let throttle = LogThrottle::default();
        let start = Instant::now();
        let first = throttle.admit("conf", start).expect("the first is written");
        assert_eq!(first.to_string(), "");
        for n in 0..1000 {
            let at = start + Duration::from_millis(n);
            assert_eq!(throttle.admit("conf", at), None, "held back at {n} ms");
        }
        let other = throttle
            .admit("ivr", start)
            .expect("each guest has its own");
        assert_eq!(other.to_string(), "");
        let next = throttle
            .admit("conf", start + LogThrottle::INTERVAL)
            .expect("written after the interval");
        assert_eq!(
            next.to_string(),
            " (1000 more like it held back since the last such line)"
        );
        let later = start + LogThrottle::INTERVAL * 3;
        assert_eq!(
            throttle.admit("conf", later).map(|a| a.to_string()),
            Some(String::new())
        );
    }
}
