//! `switchyard ctl …`: the control API from the command line: rooms, participants, mute,
//! kick, lock, dial-out, recordings, guests and the configuration's reload, as tables for
//! people or JSON (`--json`) for scripts. Each command is one XML-RPC call of the host's
//! functions, so it answers what REST and XML-RPC answer.

use crate::cli_output;
use crate::cli_table::table;
use crate::control_client::{self, ControlApi};
use crate::control_connection::advice;
use crate::guest_cli::{self, fail, fail_call, fail_unexpected};
use clap::Subcommand;
use std::process::ExitCode;
use std::time::Duration;
use switchyard_control::Value;

/// A command of `switchyard ctl`.
#[derive(Debug, Subcommand)]
pub enum CtlCommand {
    /// Every room: its participants and whether it is locked.
    Rooms,
    /// A room's participants.
    Room {
        /// The room.
        room: String,
    },
    /// Mutes a participant (it hears the room, nothing it says is mixed).
    Mute {
        /// The room.
        room: String,
        /// The participant's call (as `room` lists it, e.g. c12).
        call: String,
    },
    /// Unmutes a participant.
    Unmute {
        /// The room.
        room: String,
        /// The participant's call.
        call: String,
    },
    /// Hangs up a participant.
    Kick {
        /// The room.
        room: String,
        /// The participant's call.
        call: String,
    },
    /// Locks a room: nobody new may join it.
    Lock {
        /// The room.
        room: String,
    },
    /// Unlocks a room.
    Unlock {
        /// The room.
        room: String,
    },
    /// Calls a SIP URI into a room that exists; prints the new call's id.
    Dialout {
        /// The room.
        room: String,
        /// The URI to call, e.g. sip:bob@192.0.2.9.
        uri: String,
    },
    /// Records a room's mix into NAME (a .wav file of recording.dir).
    Record {
        /// The room.
        room: String,
        /// The file name.
        name: String,
        /// Each participant's own audio to `NAME-<call>.wav` as well.
        #[arg(long)]
        tracks: bool,
    },
    /// Ends a room's recording.
    StopRecording {
        /// The room.
        room: String,
    },
    /// The recordings: name, size and time.
    Recordings,
    /// Every loaded version of every guest, with its live calls.
    Guests,
    /// Reads the server's configuration file again, as SIGHUP does, and prints what it
    /// applied, the guest versions it loaded, each changed key that waits for a restart and
    /// each guest that refused its new settings (exit 1 then, as for a file that does not
    /// load).
    Reload,
}

/// What a command calls, and how its answer is shown to a person.
struct Call {
    method: &'static str,
    params: Vec<Value>,
    shown: Shown,
}

/// How an answer is shown to a person.
enum Shown {
    /// A table of the answer's array, or of one member of its struct.
    Table(
        &'static [(&'static str, &'static str)],
        Option<&'static str>,
    ),
    /// "ok".
    Done,
    /// The answer as it is (a call id).
    Text,
    /// A reload's report ([`reload_report`]).
    Reload,
}

const ROOMS: &[(&str, &str)] = &[
    ("ROOM", "room"),
    ("PARTICIPANTS", "participants"),
    ("LOCKED", "locked"),
];
const PARTICIPANTS: &[(&str, &str)] = &[
    ("CALL", "call"),
    ("NUMBER", "number"),
    ("STATUS", "status"),
    ("REASON", "reason"),
    ("MUTED", "muted"),
    ("TALKING", "talking"),
];
const RECORDINGS: &[(&str, &str)] = &[
    ("NAME", "name"),
    ("BYTES", "bytes"),
    ("MODIFIED (s since 1970)", "modified"),
];

impl CtlCommand {
    /// How long its answer may take: a command that only reads is answered
    /// within seconds by a server that is not stuck.
    fn wait(&self) -> Duration {
        match self {
            CtlCommand::Rooms
            | CtlCommand::Room { .. }
            | CtlCommand::Recordings
            | CtlCommand::Guests => control_client::READ_WAIT,
            _ => control_client::CHANGE_WAIT,
        }
    }

    fn call(self) -> Call {
        let host = |method: &'static str, params: Vec<String>, shown| Call {
            method,
            params: params.into_iter().map(Value::String).collect(),
            shown,
        };
        match self {
            CtlCommand::Rooms => host("switchyard.rooms", vec![], Shown::Table(ROOMS, None)),
            CtlCommand::Room { room } => host(
                "switchyard.room",
                vec![room],
                Shown::Table(PARTICIPANTS, Some("participants")),
            ),
            CtlCommand::Mute { room, call } => {
                host("switchyard.mute", vec![room, call], Shown::Done)
            }
            CtlCommand::Unmute { room, call } => {
                host("switchyard.unmute", vec![room, call], Shown::Done)
            }
            CtlCommand::Kick { room, call } => {
                host("switchyard.kick", vec![room, call], Shown::Done)
            }
            CtlCommand::Lock { room } => host("switchyard.lock", vec![room], Shown::Done),
            CtlCommand::Unlock { room } => host("switchyard.unlock", vec![room], Shown::Done),
            CtlCommand::Dialout { room, uri } => {
                host("switchyard.dialout", vec![room, uri], Shown::Text)
            }
            CtlCommand::Record { room, name, tracks } => {
                let mut call = host("switchyard.startRecording", vec![room, name], Shown::Done);
                if tracks {
                    call.params.push(Value::Bool(true));
                }
                call
            }
            CtlCommand::StopRecording { room } => {
                host("switchyard.stopRecording", vec![room], Shown::Done)
            }
            CtlCommand::Recordings => host(
                "switchyard.recordings",
                vec![],
                Shown::Table(RECORDINGS, None),
            ),
            CtlCommand::Guests => {
                host("guestList", vec![], Shown::Table(&guest_cli::COLUMNS, None))
            }
            CtlCommand::Reload => host("configReload", vec![], Shown::Reload),
        }
    }
}

/// Runs `command` against the control API `api`: exit 0 with the answer on stdout; else the
/// reason on stderr, with exit [`guest_cli::UNANSWERED`] (3) when the server took the request
/// and did not answer in time, or closed the connection before its whole answer (it may have
/// carried it out), and 1 otherwise (a fault, an answer not of the shape the command takes,
/// named with the function, or a server not asked: one that resets the connection did not
/// take the request). A reload's report that names guests refusing their new settings is
/// printed, and exit 1 too.
pub fn run(api: &ControlApi<'_>, json: bool, command: CtlCommand) -> ExitCode {
    let wait = command.wait();
    let Call {
        method,
        params,
        shown,
    } = command.call();
    let answer = match control_client::call(api, method, &params, wait) {
        Ok(Ok(answer)) => answer,
        Ok(Err(fault)) => {
            return fail(format!(
                "{method}: {} (fault {})",
                fault.message, fault.code
            ));
        }
        Err(e) => return fail_call(&e, advice(&e)),
    };
    // The shape is checked for JSON too: a script is not to take another one for the answer.
    let text = match (shown_to_person(&shown, &answer), json) {
        (Err(expected), _) => return fail_unexpected(method, &answer, &expected),
        (Ok(_), true) => format!("{:#}\n", switchyard_control::json::to_json(&answer)),
        (Ok(text), false) => text,
    };
    let printed = cli_output::print(&text);
    match guests_refusing(&shown, &answer) {
        Some(refused) if printed == ExitCode::SUCCESS => fail(refused),
        _ => printed,
    }
}

/// What the command is to fail with when `answer`, shown as `shown`, is a reload's report
/// that names guests refusing their new settings: how many.
fn guests_refusing(shown: &Shown, answer: &Value) -> Option<String> {
    let Shown::Reload = shown else {
        return None;
    };
    let refused = members(answer, "refused");
    (!refused.is_empty()).then(|| {
        format!(
            "configReload: {} guest(s) refused their new settings: each keeps its running \
             version and settings",
            refused.len()
        )
    })
}

/// `answer` as `shown` shows it to a person; else, when it is not of the shape `shown`
/// takes, that shape (e.g. "an array").
fn shown_to_person(shown: &Shown, answer: &Value) -> Result<String, String> {
    match (shown, answer) {
        (Shown::Table(columns, None), Value::Array(rows)) => Ok(table(columns, rows)),
        (Shown::Table(_, None), _) => Err("an array".to_owned()),
        (Shown::Table(columns, Some(name)), _) => match member(answer, name) {
            Some(Value::Array(rows)) => Ok(table(columns, rows)),
            _ => Err(format!("a struct whose member {name} is an array")),
        },
        (Shown::Text, Value::String(text)) => Ok(format!("{}\n", cli_output::literal(text, false))),
        (Shown::Text, _) => Err("a string".to_owned()),
        (Shown::Done, _) => Ok("ok\n".to_owned()),
        (Shown::Reload, Value::Struct(_)) => Ok(reload_report(answer)),
        (Shown::Reload, _) => Err("a struct".to_owned()),
    }
}

/// A reload's report for a person: the file, the sections and tables applied, then a line
/// for each guest version loaded, each key waiting for a restart (with why, when there is
/// more to say than that it is read only at start) and each guest's refusal.
fn reload_report(report: &Value) -> String {
    let applied: Vec<String> = members(report, "applied").iter().map(shown).collect();
    let applied = match applied.is_empty() {
        true => "none".to_owned(),
        false => applied.join(", "),
    };
    let mut lines = vec![
        format!("reloaded {}", member_shown(report, "file")),
        format!("applied: {applied}"),
    ];
    for guest in members(report, "guests") {
        lines.push(format!(
            "loaded: {} version {}",
            member_shown(guest, "name"),
            member_shown(guest, "version")
        ));
    }
    for waiting in members(report, "waiting") {
        let why = member_shown(waiting, "why");
        let why = match why.is_empty() {
            true => String::new(),
            false => format!(" ({why})"),
        };
        lines.push(format!(
            "waits for a restart: {}{why}",
            member_shown(waiting, "key")
        ));
    }
    for refused in members(report, "refused") {
        lines.push(format!(
            "refused: {}: {}",
            member_shown(refused, "name"),
            member_shown(refused, "message")
        ));
    }
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// The items of the array member `name` of the struct `value`; none when it has no such
/// member.
fn members<'a>(value: &'a Value, name: &str) -> &'a [Value] {
    match member(value, name) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// The member `name` of the struct `value`, [`shown`]; `?` when it has none.
fn member_shown(value: &Value, name: &str) -> String {
    member(value, name).map_or_else(|| "?".to_owned(), shown)
}

/// The member `name` of the struct `value`.
fn member<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let Value::Struct(members) = value else {
        return None;
    };
    members
        .iter()
        .find(|(member, _)| member == name)
        .map(|(_, value)| value)
}

/// A string or a number as text, a string's control characters escaped
/// ([`cli_output::literal`]);
/// anything else as its debug form.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => cli_output::literal(text, false),
        Value::Int(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_asks_for_tracks_only_when_told_to() {
        let record = |tracks| CtlCommand::Record {
            room: "7".into(),
            name: "board".into(),
            tracks,
        };
        let named = [Value::String("7".into()), Value::String("board".into())];
        assert_eq!(record(false).call().params, named);
        let tracked = [named.to_vec(), vec![Value::Bool(true)]].concat();
        assert_eq!(record(true).call().params, tracked);
    }

    #[test]
    fn a_room_is_shown_as_its_participants() {
        let room = Value::Struct(vec![
            ("room".into(), Value::String("123".into())),
            (
                "participants".into(),
                Value::Array(vec![Value::Struct(vec![
                    ("call".into(), Value::String("c1".into())),
                    ("number".into(), Value::String("alice".into())),
                    ("status".into(), Value::Int(3)),
                    ("reason".into(), Value::String("entered".into())),
                    ("muted".into(), Value::Bool(true)),
                    ("talking".into(), Value::Bool(false)),
                ])]),
            ),
        ]);
        let shown =
            shown_to_person(&Shown::Table(PARTICIPANTS, Some("participants")), &room).unwrap();
        assert_eq!(
            shown,
            "CALL  NUMBER  STATUS  REASON   MUTED  TALKING\nc1    alice   3       entered  yes    no\n"
        );
        assert_eq!(
            shown_to_person(&Shown::Done, &Value::Bool(true)),
            Ok("ok\n".into())
        );
        assert_eq!(
            shown_to_person(&Shown::Text, &Value::String("c9".into())),
            Ok("c9\n".into())
        );
    }

    /// A reload's report as `configReload()` answers it, of `refused` guests' refusals.
    fn reload_answer(refused: Vec<Value>) -> Value {
        let text = |s: &str| Value::String(s.into());
        let item = |members: &[(&str, Value)]| {
            Value::Struct(
                members
                    .iter()
                    .map(|(name, value)| ((*name).into(), value.clone()))
                    .collect(),
            )
        };
        Value::Struct(vec![
            ("file".into(), text("/etc/switchyard.toml")),
            (
                "applied".into(),
                Value::Array(vec![text("[routing]"), text("[guests.webconference]")]),
            ),
            (
                "waiting".into(),
                Value::Array(vec![
                    item(&[("key", text("sip.listen")), ("why", text(""))]),
                    item(&[
                        ("key", text("guests.nway.wasm")),
                        (
                            "why",
                            text("a reload keeps the file the serving version was read from"),
                        ),
                    ]),
                ]),
            ),
            (
                "guests".into(),
                Value::Array(vec![item(&[
                    ("name", text("webconference")),
                    ("version", Value::Int(2)),
                ])]),
            ),
            ("refused".into(), Value::Array(refused)),
        ])
    }

    #[test]
    fn a_reload_is_shown_line_by_line_and_a_guests_refusal_fails_the_command() {
        let loaded = reload_answer(Vec::new());
        assert_eq!(
            shown_to_person(&Shown::Reload, &loaded).unwrap(),
            "reloaded /etc/switchyard.toml\n\
             applied: [routing], [guests.webconference]\n\
             loaded: webconference version 2\n\
             waits for a restart: sip.listen\n\
             waits for a restart: guests.nway.wasm (a reload keeps the file the serving version was read from)\n"
        );
        assert_eq!(guests_refusing(&Shown::Reload, &loaded), None);
        let call = CtlCommand::Reload.call();
        assert_eq!((call.method, call.params.len()), ("configReload", 0));

        let refused = reload_answer(vec![Value::Struct(vec![
            ("name".into(), Value::String("nway".into())),
            (
                "message".into(),
                Value::String("guestLoad: refused: \u{1b}[2J".into()),
            ),
        ])]);
        let shown = shown_to_person(&Shown::Reload, &refused).unwrap();
        assert!(
            shown.ends_with("refused: nway: guestLoad: refused: \\u{1b}[2J\n"),
            "{shown}"
        );
        let why = guests_refusing(&Shown::Reload, &refused).expect("a refusal");
        assert!(why.starts_with("configReload: 1 guest(s) refused"), "{why}");
        assert_eq!(guests_refusing(&Shown::Done, &refused), None);
    }

    #[test]
    fn a_reload_that_applied_nothing_says_so() {
        let nothing = Value::Struct(vec![
            ("file".into(), Value::String("my.toml".into())),
            ("applied".into(), Value::Array(Vec::new())),
        ]);
        assert_eq!(
            shown_to_person(&Shown::Reload, &nothing).unwrap(),
            "reloaded my.toml\napplied: none\n"
        );
    }

    #[test]
    fn only_reading_commands_wait_briefly() {
        assert_eq!(CtlCommand::Rooms.wait(), control_client::READ_WAIT);
        let kick = CtlCommand::Kick {
            room: "7".into(),
            call: "c1".into(),
        };
        assert_eq!(kick.wait(), control_client::CHANGE_WAIT);
    }

    #[test]
    fn a_participants_number_cannot_clear_the_screen() {
        let room = Value::Struct(vec![(
            "participants".into(),
            Value::Array(vec![Value::Struct(vec![
                ("call".into(), Value::String("c1".into())),
                ("number".into(), Value::String("\u{1b}[2J".into())),
            ])]),
        )]);
        let shown =
            shown_to_person(&Shown::Table(PARTICIPANTS, Some("participants")), &room).unwrap();
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
        assert!(shown.contains(r"c1    \u{1b}[2J"), "{shown:?}");
        let dialed =
            shown_to_person(&Shown::Text, &Value::String("c2\u{1b}]0;x\u{7}".into())).unwrap();
        assert_eq!(dialed, "c2\\u{1b}]0;x\\u{7}\n");
    }

    #[test]
    fn an_answer_of_another_shape_names_the_shape_taken() {
        let empty = || Value::Struct(Vec::new());
        assert_eq!(
            shown_to_person(&Shown::Table(ROOMS, None), &empty()),
            Err("an array".into())
        );
        let room = Shown::Table(PARTICIPANTS, Some("participants"));
        assert_eq!(
            shown_to_person(&room, &Value::Array(Vec::new())),
            Err("a struct whose member participants is an array".into())
        );
        assert_eq!(
            shown_to_person(&room, &empty()),
            Err("a struct whose member participants is an array".into())
        );
        assert_eq!(
            shown_to_person(&Shown::Text, &Value::Int(12)),
            Err("a string".into())
        );
        assert_eq!(
            shown_to_person(&Shown::Reload, &Value::Array(Vec::new())),
            Err("a struct".into())
        );
    }

    /// Answers every call with a struct of no members.
    struct AnsweringAnEmptyStruct;

    impl switchyard_control::Dispatcher for AnsweringAnEmptyStruct {
        fn dispatch(&self, _: switchyard_control::Route) -> switchyard_control::DispatchFuture<'_> {
            Box::pin(async { Ok(Value::Struct(Vec::new())) })
        }
    }

    #[test]
    fn a_command_answered_in_another_shape_fails_for_people_and_scripts() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a listener");
        let api = ControlApi {
            addr: listener.local_addr().unwrap(),
            token: None,
            tls_cert: None,
        };
        runtime.spawn(switchyard_control::serve(
            listener,
            std::sync::Arc::new(AnsweringAnEmptyStruct),
            std::future::pending(),
        ));
        let room = || CtlCommand::Room { room: "7".into() };
        let dialout = || CtlCommand::Dialout {
            room: "7".into(),
            uri: "sip:bob@127.0.0.1".into(),
        };
        for json in [false, true] {
            assert_eq!(run(&api, json, CtlCommand::Rooms), ExitCode::FAILURE);
            assert_eq!(run(&api, json, CtlCommand::Guests), ExitCode::FAILURE);
            assert_eq!(run(&api, json, room()), ExitCode::FAILURE);
            assert_eq!(run(&api, json, dialout()), ExitCode::FAILURE);
        }
        // The same server answers a change, which takes any answer, and a reload, whose
        // report is a struct.
        let lock = CtlCommand::Lock { room: "7".into() };
        assert_eq!(run(&api, false, lock), ExitCode::SUCCESS);
        assert_eq!(run(&api, false, CtlCommand::Reload), ExitCode::SUCCESS);
    }
}
