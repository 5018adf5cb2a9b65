//! Hot swap of a guest while calls are up, through `guestLoad` and
//! `guestList` over XML-RPC.

mod support;

use std::time::Duration;
use support::phone::Phone;
use support::server::{Server, base_config, misbehave_config, test_guest_wasm};
use support::xmlrpc::{calls, python, rpc};

/// How long a hang-up may take to reach the registry.
const SETTLE: Duration = Duration::from_secs(10);
/// How long a load by hand that waits its turn behind others (each compiled) may take, on a
/// slow machine too: longer than the client's usual socket timeout.
const QUEUED_LOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// One loaded version as `guestList()` shows it.
#[derive(Clone, Debug, PartialEq)]
struct Version {
    name: String,
    version: i64,
    live_calls: i64,
    state: String,
    wit_version: String,
}

/// A version of `switchyard:call@0.4.0`.
fn version(name: &str, version: i64, live_calls: i64, state: &str) -> Version {
    Version {
        name: name.into(),
        version,
        live_calls,
        state: state.into(),
        wit_version: "0.4.0".into(),
    }
}

/// A version of the draft `switchyard:call@0.1.0`.
fn draft_version(name: &str, version_number: i64, live_calls: i64, state: &str) -> Version {
    Version {
        wit_version: "0.1.0".into(),
        ..version(name, version_number, live_calls, state)
    }
}

/// The embedded webconference guest, loaded beside every other guest and
/// idle in the tests of another.
fn idle_webconference() -> Version {
    version("webconference", 1, 0, "current")
}

/// `guestList()`, now; also checks every version's load time.
fn versions(server: &Server) -> Vec<Version> {
    let script = "for v in s.guestList():\n    \
                  print(v['name'], v['version'], v['live_calls'], v['state'], v['wit_version'], v['loaded_at'].value, v['file'])\n";
    python(server, script)
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert!(
                fields[5].len() == 17 && fields[5].as_bytes()[8] == b'T',
                "{line}"
            );
            Version {
                name: fields[0].into(),
                version: fields[1].parse().unwrap(),
                live_calls: fields[2].parse().unwrap(),
                state: fields[3].into(),
                wit_version: fields[4].into(),
            }
        })
        .collect()
}

/// Waits until `guestList()` is `expected`; panics with the last answer if it does not get there.
fn await_versions(server: &Server, expected: &[Version]) {
    server.await_value("guestList", &expected.to_vec(), SETTLE, || versions(server));
}

/// `guestList()` of `version` as the one version of its guest, beside
/// [`idle_webconference`].
fn beside_idle_webconference(version: Version) -> [Version; 2] {
    [version, idle_webconference()]
}

/// `guestLoad(name, path)` by hand: the number of the version loaded.
fn load(server: &Server, name: &str, path: &str) -> String {
    rpc(server, &format!("s.guestLoad({name:?}, {path:?})"))
}

/// Python defining `load(path)`, which loads `path` as guest `name` over a connection of its
/// own (so that threads may each call it) and returns the version's number. Each load may wait
/// for loads asked for ahead of it: it is given [`QUEUED_LOAD_TIMEOUT`].
fn queued_load_function(name: &str) -> String {
    format!(
        "socket.setdefaulttimeout({timeout})\n\
         def load(path):\n    \
             return xmlrpc.client.ServerProxy(sys.argv[1]).guestLoad({name:?}, path)\n",
        timeout = QUEUED_LOAD_TIMEOUT.as_secs()
    )
}

/// Python loading each of `paths` in turn as guest `name` (see [`queued_load_function`]),
/// printing each version's number on a line of its own.
fn queued_loads(name: &str, paths: &[&str]) -> String {
    let mut script = queued_load_function(name);
    for path in paths {
        script.push_str(&format!("print(load({path:?}))\n"));
    }
    script
}

/// How many times the server has logged `text`.
fn times_logged(server: &Server, text: &str) -> usize {
    server.log().matches(text).count()
}

/// How many loads have been asked for over XML-RPC.
fn loads_asked(server: &Server) -> usize {
    times_logged(server, "method=\"guestLoad\"")
}

/// The fault string of `guestLoad(name, path)`; panics if it succeeded.
fn load_fault(server: &Server, name: &str, path: &str) -> String {
    let script = format!(
        "try:\n    print('loaded', s.guestLoad({name:?}, {path:?}))\n\
         except xmlrpc.client.Fault as f:\n    print(f.faultCode, f.faultString)\n"
    );
    let answer = python(server, &script);
    assert!(
        !answer.starts_with("loaded"),
        "expected a refusal, got {answer}"
    );
    answer.trim_end().to_owned()
}

/// The file of the current version of `name`, as `guestList()` shows it.
fn current_file(server: &Server, name: &str) -> String {
    let script = format!(
        "print([v['file'] for v in s.guestList() if v['name'] == {name:?} and v['state'] == 'current'][0])\n"
    );
    python(server, &script).trim_end().to_owned()
}

/// `component` with a custom section appended: the same guest, but bytes no compile cache
/// has seen, so loading it compiles it.
fn uncached_copy(component: &str, to: &std::path::Path) {
    let mut bytes = std::fs::read(component).unwrap();
    let name = b"uncached";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let mut payload = std::process::id().to_le_bytes().to_vec();
    payload.extend_from_slice(&now.as_nanos().to_le_bytes());
    // Custom section: id 0, its size, then its name (length-prefixed) and payload.
    let size = 1 + name.len() + payload.len();
    bytes.extend_from_slice(&[0, u8::try_from(size).unwrap(), name.len() as u8]);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(&payload);
    std::fs::write(to, bytes).unwrap();
}

#[test]
fn the_embedded_version_can_be_loaded_again_as_the_way_back() {
    let server = Server::start();
    let component = test_guest_wasm("webconference");
    assert_eq!(load(&server, "webconference", &component), "2");
    assert_eq!(current_file(&server, "webconference"), component);
    assert_eq!(load(&server, "webconference", "(embedded)"), "3");
    assert_eq!(current_file(&server, "webconference"), "(embedded)");
    let call = Phone::call(server.sip, "000777123", "alice", &[]);
    await_versions(&server, &[version("webconference", 3, 1, "current")]);
    call.hang_up();
    let fault = load_fault(&server, "webconference", "/nonexistent/(embedded)");
    assert!(fault.starts_with("300 guestLoad: refused"), "{fault}");
}

#[test]
fn loads_asked_for_together_take_effect_in_the_order_asked() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow.wasm");
    uncached_copy(&test_guest_wasm("webconference"), &slow);
    let quick = test_guest_wasm("webconference");
    // The first compiles; the second, asked for once the first has reached the server,
    // is in the cache.
    let (first, second) = std::thread::scope(|scope| {
        let script = queued_loads("webconference", &[&slow.display().to_string()]);
        let server = &server;
        let first = scope.spawn(move || python(server, &script));
        server.await_value("the first load asked for", &1, SETTLE, || {
            loads_asked(server)
        });
        let second = python(server, &queued_loads("webconference", &[&quick]));
        (first.join().unwrap(), second)
    });
    assert_eq!(
        first.trim_end(),
        "2",
        "the first load asked for is version 2"
    );
    assert_eq!(
        second.trim_end(),
        "3",
        "the second load asked for is version 3"
    );
    assert_eq!(
        current_file(&server, "webconference"),
        quick,
        "the load asked for last is current"
    );
}

#[test]
fn a_watched_file_touched_or_rewritten_the_same_is_not_loaded_again() {
    let (_dir, file, server) = watching();
    let touch = |seconds: u64| {
        let later = std::time::SystemTime::now() + Duration::from_secs(seconds);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(later)
            .unwrap();
    };
    let passed_over = || times_logged(&server, "its content unchanged: not loaded");
    touch(10);
    server.await_value("touches passed over", &1, SETTLE, passed_over);
    std::fs::copy(test_guest_wasm("misbehave"), &file).unwrap();
    touch(20);
    server.await_value("same bytes passed over", &2, SETTLE, passed_over);
    assert_eq!(
        versions(&server),
        beside_idle_webconference(version("misbehave", 1, 0, "current"))
    );
    // Another version loaded by hand: touching the file is the way back to it.
    assert_eq!(load(&server, "misbehave", &test_guest_wasm("draft")), "2");
    touch(30);
    await_versions(
        &server,
        &beside_idle_webconference(version("misbehave", 3, 0, "current")),
    );
}

/// A server whose `misbehave` guest is watched at `file`, once its version 1, read from
/// `file`, is listed. `file` must hold the `misbehave` guest (or name a file that does).
fn start_watching(file: &std::path::Path) -> Server {
    let config = format!(
        "{}[routing]\nguest = \"misbehave\"\n[guests.misbehave]\nwasm = \"{}\"\nwatch = true\n",
        base_config(),
        file.display()
    );
    let server = Server::start_with(&config);
    await_versions(
        &server,
        &beside_idle_webconference(version("misbehave", 1, 0, "current")),
    );
    server
}

/// [`start_watching`] a copy of the `misbehave` guest, `guest.wasm` in a directory of its
/// own: the directory (removed when dropped), the file and the server.
fn watching() -> (tempfile::TempDir, std::path::PathBuf, Server) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("guest.wasm");
    std::fs::copy(test_guest_wasm("misbehave"), &file).unwrap();
    let server = start_watching(&file);
    (dir, file, server)
}

/// Copies `build` over the watched `file` and at once loads it by hand (well within the
/// watch's second), then loads each of `then`, as a deployment script does; the numbers of the
/// versions loaded. Each load may wait for loads asked for ahead of it (see
/// [`queued_load_function`]).
fn deploy(server: &Server, build: &str, file: &std::path::Path, then: &[&str]) -> String {
    let file = file.display().to_string();
    let loads: Vec<&str> = std::iter::once(file.as_str())
        .chain(then.iter().copied())
        .collect();
    let script = format!(
        "import shutil\n\
         shutil.copyfile({build:?}, {file:?})\n{}",
        queued_loads("misbehave", &loads)
    );
    python(server, &script).trim_end().replace('\n', " ")
}

/// Waits until the watch has passed over one look at a changed file, and checks that it
/// loaded none; `why` and the log are the message if it did.
fn await_watch_passed_over(server: &Server, why: &str) {
    server.await_value("the watch's look at the change", &1, SETTLE, || {
        times_logged(server, ": not loaded")
    });
    let log = server.log();
    assert!(
        !log.contains("watched file changed: loading it"),
        "{why}: {log}"
    );
}

#[test]
fn a_watched_file_loaded_by_hand_once_written_is_not_loaded_again() {
    let (dir, file, server) = watching();
    // Loads asked for ahead, each compiled: the load by hand waits its turn behind them (a
    // few seconds, longer than the watch takes to judge a change), and the watch takes the
    // change in meanwhile, while another version serves.
    let ahead: Vec<String> = (0..8)
        .map(|n| {
            let path = dir.path().join(format!("ahead-{n}.wasm"));
            uncached_copy(&test_guest_wasm("misbehave"), &path);
            path.display().to_string()
        })
        .collect();
    let queue = {
        let script = format!(
            "import threading\n{}\
             ahead = [threading.Thread(target=load, args=(path,)) for path in {ahead:?}]\n\
             for thread in ahead:\n    thread.start()\n\
             for thread in ahead:\n    thread.join({timeout})\n",
            queued_load_function("misbehave"),
            timeout = QUEUED_LOAD_TIMEOUT.as_secs()
        );
        let server = &server;
        std::thread::scope(|scope| {
            let queue = scope.spawn(move || python(server, &script));
            server.await_value("the loads asked for ahead", &ahead.len(), SETTLE, || {
                loads_asked(server)
            });
            // A new build written in place and loaded at once, as a deployment script does.
            let build = dir.path().join("build.wasm");
            uncached_copy(&test_guest_wasm("draft"), &build);
            let loaded = deploy(server, &build.display().to_string(), &file, &[]);
            queue.join().unwrap();
            loaded
        })
    };
    assert_eq!(queue, (ahead.len() + 2).to_string());
    // Passed over, whether the watch looks while a version loaded after the change serves or
    // once the file's own does, and with one line of what came of the look.
    await_watch_passed_over(&server, "not loaded by the watch");
    assert_eq!(
        versions(&server),
        beside_idle_webconference(draft_version(
            "misbehave",
            ahead.len() as i64 + 2,
            0,
            "current"
        ))
    );
}

#[test]
fn a_watched_file_loaded_by_hand_then_rolled_back_from_is_not_loaded() {
    let (_dir, file, server) = watching();
    // The new build fails its checks: the one before is loaded by hand from elsewhere.
    let before = test_guest_wasm("misbehave");
    assert_eq!(
        deploy(&server, &test_guest_wasm("draft"), &file, &[&before]),
        "2 3"
    );
    await_watch_passed_over(&server, "the way back stands");
    assert_eq!(
        versions(&server),
        beside_idle_webconference(version("misbehave", 3, 0, "current"))
    );
}

#[test]
fn a_watched_file_put_back_right_after_a_load_by_hand_is_loaded() {
    let (_dir, file, server) = watching();
    assert_eq!(deploy(&server, &test_guest_wasm("draft"), &file, &[]), "2");
    // Put back before the watch takes the change in: the file no longer holds what serves.
    std::fs::copy(test_guest_wasm("misbehave"), &file).unwrap();
    let loaded_once = beside_idle_webconference(version("misbehave", 3, 0, "current"));
    await_versions(&server, &loaded_once);
    std::thread::sleep(3 * Duration::from_secs(1));
    assert_eq!(versions(&server), loaded_once, "loaded once");
}

#[test]
fn a_watched_symlink_pointed_back_at_an_older_release_is_loaded() {
    let dir = tempfile::tempdir().unwrap();
    // Two releases, both written before either is deployed, as a deployment tool keeps them.
    let (a, b) = (dir.path().join("a.wasm"), dir.path().join("b.wasm"));
    std::fs::copy(test_guest_wasm("misbehave"), &a).unwrap();
    std::fs::copy(test_guest_wasm("draft"), &b).unwrap();
    let link = dir.path().join("guest.wasm");
    let point_at = |release: &std::path::Path| {
        let next = dir.path().join("next-link");
        std::os::unix::fs::symlink(release, &next).unwrap();
        std::fs::rename(&next, &link).unwrap();
    };
    point_at(&a);
    let server = start_watching(&link);
    point_at(&b);
    await_versions(
        &server,
        &beside_idle_webconference(draft_version("misbehave", 2, 0, "current")),
    );
    // The way back: the link pointed at the older release again.
    point_at(&a);
    await_versions(
        &server,
        &beside_idle_webconference(version("misbehave", 3, 0, "current")),
    );
}

#[test]
fn calls_stay_on_their_version_and_an_old_version_unloads_with_its_last_call() {
    let server = Server::start();
    let component = test_guest_wasm("webconference");
    await_versions(&server, &[version("webconference", 1, 0, "current")]);

    let first = Phone::call(server.sip, "000777123", "alice", &[]);
    await_versions(&server, &[version("webconference", 1, 1, "current")]);

    let loaded = load(&server, "webconference", &component);
    assert_eq!(loaded, "2");
    let second = Phone::call(server.sip, "000777123", "bob", &[]);
    await_versions(
        &server,
        &[
            version("webconference", 1, 1, "draining"),
            version("webconference", 2, 1, "current"),
        ],
    );
    let line = server
        .wait_for_log("guest{name=\"webconference\" version=2 call=", SETTLE)
        .unwrap_or_else(|e| panic!("the new call's guest lines name their version: {e}"));
    assert!(line.contains("new instance"), "{line}");

    first.hang_up();
    await_versions(&server, &[version("webconference", 2, 1, "current")]);

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"this is not WebAssembly").unwrap();
    let module = dir.path().join("module.wasm");
    // An empty core module: WebAssembly, but not a component.
    std::fs::write(&module, b"\0asm\x01\0\0\0").unwrap();
    for (path, why) in [
        (garbage.display().to_string(), "garbage"),
        (module.display().to_string(), "a core module"),
        (
            dir.path().join("missing.wasm").display().to_string(),
            "a missing file",
        ),
    ] {
        let fault = load_fault(&server, "webconference", &path);
        assert!(
            fault.starts_with("300 guestLoad: refused: guest webconference"),
            "{why}: a bad file is the caller's error: {fault}"
        );
    }
    let fault = load_fault(&server, "nosuch", &component);
    assert!(
        fault.contains("no guest named \"nosuch\" is loaded"),
        "{fault}"
    );

    let third = Phone::call(server.sip, "000777123", "carol", &[]);
    await_versions(&server, &[version("webconference", 2, 2, "current")]);
    second.hang_up();
    third.hang_up();
    await_versions(&server, &[version("webconference", 2, 0, "current")]);
}

#[test]
fn a_new_version_whose_check_refuses_the_config_table_is_refused() {
    // The draft guest checks nothing, so the table serves it; misbehave's check finds the
    // value of `config_problem` wrong.
    let draft = test_guest_wasm("draft");
    let server = Server::start_with(&format!(
        "{}[routing]\nguest = \"misbehave\"\n[guests.misbehave]\nwasm = {draft:?}\n\
         [guests.misbehave.config]\nconfig_problem = \"rooms.7.pin: not digits\"\n",
        base_config()
    ));
    let fault = load_fault(&server, "misbehave", &test_guest_wasm("misbehave"));
    assert_eq!(
        fault,
        "300 guestLoad: refused: guests.misbehave.config: rooms.7.pin: not digits"
    );
    assert_eq!(current_file(&server, "misbehave"), draft);
    let echo = rpc(&server, "s.echo(1)");
    assert!(echo.starts_with("[1, "), "the draft still serves: {echo}");
}

#[test]
fn a_path_that_is_no_regular_file_is_refused_at_once() {
    let server = Server::start_with(&misbehave_config());
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("guest.wasm");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let fifo = fifo.display().to_string();
    // Neither waits for a writer nor reads a device without end, holding up the next load.
    for path in [fifo.as_str(), "/dev/zero"] {
        assert_eq!(
            load_fault(&server, "misbehave", path),
            format!(
                "300 guestLoad: refused: guest misbehave: reading {path}: not a regular file \
                 (a FIFO, a device or a directory)"
            )
        );
    }
    let component = test_guest_wasm("misbehave");
    let loaded = load(&server, "misbehave", &component);
    assert_eq!(loaded, "2");
}

#[test]
fn a_new_version_may_target_another_wit_version_and_takes_control_requests() {
    let server = Server::start_with(&misbehave_config());
    let first = Phone::call(server.sip, "alone", "alice", &[]);
    let draft = test_guest_wasm("draft");
    let loaded = load(&server, "misbehave", &draft);
    assert_eq!(loaded, "2");
    // The draft guest echoes its arguments; misbehave does not.
    let echo = rpc(&server, "s.echo(1, 'two')");
    assert!(echo.starts_with("[1, 'two', 'Server: Switchyard"), "{echo}");
    let mut second = Phone::dial(server.sip, "100", "bob", &[]);
    assert_eq!(second.await_answer(), 200, "{}", server.log());
    await_versions(
        &server,
        &[
            version("misbehave", 1, 1, "draining"),
            draft_version("misbehave", 2, 1, "current"),
            idle_webconference(),
        ],
    );
    first.hang_up();
    await_versions(
        &server,
        &[
            draft_version("misbehave", 2, 1, "current"),
            idle_webconference(),
        ],
    );
    second.hang_up();
}

#[test]
fn a_trap_or_a_spin_in_one_version_leaves_the_calls_of_another_alone() {
    let server = Server::start_with(&misbehave_config());
    let component = test_guest_wasm("misbehave");
    let steady = Phone::call(server.sip, "alone", "steady", &[]);
    let loaded = load(&server, "misbehave", &component);
    assert_eq!(loaded, "2");
    let faulty = Phone::call(server.sip, "alone", "faulty", &[]);
    await_versions(
        &server,
        &[
            version("misbehave", 1, 1, "draining"),
            version("misbehave", 2, 1, "current"),
            idle_webconference(),
        ],
    );
    // Its guest panics on '3': the call on version 2 is hung up, the one on version 1 is not.
    faulty.send_dtmf('3');
    assert!(
        faulty.await_bye(SETTLE),
        "expected a BYE to the call whose guest panicked; log:\n{}",
        server.log()
    );
    await_versions(
        &server,
        &[
            version("misbehave", 1, 1, "draining"),
            version("misbehave", 2, 0, "current"),
            idle_webconference(),
        ],
    );
    assert_eq!(calls(&server), 1, "the call on version 1 stays up");
    // A new call spins in version 2 until its deadline: refused, the other untouched.
    let mut spinning = Phone::dial(server.sip, "spin", "spinner", &[]);
    assert_eq!(spinning.await_answer(), 500, "{}", server.log());
    assert!(!steady.await_bye(Duration::from_millis(500)));
    assert_eq!(calls(&server), 1, "the call on version 1 stays up");
    // Its hang-up reaches its guest, and the version goes with it.
    steady.hang_up();
    await_versions(
        &server,
        &[version("misbehave", 2, 0, "current"), idle_webconference()],
    );
}

#[test]
fn a_watched_file_that_changes_is_loaded_as_the_next_version() {
    let (dir, file, server) = watching();
    let next = dir.path().join("next.wasm");
    // Replaced by a rename, as deployment tools do.
    std::fs::copy(test_guest_wasm("draft"), &next).unwrap();
    std::fs::rename(&next, &file).unwrap();
    let draft_serving = beside_idle_webconference(draft_version("misbehave", 2, 0, "current"));
    await_versions(&server, &draft_serving);
    // A broken file is refused, and version 2 keeps serving.
    std::fs::write(&next, b"not a component").unwrap();
    std::fs::rename(&next, &file).unwrap();
    server
        .wait_for_log("guestLoad: refused", SETTLE)
        .unwrap_or_else(|e| panic!("expected the broken file refused: {e}"));
    assert_eq!(versions(&server), draft_serving);
    let echo = rpc(&server, "s.echo(1)");
    assert!(echo.starts_with("[1, 'Server: Switchyard"), "{echo}");
}

#[test]
fn a_call_placed_on_an_old_version_is_served_by_that_version() {
    use support::nway::{DEADLINE, await_listed, directory, nway_config, press};
    let invitee = support::phone::Listening::new();
    // Room 208's participants may invite (`X`).
    let room = "[guests.nway.config.rooms.208]\noptions = \"Xq1\"\n";
    let server = Server::start_with(&nway_config(&directory(&[("103", &invitee)]), room));
    let inviter = Phone::call(server.sip, "8208", "300", &[]);
    await_listed(&server, "208", &["300"]);
    let loaded = load(&server, "nway", &test_guest_wasm("nway"));
    assert_eq!(loaded, "2");
    press(&inviter, "0103#");
    assert!(invitee.invited_within(DEADLINE), "103 is called");
    // The invitee's flow reads the context version 1 wrote, and tells version 1's.
    await_versions(
        &server,
        &[
            version("nway", 1, 2, "draining"),
            version("nway", 2, 0, "current"),
            idle_webconference(),
        ],
    );
    inviter.hang_up();
}
