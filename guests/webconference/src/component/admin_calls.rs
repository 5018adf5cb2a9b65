//! The call functions: kickout, mute, unmute, dialout.

use super::admin::{WRONG_PIN, pin_param, reply, status};
use super::admin_rooms::not_stored;
use super::finished_mutes;
use super::room;
use super::settings::{self, Settings};
use crate::call_tag::{self, Found};
use crate::dialout::{self, Context};
use crate::invited::{self, NotStored};
use crate::{limits, muting};
use switchyard_sdk::control::Fault;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::params::Params;
use switchyard_sdk::rooms::JoinOptions;
use switchyard_sdk::signaling::{Credentials, DialRequest};
use switchyard_sdk::types::{ParticipantStatus, SipHeader};
use switchyard_sdk::{Value, rooms, signaling};

const NO_CALL: &str = "call does not exist";

/// What a call tag names in its room.
struct Named {
    room: String,
    tag: String,
    found: Found,
}

/// What `call_tag` names in the room of `(room, adminpin)`; `None` if the
/// lookup is refused.
fn find(settings: &Settings, params: &Params<'_>) -> Result<Option<Named>, Fault> {
    let room = params.string(0)?;
    let pin = pin_param(params, 1)?;
    let tag = params.string(2)?;
    if !room::open_with_pin(settings, &room, &pin) {
        return Ok(None);
    }
    let participants = room::participants(&room);
    let listed: Vec<(&str, bool)> = participants
        .iter()
        .map(|p| (p.call.as_str(), p.status == ParticipantStatus::Finished))
        .collect();
    // Only the empty tag can name an invitation: only then is the list read.
    let invited = tag.is_empty()
        && !invited::not_joined(&room::invited(&room), &invited::holders(&participants)).is_empty();
    let found = call_tag::find(&tag, &listed, invited);
    Ok(Some(Named { room, tag, found }))
}

/// `kickout(room, adminpin, call_tag)` → `[0, "OK"]` (the call is kicked:
/// hung up, leaving its room with reason "kicked"),
/// `[1, "wrong adminpin or inexisting room"]` or `[2, "call does not exist"]`.
/// A dial-out still being placed is cancelled; a finished participant still
/// listed, or an invitation (the empty tag), is `[0, "OK"]` and stays listed,
/// as in SEMS.
pub fn kickout(settings: &Settings, params: &Params<'_>) -> Result<Value, Fault> {
    let outcome = match find(settings, params)? {
        None => return status(1, WRONG_PIN),
        Some(named) => match named.found {
            // Kicked: it leaves with reason "kicked", which `roomInfo`
            // shows as SEMS does (see `admin_rooms::info`).
            Found::Participant => rooms::kick(&named.tag),
            Found::Finished | Found::Invited => Ok(()),
            Found::Unknown => return status(2, NO_CALL),
        },
    };
    match outcome {
        Ok(()) => status(0, "OK"),
        // It ended between the lookup and the kick.
        Err(_) => status(2, NO_CALL),
    }
}

/// `mute` / `unmute(room, adminpin, call_tag)` → `[0, "OK"]`,
/// `[1, "wrong adminpin or inexisting room"]` or `[2, "call does not exist"]`;
/// fault -32603 "busy: …" when the host is too busy to set the flag of a call
/// that is up (see [`muting::set_live`]). As in SEMS, the flag of a finished
/// participant still listed, or of the first invitation (the empty tag), is
/// set and listed too; fault 500 when others kept rewriting the room's
/// invitations meanwhile, so that the flag is not stored
/// ([`invited::update`]).
pub fn set_muted(settings: &Settings, params: &Params<'_>, muted: bool) -> Result<Value, Fault> {
    let Some(Named { room, tag, found }) = find(settings, params)? else {
        return status(1, WRONG_PIN);
    };
    let done = match found {
        // One that finished since the lookup has its flag kept as such.
        Found::Participant => muting::set_live(rooms::set_muted(&tag, muted), || {
            finished_mutes::set(&room, &tag, muted)
        })?,
        Found::Finished => finished_mutes::set(&room, &tag, muted),
        Found::Invited => match room::set_first_invitation_muted(settings, &room, muted) {
            Ok(done) => done,
            // The room vanished meanwhile.
            Err(NotStored::Refused(_)) => false,
            Err(contended) => return Err(not_stored(&room, &contended)),
        },
        Found::Unknown => false,
    };
    if done {
        status(0, "OK")
    } else {
        status(2, NO_CALL)
    }
}

/// `dialout(room, adminpin, callee, from_user, domain, auth_user, auth_pwd
/// [, headers [, callee_domain [, participant_id]]])` (`count` arguments) →
/// `[0, "OK", call_tag]`, `[1, "wrong adminpin or inexisting room", ""]`, or
/// `[2, reason, ""]` when policy refuses it or the host cannot place it
/// (`failed: ` and the host's reason, see [`dialout::host_refusal`]). The
/// placed call joins the room from its own instance.
pub fn dialout(settings: &Settings, params: &Params<'_>, count: usize) -> Result<Value, Fault> {
    let arg = |i: usize| params.string(i);
    let (room, pin) = (arg(0)?, pin_param(params, 1)?);
    let (callee, from_user) = (arg(2)?, arg(3)?);
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
    // Cut as `addParticipant` cuts it, so that the dial-out takes its invitation.
    let participant_id = limits::participant_id(&optional(9));

    if !room::open_with_pin(settings, &room, &pin) {
        return refused(1, WRONG_PIN);
    }
    let target = match dialout::target(&callee, &from_user, &domain, &callee_domain, &headers) {
        Ok(target) => target,
        Err(reason) => return refused(2, &reason),
    };
    let in_progress = room::dialing(&room);
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
        reason: dialout::PLACING_REASON.to_owned(),
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
            let reason = dialout::host_refusal(&e);
            log(
                Level::Warn,
                &format!("dial-out from room {room:?} {reason}"),
            );
            return refused(2, &reason);
        }
    };
    room::take_invitation(settings, &room, &participant_id);
    reply(vec![Value::Int(0), "OK".into(), call.into()])
}

/// `[code, reason, ""]`.
fn refused(code: i32, reason: &str) -> Result<Value, Fault> {
    reply(vec![Value::Int(code), reason.into(), "".into()])
}
