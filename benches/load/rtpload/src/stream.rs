//! What one participant receives: its lateness against the stream's own 20 ms
//! schedule, and its losses by sequence number.

/// Nanoseconds in a second.
const NS_PER_S: i64 = 1_000_000_000;
/// A packet is late when it arrives more than this after its schedule.
pub const LATE_NS: i64 = 20_000_000;

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
    /// When a packet of timestamp `origin_ts` was due, in ns since the epoch.
    anchor_ns: i64,
    /// The last packet's sequence number, extended past wraparound.
    last_seq: i64,
    /// Packets tallied.
    received: u64,
    /// Tallied packets that came more than [`LATE_NS`] after their schedule.
    late: u64,
    /// The lowest and highest extended sequence numbers tallied.
    tallied_seqs: Option<(i64, i64)>,
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
        }
    }

    /// Takes an RTP packet (`bytes`, of at least 12) that arrived at `arrived_ns`;
    /// it counts in the tallies when `tally`. Shorter datagrams are ignored.
    pub fn record(&mut self, bytes: &[u8], arrived_ns: i64, tally: bool) {
        let (Some(seq), Some(ts)) = (bytes.get(2..4), bytes.get(4..8)) else {
            return;
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
        if tally {
            self.received += 1;
            self.late += u64::from(lateness > LATE_NS);
            let (low, high) = self
                .tallied_seqs
                .get_or_insert((self.last_seq, self.last_seq));
            *low = (*low).min(self.last_seq);
            *high = (*high).max(self.last_seq);
        }
    }

    /// Packets tallied.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Tallied packets more than [`LATE_NS`] late.
    pub fn late(&self) -> u64 {
        self.late
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
    fn untallied_packets_set_the_schedule_only() {
        let mut stream = Stream::new(8000);
        stream.record(&packet(0, 0), 0, false);
        stream.record(&packet(1, 160), 50 * MS, true);
        assert_eq!((stream.received(), stream.late(), stream.lost()), (1, 1, 0));
    }
}
