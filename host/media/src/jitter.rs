//! Receive-side jitter buffer: orders one leg's packets by RTP sequence number and releases one
//! frame per tick after a target delay.
//!
//! Policy:
//! - Sequence numbers are extended to 64 bits against the highest one seen, so ordering survives
//!   the 16-bit wraparound. A jump of more than `MAX_DROPOUT` ahead or `MAX_MISORDER` behind is
//!   taken as a restarted source only when the next packet follows it (RFC 3550 Appendix A.1);
//!   a lone stray is dropped. A new SSRC restarts the buffer at once.
//! - The first packet of a talkspurt anchors playout; playout starts `target delay` after it
//!   arrived. An earlier packet arriving meanwhile moves the anchor back.
//! - Each tick then releases the next slot: the packet, or `None` when it is missing while later
//!   ones are buffered (counted as lost). A packet whose slot was already released is late and
//!   dropped, as is a second copy of a buffered one.
//! - When a tick finds the buffer empty (underrun: the sender paused, or a delay spike), playout
//!   stops and the next packet anchors a new talkspurt, so silence suppression and stalls do not
//!   turn every later packet into a late one.
//! - When the buffered span exceeds `2 × target + 2` frames (a burst after a stall, or a sender
//!   clock running fast), the oldest packets are dropped down to the target depth, bounding both
//!   latency and memory.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::time::{Duration, Instant};

use rtp_rs::Seq;

// RFC 3550 Appendix A.1 defaults.
const MAX_DROPOUT: i32 = 3000;
const MAX_MISORDER: i32 = 100;
// Extended sequence numbers start here, a multiple of 2^16, so that their low 16 bits are the
// wire sequence number and packets from before the first one stay positive.
const EXT_BASE: u64 = 1 << 32;

/// Counters of one jitter buffer, or summed over several.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets pushed.
    pub received: u64,
    /// Frames released to playout.
    pub played: u64,
    /// Slots released empty because their packet never came while later ones had.
    pub lost: u64,
    /// Ticks that found the buffer empty while playing (playout then restarts).
    pub underruns: u64,
    /// Packets that arrived after their slot was released (including copies of played packets).
    pub late: u64,
    /// Second copies of a packet still buffered.
    pub duplicates: u64,
    /// Buffered packets dropped to bring an overfull buffer back to the target depth.
    pub overflow_dropped: u64,
    /// Restarts: a new SSRC, or a sequence jump confirmed by the packet after it.
    pub resyncs: u64,
    /// Packets dropped as unconfirmed sequence jumps.
    pub strays: u64,
}

impl JitterStats {
    /// Adds every counter of `other` to this one.
    pub fn accumulate(&mut self, other: &JitterStats) {
        self.received += other.received;
        self.played += other.played;
        self.lost += other.lost;
        self.underruns += other.underruns;
        self.late += other.late;
        self.duplicates += other.duplicates;
        self.overflow_dropped += other.overflow_dropped;
        self.resyncs += other.resyncs;
        self.strays += other.strays;
    }
}

#[derive(Clone, Copy, Debug)]
enum Playout {
    Idle,
    Buffering { until: Instant },
    Playing,
}

#[derive(Clone, Copy, Debug)]
struct Source {
    ssrc: u32,
    highest: u64,
    // RFC 3550 A.1 `bad_seq`: the sequence number that would confirm a jump.
    probation: Option<u16>,
}

/// A jitter buffer for one incoming RTP stream, holding items of type `T` (usually the encoded
/// payload) keyed by sequence number. Sans-IO: `push` on arrival, `pop` once per tick.
#[derive(Debug)]
pub struct JitterBuffer<T> {
    delay: Duration,
    delay_frames: u64,
    high_water: u64,
    source: Option<Source>,
    playout: Playout,
    // Next extended sequence number to release (meaningful unless idle).
    next: u64,
    // Highest slot already released or given up: packets at or below it are late.
    floor: Option<u64>,
    packets: BTreeMap<u64, T>,
    stats: JitterStats,
}

impl<T> JitterBuffer<T> {
    /// An empty buffer for frames of `packet_time` that holds each talkspurt `target_delay`
    /// before playing it; its overflow bound counts the target as at least one frame.
    ///
    /// # Panics
    /// If `packet_time` is zero.
    pub fn new(packet_time: Duration, target_delay: Duration) -> Self {
        assert!(!packet_time.is_zero(), "packet time must be positive");
        let delay_frames = (target_delay.as_nanos().div_ceil(packet_time.as_nanos()) as u64).max(1);
        JitterBuffer {
            delay: target_delay,
            delay_frames,
            high_water: 2 * delay_frames + 2,
            source: None,
            playout: Playout::Idle,
            next: 0,
            floor: None,
            packets: BTreeMap::new(),
            stats: JitterStats::default(),
        }
    }

    /// Accepts a packet that arrived at `now` from source `ssrc` with sequence number `sequence`.
    /// It is buffered, or dropped and counted (late, duplicate, stray).
    pub fn push(&mut self, now: Instant, ssrc: u32, sequence: u16, item: T) {
        self.stats.received += 1;
        let Some(ext) = self.extend(ssrc, sequence) else {
            self.stats.strays += 1;
            return;
        };
        if self.floor.is_some_and(|floor| ext <= floor) {
            self.stats.late += 1;
            return;
        }
        match self.playout {
            Playout::Idle => {
                self.playout = Playout::Buffering {
                    until: now + self.delay,
                };
                self.next = ext;
            }
            Playout::Buffering { .. } => self.next = self.next.min(ext),
            // Playing keeps `floor == next - 1`, so `ext >= next` here.
            Playout::Playing => {}
        }
        match self.packets.entry(ext) {
            Entry::Vacant(slot) => {
                slot.insert(item);
            }
            Entry::Occupied(_) => {
                self.stats.duplicates += 1;
                return;
            }
        }
        self.trim(ext);
    }

    /// Releases the next packet for playout at `now`: `Some` with it, or `None` for silence
    /// (still buffering, idle, lost or underrun; see the module docs). Called once per tick, or
    /// more when the peer's packets are shorter than a tick.
    pub fn pop(&mut self, now: Instant) -> Option<T> {
        if let Playout::Buffering { until } = self.playout {
            if now < until {
                return None;
            }
            self.playout = Playout::Playing;
        }
        if !matches!(self.playout, Playout::Playing) {
            return None;
        }
        if self.packets.is_empty() {
            self.stats.underruns += 1;
            self.playout = Playout::Idle;
            return None;
        }
        let slot = self.next;
        self.next += 1;
        self.floor = Some(slot);
        let item = self.packets.remove(&slot);
        if item.is_some() {
            self.stats.played += 1;
        } else {
            self.stats.lost += 1;
        }
        item
    }

    /// Number of packets buffered.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether no packet is buffered.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// The counters since construction or the last [`take_stats`](Self::take_stats).
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// The counters since construction or the last `take_stats`, which then start again from
    /// zero; the buffered packets and playout are untouched.
    pub fn take_stats(&mut self) -> JitterStats {
        std::mem::take(&mut self.stats)
    }

    // Maps a wire sequence number to an extended one, or None for an unconfirmed jump.
    fn extend(&mut self, ssrc: u32, sequence: u16) -> Option<u64> {
        let Some(source) = self.source.as_mut().filter(|s| s.ssrc == ssrc) else {
            if self.source.is_some() {
                self.stats.resyncs += 1;
            }
            return Some(self.restart(ssrc, sequence));
        };
        let delta = Seq::from(sequence) - Seq::from(source.highest as u16);
        if (-MAX_MISORDER..=MAX_DROPOUT).contains(&delta) {
            source.probation = None;
            let ext = source.highest.wrapping_add_signed(i64::from(delta));
            source.highest = source.highest.max(ext);
            Some(ext)
        } else if source.probation == Some(sequence) {
            self.stats.resyncs += 1;
            Some(self.restart(ssrc, sequence))
        } else {
            source.probation = Some(sequence.wrapping_add(1));
            None
        }
    }

    fn restart(&mut self, ssrc: u32, sequence: u16) -> u64 {
        let ext = EXT_BASE + u64::from(sequence);
        self.source = Some(Source {
            ssrc,
            highest: ext,
            probation: None,
        });
        self.packets.clear();
        self.playout = Playout::Idle;
        self.floor = None;
        ext
    }

    // Drops the oldest packets when the span from `next` to the newest exceeds the high water.
    fn trim(&mut self, newest: u64) {
        if newest + 1 - self.next <= self.high_water {
            return;
        }
        let keep_from = newest + 1 - self.delay_frames;
        let kept = self.packets.split_off(&keep_from);
        self.stats.overflow_dropped += self.packets.len() as u64;
        self.packets = kept;
        self.next = keep_from;
        self.floor = Some(keep_from - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PT: Duration = Duration::from_millis(20);

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn waits_the_target_delay_then_plays_in_order() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(PT, Duration::from_millis(40));
        jb.push(at(t0, 0), 1, 11, 11);
        jb.push(at(t0, 1), 1, 10, 10);
        assert_eq!(jb.pop(at(t0, 20)), None);
        jb.push(at(t0, 21), 1, 12, 12);
        assert_eq!(jb.pop(at(t0, 40)), Some(10));
        assert_eq!(jb.pop(at(t0, 60)), Some(11));
        assert_eq!(jb.pop(at(t0, 80)), Some(12));
        assert_eq!(jb.pop(at(t0, 100)), None);
        assert_eq!(jb.stats().underruns, 1);
        assert_eq!(jb.stats().lost, 0);
    }

    #[test]
    fn sequence_jump_needs_a_confirming_packet() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(PT, PT);
        jb.push(t0, 1, 100, 100);
        jb.push(t0, 1, 30_000, 30_000);
        assert_eq!(jb.stats().strays, 1);
        assert_eq!(jb.len(), 1);
        jb.push(t0, 1, 30_001, 30_001);
        assert_eq!(jb.stats().resyncs, 1);
        assert_eq!(jb.pop(at(t0, 20)), Some(30_001));
    }

    #[test]
    fn new_ssrc_restarts_playout() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(PT, PT);
        jb.push(t0, 1, 5, 5);
        assert_eq!(jb.pop(at(t0, 20)), Some(5));
        jb.push(at(t0, 21), 1, 6, 6);
        jb.push(at(t0, 22), 2, 900, 900);
        assert_eq!(jb.stats().resyncs, 1);
        assert_eq!(jb.pop(at(t0, 40)), None, "buffering the new source");
        assert_eq!(jb.pop(at(t0, 60)), Some(900));
    }

    #[test]
    fn taking_the_counters_leaves_the_packets() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(PT, PT);
        jb.push(t0, 1, 5, 5);
        jb.push(t0, 1, 5, 5);
        let taken = jb.take_stats();
        assert_eq!(
            (taken.received, taken.duplicates),
            (2, 1),
            "the counters so far"
        );
        assert_eq!(jb.stats(), JitterStats::default(), "counting starts over");
        assert_eq!(
            jb.pop(at(t0, 20)),
            Some(5),
            "the buffered packet still plays"
        );
        assert_eq!(jb.stats().played, 1, "and is counted afresh");
    }

    #[test]
    fn overfull_buffer_drops_down_to_the_target() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(PT, Duration::from_millis(40));
        for seq in 0..20u16 {
            jb.push(t0, 1, seq, seq);
        }
        // High water is 2 × 2 + 2 = 6 frames; each overflow trims back to 2.
        assert!(jb.len() <= 6);
        assert_eq!(jb.stats().overflow_dropped + jb.len() as u64, 20);
        let first = jb.pop(at(t0, 40)).unwrap();
        assert!(first >= 14);
    }
}
