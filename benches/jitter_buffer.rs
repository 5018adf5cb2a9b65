//! Jitter buffer cost per packet: one push and one pop, the work every received packet of every
//! leg costs, in order and with reordering. Throughput is packets, so criterion's elements/s is
//! packets per second.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use switchyard_media::{Arrival, JitterBuffer, MAX_JITTER_DELAY, PACKET_TIME};

/// Packets per measured batch: long enough for the buffer to reach its steady state.
const BATCH: u32 = 500;

/// A fresh buffer and the instant its first packet's tick starts: made outside the measured
/// time.
fn fresh() -> (JitterBuffer<[u8; 160]>, Instant) {
    let buffer = JitterBuffer::new(PACKET_TIME, 8000, PACKET_TIME, MAX_JITTER_DELAY);
    (buffer, Instant::now())
}

/// Pushes and pops each packet of `order` in turn, one tick apart.
fn run((mut buffer, start): (JitterBuffer<[u8; 160]>, Instant), order: &[u32]) {
    for (tick, &n) in order.iter().enumerate() {
        let at = start + PACKET_TIME * tick as u32 + Duration::from_millis(1);
        buffer.push(
            Arrival {
                at,
                ssrc: 7,
                sequence: n as u16,
                timestamp: n * 160,
                samples: 160,
            },
            [0u8; 160],
        );
        black_box(buffer.pop(start + PACKET_TIME * (tick as u32 + 1)));
    }
}

fn jitter_buffer(c: &mut Criterion) {
    let in_order: Vec<u32> = (0..BATCH).collect();
    // Every fourth pair swapped: reordering without loss.
    let reordered: Vec<u32> = (0..BATCH)
        .map(|n| match n % 8 {
            2 => n + 1,
            3 => n - 1,
            _ => n,
        })
        .collect();
    let mut group = c.benchmark_group("jitter_buffer");
    group.throughput(Throughput::Elements(u64::from(BATCH)));
    group.bench_function("in_order", |b| {
        b.iter_batched(fresh, |fresh| run(fresh, &in_order), BatchSize::SmallInput)
    });
    group.bench_function("reordered", |b| {
        b.iter_batched(fresh, |fresh| run(fresh, &reordered), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, jitter_buffer);
criterion_main!(benches);
