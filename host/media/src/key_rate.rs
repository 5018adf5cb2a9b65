//! How many key presses one leg may report: a peer that stamps every telephone-event packet
//! anew (RFC 4733 §2.5.1.3 makes each new timestamp a new event) would otherwise turn each
//! packet into an event for the call logic, thousands a second.

use std::time::{Duration, Instant};

/// The most key presses a leg reports in one second: ten times what a person or a dialling
/// device manages (RFC 4733's shortest event, 40 ms, with a pause as long, is about twelve a
/// second), and a thirtieth of what a packet per event at the worker's read rate would be.
pub const MAX_KEYS_PER_SECOND: u8 = 100;

const WINDOW: Duration = Duration::from_secs(1);

/// The key presses of the current one-second window.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KeyRate {
    window_start: Option<Instant>,
    keys: u8,
}

impl KeyRate {
    /// Whether a key pressed at `now` is reported: at most [`MAX_KEYS_PER_SECOND`] in the
    /// second from the first press of a window.
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        let start = match self.window_start {
            Some(start) if now.saturating_duration_since(start) < WINDOW => start,
            _ => {
                self.keys = 0;
                now
            }
        };
        self.window_start = Some(start);
        if self.keys == MAX_KEYS_PER_SECOND {
            return false;
        }
        self.keys += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_takes_its_keys_and_the_next_window_as_many_again() {
        let mut rate = KeyRate::default();
        let t0 = Instant::now();
        let allowed = (0..500)
            .filter(|&i| rate.allow(t0 + Duration::from_millis(2 * i)))
            .count();
        assert_eq!(allowed, usize::from(MAX_KEYS_PER_SECOND));
        assert!(rate.allow(t0 + WINDOW), "a new window");
        assert!(rate.allow(t0 + WINDOW + Duration::from_millis(999)));
    }
}
