//! The guest boundary: the core's types to and from the WIT types of
//! `switchyard:call@0.1.0`. A later WIT version gets an adapter of its own.

use switchyard_core::{CallEvent, CallId, CoreError, Invite, ParticipantStatus, RoomView};
use switchyard_guest::{
    CallFailure, CallProgress, DialRequest, Error, Event, InviteInfo, JoinOptions, ParticipantInfo,
    ParticipantStatus as WitStatus, RoomInfo, SipHeader, TalkState,
};

/// A call id from a guest: `c<n>`; anything else names no call.
pub fn call_id(call: &str) -> Result<CallId, Error> {
    call.parse().map_err(|()| Error::NoSuchCall)
}

/// A core error as the guest sees it. A busy core is `failed` ("busy: …"): the call's
/// state allowed the command, so a guest must not take it for a call that is ending; the
/// control plane answers that text as its busy fault (REST: 503, to be retried).
pub fn error(error: CoreError) -> Error {
    match error {
        CoreError::NoSuchCall => Error::NoSuchCall,
        CoreError::NoSuchRoom => Error::NoSuchRoom,
        CoreError::WrongState(text) => Error::WrongState(text),
        CoreError::InvalidArgument(text) => Error::InvalidArgument(text),
        busy @ CoreError::Busy(_) => Error::Failed(busy.to_string()),
    }
}

/// A new call, as `handler.on-invite` takes it.
pub fn invite(invite: &Invite) -> InviteInfo {
    let sip = &invite.sip;
    InviteInfo {
        call: invite.call.to_string(),
        request_uri: sip.request_uri.clone(),
        request_user: sip.request_user.clone(),
        from_uri: sip.from_uri.clone(),
        from_user: sip.from_user.clone(),
        from_display_name: sip.from_display_name.clone(),
        to_uri: sip.to_uri.clone(),
        sip_call_id: sip.call_id.clone(),
        headers: sip
            .headers
            .iter()
            .map(|(name, value)| SipHeader {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        source: sip.source.to_string(),
    }
}

/// A guest's dial request, as the core takes it.
pub fn dial_request(request: DialRequest) -> switchyard_core::DialRequest {
    switchyard_core::DialRequest {
        uri: request.uri,
        from: request.from,
        to: request.to,
        headers: request
            .headers
            .into_iter()
            .map(|h| (h.name, h.value))
            .collect(),
        credentials: request.credentials.map(|c| switchyard_sip::Credentials {
            username: c.username,
            password: c.password,
        }),
        context: request.context,
    }
}

/// An event, as `handler.on-event` takes it.
pub fn event(event: CallEvent) -> Event {
    match event {
        CallEvent::Dialed(context) => Event::Dialed(context),
        CallEvent::Progress {
            code,
            reason,
            early_media,
        } => Event::Progress(CallProgress {
            code,
            reason,
            early_media,
        }),
        CallEvent::Answered => Event::Answered,
        CallEvent::Failed { code, reason } => Event::Failed(CallFailure { code, reason }),
        CallEvent::PromptDone(_) => Event::PromptDone,
        CallEvent::Dtmf(digit) => Event::Dtmf(digit),
        CallEvent::Timer(id) => Event::Timer(id.0),
        CallEvent::Unbridged => Event::Unbridged,
        CallEvent::Talk {
            talking,
            level_dbov,
        } => Event::Talk(TalkState {
            talking,
            level_dbov,
        }),
        CallEvent::Held(outcome) => Event::Held(outcome),
        CallEvent::Hangup => Event::Hangup,
    }
}

/// How a guest lists a call in a room.
pub fn join_options(options: JoinOptions) -> switchyard_core::JoinOptions {
    switchyard_core::JoinOptions {
        number: options.number,
        reason: options.reason,
        participant_id: options.participant_id,
    }
}

/// A room as `rooms.info` returns it.
pub fn room(view: RoomView) -> RoomInfo {
    RoomInfo {
        room: view.room,
        participants: view
            .participants
            .into_iter()
            .map(|p| ParticipantInfo {
                call: p.call.to_string(),
                number: p.number,
                status: status(p.status),
                reason: p.reason,
                muted: p.muted,
                participant_id: p.participant_id,
                listen_only: p.listen_only,
                talking: p.talking,
            })
            .collect(),
    }
}

fn status(status: ParticipantStatus) -> WitStatus {
    match status {
        ParticipantStatus::Disconnected => WitStatus::Disconnected,
        ParticipantStatus::Connecting => WitStatus::Connecting,
        ParticipantStatus::Ringing => WitStatus::Ringing,
        ParticipantStatus::Connected => WitStatus::Connected,
        ParticipantStatus::Disconnecting => WitStatus::Disconnecting,
        ParticipantStatus::Finished => WitStatus::Finished,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_from_guests_are_checked() {
        assert_eq!(call_id("c7").ok(), Some(CallId(7)));
        assert!(matches!(call_id("7"), Err(Error::NoSuchCall)));
        assert!(matches!(call_id("c7x"), Err(Error::NoSuchCall)));
    }

    #[test]
    fn a_busy_core_is_a_failure_not_a_wrong_state() {
        let refused = error(CoreError::Busy("media worker 0: 16 waiting".into()));
        assert!(
            matches!(&refused, Error::Failed(why) if why == "busy: media worker 0: 16 waiting"),
            "{refused:?}"
        );
    }

    #[test]
    fn statuses_keep_their_sems_numbers() {
        let all = [
            ParticipantStatus::Disconnected,
            ParticipantStatus::Connecting,
            ParticipantStatus::Ringing,
            ParticipantStatus::Connected,
            ParticipantStatus::Disconnecting,
            ParticipantStatus::Finished,
        ];
        let numbers: Vec<u8> = all.into_iter().map(|s| status(s) as u8).collect();
        assert_eq!(numbers, [0, 1, 2, 3, 4, 5]);
    }
}
