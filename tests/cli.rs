//! The command line: version, help, config checking, start-up errors, and
//! ending calls cleanly on SIGTERM/SIGINT.

mod support;

use std::process::{Command, Output};
use std::time::Duration;
use support::phone::Phone;
use support::server::{Server, base_config, binary};

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
    assert!(version.status.success());
    assert_eq!(
        text(&version.stdout),
        format!("switchyard {}\n", env!("CARGO_PKG_VERSION"))
    );
    let help = run(&["--help"]);
    assert!(help.status.success());
    let help = text(&help.stdout);
    assert!(
        help.contains("check-config") && help.contains("--config <FILE>"),
        "{help}"
    );
}

#[test]
fn check_config_accepts_the_example_and_names_file_line_and_key_of_errors() {
    let example = format!(
        "{}/../../examples/switchyard.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let ok = run(&["check-config", &example]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).ends_with("switchyard.toml: OK\n"));

    let dir = tempfile::tempdir().unwrap();
    let broken = config_file(&dir, "[sip]\nlisten = \"127.0.0.1:5060\"\nadvertise = =\n");
    let out = run(&["check-config", &broken]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(&format!("{broken}:3:")),
        "{}",
        text(&out.stderr)
    );

    let unknown = config_file(&dir, "[rtp]\nport_min = 10000\nport_maximum = 2\n");
    let out = run(&["check-config", &unknown]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("{unknown}:3:1: rtp.port_maximum: unknown field")),
        "{stderr}"
    );

    let wrong_type = config_file(&dir, "[control]\nlisten = 8090\n");
    let stderr = text(&run(&["check-config", &wrong_type]).stderr);
    assert!(
        stderr.starts_with(&format!("{wrong_type}:2:10: control.listen: ")),
        "{stderr}"
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
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("{bad}:3:1: rtp.port_max: must not be below rtp.port_min (3000)\n")
    );
}

#[test]
fn sigterm_hangs_up_every_call_with_bye_and_exits_0() {
    let mut server = Server::start();
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    server.signal("TERM");
    assert!(
        phone.await_bye(Duration::from_secs(10)),
        "no BYE:\n{}",
        server.log()
    );
    let status = server.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", server.log());
    assert!(
        server.log().contains("cause=LocalHangup"),
        "{}",
        server.log()
    );
}

#[test]
fn sigint_without_calls_exits_0() {
    let mut server = Server::start_with(&base_config());
    server.signal("INT");
    assert_eq!(
        server.wait(Duration::from_secs(10)).code(),
        Some(0),
        "{}",
        server.log()
    );
}
