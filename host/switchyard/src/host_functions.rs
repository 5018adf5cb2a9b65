//! The host's own control functions, `switchyard.<function>(…)` over
//! XML-RPC and the REST routes under `/api/v1/rooms`: an operator's view of
//! the host's rooms, with no guest in between. They act as a guest's
//! commands would (the same `HostApi` calls), so a guest sees their effects
//! as its own.

use crate::host_api::{CoreHost, lock};
use crate::recording::{DeleteError, NO_DIRECTORY};
use switchyard_control::files;
use switchyard_control::rest::HOST_INTERFACE;
use switchyard_control::{Fault, Value};
use switchyard_guest::{
    DialRequest, Error, HostApi, JoinOptions, ParticipantInfo, ParticipantStatus, RoomInfo,
};

/// The functions, for `system.listMethods`.
pub const NAMES: [&str; 12] = [
    "switchyard.deleteRecording",
    "switchyard.dialout",
    "switchyard.kick",
    "switchyard.lock",
    "switchyard.mute",
    "switchyard.recordings",
    "switchyard.room",
    "switchyard.rooms",
    "switchyard.startRecording",
    "switchyard.stopRecording",
    "switchyard.unlock",
    "switchyard.unmute",
];

/// The fault code of a room or call that does not exist.
const NOT_FOUND: i32 = 404;

/// Answers `switchyard.<function>(params)` on `host`.
pub fn answer(host: &CoreHost, function: &str, params: &[Value]) -> Result<Value, Fault> {
    let name = format!("{HOST_INTERFACE}.{function}");
    match function {
        "rooms" => {
            strings::<0>(&name, params)?;
            let mut names = host.list_rooms();
            names.sort();
            Ok(Value::Array(
                names
                    .iter()
                    .filter_map(|room| host.room_info(room))
                    .map(|info| room_summary(host, &info))
                    .collect(),
            ))
        }
        "room" => {
            let [room] = strings(&name, params)?;
            host.room_info(room)
                .map(|info| room_value(host, &info))
                .ok_or_else(|| Fault::new(NOT_FOUND, format!("no room {room}")))
        }
        "mute" | "unmute" | "kick" => {
            let [room, call] = strings(&name, params)?;
            in_room(host, room, call)?;
            match function {
                "kick" => host.kick(call),
                _ => host.set_muted(call, function == "mute"),
            }
            .map_err(fault)?;
            Ok(Value::Bool(true))
        }
        "lock" | "unlock" => {
            let [room] = strings(&name, params)?;
            lock(host.core())
                .set_locked(room, function == "lock")
                .map_err(|_| Fault::new(NOT_FOUND, format!("no room {room}")))?;
            Ok(Value::Bool(true))
        }
        "dialout" => {
            let [room, uri] = strings(&name, params)?;
            let listed = JoinOptions {
                number: uri_user(uri).to_owned(),
                reason: "dialout".to_owned(),
                participant_id: String::new(),
            };
            let request = DialRequest {
                uri: uri.to_owned(),
                from: String::new(),
                to: String::new(),
                headers: Vec::new(),
                credentials: None,
                context: String::new(),
                room: Some((room.to_owned(), listed)),
            };
            // Placed by the host itself: no guest serves the call; it joins
            // the room when answered, as it is listed there.
            host.dial(HOST_INTERFACE, request)
                .map(Value::String)
                .map_err(fault)
        }
        "startRecording" => {
            let (params, tracks) = optional_flag(&name, params, ["room", "name"], "tracks")?;
            let [room, file] = strings(&name, params)?;
            host.record(room, file, tracks).map_err(fault)?;
            Ok(Value::Bool(true))
        }
        "recordings" => {
            strings::<0>(&name, params)?;
            let dir = host
                .recordings_dir()
                .ok_or_else(|| Fault::new(Fault::CONFLICT, NO_DIRECTORY))?;
            files::list(dir).map_err(Fault::internal)
        }
        "stopRecording" => {
            let [room] = strings(&name, params)?;
            host.stop_recording(room).map_err(fault)?;
            Ok(Value::Bool(true))
        }
        "deleteRecording" => {
            let [file] = strings(&name, params)?;
            host.delete_recording(file).map_err(delete_fault)?;
            Ok(Value::Bool(true))
        }
        _ => Err(Fault::unknown_method(&name)),
    }
}

/// The `N` string arguments of `name`; fault 300 for another count or a
/// value that is not a string.
fn strings<'a, const N: usize>(name: &str, params: &'a [Value]) -> Result<[&'a str; N], Fault> {
    let params: &[Value; N] = params.try_into().map_err(|_| {
        Fault::bad_params(format!(
            "{name}: expected {N} arguments, got {}",
            params.len()
        ))
    })?;
    let mut strings = [""; N];
    for (i, (value, string)) in params.iter().zip(&mut strings).enumerate() {
        let Value::String(text) = value else {
            return Err(Fault::bad_params(format!(
                "{name}: argument {} must be a string, got {}",
                i + 1,
                value.kind()
            )));
        };
        *string = text;
    }
    Ok(strings)
}

/// The `N` arguments of `name` (`required`, by name), and the boolean argument `flag` after
/// them, false when absent; fault 300 for another count or a flag that is not a boolean.
fn optional_flag<'a, const N: usize>(
    name: &str,
    params: &'a [Value],
    required: [&str; N],
    flag: &str,
) -> Result<(&'a [Value], bool), Fault> {
    match params.get(N..) {
        Some([]) => Ok((params, false)),
        Some([Value::Bool(set)]) => Ok((&params[..N], *set)),
        Some([other]) => Err(Fault::bad_params(format!(
            "{name}: argument {} ({flag}) must be a boolean, got {}",
            N + 1,
            other.kind()
        ))),
        _ => Err(Fault::bad_params(format!(
            "{name}: expected {N} or {} arguments ({}[, {flag}]), got {}",
            N + 1,
            required.join(", "),
            params.len()
        ))),
    }
}

/// Checks that `call` is a participant of `room` that has not finished.
fn in_room(host: &CoreHost, room: &str, call: &str) -> Result<(), Fault> {
    let info = host
        .room_info(room)
        .ok_or_else(|| Fault::new(NOT_FOUND, format!("no room {room}")))?;
    let present = info
        .participants
        .iter()
        .any(|p| p.call == call && p.status != ParticipantStatus::Finished);
    if present {
        Ok(())
    } else {
        Err(Fault::new(
            NOT_FOUND,
            format!("{call} is not in room {room}"),
        ))
    }
}

/// A host error as a fault.
fn fault(error: Error) -> Fault {
    match error {
        Error::NoSuchCall => Fault::new(NOT_FOUND, "no such call"),
        Error::NoSuchRoom => Fault::new(NOT_FOUND, "no such room"),
        Error::WrongState(why) => Fault::new(Fault::CONFLICT, why),
        Error::InvalidArgument(why) => Fault::bad_params(why),
        Error::Failed(why) => Fault::internal(why),
    }
}

/// Why a recording was not deleted, as a fault.
fn delete_fault(error: DeleteError) -> Fault {
    match error {
        DeleteError::NoDirectory => Fault::new(Fault::CONFLICT, NO_DIRECTORY),
        DeleteError::NotARecording(name) => Fault::bad_params(format!(
            "{name:?} is no recording's name (a plain name ending in .wav)"
        )),
        DeleteError::BeingWritten(name) => Fault::new(
            Fault::CONFLICT,
            format!("{name} is being recorded to: stop its room's recording first"),
        ),
        DeleteError::NotFound(name) => Fault::new(NOT_FOUND, format!("no recording {name}")),
        DeleteError::Failed(why) => {
            Fault::internal(format!("the recording was not deleted: {why}"))
        }
    }
}

/// The user part of a SIP URI (`sip:bob@host` → `bob`), or the URI.
fn uri_user(uri: &str) -> &str {
    let rest = uri.split_once(':').map_or(uri, |(_, rest)| rest);
    rest.split_once('@').map_or(uri, |(user, _)| user)
}

/// `{room, participants, locked}`: the room and how many are in it (not finished).
fn room_summary(host: &CoreHost, info: &RoomInfo) -> Value {
    let present = info
        .participants
        .iter()
        .filter(|p| p.status != ParticipantStatus::Finished)
        .count();
    Value::Struct(vec![
        ("room".into(), Value::String(info.room.clone())),
        (
            "participants".into(),
            Value::Int(i32::try_from(present).unwrap_or(i32::MAX)),
        ),
        ("locked".into(), Value::Bool(locked(host, &info.room))),
    ])
}

fn locked(host: &CoreHost, room: &str) -> bool {
    lock(host.core()).is_locked(room).unwrap_or(false)
}

/// `{room, locked, participants: [...]}` with every listed participant.
fn room_value(host: &CoreHost, info: &RoomInfo) -> Value {
    Value::Struct(vec![
        ("room".into(), Value::String(info.room.clone())),
        ("locked".into(), Value::Bool(locked(host, &info.room))),
        (
            "participants".into(),
            Value::Array(info.participants.iter().map(participant).collect()),
        ),
    ])
}

fn participant(p: &ParticipantInfo) -> Value {
    Value::Struct(vec![
        ("call".into(), Value::String(p.call.clone())),
        ("number".into(), Value::String(p.number.clone())),
        // SEMS's numbers: 0 disconnected … 3 connected … 5 finished.
        ("status".into(), Value::Int(p.status as i32)),
        ("reason".into(), Value::String(p.reason.clone())),
        ("muted".into(), Value::Bool(p.muted)),
        ("listen_only".into(), Value::Bool(p.listen_only)),
        ("talking".into(), Value::Bool(p.talking)),
        (
            "participant_id".into(),
            Value::String(p.participant_id.clone()),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::{Value, optional_flag, strings, uri_user};

    #[test]
    fn a_busy_core_is_a_busy_fault_to_be_retried() {
        let refused =
            crate::adapter::error(switchyard_core::CoreError::Busy("media worker 0".into()));
        let fault = super::fault(refused);
        assert!(fault.is_busy(), "{fault:?}");
        let problem = switchyard_control::problem::Problem::from(fault);
        assert_eq!(problem.status.as_u16(), 503);
        assert_eq!(problem.retry_after, Some(1));
    }

    #[test]
    fn arguments_are_counted_then_typed() {
        let two = [Value::String("1".into()), Value::String("c2".into())];
        assert_eq!(strings::<2>("f", &two).unwrap(), ["1", "c2"]);
        let fault = strings::<1>("f", &two).unwrap_err();
        assert_eq!(
            (fault.code, fault.message.as_str()),
            (300, "f: expected 1 arguments, got 2")
        );
        let fault = strings::<1>("f", &[Value::Int(7)]).unwrap_err();
        assert_eq!(fault.message, "f: argument 1 must be a string, got int");
    }

    #[test]
    fn a_flag_may_follow_the_required_arguments() {
        fn flag(params: &[Value]) -> Result<(&[Value], bool), super::Fault> {
            optional_flag("f", params, ["room", "name"], "tracks")
        }
        let two = [Value::String("1".into()), Value::String("b".into())];
        assert_eq!(flag(&two).unwrap(), (&two[..], false));
        let three = [two[0].clone(), two[1].clone(), Value::Bool(true)];
        assert_eq!(flag(&three).unwrap(), (&two[..], true));
        let wrong = [two[0].clone(), two[1].clone(), Value::String("yes".into())];
        let fault = flag(&wrong).unwrap_err();
        assert_eq!(
            (fault.code, fault.message.as_str()),
            (300, "f: argument 3 (tracks) must be a boolean, got string")
        );
        let four = [three.to_vec(), vec![Value::Bool(true)]].concat();
        for wrong in [&four[..], &two[..1]] {
            let fault = flag(wrong).unwrap_err();
            assert_eq!(
                fault.message,
                format!(
                    "f: expected 2 or 3 arguments (room, name[, tracks]), got {}",
                    wrong.len()
                )
            );
        }
    }

    #[test]
    fn a_recording_name_too_long_for_the_directory_is_a_bad_argument() {
        let dir = tempfile::tempdir().unwrap();
        let host = crate::host_api::testing::host_recording(crate::recording::Recorder::new(
            Some(dir.path().to_owned()),
            u64::MAX,
        ));
        crate::host_api::lock(host.core())
            .open_room(std::time::Instant::now(), "7")
            .unwrap();
        let name = "n".repeat(247);
        let params = [Value::String("7".into()), Value::String(name)];
        let fault = super::answer(&host, "startRecording", &params).unwrap_err();
        assert_eq!(fault.code, super::Fault::BAD_PARAMS, "{}", fault.message);
        assert!(fault.message.contains("too long"), "{}", fault.message);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_number_of_a_dial_out_is_its_uri_s_user() {
        assert_eq!(uri_user("sip:bob@192.0.2.9:5070"), "bob");
        assert_eq!(uri_user("sips:200@example.com"), "200");
        assert_eq!(uri_user("sip:example.com"), "sip:example.com");
    }
}
