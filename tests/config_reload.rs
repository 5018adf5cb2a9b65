//! The configuration read again at SIGHUP, end to end: new routing rules take the
//! next call while a call up stays with its guest, a guest's new settings take the next
//! requests through a new version of it while a call up stays on the version it started
//! with, a file that does not load changes nothing (nor one that is no longer a regular
//! file: a pipe is not read again), and a changed key that applies only
//! at start is named as waiting for the next restart. `configReload()` (XML-RPC, and
//! `POST /api/v1/config/reload`) runs the same reload and answers what it did, or the
//! file's error; the metrics count each reload.

mod support;

use std::time::Duration;
use support::phone::Phone;
use support::prometheus::scrape;
use support::rest::rest_script;
use support::server::{Server, base_config, test_guest_wasm};
use support::webconference::wc;
use support::xmlrpc::{await_live_calls, python};

/// How long anything the tests wait for may take.
const DEADLINE: Duration = Duration::from_secs(10);
/// The rule sending calls to room numbers (`000777…`) to the `misbehave` guest
/// rather than to the webconference guest, which takes them without it.
const RULE: &str = "[[routing.rules]]\nguest = \"misbehave\"\nuri = \"^sip:000777\"\n";
/// The line of every reload's summary.
const RELOADED: &str = "configuration reloaded from";

/// [`base_config`] with the `misbehave` guest beside the webconference one, and `rules`.
fn config_with(rules: &str) -> String {
    format!(
        "{}[routing]\nguest = \"webconference\"\n{rules}[guests.misbehave]\nwasm = \"{}\"\n",
        base_config(),
        test_guest_wasm("misbehave")
    )
}

/// `config` with the value of its key `key` (the first line starting `key = `) set to
/// `value`.
fn with_value(config: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key} = ");
    let line = config
        .lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {key} in {config}"));
    config.replacen(line, &format!("{prefix}{value}"), 1)
}

/// How many lines of the log contain `needle`.
fn lines_with(server: &Server, needle: &str) -> usize {
    server
        .log()
        .lines()
        .filter(|line| line.contains(needle))
        .count()
}

/// Waits, at most [`DEADLINE`], until `count` lines of the log contain `needle`: the
/// server's log reaches [`Server::log`] through a thread of the test, a while after the
/// server wrote it.
fn await_lines(server: &Server, needle: &str, count: usize) {
    server.await_value(&format!("lines with {needle:?}"), &count, DEADLINE, || {
        lines_with(server, needle)
    });
}

/// Sends SIGHUP and waits, at most [`DEADLINE`], for the `count`th line containing
/// `needle`.
fn reload_until(server: &Server, needle: &str, count: usize) {
    server.signal("HUP");
    await_lines(server, needle, count);
}

#[test]
fn new_rules_route_the_next_call_and_keys_read_at_start_wait_for_a_restart() {
    let config = config_with(RULE);
    let server = Server::start_with(&config);
    let path = server.config_file();
    let up = Phone::call(server.sip, "000777123", "anna", &[]);
    await_live_calls(&server, &[("misbehave", 1), ("webconference", 0)], DEADLINE);

    let unrouted = config.replace(RULE, "");
    let unrouted = with_value(&unrouted, "listen", "\"127.0.0.1:5\"");
    let unrouted = with_value(&unrouted, "port_max", "65000");
    std::fs::write(&path, &unrouted).expect("writing the config");
    reload_until(&server, RELOADED, 1);
    let log = server.log();
    for expected in [
        "routing.rules: changed: applied",
        "sip.listen: changed: applies at the next restart; the running value is kept",
        "rtp.port_max: changed: applies at the next restart; the running value is kept",
        "applied: [routing]; 2 changed key(s) wait for the next restart",
    ] {
        assert!(
            log.contains(expected),
            "expected {expected:?} in the log:\n{log}"
        );
    }
    assert!(!log.contains("control.listen: changed"), "{log}");

    let next = Phone::call(server.sip, "000777123", "bert", &[]);
    await_live_calls(&server, &[("misbehave", 1), ("webconference", 1)], DEADLINE);
    assert!(
        !up.await_bye(Duration::from_millis(500)),
        "the call up before the reload stays up"
    );

    // Read again unchanged: only what still differs from what runs is named.
    reload_until(&server, RELOADED, 2);
    assert_eq!(lines_with(&server, "routing.rules: changed"), 1);
    assert_eq!(lines_with(&server, "sip.listen: changed"), 2);
    assert_eq!(
        lines_with(&server, "applied: none; 2 changed key(s) wait"),
        1,
        "{}",
        server.log()
    );

    up.hang_up();
    next.hang_up();
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 0)], DEADLINE);
}

#[test]
fn a_file_that_does_not_load_keeps_the_running_configuration() {
    let config = config_with(RULE);
    let server = Server::start_with(&config);
    let path = server.config_file();

    let unrouted = config.replace(RULE, "");
    let broken_line = unrouted.lines().count() + 1;
    std::fs::write(&path, format!("{unrouted}[sip\n")).expect("writing the config");
    reload_until(&server, "configuration not reloaded", 1);
    let located = format!("{}:{broken_line}:", path.display());
    let error = server
        .log()
        .lines()
        .find(|line| line.contains("ERROR"))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        error.contains(&located),
        "expected the error at {located}, got {error:?}; log:\n{}",
        server.log()
    );
    assert!(
        server
            .log()
            .contains("the running configuration is kept, unchanged")
    );
    assert_eq!(lines_with(&server, RELOADED), 0);

    let call = Phone::call(server.sip, "000777123", "carl", &[]);
    await_live_calls(&server, &[("misbehave", 1), ("webconference", 0)], DEADLINE);
    call.hang_up();
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 0)], DEADLINE);
}

#[test]
fn a_configuration_file_that_is_no_longer_a_regular_file_is_refused_unread() {
    let config = config_with(RULE);
    let server = Server::start_with(&config);
    let path = server.config_file();
    let refused = format!(
        "{}: not a regular file: a configuration read through a pipe cannot be read again; \
         restart to change it",
        path.display()
    );
    // As `--config <(…)` reads again, at the pipe's end: empty, the default configuration.
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/null", &path).unwrap();
    reload_until(&server, "configuration not reloaded", 1);
    // A FIFO no one writes would hold the reload for ever.
    std::fs::remove_file(&path).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo (coreutils)");
    assert!(made.success());
    reload_until(&server, "configuration not reloaded", 2);
    assert_eq!(lines_with(&server, &refused), 2, "{}", server.log());
    assert_eq!(lines_with(&server, RELOADED), 0);

    let fault = python(
        &server,
        "try:\n    s.configReload()\nexcept xmlrpc.client.Fault as f:\n    \
         print(f.faultCode, f.faultString)\n",
    );
    assert_eq!(fault, format!("422 {refused}\n"));
    let call = Phone::call(server.sip, "000777123", "dora", &[]);
    await_live_calls(&server, &[("misbehave", 1), ("webconference", 0)], DEADLINE);
    call.hang_up();
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 0)], DEADLINE);
}

#[test]
fn a_quieter_log_level_is_set_after_the_reload_that_sets_it_is_logged() {
    let config = config_with("");
    let server = Server::start_with(&config);
    let path = server.config_file();

    let quieter = with_value(&config, "level", "\"warn\"");
    let quieter = with_value(&quieter, "port_max", "65000");
    std::fs::write(&path, &quieter).expect("writing the config");
    reload_until(&server, RELOADED, 1);
    assert!(
        server.log().contains("log.level: changed: applied"),
        "{}",
        server.log()
    );

    // The warning of the key still waiting shows the second reload ran; its info lines are
    // no longer logged. The third reload's warning follows the second's summary, had it
    // been logged: once it is read, so would that be.
    reload_until(&server, "rtp.port_max: changed", 2);
    reload_until(&server, "rtp.port_max: changed", 3);
    assert_eq!(lines_with(&server, "SIGHUP: reading the configuration"), 1);
    assert_eq!(lines_with(&server, RELOADED), 1, "{}", server.log());
}

/// The webconference guest's versions as `guestList()` shows them: number, state, live calls.
fn webconference_versions(server: &Server) -> Vec<(i64, String, i64)> {
    python(
        server,
        "for v in s.guestList():\n    \
         if v['name'] == 'webconference': print(v['version'], v['state'], v['live_calls'])\n",
    )
    .lines()
    .map(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        let [version, state, live] = fields[..] else {
            panic!("version, state and live calls: {line:?}")
        };
        let count = |n: &str| n.parse().expect("a count");
        (count(version), state.to_owned(), count(live))
    })
    .collect()
}

/// Polls `guestList()` until the webconference guest's versions are `expected` (number,
/// state, live calls), at most [`DEADLINE`].
fn await_versions(server: &Server, expected: &[(i64, &str, i64)]) {
    let expected: Vec<_> = expected
        .iter()
        .map(|&(version, state, live)| (version, state.to_owned(), live))
        .collect();
    server.await_value("webconference versions", &expected, DEADLINE, || {
        webconference_versions(server)
    });
}

/// The status `listRooms(password)` answers with: 200 for the master password, else 407.
fn list_rooms_status(server: &Server, password: &str) -> String {
    let answer = wc(server, &format!("s.listRooms({password:?})"));
    answer
        .trim_start_matches('[')
        .split(',')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_guests_new_settings_load_as_a_version_and_a_table_it_refuses_changes_nothing() {
    let config = format!(
        "{}[guests.webconference.config]\nmaster_password = \"first\"\n",
        base_config()
    );
    let server = Server::start_with(&config);
    let path = server.config_file();
    let up = Phone::call(server.sip, "000777123", "anna", &[]);
    await_versions(&server, &[(1, "current", 1)]);
    assert_eq!(list_rooms_status(&server, "second"), "407");

    let changed = with_value(&config, "master_password", "\"second\"");
    std::fs::write(&path, &changed).expect("writing the config");
    reload_until(&server, RELOADED, 1);
    let log = server.log();
    for expected in [
        "guests.webconference.config.master_password: changed: applied",
        "guests.webconference: new settings loaded as version 2",
        "applied: [guests.webconference]; 0 changed key(s) wait for the next restart",
    ] {
        assert!(
            log.contains(expected),
            "expected {expected:?} in the log:\n{log}"
        );
    }
    assert_eq!(list_rooms_status(&server, "second"), "200");
    assert_eq!(list_rooms_status(&server, "first"), "407");
    await_versions(&server, &[(1, "draining", 1), (2, "current", 0)]);
    assert!(
        !up.await_bye(Duration::from_millis(500)),
        "the call up before the reload stays up"
    );

    // A table the guest's own check refuses (the file's checks pass it): the running
    // version and settings stay.
    let refused = format!("{changed}predefined_rooms = \"101\"\n");
    std::fs::write(&path, &refused).expect("writing the config");
    reload_until(&server, RELOADED, 2);
    let log = server.log();
    for expected in [
        "guestLoad: refused: guests.webconference.config: predefined_rooms: \"101\" is not \
         <room>:<pin>",
        "guests.webconference: new settings not loaded",
        "applied: none; 0 changed key(s) wait for the next restart",
    ] {
        assert!(
            log.contains(expected),
            "expected {expected:?} in the log:\n{log}"
        );
    }
    await_versions(&server, &[(1, "draining", 1), (2, "current", 0)]);
    assert_eq!(list_rooms_status(&server, "second"), "200");
    // Counted once the reload has logged its summary.
    server.await_value("guests refusing their settings", &1.0, DEADLINE, || {
        scrape(server.control).value("switchyard_config_guests_refusing_settings", "")
    });
    // What runs kept its entry: the next reload tries the table again.
    reload_until(&server, RELOADED, 3);
    assert_eq!(
        lines_with(&server, "guests.webconference: new settings not loaded"),
        2
    );

    up.hang_up();
    await_versions(&server, &[(2, "current", 0)]);
}

#[test]
fn a_routing_guest_that_runs_takes_the_next_calls_and_control_requests() {
    let config = config_with("");
    let server = Server::start_with(&config);
    let path = server.config_file();
    let up = Phone::call(server.sip, "000777123", "anna", &[]);
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 1)], DEADLINE);
    assert_eq!(
        list_rooms_status(&server, "x"),
        "407",
        "webconference's answer"
    );

    let rerouted = with_value(&config, "guest", "\"misbehave\"");
    std::fs::write(&path, &rerouted).expect("writing the config");
    reload_until(&server, RELOADED, 1);
    let log = server.log();
    for expected in [
        "routing.guest: changed: applied",
        "applied: [routing]; 0 changed key(s) wait for the next restart",
    ] {
        assert!(
            log.contains(expected),
            "expected {expected:?} in the log:\n{log}"
        );
    }
    let next = Phone::call(server.sip, "000777123", "bert", &[]);
    await_live_calls(&server, &[("misbehave", 1), ("webconference", 1)], DEADLINE);
    assert_eq!(list_rooms_status(&server, "x"), "0", "misbehave's answer");
    assert!(
        !up.await_bye(Duration::from_millis(500)),
        "the call up before the reload stays up"
    );

    up.hang_up();
    next.hang_up();
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 0)], DEADLINE);
}

/// `configReload()`'s report, one item a line: `file <path>`, `applied <section> …`,
/// `waiting <key>|<why>`, `guest <name> <version>`, `refused <name>|<message>`.
fn config_reload_report(server: &Server) -> String {
    python(
        server,
        "r = s.configReload()\n\
         print('file', r['file'])\n\
         print('applied', ' '.join(r['applied']))\n\
         for w in r['waiting']:\n    print('waiting', w['key'] + '|' + w['why'])\n\
         for g in r['guests']:\n    print('guest', g['name'], g['version'])\n\
         for f in r['refused']:\n    print('refused', f['name'] + '|' + f['message'])\n",
    )
}

#[test]
fn config_reload_answers_what_applied_what_loaded_and_what_waits_for_a_restart() {
    let config = config_with(RULE);
    let server = Server::start_with(&config);
    let path = server.config_file();
    let started = scrape(server.control);
    let start_time = "switchyard_config_last_reload_success_timestamp_seconds";

    let changed = with_value(&config.replace(RULE, ""), "port_max", "65000");
    let changed = format!("{changed}[guests.webconference.config]\nmaster_password = \"second\"\n");
    std::fs::write(&path, &changed).expect("writing the config");
    assert_eq!(
        config_reload_report(&server),
        format!(
            "file {}\n\
             applied [routing] [guests.webconference]\n\
             waiting rtp.port_max|\n\
             guest webconference 2\n",
            path.display()
        )
    );
    await_lines(&server, "configReload: reading the configuration again", 1);
    await_lines(&server, RELOADED, 1);
    assert_eq!(list_rooms_status(&server, "second"), "200", "applied");

    let scraped = scrape(server.control);
    for (name, labels, value) in [
        ("switchyard_config_reloads_total", "result=applied", 1.0),
        ("switchyard_config_reloads_total", "result=refused", 0.0),
        ("switchyard_config_last_reload_successful", "", 1.0),
        ("switchyard_config_keys_awaiting_restart", "", 1.0),
        ("switchyard_config_guests_refusing_settings", "", 0.0),
    ] {
        assert_eq!(scraped.value(name, labels), value, "{name}{{{labels}}}");
    }
    assert!(
        scraped.value(start_time, "") > started.value(start_time, ""),
        "the success's time, after the start's"
    );
}

#[test]
fn a_file_that_does_not_load_is_config_reloads_fault_at_its_line_and_counted_refused() {
    let config = config_with(RULE);
    let server = Server::start_with(&config);
    let path = server.config_file();
    let started = scrape(server.control);
    assert_eq!(
        started.value("switchyard_config_last_reload_successful", ""),
        1.0
    );

    let broken_line = config.lines().count() + 1;
    std::fs::write(&path, format!("{config}[sip\n")).expect("writing the config");
    let fault = python(
        &server,
        "try:\n    s.configReload()\nexcept xmlrpc.client.Fault as f:\n    \
         print(f.faultCode, f.faultString)\n",
    );
    let (code, message) = fault
        .trim_end()
        .split_once(' ')
        .unwrap_or_else(|| panic!("a fault, not {fault:?}"));
    assert_eq!(code, "422", "{fault}");
    let located = format!("{}:{broken_line}:", path.display());
    assert!(message.starts_with(&located), "{message:?} at {located}");
    let error = server
        .wait_for_log("ERROR", DEADLINE)
        .unwrap_or_else(|log| panic!("{log}"));
    assert!(
        error.ends_with(message.lines().next().unwrap_or_default()),
        "the log's error line {error:?} says {message:?}"
    );

    let problem = rest_script(
        &server,
        "status, kind, body = rest('POST', '/api/v1/config/reload')[:3]\n\
         print(status, kind, body['fault_code'])\n\
         print(body['detail'])\n",
    );
    assert_eq!(
        problem,
        format!("422 application/problem+json 422\n{message}\n")
    );

    let scraped = scrape(server.control);
    for (name, labels, value) in [
        ("switchyard_config_reloads_total", "result=applied", 0.0),
        ("switchyard_config_reloads_total", "result=refused", 2.0),
        ("switchyard_config_last_reload_successful", "", 0.0),
        ("switchyard_config_keys_awaiting_restart", "", 0.0),
    ] {
        assert_eq!(scraped.value(name, labels), value, "{name}{{{labels}}}");
    }
    let start_time = "switchyard_config_last_reload_success_timestamp_seconds";
    assert_eq!(
        scraped.value(start_time, ""),
        started.value(start_time, ""),
        "still the start's"
    );
    let call = Phone::call(server.sip, "000777123", "carl", &[]);
    await_live_calls(&server, &[("misbehave", 1), ("webconference", 0)], DEADLINE);
    call.hang_up();
    await_live_calls(&server, &[("misbehave", 0), ("webconference", 0)], DEADLINE);
}
