//! The live event stream against the real binary: a client following one
//! room sees a real call's join, talking and leave in order, and a client
//! that reconnects with the last id it saw gets every event after it; the
//! same events come over WebSocket.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::phone::Phone;
use support::server::{Server, misbehave_config};
use support::tools::{exit_within, output_within, python_with, require_python};
use support::webconference::{create_room, random_room, wc};

/// How long a follower follows at most.
const FOLLOW_SECONDS: u64 = 20;
/// How long a follower may take past [`FOLLOW_SECONDS`] to stop before it is
/// killed.
const FOLLOW_GRACE: Duration = Duration::from_secs(10);
/// How long a WebSocket reader may take to read a call's events to its `leave` before
/// it is killed (each read gives up after 10 s of its own).
const READER_DEADLINE: Duration = Duration::from_secs(30);

/// Follows `/api/v1/events` (argv: control address, query, Last-Event-ID or
/// "", the event kind to stop after, the seconds to follow at most): prints
/// "connected", then `id kind call data` per event (the data as JSON without
/// spaces), and stops after the first event of that kind, at the end of the
/// stream ("ended"), or when its time is up ("timed out").
const FOLLOW: &str = "import sys, json, socket, time, http.client\n\
    deadline = time.monotonic() + float(sys.argv[5])\n\
    connection = http.client.HTTPConnection(sys.argv[1], timeout=float(sys.argv[5]))\n\
    headers = {'Last-Event-ID': sys.argv[3]} if sys.argv[3] else {}\n\
    connection.request('GET', '/api/v1/events' + sys.argv[2], headers=headers)\n\
    stream = connection.sock\n\
    answer = connection.getresponse()\n\
    assert answer.status == 200 and answer.headers['Content-Type'] == 'text/event-stream', answer.status\n\
    print('connected', flush=True)\n\
    event = {}\n\
    try:\n\
    \x20   while True:\n\
    \x20       left = deadline - time.monotonic()\n\
    \x20       if left <= 0:\n\
    \x20           print('timed out', flush=True)\n\
    \x20           break\n\
    \x20       stream.settimeout(left)\n\
    \x20       raw = answer.readline()\n\
    \x20       if not raw:\n\
    \x20           print('ended', flush=True)\n\
    \x20           break\n\
    \x20       line = raw.decode().rstrip('\\r\\n')\n\
    \x20       if line.startswith(':'):\n\
    \x20           continue\n\
    \x20       if line:\n\
    \x20           name, _, value = line.partition(': ')\n\
    \x20           event[name] = value\n\
    \x20           continue\n\
    \x20       if not event:\n\
    \x20           continue\n\
    \x20       data = json.loads(event.get('data', '{}'))\n\
    \x20       print(event.get('id', '-'), event.get('event'), data.get('call', data.get('missed')), json.dumps(data, separators=(',', ':')), flush=True)\n\
    \x20       if event.get('event') == sys.argv[4]:\n\
    \x20           break\n\
    \x20       event = {}\n\
    except socket.timeout:\n\
    \x20   print('timed out', flush=True)\n";

/// One follower, started; its output lines are collected as they come.
struct Follower {
    lines: std::sync::mpsc::Receiver<String>,
    child: std::process::Child,
}

impl Follower {
    fn start(server: &Server, query: &str, last_id: &str, until: &str) -> Follower {
        require_python();
        let mut child = Command::new("python3")
            .args([
                "-c",
                FOLLOW,
                &server.control.to_string(),
                query,
                last_id,
                until,
                &FOLLOW_SECONDS.to_string(),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("running python3");
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        // Dropped on a failed start, it is killed.
        let follower = Follower { lines, child };
        let first = follower
            .lines
            .recv_timeout(Duration::from_secs(FOLLOW_SECONDS) + FOLLOW_GRACE)
            .ok();
        assert_eq!(
            first.as_deref(),
            Some("connected"),
            "the follower's first line; log:\n{}",
            server.log()
        );
        follower
    }

    /// Waits for the follower to stop on its own, at most its time to follow
    /// and a grace; kills it then.
    fn stop(&mut self) {
        let limit = Duration::from_secs(FOLLOW_SECONDS) + FOLLOW_GRACE;
        if exit_within(&mut self.child, limit).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Every line until it stops: `(id, kind, call)`.
    fn events(self) -> Vec<(String, String, String)> {
        self.events_with_data()
            .into_iter()
            .map(|(id, kind, call, _)| (id, kind, call))
            .collect()
    }

    /// Every line until it stops: `(id, kind, call, data)`.
    fn events_with_data(mut self) -> Vec<(String, String, String, serde_json::Value)> {
        self.stop();
        // The reader may still be passing on the last lines of the ended
        // child; it hangs up at the end of its output.
        std::iter::from_fn(|| self.lines.recv_timeout(FOLLOW_GRACE).ok())
            .map(|line| {
                let mut words = line.split(' ').map(str::to_owned);
                let mut word = || words.next().unwrap_or_default();
                let (id, kind, call) = (word(), word(), word());
                let data = serde_json::from_str(&word()).unwrap_or_default();
                (id, kind, call, data)
            })
            .collect()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn a_room_s_follower_sees_a_call_join_talk_and_leave_and_a_reconnect_loses_nothing() {
    let server = Server::start();
    let follower = Follower::start(&server, "?room=123", "", "leave");
    let first = Follower::start(&server, "?room=123", "", "join");
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    let joined = first.events();
    assert_eq!(joined.len(), 1, "{joined:?}");
    let (join_id, kind, call) = joined[0].clone();
    assert_eq!(kind, "join");
    phone.talk(700.0, Duration::from_secs(2));
    phone.hang_up();

    let seen = follower.events();
    let kinds: Vec<&str> = seen.iter().map(|(_, kind, _)| kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"join"), "{seen:?}");
    assert_eq!(kinds.last(), Some(&"leave"), "{seen:?}");
    let talked = kinds.iter().position(|k| *k == "talking");
    assert!(
        talked.is_some(),
        "a talking event between join and leave: {seen:?}"
    );
    assert!(
        seen.iter().all(|(_, _, c)| *c == call),
        "all of the one call: {seen:?}"
    );
    let ids: Vec<u64> = seen.iter().map(|(id, _, _)| id.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");

    // Reconnecting after the join: every event after it, as the first
    // follower saw them.
    let resumed = Follower::start(&server, "?room=123", &join_id, "leave").events();
    assert_eq!(resumed, seen[1..], "resumed after {join_id}");

    // An id the server no longer has: told so first.
    let lost = Follower::start(&server, "?room=123", "999999", "reset").events();
    assert_eq!(
        lost.first().map(|e| e.1.as_str()),
        Some("reset"),
        "{lost:?}"
    );
}

#[test]
fn a_call_s_rtp_figures_come_as_its_leg_ends() {
    let server = Server::start();
    let follower = Follower::start(&server, "", "", "quality");
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    phone.talk(700.0, Duration::from_secs(2));
    phone.hang_up();
    let seen = follower.events_with_data();
    let joined = seen.iter().find(|(_, kind, ..)| kind == "join");
    let quality = seen.iter().find(|(_, kind, ..)| kind == "quality");
    let (Some((_, _, call, _)), Some((_, _, of, data))) = (joined, quality) else {
        panic!("a join and a quality event: {seen:?}\n{}", server.log());
    };
    assert_eq!(of, call);
    // Told in the room the call was in.
    assert_eq!(data["room"], "123", "{data}");
    // Two seconds of 20 ms packets, over loopback: none lost.
    let received = data["received"].as_u64().unwrap_or_default();
    assert!((90..=110).contains(&received), "{data}");
    assert_eq!(data["lost"], 0, "{data}");
    assert!(data["jitter_ms"].as_f64().is_some(), "{data}");
    assert!(data.get("peer").is_some(), "{data}");
}

#[test]
fn the_last_call_s_figures_are_told_as_the_server_stops() {
    let mut server = Server::start();
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    phone.talk(700.0, Duration::from_secs(1));
    server.signal("TERM");
    assert!(phone.await_bye(Duration::from_secs(5)), "{}", server.log());
    assert!(server.wait(Duration::from_secs(10)).success());
    let log = server.log();
    assert!(
        log.lines()
            .any(|line| line.contains("leg ended") && line.contains(" call=c")),
        "{log}"
    );
}

#[test]
fn the_same_events_come_over_websocket() {
    let server = Server::start();
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    phone.talk(700.0, Duration::from_secs(1));
    phone.hang_up();
    let python = python_with("websocket-client", "1.9.2");
    let read = |path: &str| {
        let out = output_within(
            Command::new(&python).args([
                "-c",
                "import sys, json, websocket\n\
                 socket = websocket.create_connection('ws://' + sys.argv[1] + sys.argv[2], timeout=10)\n\
                 while True:\n\
                 \x20   message = json.loads(socket.recv())\n\
                 \x20   print(message['id'], message['event'], message['data'].get('call'))\n\
                 \x20   if message['event'] == 'leave':\n\
                 \x20       break\n\
                 socket.close()\n",
                &server.control.to_string(),
                path,
            ]),
            READER_DEADLINE,
            "the WebSocket reader",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let over_websocket = read("/api/v1/events/ws?room=123");
    let kinds: Vec<&str> = over_websocket
        .lines()
        .map(|line| line.split(' ').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(kinds.first(), Some(&"join"), "{over_websocket}");
    assert!(kinds.contains(&"talking"), "{over_websocket}");
    assert_eq!(kinds.last(), Some(&"leave"), "{over_websocket}");
    let first_id = over_websocket.split(' ').next().unwrap();
    let resumed = read(&format!("/api/v1/events/ws?room=123&after={first_id}"));
    let expected: Vec<&str> = over_websocket.lines().skip(1).collect();
    assert_eq!(resumed.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn a_guest_that_traps_is_a_guest_fault_event() {
    let server = Server::start_with(&misbehave_config());
    let follower = Follower::start(&server, "", "", "guest_fault");
    let mut phone = Phone::dial(server.sip, "panic", "eve", &[]);
    assert_eq!(
        phone.await_answer(),
        500,
        "a call its guest fails on is refused"
    );
    let seen = follower.events();
    let fault = seen.last().expect("an event");
    assert_eq!(fault.1, "guest_fault", "{seen:?}");
    assert!(fault.2.starts_with('c'), "the call it failed on: {seen:?}");
}

#[test]
fn a_participant_kicked_out_by_xml_rpc_leaves_as_kicked() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let follower = Follower::start(&server, &format!("?room={room}"), "", "leave");
    let joined = Follower::start(&server, &format!("?room={room}"), "", "join");
    let phone = Phone::call(server.sip, &format!("000777{room}"), "alice", &[]);
    let call = joined.events().pop().map(|(_, _, call)| call);
    let Some(call) = call else {
        panic!("a join event; log:\n{}", server.log());
    };
    assert_eq!(
        wc(&server, &format!("s.kickout({room:?}, {pin:?}, {call:?})")),
        "[0, 'OK']"
    );
    assert!(phone.await_bye(Duration::from_secs(5)), "{}", server.log());
    let seen = follower.events_with_data();
    let left = seen.iter().find(|(_, kind, ..)| kind == "leave");
    let Some((_, _, of, data)) = left else {
        panic!("a leave event: {seen:?}\n{}", server.log());
    };
    assert_eq!(of, &call);
    assert_eq!(data["reason"], "kicked", "{data}");
}
