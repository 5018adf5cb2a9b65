//! A request of ours too large for UDP (RFC 3261 §18.1.1: over 1300 bytes,
//! the path MTU unknown) against the real binary: a webconference `dialout`
//! to a callee whose user part makes the INVITE that large goes over TCP to
//! the address and port it was bound for over UDP, its top Via naming TCP;
//! where that port refuses TCP connections it goes over UDP after all, its
//! Via naming UDP. The SIPp callees log what they receive (`-trace_msg`), for
//! the tests to read how the INVITE came.
//!
//! A small dial-out to a callee on UDP is covered by
//! tests/webconference_dial_out.rs, whose SIPp callees listen on UDP only.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use support::server::Server;
use support::sipp::Sipp;
use support::webconference::{create_room, random_room, wait_for_participant, wc};

/// The largest request sent over UDP when the path MTU is unknown (§18.1.1).
const MAX_UDP_REQUEST: usize = 1300;

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

/// What starts each message in SIPp's message log.
const TRACE_SEPARATOR: &str = "-----------------------------------------------";

/// A callee's user part that makes the dial-out's INVITE, which carries it in
/// its Request-URI and in its To header, larger than [`MAX_UDP_REQUEST`].
fn long_callee() -> String {
    format!("bob{}", "7".repeat(MAX_UDP_REQUEST))
}

/// A SIPp callee listening on the transport `transport_args` give, that
/// answers and waits for the BYE, logging what it receives to `trace`.
fn traced_callee(transport_args: &[&str], trace: &Path) -> Sipp {
    let trace = trace.to_str().expect("a UTF-8 temporary path");
    let args: Vec<&str> = transport_args
        .iter()
        .copied()
        .chain(["-trace_msg", "-message_file", trace])
        .collect();
    Sipp::callee_with("uas_answer_wait_bye_on_one_transport.xml", &args)
}

/// `dialout` in `room` of `callee` at `domain` (the callee's `host:port`, no
/// transport parameter: bound for UDP), from `conf@domain`, without
/// credentials; returns the new participant's call tag.
fn dial_out(server: &Server, room: &str, pin: &str, callee: &str, domain: &str) -> String {
    let answer = wc(
        server,
        &format!("s.dialout({room:?}, {pin:?}, {callee:?}, 'conf', {domain:?}, '', '')"),
    );
    answer
        .strip_prefix("[0, 'OK', '")
        .and_then(|rest| rest.strip_suffix("']"))
        .unwrap_or_else(|| panic!("expected dialout to answer [0, 'OK', tag], got {answer}"))
        .to_owned()
}

/// Dials [`long_callee`] at `callee` out of a new room, checks it is listed
/// as answered, deletes the room and has `callee` finish its call (the ACK,
/// then the BYE answered); returns the message log `callee` wrote to `trace`.
fn dial_out_answered_then_ended(server: &Server, callee: Sipp, trace: &Path) -> String {
    let addr: SocketAddr = callee.addr;
    let room = random_room();
    let pin = create_room(server, &room);
    let user = long_callee();
    let tag = dial_out(server, &room, &pin, &user, &addr.to_string());
    let listed = wait_for_participant(
        server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 3"),
    );
    assert_eq!(
        listed,
        format!("['{tag}', 'sip:{user}@{addr}', 3, '200 OK', 0, '']")
    );
    assert_eq!(
        wc(server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[0, 'OK']"
    );
    callee.finish(
        "the large INVITE answered, its ACK, and a BYE when the room is deleted",
        server,
    );
    std::fs::read_to_string(trace).expect("SIPp's message log")
}

/// The first request with `method` in SIPp's message log `trace`: the
/// transport it came over ("TCP", "UDP"), its size in bytes, and its text.
fn received<'t>(trace: &'t str, method: &str) -> (&'t str, usize, &'t str) {
    trace
        .split(TRACE_SEPARATOR)
        .find_map(|entry| {
            // "<date>\nTCP message received [3415] bytes :\n\nINVITE sip:… SIP/2.0\r\n…"
            let (_, rest) = entry.split_once('\n')?;
            let (heading, message) = rest.split_once("\n\n")?;
            let (transport, size) = heading.split_once(" message received [")?;
            let size = size.strip_suffix("] bytes :")?.parse().ok()?;
            message
                .starts_with(&format!("{method} "))
                .then_some((transport, size, message))
        })
        .unwrap_or_else(|| panic!("no {method} in SIPp's message log:\n{trace}"))
}

/// The sent-protocol of the top Via of `message` ("SIP/2.0/TCP").
fn top_via_protocol(message: &str) -> &str {
    message
        .lines()
        .find_map(|line| line.strip_prefix("Via: "))
        .and_then(|via| via.split_whitespace().next())
        .unwrap_or_else(|| panic!("no Via in {message}"))
}

/// Checks that the large INVITE in `trace` came over `transport`, its top Via
/// naming it.
fn assert_large_invite_came_over(trace: &str, transport: &str) {
    let (came_over, size, invite) = received(trace, "INVITE");
    assert!(
        size > MAX_UDP_REQUEST,
        "expected an INVITE larger than {MAX_UDP_REQUEST} bytes, got {size}"
    );
    assert_eq!(
        came_over, transport,
        "expected the {size}-byte INVITE over {transport}:\n{invite}"
    );
    assert_eq!(
        top_via_protocol(invite),
        format!("SIP/2.0/{transport}"),
        "expected the INVITE's top Via to name {transport}:\n{invite}"
    );
}

#[test]
fn a_large_invite_bound_for_udp_goes_over_tcp_to_the_same_port() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let trace = dir.path().join("messages.log");
    let callee = traced_callee(&["-t", "t1"], &trace);
    let trace = dial_out_answered_then_ended(&server, callee, &trace);
    assert_large_invite_came_over(&trace, "TCP");
}

#[test]
fn a_large_invite_whose_tcp_connection_is_refused_goes_over_udp() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let trace = dir.path().join("messages.log");
    let callee = traced_callee(&[], &trace);
    // The callee's port bound for TCP but not listening: connections are
    // refused, and no other process can listen there meanwhile.
    let refusing = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("a TCP socket");
    refusing
        .bind(&callee.addr.into())
        .expect("the UDP callee's port free for TCP");
    let addr = callee.addr;
    let trace = dial_out_answered_then_ended(&server, callee, &trace);
    assert_large_invite_came_over(&trace, "UDP");
    let refused = server
        .wait_for_log(&format!("remote={addr}"), LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected a TCP connection to {addr} tried first: {e}"));
    assert!(
        refused.contains("TCP connect: Connection refused"),
        "expected the connection to {addr} refused: {refused}"
    );
}
