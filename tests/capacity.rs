//! 2,000 concurrent calls at the default limits, end to end: SIPp's built-in
//! uac calls room 123 (the webconference guest) 2,000 times, holds every call,
//! then hangs each up; the server carries them all, sends their room's mix (25
//! packets a call on average, within a bound), and holds nothing afterwards.

mod support;

use std::time::{Duration, Instant};
use support::load::{Load, rtp_range};
use support::server::{Server, loopback_config};
use support::xmlrpc::{HELD_FOR_CALLS, PRINT_STATS, Stats, parse_stats, python};

/// The calls SIPp places, all at once at the end of the ramp.
const CALLS: i64 = 2000;
/// SIPp's call rate (calls per second): the ramp takes 5 s.
const RATE: u32 = 400;
/// How long the calls may take to all be up.
const ALL_UP: Duration = Duration::from_secs(60);
/// How long the server may take to let go of everything after the last BYE.
const ALL_GONE: Duration = Duration::from_secs(60);
/// The packets the server must send while every call is up: 25 per leg on
/// average, half a second of each leg's 50 per second.
const MIN_PACKETS: i64 = CALLS * 25;
/// How long the server may take to send them: well inside the time every call
/// is up. A bound on progress, not a rate: rates are the load benchmark's.
const MEDIA_FLOWS: Duration = Duration::from_secs(8);
/// What the checks while every call is up take besides [`MEDIA_FLOWS`]: a few
/// XML-RPC scripts, each a Python process of its own.
const SAMPLING: Duration = Duration::from_secs(22);
/// How long SIPp holds each call before its BYE. The first call is answered
/// about when the wait for [`ALL_UP`] starts, and every call must still be up
/// after the slowest ramp allowed and the checks that follow it; a shorter
/// hold would end calls while they are checked.
const HOLD: Duration =
    Duration::from_secs(ALL_UP.as_secs() + MEDIA_FLOWS.as_secs() + SAMPLING.as_secs());
/// SIPp's own bound on the whole run (its `-timeout`): the last call may be
/// placed [`ALL_UP`] after the first, then is held for [`HOLD`], then hung up.
const SIPP_TIMEOUT: Duration = Duration::from_secs(ALL_UP.as_secs() + HOLD.as_secs() + 30);

/// Polls `script`'s output (one line, `"1"` when done) until it prints 1,
/// every ~200 ms, at most `timeout`; returns what it printed last.
fn poll_python(server: &Server, script: &str, timeout: Duration) -> Result<String, String> {
    let started = Instant::now();
    loop {
        let out = python(server, script);
        if out.lines().next() == Some("1") {
            return Ok(out);
        }
        if started.elapsed() >= timeout {
            return Err(out);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Prints 1 once `packets_sent` has reached `target`, else 0, then the stats.
fn packets_sent_reach(target: i64) -> String {
    format!(
        r#"
st = s.stats()
print(1 if st["packets_sent"] >= {target} else 0)
for k, v in st.items(): print(k, v)
"#
    )
}

/// Prints 1 once nothing is held (no call, no guest mailbox, nothing of [`HELD_FOR_CALLS`]),
/// else 0, then the stats.
fn nothing_held() -> String {
    format!(
        "st = s.stats()\n\
         held = {HELD_FOR_CALLS:?} + [\"guest_mailboxes\"]\n\
         done = s.calls() == 0 and all(st[k] == 0 for k in held)\n\
         print(1 if done else 0)\n\
         for k, v in st.items(): print(k, v)\n"
    )
}

#[test]
fn two_thousand_concurrent_calls_at_the_default_limits() {
    let (port_min, port_max) = rtp_range();
    // Loopback, free ports and a large RTP range; [media] and [limits] at
    // their defaults.
    let server = Server::start_with(&loopback_config("info", port_min, port_max));
    let started = Instant::now();
    let hold = HOLD.as_millis().to_string();
    let load = Load::start(
        &server,
        &["-sn", "uac", "-s", "000777123", "-d", &hold],
        CALLS,
        RATE,
        SIPP_TIMEOUT,
    );
    load.await_up(&server, ALL_UP);
    eprintln!(
        "{CALLS} calls up {:?} after SIPp started",
        started.elapsed()
    );

    // Every call a participant with its guest instance, and media to every leg.
    // `calls()`, then `stats()` as `name value` lines.
    let out = python(&server, &format!("print(s.calls())\n{PRINT_STATS}"));
    let (active, first) = out.split_once('\n').expect("calls() and stats()");
    let active: i64 = active.parse().expect("calls()");
    let first: Stats = parse_stats(first);
    eprintln!("with every call up: {first:?}");
    assert_eq!(
        active, CALLS,
        "expected all {CALLS} calls still up when sampling"
    );
    assert!(
        first.get("participants") >= CALLS,
        "expected at least {CALLS} participants, got {}",
        first.get("participants")
    );
    assert_eq!(
        first.get("guest_instances"),
        CALLS,
        "expected one guest instance per call; the server's errors:\n{}",
        errors(&server)
    );
    let target = first.get("packets_sent") + MIN_PACKETS;
    let sending = Instant::now();
    let out =
        poll_python(&server, &packets_sent_reach(target), MEDIA_FLOWS).unwrap_or_else(|last| {
            panic!(
                "expected {MIN_PACKETS} packets sent ({CALLS} legs x 25) within {MEDIA_FLOWS:?} \
                 with every call up; last stats:\n{last}"
            )
        });
    eprintln!(
        "{MIN_PACKETS} packets sent in {:?}: {:?}",
        sending.elapsed(),
        parse_stats(&out)
    );
    let out = python(&server, "print(s.calls())");
    assert_eq!(
        out.trim(),
        CALLS.to_string(),
        "expected all {CALLS} calls still up after the media check"
    );

    // SIPp hangs every call up after its hold, and every call succeeded.
    // SIPp stops itself at its time-out, counted from its start, before this.
    load.finish(SIPP_TIMEOUT);
    eprintln!("SIPp finished {:?} after it started", started.elapsed());

    // Nothing held afterwards.
    let released = Instant::now();
    let out = poll_python(&server, &nothing_held(), ALL_GONE).unwrap_or_else(|last| {
        panic!(
            "expected no call, guest instance or mailbox within {ALL_GONE:?} of the last \
             BYE; last stats:\n{last}"
        )
    });
    eprintln!(
        "everything released {:?} after SIPp finished: {:?}",
        released.elapsed(),
        parse_stats(&out)
    );
}

/// The server's log lines at WARN or ERROR level.
fn errors(server: &Server) -> String {
    server
        .log()
        .lines()
        .filter(|line| line.contains("WARN") || line.contains("ERROR"))
        .collect::<Vec<_>>()
        .join("\n")
}
