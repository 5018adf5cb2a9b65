//! Call rates, sans-IO: new calls per second (with an optional limit) and
//! active calls, each kept as per-second values in a fixed ring covering the
//! last [`WINDOW_S`] seconds, plus the largest value seen since start. Memory
//! does not grow with time or with calls.

use std::time::Instant;

/// The seconds averaged over, and the length of each ring.
pub const WINDOW_S: u64 = 10;

/// What the 503 sent to a new call over the limit asks the caller to wait, in
/// seconds: the next second has room again.
pub const RATE_LIMIT_RETRY_AFTER_S: u32 = 1;

/// The second a call was counted in ([`CallRate::count`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted(u64);

/// New calls and active calls over time, and the limit of new calls per second.
///
/// Seconds are counted from the first `now` it is given; a `now` earlier
/// than the newest second recorded (callers racing for the core) counts in
/// that newest second.
#[derive(Debug, Default)]
pub struct CallRate {
    origin: Option<Instant>,
    new_calls: Seconds,
    active: Seconds,
    limit: u32,
}

impl CallRate {
    /// A new call arrived at `now`: if the limit leaves room in its second,
    /// it is counted and `true` is returned; otherwise `false`, uncounted.
    pub fn admit(&mut self, now: Instant) -> bool {
        self.count(now).is_some()
    }

    /// [`admit`](Self::admit), saying which second the call was counted in, for
    /// [`give_back`](Self::give_back).
    pub fn count(&mut self, now: Instant) -> Option<Counted> {
        let second = self.second(now);
        let slot = self.new_calls.advance(second, 0);
        let count = self.new_calls.get(slot);
        if self.limit > 0 && count >= self.limit {
            return None;
        }
        self.new_calls.set(slot, count + 1);
        Some(Counted(self.new_calls.slots[slot].second))
    }

    /// Takes back a call [`count`](Self::count) counted that was not placed after all, so
    /// that it uses up nothing of its second; nothing once that second has left the ring.
    pub fn give_back(&mut self, counted: Counted) {
        let slot = &mut self.new_calls.slots[slot_index(counted.0)];
        if slot.second == counted.0 {
            slot.value = slot.value.saturating_sub(1);
        }
    }

    /// `level` calls are active at `now`; they stay so until the next sample.
    pub fn sample_active(&mut self, now: Instant, level: usize) {
        let level = u32::try_from(level).unwrap_or(u32::MAX);
        if self.origin.is_none() && level == 0 {
            return;
        }
        let second = self.second(now);
        let carried = self.active.idle;
        let slot = self.active.advance(second, carried);
        let peak = self.active.get(slot).max(level);
        self.active.set(slot, peak);
        self.active.idle = level;
    }

    /// New calls per second, averaged over the [`WINDOW_S`] seconds up to
    /// `now` (the current second included).
    pub fn new_calls_average(&self, now: Instant) -> f64 {
        self.new_calls.average(self.peek_second(now))
    }

    /// The most new calls counted in one second since start.
    pub fn new_calls_max(&self) -> u32 {
        self.new_calls.max
    }

    /// Active calls, averaged over the [`WINDOW_S`] seconds up to `now`, each
    /// second counting the most calls active during it.
    pub fn active_average(&self, now: Instant) -> f64 {
        self.active.average(self.peek_second(now))
    }

    /// The most calls active at once since start.
    pub fn active_max(&self) -> u32 {
        self.active.max
    }

    /// The most new calls admitted per second; 0: no limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Sets the most new calls admitted per second; 0: no limit.
    pub fn set_limit(&mut self, limit: u32) {
        self.limit = limit;
    }

    /// The second (since the first `now` seen) that `now` falls in.
    fn second(&mut self, now: Instant) -> u64 {
        let origin = *self.origin.get_or_insert(now);
        now.saturating_duration_since(origin).as_secs()
    }

    /// Like [`CallRate::second`], for reading: `None` before anything was recorded.
    fn peek_second(&self, now: Instant) -> Option<u64> {
        self.origin
            .map(|origin| now.saturating_duration_since(origin).as_secs())
    }
}

/// One value per second for the last [`WINDOW_S`] seconds, the second `s`
/// in slot `s % WINDOW_S`, and the largest value since start.
#[derive(Debug, Default)]
struct Seconds {
    slots: [Slot; WINDOW_S as usize],
    /// The newest second recorded.
    newest: Option<u64>,
    /// What each second after `newest` holds until one is recorded: 0 for a
    /// count, the last level for a gauge.
    idle: u32,
    max: u32,
}

#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    second: u64,
    value: u32,
}

impl Seconds {
    /// Moves the ring on to `second` and returns its slot: each second
    /// skipped (at most a window's worth) and `second` itself start at
    /// `start`. A second older than the newest gives the newest's slot.
    fn advance(&mut self, second: u64, start: u32) -> usize {
        let newest = match self.newest {
            Some(newest) if second <= newest => newest,
            Some(newest) => {
                let first = (newest + 1).max(second.saturating_sub(WINDOW_S - 1));
                for s in first..=second {
                    self.slots[slot_index(s)] = Slot {
                        second: s,
                        value: start,
                    };
                }
                second
            }
            None => {
                self.slots[slot_index(second)] = Slot {
                    second,
                    value: start,
                };
                second
            }
        };
        self.newest = Some(newest);
        slot_index(newest)
    }

    fn get(&self, slot: usize) -> u32 {
        self.slots[slot].value
    }

    /// Sets the value in `slot`, keeping the largest since start.
    fn set(&mut self, slot: usize, value: u32) {
        self.slots[slot].value = value;
        self.max = self.max.max(value);
    }

    /// What `second` held: the idle value after the newest second, 0 before
    /// anything was recorded or for a second that has left the ring.
    fn value(&self, second: u64) -> u32 {
        match self.newest {
            None => 0,
            Some(newest) if second > newest => self.idle,
            Some(_) => {
                let slot = self.slots[slot_index(second)];
                if slot.second == second { slot.value } else { 0 }
            }
        }
    }

    /// The mean value of the [`WINDOW_S`] seconds ending with `now`.
    fn average(&self, now: Option<u64>) -> f64 {
        let Some(now) = now else {
            return 0.0;
        };
        let first = now.saturating_sub(WINDOW_S - 1);
        let sum: u64 = (first..=now).map(|s| u64::from(self.value(s))).sum();
        sum as f64 / WINDOW_S as f64
    }
}

fn slot_index(second: u64) -> usize {
    (second % WINDOW_S) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    #[test]
    fn nothing_recorded_reads_zero() {
        let rate = CallRate::default();
        let now = Instant::now();
        assert_eq!(rate.new_calls_average(now), 0.0);
        assert_eq!(rate.active_average(now), 0.0);
        assert_eq!(rate.new_calls_max(), 0);
        assert_eq!(rate.active_max(), 0);
        assert_eq!(rate.limit(), 0);
    }

    #[test]
    fn new_calls_average_over_ten_seconds_and_max_of_one_second() {
        let start = Instant::now();
        let mut rate = CallRate::default();
        // Second 0: 3 calls; second 1: 7 calls; second 4: 2 calls.
        for ms in [0, 100, 900] {
            assert!(rate.admit(at(start, ms)));
        }
        for i in 0..7 {
            assert!(rate.admit(at(start, 1000 + i * 100)));
        }
        rate.admit(at(start, 4000));
        rate.admit(at(start, 4999));
        assert_eq!(rate.new_calls_max(), 7);
        assert_eq!(rate.new_calls_average(at(start, 4500)), 12.0 / 10.0);
        // Second 10 still sees seconds 1 to 10; second 11 no longer sees second 1.
        assert_eq!(rate.new_calls_average(at(start, 10_999)), 9.0 / 10.0);
        assert_eq!(rate.new_calls_average(at(start, 11_000)), 2.0 / 10.0);
        assert_eq!(rate.new_calls_average(at(start, 15_000)), 0.0);
        // The maximum is since start.
        assert_eq!(rate.new_calls_max(), 7);
    }

    #[test]
    fn the_ring_wraps_and_old_seconds_leave_it() {
        let start = Instant::now();
        let mut rate = CallRate::default();
        // One call at the start of each second for 25 s, then 4 calls in second 30.
        for s in 0..25 {
            assert!(rate.admit(at(start, s * 1000)));
        }
        assert_eq!(rate.new_calls_average(at(start, 24_900)), 1.0);
        for _ in 0..4 {
            rate.admit(at(start, 30_000));
        }
        // Seconds 21 to 30: 21..=24 had one each, 30 had four.
        assert_eq!(rate.new_calls_average(at(start, 30_100)), 8.0 / 10.0);
        assert_eq!(rate.new_calls_max(), 4);
        // A jump far past the ring clears it all.
        rate.admit(at(start, 1_000_000));
        assert_eq!(rate.new_calls_average(at(start, 1_000_000)), 0.1);
        assert_eq!(rate.new_calls_max(), 4);
    }

    #[test]
    fn memory_is_bounded() {
        let start = Instant::now();
        let mut rate = CallRate::default();
        for s in 0..10_000u64 {
            rate.admit(at(start, s * 1000));
            rate.sample_active(at(start, s * 1000), (s % 50) as usize);
        }
        // The rings are arrays, not collections: this is all it ever holds.
        assert!(std::mem::size_of::<CallRate>() <= 512);
        assert_eq!(rate.new_calls_average(at(start, 9_999_000)), 1.0);
        assert_eq!(rate.new_calls_max(), 1);
        assert_eq!(rate.active_max(), 49);
    }

    #[test]
    fn the_limit_refuses_calls_over_it_in_each_second() {
        let start = Instant::now();
        let mut rate = CallRate::default();
        rate.set_limit(5);
        assert_eq!(rate.limit(), 5);
        let admitted = (0..20).filter(|i| rate.admit(at(start, i * 50))).count();
        assert_eq!(admitted, 5);
        // A new second has room again.
        let admitted = (0..20)
            .filter(|i| rate.admit(at(start, 1000 + i * 50)))
            .count();
        assert_eq!(admitted, 5);
        assert_eq!(rate.new_calls_max(), 5);
        assert_eq!(rate.new_calls_average(at(start, 1999)), 1.0);
        // 0 lifts the limit.
        rate.set_limit(0);
        assert!((0..20).all(|i| rate.admit(at(start, 1000 + i))));
        assert_eq!(rate.new_calls_max(), 25);
    }

    #[test]
    fn a_late_now_counts_in_the_newest_second() {
        let start = Instant::now();
        let mut rate = CallRate::default();
        rate.admit(start);
        rate.admit(at(start, 2000));
        rate.admit(at(start, 1500));
        assert_eq!(rate.new_calls_max(), 2);
        assert_eq!(rate.new_calls_average(at(start, 2000)), 3.0 / 10.0);
    }

    #[test]
    fn active_calls_carry_forward_between_samples() {
        let start = Instant::now();
        let mut rate = CallRate::default();
        // Up to 4 calls in second 0, down to 2 in second 1, then none from second 5.
        for (ms, level) in [(0, 1), (200, 4), (900, 3), (1500, 2), (5000, 0)] {
            rate.sample_active(at(start, ms), level);
        }
        assert_eq!(rate.active_max(), 4);
        // Seconds 0..=9: 4, 3 (the level carried in), 2, 2, 2, 2 (peak of second 5), then 0.
        assert_eq!(rate.active_average(at(start, 9000)), 15.0 / 10.0);
        // With no sample since, the last level (0) holds.
        assert_eq!(rate.active_average(at(start, 20_000)), 0.0);
        // A level held with no samples counts every second.
        rate.sample_active(at(start, 30_000), 6);
        assert_eq!(rate.active_average(at(start, 45_000)), 6.0);
        assert_eq!(rate.active_max(), 6);
    }

    #[test]
    fn idle_samples_before_any_call_start_nothing() {
        let start = Instant::now();
        let mut rate = CallRate::default();
        rate.sample_active(start, 0);
        assert_eq!(rate.active_average(at(start, 100)), 0.0);
        // Seconds start at the first call, not the first idle sample.
        rate.admit(at(start, 5500));
        rate.admit(at(start, 6400));
        assert_eq!(rate.new_calls_max(), 2);
    }

    #[test]
    fn a_call_given_back_leaves_room_in_its_second_and_only_there() {
        let start = Instant::now();
        let mut rate = CallRate::default();
        rate.set_limit(2);
        let first = rate.count(at(start, 0)).expect("room");
        assert!(rate.count(at(start, 10)).is_some());
        assert_eq!(rate.count(at(start, 20)), None, "the limit");
        rate.give_back(first);
        assert!(rate.count(at(start, 30)).is_some(), "its place again");
        assert_eq!(rate.count(at(start, 40)), None);
        // Given back once its second has left the ring, a call changes nothing.
        let old = rate.count(at(start, 1_000)).expect("a new second");
        assert!(rate.count(at(start, 11_000)).is_some(), "in old's slot now");
        assert!(rate.count(at(start, 11_010)).is_some());
        rate.give_back(old);
        assert_eq!(rate.count(at(start, 11_020)), None);
    }
}
