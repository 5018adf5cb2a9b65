//! What a leg received of its peer's RTP stream, as an RTCP report block states it (RFC 3550
//! §6.4.1): the extended highest sequence number, the packets lost (in all and since the last
//! report) and the interarrival jitter. The algorithms are those of RFC 3550 Appendix A.1, A.3
//! and A.8.

use std::time::{Duration, Instant};

/// A jump of the sequence number beyond this many packets ahead is not taken as loss at once
/// (RFC 3550 A.1: MAX_DROPOUT).
const MAX_DROPOUT: u16 = 3000;
/// A sequence number up to this many behind the highest is a late or duplicate packet (RFC
/// 3550 A.1: MAX_MISORDER); further behind, it is a jump.
const MAX_MISORDER: u32 = 100;
/// RFC 3550 A.1: RTP_SEQ_MOD.
const SEQUENCE_MODULUS: u32 = 1 << 16;
/// The cumulative loss of a report block is a signed 24-bit field (RFC 3550 §6.4.1).
const MAX_CUMULATIVE_LOST: i64 = 0x7F_FFFF;
const MIN_CUMULATIVE_LOST: i64 = -0x80_0000;

/// One report block's figures about a received stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReportFigures {
    /// The stream's SSRC.
    pub(crate) ssrc: u32,
    /// Lost since the last report, as a fraction of 256 of the packets expected since then.
    pub(crate) fraction_lost: u8,
    /// Expected less received since the stream began, clamped to 24 bits (negative when
    /// duplicates outnumber losses).
    pub(crate) cumulative_lost: i32,
    /// The sequence number cycles (high 16 bits) and the highest sequence number received.
    pub(crate) extended_highest: u32,
    /// Interarrival jitter, in RTP timestamp units.
    pub(crate) jitter: u32,
}

/// The statistics of the one stream a leg takes, restarted when its SSRC changes.
#[derive(Clone, Debug)]
pub(crate) struct Reception {
    /// `None` until a packet came.
    ssrc: Option<u32>,
    base_sequence: u16,
    highest: u16,
    /// Sequence number wraps, counted in units of 2^16.
    cycles: u32,
    /// The sequence number a jump must be followed by to be taken as the stream's restart.
    bad_sequence: Option<u16>,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// The last audio packet's relative transit time, in RTP timestamp units.
    transit: Option<u32>,
    /// Interarrival jitter × 16, in RTP timestamp units (RFC 3550 A.8's fixed point).
    jitter_16: u32,
    /// RTP timestamp units per second.
    clock_rate: u32,
    /// Where arrival times are counted from.
    epoch: Instant,
}

impl Reception {
    /// Nothing received yet of a stream clocked at `clock_rate`; arrival times count from
    /// `epoch`.
    pub(crate) fn new(clock_rate: u32, epoch: Instant) -> Self {
        Reception {
            ssrc: None,
            base_sequence: 0,
            highest: 0,
            cycles: 0,
            bad_sequence: None,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_16: 0,
            clock_rate,
            epoch,
        }
    }

    /// Counts a packet of the stream with `sequence` from `ssrc`: audio, telephone-event or
    /// comfort noise alike, since they share its sequence numbers. A packet from a new SSRC
    /// starts the statistics over.
    pub(crate) fn count(&mut self, ssrc: u32, sequence: u16) {
        if self.ssrc != Some(ssrc) {
            *self = Reception::new(self.clock_rate, self.epoch);
            self.restart(ssrc, sequence);
            self.received = 1;
            return;
        }
        let ahead = sequence.wrapping_sub(self.highest);
        if ahead < MAX_DROPOUT {
            if sequence < self.highest {
                self.cycles = self.cycles.wrapping_add(1 << 16);
            }
            self.highest = sequence;
        } else if u32::from(ahead) <= SEQUENCE_MODULUS - MAX_MISORDER {
            // A large jump: the peer restarted its numbering, or this is a stray. Only a second
            // packet in sequence after it says the stream goes on from there.
            if self.bad_sequence != Some(sequence) {
                self.bad_sequence = Some(sequence.wrapping_add(1));
                return;
            }
            self.restart(ssrc, sequence);
        }
        // Else a duplicate or reordered packet: counted, the highest stays.
        self.received = self.received.wrapping_add(1);
    }

    /// Takes the arrival at `now` of an audio packet stamped `timestamp` into the jitter
    /// estimate (RFC 3550 A.8). Telephone-events are left out: all of an event's packets carry
    /// its start time.
    pub(crate) fn arrived(&mut self, now: Instant, timestamp: u32) {
        let arrival = self.units(now.saturating_duration_since(self.epoch));
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(previous) = self.transit.replace(transit) {
            let d = u64::from((transit.wrapping_sub(previous) as i32).unsigned_abs());
            // J += (|D| - J) / 16, in fixed point ×16; timestamps a peer makes up can take it
            // past 32 bits, where it stays.
            let jitter_16 = u64::from(self.jitter_16);
            let jitter_16 = jitter_16 + d - ((jitter_16 + 8) >> 4);
            self.jitter_16 = u32::try_from(jitter_16).unwrap_or(u32::MAX);
        }
    }

    /// Changes the stream's clock rate (a re-negotiation to another codec): the jitter
    /// estimate starts over.
    pub(crate) fn set_clock_rate(&mut self, clock_rate: u32) {
        if clock_rate != self.clock_rate {
            self.clock_rate = clock_rate;
            self.transit = None;
            self.jitter_16 = 0;
        }
    }

    /// The report block's figures as of now; `None` when no packet came since the last
    /// report (RFC 3550 §6.4: blocks are for sources heard since then). The next report's
    /// fraction lost counts from here.
    pub(crate) fn report(&mut self) -> Option<ReportFigures> {
        let ssrc = self.ssrc?;
        if self.received == self.received_prior {
            return None;
        }
        let extended_highest = self.cycles.wrapping_add(u32::from(self.highest));
        let expected = self.expected();
        let cumulative_lost = (i64::from(expected) - i64::from(self.received))
            .clamp(MIN_CUMULATIVE_LOST, MAX_CUMULATIVE_LOST);
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        Some(ReportFigures {
            ssrc,
            fraction_lost,
            cumulative_lost: cumulative_lost as i32,
            extended_highest,
            jitter: self.jitter_16 >> 4,
        })
    }

    /// Packets received since the stream began (or restarted).
    pub(crate) fn received(&self) -> u32 {
        self.received
    }

    /// The SSRC of the stream, once a packet came.
    pub(crate) fn ssrc(&self) -> Option<u32> {
        self.ssrc
    }

    /// Packets the stream should have brought since it began: from the first sequence number
    /// to the highest.
    pub(crate) fn expected(&self) -> u32 {
        if self.ssrc.is_none() {
            return 0;
        }
        self.cycles
            .wrapping_add(u32::from(self.highest))
            .wrapping_sub(u32::from(self.base_sequence))
            .wrapping_add(1)
    }

    /// The interarrival jitter as a duration.
    pub(crate) fn jitter(&self) -> Duration {
        duration_of(self.jitter_16 >> 4, self.clock_rate)
    }

    fn restart(&mut self, ssrc: u32, sequence: u16) {
        self.ssrc = Some(ssrc);
        self.base_sequence = sequence;
        self.highest = sequence;
        self.cycles = 0;
        self.bad_sequence = None;
        self.received = 0;
        self.expected_prior = 0;
        self.received_prior = 0;
    }

    fn units(&self, elapsed: Duration) -> u32 {
        (elapsed.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u32
    }
}

/// `units` of an RTP clock running at `clock_rate` as a duration.
pub(crate) fn duration_of(units: u32, clock_rate: u32) -> Duration {
    Duration::from_nanos(u64::from(units) * 1_000_000_000 / u64::from(clock_rate.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SSRC: u32 = 0xABCD;

    fn received(sequences: impl IntoIterator<Item = u16>) -> Reception {
        let mut reception = Reception::new(8000, Instant::now());
        for sequence in sequences {
            reception.count(SSRC, sequence);
        }
        reception
    }

    #[test]
    fn losses_are_counted_in_all_and_since_the_last_report() {
        // 100 packets, 10..20 lost.
        let mut reception = received((0..100).filter(|s| !(10..20).contains(s)));
        let first = reception.report().unwrap();
        assert_eq!(first.ssrc, SSRC);
        assert_eq!(first.extended_highest, 99);
        assert_eq!(first.cumulative_lost, 10);
        assert_eq!(first.fraction_lost, (10 * 256 / 100) as u8);
        // Nothing came since: no block.
        assert_eq!(reception.report(), None);
        // The next 100 all arrive: nothing lost since the last report, the total stays.
        for sequence in 100..200 {
            reception.count(SSRC, sequence);
        }
        let second = reception.report().unwrap();
        assert_eq!(second.cumulative_lost, 10);
        assert_eq!(second.fraction_lost, 0);
        assert_eq!(second.extended_highest, 199);
    }

    #[test]
    fn the_sequence_wraps_into_the_cycle_count() {
        let mut reception = received((65_500..=u16::MAX).chain(0..100));
        let report = reception.report().unwrap();
        assert_eq!(report.extended_highest, (1 << 16) + 99);
        assert_eq!(report.cumulative_lost, 0);
        assert_eq!(reception.expected(), 136);
    }

    #[test]
    fn duplicates_and_reordered_packets_leave_the_highest_alone() {
        let mut reception = received([1, 2, 4, 3, 4, 2, 5]);
        let report = reception.report().unwrap();
        assert_eq!(report.extended_highest, 5);
        // Five expected, seven received: duplicates make the loss negative.
        assert_eq!(report.cumulative_lost, -2);
        assert_eq!(report.fraction_lost, 0);
    }

    #[test]
    fn a_jump_is_taken_only_once_the_stream_goes_on_from_it() {
        let mut reception = received(0..10);
        // A stray far ahead is not loss.
        reception.count(SSRC, 30_000);
        assert_eq!(reception.report().unwrap().extended_highest, 9);
        // Two in sequence: the stream restarted there.
        reception.count(SSRC, 40_000);
        reception.count(SSRC, 40_001);
        let report = reception.report().unwrap();
        assert_eq!(report.extended_highest, 40_001);
        assert_eq!(report.cumulative_lost, 0);
    }

    #[test]
    fn a_new_ssrc_starts_over() {
        let mut reception = received(0..50);
        reception.count(7, 1000);
        let report = reception.report().unwrap();
        assert_eq!(report.ssrc, 7);
        assert_eq!((report.extended_highest, report.cumulative_lost), (1000, 0));
        assert_eq!(reception.received(), 1);
    }

    #[test]
    fn jitter_follows_the_spread_of_arrivals() {
        let epoch = Instant::now();
        let mut steady = Reception::new(8000, epoch);
        let mut shaky = Reception::new(8000, epoch);
        for i in 0..500u32 {
            let sent = epoch + Duration::from_millis(20 * u64::from(i));
            steady.count(SSRC, i as u16);
            steady.arrived(sent, i * 160);
            // Every other packet 10 ms late: |D| is 80 units each time.
            let late = Duration::from_millis(10 * u64::from(i % 2));
            shaky.count(SSRC, i as u16);
            shaky.arrived(sent + late, i * 160);
        }
        assert_eq!(steady.report().unwrap().jitter, 0);
        // J converges to |D| = 80 units, 10 ms.
        let jitter = shaky.report().unwrap().jitter;
        assert!((75..=80).contains(&jitter), "{jitter}");
        assert!(
            shaky.jitter() >= Duration::from_micros(9_300),
            "{:?}",
            shaky.jitter()
        );
    }

    #[test]
    fn made_up_timestamps_hold_the_jitter_at_its_ceiling() {
        let epoch = Instant::now();
        let mut reception = Reception::new(8000, epoch);
        for i in 0..20u32 {
            reception.count(SSRC, i as u16);
            // Transit swings by 2^31 units each packet.
            reception.arrived(epoch, if i % 2 == 0 { 0 } else { 1 << 31 });
        }
        assert_eq!(reception.report().unwrap().jitter, u32::MAX >> 4);
    }

    #[test]
    fn a_packet_just_beyond_the_misorder_window_is_a_jump() {
        let mut reception = received(0..200);
        // 99 behind the highest (199) is a late packet, counted; 100 behind, a jump, not
        // counted until the stream goes on from there.
        reception.count(SSRC, 100);
        reception.count(SSRC, 99);
        let report = reception.report().unwrap();
        assert_eq!(report.extended_highest, 199);
        assert_eq!(reception.received(), 201);
    }

    #[test]
    fn nothing_received_reports_nothing() {
        let mut reception = Reception::new(48_000, Instant::now());
        assert_eq!(reception.report(), None);
        assert_eq!(reception.expected(), 0);
    }
}
