//! SIP against the real binary: SIPp calls and pings, the SDP answer, and bad input.

mod support;

use std::net::UdpSocket;
use std::time::Duration;
use support::raw_peer::RawPeer;
use support::server::{Server, base_config};
use support::sipp::{call as sipp, scenario};
use support::xmlrpc::stats;

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

/// Max-Forwards as a well-behaved peer sends it.
const MAX_FORWARDS: &str = "Max-Forwards: 70\r\n";

/// An INVITE from `peer` with the SDP offer `sdp`.
fn invite(peer: &RawPeer, sdp: &str) -> String {
    peer.request(
        "INVITE",
        "1 INVITE",
        "",
        &format!("{MAX_FORWARDS}Content-Type: application/sdp\r\n"),
        sdp,
    )
}

fn offer(media: &str) -> String {
    format!("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n{media}")
}

/// A loopback UDP socket of the test's own, whose port an offer names so that
/// what the server sends there lands on it.
fn rtp_socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").expect("a loopback RTP port")
}

#[test]
fn a_sipp_uac_call_into_the_direct_room_is_answered() {
    let server = Server::start();
    // SIPp's built-in uac: INVITE with PCMU SDP, expects 100/180?/200, ACK, holds 1 s, BYE, expects 200.
    sipp(
        &server,
        &["-sn", "uac", "-s", "000777123", "-d", "1000"],
        "the call to 000777123 to be answered and its BYE accepted",
    );
    // The 200 to the BYE goes out before the call's end is logged.
    let ended = server
        .wait_for_log("call ended", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the call's end to be logged: {e}"));
    assert!(
        ended.contains("cause=RemoteBye"),
        "expected the call to end with cause=RemoteBye, got: {ended}"
    );
}

#[test]
fn options_is_answered_200() {
    let server = Server::start();
    sipp(
        &server,
        &["-sf", &scenario("options.xml"), "-s", "ping"],
        "OPTIONS to be answered 200",
    );
}

#[test]
fn the_sdp_answer_takes_the_offerers_codec_and_telephone_event() {
    let server = Server::start();
    let peer = RawPeer::new(server.sip);
    let rtp = rtp_socket();
    let port = rtp.local_addr().unwrap().port();
    // PCMA first, then PCMU, then telephone-event: the answer must pick PCMA.
    peer.send(
        invite(
            &peer,
            &offer(&format!(
                "m=audio {port} RTP/AVP 8 0 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
                 a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n",
            )),
        )
        .as_bytes(),
    );
    let ok = peer.answer().expect("an answer to the INVITE");
    assert!(
        ok.starts_with("SIP/2.0 200 OK\r\n"),
        "expected 200 OK to the INVITE, got:\n{ok}"
    );
    let body = ok
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_else(|| panic!("expected an SDP body in the 200 OK:\n{ok}"));
    let m_line = body
        .lines()
        .find(|l| l.starts_with("m=audio "))
        .unwrap_or_else(|| panic!("expected an m=audio line in the answer:\n{body}"));
    assert!(
        m_line.ends_with(" RTP/AVP 8 96"),
        "expected PCMA (8) and telephone-event (96) only, got:\n{body}"
    );
    assert!(
        body.contains("a=rtpmap:8 PCMA/8000\r\n"),
        "expected a=rtpmap:8 PCMA/8000 in the answer:\n{body}"
    );
    assert!(
        body.contains("a=rtpmap:96 telephone-event/8000\r\n"),
        "expected a=rtpmap:96 telephone-event/8000 in the answer:\n{body}"
    );
    assert!(
        body.contains("c=IN IP4 127.0.0.1\r\n"),
        "expected c=IN IP4 127.0.0.1 in the answer:\n{body}"
    );

    let to_tag = ok
        .lines()
        .find(|l| l.starts_with("To:"))
        .and_then(|to| to.split("tag=").nth(1))
        .unwrap_or_else(|| panic!("expected a To header with a tag in the 200 OK:\n{ok}"))
        .trim();
    peer.send(
        peer.request("ACK", "1 ACK", to_tag, MAX_FORWARDS, "")
            .as_bytes(),
    );
    peer.send(
        peer.request("BYE", "2 BYE", to_tag, MAX_FORWARDS, "")
            .as_bytes(),
    );
    let answer = peer.answer().expect("an answer to the BYE");
    assert!(
        answer.starts_with("SIP/2.0 200 OK\r\n") && answer.contains("CSeq: 2 BYE"),
        "expected 200 OK to the BYE (CSeq: 2 BYE), got:\n{answer}"
    );
}

/// The final answer to an INVITE over IPv4 whose SDP offer names `c=IN IP6 ::1`, from a
/// server started with `config`; the call, if answered, is ended.
fn ipv6_offer_over_ipv4(config: &str) -> String {
    let server = Server::start_with(config);
    let peer = RawPeer::new(server.sip);
    let rtp = UdpSocket::bind("[::1]:0").expect("an IPv6 loopback RTP port");
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n\
         m=audio {} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        rtp.local_addr().unwrap().port()
    );
    peer.send(invite(&peer, &sdp).as_bytes());
    let answer = peer
        .final_answer()
        .unwrap_or_else(|| panic!("no answer to the INVITE; server log:\n{}", server.log()));
    let to_tag = answer
        .lines()
        .find(|l| l.starts_with("To:"))
        .and_then(|to| to.split("tag=").nth(1))
        .map(str::trim);
    if let (true, Some(to_tag)) = (answer.starts_with("SIP/2.0 200 "), to_tag) {
        for (method, cseq) in [("ACK", "1 ACK"), ("BYE", "2 BYE")] {
            peer.send(
                peer.request(method, cseq, to_tag, MAX_FORWARDS, "")
                    .as_bytes(),
            );
        }
    }
    answer
}

#[test]
fn an_ipv6_offer_gets_an_ipv6_answer_unless_rtp_address_is_ipv4() {
    // rtp.address 127.0.0.1 serves IPv4 only: a clear refusal, not a call without audio.
    let refused = ipv6_offer_over_ipv4(&base_config());
    assert!(
        refused.starts_with("SIP/2.0 488 Not Acceptable Here: Media Address Family Not Served\r\n"),
        "expected 488 to an IPv6 offer with an IPv4 rtp.address, got:\n{refused}"
    );
    // The default rtp.address serves both families: the answer is IPv6, as the offer.
    let default_address = base_config().replace("address = \"127.0.0.1\"\n", "");
    let ok = ipv6_offer_over_ipv4(&default_address);
    assert!(
        ok.starts_with("SIP/2.0 200 OK\r\n") && ok.contains("\r\nc=IN IP6 "),
        "expected 200 OK with an IPv6 c= line, got:\n{ok}"
    );
}

#[test]
fn bad_input_gets_a_clear_answer_and_the_server_keeps_serving() {
    let server = Server::start();

    // Not SIP at all: dropped and counted, no answer.
    let unparseable = || stats(&server).get("sip_dropped_unparseable");
    let before = unparseable();
    let peer = RawPeer::new(server.sip);
    peer.send(b"\x16\x03\x01 hello \xff\xfe garbage");
    let answer = peer.answer();
    assert_eq!(
        answer, None,
        "expected no answer to a datagram that is not SIP"
    );
    server.await_value(
        "sip_dropped_unparseable",
        &(before + 1),
        LOG_TIMEOUT,
        unparseable,
    );

    // A request with a broken CSeq header: 400 naming the header.
    let peer = RawPeer::new(server.sip);
    peer.send(
        peer.request("OPTIONS", "abc OPTIONS", "", MAX_FORWARDS, "")
            .as_bytes(),
    );
    let answer = peer.answer().expect("an answer to a broken request");
    assert!(
        answer.starts_with("SIP/2.0 400 Malformed CSeq header\r\n"),
        "expected 400 Malformed CSeq header, got:\n{answer}"
    );

    // An INVITE whose SDP offers no codec we have: 488.
    let peer = RawPeer::new(server.sip);
    let rtp = rtp_socket();
    let port = rtp.local_addr().unwrap().port();
    peer.send(
        invite(
            &peer,
            &offer(&format!(
                "m=audio {port} RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
            )),
        )
        .as_bytes(),
    );
    let answer = peer.answer().expect("an answer to the INVITE");
    assert!(
        answer.starts_with("SIP/2.0 488 "),
        "expected 488 to an offer of G.729 only, got:\n{answer}"
    );

    // And a real call still works.
    sipp(
        &server,
        &["-sn", "uac", "-s", "000777123", "-d", "200"],
        "a call after the bad input to be answered and ended",
    );
}
