//! Symmetric RTP on virtual time: a leg takes packets from the source it latched onto only, and
//! sends its own there.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use rtcp_types::ReportBlock;
use switchyard_media::{
    Codec, FRAME_LEN, LATCH_GRACE, LegId, LegParams, MediaDirection, MediaEvent, RoomId, RtcpPath,
    Worker,
};

const A: LegId = LegId(1);
const B: LegId = LegId(2);
const LEAD: Duration = Duration::from_millis(1);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn room_of_two() -> Worker {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    worker
}

/// Sends `peer`'s next packet, `lead` before the next tick, from `source`.
fn send_from(worker: &mut Worker, peer: &mut TonePeer, source: SocketAddr) {
    peer.source = source;
    peer.send(worker, LEAD);
}

/// A re-INVITE of A's peer whose SDP names `remote`, taken at the next tick.
fn move_a_to(worker: &mut Worker, remote: SocketAddr) {
    let now = worker.next_tick();
    worker.update_leg(
        now,
        A,
        LegParams {
            remote,
            ..params(Codec::Pcmu, 0)
        },
    );
}

/// A's peer `peer`, latched at its SDP address after 10 packets.
fn latched_at_sdp(worker: &mut Worker, peer: &mut TonePeer) {
    for _ in 0..10 {
        send_from(worker, peer, sdp_addr(A));
        tick(worker);
    }
}

#[test]
fn packets_from_anyone_but_the_latched_sdp_source_are_dropped_and_never_heard() {
    let mut worker = room_of_two();
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    // Two injectors: another port of the peer's address, and another address with its port.
    let mut other_port = TonePeer::new(A, Codec::Pcmu, 2500.0);
    other_port.ssrc = 0xBAD;
    let mut other_host = TonePeer::new(A, Codec::Pcmu, 2500.0);
    other_host.ssrc = 0xBAD;
    let mut b_heard = Vec::new();
    for k in 0..50u16 {
        // The injectors even come first.
        send_from(&mut worker, &mut other_port, addr("127.0.0.1:6666"));
        send_from(&mut worker, &mut other_host, addr("198.51.100.7:5001"));
        let press = rtp(101, k, 0, 0xD7, k == 0, &[5, 10, 0, 160]);
        let now = worker.next_tick() - LEAD;
        worker.handle_rtp(now, A, addr("127.0.0.1:6666"), &press);
        peer.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
        assert!(
            sent_by(&out, A)
                .iter()
                .all(|t| t.destination == sdp_addr(A))
        );
    }
    let settled = &b_heard[4 * FRAME_LEN..];
    assert!(goertzel(settled, 1000.0, 8000.0) > 4000.0, "B hears A");
    assert!(
        goertzel(settled, 2500.0, 8000.0) < 50.0,
        "B hears nothing injected"
    );
    assert!(
        !events(&mut worker)
            .iter()
            .any(|e| matches!(e, MediaEvent::Dtmf { .. })),
        "no injected key press"
    );
    let stats = worker.stats();
    assert_eq!(stats.foreign_source_dropped, 150);
    assert_eq!(stats.packets_received, 50);
    assert_eq!(stats.jitter.received, 50);
}

#[test]
fn the_latched_stream_going_on_from_another_source_is_followed_there() {
    let mut worker = room_of_two();
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    for _ in 0..20 {
        send_from(&mut worker, &mut peer, sdp_addr(A));
        tick(&mut worker);
    }
    // The peer's NAT maps its stream anew, with no re-INVITE; an injector sends from a third
    // place with a stream of its own.
    let moved = addr("203.0.113.9:31000");
    let mut injector = TonePeer::new(A, Codec::Pcmu, 2500.0);
    injector.ssrc = 0xBAD;
    let (mut b_heard, mut destinations) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        send_from(&mut worker, &mut injector, addr("198.51.100.7:5001"));
        send_from(&mut worker, &mut peer, moved);
        let out = tick(&mut worker);
        destinations.push(sent_by(&out, A)[0].destination);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert!(destinations.iter().all(|&d| d == moved), "{destinations:?}");
    assert_eq!(worker.stats().foreign_source_dropped, 30, "the injector's");
    assert!(goertzel(&b_heard[10 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0);
    assert!(goertzel(&b_heard, 2500.0, 8000.0) < 50.0);
}

#[test]
fn a_peer_behind_a_nat_is_latched_onto_after_the_grace_and_answered_there() {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 7);
    let private = addr("10.0.0.5:4000");
    let public = addr("203.0.113.9:31000");
    worker.add_leg(
        start,
        A,
        LegParams {
            remote: private,
            ..params(Codec::Pcmu, 0)
        },
    );
    worker.add_leg(start, B, params(Codec::Pcmu, sdp_addr(B).port()));
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let grace_packets = (LATCH_GRACE.as_millis() / TICK.as_millis()) as usize;
    let mut destinations = Vec::new();
    let mut b_heard = Vec::new();
    for _ in 0..50 {
        send_from(&mut worker, &mut peer, public);
        let out = tick(&mut worker);
        destinations.push(sent_by(&out, A)[0].destination);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    // Packets 0..grace arrive within the grace and are dropped; the next one latches.
    assert_eq!(
        worker.stats().foreign_source_dropped,
        grace_packets as u64,
        "only the packets within the grace are dropped"
    );
    assert!(destinations[..grace_packets].iter().all(|&d| d == private));
    assert!(
        destinations[grace_packets..].iter().all(|&d| d == public),
        "replies go where the packets come from"
    );
    assert!(goertzel(&b_heard[10 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0);

    // Latched: nobody else gets in now.
    let mut intruder = TonePeer::new(A, Codec::Pcmu, 2500.0);
    let before = worker.stats().foreign_source_dropped;
    let mut b_heard = Vec::new();
    for _ in 0..30 {
        send_from(&mut worker, &mut intruder, addr("198.51.100.7:5001"));
        send_from(&mut worker, &mut peer, public);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), B)[0]));
    }
    assert_eq!(worker.stats().foreign_source_dropped - before, 30);
    assert!(goertzel(&b_heard, 2500.0, 8000.0) < 50.0);
    assert!(goertzel(&b_heard, 1000.0, 8000.0) > 4000.0);
}

#[test]
fn a_reinvite_with_a_new_address_latches_afresh_and_one_without_keeps_the_latch() {
    let mut worker = room_of_two();
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let nat = addr("203.0.113.9:31000");
    // A's peer is behind a NAT after all: latched onto its public address.
    for _ in 0..10 {
        send_from(&mut worker, &mut peer, nat);
        tick(&mut worker);
    }
    assert_eq!(sent_by(&tick(&mut worker), A)[0].destination, nat);

    // A re-INVITE that only puts A on hold and back keeps the latch.
    let held = LegParams {
        direction: MediaDirection::SendOnly,
        ..params(Codec::Pcmu, sdp_addr(A).port())
    };
    let now = worker.next_tick();
    worker.update_leg(now, A, held);
    worker.update_leg(now, A, params(Codec::Pcmu, sdp_addr(A).port()));
    assert_eq!(sent_by(&tick(&mut worker), A)[0].destination, nat);

    // One with a new address: RTP goes there, and the peer is latched onto afresh.
    let moved = addr("192.0.2.7:40000");
    move_a_to(&mut worker, moved);
    let before = worker.stats().foreign_source_dropped;
    let mut b_heard = Vec::new();
    for _ in 0..40 {
        // The old source lingers; the new one latches at its first packet.
        send_from(&mut worker, &mut TonePeer::new(A, Codec::Pcmu, 2500.0), nat);
        send_from(&mut worker, &mut peer, moved);
        let out = tick(&mut worker);
        assert_eq!(sent_by(&out, A)[0].destination, moved);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert_eq!(worker.stats().foreign_source_dropped - before, 40);
    assert!(goertzel(&b_heard[4 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0);
    assert!(goertzel(&b_heard, 2500.0, 8000.0) < 50.0);
}

#[test]
fn a_prober_that_found_the_port_first_gives_way_to_the_peer_at_its_sdp_address() {
    let mut worker = room_of_two();
    let mut prober = TonePeer::new(A, Codec::Pcmu, 2500.0);
    prober.ssrc = 0xBAD;
    let prober_at = addr("198.51.100.7:5001");
    // The prober sends from before the peer's first packet, and for 3 s (the call rings).
    for _ in 0..150 {
        send_from(&mut worker, &mut prober, prober_at);
        tick(&mut worker);
    }
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let (mut b_heard, mut destinations) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        send_from(&mut worker, &mut prober, prober_at);
        send_from(&mut worker, &mut peer, sdp_addr(A));
        let out = tick(&mut worker);
        destinations.push(sent_by(&out, A)[0].destination);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert!(
        destinations.iter().all(|&d| d == sdp_addr(A)),
        "{destinations:?}"
    );
    assert!(goertzel(&b_heard[4 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0);
    assert!(goertzel(&b_heard[4 * FRAME_LEN..], 2500.0, 8000.0) < 50.0);
}

/// Sends each of `sources`' next packet from its address, then runs the next tick: where A's
/// RTCP reports went.
fn tick_reporting(
    worker: &mut Worker,
    sources: [(&mut TonePeer, SocketAddr); 2],
) -> Vec<SocketAddr> {
    for (peer, source) in sources {
        send_from(worker, peer, source);
    }
    worker.handle_timeout(worker.next_tick());
    drain_all(worker)
        .iter()
        .filter(|transmit| transmit.leg == A && is_rtcp(transmit))
        .map(|transmit| transmit.destination)
        .collect()
}

#[test]
fn our_reports_leave_a_prober_once_the_peer_takes_its_stream_back() {
    let mut worker = room_of_two();
    let mut prober = TonePeer::new(A, Codec::Pcmu, 2500.0);
    prober.ssrc = 0xBAD;
    let prober_at = addr("198.51.100.7:5001");
    // The prober found the port before the peer's first packet and outlasted the grace.
    for _ in 0..10 {
        send_from(&mut worker, &mut prober, prober_at);
        tick(&mut worker);
    }
    // It reports on our stream, which it receives, from its RTCP port: a report the leg takes.
    let ours = header(sent_by(&tick(&mut worker), A)[0]).2;
    let report = receiver_report(0xBAD, Some(ReportBlock::builder(ours)));
    worker.handle_rtcp(worker.next_tick(), A, addr("198.51.100.7:5002"), &report);
    assert_eq!(worker.stats().rtcp_received, 1);

    // The peer's first packet at its SDP address takes the latch back: our reports, which name
    // its stream and how far it got, go to its SDP's RTCP address, not to the prober.
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let mut reported_to = Vec::new();
    for _ in 0..500 {
        let sources = [(&mut prober, prober_at), (&mut peer, sdp_addr(A))];
        reported_to.extend(tick_reporting(&mut worker, sources));
    }
    let peer_rtcp = addr("127.0.0.1:5002");
    assert!(!reported_to.is_empty());
    assert!(
        reported_to.iter().all(|&to| to == peer_rtcp),
        "{reported_to:?}"
    );
}

/// Leg A to a peer behind a NAT (SDP 10.0.0.5:4000, its RTCP by `rtcp`), whose stream comes
/// from its mapping, with a report from the mapping's RTCP port unless RTCP is muxed; then a
/// refresh with the same SDP while the peer is silent: a prober sending all along outlasts the
/// grace, is latched on trial, and reports on our stream, which it receives, every second for
/// 10 s; then the peer's stream comes back from its mapping for 10 s. Where A's reports went
/// while the prober was on trial, and after.
fn reported_to_around_a_prober_on_trial(rtcp: RtcpPath) -> [Vec<SocketAddr>; 2] {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 7);
    let a_params = LegParams {
        remote: addr("10.0.0.5:4000"),
        rtcp,
        ..params(Codec::Pcmu, 0)
    };
    worker.add_leg(start, A, a_params.clone());
    worker.add_leg(start, B, params(Codec::Pcmu, sdp_addr(B).port()));
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    let (nat, nat_rtcp) = (addr("203.0.113.9:31000"), addr("203.0.113.9:31001"));
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    for _ in 0..20 {
        send_from(&mut worker, &mut peer, nat);
        tick(&mut worker);
    }
    let now = worker.next_tick();
    if rtcp != RtcpPath::Muxed {
        worker.handle_rtcp(now, A, nat_rtcp, &receiver_report(peer.ssrc, None));
    }
    worker.update_leg(now, A, a_params);

    let mut prober = TonePeer::new(A, Codec::Pcmu, 2500.0);
    prober.ssrc = 0xBAD;
    let prober_at = addr("198.51.100.7:5001");
    let mut reported_to = [const { Vec::new() }; 2];
    for k in 0..1000 {
        send_from(&mut worker, &mut prober, prober_at);
        if k >= 500 {
            send_from(&mut worker, &mut peer, nat);
        }
        let now = worker.next_tick();
        worker.handle_timeout(now);
        let (reports, rtp): (Vec<_>, Vec<_>) = drain_all(&mut worker)
            .into_iter()
            .filter(|transmit| transmit.leg == A)
            .partition(is_rtcp);
        // The prober is latched once it outlasted the grace, the peer at its first packet.
        if !(0..10).contains(&k) {
            let latched = if k < 500 { prober_at } else { nat };
            assert_eq!(rtp[0].destination, latched, "{k}");
        }
        reported_to[k / 500].extend(reports.iter().map(|report| report.destination));
        if k < 500 && k % 50 == 25 {
            let on_ours = ReportBlock::builder(header(&rtp[0]).2);
            let report = receiver_report(prober.ssrc, Some(on_ours));
            match rtcp {
                RtcpPath::Muxed => worker.handle_rtp(now, A, prober_at, &report),
                RtcpPath::Separate(_) => {
                    worker.handle_rtcp(now, A, addr("198.51.100.7:5002"), &report)
                }
            }
        }
    }
    // The prober's ten reports are taken.
    assert!(worker.stats().rtcp_received >= 10);
    reported_to
}

/// Asserts that of [`reported_to_around_a_prober_on_trial`] with `rtcp`, no report went while
/// the prober was on trial, and all after went to `peer_rtcp`: the peer's own mapping took the
/// latch back.
fn assert_none_reported_on_trial(rtcp: RtcpPath, peer_rtcp: SocketAddr) {
    let [on_trial, after] = reported_to_around_a_prober_on_trial(rtcp);
    assert!(on_trial.is_empty(), "{on_trial:?}");
    assert!(
        !after.is_empty() && after.iter().all(|&to| to == peer_rtcp),
        "{after:?}"
    );
}

#[test]
fn no_report_goes_to_a_prober_latched_on_trial_with_rtcp_muxed() {
    assert_none_reported_on_trial(RtcpPath::Muxed, addr("203.0.113.9:31000"));
}

#[test]
fn no_report_goes_to_a_prober_latched_on_trial_that_reports_on_our_stream() {
    let rtcp = RtcpPath::Separate(addr("10.0.0.5:4001"));
    assert_none_reported_on_trial(rtcp, addr("203.0.113.9:31001"));
}

/// Leg A to a peer behind a carrier-grade NAT (SDP 10.0.0.5:4000, its RTCP at 10.0.0.5:4001),
/// whose stream comes from its mapping 203.0.113.9:31000 and whose one report, 200 ms in, from
/// 203.0.113.9:31001. A refresh while the peer is silent lets a prober behind the
/// same NAT (203.0.113.9:40000), sending all along, be latched on trial for a second: it hears
/// our stream, so knows its SSRC. Then a second refresh, the prober's RTP stopping; at tick
/// `prober_reports_at` the prober reports on our stream under its own SSRC from 40001; from
/// 200 ms after the second refresh, the peer's stream goes on from its mapping for 10 s. Where
/// A's reports went from the second refresh on.
fn reported_to_with_a_prober_behind_the_peers_nat(prober_reports_at: u16) -> Vec<SocketAddr> {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 7);
    let a_params = LegParams {
        remote: addr("10.0.0.5:4000"),
        rtcp: RtcpPath::Separate(addr("10.0.0.5:4001")),
        ..params(Codec::Pcmu, 0)
    };
    worker.add_leg(start, A, a_params.clone());
    worker.add_leg(start, B, params(Codec::Pcmu, sdp_addr(B).port()));
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    let (nat, nat_rtcp) = (addr("203.0.113.9:31000"), addr("203.0.113.9:31001"));
    let (prober_at, prober_rtcp) = (addr("203.0.113.9:40000"), addr("203.0.113.9:40001"));
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let mut prober = TonePeer::new(A, Codec::Pcmu, 2500.0);
    prober.ssrc = 0xBAD;
    let (mut ours, mut reported_to) = (None, Vec::new());
    for k in 0..650_u16 {
        let now = worker.next_tick();
        match k {
            0..50 | 110.. => send_from(&mut worker, &mut peer, nat),
            50..100 => send_from(&mut worker, &mut prober, prober_at),
            _ => {}
        }
        match k {
            10 => worker.handle_rtcp(now, A, nat_rtcp, &receiver_report(peer.ssrc, None)),
            50 | 100 => worker.update_leg(now, A, a_params.clone()),
            _ if k == prober_reports_at => {
                let on_ours = Some(ReportBlock::builder(ours.unwrap()));
                let report = receiver_report(prober.ssrc, on_ours);
                worker.handle_rtcp(now, A, prober_rtcp, &report);
            }
            _ => {}
        }
        worker.handle_timeout(now);
        let (reports, rtp): (Vec<_>, Vec<_>) = drain_all(&mut worker)
            .into_iter()
            .filter(|transmit| transmit.leg == A)
            .partition(is_rtcp);
        if (60..100).contains(&k) {
            // The prober is latched on trial, hearing our stream.
            assert_eq!(rtp[0].destination, prober_at, "{k}");
            ours = Some(header(&rtp[0]).2);
        }
        if k >= 100 {
            reported_to.extend(reports.iter().map(|report| report.destination));
        }
    }
    // The peer's report and the prober's are both taken.
    assert_eq!(worker.stats().rtcp_received, 2);
    reported_to
}

/// Asserts that of [`reported_to_with_a_prober_behind_the_peers_nat`] with the prober's report
/// at `prober_reports_at`, every report went to the peer's NAT port for its RTCP.
fn assert_reported_to_the_peer_alone(prober_reports_at: u16) {
    let reported_to = reported_to_with_a_prober_behind_the_peers_nat(prober_reports_at);
    let nat_rtcp = addr("203.0.113.9:31001");
    assert!(
        !reported_to.is_empty() && reported_to.iter().all(|&to| to == nat_rtcp),
        "{reported_to:?}"
    );
}

#[test]
fn a_prober_behind_the_peers_nat_reporting_as_a_refresh_ends_its_trial_gets_no_report() {
    // Before the peer's next packet: our RTP goes to the peer's mapping again, and the
    // prober's stream is the last one heard.
    assert_reported_to_the_peer_alone(101);
}

#[test]
fn a_prober_behind_the_peers_nat_reporting_once_the_peer_took_the_latch_back_gets_no_report() {
    assert_reported_to_the_peer_alone(200);
}

#[test]
fn reports_go_on_to_the_sdp_rtcp_address_the_peer_reported_from_while_a_prober_is_on_trial() {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 7);
    let (sdp, sdp_rtcp) = (addr("192.0.2.5:7000"), addr("192.0.2.5:7001"));
    let a_params = LegParams {
        remote: sdp,
        rtcp: RtcpPath::Separate(sdp_rtcp),
        ..params(Codec::Pcmu, 0)
    };
    worker.add_leg(start, A, a_params.clone());
    // The peer's stream from an SBC's port other than its SDP's (asymmetric), its report from
    // its SDP's RTCP address; then a refresh while it is silent, and a prober sending all along
    // latched on trial for 10 s.
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let mut prober = TonePeer::new(A, Codec::Pcmu, 2500.0);
    prober.ssrc = 0xBAD;
    let prober_at = addr("198.51.100.7:5001");
    let mut reported_to = Vec::new();
    for k in 0..550_u16 {
        let now = worker.next_tick();
        match k {
            0..50 => send_from(&mut worker, &mut peer, addr("192.0.2.5:7010")),
            _ => send_from(&mut worker, &mut prober, prober_at),
        }
        match k {
            10 => worker.handle_rtcp(now, A, sdp_rtcp, &receiver_report(peer.ssrc, None)),
            50 => worker.update_leg(now, A, a_params.clone()),
            _ => {}
        }
        worker.handle_timeout(now);
        let (reports, rtp): (Vec<_>, Vec<_>) =
            drain_all(&mut worker).into_iter().partition(is_rtcp);
        if k >= 60 {
            assert_eq!(rtp[0].destination, prober_at, "{k}");
            reported_to.extend(reports.iter().map(|report| report.destination));
        }
    }
    // The peer's own word: a prober cannot receive there.
    assert!(
        !reported_to.is_empty() && reported_to.iter().all(|&to| to == sdp_rtcp),
        "{reported_to:?}"
    );
}

#[test]
fn a_prober_latched_while_a_peer_behind_a_nat_was_silent_gives_its_stream_back() {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 7);
    let (private, nat) = (addr("10.0.0.5:4000"), addr("203.0.113.9:31000"));
    let a_params = |direction| LegParams {
        remote: private,
        direction,
        ..params(Codec::Pcmu, 0)
    };
    worker.add_leg(start, A, a_params(MediaDirection::SendRecv));
    worker.add_leg(start, B, params(Codec::Pcmu, sdp_addr(B).port()));
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    for _ in 0..20 {
        send_from(&mut worker, &mut peer, nat);
        tick(&mut worker);
    }
    let reinvite = |worker: &mut Worker, direction| {
        let now = worker.next_tick();
        worker.update_leg(now, A, a_params(direction));
    };
    // The peer is put on hold and falls silent; a prober sending all along outlasts the grace.
    let mut prober = TonePeer::new(A, Codec::Pcmu, 2500.0);
    prober.ssrc = 0xBAD;
    let prober_at = addr("198.51.100.7:5001");
    reinvite(&mut worker, MediaDirection::SendOnly);
    for _ in 0..10 {
        send_from(&mut worker, &mut prober, prober_at);
        tick(&mut worker);
    }
    // The resume: the prober, still on trial, is latched again, until the peer sends.
    reinvite(&mut worker, MediaDirection::SendRecv);
    for _ in 0..10 {
        send_from(&mut worker, &mut prober, prober_at);
        tick(&mut worker);
    }

    // The peer's stream goes on: it takes the latch back, through another hold and resume too.
    let before = worker.stats().foreign_source_dropped;
    let (mut b_heard, mut destinations) = (Vec::new(), Vec::new());
    for k in 0..60 {
        if k == 40 {
            reinvite(&mut worker, MediaDirection::SendOnly);
            reinvite(&mut worker, MediaDirection::SendRecv);
        }
        send_from(&mut worker, &mut prober, prober_at);
        send_from(&mut worker, &mut peer, nat);
        let out = tick(&mut worker);
        destinations.push(sent_by(&out, A)[0].destination);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert!(destinations.iter().all(|&d| d == nat), "{destinations:?}");
    // All but the prober's packet that came before the peer's first.
    assert_eq!(worker.stats().foreign_source_dropped - before, 59);
    let settled = &b_heard[10 * FRAME_LEN..40 * FRAME_LEN];
    assert!(
        goertzel(settled, 1000.0, 8000.0) > 4000.0,
        "B hears A's peer"
    );
    assert!(goertzel(&b_heard, 2500.0, 8000.0) < 50.0, "not the prober");
}

#[test]
fn a_move_is_heard_at_the_new_address_though_the_old_path_goes_on_sending() {
    let mut worker = room_of_two();
    let mut old = TonePeer::new(A, Codec::Pcmu, 2500.0);
    latched_at_sdp(&mut worker, &mut old);
    // A PBX hands the media to a phone (a new address, a stream of its own), but relays what
    // it has for another 100 ms.
    let moved = addr("192.0.2.7:40000");
    move_a_to(&mut worker, moved);
    for _ in 0..5 {
        send_from(&mut worker, &mut old, sdp_addr(A));
        assert_eq!(sent_by(&tick(&mut worker), A)[0].destination, moved);
    }
    let mut phone = TonePeer::new(A, Codec::Pcmu, 1000.0);
    phone.ssrc = 0xB0B;
    let mut b_heard = Vec::new();
    for _ in 0..40 {
        send_from(&mut worker, &mut phone, moved);
        let out = tick(&mut worker);
        assert_eq!(sent_by(&out, A)[0].destination, moved);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert!(goertzel(&b_heard[4 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0);
}

#[test]
fn a_move_to_a_phone_behind_a_nat_latches_its_mapping_not_the_path_left() {
    let mut worker = room_of_two();
    let mut old = TonePeer::new(A, Codec::Pcmu, 2500.0);
    latched_at_sdp(&mut worker, &mut old);
    let (private, mapping) = (addr("10.0.0.5:4000"), addr("203.0.113.9:31000"));
    move_a_to(&mut worker, private);
    let mut phone = TonePeer::new(A, Codec::Pcmu, 1000.0);
    phone.ssrc = 0xB0B;
    let (mut b_heard, mut destinations) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        // The old path lingers all along, and first.
        send_from(&mut worker, &mut old, sdp_addr(A));
        send_from(&mut worker, &mut phone, mapping);
        let out = tick(&mut worker);
        destinations.push(sent_by(&out, A)[0].destination);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert_eq!(destinations.last(), Some(&mapping), "{destinations:?}");
    assert!(!destinations.contains(&sdp_addr(A)), "{destinations:?}");
    assert!(goertzel(&b_heard[10 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0);
    assert!(goertzel(&b_heard[10 * FRAME_LEN..], 2500.0, 8000.0) < 50.0);
}

#[test]
fn foreign_packets_neither_press_keys_nor_keep_a_leg_alive() {
    let config = switchyard_media::WorkerConfig {
        rtp_timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    };
    let start = Instant::now();
    let mut worker = Worker::new(config, start, 7);
    worker.add_leg(start, A, params(Codec::Pcmu, sdp_addr(A).port()));
    let mut peer = TonePeer::new(A, Codec::Pcmu, 1000.0);
    peer.send(&mut worker, LEAD);
    let mut events_seen = Vec::new();
    for k in 0..40u16 {
        let now = worker.next_tick() - LEAD;
        let press = rtp(101, k, 0, 0xD7, k == 0, &[5, 10, 0, 160]);
        worker.handle_rtp(now, A, addr("127.0.0.1:6666"), &press);
        tick(&mut worker);
        events_seen.extend(events(&mut worker));
    }
    assert_eq!(events_seen, vec![MediaEvent::RtpTimeout { leg: A }]);
}

#[test]
fn a_refresh_with_the_same_sdp_latches_a_peer_its_nat_mapped_anew() {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 7);
    let a_params = LegParams {
        remote: addr("10.0.0.5:4000"),
        ..params(Codec::Pcmu, 0)
    };
    worker.add_leg(start, A, a_params.clone());
    worker.add_leg(start, B, params(Codec::Pcmu, sdp_addr(B).port()));
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    let (first, second) = (addr("203.0.113.9:31000"), addr("203.0.113.9:31002"));
    let mut peer = TonePeer::new(A, Codec::Pcmu, 2500.0);
    for _ in 0..20 {
        send_from(&mut worker, &mut peer, first);
        tick(&mut worker);
    }
    assert_eq!(sent_by(&tick(&mut worker), A)[0].destination, first);

    // The NAT maps the peer anew and its stream restarts (a new SSRC); its re-INVITE or UPDATE
    // carries the SDP it sent before.
    let mut restarted = TonePeer::new(A, Codec::Pcmu, 1000.0);
    restarted.ssrc = 0x2002;
    for _ in 0..5 {
        send_from(&mut worker, &mut restarted, second);
        tick(&mut worker);
    }
    worker.update_leg(worker.next_tick(), A, a_params);
    let (mut b_heard, mut destinations) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        send_from(&mut worker, &mut restarted, second);
        let out = tick(&mut worker);
        destinations.push(sent_by(&out, A)[0].destination);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    assert_eq!(destinations.last(), Some(&second), "{destinations:?}");
    assert!(
        goertzel(&b_heard[10 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0,
        "B hears the peer's restarted stream"
    );
}

#[test]
fn a_refresh_with_the_same_sdp_leaves_the_streams_untouched() {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 7);
    let a_params = LegParams {
        ptime_ms: 40,
        ..params(Codec::Pcmu, sdp_addr(A).port())
    };
    worker.add_leg(start, A, a_params.clone());
    worker.add_leg(start, B, params(Codec::Pcmu, sdp_addr(B).port()));
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    let mut peer = TonePeer::new(A, Codec::Pcmu, 440.0);
    let mut b_hears = Listener::new(B, Codec::Pcmu);
    let mut a_sent = Vec::new();
    for k in 0..60 {
        if k == 31 {
            worker.update_leg(worker.next_tick(), A, a_params.clone());
        }
        send_from(&mut worker, &mut peer, sdp_addr(A));
        let out = tick(&mut worker);
        b_hears.take(&out);
        a_sent.extend(sent_by(&out, A).into_iter().map(header));
        assert!(sent_by(&out, A).iter().all(|t| {
            t.destination == sdp_addr(A) && rtp_payload(&t.payload).len() == 2 * FRAME_LEN
        }));
    }
    // Past the jitter buffer's start: the tone goes on without a glitch across the refresh.
    assert_continuous_tone(&"B", &b_hears.heard[5 * FRAME_LEN..], 8000);
    let jitter = worker.stats().jitter;
    assert_eq!((jitter.lost, jitter.concealed), (0, 0));
    // A's stream goes on as it was: one SSRC, no sequence number skipped.
    assert!(
        a_sent
            .windows(2)
            .all(|pair| { pair[1].2 == pair[0].2 && pair[1].0 == pair[0].0.wrapping_add(1) })
    );
}
