//! Strict request handling (RFC 3261): extension methods get 405, Max-Forwards is checked,
//! control characters and oversized requests are refused with the response naming the
//! problem, and what cannot be answered is dropped and counted. Valid but unusual addresses,
//! and the unescaped `#` that gateways put in user parts, are served.

mod common;

use std::time::Duration;

use rsip::Method;

use common::*;
use switchyard_sip::{Event, Limits, Stats};

/// A peer on its own address; its requests ask for `rport`, so answers come back to it.
const PEER: &str = "192.0.2.9:5070";

/// A `method` request from [`PEER`] to 000777123 with branch `z9hG4bK-<branch>` (also the
/// Call-ID), CSeq `1 <cseq_method>` and the header lines `extra` (each ending in CRLF).
fn request(method: &str, cseq_method: &str, branch: &str, extra: &str) -> String {
    format!(
        "{method} sip:000777123@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PEER};branch=z9hG4bK-{branch};rport\r\n\
         From: <sip:alice@{PEER}>;tag=a1\r\nTo: <sip:000777123@127.0.0.1>\r\n\
         Call-ID: {branch}@192.0.2.9\r\nCSeq: 1 {cseq_method}\r\n{extra}Content-Length: 0\r\n\r\n"
    )
}

/// Sends `datagram` from [`PEER`] and runs 100 ms of virtual time (less than T1, so nothing
/// is retransmitted yet); returns what the endpoint sent meanwhile, each checked to parse.
fn exchange(sim: &mut Sim, datagram: impl Into<Vec<u8>>) -> Vec<String> {
    let before = sim.sent.len();
    sim.send_from(addr(PEER), datagram.into());
    sim.run_for(Duration::from_millis(100));
    let sent: Vec<String> = sim.sent[before..].iter().map(|(_, t)| t.clone()).collect();
    for text in &sent {
        assert!(
            rsip::SipMessage::try_from(text.as_bytes()).is_ok(),
            "the endpoint sent unparseable SIP: {text:?}"
        );
    }
    sent
}

/// The one response to `datagram`; panics, showing what was sent, unless there is exactly one.
fn answer(sim: &mut Sim, datagram: impl Into<Vec<u8>>) -> String {
    let sent = exchange(sim, datagram);
    assert_eq!(sent.len(), 1, "expected one response, got {sent:#?}");
    sent.into_iter().next().unwrap_or_default()
}

fn sim(seed: u64) -> Sim {
    Sim::new(Net::perfect(seed), seed, idle_shell())
}

fn assert_status(response: &str, status_line: &str) {
    assert!(
        response.starts_with(&format!("{status_line}\r\n")),
        "expected {status_line:?}, got:\n{response}"
    );
}

#[test]
fn an_unknown_method_gets_405_with_allow_and_its_retransmission_the_same_bytes() {
    let mut sim = sim(30);
    let frobnicate = request("FROBNICATE", "FROBNICATE", "f1", "Max-Forwards: 70\r\n");
    let first = answer(&mut sim, frobnicate.clone());
    assert_status(&first, "SIP/2.0 405 Method Not Allowed");
    for line in [
        "\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK\r\n",
        "\r\nCSeq: 1 FROBNICATE\r\n",
        "\r\nTo: <sip:000777123@127.0.0.1>;tag=",
    ] {
        assert!(first.contains(line), "missing {line:?} in:\n{first}");
    }
    let again = answer(&mut sim, frobnicate);
    assert_eq!(
        again, first,
        "§17.2.2: the retransmission gets the same response"
    );
    assert_eq!(sim.ep.stats().request_retransmissions_received, 1);
    let lower = answer(&mut sim, request("invite", "invite", "f2", ""));
    assert_status(&lower, "SIP/2.0 405 Method Not Allowed");
    assert!(
        sim.events.is_empty(),
        "method names are case-sensitive: {:?}",
        sim.event_names()
    );
}

#[test]
fn a_method_not_implemented_gets_405_before_its_headers_are_checked() {
    let mut sim = sim(32);
    for (branch, extra) in [("g1", "Max-Forwards: 0\r\n"), ("g2", "Require: foo\r\n")] {
        let subscribe = request("SUBSCRIBE", "SUBSCRIBE", branch, extra);
        assert_status(
            &answer(&mut sim, subscribe),
            "SIP/2.0 405 Method Not Allowed",
        );
    }
}

#[test]
fn a_100_trying_carries_the_invites_timestamp() {
    let mut sim = sim(33);
    // Media where the peer is: a loopback address from elsewhere is refused.
    let sdp = offer().replace("127.0.0.1", "192.0.2.9");
    let invite = request(
        "INVITE",
        "INVITE",
        "t1",
        &format!(
            "Contact: <sip:alice@{PEER}>\r\nTimestamp: 54\r\nContent-Type: application/sdp\r\n"
        ),
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Length: {}\r\n\r\n{sdp}", sdp.len()),
    );
    let sent = exchange(&mut sim, invite);
    let trying = sent.first().expect("a 100 Trying");
    assert_status(trying, "SIP/2.0 100 Trying");
    assert!(
        trying.contains("\r\nTimestamp: 54\r\n"),
        "§8.2.6.1: {trying}"
    );
}

#[test]
fn an_unescaped_hash_in_a_user_part_is_served_and_the_user_seen_as_sent() {
    let mut sim = sim(34);
    let sdp = offer().replace("127.0.0.1", "192.0.2.9");
    let invite = request(
        "INVITE",
        "INVITE",
        "h1",
        &format!("Contact: <sip:alice@{PEER}>\r\nContent-Type: application/sdp\r\n"),
    )
    .replace("sip:000777123@127.0.0.1 ", "sip:#123@127.0.0.1;user=phone ")
    .replace("<sip:alice@", "<sip:*31#0123@")
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Length: {}\r\n\r\n{sdp}", sdp.len()),
    );
    let sent = exchange(&mut sim, invite);
    assert_status(sent.first().expect("a 100 Trying"), "SIP/2.0 100 Trying");
    let users = sim.events.iter().find_map(|(_, event)| match event {
        Event::IncomingCall(call) => Some((call.request_user.as_str(), call.from_user.as_str())),
        _ => None,
    });
    assert_eq!(users, Some(("#123", "*31#0123")));
    for (branch, from, to, status_line) in [
        ("h2", "sip:alice@", "sip:alice#1@", "SIP/2.0 200 OK"),
        (
            "h3",
            "@192.0.2.9:5070>",
            "@gw#1>",
            "SIP/2.0 400 Malformed From header",
        ),
        (
            "h4",
            "@127.0.0.1 ",
            "@127.0.0.1#1 ",
            "SIP/2.0 400 Malformed Request-URI",
        ),
    ] {
        let options = request("OPTIONS", "OPTIONS", branch, "").replacen(from, to, 1);
        assert_status(&answer(&mut sim, options), status_line);
    }
}

/// Peers write an e-mail address as a user unescaped (RFC 3261 §25.1 wants it `%40`): a From,
/// To or Contact with an "@" past its userinfo's is served, as the endpoint sends to none of
/// their hosts but an IP literal after the first "@". A Request-URI's IPv6 host outside
/// brackets is refused (RFC 5118 §4.2).
#[test]
fn an_email_address_as_a_user_is_served_and_an_ipv6_request_uri_needs_brackets() {
    let mut sim = sim(36);
    for (branch, from, to, status_line) in [
        (
            "e1",
            "<sip:alice@",
            "<sip:alice@example.com@",
            "SIP/2.0 200 OK",
        ),
        (
            "e2",
            "<sip:000777123@",
            "<sip:conf@example.com@",
            "SIP/2.0 200 OK",
        ),
        (
            "e3",
            "Content-Length",
            "Contact: <sip:alice@example.com@192.0.2.9:5070>\r\nContent-Length",
            "SIP/2.0 200 OK",
        ),
        (
            "e4",
            "sip:000777123@127.0.0.1 ",
            "sip:2001:db8::10 ",
            "SIP/2.0 400 Malformed Request-URI",
        ),
    ] {
        let options = request("OPTIONS", "OPTIONS", branch, "").replacen(from, to, 1);
        assert_status(&answer(&mut sim, options), status_line);
    }
}

#[test]
fn a_contact_addr_spec_with_angle_brackets_in_a_quoted_parameter_is_served() {
    let mut sim = sim(35);
    let contact = "Contact: sip:alice@192.0.2.7;\
                   +sip.instance=\"<urn:uuid:0C67446E-F1A1-11D9-94D3-000A95A0E128>\"\r\n";
    let options = request("OPTIONS", "OPTIONS", "c1", contact);
    assert_status(&answer(&mut sim, options), "SIP/2.0 200 OK");
}

#[test]
fn an_unknown_method_with_another_cseq_method_gets_400_and_one_without_via_is_dropped() {
    let mut sim = sim(31);
    let mismatch = answer(&mut sim, request("FROBNICATE", "INVITE", "m1", ""));
    assert_status(
        &mismatch,
        "SIP/2.0 400 CSeq method does not match request method",
    );
    let no_via = request("FROBNICATE", "FROBNICATE", "m2", "").replace(
        &format!("Via: SIP/2.0/UDP {PEER};branch=z9hG4bK-m2;rport\r\n"),
        "",
    );
    assert!(exchange(&mut sim, no_via).is_empty(), "no Via, no response");
    let stats = sim.ep.stats();
    assert_eq!(
        (stats.bad_requests_sent, stats.dropped_unroutable_requests),
        (1, 1)
    );
}

#[test]
fn a_cseq_number_is_any_of_32_bits_and_0_is_one() {
    let mut sim = sim(34);
    let numbered = |cseq: &str, branch: &str| {
        request("OPTIONS", "OPTIONS", branch, "").replace("CSeq: 1 ", &format!("CSeq: {cseq} "))
    };
    // §20.16: a 32-bit number; §8.1.1.5's bound of 2^31 is the sender's, for a first request.
    for (cseq, branch) in [("0", "q1"), ("2147483648", "q2"), ("4294967295", "q3")] {
        assert_status(&answer(&mut sim, numbered(cseq, branch)), "SIP/2.0 200 OK");
    }
    let refused = answer(&mut sim, numbered("4294967296", "q4"));
    assert_status(&refused, "SIP/2.0 400 CSeq number out of range");
    let malformed = answer(&mut sim, numbered("0x1", "q5"));
    assert_status(&malformed, "SIP/2.0 400 Malformed CSeq header");
    assert_eq!(sim.ep.stats().bad_requests_sent, 2);
}

#[test]
fn a_peers_cseq_goes_on_past_2_31_in_its_dialog() {
    // §12.2.1.1: the peer counts on from its INVITE's number, which §8.1.1.5 only keeps below
    // 2^31; its BYE, and the ACK of its re-INVITE, may be numbered 2^31.
    let mut sim = Sim::new(Net::perfect(35), 35, answering_shell());
    sim.uac.next_cseq = 2_147_483_647;
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    sim.uac.reinvite(sim.now);
    sim.run_for(Duration::from_secs(5));
    let oks = |sim: &Sim| {
        sim.uac
            .codes(Method::Invite)
            .iter()
            .filter(|c| **c == 200)
            .count()
    };
    assert_eq!(oks(&sim), 2, "{:?}", sim.uac.codes(Method::Invite));
    sim.uac.bye(sim.now);
    assert!(sim.run_until(Duration::from_secs(15), |s| {
        s.has_event("CallEnded(RemoteBye)")
    }));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Bye), [200]);
    assert_eq!(oks(&sim), 2, "the 2xx to the re-INVITE was ACKed");
    assert_eq!(sim.ep.stats().dropped_acks, 0);
}

#[test]
fn max_forwards_zero_gets_483_but_options_is_answered() {
    let mut sim = sim(32);
    let invite = answer(
        &mut sim,
        request("INVITE", "INVITE", "h1", "Max-Forwards: 0\r\n"),
    );
    assert_status(&invite, "SIP/2.0 483 Too Many Hops");
    let bye = answer(&mut sim, request("BYE", "BYE", "h2", "Max-Forwards: 0\r\n"));
    assert_status(&bye, "SIP/2.0 483 Too Many Hops");
    let options = answer(
        &mut sim,
        request("OPTIONS", "OPTIONS", "h3", "Max-Forwards: 0\r\n"),
    );
    assert_status(&options, "SIP/2.0 200 OK");
    let liberal = answer(&mut sim, request("OPTIONS", "OPTIONS", "h4", ""));
    assert_status(&liberal, "SIP/2.0 200 OK");
    assert!(sim.events.is_empty(), "no call: {:?}", sim.event_names());
}

#[test]
fn malformed_max_forwards_gets_400_naming_it() {
    let mut sim = sim(33);
    for (n, value) in ["-1", "256", "70000", "seventy", "7 0", ""]
        .iter()
        .enumerate()
    {
        let datagram = request(
            "INVITE",
            "INVITE",
            &format!("x{n}"),
            &format!("Max-Forwards: {value}\r\n"),
        );
        let response = answer(&mut sim, datagram);
        assert_status(&response, "SIP/2.0 400 Malformed Max-Forwards header");
    }
    let fine = answer(
        &mut sim,
        request("OPTIONS", "OPTIONS", "ok", "Max-Forwards: 0255\r\n"),
    );
    assert_status(&fine, "SIP/2.0 200 OK");
    assert_eq!(sim.ep.stats().bad_requests_sent, 6);
}

#[test]
fn a_control_character_in_a_header_gets_400_naming_it() {
    let mut sim = sim(34);
    let cases = [
        ("Subject: hello\0world\r\n", "Subject"),
        ("X-Bell: \x07\r\n", "X-Bell"),
        ("X-Del: a\x7fb\r\n", "X-Del"),
        ("X-Cr: a\rb\r\n", "X-Cr"),
    ];
    for (n, (line, name)) in cases.iter().enumerate() {
        let response = answer(
            &mut sim,
            request("INVITE", "INVITE", &format!("c{n}"), line),
        );
        assert_status(
            &response,
            &format!("SIP/2.0 400 Control character in {name} header"),
        );
    }
    assert!(sim.events.is_empty(), "no call: {:?}", sim.event_names());
    assert_eq!(sim.ep.stats().bad_requests_sent, 4);
    let quoted_pair = "X-Quoted: \"nul \\\0 escaped\"\r\n";
    let fine = answer(&mut sim, request("OPTIONS", "OPTIONS", "q", quoted_pair));
    assert_status(&fine, "SIP/2.0 200 OK");
}

#[test]
fn a_control_character_in_a_header_a_response_copies_is_dropped_and_counted() {
    // §8.2.6.2: the response would copy it, and carry a bare CR on to peers that end lines
    // at CR, or hold what strict peers refuse to read.
    let mut sim = sim(35);
    let top_via = format!("Via: SIP/2.0/UDP {PEER};branch=z9hG4bK-");
    let cases = [
        ("192.0.2.9:5070;branch", "192.0.2.9\0:5070;branch"),
        (
            top_via.as_str(),
            "Via:\r SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-",
        ),
        (
            ";rport\r\n",
            ";rport\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-2\x01\r\n",
        ),
        (">;tag=a1", ">;\rtag=a1"),
        ("To: <", "To: \x07<"),
        ("@192.0.2.9\r\nCSeq", "@192.0.2.9\x7f\r\nCSeq"),
        ("CSeq: 1", "CSeq:\r 1"),
    ];
    for (n, (from, to)) in cases.iter().enumerate() {
        let datagram = request("INVITE", "INVITE", &format!("d{n}"), "Subject: a\0b\r\n")
            .replacen(from, to, 1);
        assert!(
            exchange(&mut sim, datagram).is_empty(),
            "{to:?}: no response"
        );
    }
    let stats = sim.ep.stats();
    assert_eq!(
        (stats.dropped_unroutable_requests, stats.bad_requests_sent),
        (cases.len() as u64, 0)
    );
    assert!(sim.events.is_empty(), "no call: {:?}", sim.event_names());
}

/// `request` grown past `size` bytes with an `X-Padding` header.
fn padded(request: &str, size: usize) -> String {
    let padding = format!("X-Padding: {}\r\n", "p".repeat(size));
    request.replacen(
        "Content-Length: 0\r\n",
        &(padding + "Content-Length: 0\r\n"),
        1,
    )
}

#[test]
fn a_request_over_the_default_size_limit_gets_513() {
    let mut sim = sim(36);
    let large = padded(
        &request("INVITE", "INVITE", "big", ""),
        Limits::DEFAULT_MAX_MESSAGE_BYTES,
    );
    let response = answer(&mut sim, large);
    assert_status(&response, "SIP/2.0 513 Message Too Large");
    assert!(!response.contains("X-Padding"), "{response}");
    assert!(sim.events.is_empty(), "no call: {:?}", sim.event_names());
    let ack = padded(
        &request("ACK", "ACK", "big", ""),
        Limits::DEFAULT_MAX_MESSAGE_BYTES,
    );
    assert!(
        exchange(&mut sim, ack).is_empty(),
        "an ACK is never answered"
    );
    let garbage = vec![b'x'; Limits::DEFAULT_MAX_MESSAGE_BYTES + 1];
    assert!(exchange(&mut sim, garbage).is_empty());
    let response = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {EP};branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n\
         To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n"
    );
    let large_response = padded(&response, Limits::DEFAULT_MAX_MESSAGE_BYTES);
    assert!(exchange(&mut sim, large_response).is_empty());
    let stats = sim.ep.stats();
    assert_eq!(
        (
            stats.too_large_sent,
            stats.dropped_acks,
            stats.dropped_too_large
        ),
        (1, 1, 2),
        "{stats:?}"
    );
}

#[test]
fn the_size_limit_is_configurable_and_inclusive() {
    let mut sim = sim(37);
    let limit = 1_000;
    sim.ep = endpoint(37).with_limits(Limits {
        max_message_bytes: limit,
        ..Limits::default()
    });
    let base = request("OPTIONS", "OPTIONS", "at", "");
    let at_limit = padded(&base, 0).replace(
        "X-Padding: ",
        &format!("X-Padding: {}", "p".repeat(limit - base.len() - 13)),
    );
    assert_eq!(at_limit.len(), limit);
    assert_status(&answer(&mut sim, at_limit), "SIP/2.0 200 OK");
    let over = padded(&request("OPTIONS", "OPTIONS", "over", ""), limit);
    assert_status(&answer(&mut sim, over), "SIP/2.0 513 Message Too Large");
    assert_eq!(
        sim.ep.stats(),
        Stats {
            datagrams_received: 2,
            too_large_sent: 1,
            ..sim.ep.stats()
        }
    );
}
