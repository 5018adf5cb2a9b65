//! One leg's outgoing stream cut to the packet time its peer asked for (`a=ptime`): the worker
//! makes one 20 ms frame per tick, the peer gets packets of its ptime.

use rtp_rs::RtpPacketBuildError;

use crate::dtmf_send::EventPacket;
use crate::opus::{MAX_PACKET_SAMPLES, OpusJoiner};
use crate::packet_pool::PacketPool;
use crate::rtp::RtpSender;
use crate::{Codec, PACKET_TIME};

/// The shortest packet time served, in ms: half a tick, two packets per tick.
const MIN_PTIME_MS: u32 = 10;
/// The longest packet time served, in ms: RFC 3551 §4.2 asks receivers to accept packets of up
/// to 200 ms of audio, so no peer can count on more.
const MAX_PTIME_MS: u32 = 200;
/// Packet times are served in steps of this many ms, so that every packet holds whole halves
/// of the worker's 20 ms frames.
const PTIME_STEP_MS: u32 = 10;

/// The packet time actually served for a requested `ptime_ms`: the nearest multiple of 10 ms
/// (halves round up) within 10..=200 ms.
pub(crate) fn served_ptime_ms(ptime_ms: u32) -> u32 {
    let rounded = ptime_ms.saturating_add(PTIME_STEP_MS / 2) / PTIME_STEP_MS * PTIME_STEP_MS;
    rounded.clamp(MIN_PTIME_MS, MAX_PTIME_MS)
}

/// When a packet should leave: at the tick that made it, or half a tick later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Departure {
    /// With the tick's other packets.
    Now,
    /// Half a tick after them, so that packets of an odd multiple of 10 ms leave evenly
    /// spaced.
    HalfTickLater,
}

/// Gathers the encoded frames of one outgoing stream into packets of the peer's ptime and
/// numbers them on its [`RtpSender`].
///
/// Each packet goes out as soon as enough audio is gathered, paced to leave one ptime after the
/// last: at 20 ms one packet per tick, at 40 ms one every other tick. At a ptime that is an odd
/// multiple of 10 ms (10, 30, 50 ms…), a packet that ends with its tick's frame waits half a tick
/// ([`Departure::HalfTickLater`]) and one that ends within it goes at once, so that they leave
/// evenly spaced: at 10 ms one at each tick and one half a tick later, at 30 ms one at 40 ms and
/// one at 70 ms of every 60. Every packet's timestamp is that of its first sample and advances by
/// the samples it carries (RFC 3550 §5.1). Opus frames cannot be cut: a packet holds whole 20 ms
/// frames, joined into one Opus packet (RFC 6716 §3.2) as many as the ptime holds (30 ms: one),
/// at most 120 ms; a ptime under 20 ms gets 20 ms packets (RFC 7587 §4 makes ptime a
/// preference).
#[derive(Debug)]
pub(crate) struct Packetizer {
    sender: RtpSender,
    codec: Codec,
    // Whether packets that end with a frame wait half a tick (a ptime an odd multiple of
    // 10 ms, codecs that can be cut).
    paced: bool,
    // Bytes of `codec` payload in one packet; `None` for Opus, whose packets are whole frames.
    packet_len: Option<usize>,
    // Opus frames per packet: 1 to 6.
    opus_frames: usize,
    // Payload gathered towards the next packet, shorter than `packet_len` between calls; for
    // Opus the frames gathered, back to back, `pending_frames` long each.
    pending: Vec<u8>,
    pending_frames: Vec<usize>,
    joiner: Option<OpusJoiner>,
    joined: Vec<u8>,
    // The timestamp of the telephone-event being sent: where its first packet found the stream.
    event_start: u32,
    // Frames between two updates of an event: the ptime's whole frames, at least one.
    event_every: u16,
}

impl Packetizer {
    /// Packets of `codec` and `ptime_ms` (as [`served_ptime_ms`] serves it) on `sender`.
    pub(crate) fn new(sender: RtpSender, codec: Codec, ptime_ms: u32) -> Self {
        let mut packetizer = Packetizer {
            sender,
            codec,
            paced: false,
            packet_len: None,
            opus_frames: 1,
            pending: Vec::new(),
            pending_frames: Vec::new(),
            joiner: None,
            joined: Vec::new(),
            event_start: 0,
            event_every: 1,
        };
        packetizer.cut_for(codec, ptime_ms);
        packetizer
    }

    fn cut_for(&mut self, codec: Codec, ptime_ms: u32) {
        self.codec = codec;
        self.packet_len = packet_len(codec, ptime_ms);
        let frame_ms = PACKET_TIME.as_millis() as u32;
        self.paced =
            self.packet_len.is_some() && !served_ptime_ms(ptime_ms).is_multiple_of(frame_ms);
        self.opus_frames = match codec {
            Codec::Opus => opus_frames(ptime_ms),
            _ => 1,
        };
        // RFC 4733 §2.5.1.2: an event's updates go at the audio's packet interval.
        self.event_every = match codec {
            Codec::Opus => self.opus_frames as u16,
            _ => (served_ptime_ms(ptime_ms) / frame_ms).max(1) as u16,
        };
        if self.opus_frames > 1 && self.joiner.is_none() {
            self.joiner = Some(OpusJoiner::new());
        }
    }

    /// Sends later packets as the new stream `sender` (its own SSRC, sequence number and
    /// timestamp, its first packet marked): a new clock rate is a new stream (RFC 7160 §4.1),
    /// so that the peer never sees one SSRC's timestamps change pace. Call
    /// [`flush`](Self::flush) first.
    pub(crate) fn restart(&mut self, sender: RtpSender) {
        self.sender = sender;
    }

    /// The stream the packets go out on.
    pub(crate) fn sender(&self) -> &RtpSender {
        &self.sender
    }

    /// The RTP timestamp of the next frame pushed: the next packet's, plus the samples already
    /// gathered towards it. Unlike the next packet's timestamp, it moves on with every frame,
    /// at whatever ptime: what a sender report pairs with the time of the tick (RFC 3550
    /// §6.4.1).
    pub(crate) fn media_timestamp(&self) -> u32 {
        self.sender.timestamp().wrapping_add(self.gathered())
    }

    /// Switches to `codec`, `payload_type` and `ptime_ms` for later packets; the stream (SSRC,
    /// sequence number, timestamp) goes on. Call [`flush`](Self::flush) first: gathered payload
    /// would otherwise go out under the new payload type.
    pub(crate) fn configure(&mut self, codec: Codec, payload_type: u8, ptime_ms: u32) {
        self.sender.set_payload_type(payload_type);
        self.cut_for(codec, ptime_ms);
    }

    /// Adds one frame's `payload` and hands `emit` every packet now complete, in order, each
    /// built in a buffer taken from `pool`, with when it should leave.
    pub(crate) fn push(
        &mut self,
        payload: &[u8],
        pool: &mut PacketPool,
        emit: impl FnMut(Result<Vec<u8>, RtpPacketBuildError>, Departure),
    ) {
        let mut packetize = packetize_into(self.codec, pool, emit);
        let Some(packet_len) = self.packet_len else {
            if self.opus_frames <= 1 {
                packetize(&mut self.sender, payload, Departure::Now);
                return;
            }
            self.pending.extend_from_slice(payload);
            self.pending_frames.push(payload.len());
            if self.pending_frames.len() >= self.opus_frames {
                self.send_opus(&mut packetize);
            }
            return;
        };
        let paced = self.paced;
        let departure = |ends_frame: bool| match paced && ends_frame {
            true => Departure::HalfTickLater,
            false => Departure::Now,
        };
        if self.pending.is_empty() {
            // The usual case (20 ms, or 10 ms): whole packets straight from the frame.
            let chunks = payload.chunks_exact(packet_len);
            let remainder = chunks.remainder();
            let count = chunks.len();
            for (i, chunk) in chunks.enumerate() {
                let ends_frame = i + 1 == count && remainder.is_empty();
                packetize(&mut self.sender, chunk, departure(ends_frame));
            }
            self.pending.extend_from_slice(remainder);
            return;
        }
        self.pending.extend_from_slice(payload);
        let whole = self.pending.len() / packet_len * packet_len;
        let (count, ends) = (whole / packet_len, whole == self.pending.len());
        for (i, chunk) in self.pending[..whole].chunks_exact(packet_len).enumerate() {
            packetize(&mut self.sender, chunk, departure(ends && i + 1 == count));
        }
        self.pending.drain(..whole);
    }

    /// Hands `emit` the payload gathered so far as one shorter packet, if there is any, built in
    /// a buffer taken from `pool`.
    pub(crate) fn flush(
        &mut self,
        pool: &mut PacketPool,
        mut emit: impl FnMut(Result<Vec<u8>, RtpPacketBuildError>),
    ) {
        if self.pending.is_empty() {
            return;
        }
        let mut packetize = packetize_into(self.codec, pool, |packet, _| emit(packet));
        if self.packet_len.is_none() {
            self.send_opus(&mut packetize);
            return;
        }
        packetize(&mut self.sender, &self.pending, Departure::Now);
        self.pending.clear();
    }

    /// Sends the RFC 4733 telephone-event in place of one frame of audio (RFC 4733 §2.5.1.2
    /// lets events replace the audio while they last): its packet goes to `emit`, built in a
    /// buffer taken from `pool`, when it is the event's first or an end packet, or an update
    /// due at the packet time (§2.5.1.2: updates at the audio's packetization interval; every
    /// frame at a ptime under 40 ms). Before an event's first packet the audio gathered so far
    /// goes out as one shorter packet. Every packet of the event carries the timestamp of its
    /// start (§2.3.1) and the stream's next sequence number; the frame's media time passes.
    pub(crate) fn push_event(
        &mut self,
        event: &EventPacket,
        pool: &mut PacketPool,
        mut emit: impl FnMut(Result<Vec<u8>, RtpPacketBuildError>),
    ) {
        if event.first {
            self.flush(pool, &mut emit);
            self.event_start = self.sender.timestamp();
        }
        let due = event.first || event.end || (event.frames - 1).is_multiple_of(self.event_every);
        if due {
            emit(self.sender.packetize_event(
                event.format.payload_type,
                self.event_start,
                event.first,
                &event.payload(),
                pool.take(),
            ));
        }
        self.sender
            .skip(self.codec.samples_per_frame(PACKET_TIME) as u32);
    }

    /// Sends `event`'s end packet `times` over to `emit` at once, each built in a buffer taken
    /// from `pool`, with the timestamp of the event's start and the stream's next sequence
    /// numbers; no media time passes. An event cut short ends so before its stream or format
    /// changes (RFC 4733 §2.5.1.4: the final packet goes three times).
    pub(crate) fn end_event(
        &mut self,
        event: &EventPacket,
        times: u16,
        pool: &mut PacketPool,
        mut emit: impl FnMut(Result<Vec<u8>, RtpPacketBuildError>),
    ) {
        for _ in 0..times {
            emit(self.sender.packetize_event(
                event.format.payload_type,
                self.event_start,
                false,
                &event.payload(),
                pool.take(),
            ));
        }
    }

    // Sends the Opus frames gathered as one packet, or one packet each when they cannot be
    // joined (the encoder changed mode or bandwidth between them).
    fn send_opus(&mut self, packetize: &mut impl FnMut(&mut RtpSender, &[u8], Departure)) {
        let joined = match &mut self.joiner {
            Some(joiner) => joiner.join(&self.pending, &self.pending_frames, &mut self.joined),
            None => false,
        };
        if joined {
            packetize(&mut self.sender, &self.joined, Departure::Now);
        } else {
            let mut at = 0;
            for &len in &self.pending_frames {
                packetize(
                    &mut self.sender,
                    &self.pending[at..at + len],
                    Departure::Now,
                );
                at += len;
            }
        }
        self.pending.clear();
        self.pending_frames.clear();
    }

    /// Accounts for `frames` 20 ms frames of media time that are not sent (skipped ticks, a leg
    /// that sends nothing): the timestamp moves on past them (RFC 3550 §5.1), the sequence number
    /// does not. Payload still gathered is dropped with them, its samples counted too: what
    /// follows the gap cannot share a packet (and its one timestamp) with it. No frames, no gap:
    /// nothing changes.
    pub(crate) fn skip_frames(&mut self, frames: u32) {
        if frames == 0 {
            return;
        }
        let per_frame = self.codec.samples_per_frame(PACKET_TIME) as u32;
        let samples = frames.wrapping_mul(per_frame);
        let gathered = self.gathered();
        self.pending.clear();
        self.pending_frames.clear();
        self.sender.skip_gap(gathered.wrapping_add(samples));
    }

    // Samples (RTP clock units) of the payload gathered towards the next packet.
    fn gathered(&self) -> u32 {
        match self.packet_len {
            Some(_) => self.codec.payload_samples(&self.pending).unwrap_or(0) as u32,
            None => {
                let per_frame = self.codec.samples_per_frame(PACKET_TIME) as u32;
                self.pending_frames.len() as u32 * per_frame
            }
        }
    }
}

// Numbers and builds each packet of `codec` on the sender it is given, in a buffer taken from
// `pool`, and hands it to `emit` with when it should leave.
fn packetize_into(
    codec: Codec,
    pool: &mut PacketPool,
    mut emit: impl FnMut(Result<Vec<u8>, RtpPacketBuildError>, Departure),
) -> impl FnMut(&mut RtpSender, &[u8], Departure) {
    move |sender, bytes, departure| {
        let samples = codec.payload_samples(bytes).unwrap_or(0) as u32;
        emit(sender.packetize(bytes, samples, pool.take()), departure);
    }
}

// The 20 ms Opus frames in one packet at `ptime_ms`: as many as fit in it, so that no packet
// is longer than the peer asked, yet at least one (a ptime under 20 ms), and at most 6 (120 ms,
// the longest Opus packet).
fn opus_frames(ptime_ms: u32) -> usize {
    let frame_ms = PACKET_TIME.as_millis() as u32;
    let most = MAX_PACKET_SAMPLES as u32 / (Codec::Opus.clock_rate() / 1000) / frame_ms;
    (ptime_ms / frame_ms).clamp(1, most) as usize
}

fn packet_len(codec: Codec, ptime_ms: u32) -> Option<usize> {
    let samples = codec.clock_rate() / 1000 * served_ptime_ms(ptime_ms);
    codec.payload_len(samples as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;
    use rtp_rs::RtpReader;

    #[test]
    fn requested_ptimes_snap_to_served_ones() {
        let served = [
            0,
            5,
            10,
            14,
            15,
            20,
            25,
            30,
            33,
            40,
            60,
            200,
            205,
            1000,
            u32::MAX,
        ]
        .map(served_ptime_ms);
        assert_eq!(
            served,
            [
                10, 10, 10, 10, 20, 20, 30, 30, 30, 40, 60, 200, 200, 200, 200
            ]
        );
    }

    // When the packets each of 6 frames (of 160 bytes: 20 ms of G.711 or G.722) completes
    // leave, at `ptime_ms` of `codec`.
    fn departures(codec: Codec, ptime_ms: u32) -> Vec<Vec<Departure>> {
        let sender = RtpSender::new(&mut SmallRng::seed_from_u64(1), 0);
        let mut packetizer = Packetizer::new(sender, codec, ptime_ms);
        let mut pool = PacketPool::default();
        (0..6)
            .map(|_| {
                let mut left = Vec::new();
                packetizer.push(&[0; 160], &mut pool, |_, departure| left.push(departure));
                left
            })
            .collect()
    }

    // `pattern` repeated for 6 frames.
    fn six(pattern: &[Vec<Departure>]) -> Vec<Vec<Departure>> {
        pattern.iter().cycle().take(6).cloned().collect()
    }

    #[test]
    fn packets_of_odd_multiples_of_10_ms_that_end_with_a_frame_wait_half_a_tick() {
        use Departure::{HalfTickLater as Later, Now};
        assert_eq!(departures(Codec::Pcmu, 10), six(&[vec![Now, Later]]));
        let every_60_ms = [vec![], vec![Now], vec![Later]];
        assert_eq!(departures(Codec::Pcma, 30), six(&every_60_ms));
        assert_eq!(departures(Codec::G722, 30), six(&every_60_ms));
        let every_100_ms = [vec![], vec![], vec![Now], vec![], vec![Later]];
        assert_eq!(departures(Codec::Pcmu, 50)[..5], every_100_ms);
        // Whole frames: nothing to space out.
        assert_eq!(departures(Codec::Pcmu, 20), six(&[vec![Now]]));
        assert_eq!(departures(Codec::Pcmu, 40), six(&[vec![], vec![Now]]));
    }

    // (payload length, timestamp step since the previous packet) of what 4 frames become.
    fn packets(ptime_ms: u32) -> Vec<(usize, u32)> {
        let sender = RtpSender::new(&mut SmallRng::seed_from_u64(1), 0);
        let mut packetizer = Packetizer::new(sender, Codec::Pcmu, ptime_ms);
        let mut pool = PacketPool::default();
        let mut out = Vec::new();
        for frame in 0..4u8 {
            packetizer.push(&[frame; 160], &mut pool, |packet, _| {
                out.push(packet.unwrap())
            });
        }
        let mut previous = None;
        out.iter()
            .map(|packet| {
                let rtp = RtpReader::new(packet).unwrap();
                let step = previous.map_or(0, |ts: u32| rtp.timestamp().wrapping_sub(ts));
                previous = Some(rtp.timestamp());
                (rtp.payload().len(), step)
            })
            .collect()
    }

    #[test]
    fn frames_are_cut_and_gathered_to_the_ptime() {
        assert_eq!(packets(20), [(160, 0), (160, 160), (160, 160), (160, 160)]);
        assert_eq!(packets(40), [(320, 0), (320, 320)]);
        assert_eq!(packets(30), [(240, 0), (240, 240)]);
        assert_eq!(packets(10).len(), 8);
        assert!(packets(10).iter().skip(1).all(|&p| p == (80, 80)));
    }

    #[test]
    fn opus_frames_are_joined_up_to_the_ptime() {
        let mut encoder = crate::Encoder::new(Codec::Opus);
        let frames: Vec<Vec<u8>> = (0..12)
            .map(|_| {
                let mut frame = Vec::new();
                encoder.encode(&[0; 960], &mut frame);
                frame
            })
            .collect();
        for (ptime, per_packet) in [
            (10, 1),
            (20, 1),
            (30, 1),
            (39, 1),
            (40, 2),
            (50, 2),
            (60, 3),
            (120, 6),
            (200, 6),
        ] {
            let sender = RtpSender::new(&mut SmallRng::seed_from_u64(1), 111);
            let mut packetizer = Packetizer::new(sender, Codec::Opus, ptime);
            let mut pool = PacketPool::default();
            let mut out = Vec::new();
            for frame in &frames {
                packetizer.push(frame, &mut pool, |p, _| out.push(p.unwrap()));
            }
            packetizer.flush(&mut pool, |p| out.push(p.unwrap()));
            let samples: Vec<usize> = out
                .iter()
                .map(|p| {
                    Codec::Opus
                        .payload_samples(RtpReader::new(p).unwrap().payload())
                        .unwrap()
                })
                .collect();
            let whole = vec![960 * per_packet; 12 / per_packet];
            assert_eq!(samples, whole, "ptime {ptime}");
            // Never longer than asked, but for the one 20 ms frame a shorter ptime still gets.
            let asked = 48 * ptime.max(20) as usize;
            assert!(samples.iter().all(|&s| s <= asked), "ptime {ptime}");
            let steps: Vec<u32> = out
                .windows(2)
                .map(|w| {
                    let [a, b] = [&w[0], &w[1]].map(|p| RtpReader::new(p).unwrap().timestamp());
                    b.wrapping_sub(a)
                })
                .collect();
            assert!(
                steps.iter().all(|&s| s == 960 * per_packet as u32),
                "ptime {ptime}"
            );
            // RFC 4733 §2.5.1.2: an event is updated as often as the audio is sent.
            assert_eq!(
                usize::from(packetizer.event_every),
                per_packet,
                "ptime {ptime}"
            );
        }
    }

    #[test]
    fn flush_sends_the_rest_and_skip_drops_it() {
        let sender = RtpSender::new(&mut SmallRng::seed_from_u64(1), 0);
        let mut packetizer = Packetizer::new(sender, Codec::Pcmu, 60);
        let mut pool = PacketPool::default();
        let mut out = Vec::new();
        packetizer.push(&[1; 160], &mut pool, |p, _| out.push(p.unwrap()));
        packetizer.flush(&mut pool, |p| out.push(p.unwrap()));
        packetizer.flush(&mut pool, |p| out.push(p.unwrap()));
        packetizer.push(&[2; 160], &mut pool, |p, _| out.push(p.unwrap()));
        packetizer.skip_frames(0);
        packetizer.push(&[2; 160], &mut pool, |p, _| out.push(p.unwrap()));
        packetizer.skip_frames(2);
        packetizer.configure(Codec::Pcma, 8, 20);
        packetizer.push(&[3; 160], &mut pool, |p, _| out.push(p.unwrap()));
        let read: Vec<_> = out.iter().map(|p| RtpReader::new(p).unwrap()).collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].payload(), &[1; 160][..]);
        assert_eq!(read[1].payload(), &[3; 160][..]);
        assert_eq!(read[1].payload_type(), 8);
        assert_eq!(read[1].sequence_number() - read[0].sequence_number(), 1);
        // 160 flushed, 320 gathered (kept over the empty skip) then dropped, 320 skipped.
        assert_eq!(read[1].timestamp().wrapping_sub(read[0].timestamp()), 800);
    }
}
