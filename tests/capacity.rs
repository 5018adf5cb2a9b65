//! 2,000 concurrent calls at the default limits, end to end: SIPp's built-in
//! uac calls room 123 (the webconference guest) 2,000 times, holds every call,
//! then hangs each up; the server carries them all, sends media to every leg,
//! and holds nothing afterwards.

mod support;

use std::time::{Duration, Instant};
use support::load::{Load, rtp_range};
use support::server::{Server, loopback_config};
use support::xmlrpc::{Stats, parse_stats, python};

/// The calls SIPp places, all at once at the end of the ramp.
const CALLS: i64 = 2000;
/// SIPp's call rate (calls per second): the ramp takes 5 s.
const RATE: u32 = 400;
/// How long SIPp holds each call before its BYE. Every call is up from the
/// end of the ramp until the first call's hold ends: about 15 s to check.
const HOLD_MS: u32 = 20_000;
/// How long the calls may take to all be up.
const ALL_UP: Duration = Duration::from_secs(60);
/// How long the server may take to let go of everything after the last BYE.
const ALL_GONE: Duration = Duration::from_secs(60);
/// SIPp's own bound on the whole run (its `-timeout`), and the test's on SIPp.
const SIPP_TIMEOUT_S: u64 = 80;
/// The least packets the server sends in one second with every call up: half
/// the 50 packets per second every leg is due.
const MIN_PACKETS_PER_SECOND: i64 = CALLS * 25;

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

/// Two `stats()` samples a second apart, with `calls()` before the first;
/// prints the calls, the seconds between the samples, then the two samples
/// as `name value` lines, separated by `--`.
const TWO_SAMPLES: &str = r#"
active = s.calls()
first = s.stats()
t0 = time.monotonic()
time.sleep(1.0)
second = s.stats()
elapsed = time.monotonic() - t0
print(active)
print(elapsed)
for k, v in first.items(): print(k, v)
print("--")
for k, v in second.items(): print(k, v)
"#;

/// Prints 1 once nothing is held (no call, no guest instance, no mailbox),
/// else 0, then the stats.
const NOTHING_HELD: &str = r#"
st = s.stats()
done = s.calls() == 0 and st["guest_instances"] == 0 and st["guest_mailboxes"] == 0
print(1 if done else 0)
for k, v in st.items(): print(k, v)
"#;

#[test]
fn two_thousand_concurrent_calls_at_the_default_limits() {
    let (port_min, port_max) = rtp_range();
    // Loopback, free ports and a large RTP range; [media] and [limits] at
    // their defaults.
    let server = Server::start_with(&loopback_config("info", port_min, port_max));
    let started = Instant::now();
    let hold = HOLD_MS.to_string();
    let load = Load::start(
        &server,
        &["-sn", "uac", "-s", "000777123", "-d", &hold],
        CALLS,
        RATE,
        Duration::from_secs(SIPP_TIMEOUT_S),
    );
    load.await_up(&server, ALL_UP);
    eprintln!(
        "{CALLS} calls up {:?} after SIPp started",
        started.elapsed()
    );

    // Every call a participant with its guest instance, and media to every leg.
    let out = python(&server, TWO_SAMPLES);
    let mut lines = out.lines();
    let active: i64 = lines.next().and_then(|l| l.parse().ok()).expect("calls()");
    let elapsed: f64 = lines.next().and_then(|l| l.parse().ok()).expect("seconds");
    let rest: Vec<&str> = lines.collect();
    let split = rest.iter().position(|l| *l == "--").expect("two samples");
    let first: Stats = parse_stats(&rest[..split].join("\n"));
    let second: Stats = parse_stats(&rest[split + 1..].join("\n"));
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
    let sent = second.get("packets_sent") - first.get("packets_sent");
    eprintln!("{sent} packets sent in {elapsed:.3} s");
    assert!(
        elapsed >= 1.0 && sent >= MIN_PACKETS_PER_SECOND,
        "expected at least {MIN_PACKETS_PER_SECOND} packets sent in the second between two \
         samples ({CALLS} legs x 25), got {sent} in {elapsed:.3} s"
    );

    // SIPp hangs every call up after its hold, and every call succeeded.
    load.finish(Duration::from_secs(SIPP_TIMEOUT_S));
    eprintln!("SIPp finished {:?} after it started", started.elapsed());

    // Nothing held afterwards.
    let released = Instant::now();
    let out = poll_python(&server, NOTHING_HELD, ALL_GONE).unwrap_or_else(|last| {
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
