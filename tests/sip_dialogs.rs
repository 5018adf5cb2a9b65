//! Dialogs against the real binary, driven by SIPp scenarios: hold and resume
//! by re-INVITE and UPDATE (RFC 3264, RFC 3311), requests for no dialog or an
//! ended one (481) and of an unknown method (405), session timers (RFC 4028:
//! expiry and 422), and INFO and OPTIONS inside a call.

mod support;

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};
use support::ports;
use support::raw_peer::RawPeer;
use support::server::{Server, base_config, misbehave_config};
use support::sipp::{call as sipp, free_port, scenario};
use support::tools::require_sipp;

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one call of the scenario `name` (under `tests/scenarios/`) to the
/// Request-URI user `user`, bounded by the helpers' time-out.
fn run(server: &Server, name: &str, user: &str, expected: &str) {
    sipp(server, &["-sf", &scenario(name), "-s", user], expected);
}

/// Waits for the server to log the end of the call from SIPp with `cause`
/// (`RemoteBye`, `SessionExpired`, …).
fn assert_call_ended(server: &Server, cause: &str) {
    let call = server.call_id_of("sipp", LOG_TIMEOUT);
    let ended = server
        .wait_for_log(
            &format!("call ended call={call} cause={cause}"),
            LOG_TIMEOUT,
        )
        .unwrap_or_else(|e| panic!("expected {call} to end with cause {cause}: {e}"));
    assert!(ended.contains("call ended"), "{ended}");
}

/// Holds and resumes a call to `user` of the misbehave guest.
fn hold_and_resume(user: &str) {
    let server = Server::start_with(&misbehave_config());
    run(
        &server,
        "uac_reinvite_hold_resume.xml",
        user,
        "the hold re-INVITE answered a=recvonly and the resume a=sendrecv, \
         with the o= version of the first answer plus one, then plus two",
    );
    assert_call_ended(&server, "RemoteBye");
}

#[test]
fn a_late_offer_is_answered_with_an_offer_and_the_ack_brings_the_answer() {
    let server = Server::start_with(&misbehave_config());
    run(
        &server,
        "uac_late_offer.xml",
        "alone",
        "the INVITE without SDP answered 200 with an offer listing PCMU, \
         and the call up until the caller's BYE",
    );
    assert_call_ended(&server, "RemoteBye");
}

#[test]
fn a_call_alone_is_held_and_resumed_by_reinvite() {
    hold_and_resume("alone");
}

#[test]
fn a_call_in_a_room_is_held_and_resumed_by_reinvite() {
    hold_and_resume("holder");
}

#[test]
fn an_update_makes_a_call_inactive_and_a_reinvite_resumes_it() {
    let server = Server::start_with(&misbehave_config());
    run(
        &server,
        "uac_update_inactive_resume.xml",
        "holder",
        "the UPDATE answered a=inactive and the re-INVITE a=sendrecv, \
         with the o= version of the first answer plus one, then plus two",
    );
    assert_call_ended(&server, "RemoteBye");
}

#[test]
fn a_bye_for_no_dialog_gets_481() {
    let server = Server::start();
    run(
        &server,
        "uac_bye_unknown_dialog.xml",
        "000777123",
        "481 to the BYE with its To tag and CSeq",
    );
}

#[test]
fn an_unknown_method_gets_405_with_the_allowed_methods() {
    let server = Server::start();
    run(
        &server,
        "uac_unknown_method.xml",
        "000777123",
        "405 to FROBNICATE with Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK",
    );
}

#[test]
fn a_request_in_a_dialog_ended_by_bye_gets_481() {
    let server = Server::start_with(&misbehave_config());
    run(
        &server,
        "uac_request_after_bye.xml",
        "alone",
        "the call answered and hung up, then 481 to an OPTIONS in its dialog",
    );
    assert_call_ended(&server, "RemoteBye");
}

#[test]
fn a_session_interval_below_min_se_gets_422_with_min_se_90() {
    let server = Server::start_with(&misbehave_config());
    run(
        &server,
        "uac_session_interval_too_small.xml",
        "alone",
        "422 with Min-SE: 90 to the INVITE asking for 30 s",
    );
}

/// A PCMU offer of RTP at loopback port `port`, from a peer that sends none.
fn offer(port: u16) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )
}

/// The tag of the To header of `message`; panics if it has none.
fn to_tag(message: &str) -> &str {
    message
        .lines()
        .find(|line| line.starts_with("To:"))
        .and_then(|to| to.split(";tag=").nth(1))
        .map(str::trim)
        .unwrap_or_else(|| panic!("expected a To header with a tag in:\n{message}"))
}

#[test]
fn the_configured_session_timers_are_served() {
    // SEMS's minimum_timer and maximum_timer, as import-sems-config writes them.
    let server = Server::start_with(&base_config().replace(
        "[sip]\n",
        "[sip]\nsession_min_se_s = 120\nsession_max_s = 1800\n",
    ));
    // The offer names a port of the test's own, where what the server sends lands.
    let rtp = UdpSocket::bind("127.0.0.1:0").expect("a loopback RTP port");
    let offered = offer(rtp.local_addr().unwrap().port());
    let peer = RawPeer::new(server.sip);
    let invite = |peer: &RawPeer, expires: u32| {
        peer.request(
            "INVITE",
            "1 INVITE",
            "",
            &format!(
                "Max-Forwards: 70\r\nSupported: timer\r\nSession-Expires: {expires}\r\n\
                 Content-Type: application/sdp\r\n"
            ),
            &offered,
        )
    };
    let refused = peer.exchange(&server, &invite(&peer, 100));
    assert!(
        refused.starts_with("SIP/2.0 422 ") && refused.contains("\r\nMin-SE: 120\r\n"),
        "expected 422 with Min-SE: 120, got:\n{refused}"
    );
    let off =
        Server::start_with(&base_config().replace("[sip]\n", "[sip]\nsession_timers = false\n"));
    let peer = RawPeer::new(off.sip);
    let answer = peer.exchange(&off, &invite(&peer, 30));
    assert!(
        answer.starts_with("SIP/2.0 200 ") && !answer.contains("Session-Expires"),
        "with session timers off, no minimum applies and none is agreed:\n{answer}"
    );
    // The call answered is acknowledged and hung up.
    let tag = to_tag(&answer);
    let headers = "Max-Forwards: 70\r\n";
    peer.send(peer.request("ACK", "1 ACK", tag, headers, "").as_bytes());
    let ended = peer.exchange(&off, &peer.request("BYE", "2 BYE", tag, headers, ""));
    assert!(
        ended.starts_with("SIP/2.0 200 ") && ended.contains("CSeq: 2 BYE"),
        "expected 200 to the BYE, got:\n{ended}"
    );
    off.wait_for_log("cause=RemoteBye", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the call to end with the BYE: {e}"));
}

#[test]
fn info_with_dtmf_relay_and_options_in_a_call_get_200() {
    let server = Server::start_with(&misbehave_config());
    run(
        &server,
        "uac_info_options_in_dialog.xml",
        "alone",
        "200 to the INFO (dtmf-relay), 200 to the OPTIONS, 200 to the BYE",
    );
    assert_call_ended(&server, "RemoteBye");
}

/// SIPp's own time-out for the session-timer run: the BYE is due 60 s after
/// the 2xx, and the scenario waits 75 s for it.
const EXPIRY_RUN_TIMEOUT: &str = "100s";

/// Runs SIPp's `scenario_name` as one call to the `alone` user of `server`,
/// with a longer time-out than the helpers' 20 s (session timers take a
/// minute), otherwise as they run it (a free loopback port, another if another
/// process takes it first, no keyboard, the
/// time-out a failure); returns its output and how long it ran.
fn long_call(server: &Server, scenario_name: &str) -> (std::process::Output, Duration) {
    require_sipp();
    ports::on_free_ports("SIPp", || {
        let started = Instant::now();
        let output = Command::new("sipp")
            .args(["-sf", &scenario(scenario_name)])
            .args(["-s", "alone", "-i", "127.0.0.1", "-m", "1"])
            .args(["-p", &free_port("127.0.0.1").to_string()])
            .args(["-nostdin", "-timeout", EXPIRY_RUN_TIMEOUT, "-timeout_error"])
            .arg(server.sip.to_string())
            .output()
            .expect("running sipp");
        (!ports::sipp_lost_its_port(&output.stderr)).then(|| (output, started.elapsed()))
    })
}

#[test]
fn an_unrefreshed_session_is_ended_by_the_servers_bye_after_60_s() {
    let server = Server::start_with(&misbehave_config());
    let (output, elapsed) = long_call(&server, "uac_session_timer_expiry.xml");
    assert!(
        output.status.success(),
        "expected Session-Expires: 90;refresher=uac in the 200 and the server's BYE \
         55 to 70 s after the ACK, but sipp failed ({}) after {elapsed:?}:\n{}\n{}\nserver log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    // The scenario times the BYE itself; the run as a whole cannot be shorter.
    assert!(
        elapsed >= Duration::from_secs(55),
        "the server's BYE came after {elapsed:?} of the whole run, sooner than 55 s"
    );
    assert_call_ended(&server, "SessionExpired");
}

/// The refresh comes half the interval (45 s) after the answer, so this test
/// takes as long; it runs beside the expiry test above.
#[test]
fn the_server_refreshes_a_session_by_update_when_configured() {
    let config = misbehave_config().replace("[sip]\n", "[sip]\noffer_method = \"update\"\n");
    let server = Server::start_with(&config);
    let (output, elapsed) = long_call(&server, "uac_session_refresh_by_update.xml");
    assert!(
        output.status.success(),
        "expected Session-Expires: 90;refresher=uas in the 200, then the server's UPDATE \
         without a body and with Session-Expires: 90;refresher=uac, but sipp failed ({}) \
         after {elapsed:?}:\n{}\n{}\nserver log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    assert!(
        elapsed >= Duration::from_secs(44),
        "RFC 4028 §10: the refresh is due half the interval after the answer, not {elapsed:?}"
    );
    assert_call_ended(&server, "RemoteBye");
}
