//! The command line: version, help, config checking, start-up errors, and
//! ending calls cleanly on SIGTERM/SIGINT.

mod support;

use std::process::{Command, Output};
use std::time::Duration;
use support::phone::Phone;
use support::server::{Server, base_config, binary};

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

fn run(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .output()
        .expect("running switchyard")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn config_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn version_and_help() {
    let version = run(&["--version"]);
    assert!(
        version.status.success(),
        "expected --version to exit 0, got {}: {}",
        version.status,
        text(&version.stderr)
    );
    assert_eq!(
        text(&version.stdout),
        format!("switchyard {}\n", env!("CARGO_PKG_VERSION")),
        "expected --version to print the package version"
    );
    let help = run(&["--help"]);
    assert!(
        help.status.success(),
        "expected --help to exit 0, got {}: {}",
        help.status,
        text(&help.stderr)
    );
    let help = text(&help.stdout);
    assert!(
        help.contains("check-config") && help.contains("--config <FILE>"),
        "expected --help to name check-config and --config <FILE>:\n{help}"
    );
}

#[test]
fn check_config_accepts_the_example_and_names_file_line_and_key_of_errors() {
    let example = format!(
        "{}/../../examples/switchyard.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let ok = run(&["check-config", &example]);
    assert!(
        ok.status.success(),
        "expected the example to pass check-config, got {}: {}",
        ok.status,
        text(&ok.stderr)
    );
    assert!(
        text(&ok.stdout).ends_with("switchyard.toml: OK\n"),
        "expected `…switchyard.toml: OK`, got: {}",
        text(&ok.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let broken = config_file(&dir, "[sip]\nlisten = \"127.0.0.1:5060\"\nadvertise = =\n");
    let out = run(&["check-config", &broken]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1 for a syntax error"
    );
    assert!(
        text(&out.stderr).starts_with(&format!("{broken}:3:")),
        "expected the error at {broken}:3, got: {}",
        text(&out.stderr)
    );

    let unknown = config_file(&dir, "[rtp]\nport_min = 10000\nport_maximum = 2\n");
    let out = run(&["check-config", &unknown]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1 for an unknown key"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("{unknown}:3:1: rtp.port_maximum: unknown field")),
        "expected `{unknown}:3:1: rtp.port_maximum: unknown field…`, got: {stderr}"
    );

    let wrong_type = config_file(&dir, "[control]\nlisten = 8090\n");
    let stderr = text(&run(&["check-config", &wrong_type]).stderr);
    assert_eq!(
        stderr,
        format!(
            "{wrong_type}:2:10: control.listen: invalid type: integer `8090`, \
             expected an address like 127.0.0.1:5060\n"
        ),
        "expected the address problem in words"
    );
}

#[test]
fn check_config_names_the_expected_value_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let port = config_file(&dir, "[rtp]\nport_min = 10000\nport_max = 70000\n");
    let out = run(&["check-config", &port]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1 for a port out of range"
    );
    assert_eq!(
        text(&out.stderr),
        format!(
            "{port}:3:12: rtp.port_max: invalid value: integer `70000`, \
             expected a port number, 1–65535\n"
        ),
        "expected the port problem in words, not as a Rust type"
    );
}

#[test]
fn start_up_with_a_bad_config_fails_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = config_file(&dir, "[rtp]\nport_min = 3000\nport_max = 2000\n");
    let out = Command::new(binary())
        .args(["--config", &bad])
        .output()
        .expect("running switchyard");
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected start-up to fail with exit 1"
    );
    assert_eq!(
        text(&out.stderr),
        format!("{bad}:3:1: rtp.port_max: must not be below rtp.port_min (3000)\n"),
        "expected only the located config error on stderr"
    );
}

#[test]
fn sigterm_hangs_up_every_call_with_bye_and_exits_0() {
    let mut server = Server::start();
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    server.signal("TERM");
    assert!(
        phone.await_bye(Duration::from_secs(10)),
        "expected a BYE to the call after SIGTERM; the log:\n{}",
        server.log()
    );
    let status = server.wait(Duration::from_secs(10));
    assert_eq!(
        status.code(),
        Some(0),
        "expected exit 0 after SIGTERM; the log:\n{}",
        server.log()
    );
    let ended = server
        .wait_for_log("call ended", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the call's end to be logged: {e}"));
    assert!(
        ended.contains("cause=LocalHangup"),
        "expected the call to end with cause=LocalHangup, got: {ended}"
    );
}

#[test]
fn sigint_without_calls_exits_0() {
    let mut server = Server::start_with(&base_config());
    server.signal("INT");
    assert_eq!(
        server.wait(Duration::from_secs(10)).code(),
        Some(0),
        "expected exit 0 after SIGINT; the log:\n{}",
        server.log()
    );
}
