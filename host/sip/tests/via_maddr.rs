//! Responses to a request whose top Via has `maddr` (RFC 3261 §18.2.2): over UDP, when the
//! maddr is the request's source address, they go there at the sent-by port, whatever rport
//! (RFC 3581 §4) asked for; over TCP they stay on the connection; a maddr naming any other
//! address is ignored, so that no peer can have responses sent to a third host. Requests in
//! the dialog go where the peer sends from, whatever its maddr.

use std::net::SocketAddr;
use std::time::Duration;

use switchyard_sip::testing::{addr, epoch};
use switchyard_sip::{Endpoint, EndpointConfig, Event, Transmit, Transport};

const EP: &str = "192.0.2.1:5060";

/// Where requests come from.
const SOURCE: &str = "192.0.2.9:40000";

/// An OPTIONS with top Via `via` and CSeq line `cseq` (a bad one gets a 400, routed the same).
fn options(via: &str, cseq: &str) -> String {
    format!(
        "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
         From: <sip:b@192.0.2.9>;tag=f\r\nTo: <sip:a@192.0.2.1>\r\n\
         Call-ID: maddr-{}\r\n{cseq}\r\nContent-Length: 0\r\n\r\n",
        via.len()
    )
}

/// The one message the endpoint sends for `request`, received over `transport` from `source`.
fn response(transport: Transport, source: &str, request: &str) -> Transmit {
    let mut ep = Endpoint::new(
        EndpointConfig {
            user_agent: "sut".into(),
        },
        1,
    );
    ep.handle_message(
        epoch(),
        transport,
        addr(EP),
        addr(source),
        request.as_bytes(),
    );
    let response = ep.poll_transmit().expect("an answer");
    assert!(ep.poll_transmit().is_none(), "one answer");
    response
}

fn text(t: &Transmit) -> String {
    String::from_utf8_lossy(&t.payload).into_owned()
}

#[test]
fn udp_responses_go_to_a_maddr_naming_the_source_at_the_sent_by_port() {
    let cases = [
        // The sent-by port, not the source port rport asked for (RFC 3581 §4 applies only
        // without maddr); the Via is still annotated with both.
        (
            "SIP/2.0/UDP 10.0.0.9:5070;maddr=192.0.2.9;branch=z9hG4bK1;rport",
            "192.0.2.9:5070",
            "SIP/2.0/UDP 10.0.0.9:5070;maddr=192.0.2.9;branch=z9hG4bK1;rport=40000;received=192.0.2.9",
        ),
        // No sent-by port: 5060, again not the source port rport asked for.
        (
            "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK2;rport;maddr=192.0.2.9",
            "192.0.2.9:5060",
            "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK2;rport=40000;maddr=192.0.2.9;received=192.0.2.9",
        ),
    ];
    for (via, destination, answered_via) in cases {
        for (cseq, status) in [("CSeq: 1 OPTIONS", "200"), ("CSeq: x OPTIONS", "400")] {
            let sent = response(Transport::Udp, SOURCE, &options(via, cseq));
            let text = text(&sent);
            assert!(text.starts_with(&format!("SIP/2.0 {status} ")), "{text}");
            assert_eq!(sent.destination, addr(destination), "{via}: {text}");
            assert_eq!(sent.source, Some(addr(EP)), "from where the request came");
            assert!(
                text.contains(&format!("Via: {answered_via}\r\n")),
                "{via}: {text}"
            );
        }
    }
}

#[test]
fn an_ipv6_maddr_is_taken_with_or_without_brackets() {
    for maddr in ["[2001:db8::9]", "2001:db8::9"] {
        let via = format!("SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK1;rport;maddr={maddr}");
        let sent = response(
            Transport::Udp,
            "[2001:db8::9]:40000",
            &options(&via, "CSeq: 1 OPTIONS"),
        );
        assert_eq!(sent.destination, addr("[2001:db8::9]:5070"), "{via}");
    }
}

#[test]
fn a_maddr_no_response_can_go_to_leaves_the_source_rules() {
    // Another host than the source (a third party the peer would aim our responses at), a
    // host name (no DNS here), multicast, the other family, and no address at all.
    for maddr in [
        "198.51.100.4",
        "proxy.example.com",
        "224.0.1.75;ttl=1",
        "[2001:db8::4]",
        "0.0.0.0",
    ] {
        let rport = format!("SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bK1;rport;maddr={maddr}");
        let sent = response(Transport::Udp, SOURCE, &options(&rport, "CSeq: 1 OPTIONS"));
        assert_eq!(sent.destination, addr(SOURCE), "{rport}");
        let sent_by = format!("SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bK1;maddr={maddr}");
        let sent = response(
            Transport::Udp,
            SOURCE,
            &options(&sent_by, "CSeq: 1 OPTIONS"),
        );
        assert_eq!(sent.destination, addr("192.0.2.9:5070"), "{sent_by}");
    }
}

#[test]
fn a_refusal_and_its_retransmissions_go_to_the_source_not_a_third_host() {
    let invite = "INVITE sip:a@192.0.2.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 198.51.100.4:53;maddr=198.51.100.4;branch=z9hG4bKx\r\n\
         Max-Forwards: 0\r\nFrom: <sip:b@192.0.2.9>;tag=f\r\nTo: <sip:a@192.0.2.1>\r\n\
         Call-ID: maddr-reflect\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    let mut ep = Endpoint::new(
        EndpointConfig {
            user_agent: "sut".into(),
        },
        1,
    );
    let mut sent = deliver(&mut ep, SOURCE, invite);
    // Timer G resends the 483 until Timer H (64*T1, 32 s) ends the transaction.
    let end = epoch() + Duration::from_secs(64);
    for _ in 0..100 {
        let Some(at) = ep.poll_timeout().filter(|&at| at <= end) else {
            break;
        };
        ep.handle_timeout(at);
        sent.extend(std::iter::from_fn(|| ep.poll_transmit()));
    }
    assert!(sent.len() > 1, "the 483 and its retransmissions");
    for transmit in &sent {
        assert!(
            text(transmit).starts_with("SIP/2.0 483 "),
            "{}",
            text(transmit)
        );
        assert_eq!(
            transmit.destination,
            addr("192.0.2.9:53"),
            "the source address, at the sent-by port"
        );
    }
}

#[test]
fn over_tcp_responses_stay_on_the_connection_whatever_the_maddr() {
    let via = "SIP/2.0/TCP 10.0.0.9:5070;maddr=198.51.100.4;branch=z9hG4bK1";
    let sent = response(Transport::Tcp, SOURCE, &options(via, "CSeq: 1 OPTIONS"));
    assert_eq!(sent.transport, Transport::Tcp);
    assert_eq!(sent.destination, addr(SOURCE), "the request's connection");
    let reopen: SocketAddr = addr("192.0.2.9:5070");
    assert_eq!(
        sent.reopen,
        Some(reopen),
        "a new connection goes to the source IP, the sent-by port"
    );
}

/// Where a peer behind a NAT sends from: the NAT's public address, which its Via's maddr
/// names, at the port the NAT mapped.
const NATTED: &str = "198.51.100.4:40000";

/// A request of a peer at 10.0.0.9:5070 behind the NAT in call `maddr-nat`, its top Via
/// asking for responses at the maddr `198.51.100.4`: `method` with CSeq `cseq`, Via branch
/// `branch`, our To tag `tag` once there is one, and an offer unless it is an ACK.
fn natted(method: &str, cseq: u32, branch: &str, tag: Option<&str>) -> String {
    let tag = tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let body = if method == "ACK" {
        String::new()
    } else {
        switchyard_sip::testing::audio_offer(addr("10.0.0.9:4000"))
    };
    format!(
        "{method} sip:a@192.0.2.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.9:5070;rport;maddr=198.51.100.4;branch={branch}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:b@10.0.0.9>;tag=f\r\nTo: <sip:a@192.0.2.1>{tag}\r\n\
         Call-ID: maddr-nat\r\nCSeq: {cseq} {method}\r\nContact: <sip:b@10.0.0.9:5070>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Hands `ep` `request` over UDP from `source`; what it sends then.
fn deliver(ep: &mut Endpoint, source: &str, request: &str) -> Vec<Transmit> {
    ep.handle_message(
        epoch(),
        Transport::Udp,
        addr(EP),
        addr(source),
        request.as_bytes(),
    );
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

/// The one message `ep` sends now whose first line starts with `start`.
fn sent(ep: &mut Endpoint, start: &str) -> Transmit {
    let sent: Vec<_> = std::iter::from_fn(|| ep.poll_transmit())
        .filter(|t| text(t).starts_with(start))
        .collect();
    assert_eq!(sent.len(), 1, "one {start}");
    sent.into_iter().next().unwrap()
}

#[test]
fn requests_in_a_dialog_go_where_the_peer_sends_from_not_to_its_maddr() {
    let mut ep = Endpoint::new(
        EndpointConfig {
            user_agent: "sut".into(),
        },
        1,
    );
    deliver(&mut ep, NATTED, &natted("INVITE", 1, "z9hG4bKn1", None));
    let Some(Event::IncomingCall(incoming)) = ep.poll_event() else {
        panic!("an incoming call");
    };
    let call = incoming.call;
    let answer = switchyard_sip::testing::audio_offer(addr("192.0.2.1:30000"));
    ep.answer(epoch(), call, answer.clone()).unwrap();
    let ok = sent(&mut ep, "SIP/2.0 200 ");
    assert_eq!(
        ok.destination,
        addr("198.51.100.4:5070"),
        "a response: the maddr"
    );
    let ok = text(&ok);
    let tag = ok
        .split("To: <sip:a@192.0.2.1>;tag=")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next())
        .expect("our To tag");
    deliver(&mut ep, NATTED, &natted("ACK", 1, "z9hG4bKn2", Some(tag)));
    ep.probe(epoch(), call).unwrap();
    let probe = sent(&mut ep, "OPTIONS ");
    assert_eq!(
        probe.destination,
        addr(NATTED),
        "a request: where the peer's INVITE came from, rport and all"
    );
    // The NAT mapped the peer anew: its re-INVITE, a target refresh, comes from another port.
    let remapped = "198.51.100.4:40001";
    deliver(
        &mut ep,
        remapped,
        &natted("INVITE", 2, "z9hG4bKn3", Some(tag)),
    );
    while ep.poll_event().is_some() {}
    let reinvite_ok = ep.accept_offer(epoch(), call, answer);
    assert!(reinvite_ok.is_ok(), "{reinvite_ok:?}");
    let ok = sent(&mut ep, "SIP/2.0 200 ");
    assert_eq!(
        ok.destination,
        addr("198.51.100.4:5070"),
        "a response: the maddr"
    );
    deliver(&mut ep, remapped, &natted("ACK", 2, "z9hG4bKn4", Some(tag)));
    ep.hangup(epoch(), call).unwrap();
    let bye = sent(&mut ep, "BYE ");
    assert_eq!(
        bye.destination,
        addr(remapped),
        "a request: where the peer sent its last target refresh from, rport and all"
    );
}
