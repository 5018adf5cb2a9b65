//! The rooms file (`rooms.state_file`) against the real binary: every room of
//! it comes back with its pin however low `rooms.max_empty` is, only its
//! owner may read it, an empty room expires when it would have without the
//! restart, a room that cannot come back stops the start, naming the file
//! and the entry, and leaves the file as it was, a second server given the
//! file a running one keeps refuses to start, and a change a control request
//! in flight at SIGTERM makes is in the file the server leaves.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;
use support::server::{Server, base_config, run_to_exit};
use support::webconference::{create_room, wc};

/// How long a stopping server may take to hang up and exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a start that is to fail may take to exit (it may compile its
/// guest first).
const FAILED_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How many rooms the file holds: more than the `rooms.max_empty` of the
/// restart.
const ROOMS: usize = 5;

fn config(state_file: &Path, max_empty: usize) -> String {
    format!(
        "{}[rooms]\nstate_file = {state_file:?}\nmax_empty = {max_empty}\n",
        base_config()
    )
}

/// The rooms the file lists.
fn rooms_in(file: &Path) -> Vec<String> {
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file).expect("the rooms file")).unwrap();
    kept["rooms"]
        .as_array()
        .expect("a list of rooms")
        .iter()
        .map(|room| room["room"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_room_comes_back_with_its_pin_past_max_empty_and_the_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rooms.json");
    let mut server = Server::start_with(&config(&file, 100));
    let rooms: Vec<(String, String)> = (0..ROOMS)
        .map(|n| {
            let room = format!("70{n}");
            let pin = create_room(&server, &room);
            (room, pin)
        })
        .collect();
    server.signal("TERM");
    assert_eq!(server.wait(EXIT_TIMEOUT).code(), Some(0));
    assert_eq!(rooms_in(&file).len(), ROOMS);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the file holds the pins");

    let server = Server::start_with(&config(&file, 2));
    for (room, pin) in &rooms {
        // A lookup of a room that does not exist would open it with the pin
        // given: a wrong pin refused shows the room came back.
        let wrong = wc(&server, &format!("s.roomInfo({room:?}, '000000')"));
        assert!(wrong.starts_with("[1, "), "a wrong pin for {room}: {wrong}");
        let info = wc(&server, &format!("s.roomInfo({room:?}, {pin:?})"));
        assert!(
            info.starts_with("[0, 'OK'"),
            "room {room} came back with its pin {pin}: {info}"
        );
    }
    // Well past the quarter second in which a change is written.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        rooms_in(&file),
        rooms
            .iter()
            .map(|(room, _)| room.clone())
            .collect::<Vec<_>>(),
        "the file still holds every room"
    );
}

#[test]
fn a_second_server_given_the_file_a_running_one_keeps_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rooms.json");
    let mut server = Server::start_with(&config(&file, 100));
    create_room(&server, "701");
    let config_file = dir.path().join("second.toml");
    std::fs::write(&config_file, config(&file, 100)).unwrap();
    let (status, stderr) = run_to_exit(&config_file, FAILED_START_TIMEOUT);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "expected the second start to fail:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "rooms.state_file: {}: another running process keeps this file (it holds the lock on {})",
            file.display(),
            dir.path().join(".rooms.json.lock").display()
        )),
        "{stderr}"
    );
    // The refused start took nothing from the first server's file.
    create_room(&server, "702");
    server.signal("TERM");
    assert_eq!(server.wait(EXIT_TIMEOUT).code(), Some(0));
    assert_eq!(rooms_in(&file), ["701", "702"]);
}

#[test]
fn a_predefined_room_keeps_an_admins_pin_across_restarts_until_the_config_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rooms.json");
    let with_pin = |pin: &str| {
        format!(
            "{}[guests.webconference.config]\npredefined_rooms = \"lobby:{pin}\"\n",
            config(&file, 100)
        )
    };
    let opens = |server: &Server, pin: &str| {
        wc(server, &format!("s.roomInfo('lobby', {pin:?})")).starts_with("[0, 'OK'")
    };
    let mut server = Server::start_with(&with_pin("1111"));
    assert!(opens(&server, "1111"), "the configured pin opens the room");
    assert_eq!(
        wc(&server, "s.changeRoomAdminpin('lobby', '1111', '9999')"),
        "[0, 'OK']"
    );
    server.signal("TERM");
    assert_eq!(server.wait(EXIT_TIMEOUT).code(), Some(0));

    let mut server = Server::start_with(&with_pin("1111"));
    assert!(
        !opens(&server, "1111") && opens(&server, "9999"),
        "the pin the admin gave is the room's after the restart"
    );
    server.signal("TERM");
    assert_eq!(server.wait(EXIT_TIMEOUT).code(), Some(0));

    let server = Server::start_with(&with_pin("2222"));
    assert!(
        !opens(&server, "9999") && opens(&server, "2222"),
        "a pin the config now gives the room replaces it"
    );
}

#[test]
fn a_room_that_cannot_come_back_stops_the_start_and_the_file_is_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rooms.json");
    let kept = format!(
        "{{\"rooms\":[{{\"room\":\"701\",\"meta\":{{\"adminpin\":\"1234\"}}}},\
         {{\"room\":\"{}\"}}]}}",
        "9".repeat(65)
    );
    std::fs::write(&file, &kept).unwrap();
    let config_file = dir.path().join("switchyard.toml");
    std::fs::write(&config_file, config(&file, 100)).unwrap();
    let (status, stderr) = run_to_exit(&config_file, FAILED_START_TIMEOUT);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "expected the start to fail:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "rooms.state_file: {}: rooms[1] (\"{}\") cannot be restored: ",
            file.display(),
            "9".repeat(65)
        )) && stderr.contains("correct or remove the entry"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), kept);
}

#[test]
fn a_restored_room_expires_when_it_would_have_without_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rooms.json");
    let unix_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // 801 was left empty long enough ago that 2 s remain; 802 was in use.
    let kept = format!(
        "{{\"rooms\":[{{\"room\":\"801\",\"expires_at\":{}}},{{\"room\":\"802\"}}]}}",
        unix_now + 2
    );
    std::fs::write(&file, kept).unwrap();
    let _server = Server::start_with(&config(&file, 100));
    let gone = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        rooms_in(&file) == ["802"]
    });
    assert!(gone, "801 expired: {:?}", rooms_in(&file));
    // 802 waits the whole delay (rooms.expire_delay_s, 7200 s) from the start.
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let expires_at = kept["rooms"][0]["expires_at"].as_u64().expect("an expiry");
    assert!(
        (unix_now + 7200..=unix_now + 7200 + 30).contains(&expires_at),
        "{expires_at} against {unix_now}"
    );
}

#[test]
fn a_room_a_control_request_in_flight_at_sigterm_creates_is_in_the_file_after_exit() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rooms.json");
    let mut server = Server::start_with(&config(&file, 100));
    let body = "<?xml version=\"1.0\"?><methodCall><methodName>roomCreate</methodName>\
                <params><param><value><string>707</string></value></param></params>\
                </methodCall>";
    let (first, last) = body.split_at(body.len() - 10);
    let mut request = std::net::TcpStream::connect(server.control).unwrap();
    request.set_read_timeout(Some(EXIT_TIMEOUT)).unwrap();
    write!(
        request,
        "POST /RPC2 HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\n\r\n{first}",
        server.control,
        body.len()
    )
    .unwrap();
    // The request is in flight, waiting for the rest of its body, when the signal comes.
    server.await_control_read(&request, EXIT_TIMEOUT);
    server.signal("TERM");
    server
        .wait_for_log("finishing requests in flight", EXIT_TIMEOUT)
        .unwrap();
    request.write_all(last.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = request.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains("<string>OK</string>"),
        "{answer}"
    );
    assert_eq!(server.wait(EXIT_TIMEOUT).code(), Some(0));
    assert_eq!(
        rooms_in(&file),
        ["707"],
        "the room the client was told of is kept:\n{}",
        server.log()
    );
}
