//! Strict request handling against the real binary over UDP: an unknown method gets 405
//! with Allow, an INVITE out of hops 483, a control character in a header 400 naming the
//! header, and a BYE for no dialog 481.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;
use support::server::Server;

/// A raw SIP peer on its own loopback socket.
struct Peer {
    socket: UdpSocket,
    server: SocketAddr,
}

impl Peer {
    fn new(server: SocketAddr) -> Peer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        Peer { socket, server }
    }

    /// A `method` request from this peer with CSeq `1 <cseq_method>`, To tag `to_tag` ("" for
    /// none) and the header lines `extra` (each ending in CRLF).
    fn request(&self, method: &str, cseq_method: &str, to_tag: &str, extra: &str) -> String {
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
             From: <sip:tester@127.0.0.1>;tag=peer{port}\r\n\
             To: <sip:000777123@{server}>{to_tag}\r\n\
             Call-ID: conformance-{port}@127.0.0.1\r\n\
             CSeq: 1 {cseq_method}\r\n\
             Contact: <sip:tester@127.0.0.1:{port}>\r\n\
             {extra}Content-Length: 0\r\n\r\n"
        )
    }

    /// Sends `request` and returns the first answer that is not `100 Trying`; panics, showing
    /// the server's log, if none comes within the timeout.
    fn exchange(&self, server: &Server, request: &str) -> String {
        self.socket
            .send_to(request.as_bytes(), self.server)
            .unwrap();
        let mut buffer = [0u8; 4096];
        loop {
            let Ok((len, _)) = self.socket.recv_from(&mut buffer) else {
                panic!("no answer to:\n{request}\nserver log:\n{}", server.log());
            };
            let message = String::from_utf8_lossy(&buffer[..len]).into_owned();
            if !message.starts_with("SIP/2.0 100 ") {
                return message;
            }
        }
    }
}

fn assert_status(answer: &str, status_line: &str) {
    assert!(
        answer.starts_with(&format!("{status_line}\r\n")),
        "expected {status_line:?}, got:\n{answer}"
    );
}

#[test]
fn an_unknown_method_gets_405_with_allow() {
    let server = Server::start();
    let peer = Peer::new(server.sip);
    let request = peer.request("FROBNICATE", "FROBNICATE", "", "Max-Forwards: 70\r\n");
    let answer = peer.exchange(&server, &request);
    assert_status(&answer, "SIP/2.0 405 Method Not Allowed");
    assert!(
        answer.contains("\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"),
        "expected an Allow header listing the methods, got:\n{answer}"
    );
    assert!(
        answer.contains("\r\nCSeq: 1 FROBNICATE\r\n"),
        "expected the request's CSeq back, got:\n{answer}"
    );
}

#[test]
fn an_invite_with_max_forwards_0_gets_483() {
    let server = Server::start();
    let peer = Peer::new(server.sip);
    let invite = peer.request("INVITE", "INVITE", "", "Max-Forwards: 0\r\n");
    let answer = peer.exchange(&server, &invite);
    assert_status(&answer, "SIP/2.0 483 Too Many Hops");
}

#[test]
fn a_nul_in_a_header_gets_400_naming_the_header() {
    let server = Server::start();
    let peer = Peer::new(server.sip);
    let options = peer.request("OPTIONS", "OPTIONS", "", "Subject: hello\0world\r\n");
    let answer = peer.exchange(&server, &options);
    assert_status(&answer, "SIP/2.0 400 Control character in Subject header");
}

#[test]
fn a_bye_for_no_dialog_gets_481() {
    let server = Server::start();
    let peer = Peer::new(server.sip);
    let bye = peer.request("BYE", "BYE", "no-such-dialog", "Max-Forwards: 70\r\n");
    let answer = peer.exchange(&server, &bye);
    assert_status(&answer, "SIP/2.0 481 Call/Transaction Does Not Exist");
}
