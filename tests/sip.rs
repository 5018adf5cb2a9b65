//! SIP against the real binary: SIPp calls and pings, the SDP answer, and bad input.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;
use support::server::Server;
use support::tools::require_sipp;

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs SIPp against the server with `args`, one call, bounded in time.
/// Panics unless the call succeeded (SIPp's exit status 0), saying what
/// `expected` and showing SIPp's output and the server's log.
fn sipp(server: &Server, args: &[&str], expected: &str) {
    require_sipp();
    let output = Command::new("sipp")
        .args(args)
        .args(["-i", "127.0.0.1", "-p", "0", "-m", "1", "-nostdin"])
        .args(["-timeout", "20s", "-timeout_error"])
        .arg(server.sip.to_string())
        .output()
        .expect("running sipp");
    assert!(
        output.status.success(),
        "expected {expected}, but sipp failed ({}):\n{}\n{}\nserver log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
}

fn scenario(name: &str) -> String {
    format!(
        "{}/../../tests/scenarios/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A raw SIP peer on its own loopback socket, for what SIPp cannot send.
struct RawPeer {
    socket: UdpSocket,
    server: SocketAddr,
}

impl RawPeer {
    fn new(server: SocketAddr) -> RawPeer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        RawPeer { socket, server }
    }

    fn send(&self, datagram: &[u8]) {
        self.socket.send_to(datagram, self.server).unwrap();
    }

    /// The next datagram that is not `100 Trying`, or `None` after the timeout.
    fn answer(&self) -> Option<String> {
        let mut buffer = [0u8; 4096];
        loop {
            let (len, _) = self.socket.recv_from(&mut buffer).ok()?;
            let message = String::from_utf8_lossy(&buffer[..len]).into_owned();
            if !message.starts_with("SIP/2.0 100 ") {
                return Some(message);
            }
        }
    }

    /// A request of this peer's one dialog; `to_tag` is "" outside the dialog.
    fn request(&self, method: &str, cseq: &str, to_tag: &str, extra: &str, body: &str) -> String {
        let port = self.socket.local_addr().unwrap().port();
        let server = self.server;
        let to_tag = if to_tag.is_empty() {
            String::new()
        } else {
            format!(";tag={to_tag}")
        };
        format!(
            "{method} sip:000777123@{server} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{port}-{method};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:tester@127.0.0.1>;tag=peer{port}\r\n\
             To: <sip:000777123@{server}>{to_tag}\r\n\
             Call-ID: raw-{port}@127.0.0.1\r\n\
             CSeq: {cseq}\r\n\
             Contact: <sip:tester@127.0.0.1:{port}>\r\n\
             {extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    fn invite(&self, sdp: &str) -> String {
        self.request(
            "INVITE",
            "1 INVITE",
            "",
            "Content-Type: application/sdp\r\n",
            sdp,
        )
    }
}

fn offer(media: &str) -> String {
    format!("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n{media}")
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
    // PCMA first, then PCMU, then telephone-event: the answer must pick PCMA.
    peer.send(
        peer.invite(&offer(
            "m=audio 4000 RTP/AVP 8 0 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n",
        ))
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
    peer.send(peer.request("ACK", "1 ACK", to_tag, "", "").as_bytes());
    peer.send(peer.request("BYE", "2 BYE", to_tag, "", "").as_bytes());
    let answer = peer.answer().expect("an answer to the BYE");
    assert!(
        answer.starts_with("SIP/2.0 200 OK\r\n") && answer.contains("CSeq: 2 BYE"),
        "expected 200 OK to the BYE (CSeq: 2 BYE), got:\n{answer}"
    );
}

#[test]
fn bad_input_gets_a_clear_answer_and_the_server_keeps_serving() {
    let server = Server::start();

    // Not SIP at all: dropped and counted, no answer.
    let peer = RawPeer::new(server.sip);
    peer.send(b"\x16\x03\x01 hello \xff\xfe garbage");
    let answer = peer.answer();
    assert_eq!(
        answer, None,
        "expected no answer to a datagram that is not SIP"
    );

    // A request with a broken CSeq header: 400 naming the header.
    let peer = RawPeer::new(server.sip);
    peer.send(
        peer.request("OPTIONS", "abc OPTIONS", "", "", "")
            .as_bytes(),
    );
    let answer = peer.answer().expect("an answer to a broken request");
    assert!(
        answer.starts_with("SIP/2.0 400 Malformed CSeq header\r\n"),
        "expected 400 Malformed CSeq header, got:\n{answer}"
    );

    // An INVITE whose SDP offers no codec we have: 488.
    let peer = RawPeer::new(server.sip);
    peer.send(
        peer.invite(&offer(
            "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n",
        ))
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
