//! RTP (and anything else, RTCP included) arriving on the legs of a media worker: a G.711
//! and an Opus leg in one 48 kHz room, and a G.722 leg in a two-party bridge with a G.711
//! one, each with telephone-events; packets from their peers and from foreign sources,
//! with the ticks between them. The Opus leg only receives (`a=recvonly` from its side):
//! its packets are decoded and mixed, and no Opus encoder runs, which would take most of
//! each execution's time.
//!
//! The input is a list of at most 64 packets, each a header byte (which leg, whether
//! from a foreign source, whether a tick passes first) and a length byte, then the
//! packet. Ticks are few so that an execution stays cheap (every tick mixes, converts
//! rates, decodes or conceals Opus and encodes): the clock stops at [`MAX_SPAN`], and
//! the packets after that arrive at the same instant.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use switchyard_media::{
    Codec, LegId, LegParams, MAX_JITTER_DELAY, MediaDirection, OpusParams, PACKET_TIME, RoomId,
    RtcpPath, TelephoneEvent, Worker, WorkerConfig,
};

/// The legs: codec, payload type, peer address.
const LEGS: [(Codec, u8, &str); 4] = [
    (Codec::Pcmu, 0, "127.0.0.1:4000"),
    (Codec::Opus, 111, "127.0.0.1:4002"),
    (Codec::G722, 9, "127.0.0.1:4004"),
    (Codec::Pcma, 8, "127.0.0.1:4006"),
];
const FOREIGN: &str = "127.0.0.9:9999";
/// The most virtual time one input plays: 16 ticks, past the jitter buffer's longest
/// playout delay and long enough for loss, reordering, concealment and a key's events.
const MAX_SPAN: Duration = Duration::from_millis(320);
// Packets held for the longest delay must still play out within an input.
const _: () = assert!(MAX_SPAN.as_millis() > MAX_JITTER_DELAY.as_millis());

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let mut now = start;
    let mut worker = Worker::new(WorkerConfig::default(), start, 5);
    for (index, (codec, payload_type, remote)) in LEGS.iter().enumerate() {
        let params = LegParams {
            codec: *codec,
            payload_type: *payload_type,
            telephone_event: Some(TelephoneEvent {
                payload_type: 101,
                clock_rate: codec.clock_rate(),
            }),
            incoming: None,
            remote: remote.parse().unwrap(),
            direction: if *codec == Codec::Opus {
                MediaDirection::RecvOnly
            } else {
                MediaDirection::SendRecv
            },
            ptime_ms: if index == 3 { 30 } else { 20 },
            opus: OpusParams::default(),
            rtcp: RtcpPath::Muxed,
            peer_holds: false,
        };
        worker.add_leg(now, LegId(index as u64), params);
    }
    let room = RoomId("fuzz".into());
    worker.join(LegId(0), room.clone());
    worker.join(LegId(1), room);
    worker.bridge(LegId(2), LegId(3));

    let mut rest = data;
    for _ in 0..64 {
        let [header, len, tail @ ..] = rest else {
            break;
        };
        let len = usize::from(*len).min(tail.len());
        let (packet, tail) = tail.split_at(len);
        rest = tail;

        let leg = usize::from(header & 3);
        let source: SocketAddr = if header & 4 != 0 {
            FOREIGN.parse().unwrap()
        } else {
            LEGS[leg].2.parse().unwrap()
        };
        let ticks = u32::from(header >> 6 == 3);
        let step = PACKET_TIME * ticks + Duration::from_micros(u64::from(header & 0x38) * 125);
        now = (now + step).min(start + MAX_SPAN);
        worker.handle_timeout(now);
        worker.handle_rtp(now, LegId(leg as u64), source, packet);
        drain(&mut worker);
    }
    // The legs go, whatever they still hold.
    for leg in 0..LEGS.len() {
        if let Some(goodbye) = worker.remove_leg(now, LegId(leg as u64)) {
            worker.recycle(goodbye.payload);
        }
    }
});

fn drain(worker: &mut Worker) {
    while let Some(transmit) = worker.poll_transmit() {
        worker.recycle(transmit.payload);
    }
    while worker.poll_event().is_some() {}
}
