//! The relative transit time of a stream's packets (RFC 3550 §6.4.1: arrival on the RTP clock
//! less the RTP timestamp) and its change D from one packet to the next, of which interarrival
//! jitter is the running mean.

use std::time::{Duration, Instant};

/// How a packet's transit time changed against the packet before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransitChange {
    /// The first packet since the stream (re)started: nothing to compare with.
    First,
    /// |D| in RTP clock units: jitter.
    Jitter(u32),
    /// A change beyond the bound: no jitter any buffer could absorb but a new timeline (a
    /// source switched behind the same SSRC, a jump of its timestamps). Later packets compare
    /// with this one.
    NewTimeline,
}

/// The transit time of a stream's last packet.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Transit {
    /// Where arrival times count from: the first packet's. Only differences matter.
    origin: Option<Instant>,
    last: Option<u32>,
}

impl Transit {
    /// Takes a packet stamped `timestamp` on a `clock_rate` Hz clock arriving `at`: how its
    /// transit time changed, a change of more than `bound` being a new timeline.
    pub(crate) fn next(
        &mut self,
        at: Instant,
        timestamp: u32,
        clock_rate: u32,
        bound: Duration,
    ) -> TransitChange {
        let origin = *self.origin.get_or_insert(at);
        let since = at.saturating_duration_since(origin).as_nanos();
        // The arrival time on the RTP clock; only differences matter, so it may wrap.
        let arrival = (since * u128::from(clock_rate) / 1_000_000_000) as u32;
        let transit = arrival.wrapping_sub(timestamp);
        let Some(last) = self.last.replace(transit) else {
            return TransitChange::First;
        };
        let d = (transit.wrapping_sub(last) as i32).unsigned_abs();
        let max_step = bound.as_nanos() * u128::from(clock_rate) / 1_000_000_000;
        if u128::from(d) <= max_step {
            TransitChange::Jitter(d)
        } else {
            TransitChange::NewTimeline
        }
    }

    /// Compares the next packet with none: transit times of a new source, or on a new clock
    /// rate, are not comparable with the last.
    pub(crate) fn restart(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_within_the_bound_are_jitter_and_beyond_it_a_new_timeline() {
        let start = Instant::now();
        let bound = Duration::from_millis(200);
        let mut transit = Transit::default();
        let at = |ms: u64| start + Duration::from_millis(ms);
        assert_eq!(transit.next(at(0), 0, 8000, bound), TransitChange::First);
        // 10 ms late: 80 units.
        assert_eq!(
            transit.next(at(30), 160, 8000, bound),
            TransitChange::Jitter(80)
        );
        // 200 ms at 8 kHz is 1600 units: just within.
        assert_eq!(
            transit.next(at(40), 1840, 8000, bound),
            TransitChange::Jitter(1600)
        );
        // A jump of the timestamps by 10 s.
        assert_eq!(
            transit.next(at(60), 81_920, 8000, bound),
            TransitChange::NewTimeline
        );
        // On from there.
        assert_eq!(
            transit.next(at(80), 82_080, 8000, bound),
            TransitChange::Jitter(0)
        );
        transit.restart();
        assert_eq!(transit.next(at(100), 7, 8000, bound), TransitChange::First);
    }
}
