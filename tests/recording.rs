//! Recording a room end to end: the misbehave guest's `record(room, name)` and
//! `stoprecord(room)` control functions start and stop `rooms.start-recording`
//! on room `ok`, a phone in the room talks, and the WAV file is read back.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};
use support::audio::power;
use support::phone::Phone;
use support::rest::rest_script;
use support::server::{Server, misbehave_config, run_to_exit};
use support::xmlrpc::{python, rpc};

const TONE: f64 = 1000.0;
const OTHER: f64 = 1700.0;
const DEADLINE: Duration = Duration::from_secs(10);
/// The rate of every room's mix (narrowband rooms).
const RATE: u32 = 8000;
/// How long a start that is to fail may take to exit (it may compile its guest first).
const FAILED_START_TIMEOUT: Duration = Duration::from_secs(60);

/// The misbehave guest's config with recordings in `dir`.
fn recording_config(dir: &Path) -> String {
    format!(
        "{}[recording]\ndir = {:?}\n",
        misbehave_config(),
        dir.display().to_string()
    )
}

/// Checks that `expression` answers `[0, 'OK', …]`.
fn assert_ok(server: &Server, expression: &str) {
    let answer = rpc(server, expression);
    assert!(answer.starts_with("[0, 'OK'"), "{expression}: {answer}");
}

/// The fault string of `expression`, or its answer when it succeeds.
fn outcome(server: &Server, expression: &str) -> String {
    python(
        server,
        &format!(
            "try:\n    print(repr({expression}))\n\
             except xmlrpc.client.Fault as fault:\n    print(fault.faultString)\n"
        ),
    )
    .trim_end()
    .to_owned()
}

/// The samples of a recording; panics unless it is a readable 16-bit mono WAV at the rooms' rate.
fn read(path: &Path) -> Vec<i16> {
    let mut reader = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("{} is not a readable WAV: {e}", path.display()));
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.bits_per_sample, spec.sample_rate),
        (1, 16, RATE),
        "16-bit mono at the room's rate"
    );
    reader
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("every sample the header covers is there")
}

/// Checks that the second of `samples` from sample `from` on holds the tone and not another.
fn assert_tone(samples: &[i16], from: usize) {
    let second = &samples[from..from + RATE as usize];
    let (tone, other) = (power(second, TONE), power(second, OTHER));
    assert!(
        tone > 0.01 && other < tone / 100.0,
        "expected the {TONE} Hz tone: {tone:.2e} against {other:.2e} at {OTHER} Hz"
    );
}

#[test]
fn a_recording_holds_what_the_room_heard() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&recording_config(dir.path()));
    // Any Request-URI user the misbehave guest does not treat specially joins room `ok`.
    let phone = Phone::call(server.sip, "conference", "rita", &[]);
    let asked = Instant::now();
    assert_ok(&server, "s.record('ok', 'meeting')");
    phone.talk(TONE, Duration::from_secs(2));
    for (expression, refusal) in [
        ("s.record('ok', 'again')", "being recorded already"),
        ("s.record('nowhere', 'x')", "NoSuchRoom"),
        ("s.record('ok', '../escape')", "InvalidArgument"),
    ] {
        let answer = outcome(&server, expression);
        assert!(answer.contains(refusal), "{expression}: {answer}");
    }
    assert_ok(&server, "s.stoprecord('ok')");
    // The recording lasts from the start request to the stop request, at most.
    let most = asked.elapsed().as_secs_f64();
    let stop_again = outcome(&server, "s.stoprecord('ok')");
    assert!(stop_again.contains("not being recorded"), "{stop_again}");
    let again = outcome(&server, "s.record('ok', 'meeting.wav')");
    assert!(again.contains("exists already"), "{again}");
    server.wait_for_log("recording complete", DEADLINE).unwrap();
    phone.hang_up();

    let samples = read(&dir.path().join("meeting.wav"));
    let seconds = samples.len() as f64 / f64::from(RATE);
    assert!(
        (2.0..=most).contains(&seconds),
        "expected the 2 s talked and the requests after, at most the {most:.2} s between \
         starting and stopping: {seconds:.2} s"
    );
    // Within the talk, which began as the recording did.
    assert_tone(&samples, RATE as usize / 4);
    assert!(
        !dir.path().join("again.wav").exists() && !dir.path().join("x.wav").exists(),
        "a refused recording leaves no file"
    );
}

#[test]
fn a_server_killed_mid_recording_leaves_a_playable_file_up_to_the_last_second() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(&recording_config(dir.path()));
    let phone = Phone::call(server.sip, "conference", "kurt", &[]);
    assert_ok(&server, "s.record('ok', 'crash')");
    let started = Instant::now();
    let path = dir.path().join("crash.wav");
    let talked = std::sync::atomic::AtomicBool::new(false);
    let updates = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| header_updates(&path, &talked));
        phone.talk(TONE, Duration::from_secs(3));
        talked.store(true, std::sync::atomic::Ordering::Relaxed);
        watcher.join().expect("the header watcher")
    });
    let elapsed = started.elapsed();
    server.signal("KILL");
    server.wait(DEADLINE);

    let samples = read(&path);
    let kept = Duration::from_secs_f64(samples.len() as f64 / f64::from(RATE));
    let gaps = gaps_between(&updates);
    let syncing = longest_sync(&gaps);
    eprintln!(
        "{kept:?} of audio kept out of {elapsed:?} recorded; {syncing:?} in the longest sync; \
         header updated at {:?} into the recording",
        updates.iter().map(|at| *at - started).collect::<Vec<_>>()
    );
    // README: the header is brought up to date twice a second; a crash keeps all but about
    // the last second, and the frames still waiting for a slow disk, i.e. queued while the
    // writer was syncing. The median gap holds the writer to its interval, whatever one
    // slow sync took.
    let median = median(&gaps);
    assert!(
        median <= CHECKPOINT_INTERVAL + Duration::from_millis(200),
        "the header was brought up to date every {median:?} (median of {gaps:?})"
    );
    assert!(
        kept + Duration::from_secs(1) + syncing >= elapsed,
        "{kept:?} of audio kept out of {elapsed:?} recorded, {syncing:?} of it spent syncing"
    );
    assert_tone(&samples, samples.len() - RATE as usize);
}

/// How often the writer brings a recording's header up to date when its disk keeps up
/// (the writer's checkpoint interval, twice a second as README says).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// When the data size in the header of the WAV file at `path` changed, polled every 5 ms
/// until `done`: each time the writer checkpointed.
fn header_updates(path: &Path, done: &std::sync::atomic::AtomicBool) -> Vec<Instant> {
    let mut updates = Vec::new();
    let mut last = None;
    while !done.load(std::sync::atomic::Ordering::Relaxed) {
        let size = std::fs::read(path)
            .ok()
            .and_then(|bytes| Some(u32::from_le_bytes(bytes.get(40..44)?.try_into().ok()?)));
        if size.is_some() && size != last {
            updates.push(Instant::now());
            last = size;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    updates
}

/// The gaps between consecutive header updates seen (none before the first or after the
/// last: those are not checkpoints the watcher saw whole).
fn gaps_between(updates: &[Instant]) -> Vec<Duration> {
    updates.windows(2).map(|pair| pair[1] - pair[0]).collect()
}

/// How much longer than [`CHECKPOINT_INTERVAL`] the longest of `gaps` lasted: the time the
/// writer spent in its slowest sync (its interval restarts after each), during which frames
/// wait in its queue and the header falls behind.
fn longest_sync(gaps: &[Duration]) -> Duration {
    gaps.iter()
        .map(|gap| gap.saturating_sub(CHECKPOINT_INTERVAL))
        .max()
        .unwrap_or_default()
}

/// The median of `gaps` (zero when there are none).
fn median(gaps: &[Duration]) -> Duration {
    let mut sorted = gaps.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

#[test]
fn one_call_into_a_guest_starts_at_most_4_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&recording_config(dir.path()));
    // 1,000 starts of a recording of room `flood`, each to a file of its own and stopped at
    // once, in one call into the guest.
    assert_ok(&server, "s.recordings()");
    server
        .wait_for_log("flood-3.wav}", DEADLINE)
        .unwrap_or_else(|e| panic!("{e}: {}", server.log()));
    // Time for the writers of any later start to say they ended.
    std::thread::sleep(Duration::from_millis(500));
    let log = server.log();
    let started = (0..1000)
        .filter(|n| log.contains(&format!("flood-{n}.wav")))
        .count();
    assert_eq!(started, 4, "the host started {started} recordings");
}

#[test]
fn without_a_recording_directory_recording_is_refused() {
    let server = Server::start_with(&misbehave_config());
    let _phone = Phone::call(server.sip, "conference", "nora", &[]);
    let answer = outcome(&server, "s.record('ok', 'meeting')");
    assert!(
        answer.contains("WrongState") && answer.contains("[recording] dir"),
        "{answer}"
    );
}

#[test]
fn a_recording_running_at_shutdown_is_completed_before_the_process_exits() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(&recording_config(dir.path()));
    let phone = Phone::call(server.sip, "conference", "rita", &[]);
    assert_ok(&server, "s.record('ok', 'cut')");
    phone.talk(TONE, Duration::from_secs(1));
    server.signal("TERM");
    assert_eq!(server.wait(DEADLINE).code(), Some(0), "{}", server.log());
    assert!(
        server.log().contains("recording complete"),
        "{}",
        server.log()
    );
    // Its header names every sample written: a file completed, not one a crash left.
    let path = dir.path().join("cut.wav");
    let bytes = std::fs::read(&path).unwrap();
    let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff + 8, bytes.len(), "the RIFF size is the file's");
    let samples = read(&path);
    assert!(samples.len() >= RATE as usize, "{} samples", samples.len());
    drop(phone);
}

#[test]
fn a_recording_with_tracks_holds_each_caller_alone_beside_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&recording_config(dir.path()));
    let rita = Phone::call(server.sip, "conference", "rita", &[]);
    let kurt = Phone::call(server.sip, "conference", "kurt", &[]);
    let started = rest_script(
        &server,
        "print(rest('POST', '/api/v1/rooms/ok/recording', {'name': 'talks', 'tracks': 'yes'})[0])\n\
         print(rest('POST', '/api/v1/rooms/ok/recording', {'name': 'talks', 'tracks': True})[::2])\n\
         for p in s.switchyard.room('ok')['participants']:\n\
         \x20   print(p['call'], p['number'])\n",
    );
    let mut lines = started.lines();
    assert_eq!(lines.next(), Some("400"), "a flag that is no boolean");
    assert_eq!(lines.next(), Some("(200, True)"), "{started}");
    let calls: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(' ')).collect();
    let call_of = |name: &str| {
        let found = calls.iter().find(|c| c.1.contains(name));
        found
            .map(|c| c.0)
            .unwrap_or_else(|| panic!("{name} in {started}"))
    };
    std::thread::scope(|scope| {
        scope.spawn(|| rita.talk(TONE, Duration::from_secs(2)));
        scope.spawn(|| kurt.talk(OTHER, Duration::from_secs(2)));
    });
    let stopped = rest_script(
        &server,
        "print(rest('DELETE', '/api/v1/rooms/ok/recording')[::2])\n",
    );
    assert_eq!(stopped.trim(), "(200, True)");
    server.wait_for_log("recording complete", DEADLINE).unwrap();

    let mix = read(&dir.path().join("talks.wav"));
    for (name, own, other) in [("rita", TONE, OTHER), ("kurt", OTHER, TONE)] {
        let file = format!("talks-{}.wav", call_of(name));
        let track = read(&dir.path().join(&file));
        assert_eq!(track.len(), mix.len(), "{file}: as long as the mix");
        let talked = &track[RATE as usize / 4..RATE as usize * 7 / 4];
        let (heard, leaked) = (power(talked, own), power(talked, other));
        assert!(
            heard > 0.01 && leaked < heard / 100.0,
            "{file}: {own} Hz at {heard:.2e}, {other} Hz at {leaked:.2e}"
        );
    }
    let talked = &mix[RATE as usize / 4..RATE as usize * 7 / 4];
    assert!(
        power(talked, TONE) > 0.01 && power(talked, OTHER) > 0.01,
        "both in the mix"
    );
    drop((rita, kurt));
}

#[test]
fn a_second_server_given_the_recording_dir_a_running_one_keeps_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = dir.path().join("recordings");
    std::fs::create_dir(&recordings).unwrap();
    let mut server = Server::start_with(&recording_config(&recordings));
    // What the first server leaves while it creates a recording, which a start that went on
    // would remove as a crash's leftover.
    let being_created = recordings.join(".room.wav.new");
    std::fs::write(&being_created, "").unwrap();
    let config_file = dir.path().join("second.toml");
    std::fs::write(&config_file, recording_config(&recordings)).unwrap();
    let (status, stderr) = run_to_exit(&config_file, FAILED_START_TIMEOUT);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "expected the second start to fail:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "recording.dir: {}: another running process keeps this directory (it holds the \
             lock on {})",
            recordings.display(),
            recordings.join(".lock").display()
        )),
        "{stderr}"
    );
    assert!(
        being_created.exists(),
        "the refused start took nothing from the first server's directory"
    );
    server.signal("TERM");
    assert_eq!(server.wait(DEADLINE).code(), Some(0));
}
