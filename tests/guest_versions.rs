//! Guests of each supported WIT version through the real binary, and the
//! compile cache across a restart.

mod support;

use support::phone::Phone;
use support::server::{Server, base_config, test_guest_wasm};
use support::xmlrpc::rpc;

#[test]
fn a_guest_of_the_draft_version_answers_calls_and_control_requests() {
    let config = format!(
        "{}[routing]\nguest = \"draft\"\n[guests.draft]\nwasm = \"{}\"\n",
        base_config(),
        test_guest_wasm("draft")
    );
    let server = Server::start_with(&config);
    assert!(
        server
            .log()
            .contains("guest draft: switchyard:call@0.1.0, "),
        "{}",
        server.log()
    );
    let mut phone = Phone::dial(server.sip, "100", "alice", &[]);
    assert_eq!(phone.await_answer(), 200, "{}", server.log());
    // The host appends its server info to what a function gets, as SEMS does.
    let echo = rpc(&server, "s.echo(1, 'two')");
    assert!(echo.starts_with("[1, 'two', 'Server: Switchyard"), "{echo}");
}

#[test]
fn a_guest_of_0_3_0_still_answers_calls() {
    let config = format!(
        "{}[routing]\nguest = \"probe\"\n[guests.probe]\nwasm = \"{}\"\n",
        base_config(),
        test_guest_wasm("wit03_probe")
    );
    let server = Server::start_with(&config);
    let log = server.log();
    assert!(
        log.contains("guest probe: switchyard:call@0.3.0, "),
        "{log}"
    );
    let mut phone = Phone::dial(server.sip, "probe", "alice", &[]);
    assert_eq!(phone.await_answer(), 200, "{}", server.log());
}

#[test]
fn a_restart_takes_the_guest_from_the_compile_cache() {
    let cache = tempfile::tempdir().unwrap();
    let config = format!(
        "{}[guest_cache]\ndir = \"{}\"\n",
        base_config(),
        cache.path().display()
    );
    let loaded = |server: &Server, how: &str| {
        let line = format!("guest webconference: switchyard:call@0.4.0, {how}");
        assert!(server.log().contains(&line), "{}", server.log());
    };
    loaded(&Server::start_with(&config), "compiled");
    loaded(&Server::start_with(&config), "taken from the compile cache");
}
