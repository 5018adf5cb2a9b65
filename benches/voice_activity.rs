//! What every leg pays per frame to be listened to: voice activity detection (each leg in a
//! room, talking or not) and in-band DTMF detection (each leg whose peer agreed no RFC 4733
//! `telephone-event`). Throughput is frames, so criterion's elements/s is leg-frames per
//! second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchyard_media::{FRAME_LEN, InbandDtmf, VoiceActivity};

fn frames() -> [(&'static str, [i16; FRAME_LEN]); 3] {
    let speech = std::array::from_fn(|i| (((i * 7919) % 16_001) as i16) - 8000);
    // Key 5 (770 + 1336 Hz) at -14 dBFS a tone.
    let key = std::array::from_fn(|i| {
        let t = i as f32 / 8000.0;
        let tau = std::f32::consts::TAU;
        (6000.0 * ((tau * 770.0 * t).sin() + (tau * 1336.0 * t).sin())) as i16
    });
    [
        ("speech", speech),
        ("silence", [0; FRAME_LEN]),
        ("key", key),
    ]
}

fn voice_activity(c: &mut Criterion) {
    let mut group = c.benchmark_group("voice_activity");
    group.throughput(Throughput::Elements(1));
    for (name, frame) in frames() {
        let mut vad = VoiceActivity::default();
        group.bench_function(name, |b| {
            b.iter(|| black_box(vad.update(black_box(&frame))))
        });
    }
    group.finish();
}

fn inband_dtmf(c: &mut Criterion) {
    let mut group = c.benchmark_group("inband_dtmf");
    group.throughput(Throughput::Elements(1));
    for (name, frame) in frames() {
        let mut detector = InbandDtmf::new(8000);
        group.bench_function(name, |b| {
            b.iter(|| black_box(detector.push(black_box(&frame))))
        });
    }
    group.finish();
}

criterion_group!(benches, voice_activity, inband_dtmf);
criterion_main!(benches);
