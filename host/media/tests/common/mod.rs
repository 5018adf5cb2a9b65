//! Helpers shared by the integration tests: tone synthesis, Goertzel detection, RTP packets,
//! and a worker driver on virtual time.

#![allow(dead_code)] // each test binary uses a different subset

use std::f64::consts::PI;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcp_types::{ReceiverReport, ReportBlockBuilder, RtcpPacketWriter, RtcpPacketWriterExt};
use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};
use switchyard_media::{
    Codec, Decoder, Encoder, LegId, LegParams, LegSocket, MediaDirection, MediaEvent,
    MediaTransmit, OpusParams, RtcpPath, TelephoneEvent, Worker, WorkerConfig,
};

pub const TICK: Duration = Duration::from_millis(20);

/// `n` samples of a sine of `freq` Hz and `amplitude` at 8 kHz, starting at absolute sample
/// `start` (so consecutive frames are phase-continuous).
pub fn tone(freq: f64, amplitude: f64, start: usize, n: usize) -> Vec<i16> {
    tone_at(8000, freq, amplitude, start, n)
}

/// [`tone`] at `rate` Hz.
pub fn tone_at(rate: u32, freq: f64, amplitude: f64, start: usize, n: usize) -> Vec<i16> {
    (start..start + n)
        .map(|i| (amplitude * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()).round() as i16)
        .collect()
}

/// Amplitude of the `freq` Hz component of `samples` at `rate` Hz (Goertzel, normalised so a
/// full-length sine of amplitude A reads about A).
pub fn goertzel(samples: &[i16], freq: f64, rate: f64) -> f64 {
    let coeff = 2.0 * (2.0 * PI * freq / rate).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / samples.len() as f64
}

/// The Goertzel level of `freq` in each 20 ms frame of `pcm` at `rate` Hz.
pub fn frame_levels(pcm: &[i16], freq: f64, rate: u32) -> Vec<f64> {
    pcm.chunks_exact(rate as usize / 50)
        .map(|frame| goertzel(frame, freq, f64::from(rate)))
        .collect()
}

/// Checks that `samples`, at `rate` Hz, are the 440 Hz tone of amplitude 6000 throughout: no
/// step between two samples beyond twice the sine's steepest, and every 20 ms frame's level
/// 4500 to 7000. `what` names the stream in a failure.
pub fn assert_continuous_tone(what: &dyn std::fmt::Debug, samples: &[i16], rate: u32) {
    let (worst, slope) = worst_jump(samples, rate);
    assert!(
        worst < 2.0 * slope,
        "{what:?}: jump of {worst} (slope {slope})"
    );
    for (i, level) in frame_levels(samples, 440.0, rate).iter().enumerate() {
        assert!(
            (4500.0..7000.0).contains(level),
            "{what:?} frame {i}: {level}"
        );
    }
}

/// The largest jump between consecutive samples of `samples`, against the most a 440 Hz sine of
/// amplitude 6000 moves at `rate` (a glitch, a restarted encoder's or decoder's transient,
/// jumps well beyond it).
fn worst_jump(samples: &[i16], rate: u32) -> (f64, f64) {
    let slope = std::f64::consts::TAU * 440.0 / f64::from(rate) * 6000.0;
    let worst = samples
        .windows(2)
        .map(|w| (f64::from(w[1]) - f64::from(w[0])).abs())
        .fold(0.0, f64::max);
    (worst, slope)
}

pub fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    RtpPacketBuilder::new()
        .payload_type(pt)
        .sequence(Seq::from(seq))
        .timestamp(ts)
        .ssrc(ssrc)
        .marked(marker)
        .payload(payload)
        .build()
        .unwrap()
}

/// A compound RTCP packet of `ssrc`'s: a receiver report with `block` if any.
pub fn receiver_report(ssrc: u32, block: Option<ReportBlockBuilder>) -> Vec<u8> {
    let mut report = ReceiverReport::builder(ssrc);
    if let Some(block) = block {
        report = report.add_report_block(block);
    }
    let mut packet = vec![0; report.calculate_size().unwrap()];
    report.write_into(&mut packet).unwrap();
    packet
}

pub fn params(codec: Codec, port: u16) -> LegParams {
    LegParams {
        codec,
        payload_type: codec.payload_type(),
        telephone_event: Some(TelephoneEvent {
            payload_type: 101,
            clock_rate: codec.clock_rate(),
        }),
        incoming: None,
        remote: SocketAddr::from(([127, 0, 0, 1], port)),
        direction: MediaDirection::SendRecv,
        ptime_ms: 20,
        opus: OpusParams::default(),
        rtcp: RtcpPath::Separate(SocketAddr::from(([127, 0, 0, 1], port + 1))),
        peer_holds: false,
    }
}

/// The SDP address of a leg made by [`worker_at`]: 127.0.0.1, port 5000 + its id. Its peer
/// sends from there too, unless a test says otherwise.
pub fn sdp_addr(leg: LegId) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5000 + leg.0 as u16))
}

/// A worker with the default config whose first tick is at `start`, with `legs` added at
/// `start` (each leg's remote port is 5000 + its id).
pub fn worker_at(start: Instant, seed: u64, legs: &[(LegId, Codec)]) -> Worker {
    let mut worker = Worker::new(WorkerConfig::default(), start, seed);
    for &(leg, codec) in legs {
        worker.add_leg(start, leg, params(codec, 5000 + leg.0 as u16));
    }
    worker
}

/// The RTP payload of a packet.
pub fn rtp_payload(packet: &[u8]) -> &[u8] {
    RtpReader::new(packet).unwrap().payload()
}

/// Sequence number, timestamp, SSRC and marker bit of a packet the worker sent.
pub fn header(transmit: &MediaTransmit) -> (u16, u32, u32, bool) {
    let rtp = RtpReader::new(&transmit.payload).unwrap();
    (
        u16::from(rtp.sequence_number()),
        rtp.timestamp(),
        rtp.ssrc(),
        rtp.mark(),
    )
}

/// Every event the worker has queued.
pub fn events(worker: &mut Worker) -> Vec<MediaEvent> {
    std::iter::from_fn(|| worker.poll_event()).collect()
}

/// The keys reported for `leg` among the events the worker has queued (the others are dropped).
pub fn keys_of(worker: &mut Worker, leg: LegId) -> Vec<char> {
    events(worker)
        .into_iter()
        .filter_map(|e| match e {
            MediaEvent::Dtmf { leg: l, digit } if l == leg => Some(digit),
            _ => None,
        })
        .collect()
}

/// Decodes the audio of a packet the worker sent.
pub fn decode(codec: Codec, transmit: &MediaTransmit) -> Vec<i16> {
    let rtp = RtpReader::new(&transmit.payload).unwrap();
    let mut pcm = vec![0; rtp.payload().len()];
    Decoder::new(codec).decode(rtp.payload(), &mut pcm);
    pcm
}

/// Decodes what one leg is sent, packet after packet, with one decoder (as its phone would).
pub struct Listener {
    pub leg: LegId,
    decoder: Decoder,
    /// Everything decoded so far, at the codec's audio rate.
    pub heard: Vec<i16>,
}

impl Listener {
    pub fn new(leg: LegId, codec: Codec) -> Self {
        Listener {
            leg,
            decoder: Decoder::new(codec),
            heard: Vec::new(),
        }
    }

    /// Decodes this leg's packets among `transmits`.
    pub fn take(&mut self, transmits: &[MediaTransmit]) {
        for transmit in sent_by(transmits, self.leg) {
            let mut pcm = vec![0; 5760];
            let n = self
                .decoder
                .decode(rtp_payload(&transmit.payload), &mut pcm);
            self.heard.extend_from_slice(&pcm[..n]);
        }
    }
}

/// Runs the tick due at the worker's next deadline (on time) and returns the RTP it sent.
pub fn tick(worker: &mut Worker) -> Vec<MediaTransmit> {
    let deadline = worker.next_tick();
    worker.handle_timeout(deadline);
    drain(worker)
}

/// The RTP packets the worker queued; its RTCP reports are dropped (see [`drain_all`]).
pub fn drain(worker: &mut Worker) -> Vec<MediaTransmit> {
    let mut transmits = drain_all(worker);
    transmits.retain(|transmit| !is_rtcp(transmit));
    transmits
}

/// Every packet the worker queued, RTP and RTCP.
pub fn drain_all(worker: &mut Worker) -> Vec<MediaTransmit> {
    std::iter::from_fn(|| worker.poll_transmit()).collect()
}

/// Whether the worker's packet is RTCP: from the RTCP socket, or muxed (RFC 5761 §4).
pub fn is_rtcp(transmit: &MediaTransmit) -> bool {
    transmit.socket == LegSocket::Rtcp || (192..=223).contains(&transmit.payload[1])
}

pub fn sent_by(transmits: &[MediaTransmit], leg: LegId) -> Vec<&MediaTransmit> {
    transmits.iter().filter(|t| t.leg == leg).collect()
}

/// A peer sending a phase-continuous tone as RTP packets of 20 ms (unless set otherwise), at its
/// codec's audio rate, from its own encoder.
pub struct TonePeer {
    pub leg: LegId,
    pub codec: Codec,
    pub freq: f64,
    /// The tone's amplitude: 6000 unless set (0 sends digital silence).
    pub amplitude: f64,
    pub ssrc: u32,
    pub frames: usize,
    /// How long each packet lasts: 20 ms unless set (Opus takes 10, 40 or 60 ms too).
    pub packet_time: Duration,
    /// Where the packets come from ([`sdp_addr`] unless changed).
    pub source: SocketAddr,
    encoder: Encoder,
}

impl TonePeer {
    pub fn new(leg: LegId, codec: Codec, freq: f64) -> Self {
        TonePeer {
            leg,
            codec,
            freq,
            amplitude: 6000.0,
            ssrc: 0x1000 + leg.0 as u32,
            frames: 0,
            packet_time: TICK,
            source: sdp_addr(leg),
            encoder: Encoder::new(codec),
        }
    }

    pub fn next_packet(&mut self) -> Vec<u8> {
        let rate = self.codec.audio_rate();
        let n = (u128::from(rate) * self.packet_time.as_nanos() / 1_000_000_000) as usize;
        let pcm = tone_at(rate, self.freq, self.amplitude, self.frames * n, n);
        let mut payload = Vec::new();
        self.encoder.encode(&pcm, &mut payload);
        let seq = self.frames as u16;
        let packet = rtp(
            self.codec.payload_type(),
            seq.wrapping_add(60_000),
            (self.frames * self.codec.samples_per_frame(self.packet_time)) as u32,
            self.ssrc,
            self.frames == 0,
            &payload,
        );
        self.frames += 1;
        packet
    }

    /// The same peer encoding with `encoder` (one sending in-band FEC, say).
    pub fn with_encoder(self, encoder: Encoder) -> Self {
        TonePeer { encoder, ..self }
    }

    /// Sends the next packet so that it arrives `lead` before the worker's next tick, and
    /// returns it.
    pub fn send(&mut self, worker: &mut Worker, lead: Duration) -> Vec<u8> {
        let packet = self.next_packet();
        let now = worker.next_tick() - lead;
        worker.handle_rtp(now, self.leg, self.source, &packet);
        packet
    }
}
