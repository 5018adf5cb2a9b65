//! SIP against the real binary: SIPp calls and pings, and bad input.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;
use support::server::Server;
use support::tools::require_sipp;

/// Runs SIPp against the server with `args`, one call, bounded in time;
/// returns whether every call succeeded (SIPp's exit status 0).
fn sipp(server: &Server, args: &[&str]) -> bool {
    require_sipp();
    let output = Command::new("sipp")
        .args(args)
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            "0",
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "20s",
            "-timeout_error",
        ])
        .arg(server.sip.to_string())
        .output()
        .expect("running sipp");
    if !output.status.success() {
        eprintln!(
            "sipp failed ({}):\n{}\n{}\nserver log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            server.log()
        );
    }
    output.status.success()
}

fn scenario(name: &str) -> String {
    format!(
        "{}/../../tests/scenarios/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Sends `datagram` from a fresh socket; returns the first answer within 2 s.
fn exchange(server: SocketAddr, datagram: &[u8]) -> Option<String> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    socket.send_to(datagram, server).unwrap();
    let mut buffer = [0u8; 4096];
    let (len, _) = socket.recv_from(&mut buffer).ok()?;
    Some(String::from_utf8_lossy(&buffer[..len]).into_owned())
}

fn request(server: SocketAddr, port: u16, cseq: &str, extra: &str, body: &str) -> String {
    format!(
        "{method} sip:000777123@{server} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{port}-bad;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:tester@127.0.0.1>;tag=bad{port}\r\n\
         To: <sip:000777123@{server}>\r\n\
         Call-ID: bad-{port}@127.0.0.1\r\n\
         CSeq: {cseq}\r\n\
         Contact: <sip:tester@127.0.0.1:{port}>\r\n\
         {extra}Content-Length: {}\r\n\r\n{body}",
        body.len(),
        method = cseq.split_whitespace().last().unwrap_or("OPTIONS"),
    )
}

#[test]
fn a_sipp_uac_call_into_the_direct_room_is_answered() {
    let server = Server::start();
    // SIPp's built-in uac: INVITE with PCMU SDP, expects 100/180?/200, ACK, holds 1 s, BYE, expects 200.
    assert!(sipp(
        &server,
        &["-sn", "uac", "-s", "000777123", "-d", "1000"]
    ));
    assert!(server.log().contains("cause=RemoteBye"), "{}", server.log());
}

#[test]
fn options_is_answered_200() {
    let server = Server::start();
    assert!(sipp(
        &server,
        &["-sf", &scenario("options.xml"), "-s", "ping"]
    ));
}

#[test]
fn bad_input_gets_a_clear_answer_and_the_server_keeps_serving() {
    let server = Server::start();
    let port = 1; // only the Via carries it; answers go back to the socket (rport)

    // Not SIP at all: dropped and counted, no answer.
    assert_eq!(
        exchange(server.sip, b"\x16\x03\x01 hello \xff\xfe garbage"),
        None
    );

    // A request with a broken CSeq header: 400 naming the header.
    let broken = request(server.sip, port, "abc OPTIONS", "", "");
    let answer = exchange(server.sip, broken.as_bytes()).expect("an answer to a broken request");
    assert!(
        answer.starts_with("SIP/2.0 400 Malformed CSeq header\r\n"),
        "{answer}"
    );

    // An INVITE whose SDP offers no codec we have: 488.
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    let invite = request(
        server.sip,
        port,
        "1 INVITE",
        "Content-Type: application/sdp\r\n",
        sdp,
    );
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    socket.send_to(invite.as_bytes(), server.sip).unwrap();
    let mut buffer = [0u8; 4096];
    let final_answer = std::iter::from_fn(|| {
        let (len, _) = socket.recv_from(&mut buffer).ok()?;
        Some(String::from_utf8_lossy(&buffer[..len]).into_owned())
    })
    .find(|m| !m.starts_with("SIP/2.0 100"))
    .expect("a final answer to the INVITE");
    assert!(final_answer.starts_with("SIP/2.0 488 "), "{final_answer}");

    // And a real call still works.
    assert!(sipp(
        &server,
        &["-sn", "uac", "-s", "000777123", "-d", "200"]
    ));
}
