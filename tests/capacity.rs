//! 2,000 concurrent calls at the default limits, end to end: SIPp's built-in
//! uac calls room 123 (the webconference guest) 2,000 times, holds every call,
//! then hangs each up; the server carries them all, sends media to every leg,
//! and holds nothing afterwards.

mod support;

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use support::server::{Server, loopback_config};
use support::tools::require_sipp;
use support::xmlrpc::{Stats, calls, parse_stats, python};

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

/// An RTP range of 4,500 ports (2,250 even ones, 250 to spare) of this
/// test's own: below the kernel's ephemeral ports (32768–60999), clear of
/// base_config's 20000–27999, and one of four slots picked by the process id,
/// so two runs at once rarely share one. A port something else holds (SIPp
/// takes 5060, 6000, 8888 and up) is skipped by the server's allocator.
fn rtp_range() -> (u16, u16) {
    let slots = [1500u16, 6100, 10600, 15100];
    let port_min = slots[std::process::id() as usize % slots.len()];
    (port_min, port_min + 4499)
}

/// SIPp, killed if the test ends before it does.
struct Sipp(Child);

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl Sipp {
    /// Waits for SIPp to exit, at most `timeout`.
    fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.0.try_wait().expect("waiting for sipp") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

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
    require_sipp();
    let (port_min, port_max) = rtp_range();
    // Loopback, free ports and a large RTP range; [media] and [limits] at
    // their defaults.
    let server = Server::start_with(&loopback_config("info", port_min, port_max));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let screen_path = dir.path().join("sipp.out");
    let screen = std::fs::File::create(&screen_path).expect("SIPp's output file");
    let started = Instant::now();
    let mut sipp = Sipp(
        Command::new("sipp")
            .args(["-sn", "uac", "-s", "000777123"])
            .args(["-i", "127.0.0.1", "-t", "u1"])
            .args(["-p", &support::sipp::free_port("127.0.0.1").to_string()])
            .args(["-r", &RATE.to_string(), "-m", &CALLS.to_string()])
            .args(["-l", &CALLS.to_string(), "-d", &HOLD_MS.to_string()])
            .args(["-nostdin", "-timeout", &format!("{SIPP_TIMEOUT_S}s")])
            .arg("-timeout_error")
            .arg(server.sip.to_string())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(screen)
            .stderr(Stdio::null())
            .spawn()
            .expect("starting sipp"),
    );
    let sipp_screen = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();

    // Every call up.
    let started_up = Instant::now();
    let mut active = 0;
    while active < CALLS {
        active = calls(&server);
        assert!(
            started_up.elapsed() < ALL_UP,
            "expected {CALLS} calls up within {ALL_UP:?}, {active} are; SIPp:\n{}",
            sipp_screen(&screen_path)
        );
        if active < CALLS {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
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
    let status = sipp
        .wait(Duration::from_secs(SIPP_TIMEOUT_S))
        .unwrap_or_else(|| {
            panic!(
                "expected SIPp to finish within {SIPP_TIMEOUT_S} s; SIPp:\n{}",
                sipp_screen(&screen_path)
            )
        });
    let screen = sipp_screen(&screen_path);
    eprintln!("SIPp finished {:?} after it started", started.elapsed());
    assert!(
        status.success(),
        "expected SIPp to exit 0 (every call successful), got {status}:\n{screen}"
    );
    assert_eq!(
        support::sipp::counter(&screen, "Successful call"),
        Some(CALLS),
        "expected {CALLS} successful calls on SIPp's screen:\n{screen}"
    );
    assert_eq!(
        support::sipp::counter(&screen, "Failed call"),
        Some(0),
        "expected 0 failed calls on SIPp's screen:\n{screen}"
    );

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
