//! Stopping under load: SIGTERM with hundreds of calls up sends every call a
//! BYE, waits for the answers, and exits 0; `kill -9` at random moments leaves
//! the stats and feedback files and the recordings whole, the rooms come back
//! with their pins, and the RTP range is usable at once.

mod support;

use std::time::{Duration, Instant};
use support::load::{Load, rtp_range};
use support::phone::Phone;
use support::server::{Server, loopback_config};
use support::sipp::scenario;
use support::webconference::{create_room, random_room, wc};
use support::xmlrpc::{calls, rpc};

/// The calls up when the signal comes.
const CALLS: i64 = 300;

#[test]
fn sigterm_under_load_sends_every_call_a_bye_and_exits_0() {
    let (port_min, port_max) = rtp_range();
    let mut server = Server::start_with(&loopback_config("info", port_min, port_max));
    // Each caller waits (20 s at most) for the server's BYE and answers it.
    let wait_bye = scenario("uac_wait_bye.xml");
    let load = Load::start(
        &server,
        &[
            "-sf",
            &wait_bye,
            "-s",
            "000777123",
            "-key",
            "caller",
            "load",
        ],
        CALLS,
        150,
        Duration::from_secs(60),
    );
    load.await_up(&server, Duration::from_secs(30));
    let signalled = Instant::now();
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(15));
    eprintln!("exited {status} {:?} after SIGTERM", signalled.elapsed());
    assert!(
        status.success(),
        "expected exit 0 after SIGTERM under load, got {status}; log:\n{}",
        server.log()
    );
    // Every caller got its BYE: SIPp counts all its calls successful.
    load.finish(Duration::from_secs(30));
}

/// Calls up in each round of the kill test.
const KILL_CALLS: i64 = 60;
/// Rounds of load, kill -9 and restart.
const KILL_ROUNDS: usize = 3;

#[test]
fn kill_9_under_load_leaves_whole_files_and_rooms_with_their_pins_and_frees_the_ports() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats");
    let records = dir.path().join("records");
    let recordings = dir.path().join("recordings");
    for d in [&stats, &records, &recordings] {
        std::fs::create_dir(d).unwrap();
    }
    // Exactly the port pairs a round takes (SIPp's calls and the talker's), at
    // the top of the load tests' range, clear of those the SIGTERM test beside
    // this one takes from its bottom: a pair the killed server left held would
    // leave the next round a call short. (The kernel lets go of a killed
    // process's sockets within tens of milliseconds, well before the next
    // server takes calls.)
    let (_, top) = rtp_range();
    let pairs = u16::try_from(KILL_CALLS + 1).expect("a pair count");
    let (port_min, port_max) = (top + 1 - 2 * pairs, top);
    let config = format!(
        "{}[records]\nstats_dir = {stats:?}\n[recording]\ndir = {recordings:?}\n\
         [rooms]\nstate_file = {:?}\n\
         [guests.webconference]\nrecords_dir = {records:?}\n\
         [guests.webconference.config]\nfeedback_file = \"feedback.txt\"\n",
        loopback_config("info", port_min, port_max),
        dir.path().join("rooms.json"),
    );
    // The moments of the kills, from the clock: printed, so a failing run can
    // be told apart.
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    eprintln!("kill moments seeded with {seed}");
    let mut rooms: Vec<(String, String)> = Vec::new();
    for round in 0..KILL_ROUNDS {
        // Straight after the last kill: the same RTP range, at once.
        let mut server = Server::start_with(&config);
        for (room, pin) in &rooms {
            let info = wc(&server, &format!("s.roomInfo({room:?}, {pin:?})"));
            assert!(
                info.starts_with("[0, 'OK'"),
                "round {round}: room {room} came back with its pin {pin}: {info}"
            );
            let wrong = wc(&server, &format!("s.roomInfo({room:?}, '000000')"));
            assert!(
                wrong.starts_with("[1, "),
                "round {round}: a wrong pin for {room}: {wrong}"
            );
        }
        let room = random_room();
        let pin = create_room(&server, &room);
        rooms.push((room.clone(), pin.clone()));

        let target = format!("000777{room}");
        let load = Load::start(
            &server,
            &["-sn", "uac", "-s", &target, "-d", "60000"],
            KILL_CALLS,
            200,
            Duration::from_secs(90),
        );
        let talker = Phone::call(server.sip, &target, "talker", &[]);
        load.await_up(&server, Duration::from_secs(30));
        // Each of them on a port pair of its own.
        server.await_value(
            &format!("round {round}: calls up"),
            &(KILL_CALLS + 1),
            Duration::from_secs(30),
            || calls(&server),
        );
        let recording = format!("round-{round}.wav");
        rpc(
            &server,
            &format!("s.switchyard.startRecording({room:?}, {recording:?})"),
        );
        for opinion in 1..=5 {
            wc(
                &server,
                &format!("s.vqRoomFeedback({room:?}, {pin:?}, {opinion})"),
            );
        }
        // Talk for a random 1-3 s, then kill -9 mid-sentence.
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let talk = Duration::from_millis(1000 + u64::from(seed % 2000));
        talker.talk(700.0, talk);
        server.signal("KILL");
        let status = server.wait(Duration::from_secs(5));
        assert!(
            !status.success(),
            "round {round}: killed, not exited ({status})"
        );
        drop(load);

        // The files are whole.
        let counts = std::fs::read_to_string(stats.join("stats")).unwrap();
        let numbers: Vec<u64> = counts.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(
            numbers.len(),
            3,
            "round {round}: the stats file: {counts:?}"
        );
        let feedback = std::fs::read_to_string(records.join("feedback.txt")).unwrap();
        assert_eq!(
            feedback.lines().count(),
            5 * (round + 1),
            "round {round}: every feedback line, none cut: {feedback}"
        );
        assert!(
            feedback
                .lines()
                .all(|l| l.starts_with("RO ") && l.ends_with("|||")),
            "{feedback}"
        );
        let wav = hound::WavReader::open(recordings.join(&recording))
            .unwrap_or_else(|e| panic!("round {round}: the recording is readable: {e}"));
        let seconds = wav.duration() as f64 / f64::from(wav.spec().sample_rate);
        eprintln!("round {round}: killed after {talk:?} of talk; {seconds:.2} s recorded");
        assert!(
            seconds >= talk.as_secs_f64() - 1.0,
            "round {round}: the recording holds all but the last second ({seconds:.2} s of {talk:?})"
        );
        let samples: Vec<i16> = wav.into_samples().map(Result::unwrap).collect();
        assert!(
            samples.iter().any(|&s| s.unsigned_abs() > 1000),
            "round {round}: the recording holds the talker's tone"
        );
    }
    // The rooms of every round, after the last kill.
    let server = Server::start_with(&config);
    for (room, pin) in &rooms {
        let info = wc(&server, &format!("s.roomInfo({room:?}, {pin:?})"));
        assert!(
            info.starts_with("[0, 'OK'"),
            "room {room} with pin {pin}: {info}"
        );
    }
}
