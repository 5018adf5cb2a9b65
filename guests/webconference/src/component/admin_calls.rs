//! The call functions: kickout, mute, unmute, dialout.

use super::admin::{WRONG_PIN, reply, status};
use super::room;
use super::settings::{self, Settings};
use crate::call_tag::{self, Found};
use crate::dialout::{self, Context};
use switchyard_sdk::control::Fault;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::params::Params;
use switchyard_sdk::rooms::JoinOptions;
use switchyard_sdk::signaling::{Credentials, DialRequest};
use switchyard_sdk::types::{ParticipantStatus, SipHeader};
use switchyard_sdk::unix_seconds;
use switchyard_sdk::{Value, kv, rooms, signaling};

const NO_CALL: &str = "call does not exist";

/// What `call_tag` names in the room of `(room, adminpin)`; `None` if the
/// lookup is refused.
fn find(settings: &Settings, params: &Params<'_>) -> Result<Option<(String, Found)>, Fault> {
    let room = params.string(0)?;
    let pin = params.string(1)?;
    let tag = params.string(2)?;
    if !room::open_with_pin(settings, &room, &pin) {
        return Ok(None);
    }
    let participants = rooms::info(&room)
        .map(|info| info.participants)
        .unwrap_or_default();
    let listed: Vec<(&str, bool)> = participants
        .iter()
        .map(|p| (p.call.as_str(), p.status == ParticipantStatus::Finished))
        .collect();
    let found = call_tag::find(&tag, &listed, &room::dialing(&room));
    Ok(Some((tag, found)))
}

/// `kickout(room, adminpin, call_tag)` → `[0, "OK"]` (the call is hung up),
/// `[1, "wrong adminpin or inexisting room"]` or `[2, "call does not exist"]`.
/// A dial-out still being placed is cancelled; a finished participant still
/// listed is `[0, "OK"]`, as in SEMS.
pub fn kickout(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let outcome = match find(settings, params)? {
        None => return status(1, WRONG_PIN),
        // Hung up, not kicked: SEMS lists a kicked participant as
        // Disconnecting "disconnect", as any call it hangs up.
        Some((tag, Found::Participant | Found::Dialing)) => signaling::hangup(&tag),
        Some((_, Found::Finished)) => Ok(()),
        Some((_, Found::Unknown)) => return status(2, NO_CALL),
    };
    match outcome {
        Ok(()) => status(0, "OK"),
        // It ended between the lookup and the kick.
        Err(_) => status(2, NO_CALL),
    }
}

/// `mute` / `unmute(room, adminpin, call_tag)` → `[0, "OK"]` (also for a
/// finished participant still listed, as in SEMS),
/// `[1, "wrong adminpin or inexisting room"]` or `[2, "call does not exist"]`.
pub fn set_muted(settings: &Settings, params: &Params<'_>, muted: bool) -> Result<Value, Fault> {
    match find(settings, params)? {
        None => status(1, WRONG_PIN),
        Some((tag, Found::Participant)) => match rooms::set_muted(&tag, muted) {
            Ok(()) => status(0, "OK"),
            Err(_) => status(2, NO_CALL),
        },
        Some((_, Found::Finished)) => status(0, "OK"),
        Some((_, Found::Dialing | Found::Unknown)) => status(2, NO_CALL),
    }
}

/// `dialout(room, adminpin, callee, from_user, domain, auth_user, auth_pwd
/// [, headers [, callee_domain [, participant_id]]])` (`count` arguments) →
/// `[0, "OK", call_tag]`, `[1, "wrong adminpin or inexisting room", ""]`, or
/// `[2, reason, ""]` when policy refuses it or the host cannot place it. The
/// placed call joins the room from its own instance.
pub fn dialout(settings: &Settings, params: &Params<'_>, count: usize) -> Result<Value, Fault> {
    let arg = |i: usize| params.string(i);
    let (room, pin, callee, from_user) = (arg(0)?, arg(1)?, arg(2)?, arg(3)?);
    let (domain, auth_user, auth_pwd) = (arg(4)?, arg(5)?, arg(6)?);
    // SEMS takes an optional argument that is not a string as not given.
    let optional = |i: usize| {
        if i < count {
            params.string(i).unwrap_or_default()
        } else {
            String::new()
        }
    };
    let headers = optional(7);
    let callee_domain = optional(8);
    let participant_id = optional(9);

    if !room::open_with_pin(settings, &room, &pin) {
        return refused(1, WRONG_PIN);
    }
    let target = match dialout::target(&callee, &from_user, &domain, &callee_domain, &headers) {
        Ok(target) => target,
        Err(reason) => return refused(2, &reason),
    };
    let in_progress = room::dialing(&room).len();
    if let Err(reason) = dialout::check(
        &settings::dialout_allow(),
        &target.uri,
        in_progress,
        settings.max_dialouts_per_room,
    ) {
        log(
            Level::Info,
            &format!(
                "dial-out to {} from room {room:?} refused: {reason}",
                target.uri
            ),
        );
        return refused(2, reason);
    }
    // SEMS lists a dial-out by the URI it calls, not the bare callee.
    let listing = JoinOptions {
        number: target.uri.clone(),
        reason: "INVITE".to_owned(),
        participant_id: participant_id.clone(),
    };
    let context = Context {
        room: room.clone(),
        number: target.uri.clone(),
        participant_id: participant_id.clone(),
    };
    let request = DialRequest {
        uri: target.uri,
        from: target.from,
        to: target.to,
        headers: target
            .headers
            .into_iter()
            .map(|(name, value)| SipHeader { name, value })
            .collect(),
        credentials: (!auth_user.is_empty()).then_some(Credentials {
            username: auth_user,
            password: auth_pwd,
        }),
        context: context.encode(),
        // Listed at once, as Connecting "INVITE": the host moves the
        // participant on as the call progresses, even if it fails at once.
        room: Some((room.clone(), listing)),
    };
    let call = match signaling::dial(&request) {
        Ok(call) => call,
        Err(e) => {
            log(
                Level::Warn,
                &format!("dial-out from room {room:?} failed: {e:?}"),
            );
            return refused(2, "failed");
        }
    };
    if let Err(e) = kv::set(&dialout::key(&room, &call), &unix_seconds().to_string()) {
        log(Level::Warn, &format!("dial-out {call} not counted: {e:?}"));
    }
    room::take_invitation(&room, &participant_id);
    reply(vec![Value::Int(0), "OK".into(), call.into()])
}

/// `[code, reason, ""]`.
fn refused(code: i32, reason: &str) -> Result<Value, Fault> {
    reply(vec![Value::Int(code), reason.into(), "".into()])
}
