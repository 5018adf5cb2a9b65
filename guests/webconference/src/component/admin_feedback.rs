//! The feedback functions: vqRoomFeedback, vqCallFeedback,
//! vqConferenceFeedback, resetFeedback, flushFeedback.
//!
//! Lines go to the feedback file through the host's `records` import, each
//! on disk before the function answers. The file is the config's
//! `feedback_file` until `resetFeedback` names another; that choice is kept
//! in the key-value store, so every instance of the guest writes to it, until
//! a config reload names another `feedback_file` ([`feedback::current_file`]).
//! As in SEMS, which closes its file first, a `resetFeedback` that fails (no
//! name, a file that cannot be opened) leaves feedback written nowhere until
//! a reset succeeds or a config reload names another `feedback_file`.

use super::admin::{reply, status};
use super::settings::Settings;
use crate::feedback::{self, ResetRefusal};
use switchyard_sdk::control::Fault;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::params::Params;
use switchyard_sdk::store::HostKv;
use switchyard_sdk::types::Error;
use switchyard_sdk::unix_seconds;
use switchyard_sdk::{Value, fault, records};

/// The fault when a line could not be written.
const NOT_SAVED: i32 = 500;

/// `vqRoomFeedback(room, adminpin, opinion)` → `[0, "OK"]`.
pub fn room(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let line = feedback::room_line(
        &params.string(0)?,
        &params.string(1)?,
        params.int(2)?,
        unix_seconds(),
    );
    save(settings, &line)
}

/// `vqCallFeedback(room, adminpin, call_tag, opinion)` → `[0, "OK"]`.
pub fn call(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let line = feedback::call_line(
        &params.string(0)?,
        &params.string(1)?,
        &params.string(2)?,
        params.int(3)?,
        unix_seconds(),
    );
    save(settings, &line)
}

/// `vqConferenceFeedback(room, adminpin, sender, comment, opinion)` → `[0, "OK"]`.
pub fn conference(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let line = feedback::conference_line(
        &params.string(0)?,
        &params.string(1)?,
        &params.string(2)?,
        &params.string(3)?,
        params.int(4)?,
        unix_seconds(),
    );
    save(settings, &line)
}

/// `resetFeedback(filename)`: empties that file and writes feedback to it
/// from now on, until a config reload names another `feedback_file` →
/// `[0, "OK"]`, `[-1, "error opening new feedback file"]` or
/// `[-2, "no filename given"]`, after either of which feedback is written
/// nowhere ([`feedback::reset`]). The file must be in the guest's records directory
/// (a plain name, or an absolute path there).
pub fn reset(params: &Params<'_>) -> Result<Value, Fault> {
    let file = params.string(0)?;
    let configured = configured_file(&Settings::load());
    match feedback::reset(&HostKv, &configured, &file, records::truncate) {
        Ok(()) => status(0, "OK"),
        Err(ResetRefusal::NoName) => status(-2, "no filename given"),
        Err(ResetRefusal::NotOpened(e)) => {
            log(
                refusal_level(&e),
                &format!("resetFeedback: cannot open {file:?}: {e:?}"),
            );
            status(-1, "error opening new feedback file")
        }
        Err(ResetRefusal::NotKept(e)) => {
            log(
                Level::Error,
                &format!("resetFeedback: cannot keep {file:?} as the feedback file: {e:?}"),
            );
            status(-1, "error opening new feedback file")
        }
    }
}

/// The `feedback_file` setting, "" when unset.
fn configured_file(settings: &Settings) -> String {
    settings.feedback_file.clone().unwrap_or_default()
}

/// How a `resetFeedback` file the host refused is logged: a name outside
/// the records directory is the client's mistake, answered -1 (info); no
/// records directory is the operator's (warning); a file that cannot be
/// written is the server's trouble (error).
fn refusal_level(error: &Error) -> Level {
    match error {
        Error::InvalidArgument(_) => Level::Info,
        Error::WrongState(_) => Level::Warn,
        Error::NoSuchCall | Error::NoSuchRoom | Error::Failed(_) => Level::Error,
    }
}

/// `flushFeedback()` → `[]`: every line is on disk when its function answers,
/// so there is nothing left to flush.
pub fn flush() -> Result<Value, Fault> {
    reply(Vec::new())
}

/// Appends `line` to the feedback file; without one (no `feedback_file`
/// configured and no `resetFeedback` since) the line is dropped, as SEMS
/// does. A line that cannot be written is a fault, so the client knows it is
/// lost.
fn save(settings: &Settings, line: &str) -> Result<Value, Fault> {
    let file = feedback::current_file(&HostKv, &configured_file(settings));
    if file.is_empty() {
        return status(0, "OK");
    }
    match records::append(&file, line) {
        Ok(()) => status(0, "OK"),
        Err(e) => Err(fault(
            NOT_SAVED,
            format!("feedback not saved to {file:?}: {e:?}"),
        )),
    }
}
