//! SIP over TCP and over IPv6 against the real binary, with SIPp's built-in
//! caller: the call into a room is answered, its media address is of the
//! right family, and its BYE ends it.

mod support;

use std::time::Duration;
use support::server::{Server, loopback_config};
use support::sipp;

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

fn expect_call_ended_by_bye(server: &Server) {
    let ended = server
        .wait_for_log("call ended", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the call's end to be logged: {e}"));
    assert!(ended.contains("cause=RemoteBye"), "{ended}");
}

#[test]
fn a_call_over_tcp_is_answered_and_ended_by_its_bye() {
    let server = Server::start();
    let tcp = server.sip_on("TCP", false);
    sipp::call_to(
        &server,
        tcp,
        "127.0.0.1",
        &["-sn", "uac", "-t", "t1", "-s", "000777123", "-d", "1000"],
        "a call over TCP answered, and its BYE too",
    );
    expect_call_ended_by_bye(&server);
}

#[test]
fn a_call_over_ipv6_is_answered_with_ipv6_media_and_ended_by_its_bye() {
    support::tools::require_ipv6_loopback();
    let port_min = 21000 + (std::process::id() % 200) as u16 * 40;
    let config = loopback_config("info,switchyard=debug", port_min, port_min + 39)
        .replace(
            "listen = \"127.0.0.1:0\"\n[control]",
            "listen = [\"127.0.0.1:0\", \"[::1]:0\"]\n[control]",
        )
        .replace("address = \"127.0.0.1\"", "address = \"::1\"");
    // RTP only on ::1: the call can only be answered with IPv6 media.
    let server = Server::start_with(&config);
    let udp6 = server.sip_on("UDP", true);
    sipp::call_to(
        &server,
        udp6,
        "::1",
        &["-sn", "uac", "-s", "000777123", "-d", "1000"],
        "a call over IPv6 answered, and its BYE too",
    );
    expect_call_ended_by_bye(&server);
}
