//! The jitter buffer against a seeded network simulator on virtual time: loss, reordering,
//! duplication, jitter, pauses and sender clock drift.

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchyard_media::{Arrival, JitterBuffer, JitterStats, Playout};

const TICK: Duration = Duration::from_millis(20);
const MS: Duration = Duration::from_millis(1);
const SSRC: u32 = 0xABCD;

struct Network {
    rng: SmallRng,
    loss: f64,
    duplicate: f64,
    /// Delay is `base + uniform(0, jitter)`, so packets sent close together reorder.
    base: Duration,
    jitter: Duration,
}

impl Network {
    fn new(seed: u64, base: Duration, jitter: Duration) -> Self {
        Network {
            rng: SmallRng::seed_from_u64(seed),
            loss: 0.0,
            duplicate: 0.0,
            base,
            jitter,
        }
    }

    /// Sends frame `k` at `sent`: its arrival times (none when lost, two when duplicated).
    fn deliver(&mut self, sent: Instant, k: u32, arrivals: &mut Vec<(Instant, u32)>) -> bool {
        if self.rng.random_bool(self.loss) {
            return false;
        }
        let copies = if self.rng.random_bool(self.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = self.rng.random_range(0..=self.jitter.as_micros() as u64);
            arrivals.push((sent + self.base + Duration::from_micros(jitter), k));
        }
        true
    }
}

/// What ticking a buffer through a run gave.
struct Outcome {
    /// Each tick's release: the frame index, or lost/idle.
    ticks: Vec<Playout<u32>>,
    /// Each tick's target delay and buffered packets (after the release).
    targets: Vec<Duration>,
    depths: Vec<usize>,
    stats: JitterStats,
}

impl Outcome {
    fn played(&self) -> Vec<u32> {
        self.ticks
            .iter()
            .filter_map(|t| t.clone().frame())
            .collect()
    }
}

/// Pushes `arrivals` (time, frame index; frame k has timestamp 160 k and sequence number
/// `first_seq + k`) into `jb` and ticks it `ticks` times, 7 ms into every tick.
fn run(
    jb: &mut JitterBuffer<u32>,
    t0: Instant,
    arrivals: Vec<(Instant, u32)>,
    first_seq: u16,
    ticks: u32,
) -> Outcome {
    let stamped = arrivals
        .into_iter()
        .map(|(at, k)| (at, k, k * 160))
        .collect();
    run_stamped(jb, t0, stamped, first_seq, ticks)
}

/// As `run`, with each frame's RTP timestamp given.
fn run_stamped(
    jb: &mut JitterBuffer<u32>,
    t0: Instant,
    mut arrivals: Vec<(Instant, u32, u32)>,
    first_seq: u16,
    ticks: u32,
) -> Outcome {
    arrivals.sort();
    let mut next_arrival = arrivals.iter().peekable();
    let mut out = Outcome {
        ticks: Vec::new(),
        targets: Vec::new(),
        depths: Vec::new(),
        stats: JitterStats::default(),
    };
    for tick in 0..ticks {
        let now = t0 + TICK * tick + 7 * MS;
        while let Some(&&(at, k, timestamp)) = next_arrival.peek() {
            if at > now {
                break;
            }
            let arrival = Arrival {
                at,
                ssrc: SSRC,
                sequence: first_seq.wrapping_add(k as u16),
                timestamp,
                samples: 160,
            };
            jb.push(arrival, k);
            next_arrival.next();
        }
        out.ticks.push(jb.pop(now));
        out.targets.push(jb.target_delay());
        out.depths.push(jb.len());
    }
    out.stats = jb.stats();
    out
}

fn fixed(delay: Duration) -> JitterBuffer<u32> {
    JitterBuffer::new(TICK, 8000, delay, delay)
}

fn adaptive() -> JitterBuffer<u32> {
    JitterBuffer::new(TICK, 8000, TICK, Duration::from_millis(200))
}

/// Sends `count` frames one per tick through `net` into `jb`.
fn simulate(net: &mut Network, jb: &mut JitterBuffer<u32>, count: u32, first_seq: u16) -> Outcome {
    let t0 = Instant::now();
    let mut arrivals = Vec::new();
    for k in 0..count {
        net.deliver(t0 + TICK * k, k, &mut arrivals);
    }
    run(jb, t0, arrivals, first_seq, count + 50)
}

fn strictly_increasing(v: &[u32]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn clean_network_plays_everything_in_order_after_at_most_one_tick() {
    let mut net = Network::new(1, 30 * MS, Duration::ZERO);
    let out = simulate(&mut net, &mut adaptive(), 2000, 65_000);
    assert_eq!(out.played(), (0..2000).collect::<Vec<_>>());
    assert_eq!(
        out.stats.lost + out.stats.late + out.stats.overflow_dropped + out.stats.skipped,
        0
    );
    // Frame k is sent at 20 k ms, arrives at 20 k + 30 and plays at the first tick after:
    // 20 k + 47 ms. Only it is buffered then.
    let first = out.ticks.iter().position(|t| *t == Playout::Frame(0));
    assert_eq!(first, Some(2));
    assert!(out.depths.iter().all(|&d| d <= 1));
    assert_eq!(out.stats.peak_target_delay, TICK);
}

#[test]
fn reordering_and_duplicates_within_the_delay_lose_nothing() {
    let mut net = Network::new(2, 10 * MS, 35 * MS);
    net.duplicate = 0.1;
    // Up to 35 ms of jitter reorders neighbours; a 60 ms delay absorbs it.
    let out = simulate(&mut net, &mut fixed(60 * MS), 3000, 65_500);
    assert_eq!(out.played(), (0..3000).collect::<Vec<_>>());
    assert!(out.stats.duplicates > 200, "{:?}", out.stats);
    assert_eq!(out.stats.lost + out.stats.late, 0);
}

#[test]
fn late_and_duplicate_packets_are_dropped_and_counted() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    // Frame 1 comes after its slot played; frame 2 twice.
    let arrivals = vec![
        (at(0), 0),
        (at(40), 2),
        (at(41), 2),
        (at(60), 3),
        (at(75), 1),
        (at(80), 4),
    ];
    let mut jb = fixed(TICK);
    let out = run(&mut jb, t0, arrivals, 100, 6);
    assert_eq!(out.played(), [0, 2, 3, 4]);
    assert_eq!(
        out.ticks[1],
        Playout::Lost,
        "frame 1 missing, frame 2 not yet here"
    );
    let s = out.stats;
    assert_eq!((s.late, s.duplicates, s.lost), (1, 1, 1), "{s:?}");
}

#[test]
fn losses_become_counted_gaps() {
    let mut net = Network::new(3, 10 * MS, 15 * MS);
    net.loss = 0.05;
    let t0 = Instant::now();
    let mut arrivals = Vec::new();
    let mut dropped = 0;
    for k in 0..3000 {
        if !net.deliver(t0 + TICK * k, k, &mut arrivals) {
            dropped += 1;
        }
    }
    let out = run(&mut fixed(40 * MS), t0, arrivals, 0, 3050);
    assert!(strictly_increasing(&out.played()));
    assert_eq!(out.played().len() + dropped, 3000);
    assert_eq!(out.stats.lost, dropped as u64, "{:?}", out.stats);
    assert_eq!(out.stats.late, 0);
}

#[test]
fn heavy_jitter_drops_late_packets_but_never_plays_out_of_order() {
    for seed in 0..20 {
        let mut net = Network::new(100 + seed, 5 * MS, 150 * MS);
        net.loss = 0.1;
        net.duplicate = 0.1;
        let out = simulate(&mut net, &mut adaptive(), 1000, seed as u16 * 3271);
        let played = out.played();
        assert!(strictly_increasing(&played), "seed {seed}");
        let s = out.stats;
        assert!(
            s.late + s.overflow_dropped + s.underruns > 0,
            "seed {seed}: {s:?}"
        );
        // Everything pushed is accounted for exactly once.
        assert_eq!(
            s.received,
            s.played + s.late + s.duplicates + s.overflow_dropped + s.skipped + s.strays,
            "seed {seed}: {s:?}"
        );
        assert!(played.len() > 700, "seed {seed}: played {}", played.len());
        assert!(s.peak_target_delay >= 150 * MS, "seed {seed}: {s:?}");
    }
}

#[test]
fn the_delay_grows_under_jitter_and_shrinks_back_on_a_clean_network() {
    let t0 = Instant::now();
    let mut net = Network::new(4, 10 * MS, 60 * MS);
    let mut arrivals = Vec::new();
    // 20 s with up to 60 ms of jitter, then 20 s clean.
    for k in 0..1000 {
        net.deliver(t0 + TICK * k, k, &mut arrivals);
    }
    net.jitter = Duration::ZERO;
    for k in 1000..2000 {
        net.deliver(t0 + TICK * k, k, &mut arrivals);
    }
    let mut jb = adaptive();
    let out = run(&mut jb, t0, arrivals, 7, 2050);
    let jittery = &out.targets[500..1000];
    assert!(
        jittery.iter().all(|&t| t >= 60 * MS && t <= 120 * MS),
        "grown: {:?}..{:?}",
        jittery.iter().min(),
        jittery.iter().max()
    );
    // Once grown, the delay absorbs the jitter: hardly a frame of the jittery second half is
    // missing.
    let missing = out.ticks[500..1000]
        .iter()
        .filter(|t| !matches!(t, Playout::Frame(_)))
        .count();
    assert!(missing <= 10, "missing {missing}");
    let clean = &out.targets[1200..2000];
    assert!(
        clean.iter().all(|&t| t <= 30 * MS),
        "shrunk: {:?}",
        clean.iter().max()
    );
    assert!(
        out.depths[1500..2000].iter().all(|&d| d <= 1),
        "the buffer drains back to one packet: {:?}",
        &out.depths[1500..1510]
    );
    let played = out.played();
    assert!(strictly_increasing(&played));
    assert!(played.len() >= 1950, "played {}", played.len());
}

#[test]
fn a_paused_sender_is_idle_and_a_missing_packet_mid_stream_is_lost() {
    let t0 = Instant::now();
    let mut arrivals = Vec::new();
    // Frames 0..50, a 1 s pause (silence suppression: the sequence numbers go on), frames
    // 50..100 (frame 70 lost), each 3 ms before a tick.
    for k in 0..100u32 {
        if k == 70 {
            continue;
        }
        // The timestamps jump over the pause.
        let slot = if k >= 50 { k + 50 } else { k };
        arrivals.push((t0 + TICK * slot + 4 * MS, k, slot * 160));
    }
    let mut jb = adaptive();
    let out = run_stamped(&mut jb, t0, arrivals.clone(), 0, 160);
    let ticks = &out.ticks;
    assert_eq!(ticks[49], Playout::Frame(49));
    // The first ticks of the pause cannot tell a pause from a loss (60 ms), then it is idle.
    assert!(
        ticks[50..53].iter().all(|t| *t == Playout::Lost),
        "{:?}",
        &ticks[50..53]
    );
    assert!(
        ticks[53..100].iter().all(|t| *t == Playout::Idle),
        "{:?}",
        &ticks[53..100]
    );
    assert_eq!(ticks[100], Playout::Frame(50));
    assert_eq!(ticks[119], Playout::Frame(69));
    assert_eq!(ticks[120], Playout::Lost, "frame 70");
    assert_eq!(ticks[121], Playout::Frame(71));
    assert_eq!(out.stats.lost, 1, "{:?}", out.stats);
    // With later packets buffered (a 60 ms delay), the gap is lost at once too.
    let mut deep = fixed(60 * MS);
    let out = run_stamped(&mut deep, t0, arrivals, 0, 160);
    let lost = out.ticks.iter().position(|t| *t == Playout::Lost).unwrap();
    assert_eq!(
        out.ticks[lost - 1],
        Playout::Frame(49),
        "the pause's first tick"
    );
    let before = out
        .ticks
        .iter()
        .position(|t| *t == Playout::Frame(69))
        .unwrap();
    assert_eq!(
        out.ticks[before + 1],
        Playout::Lost,
        "frame 70, with 71 buffered"
    );
    assert_eq!(out.ticks[before + 2], Playout::Frame(71));
}

/// Frames sent for 60 s by a sender whose clock runs `ppm` parts per million fast (negative:
/// slow), over a network with a little jitter.
fn drifting(ppm: i64) -> Outcome {
    let t0 = Instant::now();
    let mut net = Network::new(5, 10 * MS, 5 * MS);
    let mut arrivals = Vec::new();
    let period_ns = 20_000_000 * 1_000_000 / (1_000_000 + ppm);
    for k in 0..3000u32 {
        let sent = t0 + Duration::from_nanos(period_ns as u64 * u64::from(k));
        net.deliver(sent, k, &mut arrivals);
    }
    run(&mut adaptive(), t0, arrivals, 40_000, 3000)
}

#[test]
fn clock_drift_of_half_a_percent_keeps_the_depth_bounded() {
    for ppm in [5000, -5000] {
        let out = drifting(ppm);
        let deepest = out.depths.iter().max().unwrap();
        assert!(*deepest <= 4, "{ppm} ppm: depth up to {deepest}");
        let s = out.stats;
        let played = out.played();
        assert!(strictly_increasing(&played));
        // Fast: about 15 frames too many in a minute, dropped one at a time. Slow: about 15
        // ticks with no frame yet, each a stretch of one tick.
        // (The fast sender's last frames play before the minute is over.)
        let missing = out.ticks[10..2950].iter();
        let missing = missing.filter(|t| !matches!(t, Playout::Frame(_))).count();
        if ppm > 0 {
            assert!((5..=40).contains(&s.skipped), "{ppm} ppm: {s:?}");
            assert!(missing <= 10, "{ppm} ppm: {missing} ticks without a frame");
        } else {
            assert!(
                (5..=40).contains(&missing),
                "{ppm} ppm: {missing} stretches"
            );
            assert_eq!(s.skipped + s.overflow_dropped + s.late, 0, "{s:?}");
        }
        assert!(played.len() >= 2950, "{ppm} ppm: played {}", played.len());
    }
}
