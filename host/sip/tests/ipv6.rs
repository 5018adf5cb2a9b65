//! Signaling over IPv6 (RFC 5118): bracketed references in the Request-URI, Via sent-by,
//! Contact, From and To, and responses routed to the right IPv6 address.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use switchyard_sip::testing::{Net, Uac, UacConfig, addr, epoch, rsip::Method};
use switchyard_sip::{Endpoint, EndpointConfig, Event, Transmit, sdp};

const EP: &str = "[2001:db8::1]:5060";

fn endpoint() -> Endpoint {
    Endpoint::new(
        EndpointConfig {
            user_agent: "sut".into(),
        },
        3,
    )
}

/// Answers every call; hangs up once it is confirmed when `hang_up` is set.
fn shell(ep: &mut Endpoint, now: Instant, event: &Event, hang_up: bool) -> Option<String> {
    match event {
        Event::IncomingCall(call) => {
            let codecs =
                sdp::negotiate(call.offer.as_ref().expect("an offer"), &[("PCMU", 8000)]).unwrap();
            let answer = sdp::answer(&codecs, addr("[2001:db8::1]:40000"), 1);
            ep.answer(now, call.call, answer).unwrap();
            Some(format!("IncomingCall {}", call.request_uri))
        }
        Event::CallConfirmed { call, .. } => {
            if hang_up {
                ep.hangup(now, *call).unwrap();
            }
            Some("CallConfirmed".into())
        }
        Event::CallEnded { cause, .. } => Some(format!("CallEnded({cause:?})")),
        other => Some(format!("{other:?}")),
    }
}

/// Runs the endpoint at `EP` and `uac` at `caller` over a perfect network until nothing is left to do or
/// 60 s of virtual time passed; returns the endpoint's events and everything it sent.
fn run(
    ep: &mut Endpoint,
    uac: &mut Uac,
    caller: SocketAddr,
    hang_up: bool,
) -> (Vec<String>, Vec<Transmit>) {
    let sut = addr(EP);
    let mut net = Net::perfect(1);
    let (mut events, mut sent) = (Vec::new(), Vec::new());
    let mut now = epoch();
    for _ in 0..10_000 {
        while let Some(event) = ep.poll_event() {
            events.extend(shell(ep, now, &event, hang_up));
        }
        while let Some(t) = ep.poll_transmit() {
            net.send(now, sut, t.destination, t.payload.clone());
            sent.push(t);
        }
        while let Some(t) = uac.poll_transmit() {
            net.send(now, caller, t.destination, t.payload);
        }
        let next = [net.next_delivery(), ep.poll_timeout(), uac.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(next) if next - epoch() < Duration::from_secs(60) => now = next,
            _ => return (events, sent),
        }
        while let Some(datagram) = net.deliver(now) {
            if datagram.to == sut {
                ep.handle_datagram(now, sut, datagram.from, &datagram.payload);
            } else if datagram.to == caller {
                uac.handle_datagram(now, &datagram.payload);
            }
        }
        ep.handle_timeout(now);
        uac.handle_timeout(now);
    }
    panic!("the exchange did not settle within the step bound");
}

fn text(t: &Transmit) -> String {
    String::from_utf8_lossy(&t.payload).into_owned()
}

// rsip's URI parser refuses every IPv6 reference; the dialog (Contact, Record-Route, remote
// target), the response builder's To tag and the test UAC read them with the crate's own parsers.
#[test]
fn a_call_between_ipv6_addresses_completes_and_the_bye_goes_to_the_contact() {
    let mut ep = endpoint();
    let caller = addr("[2001:db8::2]:5062");
    let mut uac = Uac::new(UacConfig::new(caller, addr(EP), "conf-6", "alice"));
    uac.call(epoch(), addr("[2001:db8::2]:6000"));
    let (events, sent) = run(&mut ep, &mut uac, caller, true);
    assert_eq!(
        events,
        [
            "IncomingCall sip:conf-6@[2001:db8::1]:5060",
            "CallConfirmed",
            "CallEnded(LocalHangup)"
        ]
    );
    assert!(sent.iter().all(|t| t.destination == caller), "{sent:?}");
    assert_eq!(uac.codes(Method::Invite), [100, 200]);
    let ok = uac.last_response(Method::Invite).unwrap();
    assert_eq!(
        ok.header("Contact").as_deref(),
        Some("<sip:[2001:db8::1]:5060>")
    );
    // RFC 3261 §25.1: via-received is an IPv6address, written without brackets (RFC 5118
    // §4.5 asks receivers to take both forms).
    assert_eq!(
        ok.header("Via").as_deref(),
        Some("SIP/2.0/UDP [2001:db8::2]:5062;branch=z9hG4bK-uac-1;rport=5062;received=2001:db8::2")
    );
    let bye = text(sent.iter().find(|t| text(t).starts_with("BYE ")).unwrap());
    assert!(
        bye.starts_with("BYE sip:alice@[2001:db8::2]:5062 SIP/2.0\r\n"),
        "{bye}"
    );
    assert!(
        bye.contains("Via: SIP/2.0/UDP [2001:db8::1]:5060;"),
        "{bye}"
    );
    assert_eq!(ep.active_calls(), 0);
}

#[test]
fn responses_follow_the_via_of_ipv6_requests() {
    let options = |via: &str, uri: &str| {
        format!(
            "OPTIONS {uri} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
             From: <sip:b@[2001:db8::9]>;tag=f\r\nTo: <sip:a@[2001:db8::1]>\r\n\
             Call-ID: c-{}\r\nCSeq: 1 OPTIONS\r\n\
             Contact: <sip:b@[2001:db8::9]:5070;transport=udp>\r\nContent-Length: 0\r\n\r\n",
            via.len()
        )
    };
    let cases = [
        // No rport: the sent-by port, the source address (§18.2.2), `received` as the
        // sent-by host differs from the source.
        (
            "SIP/2.0/UDP [2001:db8::9];branch=z9hG4bK1",
            "sip:a@[2001:db8::1]",
            "[2001:db8::3]:7000",
            "[2001:db8::3]:5060",
            "SIP/2.0/UDP [2001:db8::9];branch=z9hG4bK1;received=2001:db8::3",
        ),
        (
            "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK2",
            "sip:[2001:db8::1]:5060",
            "[2001:db8::9]:5070",
            "[2001:db8::9]:5070",
            "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK2",
        ),
        // RFC 3581 §4: rport sends the response back to the source port.
        (
            "SIP/2.0/UDP [2001:db8::9]:5070;rport;branch=z9hG4bK3",
            "sip:a@[2001:db8::1]:5060;transport=udp",
            "[2001:db8::4]:40000",
            "[2001:db8::4]:40000",
            "SIP/2.0/UDP [2001:db8::9]:5070;rport=40000;branch=z9hG4bK3;received=2001:db8::4",
        ),
        (
            "SIP/2.0/UDP [::1]:5062;branch=z9hG4bK4;rport",
            "sip:a@[::1]:5060",
            "[::1]:5062",
            "[::1]:5062",
            "SIP/2.0/UDP [::1]:5062;branch=z9hG4bK4;rport=5062;received=::1",
        ),
    ];
    for (via, uri, source, destination, answered_via) in cases {
        let mut ep = endpoint();
        let request = options(via, uri);
        ep.handle_datagram(epoch(), addr(EP), addr(source), request.as_bytes());
        let response = ep
            .poll_transmit()
            .unwrap_or_else(|| panic!("{via}: no answer"));
        let text = text(&response);
        assert!(text.starts_with("SIP/2.0 200 "), "{via}: {text}");
        assert_eq!(response.destination, addr(destination), "{via}");
        assert!(
            text.contains(&format!("Via: {answered_via}\r\n")),
            "{via}: {text}"
        );
    }
}

// RFC 3261 §8.2.6.2: the response carries our To tag even when the To URI is an IPv6 reference.
#[test]
fn responses_to_ipv6_requests_carry_a_to_tag() {
    let mut ep = endpoint();
    let request = "OPTIONS sip:a@[2001:db8::1] SIP/2.0\r\n\
                   Via: SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK1\r\n\
                   From: <sip:b@[2001:db8::9]>;tag=f\r\nTo: <sip:a@[2001:db8::1]>\r\n\
                   Call-ID: c-tag\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    ep.handle_datagram(
        epoch(),
        addr(EP),
        addr("[2001:db8::9]:5070"),
        request.as_bytes(),
    );
    let response = text(&ep.poll_transmit().expect("an answer"));
    assert!(
        response.contains("To: <sip:a@[2001:db8::1]>;tag="),
        "{response}"
    );
}
