//! Bad input: garbage, broken headers, and a seeded fuzz run that must never panic.

mod common;

use std::time::Duration;

use common::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rsip::Method;
use switchyard_sip::Event;

#[test]
fn garbage_datagram_is_dropped_and_counted() {
    let mut sim = Sim::new(Net::perfect(20), 20, idle_shell());
    sim.uac.send_raw(b"\x16\x03\x01 this is not SIP".to_vec());
    sim.uac.send_raw(b"\r\n\r\n".to_vec());
    sim.run_for(Duration::from_secs(1));
    let stats = sim.ep.stats();
    assert_eq!(stats.dropped_unparseable, 1);
    assert_eq!(stats.keepalives, 1);
    assert!(sim.sent.is_empty());
}

fn options_with(cseq: &str) -> String {
    format!(
        "OPTIONS sip:conf@{EP} SIP/2.0\r\nVia: SIP/2.0/UDP {UAC};branch=z9hG4bK-x\r\n\
         From: <sip:a@{UAC}>;tag=1\r\nTo: <sip:conf@{EP}>\r\nCall-ID: bad@x\r\n{cseq}\r\n\r\n"
    )
}

#[test]
fn broken_cseq_gets_400_naming_the_header() {
    let mut sim = Sim::new(Net::perfect(21), 21, idle_shell());
    sim.uac
        .send_raw(options_with("CSeq: one OPTIONS").into_bytes());
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.sent.len(), 1);
    assert!(
        sim.sent[0]
            .1
            .starts_with("SIP/2.0 400 Malformed CSeq header\r\n"),
        "{}",
        sim.sent[0].1
    );
    assert_eq!(sim.ep.stats().bad_requests_sent, 1);
}

#[test]
fn other_broken_requests_get_named_400s() {
    let cases = [
        (
            options_with("CSeq: 1 OPTIONS\r\nContent-Length: 99"),
            "Content-Length larger than message body",
        ),
        (
            options_with("CSeq: 1 OPTIONS").replace("From: <sip:a@127.0.0.1:5062>;tag=1\r\n", ""),
            "Missing From header",
        ),
        (
            options_with("CSeq: 1 INVITE"),
            "CSeq method does not match request method",
        ),
    ];
    for (datagram, reason) in cases {
        let mut sim = Sim::new(Net::perfect(22), 22, idle_shell());
        sim.uac.send_raw(datagram.into_bytes());
        sim.run_for(Duration::from_secs(1));
        assert!(
            sim.sent[0]
                .1
                .starts_with(&format!("SIP/2.0 400 {reason}\r\n")),
            "{}",
            sim.sent[0].1
        );
    }
    let mut sim = Sim::new(Net::perfect(22), 22, idle_shell());
    let no_via = options_with("CSeq: 1 OPTIONS")
        .replace("Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-x\r\n", "");
    sim.uac.send_raw(no_via.into_bytes());
    sim.run_for(Duration::from_secs(1));
    assert!(sim.sent.is_empty(), "no Via, no response");
    assert_eq!(sim.ep.stats().dropped_unroutable_requests, 1);
}

#[test]
fn unreadable_header_lines_get_400_naming_the_line() {
    let latin1 = options_with("CSeq: 1 OPTIONS")
        .into_bytes()
        .splitn(2, |&b| b == b'<')
        .collect::<Vec<_>>()
        .join(&b"Jos\xe9 <"[..]);
    let cases = [
        (latin1, "Invalid UTF-8 in From header"),
        (
            options_with("CSeq: 1 OPTIONS\r\nGarbage line").into_bytes(),
            "Malformed header line 7 (no colon)",
        ),
        (
            options_with("CSeq: 1 OPTIONS\r\nX Foo: bar").into_bytes(),
            "Malformed header line 7 (header name is not a token)",
        ),
        (
            options_with("X@Y: z\r\nCSeq: 1 OPTIONS").into_bytes(),
            "Malformed header line 6 (header name is not a token)",
        ),
    ];
    for (datagram, reason) in cases {
        let mut sim = Sim::new(Net::perfect(23), 23, idle_shell());
        sim.uac.send_raw(datagram);
        sim.run_for(Duration::from_secs(1));
        assert_eq!(sim.sent.len(), 1, "{reason}");
        let response = &sim.sent[0].1;
        assert!(
            response.starts_with(&format!("SIP/2.0 400 {reason}\r\n")),
            "{response}"
        );
        assert!(response.contains("CSeq: 1 OPTIONS\r\n"), "{response}");
        assert_eq!(sim.ep.stats().dropped_unparseable, 0);
    }
    let mut sim = Sim::new(Net::perfect(23), 23, idle_shell());
    let bad_via = options_with("CSeq: 1 OPTIONS").replace("Via:", "Via");
    sim.uac.send_raw(bad_via.into_bytes());
    sim.run_for(Duration::from_secs(1));
    assert!(sim.sent.is_empty(), "no readable Via, no response");
    assert_eq!(sim.ep.stats().dropped_unroutable_requests, 1);
}

#[test]
fn a_request_whose_top_via_may_be_an_unreadable_line_is_dropped() {
    let readable = options_with("CSeq: 1 OPTIONS");
    let cases = [
        readable.replace("Via: ", "Via SIP/2.0/UDP p;branch=z9hG4bKa\r\nVia: "),
        readable.replace("Via: ", "Garbage line\r\nVia: "),
        readable.replacen("\r\n", "\r\nX Foo: bar\r\n", 1),
    ];
    for datagram in cases {
        let mut sim = Sim::new(Net::perfect(23), 23, idle_shell());
        sim.uac.send_raw(datagram.clone().into_bytes());
        sim.run_for(Duration::from_secs(1));
        assert!(
            sim.sent.is_empty(),
            "no response by a Via below: {datagram}"
        );
        assert_eq!(sim.ep.stats().dropped_unroutable_requests, 1);
    }
}

#[test]
fn broken_and_stray_responses_are_dropped_and_counted() {
    let mut sim = Sim::new(Net::perfect(23), 23, idle_shell());
    sim.uac
        .send_raw(b"SIP/2.0 200 OK\r\nCSeq: 1 BYE\r\n\r\n".to_vec());
    sim.uac.send_raw(
        format!(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {EP};branch=z9hG4bKnothing\r\n\
             From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n"
        )
        .into_bytes(),
    );
    sim.run_for(Duration::from_secs(1));
    let stats = sim.ep.stats();
    assert_eq!(stats.dropped_malformed_responses, 1);
    assert_eq!(stats.dropped_stray_responses, 1);
    assert!(sim.sent.is_empty());
}

/// Valid messages of every kind the endpoint handles, to mutate.
fn corpus() -> Vec<Vec<u8>> {
    let offer = offer();
    let invite = format!(
        "INVITE sip:conf@{EP} SIP/2.0\r\nVia: SIP/2.0/UDP {UAC};branch=z9hG4bK-1;rport\r\n\
         From: \"A\" <sip:a@{UAC}>;tag=1\r\nTo: <sip:conf@{EP}>\r\nCall-ID: fuzz@x\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:a@{UAC}>\r\nRecord-Route: <sip:127.0.0.9;lr>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{offer}",
        offer.len()
    );
    let in_dialog = |method: &str, cseq: u32| {
        format!(
            "{method} sip:conf@{EP} SIP/2.0\r\nVia: SIP/2.0/UDP {UAC};branch=z9hG4bK-{cseq}\r\n\
             From: <sip:a@{UAC}>;tag=1\r\nTo: <sip:conf@{EP}>;tag=0000000000000000\r\n\
             Call-ID: fuzz@x\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let response = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {EP};branch=z9hG4bK0\r\nFrom: <sip:conf@{EP}>;tag=2\r\n\
         To: <sip:a@{UAC}>;tag=1\r\nCall-ID: fuzz@x\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n"
    );
    [
        invite.clone(),
        invite
            .replace("INVITE sip", "CANCEL sip")
            .replace("1 INVITE", "1 CANCEL"),
        in_dialog("ACK", 1),
        in_dialog("BYE", 2),
        in_dialog("INVITE", 3),
        in_dialog("OPTIONS", 4),
        response,
        "v: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-c\ni: x\nf: <sip:a@b>;tag=1\nt: <sip:c@d>\n"
            .to_owned(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect()
}

fn mutate(rng: &mut SmallRng, mut data: Vec<u8>) -> Vec<u8> {
    const SPICE: &[u8] = b" :;,<>\"=@/\r\n\t\\0\xff";
    for _ in 0..rng.random_range(1..6) {
        if data.is_empty() {
            data.push(b'S');
        }
        let i = rng.random_range(0..data.len());
        match rng.random_range(0..7) {
            0 => data[i] = rng.random(),
            1 => {
                data.remove(i);
            }
            2 => data.insert(i, SPICE[rng.random_range(0..SPICE.len())]),
            3 => data.truncate(i),
            4 => {
                // Duplicate a slice (e.g. a header line).
                let end = (i + rng.random_range(1..64)).min(data.len());
                let slice = data[i..end].to_vec();
                data.splice(i..i, slice);
            }
            5 => {
                // Replace a digit run with a huge or negative number.
                let digits: &[u8] = if rng.random_bool(0.5) {
                    b"99999999999999999999"
                } else {
                    b"-1"
                };
                data.splice(i..i, digits.iter().copied());
            }
            _ => data[i] = data[i].to_ascii_lowercase(),
        }
    }
    data
}

#[test]
fn fuzzed_datagrams_never_panic() {
    let corpus = corpus();
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let mut ep = endpoint(99);
    let mut now = epoch();
    let total = 20_000;
    for round in 0..total {
        let data = match rng.random_range(0..10) {
            0 => (0..rng.random_range(0..300))
                .map(|_| rng.random())
                .collect(),
            1 => corpus[rng.random_range(0..corpus.len())].clone(),
            _ => {
                let base = corpus[rng.random_range(0..corpus.len())].clone();
                mutate(&mut rng, base)
            }
        };
        let port = 5000 + (round % 7) as u16;
        ep.handle_datagram(now, addr(EP), addr(&format!("127.0.0.1:{port}")), &data);
        while let Some(event) = ep.poll_event() {
            if let Event::IncomingCall(call) = event {
                // Exercise the application API on fuzzed calls too.
                let _ = match rng.random_range(0..3) {
                    0 => ep.answer(now, call.call, offer()),
                    1 => ep.reject(now, call.call, 603, "Decline"),
                    _ => ep.hangup(now, call.call),
                };
            }
        }
        while let Some(transmit) = ep.poll_transmit() {
            assert!(rsip::SipMessage::try_from(transmit.payload.as_slice()).is_ok());
        }
        now += Duration::from_millis(rng.random_range(0..200));
        ep.handle_timeout(now);
    }
    // Let every timer run out: nothing may be left behind.
    for _ in 0..10_000 {
        let Some(at) = ep.poll_timeout() else { break };
        now = now.max(at);
        ep.handle_timeout(now);
        while ep.poll_transmit().is_some() {}
        while ep.poll_event().is_some() {}
    }
    assert_eq!(ep.poll_timeout(), None);
    let stats = ep.stats();
    assert_eq!(stats.datagrams_received, total);
    assert!(
        stats.dropped_unparseable > 0 && stats.bad_requests_sent > 0,
        "{stats:?}"
    );
    assert!(stats.incoming_calls > 0, "{stats:?}");
}

#[test]
fn a_bye_with_a_broken_to_tag_does_not_end_a_call() {
    let mut sim = Sim::new(Net::perfect(24), 24, answering_shell());
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    sim.uac.stray("BYE", Some("wrong-tag"));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Bye), [481]);
    assert_eq!(sim.ep.active_calls(), 1);
}

/// What the endpoint sent in answer to the datagram `request`, each message's text.
fn answers_to(request: String) -> Vec<String> {
    let mut sim = Sim::new(Net::perfect(25), 25, idle_shell());
    sim.uac.send_raw(request.into_bytes());
    sim.run_for(Duration::from_secs(1));
    sim.sent.into_iter().map(|(_, text)| text).collect()
}

#[test]
fn a_tag_without_a_value_is_a_malformed_to_or_from() {
    let valid = options_with("CSeq: 1 OPTIONS");
    for (request, reason) in [
        (
            valid.replace(
                "To: <sip:conf@127.0.0.1:5060>",
                "To: <sip:conf@127.0.0.1:5060>;tag",
            ),
            "Malformed To header",
        ),
        (valid.replace(";tag=1", ";tag"), "Malformed From header"),
    ] {
        let answers = answers_to(request);
        let [response] = &answers[..] else {
            panic!("not one answer: {answers:?}");
        };
        assert!(
            response.starts_with(&format!("SIP/2.0 400 {reason}\r\n")),
            "{response}"
        );
        assert_eq!(
            response.matches(";tag").count(),
            2,
            "one tag in From, one in To: {response}"
        );
    }
}

#[test]
fn whitespace_around_the_via_port_colon_is_allowed() {
    let spaced = options_with("CSeq: 1 OPTIONS")
        .replace("127.0.0.1:5062;branch", "127.0.0.1 :\t5062;branch");
    let answers = answers_to(spaced);
    let [response] = &answers[..] else {
        panic!("not one answer: {answers:?}");
    };
    assert!(response.starts_with("SIP/2.0 200 "), "{response}");
    assert!(
        response.contains("Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-x\r\n"),
        "{response}"
    );
}

#[test]
fn a_signed_content_length_is_malformed_as_over_a_stream() {
    let signed = options_with("CSeq: 1 OPTIONS\r\nContent-Length: +2") + "ok";
    let answers = answers_to(signed);
    let [response] = &answers[..] else {
        panic!("not one answer: {answers:?}");
    };
    assert!(
        response.starts_with("SIP/2.0 400 Malformed Content-Length header\r\n"),
        "{response}"
    );
    let mut framer = switchyard_sip::StreamFramer::new(1024);
    framer.push(options_with("CSeq: 1 OPTIONS\r\nContent-Length: +2").as_bytes());
    assert!(matches!(
        framer.next_message(),
        Err(switchyard_sip::FramingError::BadContentLength { .. })
    ));
}
