//! The media phase: every participant sends 20 ms frames (PCMU or Opus) on
//! absolute deadlines, while what the server sends back is read in batches,
//! stamped by the kernel and tallied per stream: lateness, losses and gaps.

use crate::stream::Stream;
use crate::sys::{self, Incoming, MAX_BATCH, Outgoing};
use std::net::{SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};
use switchyard_media::{Codec, Encoder};

/// The packet time.
pub const PERIOD: Duration = Duration::from_millis(20);
/// Send slots per period: the participants are spread over them in equal blocks,
/// as independent phones are spread over the period.
const PHASES: u32 = 4;
/// Bytes of an RTP header without CSRCs or extensions.
const HEADER_LEN: usize = 12;
/// Frames of sound encoded at start-up and sent in turn: 1 s, which holds a whole
/// number of cycles of a tone of whole hertz.
const CYCLE: u32 = 50;
/// The talkers' tone.
const TONE_HZ: u32 = 400;
/// The tone's amplitude.
const TONE_AMPLITUDE: f64 = 8000.0;
/// Datagrams read by one `recvmmsg`.
const RECV_BATCH: usize = 256;
/// The most batches read from one socket per wake-up.
const MAX_BATCHES_PER_WAKE: usize = 64;
/// The last second [`Totals::gaps_by_second`] counts: later gaps count in it.
const MAX_GAP_SECOND: usize = 86_400;
/// Marks a source port that is no participant's.
const NOBODY: u32 = u32::MAX;

/// One participant's media.
#[derive(Debug, Clone, Copy)]
pub struct Participant {
    /// The index of the socket it sends from and receives on.
    pub socket: usize,
    /// The server's RTP address for its call.
    pub server: SocketAddrV4,
    /// Whether it sends a tone; otherwise digital silence.
    pub talker: bool,
}

/// Totals over the measured interval.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    /// Packets the kernel took for sending.
    pub sent: u64,
    /// Packets dropped at sending (a full socket buffer).
    pub unsent: u64,
    /// RTP packets received from the participants' server legs.
    pub received: u64,
    /// Of those, the packets more than 20 ms behind their stream's schedule.
    pub late: u64,
    /// Packets missing by sequence number.
    pub lost: u64,
    /// Participants that received nothing.
    pub silent_streams: u64,
    /// The longest time any participant went without a packet, in ns.
    pub max_gap_ns: i64,
    /// Times without a packet longer than [`GAP_NS`](crate::stream::GAP_NS), over all participants.
    pub gaps: u64,
    /// Participants with at least one of those.
    pub gap_streams: u64,
    /// Those gaps by the second of the measured interval they ended in.
    pub gaps_by_second: Vec<u64>,
    /// Datagrams from ports that are no participant's server leg.
    pub foreign: u64,
    /// Send slots (a quarter of the participants each) that went out more than
    /// a slot (5 ms) after their deadline: the generator fell behind.
    pub slots_behind: u64,
    /// Send slots in the measured interval.
    pub slots: u64,
}

/// Sends `codec` for `warmup` and then `duration` more, tallying only the latter;
/// `mark` is called with `"measure start"` and `"measure end"` as that interval
/// begins and ends. Participants of one socket must be contiguous in `participants`.
pub fn run(
    sockets: &[UdpSocket],
    participants: &[Participant],
    codec: Codec,
    warmup: Duration,
    duration: Duration,
    mut mark: impl FnMut(&str),
) -> Totals {
    let sound = Sound::new(codec);
    let mut outgoing = Outgoing::new(
        HEADER_LEN + sound.longest_payload(),
        participants.iter().map(|p| p.server),
    );
    for index in 0..participants.len() {
        outgoing.write(index, |packet| sound.template(packet, index));
    }
    let mut receiver = Receiver::new(sockets, participants, codec.clock_rate());
    let slot = PERIOD / PHASES;
    let warmup_slots = slots_in(warmup, slot);
    let total_slots = warmup_slots + slots_in(duration, slot);
    let start = Instant::now() + PERIOD;
    let mut totals = Totals::default();
    for k in 0..=total_slots {
        receiver.receive_until(sockets, start + slot * k);
        if k == warmup_slots {
            receiver.tally = true;
            let now = sys::now_ns();
            receiver.streams.iter_mut().for_each(|s| s.open(now));
            receiver.gaps_from_ns = now;
            mark("measure start");
        }
        if k == total_slots {
            break;
        }
        if receiver.tally {
            totals.slots += 1;
            totals.slots_behind += u64::from(Instant::now() > start + slot * (k + 1));
        }
        let frame = k / PHASES;
        let phase = (k % PHASES) as usize;
        let block = participants.len() * phase / PHASES as usize
            ..participants.len() * (phase + 1) / PHASES as usize;
        for index in block.clone() {
            let talker = participants[index].talker;
            outgoing.write(index, |packet| sound.stamp(packet, index, talker, frame));
        }
        let mut first = block.start;
        // Each round sends at least one participant's packet, so this ends.
        while first < block.end {
            let socket = participants[first].socket;
            let run = participants[first..block.end]
                .iter()
                .take(MAX_BATCH)
                .take_while(|p| p.socket == socket)
                .count();
            let sent = outgoing.send(&sockets[socket], first..first + run) as u64;
            if receiver.tally {
                totals.sent += sent;
                totals.unsent += run as u64 - sent;
            }
            first += run;
        }
    }
    receiver.tally = false;
    let now = sys::now_ns();
    let ended_in_gaps = receiver
        .streams
        .iter_mut()
        .map(|s| s.close(now))
        .filter(|&ended| ended)
        .count();
    receiver.note_gaps_at(now, ended_in_gaps as u64);
    mark("measure end");
    for stream in &receiver.streams {
        totals.received += stream.received();
        totals.late += stream.late();
        totals.lost += stream.lost();
        totals.silent_streams += u64::from(stream.received() == 0);
        totals.max_gap_ns = totals.max_gap_ns.max(stream.max_gap_ns());
        totals.gaps += stream.gaps();
        totals.gap_streams += u64::from(stream.gaps() > 0);
    }
    totals.foreign = receiver.foreign;
    totals.gaps_by_second = receiver.gaps_by_second;
    totals
}

/// How many whole `slot`s `span` holds.
fn slots_in(span: Duration, slot: Duration) -> u32 {
    u32::try_from(span.as_nanos() / slot.as_nanos()).expect("a span of fewer than 2^32 slots")
}

/// What the participants send, encoded once: a cycle of [`CYCLE`] frames of the
/// tone and one of silence.
struct Sound {
    payload_type: u8,
    /// RTP timestamp units per frame.
    frame_ts: u32,
    tone: Vec<Vec<u8>>,
    silence: Vec<Vec<u8>>,
}

impl Sound {
    /// `codec`'s frames of a [`TONE_HZ`] tone and of silence.
    fn new(codec: Codec) -> Self {
        let rate = codec.audio_rate();
        Sound {
            payload_type: codec.payload_type(),
            frame_ts: codec.samples_per_frame(PERIOD) as u32,
            // TONE_HZ * n / rate cycles, reduced to their fraction first, so the phase is exact.
            tone: encode_cycle(codec, |n| {
                let cycles = f64::from(TONE_HZ * n % rate) / f64::from(rate);
                (TONE_AMPLITUDE * (std::f64::consts::TAU * cycles).sin()) as i16
            }),
            silence: encode_cycle(codec, |_| 0),
        }
    }

    /// The longest payload of any frame.
    fn longest_payload(&self) -> usize {
        self.tone
            .iter()
            .chain(&self.silence)
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    }

    /// Writes participant `index`'s RTP header before its first send into `packet`:
    /// version 2, the codec's payload type, its own SSRC. Returns the header's length.
    fn template(&self, packet: &mut [u8], index: usize) -> usize {
        packet[..2].copy_from_slice(&[0x80, self.payload_type]);
        packet[8..12].copy_from_slice(&(0x5359_0000 ^ index as u32).to_be_bytes());
        HEADER_LEN
    }

    /// Writes frame `frame` of participant `index` (a `talker` or not) into its
    /// `packet`, after the header [`template`](Self::template) wrote: its sequence
    /// number, its timestamp and the cycle's frame. Returns the packet's length.
    fn stamp(&self, packet: &mut [u8], index: usize, talker: bool, frame: u32) -> usize {
        let seq = (index as u16).wrapping_mul(7919).wrapping_add(frame as u16);
        let ts = (index as u32)
            .wrapping_mul(40_009)
            .wrapping_add(frame.wrapping_mul(self.frame_ts));
        packet[2..4].copy_from_slice(&seq.to_be_bytes());
        packet[4..8].copy_from_slice(&ts.to_be_bytes());
        let cycle = if talker { &self.tone } else { &self.silence };
        let payload = &cycle[(frame % CYCLE) as usize];
        packet[HEADER_LEN..][..payload.len()].copy_from_slice(payload);
        HEADER_LEN + payload.len()
    }
}

/// [`CYCLE`] frames of `codec`, whose sample `n` (at the codec's audio rate,
/// counted from the cycle's start) is `sample(n)`. The encoder runs over the cycle
/// twice and keeps the second pass, so the last frame leads into the first as
/// smoothly as into its own successor.
fn encode_cycle(codec: Codec, sample: impl Fn(u32) -> i16) -> Vec<Vec<u8>> {
    let per_frame = (u128::from(codec.audio_rate()) * PERIOD.as_nanos()
        / Duration::from_secs(1).as_nanos()) as u32;
    let mut encoder = Encoder::new(codec);
    let mut pcm = vec![0; per_frame as usize];
    let mut frames = vec![Vec::new(); CYCLE as usize];
    for _ in 0..2 {
        for (k, frame) in (0..).zip(&mut frames) {
            for (i, value) in (0..).zip(&mut pcm) {
                *value = sample(k * per_frame + i);
            }
            encoder.encode(&pcm, frame);
        }
    }
    frames
}

/// The receiving side: each participant's stream, found by the server leg's port.
struct Receiver {
    streams: Vec<Stream>,
    /// Participant index by source port, or [`NOBODY`].
    by_port: Vec<u32>,
    incoming: Incoming,
    poll: Vec<libc::pollfd>,
    foreign: u64,
    tally: bool,
    /// The tallies' start, on the [`sys::now_ns`] timeline.
    gaps_from_ns: i64,
    /// Long gaps by the second since `gaps_from_ns` they ended in.
    gaps_by_second: Vec<u64>,
}

impl Receiver {
    /// Streams of `participants` on an RTP clock of `clock_hz`.
    fn new(sockets: &[UdpSocket], participants: &[Participant], clock_hz: u32) -> Self {
        let mut by_port = vec![NOBODY; 1 << 16];
        for (index, p) in participants.iter().enumerate() {
            by_port[usize::from(p.server.port())] = index as u32;
        }
        Receiver {
            streams: vec![Stream::new(clock_hz); participants.len()],
            by_port,
            incoming: Incoming::new(RECV_BATCH),
            poll: sys::poll_set(sockets),
            foreign: 0,
            tally: false,
            gaps_from_ns: 0,
            gaps_by_second: Vec::new(),
        }
    }

    /// Counts `count` long gaps that ended at `at_ns` in their second.
    fn note_gaps_at(&mut self, at_ns: i64, count: u64) {
        let second = usize::try_from((at_ns - self.gaps_from_ns) / 1_000_000_000)
            .unwrap_or(0)
            .min(MAX_GAP_SECOND);
        if self.gaps_by_second.len() <= second {
            self.gaps_by_second.resize(second + 1, 0);
        }
        self.gaps_by_second[second] += count;
    }

    /// Reads whatever arrives until `deadline`, and what is waiting even when
    /// `deadline` has passed.
    fn receive_until(&mut self, sockets: &[UdpSocket], deadline: Instant) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if sys::wait_readable(&mut self.poll, left) {
                self.drain(sockets);
            }
            if left.is_zero() {
                return;
            }
        }
    }

    /// Reads what every socket holds, up to [`MAX_BATCHES_PER_WAKE`] batches each.
    fn drain(&mut self, sockets: &[UdpSocket]) {
        for socket in sockets {
            for _ in 0..MAX_BATCHES_PER_WAKE {
                let count = self.incoming.receive(socket);
                for i in 0..count {
                    let datagram = self.incoming.datagram(i);
                    match self.by_port[usize::from(datagram.source_port)] {
                        NOBODY => self.foreign += u64::from(self.tally),
                        index => {
                            let arrived_ns = datagram.arrived_ns;
                            if self.streams[index as usize].record(
                                datagram.bytes,
                                arrived_ns,
                                self.tally,
                            ) {
                                self.note_gaps_at(arrived_ns, 1);
                            }
                        }
                    }
                }
                if count < RECV_BATCH {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_media::Decoder;

    /// Participant `index`'s packet of `frame`, written as [`run`] writes it.
    fn packet(sound: &Sound, index: usize, talker: bool, frame: u32) -> Vec<u8> {
        let mut buffer = vec![0; HEADER_LEN + sound.longest_payload()];
        assert_eq!(sound.template(&mut buffer, index), HEADER_LEN);
        let len = sound.stamp(&mut buffer, index, talker, frame);
        buffer.truncate(len);
        buffer
    }

    fn seq(packet: &[u8]) -> u16 {
        u16::from_be_bytes([packet[2], packet[3]])
    }

    fn ts(packet: &[u8]) -> u32 {
        u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]])
    }

    /// The root mean square of `pcm`.
    fn rms(pcm: &[i16]) -> f64 {
        (pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64).sqrt()
    }

    #[test]
    fn pcmu_packets_carry_the_tone_or_silence_and_advance_160() {
        let sound = Sound::new(Codec::Pcmu);
        let (first, next) = (packet(&sound, 3, true, 0), packet(&sound, 3, true, 1));
        assert_eq!((first.len(), &first[..2]), (172, &[0x80, 0][..]));
        assert_eq!(seq(&next), seq(&first).wrapping_add(1));
        assert_eq!(ts(&next), ts(&first).wrapping_add(160));
        // 400 Hz at 8 kHz: 20 samples a cycle, starting at 0 (μ-law 0xFF) and rising.
        assert_eq!(first[12], 0xFF);
        assert_eq!(first[12..32], first[32..52]);
        assert_eq!(first[12..], next[12..]);
        let silent = packet(&sound, 4, false, 0);
        assert!(silent[12..].iter().all(|&code| code == 0xFF));
        assert_eq!(silent.len(), 172);
    }

    #[test]
    fn opus_packets_carry_the_cycle_in_turn_and_advance_960() {
        let sound = Sound::new(Codec::Opus);
        let first = packet(&sound, 3, true, 0);
        assert_eq!(&first[..2], &[0x80, 111]);
        assert_eq!(first[8..12], (0x5359_0000u32 ^ 3).to_be_bytes());
        for frame in 1..=CYCLE + 1 {
            let later = packet(&sound, 3, true, frame);
            let payload = &sound.tone[(frame % CYCLE) as usize];
            assert_eq!(later.len(), HEADER_LEN + payload.len());
            assert_eq!(&later[HEADER_LEN..], &payload[..]);
            assert_eq!(seq(&later), seq(&first).wrapping_add(frame as u16));
            assert_eq!(ts(&later), ts(&first).wrapping_add(960 * frame));
        }
        // A silent participant's shorter packet after a talker's longer one in the same
        // buffer: the length says where it ends.
        let mut buffer = vec![0; HEADER_LEN + sound.longest_payload()];
        sound.template(&mut buffer, 5);
        sound.stamp(&mut buffer, 5, true, 7);
        let len = sound.stamp(&mut buffer, 5, false, 7);
        assert_eq!(&buffer[HEADER_LEN..len], &sound.silence[7][..]);
        assert!(sound.silence[7].len() < sound.tone[7].len());
    }

    #[test]
    fn opus_cycles_decode_to_a_steady_tone_and_to_silence() {
        let sound = Sound::new(Codec::Opus);
        let mut decoder = Decoder::new(Codec::Opus);
        let mut pcm = [0; 960];
        // Twice round, so the second pass shows the cycle's last frame leading into its first.
        for (pass, frame) in (0..2).flat_map(|pass| sound.tone.iter().map(move |f| (pass, f))) {
            assert_eq!(decoder.decode(frame, &mut pcm), 960);
            if pass == 1 {
                // A sine of amplitude 8000 has an RMS of 5657.
                let level = rms(&pcm);
                assert!((5000.0..6300.0).contains(&level), "{level}");
            }
        }
        let mut decoder = Decoder::new(Codec::Opus);
        for frame in &sound.silence {
            assert_eq!(decoder.decode(frame, &mut pcm), 960);
            assert!(pcm.iter().all(|&s| s.abs() < 16));
        }
    }
}
