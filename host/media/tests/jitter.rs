//! The jitter buffer against a seeded network simulator: loss, reordering, duplication, jitter.

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchyard_media::{JitterBuffer, JitterStats};

const TICK: Duration = Duration::from_millis(20);

struct Network {
    rng: SmallRng,
    loss: f64,
    duplicate: f64,
    /// Delay is `base + uniform(0, jitter)`, so packets sent close together reorder.
    base: Duration,
    jitter: Duration,
}

struct Outcome {
    played: Vec<u32>,
    dropped: Vec<u32>,
    stats: JitterStats,
}

/// Sends `count` frames (item = frame index, sequence numbers from `first_seq`, wrapping) one per
/// tick through `net`, ticking the buffer at a phase `offset` into every tick.
fn simulate(mut net: Network, count: u32, first_seq: u16, delay: Duration) -> Outcome {
    let t0 = Instant::now();
    let mut arrivals = Vec::new();
    let mut dropped = Vec::new();
    for k in 0..count {
        let sent = t0 + TICK * k;
        if net.rng.random_bool(net.loss) {
            dropped.push(k);
            continue;
        }
        let copies = if net.rng.random_bool(net.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = net.rng.random_range(0..=net.jitter.as_micros() as u64);
            arrivals.push((sent + net.base + Duration::from_micros(jitter), k));
        }
    }
    arrivals.sort();
    let mut jb = JitterBuffer::new(TICK, delay);
    let mut played = Vec::new();
    let mut next_arrival = arrivals.iter().peekable();
    let offset = Duration::from_millis(7);
    // Bounded: every frame's tick, plus enough to drain the buffer.
    for tick in 0..count + 50 {
        let now = t0 + TICK * tick + offset;
        while let Some(&&(at, k)) = next_arrival.peek() {
            if at > now {
                break;
            }
            jb.push(at, 0xABCD, first_seq.wrapping_add(k as u16), k);
            next_arrival.next();
        }
        played.extend(jb.pop(now));
    }
    Outcome {
        played,
        dropped,
        stats: jb.stats(),
    }
}

fn strictly_increasing(v: &[u32]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn clean_network_plays_everything_in_order() {
    let net = Network {
        rng: SmallRng::seed_from_u64(1),
        loss: 0.0,
        duplicate: 0.0,
        base: Duration::from_millis(30),
        jitter: Duration::ZERO,
    };
    let out = simulate(net, 2000, 65_000, Duration::from_millis(40));
    assert_eq!(out.played, (0..2000).collect::<Vec<_>>());
    assert_eq!(
        out.stats.lost + out.stats.late + out.stats.overflow_dropped,
        0
    );
}

#[test]
fn reordering_and_duplicates_within_the_delay_lose_nothing() {
    let net = Network {
        rng: SmallRng::seed_from_u64(2),
        loss: 0.0,
        duplicate: 0.1,
        base: Duration::from_millis(10),
        // Up to 35 ms of jitter reorders neighbours; a 60 ms delay absorbs it.
        jitter: Duration::from_millis(35),
    };
    let out = simulate(net, 3000, 65_500, Duration::from_millis(60));
    assert_eq!(out.played, (0..3000).collect::<Vec<_>>());
    assert!(out.stats.duplicates > 200, "{:?}", out.stats);
    assert_eq!(out.stats.lost + out.stats.late, 0);
}

#[test]
fn losses_become_counted_gaps() {
    let net = Network {
        rng: SmallRng::seed_from_u64(3),
        loss: 0.05,
        duplicate: 0.0,
        base: Duration::from_millis(10),
        jitter: Duration::from_millis(15),
    };
    let out = simulate(net, 3000, 0, Duration::from_millis(40));
    assert!(strictly_increasing(&out.played));
    // Every sent frame is played or was dropped by the network. A drop is counted as lost,
    // except when the buffer ran dry at its slot (an underrun ends the talkspurt instead).
    assert_eq!(out.played.len() + out.dropped.len(), 3000);
    let dropped = out.dropped.len() as u64;
    assert!(out.stats.lost <= dropped, "{:?}", out.stats);
    assert!(out.stats.lost >= dropped * 9 / 10, "{:?}", out.stats);
    assert_eq!(out.stats.late, 0);
}

#[test]
fn heavy_jitter_drops_late_packets_but_never_plays_out_of_order() {
    for seed in 0..20 {
        let net = Network {
            rng: SmallRng::seed_from_u64(100 + seed),
            loss: 0.1,
            duplicate: 0.1,
            base: Duration::from_millis(5),
            jitter: Duration::from_millis(150),
        };
        let out = simulate(net, 1000, seed as u16 * 3271, Duration::from_millis(40));
        assert!(strictly_increasing(&out.played), "seed {seed}");
        let s = out.stats;
        assert!(
            s.late + s.overflow_dropped + s.underruns > 0,
            "seed {seed}: {s:?}"
        );
        // Everything pushed is accounted for exactly once.
        assert_eq!(
            s.received,
            s.played + s.late + s.duplicates + s.overflow_dropped + s.strays,
            "seed {seed}: {s:?}"
        );
        assert!(
            out.played.len() > 500,
            "seed {seed}: played {}",
            out.played.len()
        );
    }
}
