//! The command line: version, help, config checking, SEMS config import,
//! start-up errors, ending calls cleanly on SIGTERM/SIGINT, SIGHUP ending nothing,
//! and the guest and ctl commands against a running server.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::phone::Phone;
use support::server::{
    Server, base_config, binary, loopback_config, misbehave_config, run_to_exit, test_guest_wasm,
};
use support::tools::output_within;

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a start that is to fail may take to exit (it may compile a guest
/// first).
const FAILED_START_TIMEOUT: Duration = Duration::from_secs(60);

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

/// Writes the loopback test config with `before`, then `[guests.NAME]` loading `wasm`, then
/// `after`; returns the file's path and the line of the guest's `wasm` key.
fn guest_config_file(
    dir: &tempfile::TempDir,
    before: &str,
    name: &str,
    wasm: &Path,
    after: &str,
) -> (String, usize) {
    let head = format!(
        "{}{before}[guests.{name}]\nwasm = {:?}\n",
        loopback_config("info", 10000, 10100),
        wasm.display().to_string()
    );
    let line = head.lines().count();
    (config_file(dir, &format!("{head}{after}")), line)
}

/// Writes `junk.wasm` in `dir`: a file that is no WebAssembly component.
fn junk_component(dir: &tempfile::TempDir) -> PathBuf {
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"not wasm").unwrap();
    junk
}

/// Makes `large.wasm` in `dir`: one byte over the 256 MiB a component may be, sparse.
fn oversized_component(dir: &tempfile::TempDir) -> PathBuf {
    let large = dir.path().join("large.wasm");
    grow_sparse(&large, (256 << 20) + 1);
    large
}

/// Sets the file at `path`, made if missing, to `len` bytes; what that adds is a hole, on no disk.
fn grow_sparse(path: &Path, len: u64) {
    std::fs::File::options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .and_then(|file| file.set_len(len))
        .unwrap();
}

/// Starts the server on the config file `config`, asserts that it exits 1 and returns its stderr.
fn failed_start_stderr(config: &str) -> String {
    let (status, stderr) = run_to_exit(Path::new(config), FAILED_START_TIMEOUT);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "expected start-up to fail with exit 1:\n{stderr}"
    );
    stderr
}

/// Asserts that starting on `config` fails with exit 1, logging check-config's error `checked`.
fn assert_start_up_logs_the_check_config_error(config: &str, checked: &str) {
    let stderr = failed_start_stderr(config);
    assert!(
        stderr.contains(&format!("ERROR switchyard: {}", checked.trim_end())),
        "expected check-config's located error, {checked:?}, logged at start-up:\n{stderr}"
    );
}

/// Runs switchyard with `args`, which must end within ten seconds (`what` names it if not).
fn run_within<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>, what: &str) -> Output {
    output_within(
        Command::new(binary()).args(args),
        Duration::from_secs(10),
        what,
    )
}

/// Asserts that the run `out` exited 1 and returns its stderr.
fn failure_stderr(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    stderr
}

/// `/dev/full` to write to: every write fails as the disk being full.
fn dev_full() -> Stdio {
    std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
        .into()
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
        help.contains("check-config")
            && help.contains("import-sems-config")
            && help.contains("--config <FILE>"),
        "expected --help to name check-config, import-sems-config and --config <FILE>:\n{help}"
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
fn check_config_refuses_listeners_that_would_share_a_port() {
    let dir = tempfile::tempdir().unwrap();
    let clash = config_file(
        &dir,
        "[sip]\nlisten = [\"127.0.0.1:28095\"]\n[control]\nlisten = \"127.0.0.1:28095\"\n",
    );
    let out = run(&["check-config", &clash]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{clash}:4:1: control.listen: 127.0.0.1:28095 has the port of sip.listen \
             127.0.0.1:28095, which SIP takes over TCP as well as UDP: the control endpoint \
             could not listen on it\n"
        )
    );
    let in_rtp = config_file(
        &dir,
        "[sip]\nlisten = \"127.0.0.1:28095\"\n[rtp]\nport_min = 28000\nport_max = 28999\n",
    );
    let out = run(&["check-config", &in_rtp]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with(&format!(
            "{in_rtp}:2:1: sip.listen: 127.0.0.1:28095 lies in the RTP range \
             rtp.port_min..=rtp.port_max (28000..=28999)"
        )),
        "{}",
        text(&out.stderr)
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

/// A SEMS webconference.conf with every key of SEMS's example set; `prompt`
/// gives each prompt key's value from the key and SEMS's file name for it
/// (`digits_dir` has none), and `records` adds `feedback_file` and `stats_dir`.
fn sems_conf(prompt: impl Fn(&str, &str) -> String, records: (&str, &str)) -> String {
    let mut conf = format!(
        "# announcements\n\
         first_participant={}\n\
         join_sound={}\n\
         drop_sound={}\n\
         enter_pin={}\n\
         wrong_pin={}\n\
         wrong_pin_bye={}\n\
         entering_conference={}\n\
         \n\
         tell_pin=yes\n\
         digits_dir={}\n\
         star_finishes_pin=yes\n\
         direct_room_re=000777.*\n\
         room_pin_split=4\n\
         direct_room_strip=6\n\
         lonely_user_timer=120\n\
         master_password = \"very secret # not a comment\"\n\
         ignore_pin=yes\n\
         webconference_urlbase=https://webconference.example.com/openRoom.py?action=openRoom\n\
         private_rooms=yes\n\
         support_rooms_timeout=yes\n\
         participants_expire=yes\n\
         participants_expire_delay = 10\n\
         rooms_expire=no\n\
         rooms_expire_delay=7200\n\
         room_sweep_interval=10\n\
         predefined_rooms=discussion:some_pwd;support:other_pwd;\n\
         participant_id_param=participantid\n\
         participant_id_header=x-participantid\n\
         loop_first_participant_prompt=yes\n\
         # RFC 4028\n\
         enable_session_timer=yes\n\
         session_expires=240\n\
         minimum_timer=90\n\
         maximum_timer=900\n\
         session_refresh_method=UPDATE\n\
         accept_501_reply=no\n",
        prompt("first_participant", "first_participant.wav"),
        prompt("join_sound", "beep.wav"),
        prompt("drop_sound", "beep.wav"),
        prompt("enter_pin", "pin_prompt.wav"),
        prompt("wrong_pin", "wrong_pin.wav"),
        prompt("wrong_pin_bye", "wrong_pin_bye.wav"),
        prompt("entering_conference", "entering_conference.wav"),
        prompt("digits_dir", ""),
    );
    let (feedback_file, stats_dir) = records;
    conf.push_str(&format!(
        "feedback_file={feedback_file}\nstats_dir={stats_dir}\n"
    ));
    conf
}

#[test]
fn import_sems_config_maps_webconference_conf_and_names_what_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    // The records' directories exist, as the conversion must load here.
    let log = dir.path().join("log");
    let stats = format!("{}/sems-webconference/", log.display());
    std::fs::create_dir_all(&stats).unwrap();
    let conf = dir.path().join("webconference.conf");
    std::fs::write(
        &conf,
        sems_conf(
            |_, file| format!("/usr/local/lib/sems/audio/webconference/{file}"),
            (
                &format!("{}/sems-webconference-feedback.txt", log.display()),
                &stats,
            ),
        ),
    )
    .unwrap();
    let conf = conf.to_string_lossy().into_owned();
    let out = run(&["import-sems-config", &conf]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "expected exit 0 with keys left unmapped: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "# Switchyard configuration converted from {conf} by\n"
        )),
        "expected a header naming the SEMS file:\n{stdout}"
    );
    let table: toml::Table = stdout.parse().unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    let mut expected = toml::Table::from_iter([
        (
            "guests".to_owned(),
            toml::toml! {
                [webconference]
                [webconference.config]
                direct_room_re = "000777.*"
                room_pin_split = 4
                direct_room_strip = 6
                lonely_user_timer = 120
                master_password = "very secret # not a comment"
                ignore_pin = true
                private_rooms = true
                support_rooms_timeout = true
                predefined_rooms = "discussion:some_pwd;support:other_pwd;"
                participant_id_param = "participantid"
                participant_id_header = "x-participantid"
                loop_first_participant_prompt = true
                feedback_file = "sems-webconference-feedback.txt"
            }
            .into(),
        ),
        (
            "rooms".to_owned(),
            toml::toml! {
                participants_expire_delay_s = 10
                expire_delay_s = 31536000
            }
            .into(),
        ),
        ("records".to_owned(), toml::toml! { stats_dir = "" }.into()),
        (
            "sip".to_owned(),
            toml::toml! {
                session_timers = true
                session_expires_s = 240
                session_min_se_s = 90
                session_max_s = 240
                offer_method = "update"
            }
            .into(),
        ),
    ]);
    expected["guests"]["webconference"]
        .as_table_mut()
        .unwrap()
        .insert("records_dir".to_owned(), log.display().to_string().into());
    expected["records"]["stats_dir"] = stats.clone().into();
    assert_eq!(
        table, expected,
        "expected every mappable key mapped:\n{stdout}"
    );

    let stderr = text(&out.stderr);
    let prompts = "SEMS's prompt files are not all <key>.wav in one absolute directory, \
                   which Switchyard's media.prompts_dir needs";
    let sems = "/usr/local/lib/sems/audio/webconference";
    let expected = [
        format!("2: first_participant: not mapped: {prompts}: copy {sems}/first_participant.wav to <media.prompts_dir>/first_participant.wav"),
        format!("3: join_sound: not mapped: {prompts}: copy {sems}/beep.wav to <media.prompts_dir>/join_sound.wav"),
        format!("4: drop_sound: not mapped: {prompts}: copy {sems}/beep.wav to <media.prompts_dir>/drop_sound.wav"),
        format!("5: enter_pin: not mapped: {prompts}: copy {sems}/pin_prompt.wav to <media.prompts_dir>/enter_pin.wav"),
        format!("6: wrong_pin: not mapped: {prompts}: copy {sems}/wrong_pin.wav to <media.prompts_dir>/wrong_pin.wav"),
        format!("7: wrong_pin_bye: not mapped: {prompts}: copy {sems}/wrong_pin_bye.wav to <media.prompts_dir>/wrong_pin_bye.wav"),
        format!("8: entering_conference: not mapped: {prompts}: copy {sems}/entering_conference.wav to <media.prompts_dir>/entering_conference.wav"),
        "10: tell_pin: not mapped: the guest always reads the room number back before entering".to_owned(),
        format!("11: digits_dir: not mapped: {prompts}: copy 0.wav … 9.wav from {sems}/ to media.prompts_dir"),
        "12: star_finishes_pin: not mapped: the guest ends the room number at # or * alike".to_owned(),
        "19: webconference_urlbase: not mapped: Switchyard's SDP carries no u= line".to_owned(),
        "24: rooms_expire: note: SEMS never expires them, Switchyard always does: rooms.expire_delay_s is set to its longest, 31536000 (a year)".to_owned(),
        "25: rooms_expire_delay: note: ignored, as rooms_expire = no (as in SEMS)".to_owned(),
        "26: room_sweep_interval: not mapped: each empty room expires on its own timer; there is no sweep to schedule".to_owned(),
        "32: enable_session_timer: note: SEMS applies it only with its session_timer plug-in loaded: listed in sems.conf's load_plugins, or load_plugins unset and session_timer not in exclude_plugins (the shipped sems.conf.sample sets load_plugins without it); if SEMS does not load it, it runs no session timers: then set sip.session_timers to false".to_owned(),
        "35: maximum_timer: not mapped: SEMS's cap on the Min-SE of a 422 answering its own INVITE or UPDATE, no cap on the interval a caller asks for; Switchyard's cap on that, sip.session_max_s, is set to session_expires, the most SEMS grants".to_owned(),
        "36: session_refresh_method: note: SEMS sends UPDATE to every peer; Switchyard sends it to peers that allow it and re-INVITE to the others".to_owned(),
        "37: accept_501_reply: not mapped: a 501 to an UPDATE refresh makes Switchyard refresh that call by re-INVITE instead".to_owned(),
    ]
    .map(|line| format!("{conf}:{line}\n"))
    .concat();
    assert_eq!(
        stderr, expected,
        "expected one line per key not mapped as it is"
    );
}

#[test]
fn import_sems_config_output_passes_check_config() {
    let dir = tempfile::tempdir().unwrap();
    let prompts = dir.path().join("prompts");
    std::fs::create_dir(&prompts).unwrap();
    let conf = dir.path().join("webconference.conf");
    // Each prompt file named after its key, so that prompts_dir carries them.
    let named = |key: &str, _: &str| match key {
        "digits_dir" => format!("{}/", prompts.display()),
        key => format!("{}/{key}.wav", prompts.display()),
    };
    // The records directories must exist for check-config to accept them; the feedback
    // file's is not the stats directory (a guest may not write beside the server's files).
    let records = dir.path().join("records");
    let stats = dir.path().join("stats");
    std::fs::create_dir(&records).unwrap();
    std::fs::create_dir(&stats).unwrap();
    let feedback = records.join("feedback.txt");
    std::fs::write(
        &conf,
        sems_conf(
            named,
            (&feedback.to_string_lossy(), &stats.to_string_lossy()),
        ),
    )
    .unwrap();
    let conf = conf.to_string_lossy().into_owned();
    let output = dir.path().join("switchyard.toml");
    let output = output.to_string_lossy().into_owned();

    let out = run(&["import-sems-config", &conf, "-o", &output]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "expected exit 0: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "", "expected the TOML in the file only");
    let stderr = text(&out.stderr);
    for line in [
        format!("{conf}:5: enter_pin: note: played as enter_pin.wav from media.prompts_dir\n"),
        format!(
            "{conf}:11: digits_dir: note: the digits are played as 0.wav … 9.wav from media.prompts_dir\n"
        ),
    ] {
        assert!(stderr.contains(&line), "expected {line:?} in:\n{stderr}");
    }
    assert!(
        !stderr.contains("prompt files are not all"),
        "expected every prompt mapped:\n{stderr}"
    );
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(
        written.contains(&format!(
            "[media]\nprompts_dir = \"{}\"\n",
            prompts.display()
        )),
        "expected media.prompts_dir:\n{written}"
    );

    let check = run(&["check-config", &output]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "expected check-config to accept the import: {}\n{written}",
        text(&check.stderr)
    );
    assert_eq!(text(&check.stdout), format!("{output}: OK\n"));
}

#[test]
fn import_sems_config_refuses_bad_lines_unreadable_files_and_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("webconference.conf");
    std::fs::write(&conf, "direct_room_re=000777.*\nprivate_rooms yes\n").unwrap();
    let conf = conf.to_string_lossy().into_owned();
    let out = run(&["import-sems-config", &conf]);
    assert_eq!(out.status.code(), Some(1), "expected exit 1 for a bad line");
    assert_eq!(
        text(&out.stderr),
        format!("{conf}:2: expected key=value, not \"private_rooms yes\"\n"),
        "expected the bad line named"
    );
    assert_eq!(text(&out.stdout), "", "expected no TOML for a bad file");

    let missing = dir.path().join("missing.conf");
    let missing = missing.to_string_lossy().into_owned();
    let out = run(&["import-sems-config", &missing]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1 for a missing file"
    );
    assert!(
        text(&out.stderr).starts_with(&format!("{missing}: cannot read:")),
        "expected the file named: {}",
        text(&out.stderr)
    );

    // Set in full but for the prompts, so that stderr holds no other remark on a default.
    std::fs::write(
        &conf,
        "direct_room_re=000777.*\ndirect_room_strip=6\nenable_session_timer=no\n",
    )
    .unwrap();
    let output = dir.path().join("switchyard.toml");
    std::fs::write(&output, "# mine\n").unwrap();
    let output = output.to_string_lossy().into_owned();
    let out = run(&["import-sems-config", &conf, "--output", &output]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1 for an existing output"
    );
    // A note on each of the seven prompts the file leaves unset, then the refusal.
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.split_inclusive('\n').collect();
    let Some((refusal, notes)) = lines.split_last() else {
        panic!("expected the existing output named on stderr");
    };
    assert_eq!(
        *refusal,
        format!("{output}: already exists; give --force to overwrite it\n"),
        "expected the existing output named last: {stderr}"
    );
    assert!(
        notes.len() == 7
            && notes
                .iter()
                .all(|line| line.starts_with(&format!("{conf}: "))
                    && line.contains(": note: not set, so SEMS plays")),
        "expected only the seven unset prompts' notes before it: {stderr}"
    );
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "# mine\n");
    let out = run(&["import-sems-config", &conf, "-o", &output, "--force"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "expected --force to overwrite: {}",
        text(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(&output)
            .unwrap()
            .contains("direct_room_re = \"000777.*\""),
        "expected the converted file in place of the old one"
    );
}

#[test]
fn import_sems_config_writes_only_what_loads() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("webconference.conf");
    let conf_name = conf.to_string_lossy().into_owned();
    let output = dir.path().join("switchyard.toml");
    let output_name = output.to_string_lossy().into_owned();

    // SEMS's own session timer defaults where Switchyard's would not fit.
    std::fs::write(
        &conf,
        "direct_room_re=000777.*\nenable_session_timer=yes\nmaximum_timer=900\n",
    )
    .unwrap();
    let out = run(&["import-sems-config", &conf_name, "-o", &output_name]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let check = run(&["check-config", &output_name]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "expected the converted file to load: {}\n{}",
        text(&check.stderr),
        std::fs::read_to_string(&output).unwrap()
    );
    std::fs::remove_file(&output).unwrap();

    // A predefined room SEMS would skip: the guest's own check names it, nothing is written.
    std::fs::write(
        &conf,
        "direct_room_re=000777.*\npredefined_rooms=a:1;nopin\n",
    )
    .unwrap();
    let out = run(&["import-sems-config", &conf_name, "-o", &output_name]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).ends_with(&format!(
            "{conf_name}:2: predefined_rooms: the converted configuration does not load: \
             guests.webconference.config.predefined_rooms: \"nopin\" is not <room>:<pin> \
             (entries are separated by ;)\n"
        )),
        "{}",
        text(&out.stderr)
    );
    assert!(!output.exists());

    // A stats directory that does not exist here: nothing is written.
    let missing = dir.path().join("no-such-dir");
    std::fs::write(
        &conf,
        format!("direct_room_re=000777.*\nstats_dir={}\n", missing.display()),
    )
    .unwrap();
    for args in [vec![], vec!["-o", &output_name]] {
        let out = run(&[&["import-sems-config", &conf_name][..], &args].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.ends_with(&format!(
                "{conf_name}:2: stats_dir: the converted configuration does not load: \
                 records.stats_dir: {} is not a directory\n",
                missing.display()
            )),
            "{args:?}: {stderr}"
        );
        assert_eq!(text(&out.stdout), "", "{args:?}");
        assert!(!output.exists(), "{args:?}");
    }
}

#[test]
fn import_sems_config_force_replaces_the_file_whole_and_private() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("webconference.conf");
    std::fs::write(&conf, "direct_room_re=000777.*\nmaster_password=secret\n").unwrap();
    let output = dir.path().join("switchyard.toml");
    std::fs::write(&output, "# mine\n").unwrap();
    std::fs::set_permissions(&output, std::fs::Permissions::from_mode(0o644)).unwrap();
    // The operator's own file of the name a writer might pick for its temporary.
    let kept = dir.path().join("switchyard.toml.new");
    std::fs::write(&kept, "# my draft\n").unwrap();
    let before = std::fs::metadata(&output).unwrap().ino();
    let conf = conf.to_string_lossy().into_owned();
    let output_name = output.to_string_lossy().into_owned();
    let out = run(&["import-sems-config", &conf, "-o", &output_name, "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let after = std::fs::metadata(&output).unwrap();
    assert_ne!(
        after.ino(),
        before,
        "a new file renamed over the old one, never the old one truncated"
    );
    assert_eq!(after.mode() & 0o777, 0o600, "it holds the master password");
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "# my draft\n",
        "the file beside it is left as it was"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "switchyard.toml",
            "switchyard.toml.new",
            "webconference.conf"
        ],
        "no temporary is left"
    );
    assert!(
        std::fs::read_to_string(&output)
            .unwrap()
            .contains("master_password = \"secret\"")
    );

    let fresh = dir.path().join("fresh.toml");
    let fresh_name = fresh.to_string_lossy().into_owned();
    let out = run(&["import-sems-config", &conf, "-o", &fresh_name]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::metadata(&fresh).unwrap().mode() & 0o777,
        0o600,
        "a new file is private too"
    );
}

#[test]
fn start_up_with_a_bad_config_fails_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    // The test config, on loopback, with an RTP range upside down.
    let config = loopback_config("info", 3000, 2000);
    let line = 1 + config
        .lines()
        .position(|line| line.starts_with("port_max"))
        .expect("a port_max line");
    let bad = config_file(&dir, &config);
    let stderr = failed_start_stderr(&bad);
    assert_eq!(
        stderr,
        format!("{bad}:{line}:1: rtp.port_max: must not be below rtp.port_min (3000)\n"),
        "expected only the located config error on stderr"
    );
}

#[test]
fn an_empty_rust_log_counts_as_unset_so_a_start_up_error_is_still_shown() {
    // The SIP port is taken, so the start fails after logging is set up.
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let config = loopback_config("info", 3000, 3009).replacen(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\""),
        1,
    );
    let path = config_file(&dir, &config);
    for rust_log in ["", " ", ","] {
        // Still running at the deadline fails the test: the start must fail.
        let output = output_within(
            Command::new(binary())
                .args(["--config", &path])
                .env("RUST_LOG", rust_log),
            FAILED_START_TIMEOUT,
            &format!("switchyard with the SIP port taken and RUST_LOG={rust_log:?}"),
        );
        let stderr = text(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "RUST_LOG={rust_log:?}: {stderr}"
        );
        assert!(
            stderr.contains("SIP: cannot listen on") && stderr.contains("ERROR"),
            "RUST_LOG={rust_log:?}: expected the start-up error on stderr, got {stderr:?}"
        );
        assert!(
            !stderr.contains("warning"),
            "RUST_LOG={rust_log:?}: {stderr}"
        );
    }
}

#[test]
fn a_table_the_guests_own_check_refuses_fails_check_config_and_start_up_at_its_key() {
    let dir = tempfile::tempdir().unwrap();
    // Every value of the kind nway declares (`rooms` is text), but a pin no caller can type.
    let config = format!(
        "{}[guests.nway.config]\nrooms = {{ \"101\" = {{ pin = \"12#\" }} }}\n",
        loopback_config("info", 10000, 10100)
    );
    let line = config.lines().count();
    let column = 1 + config.lines().last().unwrap().find("pin").unwrap();
    let bad = config_file(&dir, &config);
    let expected = format!(
        "{bad}:{line}:{column}: guests.nway.config.rooms.101.pin: \"12#\" has '#', \
         which ends or cancels a pin entry: no caller could type it"
    );
    let out = run(&["check-config", &bad]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), format!("{expected}\n"));

    let stderr = failed_start_stderr(&bad);
    assert!(
        stderr.contains(&expected),
        "expected `{expected}`:\n{stderr}"
    );

    // Checking writes nothing, not even compiled guests to the cache.
    let cache = dir.path().join("cache");
    let good = config_file(
        &dir,
        &format!("[guest_cache]\ndir = {:?}\n", cache.display().to_string()),
    );
    let out = run(&["check-config", &good]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!cache.exists(), "check-config wrote {}", cache.display());

    // A component that is no component fails check-config at its `wasm`, as it would start-up.
    let (bad, line) = guest_config_file(&dir, "", "junk", &junk_component(&dir), "");
    let stderr = text(&run(&["check-config", &bad]).stderr);
    assert!(
        stderr.starts_with(&format!(
            "{bad}:{line}:1: guests.junk.wasm: guest junk: cannot load: not a readable component"
        )),
        "{stderr}"
    );
}

#[test]
fn start_up_with_a_component_that_is_no_component_fails_at_its_wasm_key_as_check_config_does() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, line) = guest_config_file(
        &dir,
        "[guest_cache]\nenabled = false\n",
        "junk",
        &junk_component(&dir),
        "",
    );
    let located = format!(
        "{bad}:{line}:1: guests.junk.wasm: guest junk: cannot load: not a readable component"
    );
    let checked = text(&run(&["check-config", &bad]).stderr);
    assert!(checked.starts_with(&located), "{checked}");

    assert_start_up_logs_the_check_config_error(&bad, &checked);
}

#[test]
fn start_up_with_a_component_file_that_cannot_be_read_fails_at_its_wasm_key_as_check_config_does() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file, as the config check asks, that the loader refuses to read whoever runs
    // it (root reads a file of mode 000): one too large.
    let (bad, line) = guest_config_file(
        &dir,
        "[guest_cache]\nenabled = false\n",
        "large",
        &oversized_component(&dir),
        "",
    );
    let checked = text(&run(&["check-config", &bad]).stderr);
    assert!(
        checked.starts_with(&format!("{bad}:{line}:1: guests.large.wasm: ")),
        "{checked}"
    );
    assert!(
        checked.contains("larger than 256 MiB, the most a component may be"),
        "{checked}"
    );

    assert_start_up_logs_the_check_config_error(&bad, &checked);
}

#[test]
fn start_up_with_a_guest_that_cannot_be_instantiated_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // Its initial memory is more than the one mebibyte its limit allows.
    let config = config_file(
        &dir,
        &format!(
            "{}[guests.misbehave.limits]\nmemory_mb = 1\n",
            misbehave_config()
        ),
    );
    let stderr = failed_start_stderr(&config);
    assert!(
        stderr.contains("guest misbehave: instantiate failed: "),
        "expected the guest and its fault:\n{stderr}"
    );
}

#[test]
fn a_server_not_ready_in_time_is_not_left_running() {
    let given_up =
        std::panic::catch_unwind(|| Server::start_within(&base_config(), Duration::ZERO));
    assert!(given_up.is_err(), "expected the start to time out");
    let left = servers_without_their_config();
    assert!(
        left.is_empty(),
        "expected the start given up to leave no server running; running: {left:?}"
    );
}

/// The processes this one started (children) with a `--config` file that is
/// gone: a server whose start was given up (a running one's file is there until
/// it is stopped), by process id and command line.
fn servers_without_their_config() -> Vec<(u32, String)> {
    let me = std::process::id();
    let children = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // The fields after the command's name, in parentheses: state, parent.
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(") ")
                    .and_then(|(_, fields)| fields.split(' ').nth(1)?.parse::<u32>().ok())
                    == Some(me)
            })
        });
    children
        .filter_map(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args: Vec<String> = cmdline
                .split(|&byte| byte == 0)
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect();
            let config = args.iter().skip_while(|arg| *arg != "--config").nth(1)?;
            (!Path::new(config).exists()).then(|| (pid, args.join(" ")))
        })
        .collect()
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
fn sigterm_reports_the_media_of_a_call_whose_peer_never_answers_the_bye() {
    let mut server = Server::start();
    // The phone reads no more SIP: the BYE goes unanswered for the whole grace period.
    let _deaf = Phone::call(server.sip, "000777123", "alice", &[]);
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(20));
    let log = server.log();
    assert_eq!(status.code(), Some(0), "expected exit 0; the log:\n{log}");
    let abandoned = log
        .find("still up after the shutdown grace period")
        .unwrap_or_else(|| panic!("expected the call to be abandoned; the log:\n{log}"));
    assert!(
        log[abandoned..].contains("leg ended"),
        "expected the abandoned call's media reported; the log:\n{log}"
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

#[test]
fn sigterm_while_starting_ends_the_process_at_once() {
    // A guest whose check of its config spins holds the start for its 10 s deadline.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("switchyard.toml");
    let spinning = format!(
        "{}[guests.misbehave.limits]\ncall_deadline_ms = 10000\n\
         [guests.misbehave.config]\nconfig_problem = \"spin\"\n",
        misbehave_config()
    );
    std::fs::write(&config, spinning).unwrap();
    let mut child = Command::new(binary())
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running switchyard");
    await_catching_sigterm(child.id());
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let ended = (0..100).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        child.try_wait().unwrap()
    });
    if ended.is_none() {
        let _ = child.kill();
    }
    let output = child.wait_with_output().unwrap();
    let log = text(&output.stderr);
    assert_eq!(ended.and_then(|status| status.code()), Some(0), "{log}");
    assert!(log.contains("stopped while starting, as asked"), "{log}");
}

/// Waits, at most [`LOG_TIMEOUT`], until process `pid` catches SIGTERM (its
/// handler is installed: the signal no longer meets the default action, which
/// ends the process); panics then.
fn await_catching_sigterm(pid: u32) {
    let started = std::time::Instant::now();
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|line| line.strip_prefix("SigCgt:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .unwrap_or(0);
        // Bit n - 1 of the mask stands for signal n; SIGTERM is 15.
        if caught & 1 << 14 != 0 {
            return;
        }
        assert!(
            started.elapsed() < LOG_TIMEOUT,
            "process {pid} did not catch SIGTERM within {LOG_TIMEOUT:?}: {status}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a server whose stop is held up for the control endpoint's grace (5 s) by a
/// control request waiting for its body, and sends it SIGTERM: the server, the request's
/// connection (held open) and when the signal was sent.
fn stop_held_up() -> (Server, std::net::TcpStream, std::time::Instant) {
    use std::io::Write;
    let server = Server::start_with(&base_config());
    let mut request = std::net::TcpStream::connect(server.control).unwrap();
    write!(
        request,
        "POST /RPC2 HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml\r\n\
         Content-Length: 100\r\n\r\n<?xml",
        server.control
    )
    .unwrap();
    server.await_control_read(&request, LOG_TIMEOUT);
    let signalled = std::time::Instant::now();
    server.signal("TERM");
    (server, request, signalled)
}

#[test]
fn a_second_signal_past_two_seconds_while_stopping_ends_the_process_at_once() {
    let (mut server, _request, signalled) = stop_held_up();
    server
        .wait_for_log("finishing requests in flight", LOG_TIMEOUT)
        .unwrap();
    // Past the 2 s a repeat is taken as the same request in.
    let past_grace = signalled + Duration::from_millis(2_500);
    std::thread::sleep(past_grace.saturating_duration_since(std::time::Instant::now()));
    server.signal("TERM");
    // Well within the grace the first signal's stop waits out.
    let status = server.wait(Duration::from_secs(2));
    assert_eq!(status.code(), Some(1), "{}", server.log());
    server
        .wait_for_log("asked again to stop: exiting now", LOG_TIMEOUT)
        .unwrap();
}

#[test]
fn two_signals_100_ms_apart_stop_the_server_cleanly_as_systemd_sends_them() {
    let (mut server, _request, _) = stop_held_up();
    std::thread::sleep(Duration::from_millis(100));
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "{}", server.log());
    let log = server.log();
    assert!(log.contains("taken as the same request"), "{log}");
    assert!(log.contains("switchyard stopped"), "{log}");
}

#[test]
fn sighup_reads_the_configuration_again_and_ends_neither_the_server_nor_its_calls() {
    let mut server = Server::start_with(&base_config());
    server.signal("HUP");
    server
        .wait_for_log("configuration reloaded from", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the reload to be logged: {e}"));
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    server.signal("HUP");
    server.signal("TERM");
    assert!(
        phone.await_bye(Duration::from_secs(10)),
        "the server still ran its call after two SIGHUPs; the log:\n{}",
        server.log()
    );
    assert_eq!(
        server.wait(Duration::from_secs(10)).code(),
        Some(0),
        "expected exit 0 after SIGTERM; the log:\n{}",
        server.log()
    );
}

#[test]
fn the_guest_commands_load_and_list_versions_on_a_running_server() {
    let server = Server::start();
    let control = server.control.to_string();
    let component = test_guest_wasm("webconference");

    let listed = run(&["guest", "list", "--control", &control]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let table = text(&listed.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("GUEST"), "{table}");
    assert_eq!(lines.len(), 2, "{table}");
    for word in ["webconference", "1", "0.4.0", "current", "(embedded)"] {
        assert!(
            lines[1].split_whitespace().any(|w| w == word),
            "{word} in {table}"
        );
    }

    let loaded = run(&[
        "guest",
        "load",
        "webconference",
        &component,
        "--control",
        &control,
    ]);
    assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    assert!(
        text(&loaded.stdout).contains("version 2 loaded"),
        "{}",
        text(&loaded.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"junk").unwrap();
    let refused = run(&[
        "guest",
        "load",
        "webconference",
        &garbage.display().to_string(),
        "--control",
        &control,
    ]);
    assert!(!refused.status.success());
    let error = text(&refused.stderr);
    assert!(error.contains("not loaded: guestLoad: refused"), "{error}");

    // The address from the configuration's control.listen.
    let config = dir.path().join("client.toml");
    std::fs::write(&config, format!("[control]\nlisten = \"{control}\"\n")).unwrap();
    let listed = run(&["--config", &config.display().to_string(), "guest", "list"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let table = text(&listed.stdout);
    assert_eq!(
        table.lines().count(),
        2,
        "v1 had no call and is gone:\n{table}"
    );
    assert!(table.contains(&component), "{table}");

    drop(server);
    let unreachable = run(&["guest", "list", "--control", &control]);
    assert!(!unreachable.status.success());
    let error = text(&unreachable.stderr);
    assert!(
        error.contains(&format!("cannot reach the control API at {control}")),
        "{error}"
    );
}

#[test]
fn ctl_shows_and_steers_rooms_for_people_and_in_json_for_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(&dir);
    let server = Server::start_with(&with_control(&token_control(&token)));
    let control = server.control.to_string();
    let ctl = |args: &[&str]| {
        let mut all = vec!["ctl", "--control", &control, "--token-file", &token];
        all.extend_from_slice(args);
        run(&all)
    };
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);

    let rooms = ctl(&["rooms"]);
    assert!(rooms.status.success(), "{}", text(&rooms.stderr));
    assert_eq!(
        text(&rooms.stdout),
        "ROOM  PARTICIPANTS  LOCKED\n123   1             no\n"
    );
    let room = ctl(&["--json", "room", "123"]);
    let json = text(&room.stdout);
    let call = json
        .split("\"call\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a call in {json}"))
        .to_owned();
    assert!(
        json.contains("\"number\": \"<sip:alice@127.0.0.1>\""),
        "{json}"
    );
    let muted = ctl(&["mute", "123", &call]);
    assert_eq!(text(&muted.stdout), "ok\n", "{}", text(&muted.stderr));
    let shown = text(&ctl(&["room", "123"]).stdout);
    assert!(
        shown
            .lines()
            .nth(1)
            .is_some_and(|line| line.contains(" yes ")),
        "muted shows: {shown}"
    );
    let unknown = ctl(&["kick", "123", "c999"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("c999 is not in room 123 (fault 404)"),
        "{}",
        text(&unknown.stderr)
    );
    let kicked = ctl(&["kick", "123", &call]);
    assert!(kicked.status.success(), "{}", text(&kicked.stderr));
    assert!(phone.await_bye(LOG_TIMEOUT), "the kicked caller gets a BYE");

    let without = run(&["ctl", "--control", &control, "rooms"]);
    assert_eq!(without.status.code(), Some(1));
    let error = text(&without.stderr);
    assert!(
        error.contains("401") && error.contains("--token-file"),
        "{error}"
    );
}

/// A bearer token's file in `dir`.
fn token_file(dir: &tempfile::TempDir) -> String {
    let token = dir.path().join("token");
    std::fs::write(&token, "a-token-of-twenty-chars\n").unwrap();
    token.display().to_string()
}

/// The `[control]` section of a server on a loopback port that wants the token of `token`.
fn token_control(token: &str) -> String {
    format!("[control]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"{token}\"\n")
}

/// The `[control]` section of a server on a loopback port that serves HTTPS with a new
/// self-signed certificate, written with its key in `dir` as `name`.pem and `name`-key.pem.
fn https_control(dir: &tempfile::TempDir, name: &str) -> String {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = dir.path().join(format!("{name}.pem"));
    let key = dir.path().join(format!("{name}-key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    format!(
        "[control]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
        cert.display(),
        key.display()
    )
}

/// [`base_config`] with `section` as its `[control]` section.
fn with_control(section: &str) -> String {
    base_config().replace("[control]\nlisten = \"127.0.0.1:0\"\n", section)
}

/// `switchyard guest list ARGS` and `switchyard guest load webconference COMPONENT ARGS`.
fn guest_list_and_load(args: &[&str], component: &str) -> [Output; 2] {
    let guest = |command: &[&str]| run(&[&["guest"], command, args].concat());
    [
        guest(&["list"]),
        guest(&["load", "webconference", component]),
    ]
}

#[test]
fn the_guest_commands_reach_a_server_with_a_token_or_https_as_ctl_does() {
    let dir = tempfile::tempdir().unwrap();
    let component = test_guest_wasm("webconference");
    let written = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let succeeded = |out: &Output| {
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    // Refused, with what to give.
    let refused = |out: &Output, said: &[&str]| {
        let error = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{error}");
        assert!(
            said.iter().all(|part| error.contains(part)),
            "{said:?} in {error}"
        );
    };

    let token = token_file(&dir);
    let server = Server::start_with(&with_control(&token_control(&token)));
    let control = server.control.to_string();
    let given = ["--control", control.as_str(), "--token-file", &token];
    let [listed, loaded] = guest_list_and_load(&given, &component);
    assert!(succeeded(&listed).contains("(embedded)"));
    assert!(succeeded(&loaded).contains("version 2 loaded"));
    let section = token_control(&token).replace("127.0.0.1:0", &control);
    let configured = written("token.toml", &section);
    let [listed, loaded] = guest_list_and_load(&["--config", &configured], &component);
    assert!(succeeded(&listed).contains(&component));
    assert!(succeeded(&loaded).contains("version 3 loaded"));
    for out in guest_list_and_load(&["--control", &control], &component) {
        refused(&out, &["401", "--token-file FILE", "control.token_file"]);
    }
    drop(server);

    let section = https_control(&dir, "server");
    let server = Server::start_with(&with_control(&section));
    let control = server.control.to_string();
    let configured = written("https.toml", &section.replace("127.0.0.1:0", &control));
    let [listed, loaded] = guest_list_and_load(&["--config", &configured], &component);
    assert!(succeeded(&listed).contains("(embedded)"));
    assert!(succeeded(&loaded).contains("version 2 loaded"));
    for out in guest_list_and_load(&["--control", &control], &component) {
        refused(&out, &["serves HTTPS", "control.tls_cert"]);
    }
}

#[test]
fn a_request_taken_and_never_answered_exits_3_apart_from_a_server_not_reached() {
    // Listening but never accepting: the request is taken, and nothing answers it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let silent = listener.local_addr().unwrap().to_string();
    // Each waits the 15 s a reading command waits: side by side.
    let commands = [
        vec!["ctl", "rooms", "--control", &silent],
        vec!["guest", "list", "--control", &silent],
    ]
    .map(|args| {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        std::thread::spawn(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            (args.join(" "), run(&args))
        })
    });
    for command in commands {
        let (args, out) = command.join().unwrap();
        let error = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args}: {error}");
        assert!(
            error.contains("timed out after 15 s") && error.contains("may still carry it out"),
            "{args}: {error}"
        );
    }
    drop(listener);

    // Bound but not listening: nothing is taken, and a retry is safe.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&loopback.into()).unwrap();
    let closed = socket
        .local_addr()
        .unwrap()
        .as_socket()
        .unwrap()
        .to_string();
    for args in [
        ["ctl", "kick", "123", "c1", "--control", &closed].as_slice(),
        ["guest", "list", "--control", &closed].as_slice(),
    ] {
        let out = run(args);
        let error = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {error}");
        assert!(error.contains("cannot reach the control API"), "{error}");
    }
}

/// A control API that takes one request whole, sends `answer` (nothing: it does not answer)
/// and closes the connection: its address, and what ends with the request's text.
fn answering_once(answer: &str) -> (String, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let answer = answer.to_owned();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let address = listener.local_addr().unwrap().to_string();
    let taker = std::thread::spawn(move || {
        let (mut connection, _) = listener.accept().expect("a connection");
        connection
            .set_read_timeout(Some(LOG_TIMEOUT))
            .expect("a read timeout");
        let mut request = Vec::new();
        let mut chunk = [0; 4096];
        while !String::from_utf8_lossy(&request).contains("</methodCall>") {
            match connection.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(read) => request.extend_from_slice(&chunk[..read]),
            }
        }
        connection
            .write_all(answer.as_bytes())
            .expect("the answer sent");
        text(&request)
    });
    (address, taker)
}

#[test]
fn ctl_reload_prints_what_it_did_and_exits_0_once_loaded_1_when_refused_3_unanswered() {
    let config = base_config();
    let server = Server::start_with(&config);
    let control = server.control.to_string();
    let path = server.config_file();
    let reload = || run(&["ctl", "--control", &control, "reload"]);

    let table = "[guests.webconference.config]\nmaster_password = \"second\"\n";
    let changed = format!("{config}{table}").replace("workers = 2", "workers = 3");
    std::fs::write(&path, &changed).unwrap();
    let loaded = reload();
    assert_eq!(loaded.status.code(), Some(0), "{}", text(&loaded.stderr));
    assert_eq!(
        text(&loaded.stdout),
        format!(
            "reloaded {}\n\
             applied: [guests.webconference]\n\
             loaded: webconference version 2\n\
             waits for a restart: media.workers\n",
            path.display()
        )
    );

    std::fs::write(&path, format!("{changed}predefined_rooms = \"101\"\n")).unwrap();
    let refused = reload();
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
    assert!(
        text(&refused.stdout).contains("refused: webconference: guestLoad: refused:"),
        "{}",
        text(&refused.stdout)
    );
    assert!(
        text(&refused.stderr).contains("configReload: 1 guest(s) refused their new settings"),
        "{}",
        text(&refused.stderr)
    );

    let broken_line = changed.lines().count() + 1;
    std::fs::write(&path, format!("{changed}[sip\n")).unwrap();
    let broken = reload();
    assert_eq!(broken.status.code(), Some(1));
    let error = text(&broken.stderr);
    let located = format!("configReload: {}:{broken_line}:", path.display());
    assert!(
        error.contains(&located) && error.contains("(fault 422)"),
        "{located} in {error}"
    );
    assert!(broken.stdout.is_empty(), "{}", text(&broken.stdout));

    let (silent, taker) = answering_once("");
    let unanswered = run(&["ctl", "--control", &silent, "reload"]);
    assert!(taker.join().unwrap().contains("configReload"));
    assert_eq!(
        unanswered.status.code(),
        Some(3),
        "{}",
        text(&unanswered.stderr)
    );
}

#[test]
fn a_table_answered_as_a_struct_fails_ctl_and_guest_list_naming_the_function() {
    let body = "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
                </struct></value></param></params></methodResponse>";
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    for (args, function) in [
        (&["ctl", "rooms"][..], "switchyard.rooms"),
        (&["ctl", "--json", "guests"], "guestList"),
        (&["guest", "list"], "guestList"),
    ] {
        let (control, taker) = answering_once(&answer);
        let out = run(&[args, &["--control", &control]].concat());
        assert!(taker.join().unwrap().contains(function), "{args:?}");
        let error = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {error}");
        assert!(
            error.contains(&format!("{function} answered Struct([]), not an array")),
            "{args:?}: {error}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
    }
}

#[test]
fn an_answer_piped_to_a_reader_that_has_gone_ends_quietly_with_exit_0() {
    let server = Server::start();
    let control = server.control.to_string();
    for args in [
        vec!["guest", "list"],
        vec!["ctl", "rooms"],
        vec!["ctl", "--json", "rooms"],
        vec!["ctl", "guests"],
    ] {
        // The reader is gone before anything is written, as `| head` is after its lines.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(binary())
            .args(&args)
            .args(["--control", &control])
            .stdout(writer)
            .output()
            .expect("running switchyard");
        assert_eq!(
            (output.status.code(), text(&output.stderr)),
            (Some(0), String::new()),
            "switchyard {args:?} into a closed pipe"
        );
    }
}

#[test]
fn ctl_speaks_https_to_a_server_with_a_certificate_and_trusts_only_that_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = |section: &str, name: &str| {
        let text = with_control(section);
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        (text, path.display().to_string())
    };
    let (served, own) = config(&https_control(&dir, "server"), "server.toml");
    let (_, other) = config(&https_control(&dir, "other"), "other.toml");
    let server = Server::start_with(&served);
    let control = server.control.to_string();
    let ctl = |config: Option<&str>| {
        let mut args = Vec::new();
        if let Some(config) = config {
            args.extend(["--config", config]);
        }
        args.extend(["ctl", "--control", &control, "rooms"]);
        run(&args)
    };

    let rooms = ctl(Some(&own));
    assert!(rooms.status.success(), "{}", text(&rooms.stderr));
    assert_eq!(text(&rooms.stdout), "ROOM  PARTICIPANTS  LOCKED\n");
    // The server's private key is the server's: a client that cannot read it (here, gone)
    // reads the certificate alone.
    std::fs::remove_file(dir.path().join("server-key.pem")).unwrap();
    let rooms = ctl(Some(&own));
    assert!(rooms.status.success(), "{}", text(&rooms.stderr));

    let untrusted = ctl(Some(&other));
    assert_eq!(untrusted.status.code(), Some(1));
    let error = text(&untrusted.stderr);
    assert!(
        error.contains("the server's certificate is not the one in control.tls_cert")
            && error.contains("other.pem"),
        "{error}"
    );

    let plain = ctl(None);
    assert_eq!(plain.status.code(), Some(1));
    let error = text(&plain.stderr);
    assert!(
        error.contains("serves HTTPS") && error.contains("control.tls_cert"),
        "{error}"
    );
}

/// `switchyard guest new NAME --dir DIR` with its stdout `stdout`.
fn guest_new_into(name: &str, dir: &Path, stdout: Stdio) -> Output {
    Command::new(binary())
        .args(["guest", "new", name, "--dir"])
        .arg(dir)
        .stdout(stdout)
        .output()
        .expect("running switchyard")
}

#[test]
fn guest_new_with_its_stdout_full_fails_with_a_message_and_makes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("full1");
    let out = guest_new_into("full1", &crate_dir, dev_full());
    let stderr = failure_stderr(&out);
    assert!(
        stderr.starts_with("switchyard: cannot write the answer to stdout:"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!crate_dir.exists(), "{} left behind", crate_dir.display());

    // A reader gone is no failure: the crate is made.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = guest_new_into("gone1", &dir.path().join("gone1"), writer.into());
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (Some(0), String::new())
    );
    assert!(dir.path().join("gone1/Cargo.toml").is_file());
}

#[test]
fn a_configuration_or_sems_file_that_never_ends_is_refused_at_the_limit() {
    for command in ["check-config", "import-sems-config"] {
        let out = run_within([command, "/dev/zero"], command);
        assert_eq!(
            (out.status.code(), text(&out.stderr)),
            (
                Some(1),
                "/dev/zero: cannot read: larger than 16 MiB, the most a configuration file may \
                 be\n"
                    .to_owned()
            ),
            "{command}"
        );
    }
}

#[test]
fn a_token_file_that_is_a_device_is_refused_unread_by_check_config_and_past_its_limit_by_ctl() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(&dir);
    let refused = "/dev/zero: cannot read: not a regular file (a FIFO, a device or a directory)";
    for (key, control) in [
        ("control.token_file", token_control("/dev/zero")),
        (
            "control.read_token_file",
            format!("{}read_token_file = \"/dev/zero\"\n", token_control(&token)),
        ),
    ] {
        let config = config_file(&dir, &control);
        let out = run_within(["check-config", &config], key);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{key}: {stderr}");
        assert!(
            stderr.starts_with(&format!("{config}:"))
                && stderr.contains(&format!("{key}: {refused}")),
            "{key}: {stderr}"
        );
    }
    let out = run_within(
        [
            "ctl",
            "--control",
            "127.0.0.1:1",
            "--token-file",
            "/dev/zero",
            "rooms",
        ],
        "ctl --token-file /dev/zero",
    );
    // A client run by hand reads what it is given, a pipe too, only so much of it.
    let stderr = failure_stderr(&out);
    assert!(
        stderr.contains("/dev/zero: cannot read: larger than 64 KiB, the most a token file may be"),
        "{stderr}"
    );
}

#[test]
fn ctl_takes_its_token_through_a_pipe() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(&dir);
    let server = Server::start_with(&with_control(&token_control(&token)));
    let control = server.control.to_string();
    let rooms = ["ctl", "--control", &control, "--token-file"];
    let from_the_file = run(&[&rooms[..], &[&token, "rooms"]].concat());
    assert!(
        from_the_file.status.success(),
        "{}",
        text(&from_the_file.stderr)
    );

    let (stdin, mut writer) = std::io::pipe().unwrap();
    writer
        .write_all(&std::fs::read(&token).unwrap())
        .expect("the token, within a pipe's buffer");
    drop(writer);
    let piped = Command::new(binary())
        .args([&rooms[..], &["/dev/stdin", "rooms"]].concat())
        .stdin(stdin)
        .output()
        .expect("running switchyard");
    assert_eq!(
        (
            piped.status.code(),
            text(&piped.stderr),
            text(&piped.stdout)
        ),
        (Some(0), String::new(), text(&from_the_file.stdout))
    );
}

#[test]
fn a_token_file_one_byte_past_its_limit_is_refused_though_its_first_line_is_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "a-token-of-twenty-chars\n").unwrap();
    // Sparse: the rest of it is zeros on no disk.
    grow_sparse(&token, (64 << 10) + 1);
    let token = token.display().to_string();
    let config = config_file(&dir, &token_control(&token));
    let stderr = failure_stderr(&run(&["check-config", &config]));
    assert!(
        stderr.contains(&format!(
            "control.token_file: {token}: cannot read: larger than 64 KiB, the most a token file may be"
        )),
        "{stderr}"
    );
}

#[test]
fn a_component_past_the_loaders_limit_is_refused_when_check_config_reads_its_config_keys() {
    let dir = tempfile::tempdir().unwrap();
    // One too large; its guest has a config table, which the check reads the component for
    // (the keys it declares).
    let large = oversized_component(&dir);
    let (bad, line) = guest_config_file(
        &dir,
        "",
        "large",
        &large,
        "[guests.large.config]\nkey = 1\n",
    );
    let checked = text(&run(&["check-config", &bad]).stderr);
    assert_eq!(
        checked,
        format!(
            "{bad}:{line}:1: guests.large.wasm: {}: larger than 256 MiB, the most a component \
             may be\n",
            large.display()
        )
    );
}

#[test]
fn check_config_names_a_component_that_is_no_webassembly_on_one_line_for_a_guest_with_a_table() {
    let dir = tempfile::tempdir().unwrap();
    // The table has the check read the keys the component declares, before it loads.
    let (bad, line) = guest_config_file(
        &dir,
        "",
        "junk",
        &junk_component(&dir),
        "[guests.junk.config]\ntime_limit_s = 600\n",
    );
    let stderr = failure_stderr(&run(&["check-config", &bad]));
    assert!(
        stderr.starts_with(&format!(
            "{bad}:{line}:1: guests.junk.wasm: not a readable component: "
        )) && stderr.contains("bad magic number"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn guest_load_refuses_a_file_name_xml_rpc_cannot_carry_before_reaching_for_the_server() {
    use std::os::unix::ffi::OsStrExt as _;
    for (file, why) in [
        (
            &b"/tmp/a\x01.wasm"[..],
            "/tmp/a\\u{1}.wasm: the file name has \\u{1}, a character XML-RPC cannot carry",
        ),
        (
            b"/tmp/caf\xe9.wasm",
            "/tmp/caf\u{fffd}.wasm: the file name is not UTF-8, which XML-RPC cannot carry",
        ),
    ] {
        // Nothing listens there: a request would fail as the server not reached.
        let out = run_within(
            [
                OsStr::new("guest"),
                OsStr::new("load"),
                OsStr::new("webconference"),
                OsStr::from_bytes(file),
                OsStr::new("--control"),
                OsStr::new("127.0.0.1:1"),
            ],
            "guest load",
        );
        assert_eq!(
            (out.status.code(), text(&out.stderr)),
            (Some(1), format!("switchyard: {why}\n"))
        );
    }
}

#[test]
fn guest_new_failing_removes_the_parents_it_made_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let there = dir.path().join("a");
    std::fs::create_dir(&there).unwrap();
    std::fs::write(there.join("other"), "not made by guest new").unwrap();
    let out = guest_new_into("full2", &there.join("b/c/full2"), dev_full());
    failure_stderr(&out);
    let left: Vec<_> = std::fs::read_dir(&there)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(left, ["other"], "left in {}", there.display());
}
