//! Stopping under load: SIGTERM with hundreds of calls up sends every call a
//! BYE, waits for the answers, and exits 0.

mod support;

use std::time::{Duration, Instant};
use support::load::{Load, rtp_range};
use support::server::{Server, loopback_config};
use support::sipp::scenario;

/// The calls up when the signal comes.
const CALLS: i64 = 300;

#[test]
fn sigterm_under_load_sends_every_call_a_bye_and_exits_0() {
    let (port_min, port_max) = rtp_range();
    let mut server = Server::start_with(&loopback_config("info", port_min, port_max));
    // Each caller waits (20 s at most) for the server's BYE and answers it.
    let wait_bye = scenario("uac_wait_bye.xml");
    let load = Load::start(
        &server,
        &[
            "-sf",
            &wait_bye,
            "-s",
            "000777123",
            "-key",
            "caller",
            "load",
        ],
        CALLS,
        150,
        Duration::from_secs(60),
    );
    load.await_up(&server, Duration::from_secs(30));
    let signalled = Instant::now();
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(15));
    eprintln!("exited {status} {:?} after SIGTERM", signalled.elapsed());
    assert!(
        status.success(),
        "expected exit 0 after SIGTERM under load, got {status}; log:\n{}",
        server.log()
    );
    // Every caller got its BYE: SIPp counts all its calls successful.
    load.finish(Duration::from_secs(30));
}
