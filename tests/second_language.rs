//! A guest written in Python: the IVR of `examples/ivr-python`, built with
//! componentize-py by the example's own script, loaded from its file as the
//! routing guest and driven by real calls.
//!
//! The script installs componentize-py (into the target directory) when it is
//! missing; a test that cannot build the component fails, it is never
//! skipped.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::phone::Phone;
use support::server::{Server, base_config};
use support::xmlrpc::{calls, python, rpc, stats};

/// The IVR's timer in this test (its config key `timeout_ms`).
const TIMEOUT: Duration = Duration::from_millis(1500);
/// How long the embedded `goodbye` prompt plays.
const GOODBYE: Duration = Duration::from_millis(1000);
/// How long a key press or a hang-up may take to show in the host's state.
const SETTLE: Duration = Duration::from_secs(10);
/// How long the server may take to start: the first start compiles the
/// component (CPython included); later ones take it from the compile cache.
const START: Duration = Duration::from_secs(300);

/// Builds the IVR component (or finds it up to date) under the target
/// directory and returns its path.
fn ivr_wasm() -> PathBuf {
    let target_tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let out = target_tmp.join("ivr-python").join("ivr.wasm");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ivr-python/build.sh");
    let target = target_tmp.parent().expect("the target directory");
    let started = Instant::now();
    let output = Command::new(&script)
        .arg(&out)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "the Python IVR did not build: {} failed ({}); it installs componentize-py \
         with pip into {} (tests/run does it too), which needs python3 with venv \
         and access to PyPI:\n{}",
        script.display(),
        output.status,
        target.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "Python IVR ready in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    out
}

/// [`base_config`] with every call routed to the IVR at `wasm`, a compile
/// cache under the target directory and a short timer. The limits are the
/// defaults: CPython's memory starts at 12 MiB, within the 32 MiB cap.
fn ivr_config(wasm: &Path) -> String {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ivr-python-guest-cache");
    format!(
        "{}[guest_cache]\ndir = \"{}\"\n\
         [routing]\nguest = \"ivr\"\n\
         [guests.ivr]\nwasm = \"{}\"\n\
         [guests.ivr.config]\ntimeout_ms = {}\n",
        base_config(),
        cache.display(),
        wasm.display(),
        TIMEOUT.as_millis()
    )
}

/// The IVR's `room(name)`: each participant as `call number status`, or
/// the fault string.
fn room(server: &Server, name: &str) -> Vec<String> {
    let script = format!(
        "try:\n    r = s.room({name:?})\n    \
         for p in r[:-1]: print(p['call'], p['number'], p['status'])\n\
         except xmlrpc.client.Fault as f:\n    print('fault', f.faultCode, f.faultString)\n"
    );
    python(server, &script).lines().map(str::to_owned).collect()
}

/// The mean absolute sample of what the phone hears for `duration`.
fn loudness(phone: &Phone, duration: Duration) -> f64 {
    let heard = phone.talk(1000.0, duration);
    let sum: f64 = heard.iter().map(|s| f64::from(*s).abs()).sum();
    sum / heard.len().max(1) as f64
}

#[test]
fn the_python_ivr_puts_callers_in_the_room_they_choose_and_hangs_up_on_silence() {
    let wasm = ivr_wasm();
    let started = Instant::now();
    let server = Server::start_within(&ivr_config(&wasm), START);
    eprintln!(
        "switchyard with the Python IVR ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    assert_eq!(
        rpc(&server, "s.menu()[:-1]"),
        "[['1', '100'], ['2', '200']]"
    );
    assert_eq!(room(&server, "100"), ["fault 404 room 100: no such room"]);
    let unknown = python(
        &server,
        "try:\n    s.dial('100')\nexcept xmlrpc.client.Fault as f:\n    print(f.faultCode)\n",
    );
    assert_eq!(unknown.trim_end(), "504");

    // Key 1: room 100. The caller hears the menu prompt until then.
    let alice = Phone::call(server.sip, "ivr", "alice", &[]);
    let alice_call = server.call_id_of("alice", SETTLE);
    let level = loudness(&alice, Duration::from_millis(1000));
    assert!(
        level > 100.0,
        "expected alice to hear the menu prompt, she heard a mean level of {level:.1}"
    );
    alice.send_dtmf('1');
    server.await_value(
        "room 100",
        &vec![format!("{alice_call} alice 3")],
        SETTLE,
        || room(&server, "100"),
    );
    assert_eq!(room(&server, "200"), ["fault 404 room 200: no such room"]);

    // Key 2: room 200; room 100 is as it was.
    let bob = Phone::call(server.sip, "ivr", "bob", &[]);
    let bob_call = server.call_id_of("bob", SETTLE);
    bob.send_dtmf('2');
    server.await_value(
        "room 200",
        &vec![format!("{bob_call} bob 3")],
        SETTLE,
        || room(&server, "200"),
    );
    assert_eq!(room(&server, "100"), [format!("{alice_call} alice 3")]);

    // Another key plays the menu again and restarts the timer; then nothing:
    // the menu once more after one time-out, goodbye and BYE after the second.
    let carol = Phone::call(server.sip, "ivr", "carol", &[]);
    let carol_call = server.call_id_of("carol", SETTLE);
    std::thread::sleep(TIMEOUT / 2);
    carol.send_dtmf('9');
    let pressed = Instant::now();
    let bye = carol
        .await_bye_at(SETTLE + 2 * TIMEOUT + GOODBYE)
        .unwrap_or_else(|| panic!("expected carol to be hung up; the log:\n{}", server.log()));
    // Without the restart the BYE would come 2 × TIMEOUT + GOODBYE after the
    // answer, TIMEOUT / 2 before the key; with it, that long after the key.
    let waited = bye - pressed;
    assert!(
        waited >= 2 * TIMEOUT + GOODBYE / 2,
        "carol was hung up {waited:?} after her key: expected two time-outs of \
         {TIMEOUT:?} counted from the key, and goodbye"
    );
    let log = server.log();
    assert!(
        log.contains(&format!("{carol_call}: no choice, menu again"))
            && log.contains(&format!("{carol_call}: no choice, goodbye")),
        "expected the IVR to log both of carol's time-outs; the log:\n{log}"
    );
    server.await_value("calls()", &2, SETTLE, || calls(&server));
    assert_eq!(room(&server, "100"), [format!("{alice_call} alice 3")]);
    assert_eq!(room(&server, "200"), [format!("{bob_call} bob 3")]);
    assert_eq!(stats(&server).get("participants"), 2);

    alice.hang_up();
    bob.hang_up();
    server.await_value("calls()", &0, SETTLE, || calls(&server));
    assert_eq!(stats(&server).get("guest_failures"), 0);
    eprintln!(
        "the Python IVR test took {:.1} s with the server",
        started.elapsed().as_secs_f64()
    );
}
