//! Mix-minus cost per participant-frame (DESIGN.md, Principle 6): one room, one tick.
//!
//! `mix_minus`: sum the talkers, then produce every participant's encoded payload (talkers get
//! a private `total − own`, everyone else the shared per-codec encode). `worker_tick`: the same
//! room through a whole `Worker` tick, RTP in and out included. `mix_rate`: the mix alone (sum,
//! limiter, every participant's mix-minus rendered, no encode) at 8, 16 and 48 kHz frame
//! lengths. Throughput is per participant, so criterion's elements/s is participant-frames per
//! second.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rtp_rs::{RtpPacketBuilder, Seq};
use switchyard_media::{
    Codec, Encoder, FRAME_LEN, LegId, LegParams, Limiter, MediaDirection, MixMinus, OpusParams,
    RoomEncoder, RoomId, RtcpPath, TelephoneEvent, Worker, WorkerConfig,
};

// (participants, talkers)
const ROOMS: &[(usize, usize)] = &[(3, 3), (10, 3), (50, 3), (200, 3), (10, 10)];

fn voice(seed: usize) -> [i16; FRAME_LEN] {
    std::array::from_fn(|i| (((i * 7919 + seed * 104_729) % 16_001) as i16) - 8000)
}

fn mix_minus(c: &mut Criterion) {
    let mut group = c.benchmark_group("mix_minus");
    for &(participants, talkers) in ROOMS {
        let frames: Vec<[i16; FRAME_LEN]> = (0..talkers).map(voice).collect();
        let mut encoders: Vec<RoomEncoder> = (0..participants)
            .map(|i| if i % 4 == 3 { Codec::Pcma } else { Codec::Pcmu })
            .map(|codec| RoomEncoder::new(codec, &OpusParams::default(), 8000))
            .collect();
        let mut mixer = MixMinus::<FRAME_LEN>::new();
        group.throughput(Throughput::Elements(participants as u64));
        group.bench_function(
            BenchmarkId::new(format!("{talkers}_talking"), participants),
            |b| {
                b.iter(|| {
                    mixer.begin();
                    for frame in &frames {
                        mixer.add_talker(frame);
                    }
                    let mut checksum = 0u32;
                    for (i, encoder) in encoders.iter_mut().enumerate() {
                        let payload = mixer.payload(frames.get(i), None, encoder);
                        checksum = checksum.wrapping_add(u32::from(payload[i % FRAME_LEN]));
                    }
                    black_box(checksum)
                })
            },
        );
    }
    group.finish();
}

// 10 participants, 3 of them talking, mixed at one frame length (160, 320, 960: 20 ms at 8, 16
// and 48 kHz).
fn mix_at<const N: usize>(group: &mut criterion::BenchmarkGroup<'_, WallTime>) {
    let (participants, talkers) = (10, 3);
    let frames: Vec<[i16; N]> = (0..talkers)
        .map(|t| std::array::from_fn(|i| (((i * 7919 + t * 104_729) % 16_001) as i16) - 8000))
        .collect();
    let mut mixer = MixMinus::<N>::new();
    let mut limiter = Limiter::default();
    let mut out = [0i16; N];
    group.throughput(Throughput::Elements(participants as u64));
    group.bench_function(BenchmarkId::from_parameter(N * 50), |b| {
        b.iter(|| {
            mixer.begin();
            for frame in &frames {
                mixer.add_talker(frame);
            }
            mixer.limit(&mut limiter);
            let mut checksum = 0i32;
            for i in 0..participants {
                mixer.render(frames.get(i), None, &mut out);
                checksum = checksum.wrapping_add(i32::from(out[i]));
            }
            black_box(checksum)
        })
    });
}

fn mix_rate(c: &mut Criterion) {
    let mut group = c.benchmark_group("mix_rate");
    mix_at::<160>(&mut group);
    mix_at::<320>(&mut group);
    mix_at::<960>(&mut group);
    group.finish();
}

/// Participant `i`'s RTP address, in its SDP and as the source of its packets.
fn remote(i: usize) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 20_000 + i as u16))
}

fn worker_tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("worker_tick");
    for &(participants, talkers) in ROOMS {
        let start = Instant::now();
        let mut worker = Worker::new(WorkerConfig::default(), start, 1);
        for i in 0..participants {
            let leg = LegId(i as u64);
            let params = LegParams {
                codec: Codec::Pcmu,
                payload_type: 0,
                telephone_event: Some(TelephoneEvent {
                    payload_type: 101,
                    clock_rate: 8000,
                }),
                incoming: None,
                remote: remote(i),
                direction: MediaDirection::SendRecv,
                ptime_ms: 20,
                opus: OpusParams::default(),
                rtcp: RtcpPath::Muxed,
                peer_holds: false,
            };
            worker.add_leg(start, leg, params);
            worker.join(leg, RoomId("bench".into()));
        }
        let payloads: Vec<Vec<u8>> = (0..talkers)
            .map(|t| {
                let mut bytes = Vec::new();
                Encoder::new(Codec::Pcmu).encode(&voice(t), &mut bytes);
                bytes
            })
            .collect();
        let mut seq = 0u16;
        group.throughput(Throughput::Elements(participants as u64));
        group.bench_function(
            BenchmarkId::new(format!("{talkers}_talking"), participants),
            |b| {
                b.iter(|| {
                    let deadline = worker.poll_timeout().unwrap();
                    for (t, payload) in payloads.iter().enumerate() {
                        let packet = RtpPacketBuilder::new()
                            .payload_type(0)
                            .sequence(Seq::from(seq))
                            .timestamp(u32::from(seq) * FRAME_LEN as u32)
                            .ssrc(t as u32 + 1)
                            .payload(payload)
                            .build()
                            .unwrap();
                        worker.handle_rtp(
                            deadline - Duration::from_millis(30),
                            LegId(t as u64),
                            remote(t),
                            &packet,
                        );
                    }
                    seq = seq.wrapping_add(1);
                    worker.handle_timeout(deadline);
                    let mut bytes = 0usize;
                    while let Some(transmit) = worker.poll_transmit() {
                        bytes += transmit.payload.len();
                    }
                    black_box(bytes)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, mix_minus, mix_rate, worker_tick);
criterion_main!(benches);
