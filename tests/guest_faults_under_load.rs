//! Bad guest versions loaded while 500 calls are up on a good one: a version
//! that panics on every call, one that spins, one that exhausts its memory.
//! The 500 calls keep their audio and stay up; each bad version's calls get
//! the fallback (500); the host counts and logs every fault.

mod support;

use std::time::Duration;
use support::audio::assert_each_hears_the_other;
use support::load::{Load, rtp_range};
use support::phone::Phone;
use support::server::{Server, loopback_config, test_guest_wasm};
use support::xmlrpc::{rpc, stats};

/// The calls up on the good version while the bad ones are loaded.
const CALLS: i64 = 500;
/// How long SIPp holds each of them: past every load below.
const HOLD: Duration = Duration::from_secs(45);
const TONES: [f64; 2] = [600.0, 1000.0];

/// A copy of the misbehave component whose every call does `fault` first
/// (see `FAULT_ON_EVERY_CALL` in guests/misbehave): the bytes that say `none`
/// in its data are overwritten.
fn faulty_version(dir: &std::path::Path, fault: &str) -> String {
    let good = std::fs::read(test_guest_wasm("misbehave")).unwrap();
    let marker = b"fault-on-every-call:none................";
    let at = good
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("the misbehave component holds its fault marker");
    let mut bad = good.clone();
    let mut replacement = format!("fault-on-every-call:{fault}").into_bytes();
    replacement.resize(marker.len(), b'.');
    bad[at..at + marker.len()].copy_from_slice(&replacement);
    let path = dir.join(format!("misbehave-{fault}.wasm"));
    std::fs::write(&path, bad).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn bad_versions_loaded_under_500_calls_fail_only_their_own_calls() {
    let (port_min, port_max) = rtp_range();
    let config = format!(
        "{}[routing]\nguest = \"misbehave\"\n[guests.misbehave]\nwasm = \"{}\"\n",
        loopback_config("info", port_min, port_max),
        test_guest_wasm("misbehave")
    );
    let server = Server::start_with(&config);
    let dir = tempfile::tempdir().unwrap();

    // 500 calls on version 1, in room `ok` (SIPp sends no audio), and two
    // phones among them whose audio is checked.
    let hold = HOLD.as_millis().to_string();
    let load = Load::start(
        &server,
        &["-sn", "uac", "-s", "room", "-d", &hold],
        CALLS,
        100,
        HOLD + Duration::from_secs(40),
    );
    let talkers = [
        Phone::call(server.sip, "room", "talker-a", &[]),
        Phone::call(server.sip, "room", "talker-b", &[]),
    ];
    load.await_up(&server, Duration::from_secs(30));
    let heard = talk(&talkers);
    assert_each_hears_the_other(&heard, TONES);

    let before = stats(&server);
    for (n, fault) in ["panic", "spin", "grow"].into_iter().enumerate() {
        let component = faulty_version(dir.path(), fault);
        let version = rpc(&server, &format!("s.guestLoad('misbehave', {component:?})"));
        assert_eq!(version, (n + 2).to_string(), "loading the {fault} version");
        // A new call lands on the bad version and gets the fallback.
        let mut caller = Phone::dial(server.sip, "room", &format!("new-{fault}"), &[]);
        assert_eq!(
            caller.await_answer(),
            500,
            "a call on the {fault} version is refused; log:\n{}",
            server.log()
        );
        // The calls on version 1 kept their audio through it.
        let heard = talk(&talkers);
        assert_each_hears_the_other(&heard, TONES);
        assert_eq!(
            support::xmlrpc::calls(&server),
            CALLS + 2,
            "every call on the good version is still up after the {fault} version's fault"
        );
    }
    let after = stats(&server);
    let failures = after.get("guest_failures") - before.get("guest_failures");
    assert_eq!(
        failures, 3,
        "one guest failure counted per bad call: {after:?}"
    );
    let log = server.log();
    for (version, fault, logged) in [
        (2, "panic", "on-invite failed"),
        (3, "spin", "on-invite ran past its deadline"),
        (4, "grow", "on-invite failed"),
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains(&format!("version={version} "))
                    && l.contains(&format!("guest misbehave: {logged}"))),
            "the {fault} version's fault is logged as {logged:?}; log:\n{log}"
        );
    }

    for phone in talkers {
        phone.hang_up();
    }
    // SIPp hangs up its 500 calls after their hold: none was dropped.
    load.finish(HOLD + Duration::from_secs(40));
}

/// Both phones talk their tones for 2 s; what each heard.
fn talk(phones: &[Phone; 2]) -> [Vec<i16>; 2] {
    std::thread::scope(|scope| {
        let a = scope.spawn(|| phones[0].talk(TONES[0], Duration::from_secs(2)));
        let b = scope.spawn(|| phones[1].talk(TONES[1], Duration::from_secs(2)));
        [a.join().unwrap(), b.join().unwrap()]
    })
}
