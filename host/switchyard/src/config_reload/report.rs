//! What one reload did, as `configReload()` answers it, and the faults of a reload that
//! changed nothing.

use super::Waiting;
use std::path::PathBuf;
use switchyard_control::{Fault, Value};

/// The fault code of a file that does not load: well asked, but the file's content cannot be
/// taken (HTTP's 422 Unprocessable Content, which REST answers).
pub const NOT_LOADED: i32 = 422;

/// What a reload whose file loaded did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The file read.
    pub file: PathBuf,
    /// The sections (`[routing]`) and guests' tables (`[guests.webconference]`) applied, in
    /// the order applied.
    pub applied: Vec<String>,
    /// The changed keys that wait for the next restart.
    pub waiting: Vec<Waiting>,
    /// The guests' versions loaded with their new settings.
    pub guests: Vec<LoadedGuest>,
    /// The guests that refused their new settings: each keeps its running version.
    pub refused: Vec<RefusedGuest>,
}

/// A guest's version loaded with its new settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedGuest {
    /// The guest's name.
    pub name: String,
    /// The version's number.
    pub version: u32,
}

/// A guest that refused its new settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedGuest {
    /// The guest's name.
    pub name: String,
    /// Why, as the load's fault says it.
    pub message: String,
}

/// Why a reload changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The file does not load: its error, as the log's error line says it (`file:line: key:
    /// message`).
    NotLoaded(String),
    /// The reload failed inside the server; the log says how.
    Internal,
}

/// What a reload came to.
pub type Outcome = Result<Report, Failure>;

impl Report {
    /// A report of `file` read, nothing applied yet.
    pub fn new(file: PathBuf) -> Report {
        Report {
            file,
            applied: Vec::new(),
            waiting: Vec::new(),
            guests: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// The report as `configReload()` answers it: a struct of `file`, `applied` (strings),
    /// `waiting` (structs of `key` and `why`, empty when there is nothing to add to its
    /// being read only at start), `guests` (structs of `name` and `version`) and `refused`
    /// (structs of `name` and `message`).
    pub fn value(&self) -> Value {
        let string = |text: &str| Value::String(text.to_owned());
        let members = |pairs: Vec<(&str, Value)>| {
            Value::Struct(
                pairs
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value))
                    .collect(),
            )
        };
        let waiting = self.waiting.iter().map(|waiting| {
            members(vec![
                ("key", string(&waiting.key)),
                ("why", string(waiting.why.as_deref().unwrap_or_default())),
            ])
        });
        let guests = self.guests.iter().map(|loaded| {
            members(vec![
                ("name", string(&loaded.name)),
                (
                    "version",
                    Value::Int(i32::try_from(loaded.version).unwrap_or(i32::MAX)),
                ),
            ])
        });
        let refused = self.refused.iter().map(|refused| {
            members(vec![
                ("name", string(&refused.name)),
                ("message", string(&refused.message)),
            ])
        });
        members(vec![
            ("file", string(&self.file.display().to_string())),
            (
                "applied",
                Value::Array(self.applied.iter().map(|s| string(s)).collect()),
            ),
            ("waiting", Value::Array(waiting.collect())),
            ("guests", Value::Array(guests.collect())),
            ("refused", Value::Array(refused.collect())),
        ])
    }
}

impl Failure {
    /// The fault `configReload()` answers: [`NOT_LOADED`] with the file's error, or
    /// `-32603 "internal error"`.
    pub fn fault(self) -> Fault {
        match self {
            Failure::NotLoaded(message) => Fault::new(NOT_LOADED, message),
            Failure::Internal => Fault::internal_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A struct of `members`.
    fn structure(members: &[(&str, Value)]) -> Value {
        Value::Struct(
            members
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
        )
    }

    fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    #[test]
    fn a_report_answers_what_applied_what_waits_what_loaded_and_what_was_refused() {
        let report = Report {
            file: PathBuf::from("/etc/switchyard.toml"),
            applied: vec!["[routing]".to_owned(), "[guests.webconference]".to_owned()],
            waiting: vec![
                Waiting {
                    key: "sip.listen".to_owned(),
                    why: None,
                },
                Waiting {
                    key: "guests.nway.wasm".to_owned(),
                    why: Some(
                        "a reload keeps the file the serving version was read from".to_owned(),
                    ),
                },
            ],
            guests: vec![LoadedGuest {
                name: "webconference".to_owned(),
                version: 2,
            }],
            refused: vec![RefusedGuest {
                name: "nway".to_owned(),
                message: "guestLoad: refused: max_rooms: not a number".to_owned(),
            }],
        };
        let expected = structure(&[
            ("file", string("/etc/switchyard.toml")),
            (
                "applied",
                Value::Array(vec![string("[routing]"), string("[guests.webconference]")]),
            ),
            (
                "waiting",
                Value::Array(vec![
                    structure(&[("key", string("sip.listen")), ("why", string(""))]),
                    structure(&[
                        ("key", string("guests.nway.wasm")),
                        (
                            "why",
                            string("a reload keeps the file the serving version was read from"),
                        ),
                    ]),
                ]),
            ),
            (
                "guests",
                Value::Array(vec![structure(&[
                    ("name", string("webconference")),
                    ("version", Value::Int(2)),
                ])]),
            ),
            (
                "refused",
                Value::Array(vec![structure(&[
                    ("name", string("nway")),
                    (
                        "message",
                        string("guestLoad: refused: max_rooms: not a number"),
                    ),
                ])]),
            ),
        ]);
        assert_eq!(report.value(), expected);
    }

    #[test]
    fn a_report_of_nothing_changed_has_every_member_empty() {
        let value = Report::new(PathBuf::from("my.toml")).value();
        let empty = Value::Array(Vec::new());
        assert_eq!(
            value,
            structure(&[
                ("file", string("my.toml")),
                ("applied", empty.clone()),
                ("waiting", empty.clone()),
                ("guests", empty.clone()),
                ("refused", empty),
            ])
        );
    }

    #[test]
    fn a_file_that_does_not_load_is_fault_422_with_the_logs_error() {
        let error = "my.toml:3:1: rtp.port_max: must not be below rtp.port_min (3000)";
        assert_eq!(
            Failure::NotLoaded(error.to_owned()).fault(),
            Fault::new(422, error)
        );
        assert_eq!(Failure::Internal.fault(), Fault::internal_error());
    }
}
