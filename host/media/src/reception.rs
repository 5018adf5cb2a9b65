//! What a leg received of its peer's RTP stream, as an RTCP report block states it (RFC 3550
//! §6.4.1): the extended highest sequence number, the packets lost (in all and since the last
//! report) and the interarrival jitter. The algorithms are those of RFC 3550 Appendix A.1, A.3
//! and A.8. The stream is the audio's, its SSRC and its packets told apart from others as the
//! jitter buffer tells them (`stream_ssrc.rs`); a change of transit time the jitter buffer
//! takes for a new timeline is no jitter here either.

use std::time::{Duration, Instant};

use crate::stream_ssrc::{Membership, StreamSsrc};
use crate::transit::{Transit, TransitChange};

/// A sequence number this many packets ahead of the highest or more is a jump, not taken as
/// loss at once (RFC 3550 A.1: MAX_DROPOUT).
const MAX_DROPOUT: u16 = 3000;
/// A sequence number fewer than this many behind the highest is a late or duplicate packet
/// (RFC 3550 A.1: MAX_MISORDER); further behind, it is a jump.
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

/// The statistics of the one stream a leg takes, restarted when its SSRC changes; and the
/// packets received and expected over all its streams.
#[derive(Clone, Debug)]
pub(crate) struct Reception {
    /// Which SSRC's packets are the stream's.
    ssrc: StreamSsrc,
    base_sequence: u16,
    highest: u16,
    /// Sequence number wraps, counted in units of 2^16.
    cycles: u32,
    /// The sequence number a jump must be followed by to be taken as the stream's restart.
    bad_sequence: Option<u16>,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// Packets received of the streams before this one (the SSRCs it replaced, the numbering
    /// before a restart of it).
    earlier_received: u64,
    /// Packets those streams should have brought.
    earlier_expected: u64,
    /// The last audio packet's relative transit time.
    transit: Transit,
    /// Interarrival jitter × 16, in RTP timestamp units (RFC 3550 A.8's fixed point).
    jitter_16: u32,
    /// RTP timestamp units per second.
    clock_rate: u32,
    /// The most a packet waits for playout: how long a replaced SSRC's packets straggle, and
    /// the change of transit time beyond which the stream is on a new timeline.
    max_delay: Duration,
}

impl Reception {
    /// Nothing received yet of a stream clocked at `clock_rate` whose packets wait at most
    /// `max_delay` for playout (the jitter buffer's bound).
    pub(crate) fn new(clock_rate: u32, max_delay: Duration) -> Self {
        Reception {
            ssrc: StreamSsrc::new(max_delay),
            base_sequence: 0,
            highest: 0,
            cycles: 0,
            bad_sequence: None,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            earlier_received: 0,
            earlier_expected: 0,
            transit: Transit::default(),
            jitter_16: 0,
            clock_rate,
            max_delay,
        }
    }

    /// Counts an audio packet of `ssrc` with `sequence`, arriving `at`. Audio under a new SSRC
    /// starts the statistics over; a straggler of the SSRC it replaced is not counted.
    pub(crate) fn count_audio(&mut self, at: Instant, ssrc: u32, sequence: u16) {
        match self.ssrc.audio(at, ssrc) {
            Membership::Current => self.count(sequence),
            Membership::New { .. } => {
                self.restart(sequence);
                self.transit.restart();
                self.jitter_16 = 0;
                self.received = 1;
            }
            Membership::Straggler => {}
        }
    }

    /// Counts a packet of `ssrc` with `sequence` that carries no audio (a telephone-event,
    /// comfort noise, a payload type not agreed): numbered among the audio when it goes under
    /// the audio's SSRC, and not of the stream otherwise.
    pub(crate) fn count_other(&mut self, ssrc: u32, sequence: u16) {
        if self.ssrc.includes(ssrc) {
            self.count(sequence);
        }
    }

    // Counts a packet of the stream's SSRC with `sequence` (RFC 3550 A.1).
    fn count(&mut self, sequence: u16) {
        match sequence_step(self.highest, sequence) {
            Some(step) if step >= 0 => {
                if sequence < self.highest {
                    self.cycles = self.cycles.wrapping_add(1 << 16);
                }
                self.highest = sequence;
            }
            // A duplicate or reordered packet: counted, the highest stays.
            Some(_) => {}
            None => {
                // The peer restarted its numbering, or this is a stray. Only a second packet in
                // sequence after it says the stream goes on from there.
                if self.bad_sequence != Some(sequence) {
                    self.bad_sequence = Some(sequence.wrapping_add(1));
                    return;
                }
                self.restart(sequence);
            }
        }
        self.received = self.received.wrapping_add(1);
    }

    /// Takes the arrival at `now` of an audio packet of `ssrc` stamped `timestamp` into the
    /// jitter estimate (RFC 3550 A.8), if it is of the stream (see
    /// [`count_audio`](Self::count_audio)). Telephone-events are left out: all of an event's
    /// packets carry its start time. A change of transit time beyond the maximum delay is a new
    /// timeline (a source switched behind the same SSRC, a jump of its timestamps): the
    /// estimate goes on from there unchanged.
    pub(crate) fn arrived(&mut self, now: Instant, ssrc: u32, timestamp: u32) {
        if !self.ssrc.includes(ssrc) {
            return;
        }
        let change = self
            .transit
            .next(now, timestamp, self.clock_rate, self.max_delay);
        if let TransitChange::Jitter(d) = change {
            // J += (|D| - J) / 16, in fixed point ×16; a bound of hours could take it past 32
            // bits, where it stays.
            let jitter_16 = u64::from(self.jitter_16);
            let jitter_16 = jitter_16 + u64::from(d) - ((jitter_16 + 8) >> 4);
            self.jitter_16 = u32::try_from(jitter_16).unwrap_or(u32::MAX);
        }
    }

    /// Changes the stream's clock rate (a re-negotiation to another codec): the jitter
    /// estimate starts over.
    pub(crate) fn set_clock_rate(&mut self, clock_rate: u32) {
        if clock_rate != self.clock_rate {
            self.clock_rate = clock_rate;
            self.transit.restart();
            self.jitter_16 = 0;
        }
    }

    /// The report block's figures as of now; `None` when no packet came since the last
    /// report (RFC 3550 §6.4: blocks are for sources heard since then). The next report's
    /// fraction lost counts from here.
    pub(crate) fn report(&mut self) -> Option<ReportFigures> {
        let ssrc = self.ssrc.ssrc()?;
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

    /// Packets received over all the leg's streams: those of the SSRCs the stream replaced and
    /// of its numbering before a restart, and of the stream now.
    pub(crate) fn total_received(&self) -> u64 {
        self.earlier_received + u64::from(self.received)
    }

    /// Packets expected over all the leg's streams (see [`total_received`](Self::total_received)):
    /// each stream's own, from its first sequence number to its highest.
    pub(crate) fn total_expected(&self) -> u64 {
        self.earlier_expected + u64::from(self.expected())
    }

    /// The SSRC of the stream, once its audio came.
    pub(crate) fn ssrc(&self) -> Option<u32> {
        self.ssrc.ssrc()
    }

    /// Packets the stream should have brought since it began: from the first sequence number
    /// to the highest.
    pub(crate) fn expected(&self) -> u32 {
        if self.ssrc.ssrc().is_none() {
            return 0;
        }
        self.stream_expected()
    }

    // The expected count of the stream's sequence numbers as they stand (RFC 3550 A.3).
    fn stream_expected(&self) -> u32 {
        self.cycles
            .wrapping_add(u32::from(self.highest))
            .wrapping_sub(u32::from(self.base_sequence))
            .wrapping_add(1)
    }

    /// The interarrival jitter as a duration.
    pub(crate) fn jitter(&self) -> Duration {
        duration_of(self.jitter_16 >> 4, self.clock_rate)
    }

    // Starts the stream's figures over at `sequence`, those of the stream that ends going into
    // the totals. A report block is per source (RFC 3550 A.1, A.3); the call's figures are not.
    fn restart(&mut self, sequence: u16) {
        // Until a first packet, no stream ended: one that began counted that packet.
        if self.received > 0 {
            self.earlier_received += u64::from(self.received);
            self.earlier_expected += u64::from(self.stream_expected());
        }
        self.base_sequence = sequence;
        self.highest = sequence;
        self.cycles = 0;
        self.bad_sequence = None;
        self.received = 0;
        self.expected_prior = 0;
        self.received_prior = 0;
    }
}

/// How far `sequence` is from `highest`, the highest sequence number of its stream, when it is
/// within the stream's numbering (RFC 3550 A.1): fewer than `MAX_DROPOUT` ahead, or fewer than
/// `MAX_MISORDER` behind (negative). `None` for a jump: the sender restarted its numbering, or
/// the packet is a stray.
pub(crate) fn sequence_step(highest: u16, sequence: u16) -> Option<i32> {
    let ahead = sequence.wrapping_sub(highest);
    if ahead < MAX_DROPOUT {
        Some(i32::from(ahead))
    } else if u32::from(ahead) > SEQUENCE_MODULUS - MAX_MISORDER {
        Some(i32::from(ahead) - SEQUENCE_MODULUS as i32)
    } else {
        None
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
    const MAX_DELAY: Duration = Duration::from_millis(200);

    fn received(sequences: impl IntoIterator<Item = u16>) -> Reception {
        let mut reception = Reception::new(8000, MAX_DELAY);
        let at = Instant::now();
        for sequence in sequences {
            reception.count_audio(at, SSRC, sequence);
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
            reception.count_audio(Instant::now(), SSRC, sequence);
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
        let at = Instant::now();
        // A stray far ahead is not loss.
        reception.count_audio(at, SSRC, 30_000);
        assert_eq!(reception.report().unwrap().extended_highest, 9);
        // Two in sequence: the stream restarted there.
        reception.count_audio(at, SSRC, 40_000);
        reception.count_audio(at, SSRC, 40_001);
        let report = reception.report().unwrap();
        assert_eq!(report.extended_highest, 40_001);
        assert_eq!(report.cumulative_lost, 0);
    }

    #[test]
    fn a_new_ssrc_starts_over() {
        let mut reception = received(0..50);
        reception.count_audio(Instant::now(), 7, 1000);
        let report = reception.report().unwrap();
        assert_eq!(report.ssrc, 7);
        assert_eq!((report.extended_highest, report.cumulative_lost), (1000, 0));
        assert_eq!(reception.total_received(), 51);
    }

    #[test]
    fn the_totals_keep_the_loss_of_an_ssrc_replaced() {
        // 100 packets under the first SSRC, 10 of them lost.
        let mut reception = received((0..100).filter(|s| !(10..20).contains(s)));
        assert_eq!(reception.report().unwrap().cumulative_lost, 10);
        // The peer goes on under another (a transfer), losing none of 50.
        for sequence in 1000..1050 {
            reception.count_audio(Instant::now(), 7, sequence);
        }
        // The report block is the new source's alone (RFC 3550 A.1)...
        let report = reception.report().unwrap();
        assert_eq!((report.ssrc, report.cumulative_lost), (7, 0));
        assert_eq!(reception.expected(), 50);
        // ...the totals are the call's.
        assert_eq!(
            (reception.total_received(), reception.total_expected()),
            (140, 150)
        );
    }

    #[test]
    fn the_totals_keep_the_loss_before_a_restart_of_the_numbering() {
        // 10 of 100 lost, then the numbering restarts far ahead and goes on with no loss.
        let mut reception = received((0..100).filter(|s| !(10..20).contains(s)));
        for sequence in 40_000..40_050 {
            reception.count_audio(Instant::now(), SSRC, sequence);
        }
        let report = reception.report().unwrap();
        assert_eq!(
            (report.extended_highest, report.cumulative_lost),
            (40_049, 0)
        );
        // The stray that announced the jump (40 000) is not counted, its successor began the
        // new numbering.
        assert_eq!(
            (reception.total_received(), reception.total_expected()),
            (139, 149)
        );
    }

    #[test]
    fn the_totals_of_one_stream_are_its_own() {
        let reception = received((0..100).filter(|s| !(10..20).contains(s)));
        assert_eq!(
            (reception.total_received(), reception.total_expected()),
            (90, 100)
        );
        let nothing = Reception::new(8000, MAX_DELAY);
        assert_eq!((nothing.total_received(), nothing.total_expected()), (0, 0));
    }

    #[test]
    fn a_straggler_of_the_replaced_ssrc_is_not_of_the_stream() {
        let start = Instant::now();
        let mut reception = received(0..50);
        for sequence in 1000..1005 {
            reception.count_audio(start, 7, sequence);
        }
        // One of the old stream's, reordered behind the switch, with its own timestamp.
        reception.count_audio(start, SSRC, 50);
        reception.arrived(start, SSRC, 1 << 30);
        for sequence in 1005..1010 {
            reception.count_audio(start, 7, sequence);
        }
        let report = reception.report().unwrap();
        assert_eq!(report.ssrc, 7);
        assert_eq!((report.extended_highest, report.cumulative_lost), (1009, 0));
        assert_eq!(
            reception.total_received(),
            60,
            "50 of the first SSRC, 10 of the second, not the straggler"
        );
        // Once the replaced SSRC's packets can no longer be stragglers, it is a switch again.
        reception.count_audio(start + MAX_DELAY, SSRC, 60);
        assert_eq!(reception.report().unwrap().ssrc, SSRC);
        assert_eq!(reception.total_received(), 61);
    }

    #[test]
    fn events_under_an_ssrc_of_their_own_are_not_of_the_stream() {
        let start = Instant::now();
        let mut reception = Reception::new(8000, MAX_DELAY);
        // Events before any audio belong to no stream yet.
        reception.count_other(9, 500);
        assert_eq!(reception.report(), None);
        for sequence in 0..20 {
            reception.count_audio(start, SSRC, sequence);
            // A key press's events, under SSRC 9.
            reception.count_other(9, 500 + sequence);
        }
        // Comfort noise in the audio's own numbering.
        reception.count_other(SSRC, 20);
        let report = reception.report().unwrap();
        assert_eq!(report.ssrc, SSRC);
        assert_eq!((report.extended_highest, report.cumulative_lost), (20, 0));
        assert_eq!(reception.total_received(), 21);
    }

    #[test]
    fn jitter_follows_the_spread_of_arrivals() {
        let epoch = Instant::now();
        let mut steady = Reception::new(8000, MAX_DELAY);
        let mut shaky = Reception::new(8000, MAX_DELAY);
        for i in 0..500u32 {
            let sent = epoch + Duration::from_millis(20 * u64::from(i));
            steady.count_audio(sent, SSRC, i as u16);
            steady.arrived(sent, SSRC, i * 160);
            // Every other packet 10 ms late: |D| is 80 units each time.
            let late = sent + Duration::from_millis(10 * u64::from(i % 2));
            shaky.count_audio(late, SSRC, i as u16);
            shaky.arrived(late, SSRC, i * 160);
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

    /// The jitter of a stream of 20 ms packets arriving on time, whose timestamps jump by
    /// `jump` units at packet 100, five packets after the jump.
    fn jitter_after_a_jump(jump: u32) -> Duration {
        let start = Instant::now();
        let mut reception = Reception::new(8000, MAX_DELAY);
        for i in 0..105u32 {
            let at = start + Duration::from_millis(20 * u64::from(i));
            let timestamp = (i * 160).wrapping_add(if i < 100 { 0 } else { jump });
            reception.count_audio(at, SSRC, i as u16);
            reception.arrived(at, SSRC, timestamp);
        }
        reception.jitter()
    }

    #[test]
    fn a_timestamp_jump_under_the_same_ssrc_is_a_new_timeline_not_jitter() {
        // 10 s ahead, and an hour back: the stream goes on from there, steady.
        assert_eq!(jitter_after_a_jump(80_000), Duration::ZERO);
        assert_eq!(
            jitter_after_a_jump(0u32.wrapping_sub(8000 * 3600)),
            Duration::ZERO
        );
        // 100 ms is jitter a buffer absorbs: J takes 1/16 of it, less what four steady
        // packets took off since.
        let jitter = jitter_after_a_jump(800);
        assert!(
            (Duration::from_millis(4)..Duration::from_millis(5)).contains(&jitter),
            "{jitter:?}"
        );
    }

    #[test]
    fn made_up_timestamps_hold_the_jitter_within_the_maximum_delay() {
        let epoch = Instant::now();
        // All packets arrive at once, their transit swinging by `swing` units each time.
        let jitter = |swing: u32| {
            let mut reception = Reception::new(8000, MAX_DELAY);
            for i in 0..200u32 {
                reception.count_audio(epoch, SSRC, i as u16);
                reception.arrived(epoch, SSRC, if i % 2 == 0 { 0 } else { swing });
            }
            reception.jitter()
        };
        // Half the clock's range: no change a buffer could absorb, each a new timeline.
        assert_eq!(jitter(1 << 31), Duration::ZERO);
        // The maximum delay (1600 units at 8 kHz) each time: J nears it, and goes no further.
        let most = jitter(1600);
        assert!(
            most > Duration::from_millis(195) && most <= MAX_DELAY,
            "{most:?}"
        );
    }

    #[test]
    fn a_packet_just_beyond_the_misorder_window_is_a_jump() {
        let mut reception = received(0..200);
        // 99 behind the highest (199) is a late packet, counted; 100 behind, a jump, not
        // counted until the stream goes on from there.
        reception.count_audio(Instant::now(), SSRC, 100);
        reception.count_audio(Instant::now(), SSRC, 99);
        let report = reception.report().unwrap();
        assert_eq!(report.extended_highest, 199);
        assert_eq!(reception.total_received(), 201);
    }

    #[test]
    fn the_sequence_window_is_fewer_than_3000_ahead_and_100_behind() {
        assert_eq!(sequence_step(1000, 3999), Some(2999));
        assert_eq!(sequence_step(1000, 4000), None);
        assert_eq!(sequence_step(1000, 901), Some(-99));
        assert_eq!(sequence_step(1000, 900), None);
        // Across the wraparound.
        assert_eq!(sequence_step(65_500, 2963), Some(2999));
        assert_eq!(sequence_step(65_500, 2964), None);
        assert_eq!(sequence_step(10, 65_447), Some(-99));
        assert_eq!(sequence_step(10, 65_446), None);
    }

    #[test]
    fn nothing_received_reports_nothing() {
        let mut reception = Reception::new(48_000, MAX_DELAY);
        assert_eq!(reception.report(), None);
        assert_eq!(reception.expected(), 0);
    }
}
