//! Voice activity detection per frame: the cost every leg in a room pays each tick, talking or
//! not. Throughput is frames, so criterion's elements/s is leg-frames per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchyard_media::{FRAME_LEN, VoiceActivity};

fn frames() -> [(&'static str, [i16; FRAME_LEN]); 2] {
    let speech = std::array::from_fn(|i| (((i * 7919) % 16_001) as i16) - 8000);
    [("speech", speech), ("silence", [0; FRAME_LEN])]
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

criterion_group!(benches, voice_activity);
criterion_main!(benches);
