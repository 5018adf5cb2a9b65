//! The webconference records against the real binary: feedback lines in
//! SEMS's format, the stats file carried across restarts, and both whole
//! after the server is killed (SIGKILL) while writing them.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::server::{Server, base_config, binary};
use support::sipp;
use support::tools::require_python;
use support::xmlrpc::{python, rpc};

/// How long a stopping server may take to hang up and exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);

/// A server keeping its stats in `stats_dir` and the guest's records in
/// `records_dir`, with `feedback.txt` as the feedback file.
fn start(stats_dir: &Path, records_dir: &Path) -> Server {
    Server::start_with(&format!(
        "{}[records]\nstats_dir = {:?}\n\
         [guests.webconference]\nrecords_dir = {:?}\n\
         [guests.webconference.config]\nfeedback_file = \"feedback.txt\"\n",
        base_config(),
        stats_dir,
        records_dir,
    ))
}

/// The three counts of the stats file: total, failed, connected seconds.
fn stats_file(dir: &Path) -> [u64; 3] {
    let text = std::fs::read_to_string(dir.join("stats")).expect("the stats file exists");
    let counts: Vec<u64> = text
        .lines()
        .map(|line| {
            line.parse()
                .unwrap_or_else(|_| panic!("a count per line, got {text:?}"))
        })
        .collect();
    counts
        .try_into()
        .unwrap_or_else(|_| panic!("three counts, got {text:?}"))
}

/// One call into room 123 that stays `hold_ms` and hangs up.
fn call(server: &Server, hold_ms: u32) {
    sipp::call(
        server,
        &["-sn", "uac", "-s", "000777123", "-d", &hold_ms.to_string()],
        "a call into room 123",
    );
}

/// Checks that every line of the feedback text is one whole room-feedback
/// record; returns how many there are.
fn whole_feedback_lines(text: &str) -> usize {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "a partial last line: {:?}",
        &text[text.len().saturating_sub(80)..]
    );
    for line in text.lines() {
        let fields: Vec<&str> = line.split("|||").collect();
        assert!(
            fields.len() == 5
                && fields[0] == "RO 123"
                && fields[1] == "4711"
                && fields[2].parse::<i32>().is_ok()
                && fields[3].parse::<u64>().is_ok()
                && fields[4].is_empty(),
            "not a whole feedback record: {line:?}"
        );
    }
    text.lines().count()
}

#[test]
fn feedback_lines_have_the_sems_format_and_reset_feedback_moves_them() {
    let stats = tempfile::tempdir().unwrap();
    let records = tempfile::tempdir().unwrap();
    let server = start(stats.path(), records.path());
    let before = python(&server, "import time\nprint(int(time.time()))")
        .trim()
        .parse::<u64>()
        .unwrap();
    python(
        &server,
        "assert s.vqRoomFeedback('123', '4711', 5)[:2] == [0, 'OK']\n\
         assert s.webconference.vqCallFeedback('123', '4711', 'c7', 2)[:2] == [0, 'OK']\n\
         r = s.di('webconference', 'vqConferenceFeedback', '123', '4711', 'ann', 'line one\\nline two', 4)\n\
         assert r[:2] == [0, 'OK'], r\n",
    );
    let text = std::fs::read_to_string(records.path().join("feedback.txt")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text:?}");
    let stamp = |line: &str| -> u64 {
        let fields: Vec<&str> = line.split("|||").collect();
        fields[fields.len() - 2].parse().unwrap()
    };
    for line in &lines {
        assert!(
            stamp(line) >= before && stamp(line) <= before + 60,
            "{line}"
        );
    }
    let t = stamp(lines[0]);
    assert_eq!(lines[0], format!("RO 123|||4711|||5|||{t}|||"));
    let t = stamp(lines[1]);
    assert_eq!(lines[1], format!("CA|||123|||4711|||c7|||2|||{t}|||"));
    let t = stamp(lines[2]);
    assert_eq!(
        lines[2],
        format!("CO|||123|||4711|||4|||ann|||line one line two|||{t}|||")
    );

    // resetFeedback empties the file it names and sends later lines there.
    std::fs::write(records.path().join("other.txt"), "old\n").unwrap();
    let absolute = records.path().join("other.txt");
    assert_eq!(
        rpc(&server, &format!("s.resetFeedback({absolute:?})[:2]")),
        "[0, 'OK']"
    );
    assert_eq!(
        std::fs::read_to_string(&absolute).unwrap(),
        "",
        "emptied by resetFeedback"
    );
    python(
        &server,
        "assert s.vqRoomFeedback('9', '', 1)[:2] == [0, 'OK']\n\
         r = s.flushFeedback()\n\
         assert len(r) == 1 and r[0].startswith('Server: Switchyard'), r\n",
    );
    assert!(
        std::fs::read_to_string(&absolute)
            .unwrap()
            .starts_with("RO 9||||||1|||")
    );
    assert_eq!(
        std::fs::read_to_string(records.path().join("feedback.txt"))
            .unwrap()
            .lines()
            .count(),
        3,
        "the first file gets no more lines"
    );

    // A name outside the records directory, or none, is refused as SEMS refuses it.
    assert_eq!(
        rpc(&server, "s.resetFeedback('/etc/passwd')[:2]"),
        "[-1, 'error opening new feedback file']"
    );
    assert_eq!(
        rpc(&server, "s.resetFeedback('')[:2]"),
        "[-2, 'no filename given']"
    );
    assert_eq!(
        std::fs::read_to_string(&absolute).unwrap().lines().count(),
        1,
        "a refused reset leaves the file as it was"
    );
    // As in SEMS, a reset that failed has closed the file: feedback is
    // accepted and written nowhere until a reset succeeds.
    assert_eq!(
        rpc(&server, "s.vqRoomFeedback('9', '', 2)[:2]"),
        "[0, 'OK']"
    );
    assert_eq!(
        std::fs::read_to_string(&absolute).unwrap().lines().count(),
        1,
        "no line after a failed reset"
    );
    assert_eq!(
        rpc(&server, &format!("s.resetFeedback({absolute:?})[:2]")),
        "[0, 'OK']"
    );
    assert_eq!(
        rpc(&server, "s.vqRoomFeedback('9', '', 3)[:2]"),
        "[0, 'OK']"
    );
    assert!(
        std::fs::read_to_string(&absolute)
            .unwrap()
            .starts_with("RO 9||||||3|||"),
        "feedback again once a reset succeeded"
    );
}

#[test]
fn without_a_feedback_file_feedback_is_accepted_and_written_nowhere() {
    let server = Server::start();
    assert_eq!(
        rpc(&server, "s.vqRoomFeedback('1', '2', 3)[:2]"),
        "[0, 'OK']"
    );
    assert_eq!(
        rpc(&server, "s.resetFeedback('f.txt')[:2]"),
        "[-1, 'error opening new feedback file']",
        "no records_dir: no file can be opened"
    );
}

#[test]
fn a_feedback_file_outside_the_records_directory_is_refused_without_an_error_logged() {
    let stats = tempfile::tempdir().unwrap();
    let records = tempfile::tempdir().unwrap();
    let server = start(stats.path(), records.path());
    assert_eq!(
        rpc(&server, "s.resetFeedback('../x.txt')[:2]"),
        "[-1, 'error opening new feedback file']"
    );
    let refused = server
        .wait_for_log("resetFeedback: cannot open", Duration::from_secs(5))
        .unwrap();
    assert!(
        refused.contains("INFO"),
        "a client's bad file name is no server failure: {refused}"
    );
}

/// `check-config` on a webconference table whose `feedback_file` is `value`
/// (TOML), with `records` as its records directory; the config is written
/// beside it, since a records directory may not hold the config.
fn check_feedback_file(records: &Path, value: &str) -> std::process::Output {
    let config = records.parent().unwrap().join("switchyard.toml");
    std::fs::write(
        &config,
        format!(
            "{}[guests.webconference]\nrecords_dir = {:?}\n\
             [guests.webconference.config]\nfeedback_file = {value}\n",
            base_config(),
            records,
        ),
    )
    .unwrap();
    Command::new(binary())
        .arg("check-config")
        .arg(&config)
        .output()
        .expect("running switchyard check-config")
}

#[test]
fn a_feedback_file_that_can_name_no_records_file_refuses_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("records");
    std::fs::create_dir(&records).unwrap();
    for name in [
        "../feedback.txt",
        "logs/feedback.txt",
        "..",
        "/var/../f.txt",
    ] {
        let out = check_feedback_file(&records, &format!("{name:?}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success()
                && stderr.contains(&format!(
                    "guests.webconference.config.feedback_file: {name:?} is no file name \
                     of the guest's records_dir"
                )),
            "expected check-config to refuse feedback_file = {name:?}, naming it; got \
             {:?}:\n{stderr}",
            out.status
        );
    }
    // Unset, as it always was; and a path into the records directory, as the
    // host's records take it.
    let inside = records.join("feedback.txt");
    for value in [
        "\"\"".to_owned(),
        format!("{:?}", inside.display().to_string()),
    ] {
        let out = check_feedback_file(&records, &value);
        assert!(
            out.status.success(),
            "expected check-config to take feedback_file = {value}; got {:?}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_stats_file_carries_the_counts_across_a_restart() {
    let stats = tempfile::tempdir().unwrap();
    let records = tempfile::tempdir().unwrap();
    let mut server = start(stats.path(), records.path());
    call(&server, 1100);
    call(&server, 100);
    server.signal("TERM");
    assert!(server.wait(EXIT_TIMEOUT).success());
    let [total, failed, seconds] = stats_file(stats.path());
    assert_eq!((total, failed), (2, 0));
    assert!((1..=3).contains(&seconds), "{seconds} connected seconds");

    let server = start(stats.path(), records.path());
    let info = rpc(&server, "s.serverInfo()[0]");
    assert!(
        info.ends_with(" calls: 0 active/2 total/2 connect/0 min'"),
        "the counts of the last run continue: {info}"
    );
    call(&server, 100);
    let info = rpc(&server, "s.serverInfo()[0]");
    assert!(
        info.ends_with(" calls: 0 active/3 total/3 connect/0 min'"),
        "{info}"
    );
}

/// Background load: SIPp calls into room 123 and a Python client writing
/// room feedback as fast as it can, each bounded in count and time.
struct Load {
    /// Killed, if still running, when dropped.
    _calls: support::load::Load,
    feedback: Child,
}

impl Load {
    fn start(server: &Server) -> Load {
        require_python();
        let calls = support::load::Load::start(
            server,
            &["-sn", "uac", "-s", "000777123", "-d", "200"],
            400,
            20,
            Duration::from_secs(30),
        );
        let feedback = Command::new("python3")
            .args([
                "-c",
                "import sys, socket, time, xmlrpc.client\n\
                 socket.setdefaulttimeout(5)\n\
                 s = xmlrpc.client.ServerProxy(sys.argv[1])\n\
                 end = time.time() + 20\n\
                 for i in range(20000):\n    \
                     if time.time() > end: break\n    \
                     s.vqRoomFeedback('123', '4711', i % 10)\n",
                &format!("http://{}/RPC2", server.control),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("running python3");
        Load {
            _calls: calls,
            feedback,
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.feedback.kill();
        let _ = self.feedback.wait();
    }
}

#[test]
fn records_stay_whole_when_the_server_is_killed_while_writing_them() {
    let stats = tempfile::tempdir().unwrap();
    let records = tempfile::tempdir().unwrap();
    let feedback = records.path().join("feedback.txt");
    let mut last_lines = 0;
    let mut last_total = 0;
    for (round, run_ms) in [1300, 1700, 2300].into_iter().enumerate() {
        let mut server = start(stats.path(), records.path());
        let info = rpc(&server, "s.serverInfo()[0]");
        assert!(
            info.contains(&format!("/{last_total} total/")),
            "round {round}: the counts of the killed run continue from its file: {info}"
        );
        let load = Load::start(&server);
        // The kill comes while lines are being written: once the first of
        // this round is in, however slowly Python started.
        let started = Instant::now();
        while whole_feedback_lines(&std::fs::read_to_string(&feedback).unwrap_or_default())
            <= last_lines
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "round {round}: no feedback line within 20 s; log:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(run_ms));
        server.signal("KILL");
        server.wait(EXIT_TIMEOUT);
        drop(load);

        let lines = whole_feedback_lines(&std::fs::read_to_string(&feedback).unwrap());
        assert!(
            lines > last_lines,
            "round {round}: feedback was written ({lines} lines)"
        );
        last_lines = lines;
        let [total, failed, _] = stats_file(stats.path());
        assert!(
            total >= last_total && failed <= total,
            "round {round}: {total} calls, {failed} failed, after {last_total}"
        );
        last_total = total;
    }
    assert!(last_total > 0, "calls were counted");
}
