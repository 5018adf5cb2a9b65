//! Calls the real binary places (dial-out, with digest) and forwards (B2BUA),
//! and holds and resumes, against SIPp callers and callees on loopback.

mod support;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use support::audio::power;
use support::phone::Phone;
use support::server::{Server, misbehave_config};
use support::sipp::{self, Sipp, scenario};
use support::xmlrpc::rpc;
use switchyard_net::testing::hickory_proto::rr::rdata::{A, SRV};
use switchyard_net::testing::hickory_proto::rr::{RData, RecordType};
use switchyard_net::testing::{DnsServer, Zone, name};

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

/// Places a call through the misbehave guest's `dial` control function;
/// returns the call id it answers with.
fn dial(server: &Server, args: &str) -> String {
    let answer = rpc(server, &format!("s.dial({args})"));
    let call = answer
        .strip_prefix("[0, '")
        .and_then(|rest| rest.split_once('\''))
        .map(|(call, _)| call)
        .unwrap_or_else(|| panic!("expected dial to answer [0, call, …], got {answer}"));
    call.to_owned()
}

/// Places a call to a SIPp callee running `scenario_name`, which challenges
/// the INVITE and answers the retried one, then hangs up.
fn challenged_call(scenario_name: &str, expected: &str) {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee(scenario_name);
    let call = dial(
        &server,
        &format!("{:?}, 'alice', 's3cret'", callee.uri("bob")),
    );
    callee.finish(expected, &server);
    let ended = server
        .wait_for_log(&format!("call={call}"), LOG_TIMEOUT)
        .and_then(|_| server.wait_for_log("cause=RemoteBye", LOG_TIMEOUT))
        .unwrap_or_else(|e| panic!("expected {call} to end with the callee's BYE: {e}"));
    assert!(ended.contains("call ended"), "{ended}");
    assert!(
        !server.log().contains("s3cret"),
        "the password must never reach the log"
    );
}

#[test]
fn a_placed_call_answers_a_407_challenge_with_digest_and_is_answered() {
    challenged_call(
        "uas_407_then_200.xml",
        "the INVITE retried with Proxy-Authorization, answered, and our side of the BYE",
    );
}

#[test]
fn a_placed_calls_digest_verifies_with_sipps_own() {
    challenged_call(
        "uas_401_then_200.xml",
        "the INVITE retried with an Authorization SIPp verifies, answered, and our side of the BYE",
    );
}

#[test]
fn a_busy_callee_fails_the_placed_call_with_486() {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee("uas_486.xml");
    dial(&server, &format!("{:?}", callee.uri("bob")));
    callee.finish("486 and its ACK", &server);
    let failed = server
        .wait_for_log("placed call failed", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the failure to be logged: {e}"));
    assert!(
        failed.contains("code=486") && failed.contains("Busy Here"),
        "{failed}"
    );
}

/// A zone where `sip:…@pool.test` is served over `transport` ("udp" or
/// "tcp") at loopback port `first`, then at `second` (SRV priorities 1 and 2,
/// RFC 2782).
fn pool_zone(transport: &str, first: u16, second: u16) -> Zone {
    let srv = |priority, port, host: &str| RData::SRV(SRV::new(priority, 0, port, name(host)));
    let loopback = || vec![RData::A(A(Ipv4Addr::LOCALHOST))];
    [
        (
            (format!("_sip._{transport}.pool.test"), RecordType::SRV),
            vec![srv(2, second, "b.pool.test"), srv(1, first, "a.pool.test")],
        ),
        (("a.pool.test".to_owned(), RecordType::A), loopback()),
        (("b.pool.test".to_owned(), RecordType::A), loopback()),
    ]
    .into_iter()
    .collect()
}

/// The misbehave config with `dns` as the DNS server.
fn config_with_dns(dns: &DnsServer) -> String {
    misbehave_config().replacen(
        "[sip]\n",
        &format!("[sip]\ndns_server = \"{}\"\n", dns.addr()),
        1,
    )
}

#[test]
fn a_placed_call_refused_with_503_by_the_first_srv_target_goes_to_the_next() {
    let refusing = Sipp::callee("uas_503.xml");
    let answering = Sipp::callee("uas_answer_send_bye.xml");
    let dns = DnsServer::start(pool_zone(
        "udp",
        refusing.addr.port(),
        answering.addr.port(),
    ));
    let next = answering.addr.to_string();
    let server = Server::start_with(&config_with_dns(&dns));
    let call = dial(&server, "'sip:bob@pool.test'");
    refusing.finish("the INVITE refused with 503, and its ACK", &server);
    answering.finish("the next INVITE answered, and its BYE answered", &server);
    let retried = server
        .wait_for_log("trying the next target", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the next target to be tried: {e}"));
    assert!(retried.contains(&next), "{retried}");
    server
        .wait_for_log("cause=RemoteBye", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected {call} to end with the callee's BYE: {e}"));
    assert!(
        !server.log().contains("placed call failed"),
        "the 503 must not fail the call"
    );
}

#[test]
fn a_first_srv_target_refusing_tcp_connections_is_left_at_once() {
    // A port bound but not listening: connections are refused, and no other
    // test can take the port meanwhile, as it could once a listener is dropped.
    let refusing = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("a TCP socket");
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    refusing.bind(&loopback.into()).expect("bound on loopback");
    let closed = refusing.local_addr().unwrap().as_socket().unwrap().port();
    let answering = Sipp::callee_with("uas_answer_send_bye.xml", &["-t", "t1"]);
    let dns = DnsServer::start(pool_zone("tcp", closed, answering.addr.port()));
    let server = Server::start_with(&config_with_dns(&dns));
    let started = Instant::now();
    dial(&server, "'sip:bob@pool.test;transport=tcp'");
    server
        .wait_for_log("trying the next target", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the next target to be tried: {e}"));
    // Timer B would take 32 s; the refused connection is reported at once.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the next target was tried only after {:?}",
        started.elapsed()
    );
    answering.finish(
        "the INVITE over TCP answered, and its BYE answered",
        &server,
    );
}

#[test]
fn a_bad_dial_target_is_a_fault_naming_it() {
    let server = Server::start_with(&misbehave_config());
    let answer = support::xmlrpc::python(
        &server,
        "try:\n    s.dial('tel:+15551234')\n    print('no fault')\nexcept xmlrpc.client.Fault as f:\n    print(f.faultString)\n",
    );
    assert!(
        answer.contains("not a sip: or sips: URI"),
        "expected a fault naming the bad URI, got {answer}"
    );
}

#[test]
fn a_call_is_placed_over_tcp() {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee_with("uas_answer_send_bye.xml", &["-t", "t1"]);
    let uri = format!("{};transport=tcp", callee.uri("bob"));
    dial(&server, &format!("{uri:?}"));
    callee.finish(
        "the INVITE and the ACK over TCP, and its BYE answered on the connection",
        &server,
    );
    server
        .wait_for_log("cause=RemoteBye", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the placed call to end with the callee's BYE: {e}"));
}

#[test]
fn a_callee_ringing_reliably_gets_its_prack_and_the_placed_call_is_answered() {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee("uas_reliable_ringing_answer_send_bye.xml");
    dial(&server, &format!("{:?}", callee.uri("bob")));
    callee.finish(
        "an INVITE supporting 100rel, a PRACK naming the 180, the ACK, and its BYE answered",
        &server,
    );
    server
        .wait_for_log("cause=RemoteBye", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the placed call to end with the callee's BYE: {e}"));
}

#[test]
fn a_call_is_placed_over_ipv6() {
    support::tools::require_ipv6_loopback();
    let config = misbehave_config()
        .replace(
            "listen = \"127.0.0.1:0\"\n[control]",
            "listen = [\"127.0.0.1:0\", \"[::1]:0\"]\n[control]",
        )
        .replace("address = \"127.0.0.1\"", "address = \"::1\"");
    // RTP only on ::1: the offer can only carry IPv6 media.
    let server = Server::start_with(&config);
    let callee = Sipp::callee_on("::1", "uas_answer_send_bye.xml", &[]);
    dial(&server, &format!("{:?}", callee.uri("bob")));
    callee.finish("the INVITE over IPv6, and its BYE answered", &server);
    server
        .wait_for_log("cause=RemoteBye", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the placed call to end with the callee's BYE: {e}"));
}

/// A caller (SIPp) through the misbehave guest's `forward` route to `callee`.
fn forward_call(server: &Server, callee: &Sipp, scenario_name: &str, expected: &str) {
    sipp::call(
        server,
        &[
            "-sf",
            &scenario(scenario_name),
            "-s",
            "forward",
            "-key",
            "forward_to",
            &callee.uri("bob"),
        ],
        expected,
    );
}

/// The id (`c<n>`) of the first call the server placed, read from its
/// `placing a call` log line, which must name `uri`; waits up to
/// [`LOG_TIMEOUT`].
fn placed_call_to(server: &Server, uri: &str) -> String {
    let line = server
        .wait_for_log("placing a call", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected a call placed to {uri}: {e}"));
    assert!(line.contains(&format!("to={uri}")), "{line}");
    // The fields after the message, not those of the guest's span before it.
    line.split_once("placing a call")
        .and_then(|(_, fields)| {
            fields
                .split_whitespace()
                .find_map(|field| field.strip_prefix("call="))
        })
        .unwrap_or_else(|| panic!("no call= after the message in {line}"))
        .to_owned()
}

/// Waits for the server to log that each of `calls` (id, cause) ended with
/// its cause.
fn await_ended(server: &Server, calls: [(String, &str); 2]) {
    for (call, cause) in calls {
        server
            .wait_for_log(
                &format!("call ended call={call} cause={cause}"),
                LOG_TIMEOUT,
            )
            .unwrap_or_else(|e| panic!("expected {call} to end with {cause}: {e}"));
    }
}

/// A forwarded call from a SIPp caller running `scenario_name`, which hangs
/// up; checks that its BYE ended the call, and that the server hung up the
/// placed call.
fn forwarded_call_ended_by_the_caller(scenario_name: &str, expected: &str) {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee("uas_answer_wait_bye.xml");
    let uri = callee.uri("bob");
    forward_call(&server, &callee, scenario_name, expected);
    callee.finish("the caller's BYE passed on to the callee", &server);
    let caller = server.call_id_of("sipp", LOG_TIMEOUT);
    let placed = placed_call_to(&server, &uri);
    await_ended(&server, [(caller, "RemoteBye"), (placed, "LocalHangup")]);
}

#[test]
fn a_b2bua_call_ends_on_the_callers_bye() {
    forwarded_call_ended_by_the_caller(
        "uac_forward.xml",
        "ringing and the answer passed through, and the caller's BYE answered",
    );
}

#[test]
fn a_caller_requiring_reliable_ringing_gets_it_pracks_it_and_is_answered_after() {
    forwarded_call_ended_by_the_caller(
        "uac_forward_100rel.xml",
        "a reliable 180 (Require: 100rel, RSeq), 200 to its PRACK, then the INVITE's 200, \
         and the caller's BYE answered",
    );
}

#[test]
fn a_b2bua_call_ends_on_the_callees_bye() {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee("uas_answer_send_bye.xml");
    let uri = callee.uri("bob");
    forward_call(
        &server,
        &callee,
        "uac_forward_wait_bye.xml",
        "ringing and the answer passed through, and the callee's BYE passed on",
    );
    callee.finish("its BYE answered", &server);
    // The callee's BYE ended the placed call, and the server hung up the caller.
    let placed = placed_call_to(&server, &uri);
    let caller = server.call_id_of("sipp", LOG_TIMEOUT);
    await_ended(&server, [(placed, "RemoteBye"), (caller, "LocalHangup")]);
}

#[test]
fn the_callers_cancel_cancels_the_forwarded_call() {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee("uas_ring_until_cancel.xml");
    forward_call(
        &server,
        &callee,
        "uac_cancel.xml",
        "180 passed through, then 200 for the CANCEL and 487 for the INVITE",
    );
    callee.finish("the CANCEL passed on, and the 487 acknowledged", &server);
}

/// Above this a tone is heard (a full-scale sine reads about 1).
const HEARD: f64 = 1e-3;
/// Below this a tone is absent.
const ABSENT: f64 = 1e-4;
/// What the test phone sends.
const PHONE_HZ: f64 = 1000.0;

/// How loud the phone hears its own tone come back over 2 s of talking,
/// leaving out the first second (the path settling).
fn echo_power(phone: &Phone) -> f64 {
    let heard = phone.talk(PHONE_HZ, Duration::from_secs(2));
    power(&heard[heard.len().min(8000)..], PHONE_HZ)
}

/// Calls the misbehave guest's control function `function` on `call`;
/// panics unless it answers OK.
fn call_function(server: &Server, function: &str, call: &str) {
    let answer = rpc(server, &format!("s.{function}({call:?})"));
    assert!(
        answer.starts_with("[0, 'OK', "),
        "expected {function}({call}) to answer [0, 'OK', …], got {answer}"
    );
}

/// Waits (bounded) until the misbehave guest reports `outcome` as the last
/// hold or resume of `call`.
fn await_held(server: &Server, call: &str, outcome: &str) {
    // Results end with the server's info string.
    let expected = format!("[0, '{outcome}', ");
    let deadline = Instant::now() + LOG_TIMEOUT;
    let mut last = String::new();
    while Instant::now() < deadline {
        last = rpc(server, &format!("s.held({call:?})"));
        if last.starts_with(&expected) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("expected held({call}) to be {expected} within {LOG_TIMEOUT:?}, last {last}");
}

/// A call placed to a SIPp callee running `scenario_name` (which checks each
/// offer's direction and echoes RTP) is held and resumed with the server's
/// `sip.offer_method` set to `offer_method`. A caller in the callee's room
/// hears its tone come back before the hold and after the resume, and not
/// while the call is held (the held call's audio is no longer taken).
fn held_and_resumed(scenario_name: &str, offer_method: &str) {
    let config = misbehave_config().replace(
        "[sip]\n",
        &format!("[sip]\noffer_method = {offer_method:?}\n"),
    );
    let server = Server::start_with(&config);
    let callee = Sipp::callee_echoing_rtp(scenario_name);
    let phone = Phone::call(server.sip, "room", "carol", &[]);
    let call = dial(&server, &format!("{:?}", callee.uri("bob")));

    let before = echo_power(&phone);
    assert!(
        before > HEARD,
        "expected the echo before the hold above {HEARD}, got {before:.2e}"
    );
    call_function(&server, "hold", &call);
    await_held(&server, &call, "true");
    let held = echo_power(&phone);
    assert!(
        held < ABSENT,
        "expected no echo while held (below {ABSENT}), got {held:.2e}"
    );
    call_function(&server, "resume", &call);
    await_held(&server, &call, "false");
    let after = echo_power(&phone);
    assert!(
        after > HEARD,
        "expected the echo after the resume above {HEARD}, got {after:.2e}"
    );

    call_function(&server, "hangup", &call);
    callee.finish(
        "a sendonly hold and a sendrecv resume, then our BYE",
        &server,
    );
    phone.hang_up();
}

#[test]
fn a_placed_call_is_held_and_resumed_by_reinvite() {
    held_and_resumed("uas_hold_resume_by_reinvite.xml", "reinvite");
}

#[test]
fn a_placed_call_is_held_and_resumed_by_update_when_configured_and_allowed() {
    held_and_resumed("uas_hold_resume_by_update.xml", "update");
}
