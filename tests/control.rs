//! SEMS clients' XML-RPC against the real binary, with Python's stock
//! `xmlrpc.client` as the client.

mod support;

use std::process::Command;
use support::phone::Phone;
use support::server::Server;
use support::tools::require_python;

/// Runs a Python script with the control URL as its argument; returns what it printed.
fn python(script: &str, server: &Server) -> String {
    require_python();
    let url = format!("http://{}/RPC2", server.control);
    let output = Command::new("python3")
        .args(["-c", script, &url])
        .output()
        .expect("running python3");
    assert!(
        output.status.success(),
        "the Python client failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Calls `serverInfo` and `roomInfo` three ways (plain, dotted, `di`) and
/// prints what came back as Python literals, one per line.
const CLIENT: &str = r#"
import sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1])
print(repr(s.serverInfo()))
print(repr(s.roomInfo("123", "4711")))
print(repr(s.webconference.roomInfo("123", "4711")))
print(repr(s.di("webconference", "roomInfo", "123", "4711")))
print(repr(s.roomInfo("123", "wrong")))
try:
    s.roomInfo("123")
except xmlrpc.client.Fault as f:
    print(repr((f.faultCode, f.faultString)))
"#;

#[test]
fn server_info_and_room_info_answer_in_the_sems_shapes() {
    let server = Server::start();
    let phone = Phone::call(server.sip, "000777123", "alice", &["X-ParticipantID: p-42"]);
    let out = python(CLIENT, &server);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");

    // serverInfo: the info string, twice (once as the result, once appended).
    // As in SEMS, a call counts in the total once it is over: the call still
    // up is only active.
    let info =
        "'Server: Switchyard (0.1.0 (x86_64/linux)) calls: 1 active/0 total/0 connect/0 min'";
    assert_eq!(lines[0], format!("[{info}, {info}]"));

    // roomInfo: [0, "OK", [participant], info]; a participant has 6 fields and
    // status 3 (Connected). The same three ways.
    let expected = format!(
        "[0, 'OK', [['c1', '<sip:alice@127.0.0.1>', 3, 'direct access: entered', 0, 'p-42']], {info}]"
    );
    for line in &lines[1..4] {
        assert_eq!(*line, expected, "{out}");
    }
    // The room now has pin 4711 (taken from the first lookup): another is refused.
    assert_eq!(
        lines[4],
        format!("[1, 'wrong adminpin or inexisting room', [], {info}]")
    );
    // Wrong argument count: fault 300 with a message.
    assert_eq!(
        lines[5],
        "(300, 'roomInfo: expected at least 2 arguments, got 1')"
    );
    phone.hang_up();
}

#[test]
fn unknown_functions_and_interfaces_are_faults() {
    let server = Server::start();
    let out = python(
        r#"
import sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1])
for call in (lambda: s.noSuchFunction(), lambda: s.nway.roomInfo("1", "2"), lambda: s.di("webconference")):
    try:
        print(repr(call()))
    except xmlrpc.client.Fault as f:
        print(repr((f.faultCode, f.faultString)))
print(repr(s.calls()))
"#,
        &server,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "(504, 'unknown method name: noSuchFunction')",
        "{out}"
    );
    assert!(lines[1].starts_with("(500, "), "{out}");
    assert!(lines[2].starts_with("(400, "), "{out}");
    assert_eq!(lines[3], "0", "{out}");
}
