//! The web console end to end in headless Chromium (driven by
//! playwright-core): a real call appears with its talking indicator lit,
//! the page's Mute silences it for the others in its room (checked by
//! audio) and Kick hangs it up, a recording made from the page downloads
//! whole, and a screenshot of the page is saved and checked. Bursts of
//! events, kept from before the page opened or live, cost the server a few
//! REST requests, not some per event. A refused event stream or a busy room
//! is said with the server's detail, until it is over, and the room stays
//! shown; a room named with markup is shown as text. With a token, the page
//! plays and downloads a recording, says why when a download fails, and lets
//! go of a recording fetched for a player it forgot meanwhile.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::audio::{power, tone};
use support::phone::Phone;
use support::server::{Server, base_config};
use support::tools::{node_with, require_chromium};

/// The most the caller talks while the page is driven.
const MOST_TALK: usize = 120;

/// How long node may take to drive the page through before it is killed: the caller
/// talks for a minute at most, and the page is done well within it.
const NODE_DEADLINE: Duration = Duration::from_secs(120);

/// The events of a burst `tests/console/drive.js` sets off: 100 mutes, 100 unmutes.
const BURST_EVENTS: usize = 200;

/// A room name that would run script if the page took it as HTML: dialled escaped
/// (RFC 3261 §19.1.4).
const HOSTILE_ROOM: &str = "000777%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E";

/// The most REST requests the page may make over a burst and the 2 s after it: a refresh
/// (4 requests) every half second at most, with room to spare, where one per event would
/// be 4 per event.
const MOST_REQUESTS: usize = BURST_EVENTS / 4;

#[test]
fn the_console_shows_a_talking_caller_and_its_buttons_act_on_the_call() {
    let chromium = require_chromium();
    let modules = node_with("playwright-core", "1.65.1");
    let dir = tempfile::tempdir().unwrap();
    let recordings = dir.path().join("recordings");
    std::fs::create_dir(&recordings).unwrap();
    let config = format!(
        "{}[recording]\ndir = \"{}\"\n",
        base_config(),
        recordings.display()
    );
    let server = Server::start_with(&config);
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    let listener = Phone::call(server.sip, "000777123", "bob", &[]);
    let _hostile = Phone::call(server.sip, HOSTILE_ROOM, "eve", &[]);
    let screenshot = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/console-screenshot.png");
    let downloads = dir.path().join("downloads");
    std::fs::create_dir(&downloads).unwrap();
    let stop = AtomicBool::new(false);

    let driven = std::thread::scope(|scope| {
        scope.spawn(|| {
            // The caller talks until the page is done (at most a minute).
            for _ in 0..MOST_TALK {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                phone.talk(700.0, Duration::from_millis(500));
            }
        });
        let heard = listener.talk(0.0, Duration::from_millis(1500));
        let level = power(&heard[heard.len() - 4_000..], 700.0);
        assert!(
            level > 0.01,
            "bob hears alice before the page mutes her: {level:.2e}"
        );
        let mut child = Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/console/drive.js"
            ))
            .arg(format!("http://{}/", server.control))
            .arg(&chromium)
            .arg(&screenshot)
            .arg(&downloads)
            .env("NODE_PATH", &modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running node");
        let mut input = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let errors = scope.spawn(move || {
            let mut errors = String::new();
            let _ = stderr.read_to_string(&mut errors);
            errors
        });
        // A watchdog kills node unless its output ends by NODE_DEADLINE (which ends the
        // reading below), or when a check fails on the way.
        let node = Arc::new(Mutex::new(child));
        let (finished, watched) = mpsc::channel::<()>();
        let watchdog = scope.spawn({
            let node = Arc::clone(&node);
            move || {
                let outcome = watched.recv_timeout(NODE_DEADLINE);
                if outcome.is_err() {
                    let _ = node.lock().unwrap().kill();
                }
                outcome == Err(RecvTimeoutError::Timeout)
            }
        });
        let mut steps = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            steps.push_str(&line);
            steps.push('\n');
            if line == "muted" {
                // Muted from the page: the room no longer hears the caller.
                let heard = listener.talk(0.0, Duration::from_millis(1500));
                let level = power(&heard[heard.len() - 4_000..], 700.0);
                assert!(level < 0.001, "bob hears muted alice at {level:.2e}");
                writeln!(input, "go").unwrap();
            }
        }
        let _ = finished.send(());
        let overran = watchdog.join().unwrap();
        let status = node.lock().unwrap().wait().expect("node ran");
        stop.store(true, Ordering::Relaxed);
        (status, overran, steps, errors.join().unwrap())
    });
    let (status, overran, steps, errors) = driven;
    assert!(
        !overran,
        "node still drove the page after {NODE_DEADLINE:?} and was killed: {steps}\n{errors}\n\
         server log:\n{}",
        server.log()
    );
    assert!(
        status.success(),
        "the page was not driven through: {steps}\n{errors}\nserver log:\n{}",
        server.log()
    );
    let lines: Vec<&str> = steps.lines().collect();
    assert_eq!(lines.len(), 11, "{steps}");
    assert_eq!(
        lines[..2],
        ["events refused events: no events now", "events resumed"],
        "{steps}"
    );
    assert!(lines[2].starts_with("talking c"), "{steps}");
    for (line, burst) in [
        (lines[3], "requests on open "),
        (lines[4], "requests for a burst "),
    ] {
        let requests: usize = line
            .strip_prefix(burst)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{burst}<n>: {steps}"));
        assert!(
            requests <= MOST_REQUESTS,
            "{requests} REST requests for {BURST_EVENTS} events: {steps}"
        );
    }
    assert_eq!(
        lines[5..],
        [
            "screenshot",
            "hostile shown as text",
            "busy kept too busy for room 123",
            "muted",
            "downloaded console.wav",
            "kicked"
        ]
    );

    assert!(
        phone.await_bye(Duration::from_secs(10)),
        "Kick on the page hung the caller up"
    );
    let recorded = std::fs::read(recordings.join("console.wav")).unwrap();
    let downloaded = std::fs::read(downloads.join("console.wav")).unwrap();
    assert!(
        recorded.len() > 8_000,
        "a recording of the call: {} bytes",
        recorded.len()
    );
    assert!(
        downloaded == recorded,
        "the download is the whole recording"
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is a PNG"
    );
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert!(
        width >= 800 && png.len() > 10_000,
        "a full page: {width} px, {} bytes",
        png.len()
    );
}

#[test]
fn the_console_with_a_token_plays_and_downloads_recordings_and_says_why_it_cannot() {
    let chromium = require_chromium();
    let modules = node_with("playwright-core", "1.65.1");
    let dir = tempfile::tempdir().unwrap();
    let recordings = dir.path().join("recordings");
    std::fs::create_dir(&recordings).unwrap();
    let recording = recordings.join("tone.wav");
    write_tone(&recording, 8_000, 2);
    const TOKEN: &str = "a-console-token-of-24ch";
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let config = base_config().replace(
        "[control]\nlisten = \"127.0.0.1:0\"\n",
        &format!(
            "[control]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"{}\"\n",
            token_file.display()
        ),
    );
    assert!(config.contains("token_file"), "{config}");
    let config = format!("{config}[recording]\ndir = \"{}\"\n", recordings.display());
    let server = Server::start_with(&config);
    let downloads = dir.path().join("downloads");
    std::fs::create_dir(&downloads).unwrap();

    let output = support::tools::output_within(
        Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/console/token.js"
            ))
            .arg(format!("http://{}/", server.control))
            .arg(&chromium)
            .arg(TOKEN)
            .arg(&downloads)
            .env("NODE_PATH", &modules),
        NODE_DEADLINE,
        "node drove the page",
    );
    let steps = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the page was not driven through: {steps}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    let lines: Vec<&str> = steps.lines().collect();
    assert_eq!(lines.len(), 5, "{steps}");
    assert_eq!(
        lines[0], "refused tone.wav: no recording tone.wav",
        "{steps}"
    );
    assert!(lines[1].starts_with("unreachable tone.wav: "), "{steps}");
    assert_eq!(
        lines[2..],
        ["downloaded tone.wav", "playing 2.0", "revoked 1 of 1"],
        "{steps}"
    );
    assert!(
        std::fs::read(downloads.join("tone.wav")).unwrap() == std::fs::read(&recording).unwrap(),
        "the download is the whole recording"
    );
}

/// A WAV file at `path`: `seconds` of a 440 Hz tone, mono, 16-bit, at `rate`.
fn write_tone(path: &std::path::Path, rate: u32, seconds: usize) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for sample in tone(440.0, 8_000.0, 0, rate as usize * seconds) {
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
}
