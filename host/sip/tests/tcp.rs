//! SIP over TCP (RFC 3261 §18): responses on the way their request came, no retransmissions
//! and no lingering transactions over a reliable transport (§17), and dialogs that keep
//! their transport.

mod common;

use std::time::{Duration, Instant};

use common::*;
use rsip::Method;
use switchyard_sip::testing::Uas;
use switchyard_sip::{Endpoint, Event, OutgoingCall, Transport};

const MINUTE: Duration = Duration::from_secs(60);

/// The scripted UAS the endpoint calls over TCP.
const PEER: &str = "127.0.0.1:5080";

/// A TCP call from the UAC, answered at once and confirmed by its ACK.
fn confirmed_tcp_call(seed: u64) -> Sim {
    let mut sim = Sim::over_tcp(Net::perfect(seed), seed, answering_shell());
    sim.invite();
    assert!(sim.run_until(MINUTE, |s| s.has_event("CallConfirmed")));
    sim
}

#[test]
fn a_tcp_call_retransmits_nothing_and_leaves_no_transaction() {
    let mut sim = confirmed_tcp_call(1);
    sim.run_for(Duration::from_secs(10));
    sim.uac.bye(sim.now);
    assert!(sim.run_until(MINUTE, |s| s.uac.codes(Method::Bye) == [200]));
    assert_eq!(sim.ep.stats().retransmissions_sent, 0);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200]);
    // RFC 6026 §8.7: the INVITE's "Accepted" lingers 64*T1 over TCP too, for copies a
    // stateless proxy forwards from UDP; then nothing is left. §17.2.2: Timer J is zero over
    // TCP, so the BYE's transaction ended with its response.
    assert_eq!(sim.ep.active_transactions(), 1, "the INVITE, accepted");
    sim.run_for(Duration::from_secs(32));
    assert_eq!(sim.ep.active_transactions(), 0);
    assert_eq!(sim.ep.poll_timeout(), None);
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(RemoteBye)"]
    );
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(
        ok.header("Contact").as_deref(),
        Some("<sip:127.0.0.1:5060;transport=tcp>")
    );
    assert!(ok.header("Via").unwrap().starts_with("SIP/2.0/TCP "));
}

#[test]
fn a_tcp_dialog_needs_its_connection_until_it_ends() {
    let uac = addr(UAC);
    let mut sim = confirmed_tcp_call(7);
    assert!(sim.ep.uses_tcp_connection(uac));
    assert!(
        !sim.ep.uses_tcp_connection(addr("127.0.0.1:5064")),
        "another peer"
    );
    sim.uac.bye(sim.now);
    assert!(sim.run_until(MINUTE, |s| s.uac.codes(Method::Bye) == [200]));
    assert!(!sim.ep.uses_tcp_connection(uac), "the call ended");

    // A call over UDP needs no connection.
    let mut sim = Sim::new(Net::perfect(7), 7, answering_shell());
    sim.invite();
    assert!(sim.run_until(MINUTE, |s| s.has_event("CallConfirmed")));
    assert!(!sim.ep.uses_tcp_connection(uac));
}

#[test]
fn a_rejected_tcp_call_leaves_nothing_once_acked() {
    let mut sim = Sim::over_tcp(
        Net::perfect(2),
        2,
        Box::new(|ep, now, event| {
            if let Event::IncomingCall(call) = event {
                ep.reject(now, call.call, 486, "Busy Here").unwrap();
            }
        }),
    );
    sim.invite();
    assert!(sim.run_until(MINUTE, |s| s.uac.codes(Method::Invite).contains(&486)));
    sim.run_for(Duration::from_millis(100));
    // §17.2.1: no Timer G over TCP, and Timer I is zero once the ACK came.
    assert_eq!(sim.ep.stats().retransmissions_sent, 0);
    assert_eq!(sim.ep.active_transactions(), 0);
    assert_eq!(sim.ep.poll_timeout(), None);
}

#[test]
fn the_2xx_is_still_retransmitted_over_tcp_until_the_ack() {
    let mut sim = Sim::over_tcp(Net::perfect(6), 6, answering_shell());
    sim.uac.ack_2xx = false;
    sim.invite();
    assert!(sim.run_until(MINUTE, |s| s.has_event("CallEnded(NoAck)")));
    // §13.3.1.4: the UAS core retransmits its 2xx over any transport, as its delivery is end
    // to end and a proxy on the way may forward it over UDP; T1 doubling up to T2.
    let oks = sim.sent_times("SIP/2.0 200 OK", "CSeq: 1 INVITE");
    assert_eq!(
        gaps_ms(&oks),
        [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]
    );
}

#[test]
fn the_bye_of_a_tcp_dialog_goes_over_tcp() {
    let mut sim = confirmed_tcp_call(3);
    let call = first_call(&sim);
    sim.ep.hangup(sim.now, call).unwrap();
    sim.settle();
    let bye = sim
        .sent
        .iter()
        .map(|(_, text)| text)
        .find(|text| text.starts_with("BYE "))
        .expect("a BYE");
    // The Sim checks that every message went over TCP.
    assert!(
        bye.starts_with("BYE sip:alice@127.0.0.1:5062;transport=tcp SIP/2.0\r\n"),
        "{bye}"
    );
    assert!(
        bye.contains("\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch="),
        "{bye}"
    );
    assert!(sim.has_event("CallEnded(LocalHangup)"));
    assert_eq!(sim.ep.stats().retransmissions_sent, 0);
    assert_eq!(sim.ep.active_calls(), 0);
    assert_eq!(sim.ep.active_transactions(), 0);
}

#[test]
fn responses_over_tcp_go_to_the_source_whatever_the_via_says() {
    let mut ep = endpoint(4);
    let options = "OPTIONS sip:conf@127.0.0.1:5060 SIP/2.0\r\n\
                   Via: SIP/2.0/TCP 10.9.9.9:5099;branch=z9hG4bK-tcp-1\r\n\
                   Max-Forwards: 70\r\nFrom: <sip:a@10.9.9.9>;tag=f\r\n\
                   To: <sip:conf@127.0.0.1>\r\nCall-ID: tcp-options\r\n\
                   CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    let source = addr("192.0.2.7:40123");
    ep.handle_message(
        epoch(),
        Transport::Tcp,
        addr(EP),
        source,
        options.as_bytes(),
    );
    let response = ep.poll_transmit().expect("a response");
    assert_eq!(
        (response.transport, response.destination),
        (Transport::Tcp, source)
    );
    let text = String::from_utf8(response.payload).unwrap();
    assert!(text.starts_with("SIP/2.0 200 "), "{text}");
    assert!(
        text.contains("Via: SIP/2.0/TCP 10.9.9.9:5099;branch=z9hG4bK-tcp-1;received=192.0.2.7\r\n"),
        "{text}"
    );
    // §17.2.2: Timer J is zero over TCP.
    assert_eq!(ep.active_transactions(), 0);
}

/// The most messages [`pump`] delivers before it takes the two sides for an endless exchange.
const MAX_PUMPED: usize = 10_000;

/// Delivers everything the endpoint and the UAS at [`PEER`] queued, at `now` and over TCP,
/// until neither has more; what the endpoint sent is added to `sent`. Panics after
/// [`MAX_PUMPED`] messages.
fn pump(ep: &mut Endpoint, uas: &mut Uas, now: Instant, sent: &mut Vec<String>) {
    let (ep_addr, peer) = (addr(EP), addr(PEER));
    let mut pumped = 0;
    let mut count = || {
        pumped += 1;
        assert!(
            pumped <= MAX_PUMPED,
            "the endpoint and the UAS still exchange messages after {MAX_PUMPED}"
        );
    };
    loop {
        let mut moved = false;
        while let Some(t) = ep.poll_transmit() {
            count();
            assert_eq!((t.transport, t.destination), (Transport::Tcp, peer));
            uas.handle_datagram(now, ep_addr, &t.payload);
            sent.push(String::from_utf8(t.payload).unwrap());
            moved = true;
        }
        while let Some(t) = uas.poll_transmit() {
            count();
            assert_eq!(t.transport, Transport::Tcp);
            ep.handle_message(now, Transport::Tcp, ep_addr, peer, &t.payload);
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

#[test]
fn a_call_placed_over_tcp_speaks_tcp_throughout() {
    let (ep_addr, peer) = (addr(EP), addr(PEER));
    let mut ep = endpoint(5);
    let mut uas = Uas::new(peer);
    uas.transport = Transport::Tcp;
    let now = epoch();
    let call = ep
        .invite(
            now,
            OutgoingCall {
                request_uri: format!("sip:bob@{peer}"),
                from: "<sip:alice@127.0.0.1:5060>".into(),
                to: format!("<sip:bob@{peer}>"),
                headers: Vec::new(),
                route: Vec::new(),
                destination: peer,
                transport: Transport::Tcp,
                local: ep_addr,
                sdp_offer: offer(),
                credentials: None,
                max_forwards: switchyard_sip::MAX_FORWARDS,
            },
        )
        .unwrap();
    let mut sent = Vec::new();
    pump(&mut ep, &mut uas, now, &mut sent);
    // Ringing and answered, the call needs its connection to the callee.
    assert!(ep.uses_tcp_connection(peer));
    let invite = &sent[0];
    assert!(
        invite.contains("\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;"),
        "{invite}"
    );
    assert!(
        invite.contains("\r\nContact: <sip:127.0.0.1:5060;transport=tcp>\r\n"),
        "{invite}"
    );
    // §17.1.1.2: no Timer A over TCP; only Timer B runs.
    assert_eq!(ep.poll_timeout(), Some(now + Duration::from_secs(32)));
    let later = now + Duration::from_secs(2);
    uas.reply(Method::Invite, 200, "OK", "", &offer());
    pump(&mut ep, &mut uas, later, &mut sent);
    assert!(matches!(
        ep.poll_event(),
        Some(Event::CallAnswered { call: answered, .. }) if answered == call
    ));
    let ack = sent.last().unwrap();
    assert!(
        ack.starts_with("ACK sip:127.0.0.1:5080;transport=tcp SIP/2.0\r\n"),
        "{ack}"
    );
    assert!(ack.contains("\r\nVia: SIP/2.0/TCP "), "{ack}");
    assert!(ep.uses_tcp_connection(peer));
    ep.hangup(later, call).unwrap();
    pump(&mut ep, &mut uas, later, &mut sent);
    assert!(sent.last().unwrap().starts_with("BYE "));
    assert!(!ep.uses_tcp_connection(peer), "the call ended");
    assert!(matches!(ep.poll_event(), Some(Event::CallEnded { .. })));
    ep.handle_timeout(later);
    // RFC 6026 §7.2: Timer M (64*T1 on any transport) still absorbs forked 2xx responses.
    assert_eq!(ep.active_transactions(), 1);
    ep.handle_timeout(now + Duration::from_secs(34));
    assert_eq!(ep.active_transactions(), 0);
    assert_eq!(ep.stats().retransmissions_sent, 0);
}
