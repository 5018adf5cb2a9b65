//! How long calls took to be answered: a histogram in fixed buckets, so that the shell can
//! expose it without the core keeping one observation per call.

use std::time::Duration;

/// The upper bounds of the buckets, in seconds; the last bucket takes everything longer.
pub const SETUP_BOUNDS_S: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Answered calls counted by how long their setup took: from the INVITE received to the
/// answer sent for an incoming call, from the INVITE sent to the answer received for a placed
/// one. Calls never answered are not counted here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetupTimes {
    /// `buckets[i]` counts setups longer than `SETUP_BOUNDS_S[i - 1]` (0 for the first) and no
    /// longer than `SETUP_BOUNDS_S[i]`; the last counts those longer than every bound.
    pub buckets: [u64; SETUP_BOUNDS_S.len() + 1],
    /// The setup times added up.
    pub sum: Duration,
}

impl SetupTimes {
    /// Counts one call answered `took` after its setup began.
    pub fn record(&mut self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = SETUP_BOUNDS_S
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(SETUP_BOUNDS_S.len());
        self.buckets[bucket] += 1;
        self.sum += took;
    }

    /// Calls counted.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setups_fall_in_their_bucket_and_add_up() {
        let mut times = SetupTimes::default();
        for millis in [1, 5, 6, 700, 40_000] {
            times.record(Duration::from_millis(millis));
        }
        assert_eq!(times.buckets[0], 2);
        assert_eq!(times.buckets[1], 1);
        assert_eq!(times.buckets[7], 1);
        assert_eq!(times.buckets[SETUP_BOUNDS_S.len()], 1);
        assert_eq!(times.count(), 5);
        assert_eq!(times.sum, Duration::from_millis(40_712));
    }
}
