//! Receive-side jitter buffer: orders one leg's packets by RTP sequence number and releases one
//! frame per tick after an adaptive target delay.
//!
//! Policy:
//! - Sequence numbers are extended to 64 bits against the highest one seen, so ordering survives
//!   the 16-bit wraparound. A jump (3000 or more ahead, 100 or more behind: RFC 3550 A.1's
//!   bounds, as the RTCP statistics take them in `reception::sequence_step`) is taken as a
//!   restarted source only when the next packet follows it (RFC 3550 Appendix A.1); a lone
//!   stray is dropped. A new SSRC restarts the buffer at once; a packet of the SSRC it
//!   replaced that arrives within `max_delay` of the switch is a straggler of that stream,
//!   dropped as late (RFC 3550 Appendix A.1: sequence state is kept per SSRC, so the old
//!   stream's packets neither restart nor disturb the new one's). Later, the old SSRC coming
//!   back is a switch like any other.
//! - Every packet updates the interarrival jitter estimate J of RFC 3550 §6.4.1 (transit time =
//!   arrival on the RTP clock − RTP timestamp; J moves 1/16 of the way to each |ΔD|). The target
//!   delay is `min + reframing lag + 3 J`, clamped to `min..=max`: on a clean network it stays at
//!   the minimum; uniform jitter of width W gives J ≈ W/3, so the target covers the whole width.
//!   The reframing lag (10 ms for packets of 10, 30, 50 ms; none for multiples of the tick) is
//!   what a frame cut across two packets waits for the second one.
//! - The first packet of a talkspurt anchors playout: it plays at the first tick at least
//!   `target − packet time` after it arrived, so it waits at most the target delay. An earlier
//!   packet arriving meanwhile moves the anchor back.
//! - Each tick then releases the next slot: [`Playout::Frame`], or [`Playout::Lost`] when its
//!   packet is missing while later ones are buffered. A packet whose slot was already released
//!   is late and dropped, as is a second copy of a buffered one.
//! - When a tick finds the buffer empty (underrun: the sender paused, a delay spike, or a sender
//!   clock running slow), playout stops and the next packet anchors a new talkspurt under the
//!   current target, so the delay grows by stretching at this point and silence suppression does
//!   not turn every later packet into a late one. Meanwhile a tick is [`Playout::Lost`] while
//!   the audio of the last frame played ended less than `LOST_WINDOW` ago (mid-talkspurt:
//!   concealed), then [`Playout::Idle`] (the sender paused: silence). The window runs from the
//!   end of that audio, not from its release: a packet longer than the window (80 ms and more)
//!   is released only when the one before it is used up, and the one after it missing is a
//!   loss like any other. Slots skipped by the new anchor count as lost.
//! - The buffer shrinks one packet at a time: a missing slot is skipped instead of concealed
//!   when the buffered audio exceeds the target by more than a packet, and once per
//!   `DEPTH_WINDOW` the next packet is dropped when the buffer stayed that deep all along (a
//!   sender clock running fast, or a target that came down). Both bound the depth under drift
//!   without a glitch larger than one packet.
//! - When the buffered span exceeds `2 × target + 2` packets (a burst after a stall), the oldest
//!   packets are dropped down to the target depth at once, bounding both latency and memory.
//! - A packet of the stream that carries no audio for it — an RFC 4733 event sent in place of
//!   the audio, RFC 3389 comfort noise — still takes a sequence number (RFC 3550 §5.1), so it is
//!   noted ([`JitterBuffer::skip`]): its slot plays as [`Playout::Idle`] (silence, not
//!   concealment) and counts as neither played nor lost.

use std::time::{Duration, Instant};

use crate::reception::sequence_step;
use crate::seq_map::SeqMap;
use crate::stream_ssrc::{Membership, StreamSsrc};
use crate::transit::{Transit, TransitChange};

// Extended sequence numbers start here, a multiple of 2^16, so that their low 16 bits are the
// wire sequence number and packets from before the first one stay positive.
const EXT_BASE: u64 = 1 << 32;
/// How long after the end of the last frame's audio an empty buffer still means a lost frame
/// rather than a paused sender: as long as G.711 Appendix I concealment lasts before it falls
/// silent.
const LOST_WINDOW: Duration = Duration::from_millis(60);
/// How long the buffer must stay deeper than needed before a packet is dropped to shrink it.
const DEPTH_WINDOW: Duration = Duration::from_secs(1);
/// The most slots noted as carrying no audio between two talkspurts; past it, more count as
/// lost when the next talkspurt starts (RFC 3389 comfort noise is sent sparsely).
const MAX_QUIET_NOTED: usize = 16;
/// The target delay covers this many times the RFC 3550 jitter estimate.
const JITTER_MARGIN: f64 = 3.0;
/// RFC 3550 §6.4.1: the estimate moves 1/16 of the way to each new difference.
const JITTER_GAIN: f64 = 1.0 / 16.0;

/// One received RTP packet's header fields and arrival time, as the jitter buffer needs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// When the packet arrived.
    pub at: Instant,
    /// Its SSRC.
    pub ssrc: u32,
    /// Its RTP sequence number.
    pub sequence: u16,
    /// Its RTP timestamp.
    pub timestamp: u32,
    /// Samples (RTP clock units) of audio it carries.
    pub samples: u32,
}

/// What one call to [`JitterBuffer::pop`] releases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Playout<T> {
    /// The next packet in sequence.
    Frame(T),
    /// A frame is missing mid-talkspurt (later packets exist, or the buffer ran dry less than
    /// 60 ms after the last frame's audio ended): conceal it.
    Lost,
    /// Nothing to play: before the first talkspurt, while one is buffering, or the sender paused
    /// (silence suppression, DTX, hold). Play silence, not concealment.
    Idle,
}

impl<T> Playout<T> {
    /// The frame, if this is one.
    pub fn frame(self) -> Option<T> {
        match self {
            Playout::Frame(item) => Some(item),
            Playout::Lost | Playout::Idle => None,
        }
    }
}

/// Counters of one jitter buffer, or summed over several.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets pushed.
    pub received: u64,
    /// Frames released to playout.
    pub played: u64,
    /// Slots whose packet never came while later ones had: released as lost, skipped by a new
    /// anchor after an underrun, or skipped to shrink the buffer.
    pub lost: u64,
    /// Ticks that found the buffer empty while playing (playout then restarts).
    pub underruns: u64,
    /// Packets that arrived after their slot was released (including copies of played packets),
    /// and stragglers of the SSRC the stream just switched from.
    pub late: u64,
    /// Second copies of a packet still buffered.
    pub duplicates: u64,
    /// Buffered packets dropped to bring an overfull buffer back to the target depth.
    pub overflow_dropped: u64,
    /// Buffered packets dropped one at a time because the buffer stayed deeper than its target
    /// (a sender clock running fast, or a target that came down).
    pub skipped: u64,
    /// Restarts: a new SSRC, or a sequence jump confirmed by the packet after it.
    pub resyncs: u64,
    /// Packets dropped as unconfirmed sequence jumps.
    pub strays: u64,
    /// Frames (or parts of frames) the leg filled with packet-loss concealment.
    pub concealed: u64,
    /// The highest target delay reached (a maximum, not a sum, across buffers).
    pub peak_target_delay: Duration,
}

impl JitterStats {
    /// Adds every counter of `other` to this one; the peak target delay is the larger one.
    pub fn accumulate(&mut self, other: &JitterStats) {
        self.received += other.received;
        self.played += other.played;
        self.lost += other.lost;
        self.underruns += other.underruns;
        self.late += other.late;
        self.duplicates += other.duplicates;
        self.overflow_dropped += other.overflow_dropped;
        self.skipped += other.skipped;
        self.resyncs += other.resyncs;
        self.strays += other.strays;
        self.concealed += other.concealed;
        self.peak_target_delay = self.peak_target_delay.max(other.peak_target_delay);
    }
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    Idle,
    Buffering { until: Instant },
    Playing,
}

/// The sequence state of the stream's SSRC.
#[derive(Clone, Copy, Debug)]
struct Source {
    highest: u64,
    // RFC 3550 A.1 `bad_seq`: the sequence number that would confirm a jump.
    probation: Option<u16>,
}

/// A packet's place in its stream.
struct Sequenced {
    /// Its extended sequence number.
    ext: u64,
    /// It confirmed a jump of its SSRC's sequence numbers, which restarted the buffer.
    jumped: bool,
}

/// RFC 3550 §6.4.1 interarrival jitter, in RTP clock units.
#[derive(Clone, Copy, Debug, Default)]
struct JitterEstimate {
    transit: Transit,
    jitter: f64,
}

impl JitterEstimate {
    /// Takes a packet stamped `timestamp` arriving `at`. A change of transit time beyond
    /// `max_delay` is no jitter any buffer could absorb but a new timeline (see
    /// [`TransitChange::NewTimeline`]): the estimate goes on from it unchanged, and true is
    /// returned.
    fn update(
        &mut self,
        at: Instant,
        timestamp: u32,
        clock_rate: u32,
        max_delay: Duration,
    ) -> bool {
        match self.transit.next(at, timestamp, clock_rate, max_delay) {
            TransitChange::First => false,
            TransitChange::Jitter(d) => {
                self.jitter += (f64::from(d) - self.jitter) * JITTER_GAIN;
                false
            }
            TransitChange::NewTimeline => true,
        }
    }
}

/// A jitter buffer for one incoming RTP stream, holding items of type `T` (usually the encoded
/// payload) keyed by sequence number. Sans-IO: `push` on arrival, `pop` once per tick (or once
/// per packet the tick's frame needs).
#[derive(Debug)]
pub struct JitterBuffer<T> {
    packet_time: Duration,
    clock_rate: u32,
    min_delay: Duration,
    max_delay: Duration,
    target: Duration,
    estimate: JitterEstimate,
    // Samples in the latest packet: the buffer's unit of depth.
    packet_samples: u32,
    // Which SSRC's packets are the stream's; stragglers of the one it replaced are late.
    ssrc: StreamSsrc,
    source: Option<Source>,
    phase: Phase,
    // Next extended sequence number to release (meaningful unless idle).
    next: u64,
    // Highest slot already released or given up: packets at or below it are late.
    floor: Option<u64>,
    // When the audio of the last frame released ends: its release plus a packet's duration.
    last_frame_end: Option<Instant>,
    // The shallowest depth (packets, before release) seen since `window_start`.
    window_start: Option<Instant>,
    window_min: u64,
    shrink: bool,
    packets: SeqMap<Slot<T>>,
    // Slots noted as carrying no audio while no talkspurt played, or ahead of the first packet
    // of one buffering (at most MAX_QUIET_NOTED): when it starts, those between `floor` and its
    // first packet are not lost, and those after that packet are buffered as its own.
    quiet: Vec<u64>,
    stats: JitterStats,
}

/// What a slot of the stream holds.
#[derive(Debug)]
enum Slot<T> {
    /// A packet of audio.
    Audio(T),
    /// A packet that carries no audio: an event or comfort noise.
    NoAudio,
}

impl<T> JitterBuffer<T> {
    /// An empty buffer popped every `packet_time` (the tick), for a stream on a `clock_rate` Hz
    /// RTP clock, whose target delay adapts within `min_delay..=max_delay` (equal bounds fix
    /// it). It starts at `min_delay`.
    ///
    /// # Panics
    /// If `packet_time` or `clock_rate` is zero, or `min_delay > max_delay`.
    pub fn new(
        packet_time: Duration,
        clock_rate: u32,
        min_delay: Duration,
        max_delay: Duration,
    ) -> Self {
        assert!(!packet_time.is_zero(), "packet time must be positive");
        assert!(clock_rate > 0, "clock rate must be positive");
        assert!(min_delay <= max_delay, "delay bounds reversed");
        let packet_samples =
            (u128::from(clock_rate) * packet_time.as_nanos() / 1_000_000_000).max(1) as u32;
        JitterBuffer {
            packet_time,
            clock_rate,
            min_delay,
            max_delay,
            target: min_delay,
            estimate: JitterEstimate::default(),
            packet_samples,
            ssrc: StreamSsrc::new(max_delay),
            source: None,
            phase: Phase::Idle,
            next: 0,
            floor: None,
            last_frame_end: None,
            window_start: None,
            window_min: u64::MAX,
            shrink: false,
            packets: SeqMap::default(),
            quiet: Vec::new(),
            stats: JitterStats {
                peak_target_delay: min_delay,
                ..JitterStats::default()
            },
        }
    }

    /// Accepts a packet. It is buffered, or dropped and counted (late, duplicate, stray).
    ///
    /// Returns true when it puts its SSRC's stream on a new timeline: a sequence jump confirmed
    /// by this packet, or a timestamp moved against its arrival time by more than the maximum
    /// delay (a source switched behind the same SSRC). Whatever else is stamped on the stream's
    /// clock (its RFC 4733 events) may have moved too.
    pub fn push(&mut self, arrival: Arrival, item: T) -> bool {
        self.stats.received += 1;
        let sequenced = match self.ssrc.audio(arrival.at, arrival.ssrc) {
            Membership::Straggler => {
                self.stats.late += 1;
                return false;
            }
            Membership::New { replacing } => {
                self.stats.resyncs += u64::from(replacing);
                Some(Sequenced {
                    ext: self.restart(arrival.sequence),
                    jumped: false,
                })
            }
            Membership::Current => self.extend(arrival.sequence),
        };
        let Some(Sequenced { ext, jumped }) = sequenced else {
            self.stats.strays += 1;
            return false;
        };
        let moved = self.estimate.update(
            arrival.at,
            arrival.timestamp,
            self.clock_rate,
            self.max_delay,
        );
        let new_timeline = jumped || moved;
        if arrival.samples > 0 {
            self.packet_samples = arrival.samples;
        }
        self.retarget();
        if self.floor.is_some_and(|floor| ext <= floor) {
            self.stats.late += 1;
            return new_timeline;
        }
        match self.phase {
            Phase::Idle => {
                let wait = self.target.saturating_sub(self.packet_time);
                self.phase = Phase::Buffering {
                    until: arrival.at + wait,
                };
                self.next = ext;
            }
            Phase::Buffering { .. } => self.next = self.next.min(ext),
            // Playing keeps `floor == next - 1`, so `ext >= next` here.
            Phase::Playing => {}
        }
        if self.packets.insert(ext, Slot::Audio(item)).is_err() {
            self.stats.duplicates += 1;
            return new_timeline;
        }
        self.trim(ext);
        new_timeline
    }

    /// Notes a packet of the stream, with `ssrc` and `sequence`, that carries no audio (an RFC
    /// 4733 event sent in place of the audio, RFC 3389 comfort noise): its slot plays as
    /// [`Playout::Idle`] and counts as neither lost nor played. It moves no timeline and no
    /// jitter estimate (an event's packets all carry the event's start time), starts no
    /// talkspurt, and a copy of a slot noted, buffered or played is ignored (RFC 4733 repeats
    /// an event's end packet). A packet under another SSRC than the audio's is ignored.
    ///
    /// Returns whether the packet confirmed a jump of the sequence numbers, as
    /// [`push`](Self::push) does: the stream restarted from it, and its timestamps are a new
    /// timeline.
    pub fn skip(&mut self, ssrc: u32, sequence: u16) -> bool {
        // Only in the audio's own stream: events sent under an SSRC of their own are not
        // numbered among the audio, and must not restart it.
        if !self.ssrc.includes(ssrc) {
            return false;
        }
        let Some(Sequenced { ext, jumped }) = self.extend(sequence) else {
            return false;
        };
        if self.floor.is_some_and(|floor| ext <= floor) {
            return jumped;
        }
        match self.phase {
            Phase::Playing => {}
            Phase::Buffering { .. } if ext >= self.next => {}
            // Between the last talkspurt and the next one's first packet.
            _ => {
                if self.quiet.len() < MAX_QUIET_NOTED && !self.quiet.contains(&ext) {
                    self.quiet.push(ext);
                }
                return jumped;
            }
        }
        self.buffer_no_audio(ext);
        jumped
    }

    /// Releases what plays at `now`: the next frame, a lost one, or idle (see the module docs
    /// and [`Playout`]). Called once per tick, or more when the peer's packets are shorter than
    /// a tick.
    pub fn pop(&mut self, now: Instant) -> Playout<T> {
        match self.phase {
            Phase::Buffering { until } if now < until => return self.missing(now),
            Phase::Buffering { .. } => self.start_playing(now),
            Phase::Idle => return self.missing(now),
            Phase::Playing => {}
        }
        let Some(newest) = self.packets.last_key() else {
            self.stats.underruns += 1;
            self.phase = Phase::Idle;
            return self.missing(now);
        };
        let depth = newest + 1 - self.next;
        self.watch_depth(now, depth);
        let mut slot = self.next;
        let missing = !matches!(self.packets.get(slot), Some(Slot::Audio(_)));
        // Shrink at a concealment point (a slot without audio), or when the window found the
        // buffer too deep; only when the slot after is there to play instead.
        if (self.shrink || (missing && self.exceeds_target(depth - 1)))
            && self.packets.contains_key(slot + 1)
        {
            match self.packets.remove(slot) {
                Some(Slot::Audio(_)) => self.stats.skipped += 1,
                Some(Slot::NoAudio) => {}
                None => self.stats.lost += 1,
            }
            self.shrink = false;
            slot += 1;
        }
        self.next = slot + 1;
        self.floor = Some(slot);
        match self.packets.remove(slot) {
            Some(Slot::Audio(item)) => {
                self.stats.played += 1;
                self.last_frame_end = Some(now + self.duration_of(1));
                Playout::Frame(item)
            }
            Some(Slot::NoAudio) => {
                // The sender said this is no audio: silence, and silence after it too.
                self.last_frame_end = None;
                Playout::Idle
            }
            None => {
                self.stats.lost += 1;
                Playout::Lost
            }
        }
    }

    /// The packet that plays next, if it is buffered audio and playout is under way: after a
    /// [`Playout::Lost`], the one following the lost slot (whose Opus in-band FEC may recover
    /// it). `None` while a talkspurt buffers, after an underrun or a new SSRC: that loss fills
    /// time, no slot, and the first packet's FEC is the audio before it, which played already
    /// or belongs to another stream.
    pub fn peek_next(&self) -> Option<&T> {
        if !matches!(self.phase, Phase::Playing) {
            return None;
        }
        match self.packets.get(self.next) {
            Some(Slot::Audio(item)) => Some(item),
            _ => None,
        }
    }

    /// Number of slots buffered: packets of audio, and those noted as carrying none.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether no packet is buffered.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Samples (RTP clock units) of the latest packet received: what a lost one is taken to
    /// have held.
    pub fn packet_samples(&self) -> u32 {
        self.packet_samples
    }

    /// The current target delay: how long a packet arriving on schedule waits at most.
    pub fn target_delay(&self) -> Duration {
        self.target
    }

    /// The RFC 3550 interarrival jitter estimate.
    pub fn jitter(&self) -> Duration {
        Duration::from_secs_f64(self.estimate.jitter / f64::from(self.clock_rate))
    }

    /// The counters since construction or the last [`take_stats`](Self::take_stats).
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// The counters since construction or the last `take_stats`, which then start again from
    /// zero (the peak target delay from the current one); the buffered packets and playout are
    /// untouched.
    pub fn take_stats(&mut self) -> JitterStats {
        let fresh = JitterStats {
            peak_target_delay: self.target,
            ..JitterStats::default()
        };
        std::mem::replace(&mut self.stats, fresh)
    }

    fn retarget(&mut self) {
        let rate = f64::from(self.clock_rate);
        let jitter = Duration::from_secs_f64(JITTER_MARGIN * self.estimate.jitter / rate);
        let wanted = self.min_delay + self.reframing_lag() + jitter;
        self.target = wanted.clamp(self.min_delay, self.max_delay);
        self.stats.peak_target_delay = self.stats.peak_target_delay.max(self.target);
    }

    // How long a tick's frame cut across two packets waits for the second one: packets that are
    // not a whole number of ticks end part-way through a tick.
    fn reframing_lag(&self) -> Duration {
        let packet = self.duration_of(1).as_nanos();
        let tick = self.packet_time.as_nanos();
        match packet % tick {
            0 => Duration::ZERO,
            rest => Duration::from_nanos((tick - rest) as u64),
        }
    }

    fn duration_of(&self, packets: u64) -> Duration {
        let samples = u128::from(packets) * u128::from(self.packet_samples);
        Duration::from_nanos((samples * 1_000_000_000 / u128::from(self.clock_rate)) as u64)
    }

    // Whether `depth` packets hold more than a packet beyond the target.
    fn exceeds_target(&self, depth: u64) -> bool {
        depth >= 2 && self.duration_of(depth - 1) > self.target
    }

    fn watch_depth(&mut self, now: Instant, depth: u64) {
        self.window_min = self.window_min.min(depth);
        let start = *self.window_start.get_or_insert(now);
        if now >= start + DEPTH_WINDOW {
            self.shrink = self.exceeds_target(self.window_min);
            self.window_start = Some(now);
            self.window_min = u64::MAX;
        }
    }

    fn start_playing(&mut self, now: Instant) {
        if let Some(floor) = self.floor {
            let gap = self.next.saturating_sub(floor + 1);
            let quiet = self
                .quiet
                .iter()
                .filter(|&&ext| floor < ext && ext < self.next)
                .count();
            self.stats.lost += gap.saturating_sub(quiet as u64);
        }
        // A slot noted past the first packet is the talkspurt's own: that packet came late,
        // after the slot was noted.
        for ext in std::mem::take(&mut self.quiet) {
            if ext >= self.next {
                self.buffer_no_audio(ext);
            }
        }
        self.phase = Phase::Playing;
        self.window_start = Some(now);
        self.window_min = u64::MAX;
        self.shrink = false;
    }

    // Buffers a slot that carries no audio; one already buffered stays as it is.
    fn buffer_no_audio(&mut self, ext: u64) {
        if self.packets.insert(ext, Slot::NoAudio).is_ok() {
            self.trim(ext);
        }
    }

    // A tick with nothing to release: lost mid-talkspurt, idle otherwise.
    fn missing(&self, now: Instant) -> Playout<T> {
        match self.last_frame_end {
            Some(end) if now.saturating_duration_since(end) < LOST_WINDOW => Playout::Lost,
            _ => Playout::Idle,
        }
    }

    // Maps a wire sequence number of the stream's SSRC to an extended one, or None for an
    // unconfirmed jump.
    fn extend(&mut self, sequence: u16) -> Option<Sequenced> {
        let source = self.source.as_mut()?;
        if let Some(step) = sequence_step(source.highest as u16, sequence) {
            source.probation = None;
            let ext = source.highest.wrapping_add_signed(i64::from(step));
            source.highest = source.highest.max(ext);
            Some(Sequenced { ext, jumped: false })
        } else if source.probation == Some(sequence) {
            self.stats.resyncs += 1;
            let ext = self.restart(sequence);
            Some(Sequenced { ext, jumped: true })
        } else {
            source.probation = Some(sequence.wrapping_add(1));
            None
        }
    }

    fn restart(&mut self, sequence: u16) -> u64 {
        let ext = EXT_BASE + u64::from(sequence);
        self.source = Some(Source {
            highest: ext,
            probation: None,
        });
        self.packets.clear();
        self.quiet.clear();
        self.phase = Phase::Idle;
        self.floor = None;
        // Transit times of a new source are not comparable with the old one's; J carries on.
        self.estimate.transit.restart();
        ext
    }

    // Drops the oldest packets when the span from `next` to the newest exceeds the high water.
    fn trim(&mut self, newest: u64) {
        let target = self.target.as_nanos();
        let packet = self.duration_of(1).as_nanos().max(1);
        let target_packets = (target.div_ceil(packet) as u64).max(1);
        if newest + 1 - self.next <= 2 * target_packets + 2 {
            return;
        }
        let keep_from = newest + 1 - target_packets;
        self.stats.overflow_dropped += self.packets.remove_below(keep_from) as u64;
        self.next = keep_from;
        self.floor = Some(keep_from - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PT: Duration = Duration::from_millis(20);
    const MS: Duration = Duration::from_millis(1);

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    fn fixed(delay_ms: u64) -> JitterBuffer<u16> {
        let delay = Duration::from_millis(delay_ms);
        JitterBuffer::new(PT, 8000, delay, delay)
    }

    // A 20 ms packet from SSRC `ssrc` with timestamp 160 × `sequence`.
    fn arrive(jb: &mut JitterBuffer<u16>, when: Instant, ssrc: u32, sequence: u16) {
        let arrival = Arrival {
            at: when,
            ssrc,
            sequence,
            timestamp: u32::from(sequence) * 160,
            samples: 160,
        };
        jb.push(arrival, sequence);
    }

    #[test]
    fn a_packet_3000_ahead_or_100_behind_is_a_stray_one_less_is_of_the_stream() {
        let t0 = Instant::now();
        let strays_after = |sequence: u16| {
            let mut jb = fixed(60);
            arrive(&mut jb, t0, 1, 1000);
            arrive(&mut jb, t0, 1, sequence);
            jb.stats().strays
        };
        let counted = [3999, 4000, 901, 900].map(strays_after);
        assert_eq!(counted, [0, 1, 0, 1]);
    }

    #[test]
    fn a_buffer_run_dry_after_a_long_packet_conceals_until_its_audio_is_long_over() {
        let t0 = Instant::now();
        let mut jb = fixed(20);
        // 120 ms packets, each arriving just as the one before it is used up, and only then
        // popped: packet 12 is lost.
        let long = |jb: &mut JitterBuffer<u16>, sequence: u16| {
            let arrival = Arrival {
                at: at(t0, 120 * u64::from(sequence - 10)),
                ssrc: 1,
                sequence,
                timestamp: u32::from(sequence) * 960,
                samples: 960,
            };
            jb.push(arrival, sequence);
        };
        long(&mut jb, 10);
        assert_eq!(jb.pop(at(t0, 0)), Playout::Frame(10));
        long(&mut jb, 11);
        assert_eq!(jb.pop(at(t0, 120)), Playout::Frame(11));
        assert_eq!(jb.pop(at(t0, 240)), Playout::Lost, "packet 11 just ended");
        long(&mut jb, 13);
        assert_eq!(jb.pop(at(t0, 360)), Playout::Frame(13));
        // The sender pauses: no telling it from a loss until a packet's audio later.
        assert_eq!(jb.pop(at(t0, 480)), Playout::Lost);
        assert_eq!(jb.pop(at(t0, 540)), Playout::Idle);
        assert_eq!(jb.pop(at(t0, 600)), Playout::Idle);
        assert_eq!((jb.stats().played, jb.stats().lost), (3, 1));
    }

    #[test]
    fn a_slot_noted_as_no_audio_plays_idle_and_is_neither_lost_nor_repeated() {
        let t0 = Instant::now();
        let mut jb = fixed(20);
        arrive(&mut jb, at(t0, 0), 1, 10);
        assert_eq!(jb.pop(at(t0, 20)), Playout::Frame(10));
        // An event in place of the audio, its end packet twice under one sequence number.
        jb.skip(1, 11);
        jb.skip(1, 11);
        arrive(&mut jb, at(t0, 39), 1, 12);
        assert_eq!(jb.pop(at(t0, 40)), Playout::Idle);
        assert_eq!(jb.pop(at(t0, 60)), Playout::Frame(12));
        // The sender pauses after comfort noise noted between talkspurts.
        assert_eq!(
            jb.pop(at(t0, 80)),
            Playout::Lost,
            "mid-talkspurt, nothing said yet"
        );
        jb.skip(1, 13);
        jb.skip(1, 14);
        arrive(&mut jb, at(t0, 199), 1, 15);
        assert_eq!(jb.pop(at(t0, 200)), Playout::Frame(15));
        let stats = jb.stats();
        assert_eq!((stats.lost, stats.played, stats.duplicates), (0, 3, 0));
    }

    #[test]
    fn a_slot_without_audio_ahead_of_a_reordered_first_packet_plays_idle_not_lost() {
        // Slot 12 is noted before the talkspurt buffers, or while it buffers from 13; either
        // way 11 arrives last and opens it.
        for buffering in [false, true] {
            let t0 = Instant::now();
            let mut jb = fixed(60);
            arrive(&mut jb, at(t0, 0), 1, 10);
            assert_eq!(jb.pop(at(t0, 40)), Playout::Frame(10));
            assert_eq!(jb.pop(at(t0, 60)), Playout::Lost, "an underrun");
            if buffering {
                arrive(&mut jb, at(t0, 61), 1, 13);
            }
            jb.skip(1, 12);
            if !buffering {
                arrive(&mut jb, at(t0, 62), 1, 13);
            }
            arrive(&mut jb, at(t0, 63), 1, 11);
            let played: Vec<_> = (6..9).map(|k| jb.pop(at(t0, 20 * k))).collect();
            assert_eq!(
                played,
                [Playout::Frame(11), Playout::Idle, Playout::Frame(13)],
                "noted while buffering: {buffering}"
            );
            assert_eq!((jb.stats().lost, jb.stats().played), (0, 3));
        }
    }

    #[test]
    fn no_audio_noted_in_another_stream_or_twice_neither_restarts_nor_hides_a_loss() {
        let t0 = Instant::now();
        let mut jb = fixed(20);
        arrive(&mut jb, at(t0, 0), 1, 10);
        // Events under an SSRC of their own: not the audio's numbering.
        jb.skip(2, 500);
        assert_eq!(jb.pop(at(t0, 20)), Playout::Frame(10));
        arrive(&mut jb, at(t0, 21), 1, 11);
        assert_eq!(jb.pop(at(t0, 40)), Playout::Frame(11));
        assert_eq!((jb.stats().resyncs, jb.stats().late), (0, 0));
        // Between talkspurts: 12 lost, 13 an event's end sent three times, 14 lost.
        assert_eq!(jb.pop(at(t0, 60)), Playout::Lost);
        for _ in 0..3 {
            jb.skip(1, 13);
        }
        arrive(&mut jb, at(t0, 199), 1, 15);
        assert_eq!(jb.pop(at(t0, 200)), Playout::Frame(15));
        assert_eq!(jb.stats().lost, 2);
    }

    #[test]
    fn waits_at_most_the_target_delay_then_plays_in_order() {
        let t0 = Instant::now();
        let mut jb = fixed(60);
        arrive(&mut jb, at(t0, 0), 1, 11);
        arrive(&mut jb, at(t0, 1), 1, 10);
        assert_eq!(jb.pop(at(t0, 20)), Playout::Idle);
        arrive(&mut jb, at(t0, 21), 1, 12);
        assert_eq!(jb.pop(at(t0, 40)), Playout::Frame(10));
        assert_eq!(jb.pop(at(t0, 60)), Playout::Frame(11));
        assert_eq!(jb.pop(at(t0, 80)), Playout::Frame(12));
        assert_eq!(jb.pop(at(t0, 100)), Playout::Lost, "mid-talkspurt");
        assert_eq!(jb.stats().underruns, 1);
        assert_eq!(jb.stats().lost, 0);
    }

    #[test]
    fn nothing_follows_a_loss_while_a_new_talkspurt_buffers() {
        let t0 = Instant::now();
        let mut jb = fixed(60);
        arrive(&mut jb, at(t0, 0), 1, 10);
        assert_eq!(jb.pop(at(t0, 40)), Playout::Frame(10));
        assert_eq!(jb.pop(at(t0, 60)), Playout::Lost, "an underrun");
        arrive(&mut jb, at(t0, 61), 1, 11);
        assert_eq!(jb.pop(at(t0, 80)), Playout::Lost, "11 waits out the delay");
        // 11's in-band FEC is frame 10, which already played: no packet follows this loss.
        assert_eq!(jb.peek_next(), None);
        assert_eq!(jb.pop(at(t0, 100)), Playout::Lost);
        assert_eq!(jb.pop(at(t0, 120)), Playout::Frame(11));
        // A new source's first packet, buffering, follows nothing of the old one either.
        arrive(&mut jb, at(t0, 121), 2, 500);
        assert_eq!(jb.pop(at(t0, 140)), Playout::Lost);
        assert_eq!(jb.peek_next(), None);
    }

    #[test]
    fn the_packet_after_a_lost_one_is_peeked() {
        let t0 = Instant::now();
        let mut jb = fixed(20);
        arrive(&mut jb, at(t0, 0), 1, 10);
        assert_eq!(jb.pop(at(t0, 20)), Playout::Frame(10));
        arrive(&mut jb, at(t0, 39), 1, 12);
        assert_eq!(jb.pop(at(t0, 40)), Playout::Lost);
        assert_eq!(jb.peek_next(), Some(&12));
    }

    #[test]
    fn a_clean_stream_plays_at_the_first_tick_after_arrival() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(PT, 8000, PT, 10 * PT);
        for k in 0..100u16 {
            arrive(&mut jb, at(t0, 20 * u64::from(k) + 13), 1, k);
            assert!(jb.len() <= 1);
            assert_eq!(jb.pop(at(t0, 20 * u64::from(k) + 20)), Playout::Frame(k));
        }
        assert_eq!(jb.target_delay(), PT);
        assert!(jb.jitter() < MS);
    }

    #[test]
    fn a_timestamp_jump_under_the_same_ssrc_is_no_jitter() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(PT, 8000, PT, 10 * PT);
        for k in 0..200u16 {
            // Halfway, a new source goes on behind the same SSRC and sequence numbers, its
            // timestamps from another base.
            let base = if k < 100 { 0 } else { 1 << 31 };
            let arrival = Arrival {
                at: at(t0, 20 * u64::from(k) + 13),
                ssrc: 1,
                sequence: k,
                timestamp: base + u32::from(k) * 160,
                samples: 160,
            };
            assert_eq!(jb.push(arrival, k), k == 100, "a new timeline at {k}");
            assert_eq!(jb.pop(at(t0, 20 * u64::from(k) + 20)), Playout::Frame(k));
        }
        assert!(jb.jitter() < MS, "{:?}", jb.jitter());
        assert_eq!(jb.target_delay(), PT, "the delay stays at one packet");
    }

    #[test]
    fn sequence_jump_needs_a_confirming_packet() {
        let t0 = Instant::now();
        let mut jb = fixed(20);
        arrive(&mut jb, t0, 1, 100);
        arrive(&mut jb, t0, 1, 30_000);
        assert_eq!(jb.stats().strays, 1);
        assert_eq!(jb.len(), 1);
        arrive(&mut jb, t0, 1, 30_001);
        assert_eq!(jb.stats().resyncs, 1);
        assert_eq!(jb.pop(at(t0, 20)), Playout::Frame(30_001));
    }

    #[test]
    fn new_ssrc_restarts_playout() {
        let t0 = Instant::now();
        let mut jb = fixed(40);
        arrive(&mut jb, t0, 1, 5);
        assert_eq!(jb.pop(at(t0, 20)), Playout::Frame(5));
        arrive(&mut jb, at(t0, 21), 1, 6);
        arrive(&mut jb, at(t0, 22), 2, 900);
        assert_eq!(jb.stats().resyncs, 1);
        assert_eq!(
            jb.pop(at(t0, 40)),
            Playout::Lost,
            "buffering the new source"
        );
        assert_eq!(jb.pop(at(t0, 60)), Playout::Frame(900));
    }

    #[test]
    fn a_straggler_of_the_replaced_ssrc_is_late_and_the_new_stream_plays_on() {
        let t0 = Instant::now();
        let mut jb = fixed(20);
        for k in 0..3u16 {
            let now = at(t0, 20 * u64::from(k));
            arrive(&mut jb, now + MS, 1, 118 + k);
            assert_eq!(
                jb.pop(at(t0, 20 * u64::from(k) + 20)),
                Playout::Frame(118 + k)
            );
        }
        // The source switches at 61 ms; the old one's last packet comes after the new one's
        // first two.
        arrive(&mut jb, at(t0, 61), 2, 5000);
        arrive(&mut jb, at(t0, 62), 2, 5001);
        arrive(&mut jb, at(t0, 63), 1, 121);
        arrive(&mut jb, at(t0, 64), 2, 5002);
        let played: Vec<_> = (4..7).map(|k| jb.pop(at(t0, 20 * k))).collect();
        assert_eq!(
            played,
            [5000, 5001, 5002].map(Playout::Frame),
            "the new stream, whole"
        );
        let stats = jb.stats();
        assert_eq!((stats.resyncs, stats.late), (1, 1), "{stats:?}");
        // Past the maximum delay after the switch, the old SSRC coming back is a switch.
        arrive(&mut jb, at(t0, 121), 1, 122);
        assert_eq!(jb.stats().resyncs, 2);
        assert_eq!(jb.pop(at(t0, 140)), Playout::Frame(122));
    }

    #[test]
    fn taking_the_counters_leaves_the_packets() {
        let t0 = Instant::now();
        let mut jb = fixed(20);
        arrive(&mut jb, t0, 1, 5);
        arrive(&mut jb, t0, 1, 5);
        let taken = jb.take_stats();
        assert_eq!(
            (taken.received, taken.duplicates),
            (2, 1),
            "the counters so far"
        );
        assert_eq!(
            jb.stats(),
            JitterStats {
                peak_target_delay: PT,
                ..JitterStats::default()
            },
            "counting starts over"
        );
        assert_eq!(
            jb.pop(at(t0, 20)),
            Playout::Frame(5),
            "the buffered packet still plays"
        );
        assert_eq!(jb.stats().played, 1, "and is counted afresh");
    }

    #[test]
    fn overfull_buffer_drops_down_to_the_target() {
        let t0 = Instant::now();
        let mut jb = fixed(40);
        for seq in 0..20u16 {
            arrive(&mut jb, t0, 1, seq);
        }
        // High water is 2 × 2 + 2 = 6 packets; each overflow trims back to 2.
        assert!(jb.len() <= 6);
        assert_eq!(jb.stats().overflow_dropped + jb.len() as u64, 20);
        let first = jb.pop(at(t0, 40)).frame().unwrap();
        assert!(first >= 14);
    }

    #[test]
    fn the_target_covers_the_reframing_lag_of_30_ms_packets() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(PT, 8000, PT, 10 * PT);
        let arrival = Arrival {
            at: t0,
            ssrc: 1,
            sequence: 0,
            timestamp: 0,
            samples: 240,
        };
        jb.push(arrival, 0);
        assert_eq!(jb.target_delay(), 30 * MS);
    }
}
