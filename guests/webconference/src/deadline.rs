//! Waits that may outlast one host timer: the host starts timers of at most a
//! day, so a flow keeps what it waits for and, when a timer fires before it,
//! starts another for the rest. A moment on the wall clock is a [`Deadline`];
//! a length of time is a [`Countdown`], counted by the timers run, as the
//! host's timers are monotonic and the wall clock may step back or forward.

/// The longest timer the host starts, in seconds (a day).
pub const MAX_TIMER_S: u32 = 86_400;

/// A moment a flow waits for, in whole unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(u64);

impl Deadline {
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

/// The seconds left of a wait, whatever the wall clock does meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown(u32);

impl Countdown {
    /// A wait of `seconds`.
    pub fn new(seconds: u32) -> Countdown {
        Countdown(seconds)
    }

    /// The next timer toward its end, in seconds: the time left, at most
    /// [`MAX_TIMER_S`]; 0 once it is over.
    pub fn timer_s(self) -> u32 {
        self.0.min(MAX_TIMER_S)
    }

    /// What is left once a timer of `armed` seconds fired.
    pub fn after_timer(self, armed: u32) -> Countdown {
        Countdown(self.0.saturating_sub(armed))
    }

    /// Whether no time is left.
    pub fn is_over(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The timers a wait of `seconds` from `start` takes, each fired on time.
    fn timers_for(start: u64, seconds: u32) -> Vec<u32> {
        let deadline = Deadline::at(start + u64::from(seconds));
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
        let deadline = Deadline::at(1_000 + u64::from(MAX_TIMER_S) + 1);
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

    /// The timers a countdown of `seconds` takes, each fired on time.
    fn countdown_timers(seconds: u32) -> Vec<u32> {
        let mut left = Countdown::new(seconds);
        let mut timers = Vec::new();
        while !left.is_over() {
            let timer = left.timer_s();
            timers.push(timer);
            left = left.after_timer(timer);
        }
        timers
    }

    #[test]
    fn a_countdown_takes_a_timer_a_day_until_its_end() {
        assert_eq!(countdown_timers(30), vec![30]);
        assert_eq!(
            countdown_timers(2 * MAX_TIMER_S + 5),
            vec![MAX_TIMER_S, MAX_TIMER_S, 5]
        );
        assert_eq!(countdown_timers(0), Vec::<u32>::new());
    }

    #[test]
    fn a_countdown_ends_with_its_timers_whatever_the_wall_clock_says() {
        // Nothing but the timers armed moves it: a wall clock stepped back an
        // hour between arming and firing leaves a 30 s wait over when its
        // 30 s timer fires.
        let left = Countdown::new(30);
        assert_eq!(left.timer_s(), 30);
        assert!(left.after_timer(30).is_over());
        assert!(
            !Countdown::new(MAX_TIMER_S + 1)
                .after_timer(MAX_TIMER_S)
                .is_over()
        );
    }
}
