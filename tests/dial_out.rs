//! Calls the real binary places (dial-out, with digest) and forwards (B2BUA),
//! against SIPp callers and callees on loopback.

mod support;

use std::net::Ipv4Addr;
use std::time::Duration;
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

/// A zone where `sip:…@pool.test` is served over UDP by `first`, then by
/// `second` (SRV priorities 1 and 2, RFC 2782), both on loopback.
fn pool_zone(first: &Sipp, second: &Sipp) -> Zone {
    let srv = |priority, callee: &Sipp, host: &str| {
        RData::SRV(SRV::new(priority, 0, callee.addr.port(), name(host)))
    };
    let loopback = || vec![RData::A(A(Ipv4Addr::LOCALHOST))];
    [
        (
            ("_sip._udp.pool.test", RecordType::SRV),
            vec![srv(2, second, "b.pool.test"), srv(1, first, "a.pool.test")],
        ),
        (("a.pool.test", RecordType::A), loopback()),
        (("b.pool.test", RecordType::A), loopback()),
    ]
    .into_iter()
    .map(|((n, t), data)| ((n.to_owned(), t), data))
    .collect()
}

#[test]
fn a_placed_call_refused_with_503_by_the_first_srv_target_goes_to_the_next() {
    let refusing = Sipp::callee("uas_503.xml");
    let answering = Sipp::callee("uas_answer_send_bye.xml");
    let dns = DnsServer::start(pool_zone(&refusing, &answering));
    let config = misbehave_config().replacen(
        "[sip]\n",
        &format!("[sip]\ndns_server = \"{}\"\n", dns.addr()),
        1,
    );
    let next = answering.addr.to_string();
    let server = Server::start_with(&config);
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

#[test]
fn a_b2bua_call_ends_on_the_callers_bye() {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee("uas_answer_wait_bye.xml");
    forward_call(
        &server,
        &callee,
        "uac_forward.xml",
        "ringing and the answer passed through, and the caller's BYE answered",
    );
    callee.finish("the caller's BYE passed on to the callee", &server);
}

#[test]
fn a_b2bua_call_ends_on_the_callees_bye() {
    let server = Server::start_with(&misbehave_config());
    let callee = Sipp::callee("uas_answer_send_bye.xml");
    forward_call(
        &server,
        &callee,
        "uac_forward.xml",
        "ringing and the answer passed through, and the callee's BYE passed on",
    );
    callee.finish("its BYE answered", &server);
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
