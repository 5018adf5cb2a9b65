//! Cost of one 20 ms frame through each codec's stateful encoder and decoder, at its own audio
//! rate (G.711 for reference); and of the leg path around them, a room-rate frame converted and
//! encoded (`room_encode`).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use switchyard_media::{Codec, Decoder, Encoder, OpusParams, RoomEncoder};

const CODECS: [Codec; 3] = [Codec::Pcmu, Codec::G722, Codec::Opus];

// One 20 ms frame of speech-like sound at `rate`: two tones and a little noise.
fn frame(rate: u32, index: usize) -> Vec<i16> {
    let n = rate as usize / 50;
    (0..n)
        .map(|i| {
            let t = (index * n + i) as f64 / f64::from(rate);
            let noise = ((i * 7919 + index * 104_729) % 401) as f64 - 200.0;
            (5000.0 * (std::f64::consts::TAU * 220.0 * t).sin()
                + 2000.0 * (std::f64::consts::TAU * 1830.0 * t).sin()
                + noise) as i16
        })
        .collect()
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for codec in CODECS {
        let frames: Vec<Vec<i16>> = (0..50).map(|i| frame(codec.audio_rate(), i)).collect();
        let mut encoder = Encoder::new(codec);
        let mut out = Vec::new();
        let mut i = 0;
        group.bench_function(BenchmarkId::from_parameter(codec.encoding_name()), |b| {
            b.iter(|| {
                encoder.encode(&frames[i % frames.len()], &mut out);
                i += 1;
                black_box(out.len())
            })
        });
    }
    // For a peer that decodes in-band FEC, which it is sent.
    let frames: Vec<Vec<i16>> = (0..50)
        .map(|i| frame(Codec::Opus.audio_rate(), i))
        .collect();
    let fec = OpusParams {
        inband_fec: true,
        ..OpusParams::default()
    };
    let mut encoder = Encoder::with_opus(Codec::Opus, &fec);
    let mut out = Vec::new();
    let mut i = 0;
    group.bench_function("opus-fec", |b| {
        b.iter(|| {
            encoder.encode(&frames[i % frames.len()], &mut out);
            i += 1;
            black_box(out.len())
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for codec in CODECS {
        let mut encoder = Encoder::new(codec);
        let packets: Vec<Vec<u8>> = (0..50)
            .map(|i| {
                let mut packet = Vec::new();
                encoder.encode(&frame(codec.audio_rate(), i), &mut packet);
                packet
            })
            .collect();
        let mut decoder = Decoder::new(codec);
        let mut pcm = vec![0i16; 960];
        let mut i = 0;
        group.bench_function(BenchmarkId::from_parameter(codec.encoding_name()), |b| {
            b.iter(|| {
                let n = decoder.decode(&packets[i % packets.len()], &mut pcm);
                i += 1;
                black_box(n)
            })
        });
    }
    group.finish();
}

fn room_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("room_encode_8k");
    let frames: Vec<Vec<i16>> = (0..50).map(|i| frame(8000, i)).collect();
    for codec in CODECS {
        let mut encoder = RoomEncoder::new(codec, &OpusParams::default(), 8000);
        let mut out = Vec::new();
        let mut i = 0;
        group.bench_function(BenchmarkId::from_parameter(codec.encoding_name()), |b| {
            b.iter(|| {
                encoder.encode(&frames[i % frames.len()], &mut out);
                i += 1;
                black_box(out.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encode, decode, room_encode);
criterion_main!(benches);
