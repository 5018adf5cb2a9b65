//! The core: state, inputs from SIP, media and time, and the drained outputs.
//! Guest and control commands are in `commands` (keys sent in `dtmf`,
//! messages between calls in `messages`); lifecycles in `lifecycle`.

mod commands;
mod dtmf;
mod lifecycle;
mod liveness;
mod messages;
mod outbound;
mod recording;
mod renegotiation;
mod room_state;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchyard_media::{LegId, MediaEvent, PlayId, SILENCE_DBOV, TalkChange};
use switchyard_sip::{
    CallKey, EndCause, Endpoint, Event as SipEvent, IncomingCall, Transmit, Transport,
};

use crate::call::{Call, CallId, Calls, Phase, Session};
use crate::call_rate::{CallRate, RATE_LIMIT_RETRY_AFTER_S};
use crate::effect::{CallEvent, Effect, GuestOp, Invite, MediaOp, RecordingEnd};
use crate::empty_rooms::EmptyRooms;
use crate::media_backlog::MediaBacklog;
use crate::network::{Network, NoMediaAddress};
use crate::placement::Placement;
use crate::rooms::Room;
use crate::setup_times::SetupTimes;
use crate::timers::{TimerId, TimerKind, Timers};

pub use messages::MAX_MESSAGE_BYTES;
pub use room_state::RoomState;

/// What the 503 sent when no guest instance is free asks the caller to wait,
/// in seconds (RFC 3261 §20.33).
pub const RETRY_AFTER_S: u32 = 5;

/// How the core is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreConfig {
    /// Media workers (timing cores) legs are placed on; at least one.
    pub workers: usize,
    /// How long a finished participant stays listed; zero removes it at once.
    pub participants_expire_delay: Duration,
    /// How long an empty room lives on (not predefined ones).
    pub rooms_expire_delay: Duration,
    /// Rooms that exist from the start and never expire.
    pub predefined_rooms: Vec<String>,
    /// The most empty rooms waiting to expire; past it the oldest goes at once.
    pub max_empty_rooms: usize,
    /// The most timers one call may have pending.
    pub max_timers_per_call: usize,
    /// The user part of a placed call's From when its request gives none.
    pub dial_user: String,
    /// The SIP URI every placed call goes through (RFC 3261 §8.1.2: it becomes
    /// the INVITE's Route, so it should carry `;lr`); `None`: straight to the
    /// Request-URI's target.
    pub outbound_proxy: Option<String>,
    /// The most calls being placed at once (resolving or waiting for an answer).
    pub max_dialing: usize,
    /// How long a placed call may go unanswered before it is cancelled (its
    /// INVITE client transaction only times out while nothing rings, RFC 3261
    /// §17.1.1.2).
    pub ring_timeout: Duration,
    /// How long a placed call's INVITE may go without any response, not even 100 Trying,
    /// before it is abandoned for the next target (RFC 3263 §4.3) when one is left; the
    /// last target is given until Timer B (RFC 3261 §17.1.1.2).
    pub next_target_after: Duration,
    /// The most rooms being recorded at once.
    pub max_recordings: usize,
    /// How often the peer of an answered call that receives no RTP from it
    /// (held, or holding us with `a=inactive`) is asked whether the call is
    /// still alive, by an in-dialog OPTIONS; the call ends when the peer
    /// answers 408 or 481, or not at all. Less than a second is taken as one.
    pub peer_probe_interval: Duration,
}

impl Default for CoreConfig {
    /// One worker, SEMS's expiry delays (10 s, 7,200 s), no predefined room,
    /// 10,000 empty rooms waiting at most, 64 timers a call; SIP on 5060, placed
    /// calls from `switchyard` with no outbound proxy, 1,000 of them at once,
    /// each cancelled after 60 s without an answer; 32 recordings at once;
    /// peers that send no RTP probed every 60 s, the media workers' default
    /// RTP timeout.
    fn default() -> Self {
        CoreConfig {
            workers: 1,
            participants_expire_delay: Duration::from_secs(10),
            rooms_expire_delay: Duration::from_secs(7200),
            predefined_rooms: Vec::new(),
            max_empty_rooms: 10_000,
            max_timers_per_call: 64,
            dial_user: "switchyard".to_owned(),
            outbound_proxy: None,
            max_dialing: 1000,
            ring_timeout: Duration::from_secs(60),
            next_target_after: Duration::from_secs(4),
            max_recordings: 32,
            peer_probe_interval: Duration::from_secs(60),
        }
    }
}

/// Counters since start (SEMS's server-info string, refusals, outcomes).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CallStats {
    /// Calls received.
    pub total: u64,
    /// Calls placed ([`CallCore::dial`], [`CallCore::forward`]).
    pub placed: u64,
    /// Calls answered, received or placed.
    pub connected: u64,
    /// Calls, received or placed, that ended or were refused without being answered.
    pub failed: u64,
    /// Calls, received or placed, that have ended or were refused, answered
    /// or not: `failed` of them were never answered, and `not_connected`
    /// never both answered and with others.
    pub finished: u64,
    /// Calls over that were never connected as SEMS counts a conference call:
    /// answered and put with others (into a room or a bridge, or forwarded).
    /// A caller who hangs up at a prompt, or is sent away from one, is among
    /// them, and so is every call in `failed`.
    pub not_connected: u64,
    /// How long the answered calls took to be answered.
    pub setup: SetupTimes,
    /// Seconds the connected calls over were connected: from the moment they
    /// were both answered and with others until their end.
    pub connected_seconds: u64,
    /// Calls refused with 503 because no guest instance was free.
    pub refused_no_instance: u64,
    /// Calls refused with 488: no codec in common.
    pub refused_no_codec: u64,
    /// Calls whose guest failed (trap or deadline) and got the fallback.
    pub guest_failures: u64,
    /// Calls refused with 503 because they came over the limit of new calls
    /// per second ([`CallCore::set_cps_limit`]).
    pub refused_rate_limited: u64,
    /// Calls refused with 503 because the host was shutting down
    /// ([`CallCore::hangup_all`]) or in shutdown mode ([`CallCore::set_shutdown_mode`]).
    pub refused_shutting_down: u64,
    /// Calls refused with 488 (Media Address Family Not Served) because the host has no
    /// address of the offer's family to answer with.
    pub refused_no_media_address: u64,
    /// Calls refused with 480 because the host could not find its address to answer with
    /// for want of resources ([`NoMediaAddress::Unknown`]).
    pub refused_no_resources: u64,
}

impl CallStats {
    /// Counts a call answered at `now` whose setup began at `started`.
    pub(crate) fn answered(&mut self, started: Instant, now: Instant) {
        self.connected += 1;
        self.setup.record(now.saturating_duration_since(started));
    }

    /// Counts a call that ended or was refused without being answered.
    pub(crate) fn ended_unanswered(&mut self) {
        self.finished += 1;
        self.failed += 1;
        self.not_connected += 1;
    }

    /// Counts an answered call that ended after being `connected` that long,
    /// or never connected (none).
    pub(crate) fn ended_answered(&mut self, connected: Option<Duration>) {
        self.finished += 1;
        match connected {
            Some(connected) => self.connected_seconds += connected.as_secs(),
            None => self.not_connected += 1,
        }
    }
}

/// Every call, leg, bridge, room and participant of a host. See the crate docs.
pub struct CallCore {
    config: CoreConfig,
    endpoint: Endpoint,
    network: Box<dyn Network>,
    placement: Placement,
    /// The commands each media worker has waiting, its media effects included.
    media_backlog: Arc<MediaBacklog>,
    calls: Calls,
    /// Placed calls whose target is being resolved (no SIP call yet).
    dialing: HashMap<CallId, outbound::PendingDial>,
    by_key: HashMap<CallKey, CallId>,
    rooms: BTreeMap<String, Room>,
    /// Counts every change to what [`RoomState`] keeps of the rooms.
    rooms_version: u64,
    /// Rooms whose meta keeps them while empty ([`crate::KEEP_META_KEY`]): counted as
    /// their meta changes (`edit_meta`) and as they go (`room_removed`), so that keeping
    /// one more need not look at every room.
    kept_rooms: usize,
    empty_rooms: EmptyRooms,
    /// The expiry timers of rooms restored at start that have not been
    /// joined since: not counted in `empty_rooms`.
    restored_expiries: HashSet<TimerId>,
    timers: Timers,
    effects: VecDeque<Effect>,
    stats: CallStats,
    call_rate: CallRate,
    accepting: bool,
    /// New calls are refused while the calls up go on ([`CallCore::set_shutdown_mode`]).
    shutdown_mode: bool,
    next_call: u64,
}

impl CallCore {
    /// A core with no calls, whose SIP goes through `endpoint`; the predefined
    /// rooms are open.
    pub fn new(config: CoreConfig, endpoint: Endpoint, network: Box<dyn Network>) -> CallCore {
        let predefined = config.predefined_rooms.clone();
        let mut core = CallCore {
            placement: Placement::new(config.workers),
            media_backlog: Arc::new(MediaBacklog::new(config.workers)),
            config,
            endpoint,
            network,
            calls: Calls::default(),
            dialing: HashMap::new(),
            by_key: HashMap::new(),
            rooms: BTreeMap::new(),
            rooms_version: 0,
            kept_rooms: 0,
            empty_rooms: EmptyRooms::default(),
            restored_expiries: HashSet::new(),
            timers: Timers::default(),
            effects: VecDeque::new(),
            stats: CallStats::default(),
            call_rate: CallRate::default(),
            accepting: true,
            shutdown_mode: false,
            next_call: 0,
        };
        for room in &predefined {
            core.room_or_create(room);
        }
        core
    }

    /// The room `name`, created empty unless it exists: predefined, so never expiring, if the
    /// configuration lists it. Every room is created here, so that a predefined one stays so
    /// whatever brings it back.
    fn room_or_create(&mut self, name: &str) -> &mut Room {
        let (config, rooms_version) = (&self.config, &mut self.rooms_version);
        self.rooms.entry(name.to_owned()).or_insert_with(|| {
            *rooms_version += 1;
            Room::new(config.predefined_rooms.iter().any(|p| p == name))
        })
    }

    /// The core counting the media commands it emits in `backlog`, which the
    /// media workers count off as they are done with them; it has one count per
    /// worker of the config. Without it the core counts in a backlog of its own.
    pub fn with_media_backlog(mut self, backlog: Arc<MediaBacklog>) -> CallCore {
        self.media_backlog = backlog;
        self
    }

    /// The commands each media worker has waiting, as the core counts them.
    pub fn media_backlog(&self) -> &MediaBacklog {
        &self.media_backlog
    }

    /// A SIP message arrived over `transport` from `remote` at our socket
    /// `local` (over TCP, one whole message of the stream). A socket bound to
    /// an unspecified address is taken to have the address the [`Network`]
    /// says `remote` sees.
    pub fn handle_message(
        &mut self,
        now: Instant,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        let local = match self.network.advertised_ip(remote.ip()) {
            Some(ip) => SocketAddr::new(ip, local.port()),
            None if local.ip().is_unspecified() => {
                SocketAddr::new(self.network.local_ip_for(remote.ip()), local.port())
            }
            None => local,
        };
        self.endpoint
            .handle_message(now, transport, local, remote, data);
        self.drain_sip(now);
    }

    /// Whether the TCP connection whose far end is `remote` may still carry a call's messages
    /// ([`Endpoint::uses_tcp_connection`]): the shell keeps it open however long it idles.
    pub fn needs_connection(&self, remote: SocketAddr) -> bool {
        self.endpoint.uses_tcp_connection(remote)
    }

    /// The shell's transport could not reach `addr` over `transport` (a TCP
    /// connection that could not be opened or broke with messages unwritten, a
    /// datagram the network refused): every request of ours waiting there for
    /// its answer is given up as if answered 503, but an INVITE that had a
    /// provisional response, left to its own timers (see
    /// [`Endpoint::transport_failed`]): calls being placed go on to their next
    /// target, a BYE ends its call, a re-INVITE is refused.
    pub fn transport_failed(&mut self, now: Instant, transport: Transport, addr: SocketAddr) {
        self.endpoint.transport_failed(now, transport, addr);
        self.drain_sip(now);
    }

    /// Runs everything due at `now`: SIP timers, guest timers, expiries.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.drain_sip(now);
        while let Some((id, kind)) = self.timers.pop_due(now) {
            match kind {
                TimerKind::Guest(call) => {
                    if let Ok(timers) = self.guest_timers_mut(call) {
                        timers.remove(&id);
                        // A call its guest hung up hears nothing more but its hangup.
                        if self.going_on(call) {
                            self.guest_event(call, CallEvent::Timer(id));
                        }
                    }
                }
                TimerKind::ParticipantExpiry { room, call } => {
                    self.expire_participant(now, &room, call);
                }
                TimerKind::RoomExpiry(room) => self.expire_room(&room),
                TimerKind::RingTimeout(call) => self.ring_timed_out(now, call),
                TimerKind::NextTarget(call) => self.target_silent(now, call),
                TimerKind::PeerProbe(call) => self.probe_peer(now, call),
            }
        }
    }

    /// Something a media worker reported.
    pub fn handle_media_event(&mut self, now: Instant, event: MediaEvent) {
        let (leg, event) = match event {
            MediaEvent::PromptDone { leg, play } => {
                if !self.is_latest_play(call_of(leg), play) {
                    return;
                }
                (leg, CallEvent::PromptDone(play))
            }
            MediaEvent::Dtmf { leg, digit } => (leg, CallEvent::Dtmf(digit)),
            MediaEvent::Talk { leg, change } => {
                let (talking, level_dbov) = match change {
                    TalkChange::Started { level_dbov } => (true, level_dbov),
                    TalkChange::Stopped => (false, SILENCE_DBOV),
                };
                self.set_talking(call_of(leg), talking);
                (
                    leg,
                    CallEvent::Talk {
                        talking,
                        level_dbov,
                    },
                )
            }
            MediaEvent::RtpTimeout { leg } => {
                if self.silent_before_answer(call_of(leg)) {
                    return;
                }
                return self.hang_up_without_media(now, leg, "no RTP received");
            }
            MediaEvent::LegLost { leg } => {
                self.forget_lost_leg(leg);
                return self.hang_up_without_media(now, leg, "its media worker lost the leg");
            }
            MediaEvent::RecordingEnded { room, recording } => {
                self.recording_ended(&room.0, recording, RecordingEnd::File);
                return;
            }
            MediaEvent::RecordingLost { room, recording } => {
                self.recording_ended(&room.0, recording, RecordingEnd::WorkerFailed);
                return;
            }
            // Its call is gone; how its RTP fared is the shell's to tell.
            MediaEvent::LegEnded { .. } => return,
        };
        let call = call_of(leg);
        if self.calls.get(&call).is_some_and(|c| !c.ending()) {
            self.guest_event(call, event);
        }
    }

    /// `leg` is gone from the workers, and its RTP port with it: its call has no media from
    /// now on, so that its room no longer counts it among those hearing what is played there
    /// while its hang-up is under way, and its end has no leg to remove nor port to release.
    /// A call whose leg was already removed (moved to another local end) keeps the port it
    /// holds now.
    fn forget_lost_leg(&mut self, leg: LegId) {
        let Some(state) = self.calls.get_mut(&call_of(leg)) else {
            return;
        };
        if state.worker.take().is_some() {
            state.local_sdp = None;
            state.local_rtp = None;
        }
    }

    /// Hangs up the call of `leg`, if it is still there: no RTP reaches it, for `why`.
    fn hang_up_without_media(&mut self, now: Instant, leg: LegId, why: &str) {
        let call = call_of(leg);
        if self.calls.contains_key(&call) {
            tracing::info!(%call, "{why}: hanging up");
            let _ = self.hangup(now, call);
        }
    }

    /// When [`CallCore::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.endpoint.poll_timeout(), self.timers.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next SIP datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.endpoint.poll_transmit()
    }

    /// The next effect to carry out, in order.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// The counters.
    pub fn stats(&self) -> CallStats {
        self.stats
    }

    /// New and active calls per second, and the limit of new calls per second.
    pub fn call_rate(&self) -> &CallRate {
        &self.call_rate
    }

    /// Sets the most new calls admitted per second (0: no limit); a new INVITE
    /// over it gets 503 with `Retry-After`.
    pub fn set_cps_limit(&mut self, limit: u32) {
        self.call_rate.set_limit(limit);
    }

    /// Sets SEMS's shutdown mode: while it is on, a new INVITE gets `503 Server shutting
    /// down` and the calls up go on, so that a server can be drained before it is stopped.
    pub fn set_shutdown_mode(&mut self, on: bool) {
        self.shutdown_mode = on;
    }

    /// Whether new calls are refused ([`CallCore::set_shutdown_mode`]).
    pub fn shutdown_mode(&self) -> bool {
        self.shutdown_mode
    }

    /// The SIP endpoint's counters (drops, rejections, retransmissions).
    pub fn sip_stats(&self) -> switchyard_sip::Stats {
        self.endpoint.stats()
    }

    /// The shell refused messages on TCP or TLS connections that it could not frame: it
    /// answered `bad_requests` of them with `400 Bad Request` and `too_large` with `513
    /// Message Too Large` ([`switchyard_sip::FramingError::response`]), and dropped
    /// unanswered others ([`switchyard_sip::FramingError::is_dropped`]: requests no response
    /// can be sent to, and any other message over the size limit), `dropped_too_large` of
    /// them over the size limit and `dropped_unroutable` others: counted in [`CallCore::sip_stats`]
    /// ([`switchyard_sip::Endpoint::framing_refused`]).
    pub fn framing_refused(
        &mut self,
        bad_requests: u64,
        too_large: u64,
        dropped_unroutable: u64,
        dropped_too_large: u64,
    ) {
        self.endpoint.framing_refused(
            bad_requests,
            too_large,
            dropped_unroutable,
            dropped_too_large,
        );
    }

    /// Whether the call is in progress (a placed call resolving its target
    /// included).
    pub fn has_call(&self, call: CallId) -> bool {
        self.calls.contains_key(&call) || self.dialing.contains_key(&call)
    }

    /// Whether `play` is the number of the prompt list last played to `call`, or of its last
    /// stop: the one list whose end its guest is to hear.
    fn is_latest_play(&self, call: CallId, play: PlayId) -> bool {
        self.calls.get(&call).is_some_and(|c| c.heard_play == play)
    }

    /// Whether `call` is up or still being placed (resolving its target included) and not
    /// ending: nothing has hung it up yet.
    fn going_on(&self, call: CallId) -> bool {
        self.dialing.contains_key(&call) || self.calls.get(&call).is_some_and(|c| !c.ending())
    }

    /// Ends every call still up at once, as hung up here: at shutdown, once the grace for
    /// their peers' answers to [`CallCore::hangup_all`] is over, so that each is counted in
    /// [`CallCore::stats`] and its guest hears it ended. The SIP endpoint keeps its side of
    /// them: the process is about to exit.
    pub fn abandon_all(&mut self, now: Instant) {
        let calls: Vec<CallId> = self.calls.keys().copied().collect();
        for call in calls {
            self.ended(now, call, Ending::Sip(EndCause::LocalHangup));
        }
        self.drain_sip(now);
    }

    /// Calls in progress (placed calls resolving their target included).
    pub fn active_calls(&self) -> usize {
        self.calls.len() + self.dialing.len()
    }

    /// How much the core holds: calls, rooms, listed participants and pending
    /// timers. None of these grows with calls that have ended and expired.
    pub fn footprint(&self) -> Footprint {
        Footprint {
            calls: self.active_calls(),
            sip_calls: self.endpoint.active_calls(),
            sip_transactions: self.endpoint.active_transactions(),
            rooms: self.rooms.len(),
            participants: self.rooms.values().map(Room::len).sum(),
            timers: self.timers.len(),
        }
    }

    /// Hangs up every call and refuses new ones (503), for shutdown.
    pub fn hangup_all(&mut self, now: Instant) {
        self.accepting = false;
        let calls: Vec<CallId> = self
            .calls
            .keys()
            .chain(self.dialing.keys())
            .copied()
            .collect();
        for call in calls {
            let _ = self.hangup(now, call);
        }
    }

    fn drain_sip(&mut self, now: Instant) {
        while let Some(event) = self.endpoint.poll_event() {
            match event {
                SipEvent::IncomingCall(incoming) => self.admit(now, incoming),
                SipEvent::CallConfirmed { call } => {
                    if let Some(&id) = self.by_key.get(&call) {
                        self.confirmed(id);
                    }
                }
                SipEvent::CallEnded { call, cause } => {
                    if let Some(id) = self.by_key.remove(&call) {
                        self.ended(now, id, Ending::Sip(cause));
                    }
                }
                SipEvent::CallProgress {
                    call,
                    code,
                    reason,
                    answer,
                } => {
                    if let Some(&id) = self.by_key.get(&call) {
                        self.placed_call_progress(id, now, code, reason, answer);
                    }
                }
                SipEvent::CallAnswered { call, answer } => {
                    if let Some(&id) = self.by_key.get(&call) {
                        self.placed_call_answered(now, id, answer);
                    }
                }
                SipEvent::CallFailed {
                    call,
                    code,
                    reason,
                    try_next,
                } => {
                    if let Some(id) = self.by_key.remove(&call) {
                        self.placed_call_rejected(now, id, code, reason, try_next);
                    }
                }
                SipEvent::SessionOffer { call, offer } => {
                    if let Some(&id) = self.by_key.get(&call) {
                        self.session_offer(now, id, offer);
                    }
                }
                SipEvent::OfferAnswered {
                    call,
                    answer,
                    offer,
                } => {
                    if let Some(id) = self.live_call(call) {
                        self.offer_answered(now, id, &answer, &offer);
                    }
                }
                SipEvent::OfferRefused {
                    call,
                    code,
                    reason,
                    offer,
                } => {
                    tracing::info!(%call, code, reason, "our new offer was refused; the session stays");
                    if let Some(id) = self.live_call(call) {
                        self.offer_refused(now, id, &offer, code, &reason);
                    }
                }
                SipEvent::UnusableAnswer {
                    call,
                    offer,
                    no_sdp,
                } => {
                    if let Some(id) = self.live_call(call) {
                        self.answer_unreadable(now, id, &offer, no_sdp);
                    }
                }
                SipEvent::Dtmf { call, digit, .. } => {
                    if let Some(id) = self.live_call(call) {
                        self.guest_event(id, CallEvent::Dtmf(digit));
                    }
                }
                SipEvent::ProbeResult { call, code } => {
                    tracing::debug!(%call, code, "in-dialog OPTIONS answered");
                }
            }
        }
        self.call_rate.sample_active(now, self.active_calls());
    }

    /// The call of the SIP call `call` unless it is ending: what its peer does once we hung
    /// up (a key pressed, the answer to or refusal of our pending offer, which RFC 3261
    /// §15.1.2 has the peer refuse with 487 on our BYE) concerns its guest no more.
    fn live_call(&self, call: CallKey) -> Option<CallId> {
        let id = *self.by_key.get(&call)?;
        self.going_on(id).then_some(id)
    }

    /// A new INVITE: refused here (shutting down, in shutdown mode, over the
    /// limit of new calls per second, no common codec, no address of ours for the
    /// offer's media), each refusal counted in [`CallStats`], or handed to a guest.
    fn admit(&mut self, now: Instant, incoming: IncomingCall) {
        self.stats.total += 1;
        let key = incoming.call;
        let closed = match (self.accepting, self.shutdown_mode) {
            (false, _) => Some("Service Unavailable"),
            (true, true) => Some("Server shutting down"),
            (true, false) => None,
        };
        if let Some(reason) = closed {
            self.stats.ended_unanswered();
            self.stats.refused_shutting_down += 1;
            let _ = self.endpoint.reject(now, key, 503, reason);
            return;
        }
        if !self.call_rate.admit(now) {
            self.stats.ended_unanswered();
            self.stats.refused_rate_limited += 1;
            self.refuse_busy(now, key, RATE_LIMIT_RETRY_AFTER_S);
            return;
        }
        // An INVITE without an offer (a late offer) gets ours in the 2xx; its audio is agreed
        // when the ACK brings the answer.
        let session = match incoming.offer.as_ref().map(Session::agree) {
            Some(None) => {
                self.stats.ended_unanswered();
                self.stats.refused_no_codec += 1;
                let _ = self.endpoint.reject(now, key, 488, "Not Acceptable Here");
                return;
            }
            Some(session) => session,
            None => None,
        };
        let local_ip = match self.media_ip(incoming.source.ip(), session.as_ref()) {
            Ok(local_ip) => local_ip,
            Err(why) => return self.refuse_without_media_address(now, key, why),
        };
        self.next_call += 1;
        let id = CallId(self.next_call);
        let mut call = Call::new(key, now, local_ip, Phase::Offered);
        call.session = session;
        self.calls.insert(id, call);
        self.by_key.insert(key, id);
        tracing::info!(call = %id, to = %incoming.request_uri, from = %incoming.from_uri, "incoming call");
        let invite = Invite {
            call: id,
            sip: incoming,
        };
        self.effects
            .push_back(Effect::Guest(GuestOp::Invite(Box::new(invite))));
    }

    /// Our address for the media of an incoming call from `peer` whose offer agreed
    /// `session`: the one facing the offer's media address, where the media comes from (a
    /// proxy in front may be the SIP peer, on this host or another network); or, when that is
    /// a private address behind a NAT the SIP peer's messages crossed, the one facing `peer`,
    /// as the interface facing the private address (another private network of ours) is one
    /// the caller cannot reach. With no offer, or none facing the offer's address, the one
    /// facing `peer` if it is of the offer's family (RFC 3264 §6: the answer names an address
    /// of the offerer's family); else why we have none to give, not known if either was not.
    fn media_ip(
        &mut self,
        peer: IpAddr,
        session: Option<&Session>,
    ) -> Result<IpAddr, NoMediaAddress> {
        let Some(media) = session.and_then(Session::remote_ip) else {
            return self.network.media_ip_for(peer);
        };
        let same_family = media.is_ipv4() == peer.is_ipv4();
        if same_family && switchyard_sip::crossed_a_nat(media, peer) {
            return self.network.media_ip_for(peer);
        }
        match self.network.media_ip_for(media) {
            Err(why) if same_family => self.network.media_ip_for(peer).map_err(|then| why.or(then)),
            found => found,
        }
    }

    /// Refuses the offered call `key` for want of an address of ours for its media, as `why`
    /// says: 488 when the host has none of the offer's family, or 480 naming the cause when it
    /// could not find one for now (RFC 3261 §21.4.18: the callee may be reachable later).
    fn refuse_without_media_address(&mut self, now: Instant, key: CallKey, why: NoMediaAddress) {
        self.stats.ended_unanswered();
        match why {
            NoMediaAddress::NotServed => {
                tracing::info!(%key, "no address of ours can carry the offer's media: 488");
                self.stats.refused_no_media_address += 1;
                let _ = self.endpoint.reject(now, key, 488, FAMILY_NOT_SERVED);
            }
            NoMediaAddress::Unknown(reason) => {
                tracing::info!(%key, "no media address: {reason}: 480");
                self.stats.refused_no_resources += 1;
                let phrase = format!("Temporarily Unavailable: No Media Address: {reason}");
                let _ = self.endpoint.reject(now, key, 480, &phrase);
            }
        }
    }

    /// Refuses an offered call with `503 Service Unavailable` asking the caller
    /// to try again after `retry_after_s` seconds (RFC 3261 §20.33, §21.5.4).
    fn refuse_busy(&mut self, now: Instant, key: CallKey, retry_after_s: u32) {
        let retry_after = retry_after_s.to_string();
        let _ = self.endpoint.reject_with(
            now,
            key,
            503,
            "Service Unavailable",
            &[("Retry-After", &retry_after)],
        );
    }

    fn guest_event(&mut self, call: CallId, event: CallEvent) {
        self.effects
            .push_back(Effect::Guest(GuestOp::Event { call, event }));
    }

    fn media(&mut self, op: MediaOp) {
        self.media_backlog.emitted(&op);
        self.effects.push_back(Effect::Media(op));
    }
}

/// The reason phrase of the 488 refusing an offer whose media address is of a family we
/// cannot give it RTP in (RFC 3261 §21.4.26).
pub(crate) const FAMILY_NOT_SERVED: &str = "Not Acceptable Here: Media Address Family Not Served";

/// Why a call ended, for its participant's reason.
pub(crate) enum Ending {
    /// As the SIP endpoint reported it.
    Sip(EndCause),
    /// A placed call failed: "code phrase".
    Failed(String),
}

impl Ending {
    /// Whether an incoming call ending so had its 2xx sent. One held for the PRACK of an
    /// early answer (RFC 3262 §3) goes only when the PRACK comes; until then the call may
    /// end without it: cancelled (487), hung up here (480), or the PRACK never coming (500).
    fn follows_a_2xx(&self) -> bool {
        // A peer's BYE on the early dialog gets 487 too (RFC 3261 §15.1.2), but one before
        // the ACK is mostly sent after the 2xx, its ACK lost or overtaken.
        matches!(
            self,
            Ending::Sip(
                EndCause::NoAck
                    | EndCause::RemoteBye
                    | EndCause::SessionExpired
                    | EndCause::DialogGone
            )
        )
    }
}

/// What a core holds; see [`CallCore::footprint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footprint {
    /// Calls in progress.
    pub calls: usize,
    /// Calls the SIP endpoint still tracks.
    pub sip_calls: usize,
    /// SIP transactions not yet terminated.
    pub sip_transactions: usize,
    /// Rooms.
    pub rooms: usize,
    /// Listed participants, finished ones included.
    pub participants: usize,
    /// Pending timers.
    pub timers: usize,
}

/// The call whose leg this is (a call's single leg has its number).
fn call_of(leg: LegId) -> CallId {
    CallId(leg.0)
}
