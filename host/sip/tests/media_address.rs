//! Media addresses in SDP are taken only where the peer that sent them could receive: an
//! offer naming a multicast or broadcast address, or this host's loopback while the peer is
//! elsewhere, is refused with 488, and an answer naming one is no usable answer. Otherwise
//! this host would send its RTP and RTCP to its own services, or to a group.

use std::net::SocketAddr;

use switchyard_sip::testing::rsip::Method;
use switchyard_sip::testing::{Uac, UacConfig, Uas, addr, audio_offer, epoch};
use switchyard_sip::{Endpoint, EndpointConfig, Event, OutgoingCall, Transport};

const EP: &str = "192.0.2.1:5060";
/// A peer elsewhere.
const REMOTE: &str = "192.0.2.7:5060";

fn endpoint() -> Endpoint {
    Endpoint::new(
        EndpointConfig {
            user_agent: "sut".into(),
        },
        1,
    )
}

/// The status line the endpoint answers an INVITE with body `sdp` from `from` with, and
/// whether the shell heard of the call.
fn answer_to_invite(from: SocketAddr, ep_addr: SocketAddr, sdp: &str) -> (String, bool) {
    let now = epoch();
    let mut ep = endpoint();
    let mut uac = Uac::new(UacConfig::new(from, ep_addr, "conf", "alice"));
    uac.invite(now, "", sdp);
    while let Some(t) = uac.poll_transmit() {
        ep.handle_datagram(now, ep_addr, from, &t.payload);
    }
    while let Some(t) = ep.poll_transmit() {
        uac.handle_datagram(now, &t.payload);
    }
    let offered =
        std::iter::from_fn(|| ep.poll_event()).any(|e| matches!(e, Event::IncomingCall(_)));
    let response = uac.last_response(Method::Invite).expect("a response");
    let status = response.text.lines().next().unwrap_or_default().to_owned();
    (status, offered)
}

#[test]
fn an_offer_naming_media_addresses_its_sender_could_not_hold_gets_488() {
    let with_rtcp = |rtcp: &str| {
        audio_offer(addr("198.51.100.4:40000")) + &format!("a=rtcp:514 IN IP4 {rtcp}\r\n")
    };
    let refused = [
        ("loopback RTP", audio_offer(addr("127.0.0.1:8125"))),
        ("loopback RTCP", with_rtcp("127.0.0.1")),
        (
            "mapped loopback RTP",
            audio_offer(addr("[::ffff:127.0.0.1]:8125")),
        ),
        ("multicast RTP", audio_offer(addr("224.0.1.75:40000"))),
        ("broadcast RTP", audio_offer(addr("255.255.255.255:40000"))),
        ("multicast RTCP", with_rtcp("239.1.1.1")),
    ];
    for (what, sdp) in refused {
        let (status, offered) = answer_to_invite(addr(REMOTE), addr(EP), &sdp);
        assert_eq!(
            status, "SIP/2.0 488 SDP media address is not the peer's",
            "{what}"
        );
        assert!(!offered, "{what}: the shell never sees it");
    }
}

#[test]
fn an_offer_naming_the_peers_own_addresses_is_taken() {
    let taken = [
        (REMOTE, EP, audio_offer(addr("198.51.100.4:40000"))),
        // A peer on this host may receive on its loopback.
        (
            "127.0.0.1:5064",
            "127.0.0.1:5060",
            audio_offer(addr("127.0.0.1:6000")),
        ),
        // c=0.0.0.0 is a hold (RFC 3264 §8.4), which sends nothing.
        (REMOTE, EP, audio_offer(addr("0.0.0.0:40000"))),
    ];
    for (from, ep_addr, sdp) in taken {
        let (status, offered) = answer_to_invite(addr(from), addr(ep_addr), &sdp);
        assert!(status.starts_with("SIP/2.0 100 "), "{from}: {status}");
        assert!(offered, "{from}");
    }
}

#[test]
fn an_answer_naming_this_hosts_loopback_from_a_peer_elsewhere_fails_the_call() {
    let (ep_addr, peer) = (addr(EP), addr(REMOTE));
    let now = epoch();
    let mut ep = endpoint();
    let mut uas = Uas::new(peer);
    ep.invite(
        now,
        OutgoingCall {
            request_uri: format!("sip:bob@{peer}"),
            from: format!("<sip:alice@{ep_addr}>"),
            to: format!("<sip:bob@{peer}>"),
            headers: Vec::new(),
            route: Vec::new(),
            destination: peer,
            transport: Transport::Udp,
            local: ep_addr,
            sdp_offer: audio_offer(addr("192.0.2.1:6000")),
            credentials: None,
            max_forwards: switchyard_sip::MAX_FORWARDS,
        },
    )
    .unwrap();
    let exchange = |ep: &mut Endpoint, uas: &mut Uas| {
        for _ in 0..10 {
            while let Some(t) = ep.poll_transmit() {
                uas.handle_datagram(now, ep_addr, &t.payload);
            }
            while let Some(t) = uas.poll_transmit() {
                ep.handle_datagram(now, ep_addr, peer, &t.payload);
            }
        }
    };
    exchange(&mut ep, &mut uas);
    uas.reply(
        Method::Invite,
        200,
        "OK",
        "",
        &audio_offer(addr("127.0.0.1:8125")),
    );
    exchange(&mut ep, &mut uas);
    let events: Vec<Event> = std::iter::from_fn(|| ep.poll_event()).collect();
    assert!(
        matches!(events.as_slice(), [Event::CallFailed { code: 488, .. }]),
        "{events:?}"
    );
    assert_eq!(uas.requests(Method::Ack).len(), 1);
    assert_eq!(uas.requests(Method::Bye).len(), 1, "the dialog is released");
}
