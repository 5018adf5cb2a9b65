//! Requests whose body is `multipart/mixed` (RFC 5621) without an SDP part, as SIP-I and
//! SIP-T gateways send ISUP alone (RFC 3204), or with the SDP in a nested multipart part, and
//! a multipart body full of delimiters that start no line, through the simulated network, on
//! virtual time.

mod common;

use std::time::Duration;

use common::*;
use rsip::Method;
use switchyard_sip::{Event, Limits};

const MULTIPART: &str = "Content-Type: multipart/mixed;boundary=b1\r\n";

/// A multipart body whose one part is ISUP with the Content-Disposition `disposition`.
fn isup_alone(disposition: &str) -> String {
    format!(
        "--b1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\
         Content-Disposition: {disposition}\r\n\r\n\u{1}\u{0}I\r\n--b1--\r\n"
    )
}

/// A multipart body whose SDP offer ([`offer`]) is not a part of its own but in a nested
/// `multipart/alternative` part (RFC 2046 §5.1), beside an optional ISUP part.
fn sdp_in_a_nested_part() -> String {
    format!(
        "--b1\r\nContent-Type: multipart/alternative;boundary=b2\r\n\r\n\
         --b2\r\nContent-Type: application/sdp\r\n\r\n{}\r\n--b2--\r\n\
         --b1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\
         Content-Disposition: signal\r\n\r\n\u{1}\u{0}I\r\n--b1--\r\n",
        offer()
    )
}

/// Answers every call without an offer with one of ours (RTP at 127.0.0.1:40000).
fn offering_shell() -> Shell {
    Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            assert!(call.offer.is_none(), "a late offer");
            let ours = switchyard_sip::testing::audio_offer(addr("127.0.0.1:40000"));
            ep.answer(now, call.call, ours).unwrap();
        }
    })
}

/// A call from the UAC with [`offer`], answered and confirmed.
fn confirmed_call(seed: u64) -> Sim {
    let mut sim = Sim::new(Net::perfect(seed), seed, answering_shell());
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    sim
}

#[test]
fn an_invite_with_only_an_optional_isup_part_is_a_late_offer() {
    let mut sim = Sim::new(Net::perfect(41), 41, offering_shell());
    sim.uac
        .invite(sim.now, MULTIPART, &isup_alone("signal;handling=optional"));
    sim.run_for(Duration::from_secs(5));
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ok.code(), Some(200), "{}", ok.text);
    assert!(ok.body().contains("m=audio 40000 RTP/AVP"), "{}", ok.body());
    // The UAC's ACK carries no answer to our offer: the call, a late offer, is hung up.
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(LocalHangup)"]
    );
}

#[test]
fn an_invite_with_only_an_isup_part_it_requires_us_to_understand_gets_415() {
    let mut sim = Sim::new(Net::perfect(42), 42, idle_shell());
    sim.uac
        .invite(sim.now, MULTIPART, &isup_alone("signal;handling=required"));
    sim.settle();
    assert!(sim.events.is_empty(), "the shell never sees it");
    let response = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(response.code(), Some(415), "{}", response.text);
}

#[test]
fn a_reinvite_with_only_an_optional_isup_part_gets_our_offer() {
    let mut sim = confirmed_call(43);
    sim.uac.reoffer(sim.now, MULTIPART, &isup_alone("signal"));
    sim.run_for(Duration::from_secs(5));
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ok.code(), Some(200), "{}", ok.text);
    assert!(ok.body().contains("o=switchyard 1 2 "), "{}", ok.body());
    // The UAC's ACK carries no answer: the session stays as it was.
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "UnusableAnswer(no SDP)"]
    );
    assert_eq!(sim.ep.active_calls(), 1);
}

#[test]
fn an_update_with_only_an_optional_isup_part_is_answered_without_a_session_description() {
    let mut sim = confirmed_call(44);
    sim.uac
        .update(sim.now, MULTIPART, &isup_alone("signal;handling=optional"));
    sim.run_for(Duration::from_secs(5));
    let ok = sim.uac.last_response(Method::Update).unwrap();
    assert_eq!(ok.code(), Some(200), "{}", ok.text);
    assert_eq!(ok.body(), "");
    assert_eq!(sim.event_names(), ["IncomingCall", "CallConfirmed"]);
}

#[test]
fn an_invite_whose_sdp_is_in_a_nested_multipart_part_gets_415_with_accept() {
    let mut sim = Sim::new(Net::perfect(46), 46, idle_shell());
    sim.uac.invite(sim.now, MULTIPART, &sdp_in_a_nested_part());
    sim.settle();
    assert!(sim.events.is_empty(), "the shell never sees it");
    let response = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(response.code(), Some(415), "{}", response.text);
    assert_eq!(
        response.header("Accept").as_deref(),
        Some("application/sdp")
    );
}

#[test]
fn a_reinvite_whose_sdp_is_in_a_nested_multipart_part_gets_415() {
    let mut sim = confirmed_call(47);
    sim.uac.reoffer(sim.now, MULTIPART, &sdp_in_a_nested_part());
    sim.run_for(Duration::from_secs(5));
    let response = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(response.code(), Some(415), "{}", response.text);
    // The offer was refused, not taken for none: the session stays as it was.
    assert_eq!(sim.event_names(), ["IncomingCall", "CallConfirmed"]);
    assert_eq!(sim.ep.active_calls(), 1);
}

#[test]
fn an_update_whose_sdp_is_in_a_nested_multipart_part_gets_415() {
    let mut sim = confirmed_call(48);
    sim.uac.update(sim.now, MULTIPART, &sdp_in_a_nested_part());
    sim.run_for(Duration::from_secs(5));
    let response = sim.uac.last_response(Method::Update).unwrap();
    assert_eq!(response.code(), Some(415), "{}", response.text);
    assert_eq!(sim.event_names(), ["IncomingCall", "CallConfirmed"]);
}

#[test]
fn an_invite_with_a_64_kib_multipart_body_of_delimiters_within_one_line_gets_400() {
    let max_message_bytes = 65_535;
    let mut sim = Sim::new(Net::perfect(45), 45, idle_shell());
    sim.ep = endpoint(45).with_limits(Limits {
        max_message_bytes,
        ..Limits::default()
    });
    // Each `--a` is a delimiter, but none starts a line: the body has no parts.
    let body = format!("x{}", "--a".repeat((max_message_bytes - 1024) / 3));
    sim.uac.invite(
        sim.now,
        "Content-Type: multipart/mixed;boundary=a\r\n",
        &body,
    );
    sim.settle();
    assert!(sim.events.is_empty(), "the shell never sees it");
    let response = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(response.code(), Some(400), "{}", response.text);
}
