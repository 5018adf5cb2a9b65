//! Strict request handling against the real binary over UDP: an unknown method gets 405
//! with Allow, an INVITE out of hops 483, a control character in a header 400 naming the
//! header, and a BYE for no dialog 481.

mod support;

use support::raw_peer::RawPeer;
use support::server::Server;

fn assert_status(answer: &str, status_line: &str) {
    assert!(
        answer.starts_with(&format!("{status_line}\r\n")),
        "expected {status_line:?}, got:\n{answer}"
    );
}

#[test]
fn an_unknown_method_gets_405_with_allow() {
    let server = Server::start();
    let peer = RawPeer::new(server.sip);
    let request = peer.request("FROBNICATE", "1 FROBNICATE", "", "Max-Forwards: 70\r\n", "");
    let answer = peer.exchange(&server, &request);
    assert_status(&answer, "SIP/2.0 405 Method Not Allowed");
    assert!(
        answer.contains("\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK\r\n"),
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
    let peer = RawPeer::new(server.sip);
    let invite = peer.request("INVITE", "1 INVITE", "", "Max-Forwards: 0\r\n", "");
    let answer = peer.exchange(&server, &invite);
    assert_status(&answer, "SIP/2.0 483 Too Many Hops");
}

#[test]
fn a_nul_in_a_header_gets_400_naming_the_header() {
    let server = Server::start();
    let peer = RawPeer::new(server.sip);
    let options = peer.request("OPTIONS", "1 OPTIONS", "", "Subject: hello\0world\r\n", "");
    let answer = peer.exchange(&server, &options);
    assert_status(&answer, "SIP/2.0 400 Control character in Subject header");
}

#[test]
fn a_bye_for_no_dialog_gets_481() {
    let server = Server::start();
    let peer = RawPeer::new(server.sip);
    let bye = peer.request("BYE", "1 BYE", "no-such-dialog", "Max-Forwards: 70\r\n", "");
    let answer = peer.exchange(&server, &bye);
    assert_status(&answer, "SIP/2.0 481 Call/Transaction Does Not Exist");
}
