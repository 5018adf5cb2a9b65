//! `switchyard guest load|list`: the control API's guest functions from
//! the command line, with human output.

use crate::cli_output;
use crate::cli_table::table;
use crate::control_client::{self, ControlApi};
use crate::control_connection::advice;
use crate::guest_loader::EMBEDDED;
use std::path::Path;
use std::process::ExitCode;
use switchyard_control::Value;
use switchyard_control::xmlrpc::{encode_method_call, parse_method_call};

/// `guestLoad(name, file)` on the control API `api`: the server reads `file` from its own
/// file system, at the path [`server_path`] gives (a `file` whose name XML-RPC cannot carry
/// is refused here, exit 1, before any request). Its answer is waited for
/// [`control_client::CHANGE_WAIT`] at most (the server compiles the component): exit 0
/// once loaded, [`UNANSWERED`] when it took the request and no answer came, in time or at
/// all (it may have loaded it, or still load it), else 1 (a refusal of how it came followed
/// by the flag or key to give: [`advice`]).
pub fn load(api: &ControlApi<'_>, name: &str, file: &Path) -> ExitCode {
    let file = match server_path(file) {
        Ok(file) => file,
        Err(problem) => return fail(problem),
    };
    let params = [Value::String(name.to_owned()), Value::String(file.clone())];
    match control_client::call(api, "guestLoad", &params, control_client::CHANGE_WAIT) {
        Ok(Ok(Value::Int(version))) => cli_output::print(&format!(
            "guest {name}: version {version} loaded from {file}; new calls go to it\n"
        )),
        Ok(Ok(other)) => fail_unexpected("guestLoad", &other, "a version number"),
        Ok(Err(fault)) => fail(format!("guest {name}: not loaded: {}", fault.message)),
        Err(e) => fail_call(&e, advice(&e)),
    }
}

/// The path the server is to read `file` at: made absolute from this process's directory,
/// but for [`EMBEDDED`], the component built into the server; else the problem: a path that
/// cannot be made absolute, or a name an XML-RPC string cannot carry (it would name another
/// file): one that is not UTF-8, or has a character XML 1.0 cannot hold (a control character
/// but tab, LF and CR; U+FFFE; U+FFFF).
fn server_path(file: &Path) -> Result<String, String> {
    let path = match std::path::absolute(file) {
        _ if file == Path::new(EMBEDDED) => file.to_owned(),
        Ok(path) => path,
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    let refused = |why: String| format!("{}: the file name {why}", file.display());
    let path = path
        .into_os_string()
        .into_string()
        .map_err(|_| refused("is not UTF-8, which XML-RPC cannot carry".into()))?;
    match path.chars().find(|&c| !carried_as_is(c)) {
        None => Ok(path),
        Some(c) => Err(refused(format!(
            "has {}, a character XML-RPC cannot carry",
            c.escape_unicode()
        ))),
    }
}

/// Whether the server reads `c` back as it is from an XML-RPC call that carries it: the
/// encoder writes a character XML cannot hold as U+FFFD.
fn carried_as_is(c: char) -> bool {
    let sent = [Value::String(c.into())];
    let call = encode_method_call("guestLoad", &sent);
    parse_method_call(call.as_bytes()).is_ok_and(|(_, read)| read == sent)
}

/// `guestList()` on the control API `api`, as a table: one line per version;
/// its answer waited for [`control_client::READ_WAIT`] at most (exit
/// [`UNANSWERED`] then, as every command of the control API does), else as
/// [`load`] fails.
pub fn list(api: &ControlApi<'_>) -> ExitCode {
    match control_client::call(api, "guestList", &[], control_client::READ_WAIT) {
        Ok(Ok(Value::Array(versions))) => cli_output::print(&table(&COLUMNS, &versions)),
        Ok(Ok(other)) => fail_unexpected("guestList", &other, "an array"),
        Ok(Err(fault)) => fail(format!("guestList: {}", fault.message)),
        Err(e) => fail_call(&e, advice(&e)),
    }
}

/// `guestList`'s columns: title and struct member.
pub const COLUMNS: [(&str, &str); 7] = [
    ("GUEST", "name"),
    ("VERSION", "version"),
    ("WIT", "wit_version"),
    ("STATE", "state"),
    ("CALLS", "live_calls"),
    ("LOADED AT (UTC)", "loaded_at"),
    ("FILE", "file"),
];

/// Prints `message` as the command's error, its control characters but
/// newlines escaped (it may quote the server: [`cli_output::literal`]); exit 1.
pub fn fail(message: String) -> ExitCode {
    eprintln!("switchyard: {}", cli_output::literal(&message, true));
    ExitCode::FAILURE
}

/// Prints, as [`fail`] does, that the control API's function `method` answered `answer`,
/// not what the command takes (`expected`, e.g. "an array"); exit 1.
pub fn fail_unexpected(method: &str, answer: &Value, expected: &str) -> ExitCode {
    fail(format!("{method} answered {answer:?}, not {expected}"))
}

/// The exit code of a command whose request the server took and did not
/// answer: not in time ([`control_client::Unanswered`]), or closing the
/// connection before its whole answer ([`control_client::CutOff`]). It may
/// have carried the request out, or still may, so a script is not to repeat
/// it as it may one that exits 1 (a server that resets the connection did not
/// take the request; clap exits 2 for a command line it refuses).
pub const UNANSWERED: u8 = 3;

/// Prints `error` (of [`control_client::call`]) and then `advice` as
/// [`fail`] does; exit [`UNANSWERED`] when the server took the request and
/// did not answer ([`control_client::unanswered`]), else 1.
pub fn fail_call(error: &anyhow::Error, advice: &str) -> ExitCode {
    let code = fail(format!("{error:#}{advice}"));
    if control_client::unanswered(error) {
        return ExitCode::from(UNANSWERED);
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Command, GuestCommand};

    /// Whether `switchyard ARGS` is a command line `switchyard` takes; one it refuses
    /// exits 2, as clap's usage errors do.
    fn taken(args: &[&str]) -> bool {
        let parsed = Cli::try_parse_args([&["switchyard"], args].concat());
        if let Err(refused) = &parsed {
            assert_eq!(refused.exit_code(), 2, "{args:?}: {refused}");
        }
        parsed.is_ok()
    }

    #[test]
    fn only_the_guest_commands_that_reach_a_server_take_its_address_and_token() {
        let (control, token) = (["--control", "127.0.0.1:8090"], ["--token-file", "token"]);
        let config = ["--config", "switchyard.toml"];
        let reach = [control, token, config].concat();
        let (load, operands) = (["guest", "load"], ["webconference", "a.wasm"]);
        assert!(taken(&[&load[..], &operands, &reach].concat()));
        assert!(taken(&[&load[..], &reach, &operands].concat()));
        assert!(taken(&[&["guest", "list"], &reach[..]].concat()));
        assert!(taken(&[&["ctl", "rooms"], &reach[..]].concat()));
        assert!(taken(&[&["ctl"], &reach[..], &["rooms"]].concat()));
        let new = ["guest", "new", "flow"];
        assert!(taken(&new));
        assert!(!taken(&[&new[..], &token].concat()));
        assert!(!taken(&[&new[..], &control].concat()));
        assert!(!taken(&[&new[..], &config].concat()));
    }

    #[test]
    fn only_the_server_and_the_commands_that_reach_it_take_a_configuration() {
        let config = ["--config", "switchyard.toml"];
        assert!(taken(&config));
        for command in [
            &["ctl", "rooms"][..],
            &["guest", "list"],
            &["guest", "load", "webconference", "a.wasm"],
        ] {
            assert!(taken(&[&config[..], command].concat()), "{command:?}");
            assert!(taken(&[command, &config[..]].concat()), "{command:?}");
            let twice = [&config[..], command, &["--config", "other.toml"]].concat();
            assert!(!taken(&twice), "{twice:?}");
        }
        assert!(taken(&[&["ctl"], &config[..], &["rooms"]].concat()));
        for command in [
            &["check-config", "other.toml"][..],
            &["import-sems-config", "webconference.conf"],
            &["guest", "new", "flow"],
        ] {
            assert!(taken(command), "{command:?}");
            assert!(!taken(&[&config[..], command].concat()), "{command:?}");
            assert!(!taken(&[command, &config[..]].concat()), "{command:?}");
        }
    }

    /// Why `switchyard ARGS` is refused (exit 2).
    fn refusal(args: &[&str]) -> String {
        let refused = Cli::try_parse_args([&["switchyard"], args].concat()).expect_err("refused");
        assert_eq!(refused.exit_code(), 2, "{args:?}: {refused}");
        refused.to_string()
    }

    #[test]
    fn a_configuration_given_twice_after_the_command_is_refused_as_one_before_and_after() {
        let before_and_after = refusal(&["--config", "a.toml", "ctl", "rooms", "--config", "b"]);
        assert!(
            before_and_after.contains("--config is given both before the command and after it"),
            "{before_and_after}"
        );
        for twice in [
            &["ctl", "--config", "a.toml", "rooms", "--config", "b.toml"][..],
            &["ctl", "--config=a.toml", "room", "101", "--config=b.toml"],
            &["guest", "--config", "a.toml", "list", "--config", "b.toml"],
            &[
                "guest", "--config", "a.toml", "load", "w", "a.wasm", "--config", "b",
            ],
        ] {
            assert_eq!(refusal(twice), before_and_after, "{twice:?}");
        }
        // After `--`, an operand: a room named --config.
        assert!(taken(&[
            "ctl", "--config", "a.toml", "room", "--", "--config"
        ]));
    }

    #[test]
    fn a_configuration_between_guest_and_load_or_list_is_theirs_and_refused_for_new() {
        for command in [&["list"][..], &["load", "webconference", "a.wasm"]] {
            let args = [&["switchyard", "guest", "--config", "x.toml"][..], command].concat();
            let cli = Cli::try_parse_args(args).expect("taken");
            let Some(Command::Guest {
                command: GuestCommand::Load { reach, .. } | GuestCommand::List { reach },
                ..
            }) = cli.command
            else {
                panic!("{command:?}: not guest load or list");
            };
            assert_eq!(
                reach.config.as_deref(),
                Some(Path::new("x.toml")),
                "{command:?}"
            );
        }
        assert!(
            refusal(&["guest", "--config", "x.toml", "new", "flow"])
                .contains("--config is taken only by the server (no command), ctl, guest load"),
        );
    }

    #[test]
    fn a_file_name_that_is_not_utf8_is_refused_before_any_request() {
        use std::os::unix::ffi::OsStrExt as _;
        let file = Path::new(std::ffi::OsStr::from_bytes(b"/tmp/caf\xe9.wasm"));
        assert_eq!(
            server_path(file),
            Err(
                "/tmp/caf\u{fffd}.wasm: the file name is not UTF-8, which XML-RPC cannot carry"
                    .into()
            )
        );
        assert_eq!(
            server_path(Path::new("/tmp/café.wasm")).as_deref(),
            Ok("/tmp/café.wasm")
        );
        assert_eq!(server_path(Path::new(EMBEDDED)).as_deref(), Ok(EMBEDDED));
        let relative = server_path(Path::new("a.wasm")).unwrap();
        assert_eq!(
            Path::new(&relative),
            std::env::current_dir().unwrap().join("a.wasm")
        );
    }

    #[test]
    fn a_file_name_with_a_character_xml_cannot_hold_is_refused_before_any_request() {
        for (name, shown) in [
            ("/tmp/a\x01.wasm", "\\u{1}"),
            ("/tmp/a\x1b.wasm", "\\u{1b}"),
            ("/tmp/a\u{fffe}.wasm", "\\u{fffe}"),
        ] {
            assert_eq!(
                server_path(Path::new(name)),
                Err(format!(
                    "{name}: the file name has {shown}, a character XML-RPC cannot carry"
                )),
                "{name:?}"
            );
        }
        // Tab, CR and LF, a C1 control and markup, which XML holds (CR as &#13;), are taken.
        for name in ["/tmp/a\tb\r\n.wasm", "/tmp/a\u{85}&<b>.wasm"] {
            assert_eq!(
                server_path(Path::new(name)).as_deref(),
                Ok(name),
                "{name:?}"
            );
        }
    }

    #[test]
    fn versions_are_shown_in_aligned_columns() {
        let version = |n: i32, state: &str, calls: i32| {
            Value::Struct(vec![
                ("name".into(), Value::String("webconference".into())),
                ("version".into(), Value::Int(n)),
                ("wit_version".into(), Value::String("0.2.0".into())),
                ("file".into(), Value::String("/a.wasm".into())),
                (
                    "loaded_at".into(),
                    Value::DateTime("20261202T02:33:00".into()),
                ),
                ("live_calls".into(), Value::Int(calls)),
                ("state".into(), Value::String(state.into())),
            ])
        };
        let shown = table(
            &COLUMNS,
            &[version(1, "draining", 12), version(2, "current", 0)],
        );
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 3, "{shown}");
        assert!(
            lines[0].starts_with("GUEST          VERSION  WIT    STATE     CALLS"),
            "{shown}"
        );
        assert!(
            lines[1]
                .starts_with("webconference  1        0.2.0  draining  12     20261202T02:33:00"),
            "{shown}"
        );
        assert!(
            lines[2].ends_with("current   0      20261202T02:33:00  /a.wasm"),
            "{shown}"
        );
    }

    #[test]
    fn a_request_taken_and_unanswered_exits_apart_from_other_failures() {
        let unanswered = anyhow::Error::new(control_client::Unanswered(
            std::time::Duration::from_secs(120),
        ))
        .context("control API at 127.0.0.1:1");
        assert_eq!(fail_call(&unanswered, ""), ExitCode::from(UNANSWERED));
        assert_eq!(
            fail_call(&anyhow::anyhow!("cannot reach"), ""),
            ExitCode::FAILURE
        );
        let refused = anyhow::Error::new(control_client::Refusal::Https);
        assert_eq!(fail_call(&refused, "; say so"), ExitCode::FAILURE);
    }
}
