//! Requests of ours whose TCP connection broke (RFC 3261 §8.1.3.1, §18.4): once the shell
//! reports the peer unreachable, a BYE, UPDATE or OPTIONS still waiting for its response,
//! or a re-INVITE still waiting for any, is given up at once as if answered 503, not after
//! Timer B or F, and nothing else is. Through the simulated network on virtual time; a dead connection is a network
//! that loses everything the endpoint sends.

mod common;

use std::time::Duration;

use common::*;
use switchyard_sip::{CallKey, EndCause, Event, OfferMethod, Transport};

/// The Allow header of a peer that takes UPDATE.
const ALLOW_UPDATE: &str = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n";

/// How soon a request given up for its transport is reported: well before 64*T1.
const AT_ONCE: Duration = Duration::from_secs(1);

const MINUTE: Duration = Duration::from_secs(60);

/// A call from the UAC over TCP, whose INVITE carries the header lines `extra`, confirmed by
/// an endpoint that offers by `method`; then everything the endpoint sends is lost.
fn broken_call(seed: u64, extra: &str, method: OfferMethod) -> (Sim, CallKey) {
    let mut sim = Sim::over_tcp(Net::perfect(seed), seed, answering_shell());
    sim.ep = endpoint(seed).with_offer_method(method);
    sim.uac.invite(sim.now, extra, &offer());
    assert!(sim.run_until(Duration::from_secs(10), |s| s.has_event("CallConfirmed")));
    let call = first_call(&sim);
    let ep = addr(EP);
    sim.net.drop_if(move |datagram| datagram.from == ep);
    (sim, call)
}

/// Reports the UAC's connection broken and runs until `event` comes; how long after the
/// report it came.
fn delay_of(sim: &mut Sim, event: &str) -> Duration {
    sim.run_for(Duration::from_millis(50));
    let before = sim.event_names().iter().filter(|e| *e == event).count();
    sim.ep.transport_failed(sim.now, Transport::Tcp, addr(UAC));
    let failed_at = sim.elapsed();
    let came = |s: &Sim| s.event_names().iter().filter(|e| *e == event).count() > before;
    assert!(
        sim.run_until(failed_at + MINUTE, came),
        "no {event}: {:?}",
        sim.event_names()
    );
    let index = sim.event_names().iter().rposition(|e| e == event).unwrap();
    sim.events[index].0 - failed_at
}

#[test]
fn a_bye_on_a_broken_connection_ends_the_call_at_once() {
    let (mut sim, call) = broken_call(1, "", OfferMethod::default());
    sim.ep.hangup(sim.now, call).unwrap();
    assert!(delay_of(&mut sim, "CallEnded(LocalHangup)") < AT_ONCE);
    assert_eq!(sim.ep.stats().transport_failures, 1);
    assert!(
        sim.events.iter().any(|(_, event)| matches!(
            event,
            Event::CallEnded {
                cause: EndCause::LocalHangup,
                ..
            }
        )),
        "{:?}",
        sim.event_names()
    );
}

#[test]
fn a_reinvite_on_a_broken_connection_is_refused_at_once_and_its_late_2xx_still_acked() {
    let (mut sim, call) = broken_call(2, "", OfferMethod::default());
    sim.ep.reoffer(sim.now, call, offer()).unwrap();
    assert!(delay_of(&mut sim, "OfferRefused(503)") < AT_ONCE);
    let refused = sim.events.iter().find_map(|(_, event)| match event {
        Event::OfferRefused { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        refused.as_deref(),
        Some("Service Unavailable (cannot reach 127.0.0.1:5062)")
    );
    assert!(!sim.has_event("CallEnded(DialogGone)"), "the call goes on");
    // The peer got it after all and answers on a new connection (§18.2.2).
    let reinvite = last_sent(&sim, "INVITE ");
    let acks = sim
        .first_lines()
        .iter()
        .filter(|l| l.starts_with("ACK "))
        .count();
    let now = sim.now;
    sim.net.send(now, addr(UAC), addr(EP), ok_to(&reinvite));
    sim.run_for(Duration::from_millis(100));
    let acks_now = sim
        .first_lines()
        .iter()
        .filter(|l| l.starts_with("ACK "))
        .count();
    assert_eq!(acks_now, acks + 1, "the 2xx is ACKed");
    assert_ne!(
        last_sent(&sim, "INVITE "),
        reinvite,
        "the session kept is offered again"
    );
}

#[test]
fn a_reinvite_with_a_provisional_response_is_left_to_its_own_timers() {
    let (mut sim, call) = broken_call(5, "", OfferMethod::default());
    sim.ep.reoffer(sim.now, call, offer()).unwrap();
    sim.run_for(Duration::from_millis(50));
    let reinvite = last_sent(&sim, "INVITE ");
    let now = sim.now;
    sim.net.send(
        now,
        addr(UAC),
        addr(EP),
        response_to(&reinvite, "180 Ringing", ""),
    );
    sim.run_for(Duration::from_millis(50));
    // It reached the peer, whose final response may still come on a new connection (§18.2.2).
    sim.ep.transport_failed(sim.now, Transport::Tcp, addr(UAC));
    sim.run_for(AT_ONCE);
    assert!(
        !sim.event_names()
            .iter()
            .any(|e| e.starts_with("OfferRefused")),
        "{:?}",
        sim.event_names()
    );
    assert_eq!(sim.ep.stats().transport_failures, 0);
    let now = sim.now;
    sim.net.send(now, addr(UAC), addr(EP), ok_to(&reinvite));
    assert!(sim.run_until(sim.elapsed() + AT_ONCE, |s| s.has_event("OfferAnswered")));
}

#[test]
fn an_update_and_a_probe_on_a_broken_connection_fail_at_once_with_503() {
    let (mut sim, call) = broken_call(3, ALLOW_UPDATE, OfferMethod::Update);
    sim.ep.reoffer(sim.now, call, offer()).unwrap();
    assert!(delay_of(&mut sim, "OfferRefused(503)") < AT_ONCE);
    assert!(!last_sent(&sim, "UPDATE ").is_empty(), "an UPDATE went");
    sim.ep.probe(sim.now, call).unwrap();
    assert!(delay_of(&mut sim, "ProbeResult(503)") < AT_ONCE);
    assert_eq!(sim.ep.stats().transport_failures, 2);
    assert!(
        !sim.event_names().iter().any(|e| e.starts_with("CallEnded")),
        "a 503 leaves the dialog (RFC 5057 §5.1): {:?}",
        sim.event_names()
    );
}

#[test]
fn a_bye_to_an_ipv4_mapped_contact_ends_the_call_once_its_ipv4_address_is_unreachable() {
    let mut sim = Sim::over_tcp(Net::perfect(6), 6, answering_shell());
    // The caller names itself, in its Via and Contact, by the IPv4-mapped form of its address.
    sim.uac = Uac::new(UacConfig {
        call_id: "call-1@127.0.0.1".into(),
        transport: Transport::Tcp,
        ..UacConfig::new(
            addr("[::ffff:127.0.0.1]:5062"),
            addr(EP),
            "conf-1234",
            "alice",
        )
    });
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(10), |s| s.has_event("CallConfirmed")));
    let call = first_call(&sim);
    sim.ep.hangup(sim.now, call).unwrap();
    // The shell connects to a mapped address as IPv4, and reports that one unreachable.
    sim.ep.transport_failed(sim.now, Transport::Tcp, addr(UAC));
    let ended = std::iter::from_fn(|| sim.ep.poll_event()).any(|event| {
        matches!(
            event,
            Event::CallEnded {
                cause: EndCause::LocalHangup,
                ..
            }
        )
    });
    assert!(ended, "the BYE waits for Timer F");
    assert_eq!(sim.ep.stats().transport_failures, 1);
}

#[test]
fn only_requests_waiting_on_the_failed_destination_are_given_up() {
    let mut sim = Sim::over_tcp(Net::perfect(4), 4, answering_shell());
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(10), |s| s.has_event("CallConfirmed")));
    let call = first_call(&sim);
    // Another transport, another address: nothing of this call went there.
    sim.ep.probe(sim.now, call).unwrap();
    sim.ep.transport_failed(sim.now, Transport::Udp, addr(UAC));
    sim.ep
        .transport_failed(sim.now, Transport::Tcp, addr("127.0.0.1:5064"));
    assert!(sim.run_until(sim.elapsed() + AT_ONCE, |s| s.has_event("ProbeResult(200)")));
    // A request sent after the report is not stranded by it.
    sim.ep.reoffer(sim.now, call, offer()).unwrap();
    sim.ep.transport_failed(sim.now, Transport::Tcp, addr(UAC));
    sim.ep.probe(sim.now, call).unwrap();
    let limit = sim.elapsed() + AT_ONCE;
    assert!(sim.run_until(limit, |s| {
        s.event_names()
            .iter()
            .filter(|e| *e == "ProbeResult(200)")
            .count()
            == 2
    }));
    assert!(
        sim.has_event("OfferRefused(503)"),
        "{:?}",
        sim.event_names()
    );
    assert_eq!(sim.ep.stats().transport_failures, 1);
}

/// The text of the last request the endpoint sent whose request line starts with `start`;
/// empty if none.
fn last_sent(sim: &Sim, start: &str) -> String {
    sim.sent
        .iter()
        .rev()
        .find(|(_, text)| text.starts_with(start))
        .map(|(_, text)| text.clone())
        .unwrap_or_default()
}

/// A 200 to `request` (as sent) with [`offer`] for an answer.
fn ok_to(request: &str) -> Vec<u8> {
    response_to(request, "200 OK", &offer())
}

/// A response with status line `status` to `request` (as sent), with `body` for SDP: its Via,
/// From, To, Call-ID and CSeq, and the UAC's Contact.
fn response_to(request: &str, status: &str, body: &str) -> Vec<u8> {
    let copied: String = request
        .lines()
        .filter(|line| {
            ["Via:", "From:", "To:", "Call-ID:", "CSeq:"]
                .iter()
                .any(|name| line.starts_with(name))
        })
        .map(|line| format!("{line}\r\n"))
        .collect();
    format!(
        "SIP/2.0 {status}\r\n{copied}Contact: <sip:alice@{UAC};transport=tcp>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
