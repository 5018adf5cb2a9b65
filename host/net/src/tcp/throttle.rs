//! Warnings of a failure that repeats, at most one per interval: accepting fails for every
//! connection waiting while the process is out of file descriptors (EMFILE, ENFILE), and the
//! accept loop retries every few milliseconds. Sans-IO: the loop reports each failure, and
//! when.

use std::time::{Duration, Instant};

/// Whether a failure is to be warned of now, and how many went unmentioned before it.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last_warned: Option<Instant>,
    /// Failures since the last warning.
    failed: u64,
}

impl Throttle {
    /// At most one warning per `interval`; the first failure is warned of at once.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_warned: None,
            failed: 0,
        }
    }

    /// A failure at `now`: `Some` with how many failed since the last warning, this one
    /// included, when it is to be warned of; `None` when a warning came less than the
    /// interval ago.
    pub fn failed(&mut self, now: Instant) -> Option<u64> {
        self.failed += 1;
        if self
            .last_warned
            .is_some_and(|warned| now < warned + self.interval)
        {
            return None;
        }
        self.last_warned = Some(now);
        Some(std::mem::take(&mut self.failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_warning_per_interval_counts_the_failures_since_the_last() {
        let start = Instant::now();
        let ms = |ms| start + Duration::from_millis(ms);
        let mut throttle = Throttle::new(Duration::from_secs(10));
        assert_eq!(throttle.failed(start), Some(1), "the first at once");
        for at in (10..10_000).step_by(10) {
            assert_eq!(throttle.failed(ms(at)), None, "at {at} ms");
        }
        assert_eq!(
            throttle.failed(ms(10_000)),
            Some(1000),
            "the 999 unmentioned, and this one"
        );
        assert_eq!(throttle.failed(ms(15_000)), None);
        assert_eq!(
            throttle.failed(ms(60_000)),
            Some(2),
            "a quiet spell: the next at once"
        );
    }
}
