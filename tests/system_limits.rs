//! The operating system's limits, end to end: started with fewer open files
//! than its configured calls need, the server says so, refuses the calls past
//! the limit with the system's reason, carries the others, and takes new calls
//! once those have ended.

mod support;

use std::time::Duration;
use support::load::{Load, rtp_range};
use support::server::{Server, loopback_config};
use support::sipp;
use support::xmlrpc::calls;

/// The open-files limit the server runs with.
const OPEN_FILES: u64 = 64;
/// Calls placed beyond those the limit leaves room for.
const EXTRA_CALLS: i64 = 6;
/// How long SIPp holds each call: every call is up at once.
const HOLD_MS: &str = "6000";
/// SIPp's call rate: the ramp takes about a second.
const RATE: u32 = 50;
/// SIPp's own bound on its run, and the test's on SIPp.
const SIPP_TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn calls_past_the_open_files_limit_are_refused_and_the_rest_carried() {
    let (port_min, port_max) = rtp_range();
    let server =
        Server::start_with_open_files(&loopback_config("info", port_min, port_max), OPEN_FILES);
    server
        .wait_for_log(
            &format!("the open-files limit ({OPEN_FILES}, "),
            Duration::from_secs(5),
        )
        .expect("a warning that the open-files limit is too low for limits.max_instances");
    server
        .wait_for_log(
            "port pairs, one per call, fewer than limits.max_instances (10000)",
            Duration::from_secs(5),
        )
        .expect("a warning that the RTP range is too small for limits.max_instances");
    // A first call, so that whatever the server opens once and keeps is open
    // already: from then on only the calls' own descriptors come and go.
    sipp::call(&server, &["-sn", "uac", "-s", "000777123"], "a first call");
    server.await_value("calls", &0, Duration::from_secs(10), || calls(&server));
    let idle = steady_open_fds(&server);
    // Each call holds two descriptors: its RTP and RTCP sockets.
    let room = (OPEN_FILES as i64 - idle as i64) / 2;
    assert!(room > 5, "{idle} descriptors open at idle");

    let placed = room + EXTRA_CALLS;
    let load = Load::start(
        &server,
        &["-sn", "uac", "-s", "000777123", "-d", HOLD_MS],
        placed,
        RATE,
        SIPP_TIMEOUT,
    );
    let outcome = load.outcome(SIPP_TIMEOUT + Duration::from_secs(10));
    assert_eq!(
        outcome.successful + outcome.failed,
        placed,
        "{}",
        outcome.screen
    );
    // Calls beyond the limit fail; those within it are carried (one descriptor
    // of slack either way: a control connection or a closing socket).
    assert!(
        outcome.failed >= EXTRA_CALLS - 1 && outcome.successful >= room - 1,
        "expected about {room} of {placed} calls carried and the rest refused:\n{}",
        outcome.screen
    );
    server
        .wait_for_log(
            "cannot open an RTP or RTCP socket: Too many open files",
            Duration::from_secs(5),
        )
        .expect("the refusals' reason in the log");

    // Every call has ended, so there is room again: nothing is held.
    server.await_value("calls", &0, Duration::from_secs(10), || calls(&server));
    assert_eq!(
        steady_open_fds(&server),
        idle,
        "descriptors held after the calls"
    );
    sipp::call(
        &server,
        &["-sn", "uac", "-s", "000777123"],
        "a call once the others have ended",
    );
}

/// The server's open descriptors once the count holds still for half a second
/// (a control connection or a socket being closed comes and goes), read every
/// 100 ms for at most 10 s.
fn steady_open_fds(server: &Server) -> usize {
    let mut last = (server.open_fds(), 0);
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        let now = server.open_fds();
        last = if now == last.0 {
            (now, last.1 + 1)
        } else {
            (now, 0)
        };
        if last.1 == 5 {
            return now;
        }
    }
    panic!(
        "the server's open descriptors did not hold still: last {}",
        last.0
    );
}
