//! The tick schedule of a worker: absolute deadlines `start + k × period`, never drifting.

use std::time::{Duration, Instant};

/// Deadlines are computed by adding whole periods to the previous deadline (exact integer
/// nanosecond arithmetic), never from the time a tick actually ran, so lateness never
/// accumulates into drift.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticker {
    next: Instant,
    period: Duration,
}

/// The ticks due at some instant, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Due {
    /// Overdue ticks beyond the catch-up cap, dropped from the schedule unrun.
    pub(crate) skipped: u64,
    /// Deadline of the first tick to run.
    pub(crate) first: Instant,
    /// Ticks to run, at `first + i × period`.
    pub(crate) count: u32,
}

impl Ticker {
    /// A schedule whose first deadline is `start`.
    pub(crate) fn new(start: Instant, period: Duration) -> Self {
        Ticker {
            next: start,
            period,
        }
    }

    /// The next deadline not yet handed out.
    pub(crate) fn deadline(&self) -> Instant {
        self.next
    }

    /// The tick period.
    pub(crate) fn period(&self) -> Duration {
        self.period
    }

    /// Hands out every deadline at or before `now`: the newest `max_run` of them to run, the
    /// older rest as skipped. The schedule then resumes at the first deadline after `now`, still
    /// on the `start + k × period` grid.
    pub(crate) fn due(&mut self, now: Instant, max_run: u32) -> Due {
        if now < self.next {
            return Due {
                skipped: 0,
                first: self.next,
                count: 0,
            };
        }
        let period = self.period.as_nanos();
        let overdue = (now - self.next).as_nanos() / period + 1;
        let count = overdue.min(u128::from(max_run));
        let skipped = overdue - count;
        let first = self.next + nanos(period * skipped);
        self.next += nanos(period * overdue);
        Due {
            skipped: skipped as u64,
            first,
            count: count as u32,
        }
    }
}

fn nanos(n: u128) -> Duration {
    Duration::new((n / 1_000_000_000) as u64, (n % 1_000_000_000) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Duration = Duration::from_millis(20);

    #[test]
    fn runs_due_ticks_and_skips_beyond_the_cap() {
        let t0 = Instant::now();
        let mut ticker = Ticker::new(t0, P);
        assert_eq!(ticker.due(t0 - P, 3).count, 0);
        let on_time = ticker.due(t0 + Duration::from_millis(5), 3);
        assert_eq!((on_time.skipped, on_time.first, on_time.count), (0, t0, 1));
        assert_eq!(ticker.deadline(), t0 + P);
        // 130 ms later: deadlines 20, 40, …, 140 (7) are due; the newest three run.
        let late = ticker.due(t0 + Duration::from_millis(145), 3);
        assert_eq!(late.skipped, 4);
        assert_eq!(late.first, t0 + 5 * P);
        assert_eq!(late.count, 3);
        assert_eq!(ticker.deadline(), t0 + 8 * P);
    }
}
