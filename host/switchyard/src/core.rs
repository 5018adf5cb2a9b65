//! The host's state of calls and rooms, and the operations guests and the
//! signaling loop apply to it.
//!
//! One [`Core`] sits behind a mutex shared by the signaling task and the guest
//! host API. Operations change state and queue I/O (SIP transmits in the
//! endpoint, commands to media workers); they never wait. The lock is never
//! held while a guest runs, because guests call back into the core.

use crate::media::{MediaCommand, MediaPool};
use crate::prompts::PromptLibrary;
use crate::rooms::Rooms;
use crate::rtp_ports::RtpPorts;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;
use switchyard_guest::{Error, InviteInfo, JoinOptions, ParticipantStatus, SipHeader};
use switchyard_media::{Codec, LegId, LegParams, RoomId, SUPPORTED_ENCODINGS};
use switchyard_sip::sdp::{self, Negotiated};
use switchyard_sip::{CallKey, EndCause, Endpoint, IncomingCall};

/// One call the host knows.
#[derive(Debug)]
struct Call {
    key: CallKey,
    leg: LegId,
    negotiated: Negotiated,
    codec: Codec,
    /// Our address as the peer sees it, for SDP.
    local_ip: IpAddr,
    /// When the 2xx went out.
    answered_at: Option<Instant>,
    /// The worker the media leg lives on, once answered.
    worker: Option<usize>,
    /// A hangup or rejection is under way.
    ending: bool,
}

/// Counters for the server-info string (SEMS's "calls: a active/t total/c connect/m min").
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CallStats {
    /// Calls received since start.
    pub total: u64,
    /// Calls that were answered.
    pub connected: u64,
    /// Seconds of answered calls that have ended.
    pub connected_seconds: u64,
}

/// Why a new call was not handed to a guest; the core already answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No common codec: 488.
    NoCommonCodec,
    /// Shutting down: 503.
    ShuttingDown,
}

/// The calls, rooms and media of this host.
pub struct Core {
    /// The SIP endpoint (transactions and dialogs).
    pub endpoint: Endpoint,
    calls: HashMap<String, Call>,
    by_key: HashMap<CallKey, String>,
    by_leg: HashMap<LegId, String>,
    rooms: Rooms,
    media: MediaPool,
    ports: RtpPorts,
    prompts: Arc<PromptLibrary>,
    /// The counters of the server-info string.
    pub stats: CallStats,
    accepting: bool,
    next_leg: u64,
}

impl Core {
    /// A core with no calls.
    pub fn new(
        endpoint: Endpoint,
        media: MediaPool,
        ports: RtpPorts,
        prompts: Arc<PromptLibrary>,
    ) -> Core {
        Core {
            endpoint,
            calls: HashMap::new(),
            by_key: HashMap::new(),
            by_leg: HashMap::new(),
            rooms: Rooms::default(),
            media,
            ports,
            prompts,
            stats: CallStats::default(),
            accepting: true,
            next_leg: 1,
        }
    }

    /// Calls in progress.
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// Registers a new call and returns its tag and what the guest is told, or
    /// rejects it here (no common codec, shutting down).
    pub fn admit(
        &mut self,
        now: Instant,
        incoming: IncomingCall,
        local_ip: IpAddr,
    ) -> Result<(String, InviteInfo), Refused> {
        self.stats.total += 1;
        let key = incoming.call;
        if !self.accepting {
            let _ = self.endpoint.reject(now, key, 503, "Service Unavailable");
            return Err(Refused::ShuttingDown);
        }
        let negotiated = match sdp::negotiate(&incoming.offer, SUPPORTED_ENCODINGS) {
            Ok(n) => n,
            Err(_) => {
                let _ = self.endpoint.reject(now, key, 488, "Not Acceptable Here");
                return Err(Refused::NoCommonCodec);
            }
        };
        let codec = Codec::from_encoding(&negotiated.audio.encoding, negotiated.audio.clock_rate)
            .expect("negotiated from SUPPORTED_ENCODINGS");
        let tag = key.to_string();
        let leg = LegId(self.next_leg);
        self.next_leg += 1;
        let info = InviteInfo {
            call: tag.clone(),
            request_uri: incoming.request_uri,
            request_user: incoming.request_user,
            from_uri: incoming.from_uri,
            from_user: incoming.from_user,
            from_display_name: incoming.from_display_name,
            to_uri: incoming.to_uri,
            sip_call_id: incoming.call_id,
            headers: incoming
                .headers
                .into_iter()
                .map(|(name, value)| SipHeader { name, value })
                .collect(),
            source: incoming.source.to_string(),
        };
        self.calls.insert(
            tag.clone(),
            Call {
                key,
                leg,
                negotiated,
                codec,
                local_ip,
                answered_at: None,
                worker: None,
                ending: false,
            },
        );
        self.by_key.insert(key, tag.clone());
        self.by_leg.insert(leg, tag.clone());
        Ok((tag, info))
    }

    /// The tag of the call with this SIP key.
    pub fn tag_of_key(&self, key: CallKey) -> Option<String> {
        self.by_key.get(&key).cloned()
    }

    /// The tag of the call with this media leg.
    pub fn tag_of_leg(&self, leg: LegId) -> Option<String> {
        self.by_leg.get(&leg).cloned()
    }

    /// True if the call was answered or is ending: a guest did something with it.
    pub fn is_handled(&self, tag: &str) -> bool {
        self.calls
            .get(tag)
            .is_none_or(|c| c.answered_at.is_some() || c.ending)
    }

    /// Answers: takes an RTP port, starts the media leg, sends 200 OK with the SDP answer.
    pub fn answer(&mut self, now: Instant, tag: &str) -> Result<(), Error> {
        let call = self.calls.get(tag).ok_or(Error::NoSuchCall)?;
        if call.answered_at.is_some() || call.ending {
            return Err(Error::WrongState(
                "the call is already answered or ending".into(),
            ));
        }
        let socket = self
            .ports
            .allocate()
            .ok_or_else(|| Error::WrongState("no free RTP port".into()))?;
        let port = socket
            .local_addr()
            .map_err(|e| Error::WrongState(format!("RTP socket: {e}")))?
            .port();
        let local_rtp = SocketAddr::new(call.local_ip, port);
        let answer = sdp::answer(&call.negotiated, local_rtp, session_id(call.leg));
        self.endpoint
            .answer(now, call.key, answer)
            .map_err(|e| Error::WrongState(e.to_string()))?;
        let params = LegParams {
            codec: call.codec,
            payload_type: call.negotiated.audio.payload_type,
            telephone_event: call.negotiated.telephone_event,
            remote: call.negotiated.remote_rtp,
        };
        let leg = call.leg;
        let room = self.rooms.room_of(tag).map(str::to_owned);
        let worker = match &room {
            Some(room) => self.media.worker_for_room(room),
            None => self.media.worker_for_leg(leg),
        };
        self.media.send(
            worker,
            MediaCommand::AddLeg {
                leg,
                params,
                socket,
            },
        );
        if let Some(room) = room {
            self.media
                .send(worker, MediaCommand::Join(leg, RoomId(room)));
        }
        let call = self.calls.get_mut(tag).expect("looked up above");
        call.answered_at = Some(now);
        call.worker = Some(worker);
        self.stats.connected += 1;
        Ok(())
    }

    /// Rejects a call that is not answered.
    pub fn reject(
        &mut self,
        now: Instant,
        tag: &str,
        code: u16,
        reason: &str,
    ) -> Result<(), Error> {
        let call = self.calls.get_mut(tag).ok_or(Error::NoSuchCall)?;
        if call.answered_at.is_some() || call.ending {
            return Err(Error::WrongState(
                "only an unanswered call can be rejected".into(),
            ));
        }
        call.ending = true;
        self.endpoint
            .reject(now, call.key, code, reason)
            .map_err(|e| Error::WrongState(e.to_string()))
    }

    /// Ends a call: BYE if answered, a rejection otherwise. Hanging up a call
    /// that is already ending does nothing.
    pub fn hangup(&mut self, now: Instant, tag: &str) -> Result<(), Error> {
        let call = self.calls.get_mut(tag).ok_or(Error::NoSuchCall)?;
        if call.ending {
            return Ok(());
        }
        call.ending = true;
        self.rooms
            .set_status(tag, ParticipantStatus::Disconnecting, Some("disconnect"));
        self.endpoint
            .hangup(now, call.key)
            .map_err(|e| Error::WrongState(e.to_string()))
    }

    /// The safe fallback after the call's guest failed: a participant stays in
    /// its room (the call goes on without call logic); any other call ends,
    /// rejected with 500 if unanswered.
    pub fn guest_failed(&mut self, now: Instant, tag: &str) {
        let Some(call) = self.calls.get(tag) else {
            return;
        };
        let result = if self.rooms.room_of(tag).is_some() && call.answered_at.is_some() {
            Ok(())
        } else if call.answered_at.is_some() || call.ending {
            self.hangup(now, tag)
        } else {
            self.reject(now, tag, 500, "Server Internal Error")
        };
        if let Err(e) = result {
            tracing::warn!(call = tag, "fallback after guest failure: {e:?}");
        }
    }

    /// Hangs up every call (at shutdown) and stops taking new ones.
    pub fn hangup_all(&mut self, now: Instant) {
        self.accepting = false;
        let tags: Vec<String> = self.calls.keys().cloned().collect();
        for tag in tags {
            let _ = self.hangup(now, &tag);
        }
    }

    /// The ACK for the call's 2xx arrived.
    pub fn confirmed(&mut self, tag: &str) {
        self.rooms
            .set_status(tag, ParticipantStatus::Connected, None);
    }

    /// The call is over: its media stops, its participant is Finished, the
    /// counters are updated.
    pub fn ended(&mut self, now: Instant, tag: &str, cause: EndCause) {
        let Some(call) = self.calls.remove(tag) else {
            return;
        };
        self.by_key.remove(&call.key);
        self.by_leg.remove(&call.leg);
        if let Some(worker) = call.worker {
            self.media.send(worker, MediaCommand::RemoveLeg(call.leg));
        }
        if let Some(answered) = call.answered_at {
            self.stats.connected_seconds += now.saturating_duration_since(answered).as_secs();
        }
        let reason = match cause {
            EndCause::RemoteBye => "BYE",
            EndCause::Cancelled => "CANCEL",
            EndCause::NoAck => "no ACK",
            EndCause::LocalHangup | EndCause::Rejected => "disconnect",
        };
        self.rooms
            .set_status(tag, ParticipantStatus::Finished, Some(reason));
    }

    /// Plays prompts to an answered call.
    pub fn play(&mut self, tag: &str, names: &[String], looped: bool) -> Result<(), Error> {
        let prompts = self
            .prompts
            .resolve(names)
            .map_err(|name| Error::InvalidArgument(format!("no prompt named {name:?}")))?;
        let (leg, worker) = self.media_leg(tag)?;
        self.media.send(
            worker,
            MediaCommand::Play {
                leg,
                prompts,
                looped,
            },
        );
        Ok(())
    }

    /// Stops playback on an answered call.
    pub fn stop(&mut self, tag: &str) -> Result<(), Error> {
        let (leg, worker) = self.media_leg(tag)?;
        self.media.send(worker, MediaCommand::Stop(leg));
        Ok(())
    }

    fn media_leg(&self, tag: &str) -> Result<(LegId, usize), Error> {
        let call = self.calls.get(tag).ok_or(Error::NoSuchCall)?;
        let worker = call
            .worker
            .ok_or_else(|| Error::WrongState("the call is not answered".into()))?;
        Ok((call.leg, worker))
    }

    /// Lists the call in a room and, if answered, moves its media there.
    pub fn join(&mut self, tag: &str, room: &str, options: JoinOptions) -> Result<(), Error> {
        let call = self.calls.get(tag).ok_or(Error::NoSuchCall)?;
        let status = if call.answered_at.is_some() {
            ParticipantStatus::Connected
        } else {
            ParticipantStatus::Connecting
        };
        let (leg, from) = (call.leg, call.worker);
        self.rooms.join(tag, room, options, status);
        if let Some(from) = from {
            let to = self.media.worker_for_room(room);
            if from != to {
                self.media.move_leg(leg, from, to);
                self.calls.get_mut(tag).expect("looked up above").worker = Some(to);
            }
            self.media
                .send(to, MediaCommand::Join(leg, RoomId(room.to_owned())));
        }
        Ok(())
    }

    /// Takes the call out of its room.
    pub fn leave(&mut self, tag: &str) -> Result<(), Error> {
        let call = self.calls.get(tag).ok_or(Error::NoSuchCall)?;
        if let Some(worker) = call.worker {
            self.media.send(worker, MediaCommand::Leave(call.leg));
        }
        self.rooms.leave(tag);
        Ok(())
    }

    /// The room registry.
    pub fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    /// The room registry, for changes that involve no call.
    pub fn rooms_mut(&mut self) -> &mut Rooms {
        &mut self.rooms
    }

    /// Hangs up everyone in the room and deletes it.
    pub fn close_room(&mut self, now: Instant, room: &str) -> Result<(), Error> {
        let calls = self.rooms.remove(room).ok_or(Error::NoSuchRoom)?;
        for tag in calls {
            let _ = self.hangup(now, &tag);
        }
        Ok(())
    }
}

/// An SDP session id (RFC 4566 §5.2 suggests an NTP timestamp; any number
/// unique to the session will do): the leg number, which is unique per process.
fn session_id(leg: LegId) -> u64 {
    leg.0
}
