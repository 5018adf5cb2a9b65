//! RTCP on virtual time: two workers whose legs are each other's peers, over a seeded network
//! with delay, loss and jitter, report on each other's streams (RFC 3550 §6.4): loss, jitter
//! and round trip as each side measures and as its peer reports them; muxed RTCP (RFC 5761);
//! reports from elsewhere dropped; reports keep a silent peer alive.

mod common;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rtcp_types::{
    Compound, Packet, ReportBlock, RtcpPacketWriter, RtcpPacketWriterExt, SenderReport,
};
use rtp_rs::RtpReader;
use switchyard_media::{
    Codec, LegId, LegParams, LegSocket, MediaDirection, MediaEvent, MediaTransmit, RtcpPath,
    Worker, WorkerConfig,
};

const A: LegId = LegId(1);
const B: LegId = LegId(2);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A PCMU leg whose peer's RTP is at `remote` and RTCP by `rtcp`.
fn leg_to(remote: SocketAddr, rtcp: RtcpPath) -> LegParams {
    codec_leg_to(Codec::Pcmu, remote, rtcp)
}

/// [`leg_to`] in `codec`.
fn codec_leg_to(codec: Codec, remote: SocketAddr, rtcp: RtcpPath) -> LegParams {
    LegParams {
        remote,
        rtcp,
        ..params(codec, 0)
    }
}

/// A worker started at `start` with `seed`, and leg A to `peer` with `rtcp`.
fn one_leg(start: Instant, seed: u64, peer: SocketAddr, rtcp: RtcpPath) -> Worker {
    let mut worker = Worker::new(WorkerConfig::default(), start, seed);
    worker.add_leg(start, A, leg_to(peer, rtcp));
    worker
}

/// A worker whose legs time out after 2 s of silence, started at `start`, and leg A to
/// `peer` (its RTCP at the next port).
fn timing_out_in_2_s(start: Instant, peer: SocketAddr) -> Worker {
    let config = WorkerConfig {
        rtp_timeout: Some(Duration::from_secs(2)),
        ..WorkerConfig::default()
    };
    let mut worker = Worker::new(config, start, 4);
    let rtcp = SocketAddr::new(peer.ip(), peer.port() + 1);
    worker.add_leg(start, A, leg_to(peer, RtcpPath::Separate(rtcp)));
    worker
}

/// How packets fare on one way of the simulated network.
#[derive(Clone, Copy)]
struct Path {
    delay: Duration,
    /// Extra delay of each RTP packet, uniform in 0..jitter; RTCP is never delayed more.
    jitter: Duration,
    /// Share of RTP packets lost; RTCP is never lost.
    loss: f64,
}

/// One side: a worker with one leg, its RTP and RTCP addresses.
struct Side {
    worker: Worker,
    leg: LegId,
    rtp: SocketAddr,
    rtcp: SocketAddr,
}

/// A packet on its way to side `to`: (arrival, tie-break) → (side, from, is RTCP by port, bytes).
type InFlight = BinaryHeap<Reverse<(Instant, u64, usize, SocketAddr, bool, Vec<u8>)>>;

/// Runs both sides for `duration` of virtual time from `start`: every packet a side sends goes
/// to the other over `paths[side]`, arriving at its RTCP port when sent from the RTCP socket.
fn run(sides: &mut [Side; 2], paths: [Path; 2], start: Instant, duration: Duration, seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut in_flight = InFlight::new();
    let mut order = 0;
    let end = start + duration;
    loop {
        let next_tick = sides
            .iter()
            .map(|side| side.worker.poll_timeout().unwrap())
            .min()
            .unwrap();
        let next_arrival = in_flight.peek().map(|Reverse(packet)| packet.0);
        let now = next_arrival.map_or(next_tick, |arrival| arrival.min(next_tick));
        if now > end {
            return;
        }
        if next_arrival == Some(now) {
            let Reverse((at, _, to, from, rtcp_port, bytes)) = in_flight.pop().unwrap();
            let side = &mut sides[to];
            if rtcp_port {
                side.worker.handle_rtcp(at, side.leg, from, &bytes);
            } else {
                side.worker.handle_rtp(at, side.leg, from, &bytes);
            }
            continue;
        }
        for index in 0..2 {
            let side = &mut sides[index];
            if side.worker.poll_timeout().unwrap() != now {
                continue;
            }
            side.worker.handle_timeout(now);
            let path = paths[index];
            for transmit in drain_all(&mut side.worker) {
                let rtcp = is_rtcp(&transmit);
                if !rtcp && rng.random_bool(path.loss) {
                    continue;
                }
                let jitter = if rtcp {
                    Duration::ZERO
                } else {
                    path.jitter.mul_f64(rng.random())
                };
                let (from, rtcp_port) = match transmit.socket {
                    LegSocket::Rtp => (side.rtp, false),
                    LegSocket::Rtcp => (side.rtcp, true),
                };
                order += 1;
                in_flight.push(Reverse((
                    now + path.delay + jitter,
                    order,
                    1 - index,
                    from,
                    rtcp_port,
                    transmit.payload,
                )));
            }
            while side.worker.poll_event().is_some() {}
        }
    }
}

/// Two sides whose legs are each other's peers, RTCP muxed or on its own ports; B's worker
/// starts 7 ms after A's.
fn pair(start: Instant, muxed: bool) -> [Side; 2] {
    let (a_rtp, a_rtcp) = (addr("10.0.0.1:4000"), addr("10.0.0.1:4001"));
    let (b_rtp, b_rtcp) = (addr("10.0.0.2:6000"), addr("10.0.0.2:6001"));
    let path = |rtcp| {
        if muxed {
            RtcpPath::Muxed
        } else {
            RtcpPath::Separate(rtcp)
        }
    };
    let side = |leg, seed, at, rtp, rtcp, peer_rtp, peer_rtcp| {
        let mut worker = Worker::new(WorkerConfig::default(), at, seed);
        worker.add_leg(at, leg, leg_to(peer_rtp, path(peer_rtcp)));
        Side {
            worker,
            leg,
            rtp,
            rtcp,
        }
    };
    [
        side(A, 1, start, a_rtp, a_rtcp, b_rtp, b_rtcp),
        side(
            B,
            2,
            start + Duration::from_millis(7),
            b_rtp,
            b_rtcp,
            a_rtp,
            a_rtcp,
        ),
    ]
}

/// The kind of report ("SR" or "RR") that opens `packet`, a leg's last RTCP, which must
/// then hold a CNAME and the BYE of the report's SSRC (RFC 3550 §6.1, §6.3.7).
fn goodbye_report(packet: &[u8]) -> &'static str {
    let packets: Vec<_> = Compound::parse(packet)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (kind, ssrc) = match packets.first() {
        Some(Packet::Sr(report)) => ("SR", report.ssrc()),
        Some(Packet::Rr(report)) => ("RR", report.ssrc()),
        _ => panic!("a report first: {packets:?}"),
    };
    let [_, Packet::Sdes(_), Packet::Bye(bye)] = &packets[..] else {
        panic!("a CNAME and a BYE after the report: {packets:?}");
    };
    assert_eq!(bye.ssrcs().collect::<Vec<_>>(), [ssrc]);
    kind
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[test]
fn each_side_reports_what_it_got_and_learns_the_round_trip_and_what_its_peer_got() {
    let start = Instant::now();
    let mut sides = pair(start, false);
    // A to B: 30 ms, 5% of RTP lost. B to A: 50 ms, up to 20 ms of jitter.
    let paths = [
        Path {
            delay: Duration::from_millis(30),
            jitter: Duration::ZERO,
            loss: 0.05,
        },
        Path {
            delay: Duration::from_millis(50),
            jitter: Duration::from_millis(20),
            loss: 0.0,
        },
    ];
    run(&mut sides, paths, start, Duration::from_secs(60), 11);
    let [a, b] = &sides;
    let (a_stats, b_stats) = (a.worker.stats(), b.worker.stats());
    // A report every 5 s on average, the first within about 3 s: about 12 in a minute.
    for (stats, peers) in [(a_stats, b_stats), (b_stats, a_stats)] {
        assert!((9..=15).contains(&stats.rtcp_sent), "{stats:?}");
        // None lost: every one arrived, but for one still on its way at the end.
        assert!(
            stats.rtcp_received.abs_diff(peers.rtcp_sent) <= 1,
            "{stats:?}"
        );
        assert_eq!(stats.rtcp_malformed + stats.rtcp_foreign_source, 0);
    }

    // B lost about 5% of A's 3,000 packets; A lost none of B's, which came with jitter.
    let at_b = b.worker.quality(B).unwrap();
    let share = at_b.lost as f64 / (at_b.received as f64 + at_b.lost as f64);
    assert!((0.035..0.065).contains(&share), "{at_b:?}");
    assert!(at_b.jitter < Duration::from_micros(200), "{at_b:?}");
    let at_a = a.worker.quality(A).unwrap();
    assert_eq!(at_a.lost, 0, "{at_a:?}");
    assert!(at_a.received > 2900, "{at_a:?}");
    // Uniform 0–20 ms delays: a mean |D| of 6.7 ms.
    assert!(
        (4.0..10.0).contains(&millis(at_a.jitter)),
        "{:?}",
        at_a.jitter
    );

    // Each hears from its peer what the peer measured, and the round trip of 80 ms.
    let told_a = at_a.peer.expect("B reported on A's stream");
    assert!(told_a.cumulative_lost > 0 && i64::from(told_a.cumulative_lost) <= at_b.lost);
    assert!(told_a.fraction_lost < 38, "{told_a:?}");
    assert!(told_a.jitter < Duration::from_micros(200), "{told_a:?}");
    let told_b = at_b.peer.expect("A reported on B's stream");
    assert_eq!(told_b.cumulative_lost, 0);
    assert!((4.0..10.0).contains(&millis(told_b.jitter)), "{told_b:?}");
    for told in [told_a, told_b] {
        let round_trip = millis(told.round_trip.expect("a round trip"));
        assert!((79.0..81.0).contains(&round_trip), "{round_trip}");
    }
    // The counters: every report after the first on a sender report timed the round trip;
    // what B reported lost since its first report is about 5% of what it expected.
    assert!(a_stats.round_trips >= 8, "{a_stats:?}");
    let mean = a_stats.round_trip_sum / a_stats.round_trips as u32;
    assert!((79.0..81.0).contains(&millis(mean)), "{mean:?}");
    assert!(a_stats.peer_reported_expected > 2000, "{a_stats:?}");
    let reported = a_stats.peer_reported_lost as f64 / a_stats.peer_reported_expected as f64;
    assert!((0.03..0.07).contains(&reported), "{a_stats:?}");

    // A leg removed says how it fared, and says goodbye to its peer's RTCP port: its report,
    // then the BYE of its stream (RFC 3550 §6.3.7), which the peer takes.
    let [a, b] = &mut sides;
    events(&mut a.worker);
    let now = a.worker.poll_timeout().unwrap();
    let goodbye = a.worker.remove_leg(now, A).expect("A's BYE");
    assert_eq!(
        (goodbye.leg, goodbye.socket, goodbye.destination),
        (A, LegSocket::Rtcp, b.rtcp)
    );
    assert_eq!(goodbye_report(&goodbye.payload), "SR");
    assert_eq!(a.worker.stats().rtcp_sent, a_stats.rtcp_sent + 1);
    let received = b.worker.stats().rtcp_received;
    b.worker.handle_rtcp(now, B, a.rtcp, &goodbye.payload);
    assert_eq!(b.worker.stats().rtcp_received, received + 1);
    assert!(a.worker.remove_leg(now, A).is_none(), "A is gone");
    assert_eq!(
        events(&mut a.worker),
        [MediaEvent::LegEnded {
            leg: A,
            room: None,
            quality: at_a
        }]
    );
}

#[test]
fn a_leg_says_goodbye_only_once_its_peer_heard_of_its_stream() {
    // RFC 3550 §6.3.7: a leg that sent neither RTP nor RTCP sends no BYE.
    let start = Instant::now();
    let peer = addr("192.0.2.1:4000");
    let rtcp = RtcpPath::Separate(addr("192.0.2.1:4001"));
    let mut worker = one_leg(start, 1, peer, rtcp);
    assert_eq!(worker.remove_leg(start, A), None);
    assert_eq!(worker.stats().rtcp_sent, 0);

    // A leg on hold (recvonly: it sends no RTP) that reported: the peer knows its SSRC.
    let mut worker = Worker::new(WorkerConfig::default(), start, 1);
    let on_hold = LegParams {
        direction: MediaDirection::RecvOnly,
        ..leg_to(peer, rtcp)
    };
    worker.add_leg(start, A, on_hold);
    let mut now = start;
    for _ in 0..500 {
        if worker.stats().rtcp_sent > 0 {
            break;
        }
        now = worker.poll_timeout().unwrap();
        worker.handle_timeout(now);
        assert!(drain_all(&mut worker).iter().all(is_rtcp), "no RTP");
    }
    let goodbye = worker.remove_leg(now, A).expect("a BYE after a report");
    assert_eq!(goodbye_report(&goodbye.payload), "RR");
}

#[test]
fn a_stream_restarted_under_a_new_ssrc_says_goodbye_to_the_old_one() {
    let start = Instant::now();
    let peer = addr("192.0.2.1:4000");
    let rtcp = RtcpPath::Separate(addr("192.0.2.1:4001"));
    let mut worker = one_leg(start, 1, peer, rtcp);
    let ssrc_of = |transmits: &[MediaTransmit]| -> Vec<u32> {
        transmits
            .iter()
            .filter(|t| !is_rtcp(t))
            .map(|t| RtpReader::new(&t.payload).unwrap().ssrc())
            .collect()
    };
    let mut now = start;
    let mut run = |worker: &mut Worker, ticks: usize| {
        let mut sent = Vec::new();
        for _ in 0..ticks {
            now = worker.poll_timeout().unwrap();
            worker.handle_timeout(now);
            sent.extend(drain_all(worker));
        }
        (now, sent)
    };
    let (now, before) = run(&mut worker, 10);
    let old = ssrc_of(&before)[0];

    // Another law on the same 8 kHz clock: the stream goes on, no BYE.
    worker.update_leg(now, A, codec_leg_to(Codec::Pcma, peer, rtcp));
    assert!(drain_all(&mut worker).iter().all(|t| !is_rtcp(t)));
    let (now, same) = run(&mut worker, 5);
    assert!(ssrc_of(&same).iter().all(|&ssrc| ssrc == old));

    // Opus, on a 48 kHz clock: a new stream, and the BYE of the old one (RFC 3550 §8.2).
    worker.update_leg(now, A, codec_leg_to(Codec::Opus, peer, rtcp));
    let goodbyes: Vec<_> = drain_all(&mut worker).into_iter().filter(is_rtcp).collect();
    let [goodbye] = &goodbyes[..] else {
        panic!("one RTCP packet as the stream restarts, got {goodbyes:?}");
    };
    assert_eq!(
        (goodbye.leg, goodbye.socket, goodbye.destination),
        (A, LegSocket::Rtcp, addr("192.0.2.1:4001"))
    );
    assert_eq!(goodbye_report(&goodbye.payload), "SR");
    let Some(Ok(Packet::Sr(report))) = Compound::parse(&goodbye.payload).unwrap().next() else {
        panic!("a sender report first");
    };
    assert_eq!(report.ssrc(), old, "the old stream's report and BYE");
    let (_, after) = run(&mut worker, 5);
    let new = ssrc_of(&after);
    assert!(!new.is_empty() && new.iter().all(|&ssrc| ssrc != old));
}

#[test]
fn muxed_rtcp_goes_and_comes_on_the_rtp_port() {
    let start = Instant::now();
    let mut sides = pair(start, true);
    let clean = Path {
        delay: Duration::from_millis(10),
        jitter: Duration::ZERO,
        loss: 0.0,
    };
    let mut sent = Vec::new();
    // Catch A's first report as it goes: due within seconds (RFC 3550 §6.2), so the
    // search stops at 20 s of virtual time, or after 20 000 ticks (one a millisecond)
    // should the clock stop moving on.
    let give_up = start + Duration::from_secs(20);
    let mut ticks = 0;
    while sent.is_empty() {
        let deadline = sides[0].worker.poll_timeout().unwrap();
        ticks += 1;
        assert!(
            deadline <= give_up && ticks <= 20_000,
            "no RTCP from A within 20 s of virtual time ({ticks} ticks)"
        );
        sides[0].worker.handle_timeout(deadline);
        sent = drain_all(&mut sides[0].worker)
            .into_iter()
            .filter(|transmit: &MediaTransmit| transmit.payload[1] >= 192)
            .collect();
    }
    assert_eq!(sent[0].socket, LegSocket::Rtp);
    assert_eq!(sent[0].destination, sides[1].rtp);
    let mut sides = pair(start, true);
    run(&mut sides, [clean; 2], start, Duration::from_secs(20), 3);
    for side in &sides {
        let stats = side.worker.stats();
        assert!(stats.rtcp_received >= 2, "{stats:?}");
        assert_eq!(stats.unknown_payload_type + stats.malformed_packets, 0);
        let round_trip = side
            .worker
            .quality(side.leg)
            .unwrap()
            .peer
            .unwrap()
            .round_trip;
        assert!((19.0..21.0).contains(&millis(round_trip.unwrap())));
    }
}

/// What `read` makes of our report's first block, as the peer reads it; `None` without one.
/// Panics unless the report starts with a sender or receiver report.
fn read_first_block<T>(packet: &[u8], read: impl Fn(ReportBlock<'_>) -> T) -> Option<T> {
    match Compound::parse(packet).unwrap().next()?.unwrap() {
        Packet::Sr(report) => report.report_blocks().next().map(read),
        Packet::Rr(report) => report.report_blocks().next().map(read),
        other => panic!("a report first: {other:?}"),
    }
}

/// Our report's first block, as the peer reads it: (SSRC it is about, cumulative lost).
fn first_block(packet: &[u8]) -> Option<(u32, u32)> {
    read_first_block(packet, |block| (block.ssrc(), block.cumulative_lost()))
}

#[test]
fn reports_from_elsewhere_or_malformed_are_dropped_and_ours_follow_the_peers() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let mut worker = one_leg(start, 9, peer, RtcpPath::Separate(addr("192.0.2.5:7001")));
    let mut now = start;
    let report = receiver_report(0x77, None);
    worker.handle_rtcp(now, A, addr("198.51.100.1:7001"), &report);
    // Not a compound packet: a source description first, bad lengths, not version 2.
    let sdes_first = {
        let mut packet = report.clone();
        packet[1] = 202;
        packet
    };
    for bad in [
        &sdes_first[..],
        &report[..6],
        &[0x40, 201, 0, 1, 0, 0, 0, 0][..],
    ] {
        worker.handle_rtcp(now, A, peer, bad);
    }
    let stats = worker.stats();
    assert_eq!(stats.rtcp_foreign_source, 1);
    assert_eq!(stats.rtcp_malformed, 3);
    assert_eq!(stats.rtcp_received, 0);
    assert_eq!(stats.malformed_packets + stats.unknown_payload_type, 0);

    // Its reports go to the SDP's RTCP address. A report from another port of its host before
    // its stream came is taken, but ours do not follow it (it may be another party's, behind
    // the same NAT); once its stream came, ours follow its next report, from a NAT's port.
    let mut sent = Vec::new();
    let nat = addr("192.0.2.5:40123");
    while now < start + Duration::from_secs(25) {
        now = worker.poll_timeout().unwrap();
        match (sent.len(), worker.stats().rtcp_received) {
            (1, 0) => worker.handle_rtcp(now, A, nat, &report),
            (2, 1) => {
                worker.handle_rtp(now, A, peer, &silence(0));
                worker.handle_rtcp(now, A, nat, &report);
            }
            _ => {}
        }
        worker.handle_timeout(now);
        sent.extend(
            drain_all(&mut worker)
                .iter()
                .filter(|transmit| transmit.socket == LegSocket::Rtcp)
                .map(|transmit| (transmit.destination, first_block(&transmit.payload))),
        );
    }
    assert!(sent.len() >= 3, "{sent:?}");
    // Nothing received until then: sender reports of our stream alone.
    let sdp_rtcp = addr("192.0.2.5:7001");
    assert_eq!(sent[..2], [(sdp_rtcp, None), (sdp_rtcp, None)]);
    assert!(sent[2..].iter().all(|&(to, _)| to == nat), "{sent:?}");
    assert_eq!(worker.stats().rtcp_received, 2);
}

#[test]
fn a_peer_that_only_reports_is_alive_and_times_out_when_it_stops() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let mut worker = timing_out_in_2_s(start, peer);
    let report = receiver_report(0x77, None);
    let mut timed_out_at = None;
    let mut now = start;
    while now < start + Duration::from_secs(20) && timed_out_at.is_none() {
        now = worker.poll_timeout().unwrap();
        // A report every second for the first ten, no RTP at all.
        let tick = (now - start).as_millis();
        if tick < 10_000 && tick.is_multiple_of(1000) {
            worker.handle_rtcp(now, A, addr("192.0.2.5:7001"), &report);
        }
        worker.handle_timeout(now);
        drain_all(&mut worker);
        if events(&mut worker).contains(&MediaEvent::RtpTimeout { leg: A }) {
            timed_out_at = Some(now - start);
        }
    }
    let at = timed_out_at.expect("the leg timed out once the reports stopped");
    // The last report came at 9 s.
    assert!(
        (Duration::from_secs(11)..Duration::from_millis(11_100)).contains(&at),
        "{at:?}"
    );
}

#[test]
fn no_report_goes_to_a_peer_whose_address_is_not_known() {
    let start = Instant::now();
    let nowhere = addr("0.0.0.0:0");
    let mut worker = one_leg(start, 4, nowhere, RtcpPath::Separate(nowhere));
    let mut now = start;
    while now < start + Duration::from_secs(15) {
        now = worker.poll_timeout().unwrap();
        worker.handle_timeout(now);
        assert!(drain_all(&mut worker).iter().all(|t| !is_rtcp(t)));
    }
    assert_eq!(worker.stats().rtcp_sent, 0);
    // Once it is known (the answer came), reports go.
    worker.update_leg(
        now,
        A,
        leg_to(
            addr("192.0.2.5:7000"),
            RtcpPath::Separate(addr("192.0.2.5:7001")),
        ),
    );
    for _ in 0..10 {
        now = worker.poll_timeout().unwrap();
        worker.handle_timeout(now);
    }
    assert_eq!(worker.stats().rtcp_sent, 1);
}

/// The peer's PCMU packet `sequence` of stream 0x77: silence.
fn silence(sequence: u16) -> Vec<u8> {
    rtp(
        0,
        sequence,
        u32::from(sequence) * 160,
        0x77,
        false,
        &[0xFF; 160],
    )
}

/// The RTCP packets the worker sent in ticks up to `until`: where each went.
fn reports_until(worker: &mut Worker, until: Instant) -> Vec<SocketAddr> {
    let mut destinations = Vec::new();
    loop {
        let now = worker.poll_timeout().unwrap();
        if now > until {
            return destinations;
        }
        worker.handle_timeout(now);
        destinations.extend(
            drain_all(worker)
                .iter()
                .filter(|transmit| is_rtcp(transmit))
                .map(|transmit| transmit.destination),
        );
    }
}

#[test]
fn once_the_peer_streams_only_its_streams_report_is_taken() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let mut worker = Worker::new(WorkerConfig::default(), start, 9);
    // The peer's SDP names another host for its RTCP (RFC 3605).
    let rtcp_host = addr("198.51.100.9:9001");
    worker.add_leg(start, A, leg_to(peer, RtcpPath::Separate(rtcp_host)));
    // Before its RTP, any report from its hosts is its own.
    worker.handle_rtcp(start, A, rtcp_host, &receiver_report(0x77, None));
    worker.handle_rtcp(
        start,
        A,
        addr("192.0.2.5:7001"),
        &receiver_report(0x78, None),
    );
    assert_eq!(worker.stats().rtcp_received, 2);
    // Its RTP stream is 0x77: a report of another stream's is not its (one left from another
    // call on this port, say)...
    let nat_rtcp = addr("192.0.2.5:7001");
    worker.handle_rtp(start, A, peer, &rtp(0, 1, 160, 0x77, true, &[0xFF; 160]));
    worker.handle_rtcp(start, A, nat_rtcp, &receiver_report(0x78, None));
    let other_stream = ReportBlock::builder(0x1234_5678).cumulative_lost(2);
    worker.handle_rtcp(
        start,
        A,
        nat_rtcp,
        &receiver_report(0x78, Some(other_stream)),
    );
    worker.handle_rtcp(start, A, rtcp_host, &receiver_report(0x77, None));
    // ...unless it reports on ours (a relay's own report).
    let ours = header(&tick(&mut worker)[0]).2;
    let on_ours = ReportBlock::builder(ours).cumulative_lost(2);
    worker.handle_rtcp(start, A, rtcp_host, &receiver_report(0x78, Some(on_ours)));
    assert_eq!(worker.quality(A).unwrap().peer.unwrap().cumulative_lost, 2);
    // An IPv4 host in its IPv6-mapped form is the same host.
    let mapped = addr("[::ffff:192.0.2.5]:7001");
    worker.handle_rtcp(start, A, mapped, &receiver_report(0x77, None));
    let stats = worker.stats();
    assert_eq!((stats.rtcp_received, stats.rtcp_foreign_source), (5, 2));
}

#[test]
fn a_relays_report_from_another_port_is_read_but_ours_stay_at_the_sdp_rtcp_address() {
    let start = Instant::now();
    let (sdp, sdp_rtcp) = (addr("192.0.2.5:7000"), addr("192.0.2.5:7001"));
    let mut worker = one_leg(start, 9, sdp, RtcpPath::Separate(sdp_rtcp));
    // The peer's stream from its SDP address; a relay there reports on ours under an SSRC of
    // its own from another port: anyone who once heard our stream could sign it so.
    let mut reported_to = Vec::new();
    for tick in 0..500_u16 {
        let now = worker.next_tick();
        worker.handle_rtp(now, A, sdp, &silence(tick));
        worker.handle_timeout(now);
        let (reports, rtp): (Vec<_>, Vec<_>) =
            drain_all(&mut worker).into_iter().partition(is_rtcp);
        if tick == 10 {
            let on_ours = ReportBlock::builder(header(&rtp[0]).2).cumulative_lost(3);
            let report = receiver_report(0x99, Some(on_ours));
            worker.handle_rtcp(now, A, addr("192.0.2.5:7101"), &report);
        }
        reported_to.extend(reports.iter().map(|report| report.destination));
    }
    assert_eq!(worker.quality(A).unwrap().peer.unwrap().cumulative_lost, 3);
    assert!(
        !reported_to.is_empty() && reported_to.iter().all(|&to| to == sdp_rtcp),
        "{reported_to:?}"
    );
}

#[test]
fn a_nat_ed_peer_gets_reports_only_once_its_own_come_and_a_moved_one_at_its_new_address() {
    let start = Instant::now();
    let private = addr("10.0.0.7:7000");
    let mut worker = one_leg(start, 9, private, RtcpPath::Separate(addr("10.0.0.7:7001")));
    // Its RTP comes from a NAT's address after the latching grace: the leg latches there.
    let nat = addr("203.0.113.4:31000");
    let mut sequence = 0;
    let mut now = start;
    while now < start + Duration::from_secs(10) {
        now = worker.poll_timeout().unwrap();
        let packet = silence(sequence);
        worker.handle_rtp(now, A, nat, &packet);
        sequence += 1;
        worker.handle_timeout(now);
        let sent = drain_all(&mut worker);
        assert!(
            sent.iter().all(|t| !is_rtcp(t)),
            "a report to the private address"
        );
    }
    assert_eq!(worker.stats().rtcp_sent, 0);
    // Its report comes from the NAT's port for its RTCP: ours go there.
    let nat_rtcp = addr("203.0.113.4:31001");
    worker.handle_rtcp(now, A, nat_rtcp, &receiver_report(0x77, None));
    let sent = reports_until(&mut worker, now + Duration::from_secs(10));
    assert!(
        !sent.is_empty() && sent.iter().all(|&to| to == nat_rtcp),
        "{sent:?}"
    );

    // A re-INVITE moves the peer: reports go to its new SDP address, not to the NAT's port.
    let now = worker.poll_timeout().unwrap();
    let moved = addr("192.0.2.8:8000");
    worker.update_leg(
        now,
        A,
        leg_to(moved, RtcpPath::Separate(addr("192.0.2.8:8001"))),
    );
    let sent = reports_until(&mut worker, now + Duration::from_secs(10));
    assert!(
        !sent.is_empty() && sent.iter().all(|&to| to == addr("192.0.2.8:8001")),
        "{sent:?}"
    );
}

#[test]
fn a_stream_that_moves_under_a_nat_is_reported_to_only_from_where_its_reports_come_next() {
    let start = Instant::now();
    let mut worker = Worker::new(WorkerConfig::default(), start, 9);
    let sdp = addr("10.0.0.7:7000");
    worker.add_leg(
        start,
        A,
        leg_to(sdp, RtcpPath::Separate(addr("10.0.0.7:7001"))),
    );
    let (first, moved) = (addr("203.0.113.4:31000"), addr("203.0.113.4:42000"));
    let mut sequence = 0;
    let mut sent_to = Vec::new();
    let mut now = start;
    // 4 s from the NAT's first mapping (its reports from 31001), then 6 s from a new one.
    while now < start + Duration::from_secs(10) {
        now = worker.poll_timeout().unwrap();
        let source = if now < start + Duration::from_secs(4) {
            first
        } else {
            moved
        };
        let packet = silence(sequence);
        worker.handle_rtp(now, A, source, &packet);
        sequence += 1;
        if sequence == 100 {
            worker.handle_rtcp(
                now,
                A,
                addr("203.0.113.4:31001"),
                &receiver_report(0x77, None),
            );
        }
        worker.handle_timeout(now);
        let reports = drain_all(&mut worker).into_iter().filter(is_rtcp);
        sent_to.extend(reports.map(|t| (now - start, t.destination)));
    }
    // Reports went to the first mapping's RTCP port while the stream came from there, and
    // none after it moved: its RTCP's new port is unknown until it reports again.
    assert!(!sent_to.is_empty(), "{sent_to:?}");
    assert!(
        sent_to
            .iter()
            .all(|&(at, to)| at < Duration::from_secs(4) && to == addr("203.0.113.4:31001")),
        "{sent_to:?}"
    );
}

/// Where one of our reports went, and whether our RTP went to the peer's RTP source by then.
type Reported = (SocketAddr, bool);

/// A leg to a peer at an SDP address not a private one (127.0.0.1:7000, its RTCP at 7001),
/// whose one report comes from `peer_rtcp` at the start, before its RTP, which comes from
/// `rtp_source` from 10 s on, for 10 s: where our reports went, and where our RTP went last.
fn reported_to_after_an_early_report(
    peer_rtcp: SocketAddr,
    rtp_source: SocketAddr,
) -> (Vec<Reported>, SocketAddr) {
    let start = Instant::now();
    let sdp = addr("127.0.0.1:7000");
    let mut worker = one_leg(start, 9, sdp, RtcpPath::Separate(addr("127.0.0.1:7001")));
    worker.handle_rtcp(start, A, peer_rtcp, &receiver_report(0x77, None));
    assert_eq!(worker.stats().rtcp_received, 1);
    let (mut reported, mut rtp_to) = (Vec::new(), sdp);
    for tick in 0..1000_u16 {
        let now = worker.next_tick();
        if let Some(sequence) = tick.checked_sub(500) {
            worker.handle_rtp(now, A, rtp_source, &silence(sequence));
        }
        worker.handle_timeout(now);
        let (reports, rtp): (Vec<_>, Vec<_>) =
            drain_all(&mut worker).into_iter().partition(is_rtcp);
        if let Some(last) = rtp.last() {
            rtp_to = last.destination;
        }
        let latched = rtp_to == rtp_source;
        reported.extend(reports.iter().map(|report| (report.destination, latched)));
    }
    (reported, rtp_to)
}

/// Of `reported`, where those sent before our RTP went to the peer's RTP source went, and where
/// those sent after.
fn before_and_after_the_latch(reported: &[Reported]) -> [Vec<SocketAddr>; 2] {
    [false, true].map(|latched| {
        reported
            .iter()
            .filter(|&&(_, then)| then == latched)
            .map(|&(to, _)| to)
            .collect()
    })
}

#[test]
fn a_report_from_the_sdp_rtcp_address_before_the_rtp_latched_keeps_ours_going_there() {
    let sdp_rtcp = addr("127.0.0.1:7001");
    // Its RTP from another port, latched after the grace; or from its SDP address in the
    // IPv6-mapped form a dual-stack socket sees, latched at once.
    for rtp_source in [addr("127.0.0.1:40001"), addr("[::ffff:127.0.0.1]:7000")] {
        let (reported, rtp_to) = reported_to_after_an_early_report(sdp_rtcp, rtp_source);
        assert_eq!(rtp_to, rtp_source);
        // Our reports go where its came from, with no report of its since the latch.
        for sent in before_and_after_the_latch(&reported) {
            assert!(
                !sent.is_empty() && sent.iter().all(|&to| to == sdp_rtcp),
                "{rtp_source}: {reported:?}"
            );
        }
    }
}

#[test]
fn a_report_from_another_port_of_the_sdp_host_before_the_peers_stream_is_never_reported_to() {
    // Another party on the peer's IP (behind the same NAT, or the same SBC) that reports
    // before the peer's RTP comes: our reports, which name the peer's stream and how far it
    // got once it comes, never go to it.
    let (elsewhere, sdp_rtcp) = (addr("127.0.0.1:40002"), addr("127.0.0.1:7001"));
    // The peer's RTP from a port of its own, latched after the grace: ours go to the SDP's
    // RTCP address until then, and none after, its RTCP's port on that path being unknown.
    let (reported, rtp_to) = reported_to_after_an_early_report(elsewhere, addr("127.0.0.1:40001"));
    assert_eq!(rtp_to, addr("127.0.0.1:40001"));
    let [before, after] = before_and_after_the_latch(&reported);
    assert!(
        !before.is_empty() && before.iter().all(|&to| to == sdp_rtcp),
        "{reported:?}"
    );
    assert!(after.is_empty(), "{reported:?}");
    // Its RTP from its SDP address, in the IPv6-mapped form: ours go to the SDP's RTCP
    // address throughout.
    let mapped = addr("[::ffff:127.0.0.1]:7000");
    let (reported, _) = reported_to_after_an_early_report(elsewhere, mapped);
    for sent in before_and_after_the_latch(&reported) {
        assert!(
            !sent.is_empty() && sent.iter().all(|&to| to == sdp_rtcp),
            "{reported:?}"
        );
    }
}

#[test]
fn a_stream_that_moves_is_reported_to_anew_though_its_reports_came_from_its_sdp_address() {
    let start = Instant::now();
    let (sdp, sdp_rtcp) = (addr("127.0.0.1:7000"), addr("127.0.0.1:7001"));
    let mut worker = one_leg(start, 9, sdp, RtcpPath::Separate(sdp_rtcp));
    let (moved, moved_rtcp) = (addr("127.0.0.1:40001"), addr("127.0.0.1:40002"));
    let mut reported_to = [const { Vec::new() }; 3];
    // 10 s from its SDP address, its report from its SDP's RTCP address; then its stream goes
    // on from another port (a NAT that mapped it anew, a relay that failed over) for 10 s; then
    // 10 s more, its report from there too.
    for sequence in 0..1500 {
        let now = worker.next_tick();
        let phase = usize::from(sequence / 500);
        let source = if phase == 0 { sdp } else { moved };
        worker.handle_rtp(now, A, source, &silence(sequence));
        match sequence {
            1 => worker.handle_rtcp(now, A, sdp_rtcp, &receiver_report(0x77, None)),
            1000 => worker.handle_rtcp(now, A, moved_rtcp, &receiver_report(0x77, None)),
            _ => {}
        }
        worker.handle_timeout(now);
        let reports = drain_all(&mut worker).into_iter().filter(is_rtcp);
        reported_to[phase].extend(reports.map(|report| report.destination));
    }
    let [at_sdp, moved_unreported, moved_reported] = reported_to;
    assert!(
        !at_sdp.is_empty() && at_sdp.iter().all(|&to| to == sdp_rtcp),
        "{at_sdp:?}"
    );
    // Its RTCP's port on the new path is unknown until it reports from there.
    assert!(
        !moved_unreported.contains(&sdp_rtcp),
        "{moved_unreported:?}"
    );
    assert!(
        !moved_reported.is_empty() && moved_reported.iter().all(|&to| to == moved_rtcp),
        "{moved_reported:?}"
    );
}

#[test]
fn a_report_of_the_stream_before_a_re_invite_moved_it_is_not_where_ours_go_after() {
    let start = Instant::now();
    let (sdp, sdp_rtcp) = (addr("127.0.0.1:20000"), addr("127.0.0.1:20001"));
    let mut worker = one_leg(start, 9, sdp, RtcpPath::Separate(sdp_rtcp));
    let (moved, moved_rtcp) = (addr("127.0.0.1:20002"), addr("127.0.0.1:20003"));
    // 5 s of the peer's stream from its SDP address; then a re-INVITE moves it to another port
    // of the same host (an SBC that failed over), and the old stream's last report comes from
    // its old RTCP port under its old SSRC before the new stream's first packet; then 10 s of
    // the new stream, which never reports.
    let (mut ours, mut reported_after_the_move) = (None, Vec::new());
    for tick in 0..1500_u16 {
        let now = worker.next_tick();
        if let (500, Some(ours)) = (tick, ours) {
            worker.update_leg(now, A, leg_to(moved, RtcpPath::Separate(moved_rtcp)));
            let on_ours = ReportBlock::builder(ours).cumulative_lost(1);
            worker.handle_rtcp(now, A, sdp_rtcp, &receiver_report(0x77, Some(on_ours)));
        }
        match tick {
            0..500 => worker.handle_rtp(now, A, sdp, &silence(tick)),
            _ => {
                let packet = rtp(0, tick, u32::from(tick) * 160, 0x88, false, &[0xFF; 160]);
                worker.handle_rtp(now, A, moved, &packet);
            }
        }
        worker.handle_timeout(now);
        let (reports, rtp): (Vec<_>, Vec<_>) =
            drain_all(&mut worker).into_iter().partition(is_rtcp);
        ours = ours.or(rtp.first().map(|packet| header(packet).2));
        if tick >= 500 {
            reported_after_the_move.extend(reports.iter().map(|report| report.destination));
        }
    }
    assert_eq!(worker.quality(A).unwrap().peer.unwrap().cumulative_lost, 1);
    // The old stream's SSRC signs no path since the move: ours go to the new SDP's RTCP address.
    assert!(
        !reported_after_the_move.is_empty()
            && reported_after_the_move.iter().all(|&to| to == moved_rtcp),
        "{reported_after_the_move:?}"
    );
}

#[test]
fn a_hold_with_no_address_keeps_where_the_peers_reports_come_from() {
    let start = Instant::now();
    let (sdp, sdp_rtcp) = (addr("10.0.0.7:7000"), addr("10.0.0.7:7001"));
    let mut worker = one_leg(start, 9, sdp, RtcpPath::Separate(sdp_rtcp));
    let (nat, nat_rtcp) = (addr("203.0.113.4:31000"), addr("203.0.113.4:31001"));
    let held = |address: SocketAddr| SocketAddr::new([0, 0, 0, 0].into(), address.port());
    // 10 s of the peer's stream from a NAT's address, its report from the NAT's port for its
    // RTCP after a second; then a hold with c=0.0.0.0 (RFC 3264 §8.4) for 2 s, and a resume
    // with its addresses as before, its stream going on from its mapping for 10 s with no
    // report; then another such hold, and a resume whose `a=rtcp` names another port.
    let mut reported_to = [const { Vec::new() }; 3];
    for tick in 0..1700_u16 {
        let now = worker.next_tick();
        let on_hold = [500..600, 1100..1200]
            .iter()
            .any(|hold| hold.contains(&tick));
        match tick {
            50 => worker.handle_rtcp(now, A, nat_rtcp, &receiver_report(0x77, None)),
            500 | 1100 => {
                let rtcp = RtcpPath::Separate(held(sdp_rtcp));
                worker.update_leg(now, A, leg_to(held(sdp), rtcp));
            }
            600 => worker.update_leg(now, A, leg_to(sdp, RtcpPath::Separate(sdp_rtcp))),
            1200 => {
                let rtcp = RtcpPath::Separate(addr("10.0.0.7:7003"));
                worker.update_leg(now, A, leg_to(sdp, rtcp));
            }
            _ => {}
        }
        if !on_hold {
            worker.handle_rtp(now, A, nat, &silence(tick));
        }
        worker.handle_timeout(now);
        let reports = drain_all(&mut worker).into_iter().filter(is_rtcp);
        let sent: Vec<_> = reports.map(|report| report.destination).collect();
        assert!(!on_hold || sent.is_empty(), "{tick}: {sent:?}");
        reported_to[usize::from(tick / 600)].extend(sent);
    }
    let [before, resumed, rtcp_moved] = reported_to;
    for sent in [before, resumed] {
        assert!(
            !sent.is_empty() && sent.iter().all(|&to| to == nat_rtcp),
            "{sent:?}"
        );
    }
    // Its RTCP moved: none goes until its next report says where the NAT maps it.
    assert!(rtcp_moved.is_empty(), "{rtcp_moved:?}");
}

/// A sender report of `ssrc`'s at NTP time `ntp`, with a block on `about`.
fn sender_report(ssrc: u32, ntp: u64, about: u32) -> Vec<u8> {
    let report = SenderReport::builder(ssrc)
        .ntp_timestamp(ntp)
        .add_report_block(ReportBlock::builder(about));
    let mut packet = vec![0; report.calculate_size().unwrap()];
    report.write_into(&mut packet).unwrap();
    packet
}

/// The LSR of the first block of the worker's next report.
fn next_lsr(worker: &mut Worker) -> u32 {
    for _ in 0..500 {
        let now = worker.poll_timeout().unwrap();
        worker.handle_timeout(now);
        if let Some(report) = drain_all(worker).into_iter().find(is_rtcp) {
            return read_first_block(&report.payload, |block| {
                block.last_sender_report_timestamp()
            })
            .expect("a block on the peer's stream");
        }
    }
    panic!("no report in 10 s");
}

#[test]
fn only_the_peer_streams_own_sender_report_is_named_in_our_blocks() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let mut worker = one_leg(start, 9, peer, RtcpPath::Separate(addr("192.0.2.5:7001")));
    worker.handle_rtp(start, A, peer, &silence(1));
    let ours = header(&tick(&mut worker)[0]).2;
    // A relay's sender report, with a block on ours: taken, but its NTP time is not the
    // stream's.
    let relay_ntp = 0x1111_2222_3333_4444;
    worker.handle_rtcp(
        start,
        A,
        addr("192.0.2.5:7001"),
        &sender_report(0x78, relay_ntp, ours),
    );
    assert_eq!(worker.stats().rtcp_received, 1);
    worker.handle_rtp(start, A, peer, &silence(2));
    assert_eq!(next_lsr(&mut worker), 0);
    // The stream's own: its middle 32 bits are our next block's LSR.
    let now = worker.poll_timeout().unwrap();
    worker.handle_rtcp(
        now,
        A,
        addr("192.0.2.5:7001"),
        &sender_report(0x77, 0x0000_5555_6666_0000, ours),
    );
    worker.handle_rtp(now, A, peer, &silence(3));
    assert_eq!(next_lsr(&mut worker), 0x5555_6666);
}

#[test]
fn a_report_received_before_the_latest_rtp_does_not_bring_the_timeout_forward() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let mut worker = timing_out_in_2_s(start, peer);
    let mut timed_out_at = None;
    for sequence in 0..500u16 {
        let now = worker.poll_timeout().unwrap();
        // RTP for 5 s; then, read late, a report the system took in at 1 s.
        if now < start + Duration::from_secs(5) {
            worker.handle_rtp(now, A, peer, &silence(sequence));
        } else if timed_out_at.is_none() && sequence == 250 {
            let received = start + Duration::from_secs(1);
            worker.handle_rtcp(
                received,
                A,
                addr("192.0.2.5:7001"),
                &receiver_report(0x77, None),
            );
        }
        worker.handle_timeout(now);
        drain_all(&mut worker);
        if events(&mut worker).contains(&MediaEvent::RtpTimeout { leg: A }) {
            timed_out_at = Some(now - start);
            break;
        }
    }
    // 2 s after the last RTP, not after the report.
    let at = timed_out_at.expect("the leg timed out");
    assert!(at >= Duration::from_millis(6_900), "{at:?}");
}

/// The peer's PCMU packet `sequence` of stream `ssrc`, stamped `timestamp`: silence.
fn audio(ssrc: u32, sequence: u16, timestamp: u32) -> Vec<u8> {
    rtp(0, sequence, timestamp, ssrc, false, &[0xFF; 160])
}

/// The SSRC our next report's block is on.
fn next_block_ssrc(worker: &mut Worker) -> u32 {
    for _ in 0..500 {
        let now = worker.poll_timeout().unwrap();
        worker.handle_timeout(now);
        if let Some(report) = drain_all(worker).into_iter().find(is_rtcp) {
            return read_first_block(&report.payload, |block| block.ssrc())
                .expect("a block on the peer's stream");
        }
    }
    panic!("no report in 10 s");
}

#[test]
fn what_a_leg_received_is_of_the_audio_stream_alone() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let mut worker = one_leg(start, 9, peer, RtcpPath::Separate(addr("192.0.2.5:7001")));
    let send = |worker: &mut Worker, packet: &[u8]| {
        let now = worker.next_tick() - Duration::from_millis(5);
        worker.handle_rtp(now, A, peer, packet);
    };
    // 50 packets of audio under 0x77, a key pressed meanwhile as RFC 4733 events under an
    // SSRC of their own (RFC 4733 §2.5.1.1 allows it).
    for i in 0..50u16 {
        send(&mut worker, &audio(0x77, i, u32::from(i) * 160));
        if (10..18).contains(&i) {
            let event = [5, if i == 17 { 0x8A } else { 0x0A }, 0, 160];
            send(&mut worker, &rtp(101, 900 + i, 1600, 0x99, i == 10, &event));
        }
        tick(&mut worker);
    }
    assert_eq!(worker.quality(A).unwrap().received, 50);
    // The peer goes on under 0x88; one of 0x77's packets, held up on the way, comes after
    // its first three.
    for i in 0..50u16 {
        send(
            &mut worker,
            &audio(0x88, 3000 + i, 40_000 + u32::from(i) * 160),
        );
        if i == 2 {
            send(&mut worker, &audio(0x77, 50, 8000));
        }
        tick(&mut worker);
    }
    // The leg's figures are of both streams, the straggler in neither.
    let quality = worker.quality(A).unwrap();
    assert_eq!((quality.received, quality.lost), (100, 0), "{quality:?}");
    assert_eq!(next_block_ssrc(&mut worker), 0x88);
}

/// A second of the peer's `codec` stream under 0x77, and amid it one packet of the audio's
/// payload type under 0x99 that carries no audio the leg plays (`stray`): what the leg counts
/// received and lost, and the SSRC its next report's block is on.
fn received_around_a_stray(codec: Codec, stray: &[u8]) -> (u32, i64, u32) {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let mut worker = Worker::new(WorkerConfig::default(), start, 9);
    let rtcp = RtcpPath::Separate(addr("192.0.2.5:7001"));
    worker.add_leg(start, A, codec_leg_to(codec, peer, rtcp));
    let mut stream = TonePeer::new(A, codec, 440.0);
    (stream.ssrc, stream.source) = (0x77, peer);
    for i in 0..50 {
        if i == 25 {
            let now = worker.next_tick() - Duration::from_millis(5);
            let packet = rtp(codec.payload_type(), 7, 0, 0x99, false, stray);
            worker.handle_rtp(now, A, peer, &packet);
        }
        stream.send(&mut worker, Duration::from_millis(1));
        tick(&mut worker);
    }
    let quality = worker.quality(A).unwrap();
    (quality.received, quality.lost, next_block_ssrc(&mut worker))
}

#[test]
fn a_keepalive_or_undecodable_packet_under_another_ssrc_is_not_of_the_stream() {
    // RFC 6263 keepalives (no payload), and an Opus packet whose framing is invalid (code 3
    // without its frame count): the jitter buffer takes neither, nor does what we report.
    let strays = [
        (Codec::Pcmu, &[][..]),
        (Codec::Opus, &[][..]),
        (Codec::Opus, &[0x03][..]),
    ];
    let counted = strays.map(|(codec, stray)| received_around_a_stray(codec, stray));
    assert_eq!(counted, [(50, 0, 0x77); 3]);
}

#[test]
fn a_timestamp_jump_is_no_jitter_in_what_a_leg_received() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let mut worker = one_leg(start, 9, peer, RtcpPath::Separate(addr("192.0.2.5:7001")));
    // Steady packets whose timestamps jump 10 s ahead at the 100th (a source switched behind
    // the same SSRC by a relay).
    for i in 0..110u16 {
        let jump = if i < 100 { 0 } else { 80_000 };
        let now = worker.next_tick() - Duration::from_millis(5);
        worker.handle_rtp(now, A, peer, &audio(0x77, i, u32::from(i) * 160 + jump));
        tick(&mut worker);
    }
    let quality = worker.quality(A).unwrap();
    assert_eq!(quality.jitter, Duration::ZERO, "{quality:?}");
}

#[test]
fn a_sender_report_is_named_only_in_blocks_on_its_own_stream() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let peer_rtcp = addr("192.0.2.5:7001");
    let mut worker = one_leg(start, 9, peer, RtcpPath::Separate(peer_rtcp));
    // Before the peer's RTP, a relay's sender report: taken, as any report from the peer's host.
    worker.handle_rtcp(
        start,
        A,
        peer_rtcp,
        &sender_report(0x78, 0x0000_1111_2222_0000, 0),
    );
    assert_eq!(worker.stats().rtcp_received, 1);
    worker.handle_rtp(start, A, peer, &silence(1));
    assert_eq!(next_lsr(&mut worker), 0, "not the relay's");
    // The stream's own.
    let now = worker.poll_timeout().unwrap();
    worker.handle_rtcp(
        now,
        A,
        peer_rtcp,
        &sender_report(0x77, 0x0000_5555_6666_0000, 0),
    );
    worker.handle_rtp(now, A, peer, &silence(2));
    assert_eq!(next_lsr(&mut worker), 0x5555_6666);
    // The peer's stream goes on under a new SSRC: its sender reports are still to come.
    let now = worker.poll_timeout().unwrap();
    worker.handle_rtp(now, A, peer, &audio(0x88, 500, 80_000));
    assert_eq!(next_block_ssrc(&mut worker), 0x88);
    worker.handle_rtp(now, A, peer, &audio(0x88, 501, 80_160));
    assert_eq!(next_lsr(&mut worker), 0, "not the old stream's");
}

/// The NTP and RTP timestamps of the sender reports a worker's leg A of `codec`, sending
/// packets of `ptime_ms`, makes in `seconds`.
fn sender_report_times(codec: Codec, ptime_ms: u32, seconds: u64) -> Vec<(u64, u32)> {
    let start = Instant::now();
    let mut worker = Worker::new(WorkerConfig::default(), start, 5);
    let mut params = codec_leg_to(
        codec,
        addr("192.0.2.5:7000"),
        RtcpPath::Separate(addr("192.0.2.5:7001")),
    );
    params.ptime_ms = ptime_ms;
    worker.add_leg(start, A, params);
    let mut times = Vec::new();
    while worker.next_tick() < start + Duration::from_secs(seconds) {
        let now = worker.poll_timeout().unwrap();
        worker.handle_timeout(now);
        for report in drain_all(&mut worker).into_iter().filter(is_rtcp) {
            if let Some(Ok(Packet::Sr(report))) = Compound::parse(&report.payload).unwrap().next() {
                times.push((report.ntp_timestamp(), report.rtp_timestamp()));
            }
        }
    }
    times
}

#[test]
fn a_sender_report_pairs_its_ntp_time_with_the_same_instant_on_the_rtp_clock_at_any_ptime() {
    for (codec, ptime_ms) in [
        (Codec::Pcmu, 20),
        (Codec::Pcmu, 40),
        (Codec::Pcmu, 60),
        (Codec::Opus, 60),
    ] {
        let times = sender_report_times(codec, ptime_ms, 50);
        assert!(times.len() > 6, "{codec:?} {ptime_ms} ms: {times:?}");
        let (ntp_0, rtp_0) = times[0];
        let rate = f64::from(codec.clock_rate());
        // Each report's RTP time, less the first's, is its NTP time less the first's: the
        // reports land at random ticks, in every phase of the packets.
        for &(ntp, rtp) in &times[1..] {
            let ntp_elapsed = (ntp - ntp_0) as f64 / 2f64.powi(32);
            let rtp_elapsed = f64::from(rtp.wrapping_sub(rtp_0)) / rate;
            let off = (rtp_elapsed - ntp_elapsed).abs();
            assert!(
                off < 0.000_1,
                "{codec:?} {ptime_ms} ms: {:.1} ms apart",
                off * 1000.0
            );
        }
    }
}

/// The peer's receiver report with a block on our stream `ours`: the highest sequence number
/// it got, extended, and how many it lost in all.
fn report_on(ours: u32, extended_highest: u32, cumulative_lost: u32) -> Vec<u8> {
    let block = ReportBlock::builder(ours)
        .extended_sequence_number(extended_highest)
        .cumulative_lost(cumulative_lost);
    receiver_report(0x77, Some(block))
}

/// Ticks `worker` `ticks` times; the RTP packets it sent.
fn send(worker: &mut Worker, ticks: usize) -> Vec<MediaTransmit> {
    (0..ticks).flat_map(|_| tick(worker)).collect()
}

#[test]
fn the_peer_reports_expecting_no_more_of_our_packets_than_we_sent() {
    let start = Instant::now();
    let peer = addr("192.0.2.5:7000");
    let peer_rtcp = addr("192.0.2.5:7001");
    let mut worker = one_leg(start, 9, peer, RtcpPath::Separate(peer_rtcp));
    let first = send(&mut worker, 1);
    let ours = header(&first[0]).2;
    let base = 40_000;
    worker.handle_rtcp(start, A, peer_rtcp, &report_on(ours, base, 0));

    // An honest report counts exactly.
    let sent = first.len() + send(&mut worker, 49).len();
    assert_eq!(sent, 50);
    worker.handle_rtcp(start, A, peer_rtcp, &report_on(ours, base + 50, 5));
    let stats = worker.stats();
    assert_eq!(stats.rtcp_received, 2);
    assert_eq!(
        (stats.peer_reported_expected, stats.peer_reported_lost),
        (50, 5)
    );

    // A jump of 2^31 - 1 and a loss of 2^23 - 1: no more than the 10 packets sent since.
    assert_eq!(send(&mut worker, 10).len(), 10);
    let lied = base + 50 + 0x7FFF_FFFF;
    worker.handle_rtcp(start, A, peer_rtcp, &report_on(ours, lied, 0x7F_FFFF));
    let stats = worker.stats();
    assert_eq!(
        (stats.peer_reported_expected, stats.peer_reported_lost),
        (60, 15)
    );

    // Nothing sent since: another jump adds nothing.
    let again = report_on(ours, lied.wrapping_add(0x7FFF_FFFF), 0x7F_FFFF);
    worker.handle_rtcp(start, A, peer_rtcp, &again);
    let stats = worker.stats();
    assert_eq!(stats.rtcp_received, 4);
    assert_eq!(
        (stats.peer_reported_expected, stats.peer_reported_lost),
        (60, 15)
    );

    // A new stream (Opus's 48 kHz clock) counts its own packets alone.
    let rtcp = RtcpPath::Separate(peer_rtcp);
    worker.update_leg(worker.next_tick(), A, codec_leg_to(Codec::Opus, peer, rtcp));
    let first = send(&mut worker, 1);
    let ours = header(&first[0]).2;
    worker.handle_rtcp(start, A, peer_rtcp, &report_on(ours, base, 0));
    assert_eq!(send(&mut worker, 4).len(), 4);
    let lie = report_on(ours, base + 0x7FFF_FFFF, 0x7F_FFFF);
    worker.handle_rtcp(start, A, peer_rtcp, &lie);
    let stats = worker.stats();
    assert_eq!(stats.rtcp_received, 6);
    assert_eq!(
        (stats.peer_reported_expected, stats.peer_reported_lost),
        (65, 20)
    );
}

/// The peer's RTCP address in the tests of its loss counts; its RTP is at 192.0.2.5:7000.
const PEER_RTCP: &str = "192.0.2.5:7001";
/// The extended highest sequence number of the peer's first report in those tests.
const BASE: u32 = 40_000;

/// A worker started at `start` with leg A to the peer (RTCP at [`PEER_RTCP`]) that has sent
/// its first packet; with our stream's SSRC.
fn sending_to_the_peer(start: Instant) -> (Worker, u32) {
    let rtcp = RtcpPath::Separate(addr(PEER_RTCP));
    let mut worker = one_leg(start, 9, addr("192.0.2.5:7000"), rtcp);
    let ours = header(&send(&mut worker, 1)[0]).2;
    (worker, ours)
}

/// [`sending_to_the_peer`], having taken the peer's first report on our stream: at [`BASE`],
/// none lost.
fn reported_on_once(start: Instant) -> (Worker, u32) {
    let (mut worker, ours) = sending_to_the_peer(start);
    worker.handle_rtcp(start, A, addr(PEER_RTCP), &report_on(ours, BASE, 0));
    (worker, ours)
}

/// Sends 10 packets of leg A's on `worker`, then takes `report` from `peer_rtcp`.
fn ten_then(worker: &mut Worker, peer_rtcp: SocketAddr, report: &[u8]) {
    assert_eq!(send(worker, 10).len(), 10);
    worker.handle_rtcp(worker.next_tick(), A, peer_rtcp, report);
}

/// [`ten_then`] for each `(highest, lost)` of `reports`: the peer's report on `ours`, from
/// `peer_rtcp`, at `highest` past [`BASE`] with `lost` lost in all.
fn ten_then_each(worker: &mut Worker, peer_rtcp: SocketAddr, ours: u32, reports: &[(u32, u32)]) {
    for &(highest, lost) in reports {
        ten_then(worker, peer_rtcp, &report_on(ours, BASE + highest, lost));
    }
}

/// Leg A's packets its peers reported expected and lost on `worker`.
fn peer_reported(worker: &Worker) -> (u64, u64) {
    let stats = worker.stats();
    (stats.peer_reported_expected, stats.peer_reported_lost)
}

/// Asserts that `worker` took `received` RTCP packets and that leg A's peers reported
/// `expected_and_lost` of its packets.
#[track_caller]
fn assert_reported(worker: &Worker, received: u64, expected_and_lost: (u64, u64)) {
    assert_eq!(worker.stats().rtcp_received, received);
    assert_eq!(peer_reported(worker), expected_and_lost);
}

#[test]
fn a_peer_s_loss_count_that_dips_and_rises_again_counts_each_packet_lost_once() {
    let start = Instant::now();
    let peer_rtcp = addr(PEER_RTCP);
    let (mut worker, ours) = sending_to_the_peer(start);
    worker.handle_rtcp(start, A, peer_rtcp, &report_on(ours, BASE, 10));
    // RFC 3550 §6.4.1: duplicates lower the count (10 to 8), later packets offset them (back
    // to 10), and 2 more are lost (12): 2 lost since the first report, not 4.
    for (step, cumulative_lost) in [8, 10, 12].into_iter().enumerate() {
        assert_eq!(send(&mut worker, 10).len(), 10);
        let highest = BASE + 10 * (step as u32 + 1);
        worker.handle_rtcp(
            start,
            A,
            peer_rtcp,
            &report_on(ours, highest, cumulative_lost),
        );
    }
    assert_reported(&worker, 4, (30, 2));
}

#[test]
fn a_peer_moved_by_a_re_negotiation_counts_our_packets_lost_from_its_own_first_report() {
    let start = Instant::now();
    let old_rtcp = addr(PEER_RTCP);
    let (mut worker, ours) = reported_on_once(start);
    ten_then(&mut worker, old_rtcp, &report_on(ours, BASE + 10, 8));
    assert_eq!(peer_reported(&worker), (10, 8));

    // The same codec: our stream carries on under its SSRC, to an endpoint that reports under
    // the same SSRC as the one before (an SBC in front of both), counting from 2.
    let new_rtcp = addr("192.0.2.9:7001");
    let moved = leg_to(addr("192.0.2.9:7000"), RtcpPath::Separate(new_rtcp));
    worker.update_leg(worker.next_tick(), A, moved);
    ten_then_each(&mut worker, new_rtcp, ours, &[(20, 2), (30, 7), (40, 12)]);
    // Its first report starts its count: 5 and 5 lost of its next 20, not 4 of 30 (what rose
    // above the old endpoint's 8).
    assert_reported(&worker, 5, (30, 18));
}

#[test]
fn a_report_under_another_ssrc_counts_our_packets_lost_from_its_own_first_report() {
    let start = Instant::now();
    let peer_rtcp = addr(PEER_RTCP);
    // The first report comes from 0x77, as `report_on`'s.
    let (mut worker, ours) = reported_on_once(start);
    let report_from = |reporter: u32, extended_highest: u32, cumulative_lost: u32| {
        let block = ReportBlock::builder(ours)
            .extended_sequence_number(extended_highest)
            .cumulative_lost(cumulative_lost);
        receiver_report(reporter, Some(block))
    };
    ten_then(&mut worker, peer_rtcp, &report_from(0x77, BASE + 10, 8));
    // A relay takes over the reports, its count from 2.
    for (highest, lost) in [(20, 2), (30, 7), (40, 12)] {
        ten_then(
            &mut worker,
            peer_rtcp,
            &report_from(0x99, BASE + highest, lost),
        );
    }
    assert_reported(&worker, 5, (30, 18));
}

#[test]
fn after_a_bogus_loss_count_the_peer_s_honest_ones_count_again() {
    let start = Instant::now();
    let peer_rtcp = addr(PEER_RTCP);
    let (mut worker, ours) = reported_on_once(start);
    // A loss of 2^23 - 1 costs one interval, capped at its 10 packets.
    ten_then_each(&mut worker, peer_rtcp, ours, &[(10, 2), (20, 0x7F_FFFF)]);
    assert_eq!(peer_reported(&worker), (20, 12));
    // Back to the honest count: more than its 10 packets' duplicates could take off, so it
    // counts from there: 2 and 1 lost.
    ten_then_each(&mut worker, peer_rtcp, ours, &[(30, 3), (40, 5), (50, 6)]);
    assert_reported(&worker, 6, (50, 15));
}

#[test]
fn a_peer_s_loss_across_a_move_of_its_stream_under_a_nat_is_counted() {
    let start = Instant::now();
    let peer_rtcp = addr(PEER_RTCP);
    let (mut worker, ours) = sending_to_the_peer(start);
    worker.handle_rtp(worker.next_tick(), A, addr("192.0.2.5:7000"), &silence(0));
    worker.handle_rtcp(start, A, peer_rtcp, &report_on(ours, BASE, 0));
    ten_then(&mut worker, peer_rtcp, &report_on(ours, BASE + 10, 2));
    // The NAT maps the peer anew: its stream goes on from another port, its reports too.
    let (moved, moved_rtcp) = (addr("192.0.2.5:31000"), addr("192.0.2.5:31001"));
    worker.handle_rtp(worker.next_tick(), A, moved, &silence(1));
    ten_then_each(&mut worker, moved_rtcp, ours, &[(20, 5), (30, 6)]);
    // The same peer, counting on: 3 lost of the 10 across the move, then 1.
    assert_reported(&worker, 4, (30, 6));
}

#[test]
fn a_report_overtaken_by_a_later_one_counts_no_loss_twice() {
    let start = Instant::now();
    let peer_rtcp = addr(PEER_RTCP);
    let (mut worker, ours) = reported_on_once(start);
    assert_eq!(send(&mut worker, 10).len(), 10);
    // The report at 20 comes before the one at 10, written earlier.
    ten_then(&mut worker, peer_rtcp, &report_on(ours, BASE + 20, 8));
    worker.handle_rtcp(start, A, peer_rtcp, &report_on(ours, BASE + 10, 5));
    assert_eq!(peer_reported(&worker), (20, 8));
    ten_then(&mut worker, peer_rtcp, &report_on(ours, BASE + 30, 9));
    assert_reported(&worker, 4, (30, 9));
}
