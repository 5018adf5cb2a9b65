//! `switchyard guest new`: the crate it writes builds on its own, outside
//! this repository, and its component takes calls into rooms, named by the
//! dialled number however it is escaped, refusing numbers that name no room
//! before answering (and answers control functions with the SDK's default
//! fault); bad names and existing directories are refused.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::audio::power;
use support::phone::Phone;
use support::server::{Server, base_config, binary};
use support::xmlrpc::python;

/// How long a guest's log line may take to appear.
const LOG_TIMEOUT: Duration = Duration::from_secs(20);
/// The new guest's `time_limit_s`.
const TIME_LIMIT: Duration = Duration::from_secs(8);
/// The callers' tones, and how long they talk together.
const TONES: [f64; 2] = [500.0, 900.0];
const TALK: Duration = Duration::from_secs(2);
/// What the analysis skips: the first 300 ms.
const SKIP_SAMPLES: usize = 2_400;
/// A tone that is heard reads about 0.06 (mixing.rs); this is the floor.
const HEARD: f64 = 0.01;

fn new_guest(args: &[&str]) -> Output {
    Command::new(binary())
        .args(["guest", "new"])
        .args(args)
        .output()
        .expect("running switchyard guest new")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Builds the crate in `dir` as its README says, offline, into a target
/// directory kept between runs; returns the component.
fn build(dir: &Path) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-new");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = Instant::now();
    let output = Command::new(cargo)
        .args([
            "build",
            "--target",
            "wasm32-wasip2",
            "--release",
            "--offline",
        ])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("running cargo");
    eprintln!(
        "the new guest built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "expected the new guest to build, got {}:\n{}",
        output.status,
        text(&output.stderr)
    );
    let warnings: Vec<&str> = std::str::from_utf8(&output.stderr)
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("warning"))
        .collect();
    assert!(
        warnings.is_empty(),
        "expected no warnings, got {warnings:?}"
    );
    target.join("wasm32-wasip2/release/demo.wasm")
}

#[test]
fn a_new_guest_builds_on_its_own_and_its_calls_meet_in_the_dialled_room() {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("demo");
    let made = new_guest(&["demo", "--dir", dir.to_str().unwrap()]);
    assert!(
        made.status.success(),
        "expected guest new to succeed, got {}: {}",
        made.status,
        text(&made.stderr)
    );
    assert!(
        text(&made.stdout).contains("created guest demo in"),
        "{}",
        text(&made.stdout)
    );
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "src/lib.rs",
        "sdk/src/lib.rs",
        "value/src/lib.rs",
        "wit/v0.4.0/call.wit",
    ] {
        assert!(dir.join(file).is_file(), "expected {file} in the new crate");
    }
    let component = build(&dir);

    let config = format!(
        "{}[routing]\nguest = \"demo\"\n[guests.demo]\nwasm = \"{}\"\n\
         [guests.demo.config]\ntime_limit_s = {}\n",
        base_config(),
        component.display(),
        TIME_LIMIT.as_secs()
    );
    let server = Server::start_with(&config);
    let fault = python(
        &server,
        "try:\n    print('answered', s.roomInfo('4711'))\n\
         except xmlrpc.client.Fault as f:\n    print(f.faultCode, f.faultString)\n",
    );
    assert_eq!(
        fault.trim_end(),
        "504 unknown method name 'roomInfo': this guest has no control functions",
        "a guest without control functions refuses them"
    );
    // A user whose escapes are no text names no room.
    let mut broken = Phone::dial(server.sip, "47%FF", "eve", &[]);
    assert_eq!(broken.await_answer(), 400, "a user that does not decode");
    server
        .wait_for_log(
            "Request-URI user \"47%FF\" does not decode to text; 400",
            LOG_TIMEOUT,
        )
        .unwrap_or_else(|e| panic!("the guest says why it refused the call: {e}"));
    // A user naming no room the host takes is refused before it is answered,
    // rather than answered only to be hung up when it cannot join.
    let too_long = "7".repeat(65);
    for user in [".", "%2E%2E", too_long.as_str()] {
        let mut refused = Phone::dial(server.sip, user, "eve", &[]);
        assert_eq!(refused.await_answer(), 404, "{user:?} names no room");
        server
            .wait_for_log(
                &format!("Request-URI user {user:?} names no room"),
                LOG_TIMEOUT,
            )
            .unwrap_or_else(|e| panic!("the guest says why it refused {user:?}: {e}"));
    }
    let alice = Phone::call(server.sip, "4711", "alice", &[]);
    server
        .wait_for_log("joined room 4711 with 0 others (call 1 to it)", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("the first call joins room 4711 alone: {e}"));
    let alice_joined = Instant::now();
    // RFC 3261 §19.1.4: `%31` in the user dials what `1` dials.
    let bob = Phone::call(server.sip, "47%31%31", "bob", &[]);
    server
        .wait_for_log("joined room 4711 with 1 others (call 2 to it)", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("the second call, escaped, joins alice in room 4711: {e}"));

    // Each hears the other through the room.
    let phones = [&alice, &bob];
    for phone in phones {
        phone.discard_received();
    }
    let heard: Vec<Vec<i16>> = std::thread::scope(|scope| {
        let talkers: Vec<_> = phones
            .into_iter()
            .zip(TONES)
            .map(|(phone, tone)| scope.spawn(move || phone.talk(tone, TALK)))
            .collect();
        talkers.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for (listener, talker) in [(0, 1), (1, 0)] {
        let samples = &heard[listener];
        assert!(
            samples.len() > SKIP_SAMPLES,
            "caller {listener} heard nothing"
        );
        let level = power(&samples[SKIP_SAMPLES..], TONES[talker]);
        assert!(
            level > HEARD,
            "expected caller {listener} to hear caller {talker}'s {} Hz above {HEARD}, got {level:.2e}",
            TONES[talker]
        );
    }

    // The time limit: goodbye, then BYE.
    let bye = alice
        .await_bye_at(TIME_LIMIT + Duration::from_secs(10))
        .expect("alice is hung up after the time limit");
    assert!(
        bye.duration_since(alice_joined) >= TIME_LIMIT - Duration::from_millis(500),
        "expected the BYE after {TIME_LIMIT:?}, got it after {:?}",
        bye.duration_since(alice_joined)
    );
    server
        .wait_for_log("left room 4711", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("the guest sees the hang-up: {e}"));
    assert!(
        bob.await_bye(TIME_LIMIT + Duration::from_secs(10)),
        "bob is hung up after his time limit too"
    );
    drop(server);

    // A time limit past the host's longest timer is held to a day, not a reason to hang up.
    let config = format!(
        "{}[routing]\nguest = \"demo\"\n[guests.demo]\nwasm = \"{}\"\n\
         [guests.demo.config]\ntime_limit_s = 100000\n",
        base_config(),
        component.display(),
    );
    let server = Server::start_with(&config);
    let carol = Phone::call(server.sip, "4712", "carol", &[]);
    server
        .wait_for_log("joined room 4712 with 0 others", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("carol joins room 4712: {e}"));
    assert!(
        !carol.await_bye(Duration::from_secs(3)),
        "carol stays in her room:\n{}",
        server.log()
    );
}

#[test]
fn guest_new_refuses_bad_names_and_existing_directories() {
    let outside = tempfile::tempdir().unwrap();
    for (name, problem) in [
        ("2fast", "it must start with a letter"),
        ("my/flow", "'/' is not allowed"),
        ("fn", "it is a Rust keyword"),
    ] {
        let dir = outside.path().join("x");
        let refused = new_guest(&[name, "--dir", dir.to_str().unwrap()]);
        assert!(!refused.status.success(), "expected {name:?} to be refused");
        let stderr = text(&refused.stderr);
        assert!(
            stderr.contains(&format!("{name:?} is not a valid crate name: {problem}")),
            "expected the refusal of {name:?} to say {problem:?}, got: {stderr}"
        );
        assert!(!dir.exists(), "nothing is written for {name:?}");
    }

    let existing = outside.path().join("taken");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("keep.txt"), "mine").unwrap();
    let refused = new_guest(&["demo", "--dir", existing.to_str().unwrap()]);
    assert!(
        !refused.status.success(),
        "expected an existing directory to be refused"
    );
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains(&format!("{} already exists", existing.display())),
        "expected the refusal to name the directory, got: {stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&existing)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["keep.txt"], "the existing directory is left alone");

    // Without --dir the crate goes to ./NAME, which exists here.
    let refused = Command::new(binary())
        .args(["guest", "new", "taken"])
        .current_dir(outside.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("taken already exists"),
        "{}",
        text(&refused.stderr)
    );
}
