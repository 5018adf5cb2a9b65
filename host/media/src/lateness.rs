//! How late a worker's ticks run: a histogram of the time from each tick's deadline to when it
//! ran, in fixed buckets, so that a timing core's health is one array of counters.

use std::time::Duration;

/// The upper bounds of the buckets, in milliseconds; the last bucket takes everything later.
pub const LATENESS_BOUNDS_MS: [u64; 6] = [1, 2, 5, 10, 20, 50];

/// Ticks counted by how late they ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lateness {
    /// `buckets[i]` counts ticks later than `LATENESS_BOUNDS_MS[i - 1]` (0 for the first) and
    /// no later than `LATENESS_BOUNDS_MS[i]`; the last counts those later than every bound.
    pub buckets: [u64; LATENESS_BOUNDS_MS.len() + 1],
    /// The lateness of every tick counted, added up.
    pub sum: Duration,
}

impl Lateness {
    /// Counts one tick that ran `late` after its deadline.
    pub fn record(&mut self, late: Duration) {
        let millis = late.as_secs_f64() * 1000.0;
        let bucket = LATENESS_BOUNDS_MS
            .iter()
            .position(|&bound| millis <= bound as f64)
            .unwrap_or(LATENESS_BOUNDS_MS.len());
        self.buckets[bucket] += 1;
        self.sum += late;
    }

    /// Ticks later than `millis` (one of [`LATENESS_BOUNDS_MS`]; others count from the next
    /// bound above).
    pub fn later_than(&self, millis: u64) -> u64 {
        let first = LATENESS_BOUNDS_MS
            .iter()
            .position(|&bound| bound >= millis)
            .map_or(LATENESS_BOUNDS_MS.len(), |i| i + 1);
        self.buckets[first..].iter().sum()
    }

    /// Adds `other`'s counts to these.
    pub fn accumulate(&mut self, other: &Lateness) {
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets) {
            *mine += theirs;
        }
        self.sum += other.sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_in_their_bucket() {
        let mut lateness = Lateness::default();
        for micros in [0, 999, 1000, 1500, 4000, 20_000, 20_001, 400_000] {
            lateness.record(Duration::from_micros(micros));
        }
        assert_eq!(lateness.buckets, [3, 1, 1, 0, 1, 1, 1]);
        assert_eq!(lateness.later_than(1), 5);
        assert_eq!(lateness.later_than(5), 3);
        assert_eq!(lateness.later_than(20), 2);
        assert_eq!(lateness.later_than(50), 1);
        assert_eq!(lateness.sum, Duration::from_micros(447_500));
        let mut sum = lateness;
        sum.accumulate(&lateness);
        assert_eq!(sum.later_than(20), 4);
        assert_eq!(sum.sum, 2 * lateness.sum);
    }
}
