//! Waits that may outlast one host timer: the host starts timers of at most a
//! day, so a flow keeps the moment it waits for and, when a timer fires before
//! it, starts another for the rest.

/// The longest timer the host starts, in seconds (a day).
pub const MAX_TIMER_S: u32 = 86_400;

/// A moment a flow waits for, in whole unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(u64);

impl Deadline {
    /// `seconds` after `now` (unix seconds).
    pub fn after(now: u64, seconds: u32) -> Deadline {
        Deadline(now.saturating_add(u64::from(seconds)))
    }

    /// At the unix time `at`.
    pub fn at(at: u64) -> Deadline {
        Deadline(at)
    }

    /// Whether it has come at `now` (unix seconds).
    pub fn is_reached(self, now: u64) -> bool {
        now >= self.0
    }

    /// The next timer toward it from `now`, in seconds: the time left, at most
    /// [`MAX_TIMER_S`]; 0 once it is reached. `now` is rounded down and a timer
    /// fires at or after its time, so the last one fires at or after the deadline.
    pub fn timer_s(self, now: u64) -> u32 {
        let left = self.0.saturating_sub(now).min(u64::from(MAX_TIMER_S));
        u32::try_from(left).unwrap_or(MAX_TIMER_S)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The timers a wait of `seconds` from `start` takes, each fired on time.
    fn timers_for(start: u64, seconds: u32) -> Vec<u32> {
        let deadline = Deadline::after(start, seconds);
        let mut now = start;
        let mut timers = Vec::new();
        while !deadline.is_reached(now) {
            let timer = deadline.timer_s(now);
            timers.push(timer);
            now += u64::from(timer);
        }
        timers
    }

    #[test]
    fn a_wait_within_a_day_takes_one_timer() {
        assert_eq!(timers_for(1_000, 30), vec![30]);
        assert_eq!(timers_for(1_000, MAX_TIMER_S), vec![MAX_TIMER_S]);
    }

    #[test]
    fn a_wait_past_a_day_takes_a_timer_a_day_until_its_end() {
        let two_and_a_half_days = 2 * MAX_TIMER_S + MAX_TIMER_S / 2;
        assert_eq!(
            timers_for(1_000, two_and_a_half_days),
            vec![MAX_TIMER_S, MAX_TIMER_S, MAX_TIMER_S / 2]
        );
        assert_eq!(timers_for(0, u32::MAX).len(), 49_711);
    }

    #[test]
    fn a_day_after_the_start_a_longer_wait_is_not_over() {
        let deadline = Deadline::after(1_000, MAX_TIMER_S + 1);
        assert!(!deadline.is_reached(1_000 + u64::from(MAX_TIMER_S)));
        assert!(deadline.is_reached(1_001 + u64::from(MAX_TIMER_S)));
    }

    #[test]
    fn a_deadline_reached_needs_no_more_timers() {
        let deadline = Deadline::at(5_000);
        assert!(deadline.is_reached(5_000));
        assert_eq!(deadline.timer_s(5_000), 0);
        assert_eq!(deadline.timer_s(9_000), 0);
        assert_eq!(deadline.timer_s(4_990), 10);
    }
}
