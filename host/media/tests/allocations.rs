//! A worker in steady state allocates nothing: not per packet received or sent, not per frame
//! mixed, encoded, relayed or recorded, nor for packets of 30 or 40 ms cut into frames, keys
//! sent, a deaf participant or RTCP reports sent and received. Every allocation on the test's
//! thread is counted while it runs a room recorded with one track per member and two bridges
//! fed with continuous RTP, after a warm-up.
//!
//! Counting needs a global allocator, which only unsafe code can be.
#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use common::*;
use switchyard_media::{
    Codec, Encoder, FRAME_LEN, LegId, LegSocket, RecordedFrame, RoomId, Worker, recording_queue,
};

/// Counts the allocations (and reallocations) of threads that ask for it.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LEAD: Duration = Duration::from_millis(1);
const WARM_UP_TICKS: usize = 100;
const COUNTED_TICKS: usize = 100;

/// A room of eight PCMU legs (two talking, six sending silence, two of these in packets longer
/// than a tick: see [`long_packets`]), a PCMU bridge that relays and a PCMU–PCMA bridge that
/// transcodes. The codec libraries of G.722 and Opus are left out: they allocate inside
/// (`ezk-g722` returns each frame in a new `Vec`; `unsafe-libopus`, a translation of libopus,
/// turns its stack arrays into heap ones).
fn legs() -> Vec<(LegId, Codec, f64)> {
    let mut legs: Vec<_> = (1..=8)
        .map(|id| {
            (
                LegId(id),
                Codec::Pcmu,
                if id <= 2 { 400.0 * id as f64 } else { 0.0 },
            )
        })
        .collect();
    legs.extend([
        (LegId(20), Codec::Pcmu, 700.0),
        (LegId(21), Codec::Pcmu, 1100.0),
        (LegId(30), Codec::Pcmu, 900.0),
        (LegId(31), Codec::Pcma, 1300.0),
    ]);
    legs
}

/// A packet from a leg's peer: the leg, where it came from, the leg's socket it came to.
type Arriving = (LegId, SocketAddr, LegSocket, Vec<u8>);

/// The legs whose peers send PCMU silence in packets of this many ms instead of 20.
const LONG_PACKETS: [(LegId, usize); 2] = [(LegId(7), 40), (LegId(8), 30)];

/// The packets of `ptime_ms` of PCMU silence from `leg`'s peer that tick `tick` sends: those
/// whose first sample falls in the tick (a 40 ms one every other tick; 30 ms ones in two ticks
/// of three).
fn long_packets(leg: LegId, ptime_ms: usize, tick: usize) -> Vec<Arriving> {
    let samples = 8 * ptime_ms;
    let mut payload = Vec::new();
    Encoder::new(Codec::Pcmu).encode(&vec![0; samples], &mut payload);
    // The SSRC its `TonePeer`, which still sends its RTCP, reports on.
    let ssrc = TonePeer::new(leg, Codec::Pcmu, 1.0).ssrc;
    let first = (tick * FRAME_LEN).div_ceil(samples);
    let end = ((tick + 1) * FRAME_LEN).div_ceil(samples);
    (first..end)
        .map(|i| {
            let packet = rtp(0, i as u16, (i * samples) as u32, ssrc, i == 0, &payload);
            (leg, sdp_addr(leg), LegSocket::Rtp, packet)
        })
        .collect()
}

// One tick: every peer's packet (built beforehand) in, the tick, every packet out and its
// buffer given back, every event read, every recorded frame taken (and dropped) as a writer
// would. Returns the RTP packets sent.
fn run_tick(
    worker: &mut Worker,
    packets: &[Arriving],
    recorded: &Receiver<RecordedFrame>,
) -> usize {
    let deadline = worker.next_tick();
    for (leg, source, socket, packet) in packets {
        match socket {
            LegSocket::Rtp => worker.handle_rtp(deadline - LEAD, *leg, *source, packet),
            LegSocket::Rtcp => worker.handle_rtcp(deadline - LEAD, *leg, *source, packet),
        }
    }
    worker.handle_timeout(deadline);
    let mut sent = 0;
    while let Some(transmit) = worker.poll_transmit() {
        sent += usize::from(transmit.socket == LegSocket::Rtp);
        worker.recycle(transmit.payload);
    }
    while worker.poll_event().is_some() {}
    while recorded.try_recv().is_ok() {}
    sent
}

#[test]
fn steady_state_allocates_nothing() {
    let legs = legs();
    let ids: Vec<_> = legs.iter().map(|&(leg, codec, _)| (leg, codec)).collect();
    let mut worker = worker_at(std::time::Instant::now(), 3, &ids);
    for &(leg, _, _) in &legs[..8] {
        worker.join(leg, RoomId("r".into()));
    }
    worker.bridge(LegId(20), LegId(21));
    worker.bridge(LegId(30), LegId(31));
    // Leg 3 sends keys as RFC 4733 events, leg 4 in-band; leg 5 is deaf.
    let mut in_band = params(Codec::Pcmu, 5004);
    in_band.telephone_event = None;
    worker.update_leg(std::time::Instant::now(), LegId(4), in_band);
    worker.set_deaf(LegId(5), true);
    let (tap, recorded) = recording_queue(8);
    worker.start_recording(RoomId("r".into()), tap.with_tracks());
    let mut peers: Vec<TonePeer> = legs
        .iter()
        .map(|&(leg, codec, freq)| {
            let mut peer = TonePeer::new(leg, codec, freq.max(1.0));
            if freq == 0.0 {
                peer.amplitude = 0.0;
            }
            peer
        })
        .collect();
    // In the counted ticks every tenth packet of a talker (leg 1) and of a silent leg (3) is
    // lost on the way: their first erasures, concealed, come after the warm-up.
    let lost = |tick: usize, leg: LegId| {
        tick >= WARM_UP_TICKS && tick % 10 == 5 && (leg == LegId(1) || leg == LegId(3))
    };
    // Halfway through the counted ticks every peer reports, on the RTCP port.
    let reports_at = WARM_UP_TICKS + COUNTED_TICKS / 2;
    let ticks: Vec<Vec<_>> = (0..WARM_UP_TICKS + COUNTED_TICKS)
        .map(|tick| {
            let mut packets: Vec<_> = peers
                .iter_mut()
                .map(|peer| (peer.leg, peer.source, LegSocket::Rtp, peer.next_packet()))
                .filter(|&(leg, _, _, _)| {
                    !lost(tick, leg) && LONG_PACKETS.iter().all(|&(long, _)| long != leg)
                })
                .collect();
            for (leg, ptime_ms) in LONG_PACKETS {
                packets.extend(long_packets(leg, ptime_ms, tick));
            }
            if tick == reports_at {
                let reports = peers.iter().map(|peer| {
                    let report = receiver_report(peer.ssrc, None);
                    (peer.leg, peer.source, LegSocket::Rtcp, report)
                });
                packets.extend(reports);
            }
            packets
        })
        .collect();
    // A first key in the warm-up: a leg's own encoder sizes its buffer at its first frame of
    // its own (the in-band key's), as it does at a first prompt.
    for leg in [LegId(3), LegId(4)] {
        worker.send_dtmf(leg, "5").unwrap();
    }
    for packets in &ticks[..WARM_UP_TICKS] {
        assert_eq!(run_tick(&mut worker, packets, &recorded), legs.len());
    }
    let before = worker.stats();
    COUNTING.with(|c| c.set(true));
    // Ten keys of 160 ms each: they sound through most of the counted ticks.
    for leg in [LegId(3), LegId(4)] {
        worker.send_dtmf(leg, "1234567890").unwrap();
    }
    let mut sent = 0;
    for packets in &ticks[WARM_UP_TICKS..] {
        sent += run_tick(&mut worker, packets, &recorded);
    }
    COUNTING.with(|c| c.set(false));
    assert_eq!(
        sent,
        legs.len() * COUNTED_TICKS,
        "every leg got a packet each tick"
    );
    let stats = worker.stats();
    assert!(stats.relayed_frames > 0 && stats.bridged_transcodes > 0);
    assert!(
        stats.rtcp_sent > before.rtcp_sent,
        "reports went out in the counted ticks"
    );
    assert_eq!(
        stats.recorded_frames - before.recorded_frames,
        COUNTED_TICKS as u64,
        "the room was recorded throughout"
    );
    assert_eq!(stats.recording_dropped_frames, 0);
    let deadline = worker.next_tick();
    worker.handle_timeout(deadline);
    let last = recorded.try_iter().last().expect("a frame");
    assert_eq!(last.samples.tracks().count(), 8, "a track per member");
    assert_eq!(
        stats.jitter.underruns - before.jitter.underruns,
        2 * (COUNTED_TICKS / 10) as u64,
        "only the lost packets left a buffer empty: those of 30 and 40 ms played throughout"
    );
    assert_eq!(stats.rtcp_received, legs.len() as u64);
    assert!(
        stats.jitter.concealed >= 2 * (COUNTED_TICKS / 10) as u64,
        "the lost packets were concealed: {:?}",
        stats.jitter
    );
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed),
        0,
        "allocations in {COUNTED_TICKS} steady ticks of {} legs",
        legs.len()
    );
}
