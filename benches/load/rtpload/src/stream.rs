//! What one participant receives: its lateness against the stream's own 20 ms
//! schedule, its losses by sequence number, and its gaps (the longest time
//! without a packet).

/// Nanoseconds in a second.
const NS_PER_S: i64 = 1_000_000_000;
/// A packet is late when it arrives more than this after its schedule.
pub const LATE_NS: i64 = 20_000_000;
/// A time without a packet longer than this is an audio gap (three packets' worth).
pub const GAP_NS: i64 = 60_000_000;

/// One received RTP stream.
///
/// Its schedule is set by its RTP timestamps: a packet of timestamp `t` is due at
/// `anchor + (t - t0) / clock`, with the codec's RTP clock (8 kHz for PCMU, 48 kHz
/// for Opus), where `anchor` is the arrival of the stream's
/// earliest packet relative to that schedule (a packet that comes earlier than its
/// due time moves the anchor to it). Lateness is arrival minus due time.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The RTP clock rate in Hz.
    clock_hz: i64,
    /// The first packet's RTP timestamp, the schedule's origin.
    origin_ts: Option<u32>,
    /// When a packet of timestamp `origin_ts` was due, in ns on the arrivals' timeline.
    anchor_ns: i64,
    /// The last packet's sequence number, extended past wraparound.
    last_seq: i64,
    /// Packets tallied.
    received: u64,
    /// Tallied packets that came more than [`LATE_NS`] after their schedule.
    late: u64,
    /// The lowest and highest extended sequence numbers tallied.
    tallied_seqs: Option<(i64, i64)>,
    /// The latest arrival (or the tallies' start, before any), in ns on the same timeline.
    last_arrival_ns: Option<i64>,
    /// The longest time without a packet tallied.
    max_gap_ns: i64,
    /// Times without a packet longer than [`GAP_NS`] tallied.
    gaps: u64,
}

impl Stream {
    /// A stream that has received nothing yet, whose RTP timestamps count `clock_hz`.
    pub fn new(clock_hz: u32) -> Self {
        Stream {
            clock_hz: i64::from(clock_hz),
            origin_ts: None,
            anchor_ns: 0,
            last_seq: 0,
            received: 0,
            late: 0,
            tallied_seqs: None,
            last_arrival_ns: None,
            max_gap_ns: 0,
            gaps: 0,
        }
    }

    /// Marks the start of the tallies at `now_ns`: a stream that has received
    /// nothing yet counts its first gap from here.
    pub fn open(&mut self, now_ns: i64) {
        self.last_arrival_ns.get_or_insert(now_ns);
    }

    /// Marks the end of the tallies at `now_ns`: the time since the latest
    /// packet counts as a gap too, so a stream that stopped shows as one.
    /// Returns whether that was a gap longer than [`GAP_NS`].
    pub fn close(&mut self, now_ns: i64) -> bool {
        self.last_arrival_ns
            .is_some_and(|last| self.note_gap(now_ns - last))
    }

    /// Tallies a time without a packet; whether it is longer than [`GAP_NS`].
    fn note_gap(&mut self, gap_ns: i64) -> bool {
        self.max_gap_ns = self.max_gap_ns.max(gap_ns);
        let long = gap_ns > GAP_NS;
        self.gaps += u64::from(long);
        long
    }

    /// Takes an RTP packet (`bytes`, of at least 12) that arrived at `arrived_ns`;
    /// it counts in the tallies when `tally`. Shorter datagrams are ignored.
    /// Returns whether the packet ended a tallied gap longer than [`GAP_NS`].
    pub fn record(&mut self, bytes: &[u8], arrived_ns: i64, tally: bool) -> bool {
        let (Some(seq), Some(ts)) = (bytes.get(2..4), bytes.get(4..8)) else {
            return false;
        };
        let seq = u16::from_be_bytes([seq[0], seq[1]]);
        let ts = u32::from_be_bytes([ts[0], ts[1], ts[2], ts[3]]);
        let origin = *self.origin_ts.get_or_insert_with(|| {
            self.anchor_ns = arrived_ns;
            self.last_seq = i64::from(seq);
            ts
        });
        // Signed differences: either way across a wraparound.
        let samples = i64::from(ts.wrapping_sub(origin) as i32);
        // At most 2^31 samples of 1e9 ns: within an i64, and exact to the ns.
        let due_ns = self.anchor_ns + samples * NS_PER_S / self.clock_hz;
        let mut lateness = arrived_ns - due_ns;
        if lateness < 0 {
            self.anchor_ns += lateness;
            lateness = 0;
        }
        self.last_seq += i64::from(seq.wrapping_sub(self.last_seq as u16) as i16);
        let previous = self.last_arrival_ns;
        self.last_arrival_ns = Some(previous.map_or(arrived_ns, |p| p.max(arrived_ns)));
        let mut long_gap = false;
        if tally {
            if let Some(previous) = previous {
                long_gap = self.note_gap(arrived_ns - previous);
            }
            self.received += 1;
            self.late += u64::from(lateness > LATE_NS);
            let (low, high) = self
                .tallied_seqs
                .get_or_insert((self.last_seq, self.last_seq));
            *low = (*low).min(self.last_seq);
            *high = (*high).max(self.last_seq);
        }
        long_gap
    }

    /// Packets tallied.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Tallied packets more than [`LATE_NS`] late.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// The longest time without a packet tallied, in ns: between two packets
    /// (the first may precede the tallies), or between the tallies' start or
    /// end and the nearest packet.
    pub fn max_gap_ns(&self) -> i64 {
        self.max_gap_ns
    }

    /// Times without a packet longer than [`GAP_NS`] tallied.
    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    /// Packets missing between the lowest and highest sequence numbers tallied
    /// (a duplicate makes up for a loss).
    pub fn lost(&self) -> u64 {
        self.tallied_seqs
            .map_or(0, |(low, high)| (high - low + 1) as u64)
            .saturating_sub(self.received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn packet(seq: u16, ts: u32) -> [u8; 12] {
        let mut bytes = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        bytes[2..4].copy_from_slice(&seq.to_be_bytes());
        bytes[4..8].copy_from_slice(&ts.to_be_bytes());
        bytes
    }

    #[test]
    fn on_schedule_is_not_late_and_a_late_packet_is() {
        let mut stream = Stream::new(8000);
        for k in 0..10u16 {
            let extra = if k == 5 { 25 * MS } else { 0 };
            stream.record(
                &packet(k, u32::from(k) * 160),
                i64::from(k) * 20 * MS + extra,
                true,
            );
        }
        assert_eq!(
            (stream.received(), stream.late(), stream.lost()),
            (10, 1, 0)
        );
    }

    #[test]
    fn lateness_follows_a_48_khz_clock_without_drift() {
        let mut stream = Stream::new(48_000);
        for k in 0..3000u16 {
            stream.record(&packet(k, u32::from(k) * 960), i64::from(k) * 20 * MS, true);
        }
        assert_eq!(stream.late(), 0);
        // A minute on (2,880,000 samples, where 20,833 ns a sample would be 1 ms off), 19.9 ms
        // behind is on time and 20.1 ms late.
        stream.record(&packet(3000, 3000 * 960), 60_000 * MS + 19_900_000, true);
        assert_eq!(stream.late(), 0);
        stream.record(&packet(3001, 3001 * 960), 60_020 * MS + 20_100_000, true);
        assert_eq!(
            (stream.received(), stream.late(), stream.lost()),
            (3002, 1, 0)
        );
    }

    #[test]
    fn an_early_packet_moves_the_schedule() {
        let mut stream = Stream::new(8000);
        stream.record(&packet(0, 0), 30 * MS, true);
        stream.record(&packet(1, 160), 20 * MS, true);
        // Due at 20 ms + 40 ms: 21 ms later is late, though only 11 ms after the first schedule.
        stream.record(&packet(3, 480), 81 * MS, true);
        assert_eq!(stream.late(), 1);
    }

    #[test]
    fn losses_count_across_a_sequence_wraparound() {
        let mut stream = Stream::new(8000);
        for (seq, ts) in [(65534u16, 0u32), (65535, 160), (1, 480)] {
            stream.record(&packet(seq, ts), i64::from(ts) * 125_000, true);
        }
        assert_eq!((stream.received(), stream.lost()), (3, 1));
    }

    #[test]
    fn gaps_are_timed_between_arrivals_and_at_both_ends() {
        let mut stream = Stream::new(8000);
        stream.record(&packet(0, 0), 0, false);
        stream.open(10 * MS);
        // 20 ms apart, then a 70 ms hole (a gap), 20 ms, then 61 ms before the end.
        let ended_gaps: Vec<bool> = [(1u16, 20), (2, 40), (3, 110), (4, 130)]
            .into_iter()
            .map(|(k, at)| stream.record(&packet(k, u32::from(k) * 160), at * MS, true))
            .collect();
        assert_eq!(ended_gaps, [false, false, true, false]);
        assert!(stream.close(191 * MS));
        assert_eq!((stream.max_gap_ns(), stream.gaps()), (70 * MS, 2));
    }

    #[test]
    fn a_stream_silent_throughout_is_one_gap() {
        let mut stream = Stream::new(8000);
        stream.open(0);
        assert!(stream.close(5_000 * MS));
        assert_eq!((stream.max_gap_ns(), stream.gaps()), (5_000 * MS, 1));
        let mut never_opened = Stream::new(8000);
        assert!(!never_opened.close(MS));
        assert_eq!((never_opened.max_gap_ns(), never_opened.gaps()), (0, 0));
    }

    #[test]
    fn untallied_packets_set_the_schedule_only() {
        let mut stream = Stream::new(8000);
        stream.record(&packet(0, 0), 0, false);
        stream.record(&packet(1, 160), 50 * MS, true);
        assert_eq!((stream.received(), stream.late(), stream.lost()), (1, 1, 0));
    }
}
