//! The per-source request-rate limit: new requests over it are dropped and counted, while
//! retransmissions, ACKs and other sources pass, and the table of sources stays bounded.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use common::*;
use rsip::Method;
use switchyard_sip::Limits;

/// A simulation whose endpoint admits `rate` new requests per second per source.
fn limited(seed: u64, rate: u32, shell: Shell) -> Sim {
    let mut sim = Sim::new(Net::perfect(seed), seed, shell);
    sim.ep = endpoint(seed).with_limits(Limits {
        max_requests_per_source_per_second: NonZeroU32::new(rate),
        ..Limits::default()
    });
    sim
}

/// An OPTIONS from `from` (asking for `rport`) with branch and Call-ID `z9hG4bK-<branch>`.
fn options(from: SocketAddr, branch: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:000777123@{EP} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK-{branch};rport\r\n\
         From: <sip:probe@{from}>;tag=p\r\nTo: <sip:000777123@{EP}>\r\nCall-ID: {branch}\r\n\
         CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn peer(n: u32) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)), 5060)
}

#[test]
fn requests_over_the_limit_are_dropped_and_counted_per_source() {
    let mut sim = limited(40, 5, idle_shell());
    for n in 0..8 {
        sim.send_from(peer(1), options(peer(1), &format!("a{n}")));
    }
    sim.send_from(peer(2), options(peer(2), "b0"));
    sim.run_for(Duration::from_millis(100));
    assert_eq!(
        sim.first_lines(),
        ["SIP/2.0 200 OK"; 6],
        "a burst of 5 from the first source, and the other source's request"
    );
    assert_eq!(sim.ep.stats().dropped_rate_limited, 3);
    // 5 per second: a token comes back every 200 ms; 100 ms have passed.
    sim.send_from(peer(1), options(peer(1), "a8"));
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.sent.len(), 6, "still no token at 110 ms");
    sim.send_from(peer(1), options(peer(1), "a9"));
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.sent.len(), 7, "one token back at 210 ms");
    assert_eq!(sim.ep.stats().dropped_rate_limited, 4);
    assert_eq!(
        sim.ep.tracked_sources(),
        1,
        "the other source's bucket is full again"
    );
}

#[test]
fn retransmissions_acks_and_responses_are_never_limited() {
    let mut sim = limited(41, 1, answering_shell());
    sim.invite();
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200]);
    assert!(
        sim.has_event("CallConfirmed"),
        "the ACK passed: {:?}",
        sim.event_names()
    );
    let invite = sim.sent.len();
    sim.uac.reinvite(sim.now);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(
        sim.sent.len(),
        invite,
        "the re-INVITE, a new request, is over the limit"
    );
    sim.run_for(Duration::from_secs(2));
    assert_eq!(
        sim.uac.codes(Method::Invite),
        [100, 200, 200],
        "dropped, it had no transaction: its retransmissions are new requests, the one \
         after the second T1 (1.6 s) within the limit"
    );
    assert_eq!(sim.ep.stats().dropped_rate_limited, 2);
    // The endpoint's BYE is a request it sends: the UAC's 200 comes back unlimited.
    sim.ep.hangup(sim.now, first_call(&sim)).unwrap();
    sim.run_for(Duration::from_millis(100));
    assert!(
        sim.has_event("CallEnded(LocalHangup)"),
        "{:?}",
        sim.event_names()
    );
    // A retransmitted OPTIONS is answered from its transaction, even over the limit.
    let probe = peer(9);
    sim.send_from(probe, options(probe, "o1"));
    sim.run_for(Duration::from_millis(100));
    for _ in 0..3 {
        sim.send_from(probe, options(probe, "o1"));
    }
    sim.send_from(probe, options(probe, "o2"));
    sim.run_for(Duration::from_millis(100));
    let stats = sim.ep.stats();
    assert_eq!(stats.request_retransmissions_received, 3);
    assert_eq!(
        stats.dropped_rate_limited, 3,
        "only the new OPTIONS was over"
    );
}

#[test]
fn the_source_table_stays_bounded_under_100000_sources_which_share_one_bucket_beyond_it() {
    // One request a second per source: each source stays tracked for a whole second, the
    // longest any single request keeps it.
    let mut sim = limited(42, 1, idle_shell());
    let mut peak = 0;
    for batch in 0..100u32 {
        for n in 0..1_000 {
            let from = peer(batch * 1_000 + n);
            sim.send_from(from, options(from, &format!("s{batch}-{n}")));
        }
        sim.run_for(Duration::from_millis(10));
        peak = peak.max(sim.ep.tracked_sources());
        assert!(
            sim.ep.tracked_sources() <= Limits::MAX_TRACKED_SOURCES,
            "batch {batch}: {} sources tracked",
            sim.ep.tracked_sources()
        );
        sim.sent.clear();
    }
    assert_eq!(peak, Limits::MAX_TRACKED_SOURCES, "the table filled up");
    let stats = sim.ep.stats();
    let overflow = 1;
    assert_eq!(
        (stats.datagrams_received, stats.dropped_rate_limited),
        (
            100_000,
            100_000 - Limits::MAX_TRACKED_SOURCES as u64 - overflow
        ),
        "the sources the full table had no room for shared one bucket, of one request in the \
         second the run took: a flood from ever new addresses gets no further"
    );
    sim.run_for(Duration::from_secs(2));
    let last = peer(100_000);
    sim.send_from(last, options(last, "last"));
    sim.run_for(Duration::from_millis(10));
    assert_eq!(sim.ep.tracked_sources(), 1, "idle sources were swept out");
}
