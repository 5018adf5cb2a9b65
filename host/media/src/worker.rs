//! One timing core: a set of rooms and their legs, ticking every packet time (DESIGN.md,
//! Principle 5).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::bridge::Bridges;
use crate::dtmf_send::DtmfSendError;
use crate::gain::Gain;
use crate::handover::DetachedLeg;
use crate::leg::{Leg, Legs, Place, Received};
use crate::mixing::{Announcement, Mixers, RoomTick};
use crate::output::Output;
use crate::packet_pool::PacketPool;
use crate::playback::{PlayId, Playback};
use crate::recording::{RecordingId, RecordingTap, Recordings};
use crate::rtcp::{LegQuality, LegSocket, NtpClock, Refused, ReportKind};
use crate::shared_encoders::SharedEncoders;
use crate::ticker::Ticker;
use crate::{
    JitterStats, Lateness, LegId, LegParams, Limiter, PACKET_TIME, PROMPT_RATE, Prompt, PromptRole,
    TalkChange,
};

/// The most overdue ticks one `handle_timeout` runs. When the shell wakes later than this many
/// packet times, the older ticks are skipped: running them would burst that many packets at
/// every peer (overflowing their jitter buffers) only to deliver audio that is already late.
pub const MAX_CATCH_UP_TICKS: u32 = 3;

/// Identifies a room within a worker; the shell (and through it the guests) names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomId(pub String);

/// Settings of a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerConfig {
    /// The tick period and frame duration; must be [`PACKET_TIME`] (20 ms), the only frame
    /// length the worker runs now (160, 320 or 960 samples at 8, 16 or 48 kHz).
    pub packet_time: Duration,
    /// Silence from a leg that receives for this long, neither RTP nor RTCP coming from its
    /// peer, raises [`MediaEvent::RtpTimeout`] once (re-armed when either arrives again, or by
    /// [`Worker::rearm_rtp_timeout`]); `None` never does.
    pub rtp_timeout: Option<Duration>,
    /// The lowest (and first) target playout delay of every leg's jitter buffer; it adapts to
    /// the measured jitter up to [`MAX_JITTER_DELAY`](crate::MAX_JITTER_DELAY). A packet
    /// arriving on schedule waits at most this long.
    pub jitter_delay: Duration,
    /// The most talkers of one room summed into its mix each tick, the loudest first; 0 sums
    /// every talker.
    pub max_talkers: usize,
    /// The NTP timestamp (RFC 5905's 64-bit format) of the worker's start: the wallclock its
    /// RTCP sender reports state. 0 makes them count from the start, as RFC 3550 §6.4.1
    /// allows a sender without a wallclock; round trips are timed either way.
    pub ntp_at_start: u64,
}

impl Default for WorkerConfig {
    /// 20 ms packets, a 60 s RTP timeout, a playout delay from 20 ms (at most one tick) and
    /// every talker summed.
    fn default() -> Self {
        WorkerConfig {
            packet_time: PACKET_TIME,
            rtp_timeout: Some(Duration::from_secs(60)),
            jitter_delay: Duration::from_millis(20),
            max_talkers: 0,
            ntp_at_start: 0,
        }
    }
}

/// An RTP or RTCP packet for the shell to send from one of the leg's sockets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaTransmit {
    /// The leg whose socket sends it.
    pub leg: LegId,
    /// Which of the leg's sockets sends it: RTP packets and multiplexed RTCP go from its RTP
    /// port, other RTCP from its RTCP port.
    pub socket: LegSocket,
    /// Where the leg's RTP goes: the source its peer's packets come from once the leg latched
    /// onto it (symmetric RTP), until then the SDP address ([`LegParams::remote`]). RTCP goes
    /// where the peer's came from, until then to [`LegParams::rtcp`].
    pub destination: SocketAddr,
    /// The whole packet.
    pub payload: Vec<u8>,
}

/// Something the shell (and its guests) should hear about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaEvent {
    /// The prompt list given to [`Worker::play`] played to its end (not sent when it was
    /// replaced or stopped, nor for a looped list).
    PromptDone {
        /// The leg that heard it.
        leg: LegId,
        /// The number it was played as.
        play: PlayId,
    },
    /// A key press received as RFC 4733 telephone-events, or as ITU-T Q.23 tones in the audio
    /// of a leg that agreed no `telephone-event` ([`InbandDtmf`](crate::InbandDtmf)),
    /// reported once per press.
    Dtmf {
        /// The leg that pressed it.
        leg: LegId,
        /// '0'–'9', '*', '#' or 'A'–'D'.
        digit: char,
    },
    /// Neither RTP nor RTCP arrived from the leg for [`WorkerConfig::rtp_timeout`]. Never raised for a leg that
    /// does not receive ([`MediaDirection::SendOnly`](crate::MediaDirection::SendOnly) or
    /// `Inactive`): its peer sends nothing.
    RtpTimeout {
        /// The silent leg.
        leg: LegId,
    },
    /// A leg removed ([`Worker::remove_leg`]): how its RTP fared each way, what it received of
    /// its peer's stream and what its peer's RTCP reported of ours.
    LegEnded {
        /// The leg.
        leg: LegId,
        /// The room it was in, if any.
        room: Option<RoomId>,
        /// Its figures as it ended.
        quality: LegQuality,
    },
    /// The leg is lost to its worker: its handover to another worker failed, or its worker
    /// failed ([`Worker::into_losses`]). No RTP reaches its call any more, and no
    /// [`MediaEvent::LegEnded`] tells how it fared: its figures went with it.
    LegLost {
        /// The lost leg.
        leg: LegId,
    },
    /// A leg in a room began or ended a talkspurt (voice activity with hangover).
    Talk {
        /// The leg.
        leg: LegId,
        /// What changed.
        change: TalkChange,
    },
    /// The room's recording ended on its own: the reader of its queue was gone (its writer
    /// failed or finished the file), so the worker stopped recording it. Raised once per
    /// recording; never for one ended by [`Worker::stop_recording`] or replaced by
    /// [`Worker::start_recording`].
    RecordingEnded {
        /// The room that was being recorded.
        room: RoomId,
        /// The recording, as its tap names it.
        recording: RecordingId,
    },
    /// The room's recording ended because its worker failed ([`Worker::into_losses`]): its
    /// tap was dropped, so its writer completes the file with what it got.
    RecordingLost {
        /// The room that was being recorded.
        room: RoomId,
        /// The recording, as its tap names it.
        recording: RecordingId,
    },
}

/// Counters of a worker since construction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Ticks run.
    pub ticks: u64,
    /// Ticks run a packet time or more after their deadline (catch-up).
    pub late_ticks: u64,
    /// Ticks skipped beyond the [`MAX_CATCH_UP_TICKS`] cap.
    pub skipped_ticks: u64,
    /// How late each tick ran after its deadline.
    pub lateness: Lateness,
    /// Valid RTP packets received for known legs.
    pub packets_received: u64,
    /// Packets dropped as invalid RTP or with an unreadable payload.
    pub malformed_packets: u64,
    /// Valid RTP packets dropped for a payload type the leg did not negotiate.
    pub unknown_payload_type: u64,
    /// Valid RTP packets dropped because their leg does not receive (our direction is sendonly
    /// or inactive).
    pub not_receiving: u64,
    /// Packets dropped because their leg is unknown.
    pub unknown_leg_packets: u64,
    /// Telephone-event packets of new key presses past
    /// [`MAX_KEYS_PER_SECOND`](crate::MAX_KEYS_PER_SECOND) of their leg, not reported.
    pub keys_over_rate: u64,
    /// Valid RTP packets (audio and telephone-events) dropped because they came from a source
    /// other than the one their leg latched onto, or from a source other than the SDP address
    /// during the latching grace ([`LATCH_GRACE`](crate::LATCH_GRACE)): injection attempts,
    /// strays, or a NAT-ed peer's first packets.
    pub foreign_source_dropped: u64,
    /// RTP packets queued for sending.
    pub packets_sent: u64,
    /// Packets that could not be built (a negotiated payload type above 127).
    pub build_errors: u64,
    /// Frames encoded by the room mixers; a payload shared by the non-talkers of a narrowband
    /// room (G.711) counts once per codec, G.722 and Opus listeners once each. Bridges do not
    /// use the mixers.
    pub encodes: u64,
    /// Payloads a bridge relayed from one G.711 leg to the other as received (no decode, no
    /// encode), or as the speaker's packet-loss concealment rendered them.
    pub relayed_frames: u64,
    /// Frames a bridge decoded and encoded for one leg (the legs' codecs differ, a prompt plays
    /// on the listening leg, or the codec is G.722 or Opus, whose streams are never relayed).
    pub bridged_transcodes: u64,
    /// Compound RTCP packets taken from legs' peers.
    pub rtcp_received: u64,
    /// RTCP packets dropped: not a valid compound packet (RFC 3550 A.2).
    pub rtcp_malformed: u64,
    /// RTCP packets dropped as not the peer's: from another host, or, once the peer's RTP came,
    /// of another stream and with no block on ours.
    pub rtcp_foreign_source: u64,
    /// RTCP reports queued for sending.
    pub rtcp_sent: u64,
    /// Round trips measured from peers' reports on our sender reports (RFC 3550 §6.4.1).
    pub round_trips: u64,
    /// The round trips measured, added up.
    pub round_trip_sum: Duration,
    /// Our packets peers expected, by the extended highest sequence numbers of their reports.
    pub peer_reported_expected: u64,
    /// Our packets peers reported lost (by their cumulative loss, never counted down, each
    /// packet once: a count that dips and rises again adds only what goes above its highest;
    /// one that falls further than duplicates explain, or comes from a new peer or reporter,
    /// is counted again from there).
    pub peer_reported_lost: u64,
    /// Frames of room mixes queued for their recordings' writers.
    pub recorded_frames: u64,
    /// Frames of room mixes dropped because their recording's queue was full (its writer fell
    /// behind).
    pub recording_dropped_frames: u64,
    /// Jitter buffer counters summed over the legs while they were on this worker: removed
    /// legs included, a detached leg's counts up to its detach, an attached leg's from its
    /// attach (so summing over workers counts every packet once).
    pub jitter: JitterStats,
}

impl WorkerStats {
    /// Adds `other`'s counters to these (the counters of several workers as one).
    pub fn accumulate(&mut self, other: &WorkerStats) {
        self.ticks += other.ticks;
        self.late_ticks += other.late_ticks;
        self.skipped_ticks += other.skipped_ticks;
        self.lateness.accumulate(&other.lateness);
        self.packets_received += other.packets_received;
        self.malformed_packets += other.malformed_packets;
        self.unknown_payload_type += other.unknown_payload_type;
        self.not_receiving += other.not_receiving;
        self.keys_over_rate += other.keys_over_rate;
        self.unknown_leg_packets += other.unknown_leg_packets;
        self.foreign_source_dropped += other.foreign_source_dropped;
        self.packets_sent += other.packets_sent;
        self.build_errors += other.build_errors;
        self.encodes += other.encodes;
        self.relayed_frames += other.relayed_frames;
        self.bridged_transcodes += other.bridged_transcodes;
        self.rtcp_received += other.rtcp_received;
        self.rtcp_malformed += other.rtcp_malformed;
        self.rtcp_foreign_source += other.rtcp_foreign_source;
        self.rtcp_sent += other.rtcp_sent;
        self.round_trips += other.round_trips;
        self.round_trip_sum += other.round_trip_sum;
        self.peer_reported_expected += other.peer_reported_expected;
        self.peer_reported_lost += other.peer_reported_lost;
        self.recorded_frames += other.recorded_frames;
        self.recording_dropped_frames += other.recording_dropped_frames;
        self.jitter.accumulate(&other.jitter);
    }
}

/// One timing core: owns a set of rooms and their legs; ticks every packet time on absolute
/// deadlines.
///
/// Every tick pulls one frame per leg from its jitter buffer, mixes each room at the highest
/// audio rate among its legs' codecs (mix-minus over the decoded talkers; G.711 non-talkers of
/// a narrowband room share one encode per codec, G.722 and Opus listeners keep their own
/// encoder), adds each leg's private
/// prompt, encodes and packetizes at each leg's ptime. Two bridged legs hear each other without
/// a mixer (see [`bridge`](Self::bridge)). Every leg that sends gets a packet every ptime,
/// comfort silence included, so NATs and peers stay happy; a leg on hold (by its direction)
/// gets none. Legs in no room and no bridge hear only their prompts. A leg is in at most one
/// room or bridge. Calls naming an unknown leg are ignored.
#[derive(Debug)]
pub struct Worker {
    config: WorkerConfig,
    ticker: Ticker,
    ntp: NtpClock,
    rng: SmallRng,
    legs: Legs,
    rooms: BTreeMap<RoomId, BTreeSet<LegId>>,
    /// Prompts a whole room hears, mixed in as one more talker; gone when
    /// they end or the room does.
    announcements: BTreeMap<RoomId, Announcement>,
    /// Each room's limiter, as long as the room exists.
    limiters: BTreeMap<RoomId, Limiter>,
    /// Each room's shared encoders of stateful codecs, as long as the room exists.
    shared_encoders: BTreeMap<RoomId, SharedEncoders>,
    bridges: Bridges,
    recordings: Recordings,
    mixers: Mixers,
    /// Bridged legs and the rate each renders at this tick: kept to reuse its memory.
    bridged_rates: Vec<(LegId, u32)>,
    transmits: VecDeque<MediaTransmit>,
    /// Packets of the last tick that leave half a tick after it (the packetizer's `Departure`), at
    /// `deferred_due`.
    deferred: VecDeque<MediaTransmit>,
    deferred_due: Instant,
    /// Buffers for outgoing packets, given back by the shell once sent.
    pool: PacketPool,
    events: VecDeque<MediaEvent>,
    stats: WorkerStats,
    // Jitter counters of removed and detached legs and of replaced buffers.
    retired: JitterStats,
}

impl Worker {
    /// A worker with no legs whose first tick is due at `start`, then every
    /// `config.packet_time` after it (`start + k × packet_time`, no drift). `seed` drives every
    /// random choice (SSRCs, initial sequence numbers and timestamps).
    ///
    /// # Panics
    /// If `config.packet_time` is not [`PACKET_TIME`].
    pub fn new(config: WorkerConfig, start: Instant, seed: u64) -> Self {
        assert_eq!(
            config.packet_time, PACKET_TIME,
            "the worker runs 20 ms frames only"
        );
        Worker {
            config,
            ticker: Ticker::new(start, config.packet_time),
            ntp: NtpClock {
                start,
                ntp_at_start: config.ntp_at_start,
            },
            rng: SmallRng::seed_from_u64(seed),
            legs: BTreeMap::new(),
            rooms: BTreeMap::new(),
            announcements: BTreeMap::new(),
            limiters: BTreeMap::new(),
            shared_encoders: BTreeMap::new(),
            bridges: Bridges::default(),
            recordings: Recordings::default(),
            mixers: Mixers::default(),
            bridged_rates: Vec::new(),
            transmits: VecDeque::new(),
            deferred: VecDeque::new(),
            deferred_due: start,
            pool: PacketPool::default(),
            events: VecDeque::new(),
            stats: WorkerStats::default(),
            retired: JitterStats::default(),
        }
    }

    /// Adds a leg, in no room, unmuted, with a new outgoing RTP stream; its RTP timeout counts
    /// from `now`. Adding a leg that exists is [`update_leg`](Self::update_leg).
    pub fn add_leg(&mut self, now: Instant, leg: LegId, params: LegParams) {
        if self.legs.contains_key(&leg) {
            self.update_leg(now, leg, params);
            return;
        }
        let state = Leg::new(now, params, self.config.jitter_delay, &mut self.rng);
        self.legs.insert(leg, Box::new(state));
    }

    /// Adopts re-negotiated parameters for a live leg (a re-INVITE or UPDATE), effective from the
    /// next tick; an unknown leg is ignored. Room or bridge, mute, gain and playback carry on, and
    /// so does the outgoing RTP stream: same SSRC, next sequence number, timestamp on the sampling
    /// clock (RFC 3550 §5.1, §8), whatever the new codec, payload type, remote address or ptime,
    /// unless the new codec's RTP clock runs at another rate (G.711 to Opus): a new stream then
    /// starts, with a new SSRC, random sequence number and timestamp and its first packet marked
    /// (RFC 7160 §4.1), and the old one's last report and BYE are queued first, as
    /// [`remove_leg`](Self::remove_leg) sends them (RFC 3550 §8.2: once its peer heard of it, to
    /// the same destination). The leg latches afresh, keeping the source latched so far while the
    /// remote address is the same, and trusting it less when the address moved (see
    /// [`handle_rtp`](Self::handle_rtp)). Unchanged parameters (a session refresh, or a peer whose
    /// NAT mapped it anew with the same SDP) latch afresh all the same, and change nothing else:
    /// what the leg buffered and what it sends go on as they were.
    ///
    /// Payload gathered towards the leg's next packet (a ptime above 20 ms) is queued at once as
    /// one shorter packet under the old parameters; a packet of the leg waiting half a tick goes at
    /// once too (before the report and BYE of a stream that restarts). A key the leg is sending as
    /// RFC 4733 telephone-events when its stream restarts, its telephone-event payload type or
    /// clock rate changes, or it stops sending (a hold) ends there: its end packet, at the
    /// duration it sounded, goes the rest of its three times at once under the old parameters
    /// (none if the leg does not send), then its 60 ms of silence and the next key, under the
    /// new ones (see [`send_dtmf`](Self::send_dtmf)); a key going in-band at a hold ends there
    /// as well, its silence and the next key following the resume.
    /// Incoming audio buffered in the old codec or payload type is dropped, as is all of it when
    /// the leg stops receiving. Per [`MediaDirection`](crate::MediaDirection): a leg that does not
    /// send emits no RTP at all (its timestamp still advances with media time); a leg that does not
    /// receive drops what arrives, audio and telephone-events alike, and raises no
    /// [`MediaEvent::RtpTimeout`]; one that starts receiving again counts its RTP timeout from
    /// `now`.
    pub fn update_leg(&mut self, now: Instant, leg: LegId, params: LegParams) {
        let Some(state) = self.legs.get_mut(&leg) else {
            return;
        };
        if state.params == params {
            state.refresh();
            return;
        }
        // What waits half a tick goes first, before the BYE of a stream that restarts.
        self.release(leg);
        let Some(state) = self.legs.get_mut(&leg) else {
            return;
        };
        let mut out = Output {
            transmits: &mut self.transmits,
            deferred: &mut self.deferred,
            pool: &mut self.pool,
            stats: &mut self.stats,
        };
        out.flush(leg, state, &params);
        // RFC 3550 §8.2: a source that changes its SSRC sends a BYE for the old one, so that
        // its peer, or a monitor on the path, knows the old stream ended rather than stalled.
        if state.restarts_stream(&params)
            && let Some(goodbye) = state.rtcp_report(
                leg,
                now,
                &self.ntp,
                &mut self.pool,
                &mut self.rng,
                ReportKind::Last,
            )
        {
            self.stats.rtcp_sent += 1;
            self.transmits.push_back(goodbye);
        }
        let shared = match &state.place {
            Place::Room(room) => self.shared_encoders.get(room),
            _ => None,
        };
        let replaced = state.update(now, params, shared, &mut self.rng);
        self.retired.accumulate(&replaced);
    }

    /// Counts the leg's RTP timeout afresh from `now`, as if its peer's RTP had just come: a
    /// leg whose [`MediaEvent::RtpTimeout`] was raised raises it again once silent for
    /// [`WorkerConfig::rtp_timeout`] from `now`, and one still counting starts over. Its
    /// parameters, codec and jitter buffer are untouched, and so is what it sends; a leg that
    /// does not receive still raises none; an unknown leg is ignored.
    pub fn rearm_rtp_timeout(&mut self, leg: LegId, now: Instant) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.rearm_rtp_timeout(now);
        }
    }

    /// Removes a leg at `now`, taking it out of its room or bridge (its peer is then alone),
    /// and reports how its RTP fared ([`MediaEvent::LegEnded`]). Packets already queued for it
    /// stay queued.
    ///
    /// Returns the leg's last RTCP packet, to send from its socket as it closes, after what
    /// was queued for it (RFC 3550 §6.1: nothing of a stream follows its BYE): its report and
    /// the BYE of its stream (§6.3.7), which tells the peer, and any monitor on the path, that
    /// the stream ended rather than stalled. `None` for an unknown leg, one whose
    /// reports have nowhere to go, or one that sent neither RTP nor RTCP (the peer never heard
    /// of its stream, and §6.3.7 forbids the BYE).
    pub fn remove_leg(&mut self, now: Instant, leg: LegId) -> Option<MediaTransmit> {
        let mut state = self.retire(leg)?;
        let goodbye = state.rtcp_report(
            leg,
            now,
            &self.ntp,
            &mut self.pool,
            &mut self.rng,
            ReportKind::Last,
        )?;
        self.stats.rtcp_sent += 1;
        Some(goodbye)
    }

    /// Takes a leg out of its room or bridge and out of the worker, and reports how its RTP
    /// fared ([`MediaEvent::LegEnded`]); `None` for an unknown leg.
    fn retire(&mut self, leg: LegId) -> Option<Box<Leg>> {
        // Nothing of its stream may follow its last RTCP.
        self.release(leg);
        let room = self.isolate(leg);
        let state = self.legs.remove(&leg)?;
        self.retired.accumulate(&state.jitter_stats());
        let quality = state.quality();
        self.events
            .push_back(MediaEvent::LegEnded { leg, room, quality });
        Some(state)
    }

    /// Takes a leg out of this worker with all its media state, out of its room or bridge first
    /// (its peer is then alone), for [`attach`](Self::attach) on another worker; `None` for an
    /// unknown leg. Packets and events already queued for it stay queued here. Its jitter
    /// counters so far stay in this worker's [`WorkerStats::jitter`]; the receiving worker
    /// counts only what follows.
    pub fn detach(&mut self, leg: LegId) -> Option<DetachedLeg> {
        // Another worker sends what follows.
        self.release(leg);
        self.isolate(leg);
        let mut state = self.legs.remove(&leg)?;
        self.retired.accumulate(&state.take_jitter_stats());
        Some(DetachedLeg::new(state, self.ticker.deadline()))
    }

    /// Adds a leg detached from another worker, in no room, carrying on exactly where it was
    /// (same outgoing SSRC, next sequence number, buffered audio, prompt position, mute,
    /// RTP-timeout clock); a leg of that id already here is removed first. Its next packet goes
    /// out at this worker's next tick with the timestamp one frame on, plus any whole packet
    /// times that passed in transit (the two workers' schedules need not be aligned; RFC 3550
    /// §5.1).
    pub fn attach(&mut self, leg: LegId, state: DetachedLeg) {
        // The leg goes on here: what it replaces gets no BYE.
        self.retire(leg);
        let state = state.land(self.ticker.deadline(), self.ticker.period());
        self.legs.insert(leg, state);
    }

    /// Puts a leg in a room (created on first join), not deaf, out of any room or bridge it was
    /// in (a bridge peer is then alone).
    pub fn join(&mut self, leg: LegId, room: RoomId) {
        if !self.legs.contains_key(&leg) {
            return;
        }
        self.isolate(leg);
        self.rooms.entry(room.clone()).or_default().insert(leg);
        self.limiters.entry(room.clone()).or_default();
        self.shared_encoders.entry(room.clone()).or_default();
        if let Some(state) = self.legs.get_mut(&leg) {
            state.place = Place::Room(room);
            state.at_cut = true;
            state.deaf = false;
        }
    }

    /// Takes a leg out of its room (a room left empty is gone), no longer deaf. It then hears
    /// only its prompts.
    /// A leg in a bridge stays there (see [`unbridge`](Self::unbridge)).
    pub fn leave(&mut self, leg: LegId) {
        self.leave_room(leg);
    }

    // `leave`: the room the leg left, if it was in one.
    fn leave_room(&mut self, leg: LegId) -> Option<RoomId> {
        let state = self.legs.get_mut(&leg)?;
        let room = state.take_room()?;
        state.deaf = false;
        state.leave_shared_stream(self.shared_encoders.get(&room));
        if let Some(members) = self.rooms.get_mut(&room) {
            members.remove(&leg);
            if members.is_empty() {
                self.rooms.remove(&room);
                self.announcements.remove(&room);
                self.limiters.remove(&room);
                self.shared_encoders.remove(&room);
            }
        }
        Some(room)
    }

    /// Connects two legs to each other, out of any room or bridge they were in (a former peer is
    /// then alone). Each hears the other and its own prompts. Ignored when either leg is unknown
    /// or both are the same.
    ///
    /// A bridge does not go through the room mixer. When the listening leg speaks the speaker's
    /// G.711 codec and hears no prompt, the speaker's payload is relayed as received, under the
    /// listener's own SSRC, sequence number and timestamp ([`WorkerStats::relayed_frames`]);
    /// otherwise that frame is decoded, the prompt added, and encoded in the listener's codec
    /// by the listener's own encoder ([`WorkerStats::bridged_transcodes`]). G.722 and Opus
    /// frames always take the second way, so that the listener's far end decodes one encoder's
    /// stream throughout, without a click where relayed frames and encoded ones would meet. A
    /// silent or muted speaker gives a silence frame.
    pub fn bridge(&mut self, a: LegId, b: LegId) {
        if a == b || !self.legs.contains_key(&a) || !self.legs.contains_key(&b) {
            return;
        }
        self.isolate(a);
        self.isolate(b);
        for (leg, peer) in [(a, b), (b, a)] {
            if let Some(state) = self.legs.get_mut(&leg) {
                state.place = Place::Bridge(peer);
            }
        }
        self.bridges.insert(a, b);
    }

    /// Separates a leg's bridge: both legs are then alone, hearing only their prompts. A leg in
    /// no bridge is left as it is.
    pub fn unbridge(&mut self, leg: LegId) {
        let Some(&Place::Bridge(peer)) = self.legs.get(&leg).map(|state| &state.place) else {
            return;
        };
        for id in [leg, peer] {
            if let Some(state) = self.legs.get_mut(&id) {
                state.place = Place::Alone;
            }
        }
        self.bridges.remove(leg, peer);
    }

    /// Mutes or unmutes a leg. A muted leg still hears its room or bridge peer; nothing it says
    /// reaches them. This is also a listen-only leg.
    pub fn set_muted(&mut self, leg: LegId, muted: bool) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.muted = muted;
        }
    }

    /// Makes a leg in a room deaf, or not: a deaf leg hears nothing of its room, only its own
    /// prompts ([`play`](Self::play)) and the keys it sends in-band; what it says is mixed for
    /// the others as before. It stays deaf until it leaves the room (or joins another); a leg
    /// in no room is left as it is.
    pub fn set_deaf(&mut self, leg: LegId, deaf: bool) {
        if let Some(state) = self.legs.get_mut(&leg)
            && matches!(state.place, Place::Room(_))
        {
            state.deaf = deaf;
        }
    }

    /// Sends `digits` (DTMF keys: 0-9, *, #, A-D) to the leg's peer after the keys it is still
    /// sending, each key 100 ms ([`DTMF_KEY_TIME`](crate::DTMF_KEY_TIME)) with 60 ms
    /// ([`DTMF_GAP_TIME`](crate::DTMF_GAP_TIME)) after it. A key goes as RFC 4733
    /// telephone-events when the leg has their payload type at the key's start: a packet at
    /// each of the leg's packet times (each tick up to a 30 ms ptime) on the leg's stream (its
    /// SSRC, its next sequence numbers) in place of its audio, all with the timestamp of the
    /// key's start, the first marked, the duration growing, the last (end bit set) sent three
    /// times, one per tick (RFC 4733 §2.5). Otherwise it goes in-band as its two
    /// ITU-T Q.23 tones added to whatever the leg hears. While the leg does not send (its
    /// [`MediaDirection`](crate::MediaDirection) on hold), its keys wait and go on once it
    /// sends again; the one under way is cut short as the leg stops sending, and one going as
    /// events by a change of stream or event format too (see [`update_leg`](Self::update_leg)).
    /// Nothing is queued, with an error saying why, when `digits` is empty, holds anything but
    /// keys, or would make more than [`MAX_PENDING_KEYS`](crate::MAX_PENDING_KEYS) keys wait;
    /// an unknown leg is ignored.
    pub fn send_dtmf(&mut self, leg: LegId, digits: &str) -> Result<(), DtmfSendError> {
        match self.legs.get_mut(&leg) {
            Some(state) => state.send_dtmf(digits),
            None => Ok(()),
        }
    }

    /// Sets the gain, in dB, on what the leg's peer says, before its room or bridge peer hears
    /// it: clamped to [`MIN_GAIN_DB`](crate::MIN_GAIN_DB)..=[`MAX_GAIN_DB`](crate::MAX_GAIN_DB),
    /// saturating at full scale; 0 dB (the default) passes it bit-exact. Its voice prompts
    /// ([`speak`](Self::speak)) keep their level. In a bridge, a leg with a gain other than
    /// 0 dB is decoded and re-encoded instead of relayed as is.
    pub fn set_gain(&mut self, leg: LegId, gain_db: f32) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.set_gain(Gain::from_db(gain_db));
        }
    }

    /// Plays `prompts` in order to this leg only, mixed on top of what it hears from its room or
    /// bridge peer, replacing whatever was playing (which then reports nothing). When the list
    /// ends, [`MediaEvent::PromptDone`] follows, naming it `play`; a looped list never ends
    /// (unless it has no samples at all: then it ends at the next tick).
    pub fn play(&mut self, leg: LegId, prompts: Vec<Arc<Prompt>>, looped: bool, play: PlayId) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.play_heard(prompts, looped, play);
        }
    }

    /// Plays `prompts` in order into a room of this worker: every member hears them, as if one
    /// more participant said them, replacing what the room was being played. Once, or `looped`
    /// (music on hold): then they start over at the end for as long as the room exists, until
    /// [`stop_announcement`](Self::stop_announcement) or another `announce` (a looped list
    /// without samples ends at once). Nothing is reported when they end. Ignored for a room with
    /// no member here.
    pub fn announce(&mut self, room: &RoomId, prompts: Vec<Arc<Prompt>>, looped: bool) {
        if self.rooms.contains_key(room) {
            self.announcements.insert(
                room.clone(),
                Announcement::new(Playback::new(prompts, looped)),
            );
        }
    }

    /// Whether `room` has a member on this worker (else [`announce`](Self::announce) ignores it).
    pub fn has_members(&self, room: &RoomId) -> bool {
        self.rooms.contains_key(room)
    }

    /// Stops what is being played into a room, once or looped; nothing if nothing is.
    pub fn stop_announcement(&mut self, room: &RoomId) {
        self.announcements.remove(room);
    }

    /// Records a room's mix from the next tick on, ending any recording of it before: each tick,
    /// what a listener outside the room would hear (every talker and announcement summed, after
    /// the room's limiter) goes into `tap`'s queue as one [`RecordedFrame`](crate::RecordedFrame)
    /// at the room's mix rate, or silence while the room has no member here (silence before the
    /// room's first mix is only counted, and told with that mix: see
    /// [`RecordedFrame::dropped_before`](crate::RecordedFrame::dropped_before)). A full queue
    /// never holds the tick up: the frame is dropped and counted
    /// ([`WorkerStats::recording_dropped_frames`]). The recording goes on, whoever joins or
    /// leaves, until [`stop_recording`](Self::stop_recording) or until the queue's reader is
    /// gone, which raises [`MediaEvent::RecordingEnded`] (found when a frame is next queued).
    pub fn start_recording(&mut self, room: RoomId, tap: RecordingTap) {
        self.recordings.start(room, tap);
    }

    /// Ends the recording of a room: its tap is dropped, so its reader sees the end once it has
    /// read what is queued. Nothing if the room is not being recorded.
    pub fn stop_recording(&mut self, room: &RoomId) {
        self.recordings.stop(room);
    }

    /// Stops a leg's prompts without a [`MediaEvent::PromptDone`].
    pub fn stop_playback(&mut self, leg: LegId) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.stop_playback(PromptRole::Heard);
        }
    }

    /// Plays `prompts` in order as the leg's voice: its room or bridge peer hears them instead
    /// of what the leg sends (unless it is muted), replacing any voice prompts playing. They end
    /// without an event; a looped list goes on until [`stop_speaking`](Self::stop_speaking).
    pub fn speak(&mut self, leg: LegId, prompts: Vec<Arc<Prompt>>, looped: bool) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.play(prompts, looped, PromptRole::Said);
        }
    }

    /// Ends a leg's voice prompts: what it sends is heard again.
    pub fn stop_speaking(&mut self, leg: LegId) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.stop_playback(PromptRole::Said);
        }
    }

    /// Takes a packet that arrived at `now` on the leg's socket from `source`. Audio in the
    /// negotiated payload type goes to the leg's jitter buffer; RFC 4733 telephone-events become
    /// [`MediaEvent::Dtmf`] (once per press) and are not mixed; comfort noise (RFC 3389) is
    /// silence; a packet of the audio's payload type with no payload is an RFC 6263 keepalive,
    /// received (it keeps the leg from timing out) and not dropped; anything else is counted
    /// and dropped, as is every packet of a leg that does not receive (its direction). Events,
    /// comfort noise, and packets of a payload type not agreed or with no payload (RFC 6263
    /// keepalives) keep their places in the audio's sequence, so that they count as no loss
    /// and are not concealed.
    ///
    /// Symmetric RTP (RFC 4961): a leg takes packets from one source only, and sends its own
    /// there. It latches at once onto its SDP address ([`LegParams::remote`]) when the first
    /// valid packet comes from there; a peer behind a NAT, whose packets come from elsewhere,
    /// is latched onto at its first packet once [`LATCH_GRACE`](crate::LATCH_GRACE) has passed
    /// since the leg's first packet. Valid RTP from any other source, telephone-events included,
    /// is dropped unread ([`WorkerStats::foreign_source_dropped`]): it neither reaches the room
    /// nor keeps the leg from timing out.
    ///
    /// On a leg whose RTCP is multiplexed with its RTP
    /// ([`RtcpPath::Muxed`](crate::RtcpPath::Muxed)), a packet with a second octet of 192–223
    /// is RTCP (RFC 5761 §4) and goes to [`handle_rtcp`](Self::handle_rtcp); on any other leg
    /// it is RTP (a dynamic payload type of 64–95 with the marker bit set).
    pub fn handle_rtp(&mut self, now: Instant, leg: LegId, source: SocketAddr, packet: &[u8]) {
        self.handle_rtp_received(now, now, leg, source, packet);
    }

    /// [`handle_rtp`](Self::handle_rtp) of a packet the shell knows the time of: `now` places
    /// it in the leg's playout (the tick that read it), `received` is when the system took it
    /// off the wire, which the RTCP statistics (its interarrival jitter, RFC 3550 A.8) and a
    /// muxed report's round trip are measured by.
    pub fn handle_rtp_received(
        &mut self,
        now: Instant,
        received: Instant,
        leg: LegId,
        source: SocketAddr,
        packet: &[u8],
    ) {
        let Some(state) = self.legs.get_mut(&leg) else {
            self.stats.unknown_leg_packets += 1;
            return;
        };
        if state.is_rtcp(packet) {
            self.handle_rtcp(received, leg, source, packet);
            return;
        }
        match state.receive(now, received, source, packet) {
            Received::Malformed => {
                self.stats.malformed_packets += 1;
                return;
            }
            Received::ForeignSource => {
                self.stats.foreign_source_dropped += 1;
                return;
            }
            Received::UnknownPayloadType => self.stats.unknown_payload_type += 1,
            Received::NotReceiving => self.stats.not_receiving += 1,
            Received::KeyOverRate => self.stats.keys_over_rate += 1,
            Received::Event(Some(digit)) => self.events.push_back(MediaEvent::Dtmf { leg, digit }),
            Received::Event(None)
            | Received::Audio
            | Received::ComfortNoise
            | Received::Keepalive => {}
        }
        self.stats.packets_received += 1;
    }

    /// Takes an RTCP packet that arrived at `now` for the leg from `source`: a compound packet
    /// (RFC 3550 A.2) of its peer's, from the host its RTP goes to or the one the peer's SDP
    /// named for RTCP, on any port (a NAT maps RTCP to a port of its own), and, once the peer's
    /// RTP came, the report of that stream's SSRC or one with a block on ours (a relay's);
    /// anything else is counted and dropped unread. Its sender report is answered in our next
    /// report (LSR and DLSR); its report on our stream gives the round trip and the loss and
    /// jitter the peer sees ([`quality`](Self::quality)). Like RTP, it keeps the leg from timing
    /// out.
    ///
    /// Muxed, our reports go where the leg's RTP goes. Otherwise they go to the address a
    /// report came from (symmetric RTCP, RFC 4961): the RTCP address of [`LegParams::rtcp`]
    /// whatever the RTP latches onto; any other port only for a report under the SSRC of the
    /// peer's audio as heard from a source not on trial, and while the leg's RTP goes where it
    /// went then, until the peer's stream moves (a report accepted only for its block on ours,
    /// a relay's, is read but moves nothing). Failing that, to [`LegParams::rtcp`] while the
    /// leg's RTP goes to the SDP's address, and none goes while it goes elsewhere (a NAT's
    /// source). While the leg's RTP goes to a source on trial (one latched after a
    /// re-negotiation only by outlasting [`LATCH_GRACE`](crate::LATCH_GRACE) while the source
    /// latched before was silent, a prober perhaps), none goes, muxed or not, but, with
    /// separate RTCP, to the SDP's RTCP address once a report came from there: our reports
    /// name the peer's stream and how far it got, which only its path may know.
    pub fn handle_rtcp(&mut self, now: Instant, leg: LegId, source: SocketAddr, packet: &[u8]) {
        let Some(state) = self.legs.get_mut(&leg) else {
            self.stats.unknown_leg_packets += 1;
            return;
        };
        match state.receive_rtcp(now, source, packet) {
            Ok(notes) => {
                self.stats.rtcp_received += 1;
                if let Some(round_trip) = notes.round_trip {
                    self.stats.round_trips += 1;
                    self.stats.round_trip_sum += round_trip;
                }
                self.stats.peer_reported_expected += notes.newly_expected;
                self.stats.peer_reported_lost += notes.newly_lost;
            }
            Err(Refused::Malformed) => self.stats.rtcp_malformed += 1,
            Err(Refused::Foreign) => self.stats.rtcp_foreign_source += 1,
        }
    }

    /// How the leg's streams fare each way: what it received of its peer's, and its peer's
    /// latest report on ours; `None` for an unknown leg.
    pub fn quality(&self, leg: LegId) -> Option<LegQuality> {
        self.legs.get(&leg).map(|state| state.quality())
    }

    /// Runs every tick due at `now`, each with its own deadline as its time, oldest first.
    ///
    /// Late-tick policy: when the shell wakes late, up to [`MAX_CATCH_UP_TICKS`] overdue ticks
    /// run back to back (the newest ones); older ones are skipped and counted, their media time
    /// added to every outgoing RTP timestamp (the peer sees a gap, not compressed time) and to
    /// every recording (as frames not queued, which its writer fills with silence) while
    /// jitter buffers and prompts simply resume. The schedule stays on the
    /// `start + k × packet_time` grid either way.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.release_deferred(now);
        let due = self.ticker.due(now, MAX_CATCH_UP_TICKS);
        if due.skipped > 0 {
            self.stats.skipped_ticks += due.skipped;
            let skipped = u32::try_from(due.skipped).unwrap_or(u32::MAX);
            for leg in self.legs.values_mut() {
                leg.out.skip_frames(skipped);
            }
            self.recordings.skip_ticks(skipped);
        }
        let period = self.ticker.period();
        for i in 0..due.count {
            let deadline = due.first + period * i;
            if now >= deadline + period {
                self.stats.late_ticks += 1;
            }
            self.stats
                .lateness
                .record(now.saturating_duration_since(deadline));
            self.tick(deadline);
        }
        self.release_deferred(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due (absolute): the next tick, or
    /// before it, half a tick after the last when packets wait for then. A worker always has
    /// one.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let tick = self.ticker.deadline();
        Some(match self.deferred.is_empty() {
            true => tick,
            false => tick.min(self.deferred_due),
        })
    }

    /// The next tick's deadline (absolute), which [`poll_timeout`](Self::poll_timeout) may
    /// precede.
    pub fn next_tick(&self) -> Instant {
        self.ticker.deadline()
    }

    /// Queues at once the packets of `leg` that wait half a tick (see
    /// [`poll_timeout`](Self::poll_timeout)): for a shell about to close the leg's sockets.
    pub fn release(&mut self, leg: LegId) {
        let mut i = 0;
        while i < self.deferred.len() {
            match self.deferred[i].leg == leg {
                true => self.transmits.extend(self.deferred.remove(i)),
                false => i += 1,
            }
        }
    }

    // Queues the packets that waited half a tick, once that time has come.
    fn release_deferred(&mut self, now: Instant) {
        if now >= self.deferred_due {
            self.transmits.extend(self.deferred.drain(..));
        }
    }

    /// The next packet to send, in the order produced.
    pub fn poll_transmit(&mut self) -> Option<MediaTransmit> {
        self.transmits.pop_front()
    }

    /// Takes back the buffer of a packet from [`poll_transmit`](Self::poll_transmit) once it is
    /// sent (or dropped), to build a later packet in: steady-state sending then allocates
    /// nothing. Giving it back is optional; a bounded number of buffers are kept.
    pub fn recycle(&mut self, payload: Vec<u8>) {
        self.pool.give(payload);
    }

    /// Ends a worker that failed (a panic left it in no state to tick): returns what the
    /// signaling side must hear from it, in order — the events it had not given yet, then
    /// [`MediaEvent::LegLost`] for each of its legs and [`MediaEvent::RecordingLost`] for each
    /// room it was recording. The recordings' taps are dropped, so their writers complete
    /// their files.
    pub fn into_losses(mut self) -> Vec<MediaEvent> {
        self.recordings.report_ended(&mut self.events);
        let mut losses: Vec<MediaEvent> = self.events.drain(..).collect();
        losses.extend(self.legs.keys().map(|&leg| MediaEvent::LegLost { leg }));
        losses.extend(self.recordings.end_all());
        losses
    }

    /// The next event, in the order produced.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// The counters since construction.
    pub fn stats(&self) -> WorkerStats {
        let mut stats = self.stats;
        stats.encodes = self.mixers.encodes();
        stats.recorded_frames = self.recordings.queued;
        stats.recording_dropped_frames = self.recordings.dropped;
        stats.jitter = self.retired;
        for leg in self.legs.values() {
            stats.jitter.accumulate(&leg.jitter_stats());
        }
        stats
    }

    fn tick(&mut self, deadline: Instant) {
        self.stats.ticks += 1;
        // What waited half of the last tick is due, also when this tick runs late.
        self.transmits.extend(self.deferred.drain(..));
        self.deferred_due = deadline + self.ticker.period() / 2;
        self.set_rates();
        for (&id, leg) in &mut self.legs {
            let notes = leg.pull(deadline, self.config.rtp_timeout);
            if let Some(play) = notes.prompt_done {
                self.events
                    .push_back(MediaEvent::PromptDone { leg: id, play });
            }
            if notes.timed_out {
                self.events.push_back(MediaEvent::RtpTimeout { leg: id });
            }
            if let Some(digit) = notes.key {
                self.events.push_back(MediaEvent::Dtmf { leg: id, digit });
            }
            if notes.key_over_rate {
                self.stats.keys_over_rate += 1;
            }
            if let Some(report) = leg.rtcp_report(
                id,
                deadline,
                &self.ntp,
                &mut self.pool,
                &mut self.rng,
                ReportKind::Regular,
            ) {
                self.stats.rtcp_sent += 1;
                self.transmits.push_back(report);
            }
        }
        let mut out = Output {
            transmits: &mut self.transmits,
            deferred: &mut self.deferred,
            pool: &mut self.pool,
            stats: &mut self.stats,
        };
        for (room, members) in &self.rooms {
            let Some(rate) = members
                .first()
                .and_then(|id| self.legs.get(id))
                .map(|leg| leg.rate())
            else {
                continue;
            };
            let recording = self
                .recordings
                .contains(room)
                .then_some((&mut self.recordings, room));
            let tick = RoomTick {
                members,
                announcement: self.announcements.get_mut(room),
                limiter: self.limiters.get_mut(room),
                max_talkers: self.config.max_talkers,
                recording,
                shared: self.shared_encoders.get_mut(room),
            };
            let ended = self
                .mixers
                .room(rate, tick, &mut self.legs, &mut self.events, &mut out);
            if ended {
                self.announcements.remove(room);
            }
        }
        let rooms = &self.rooms;
        self.recordings
            .record_silence(|room| rooms.contains_key(room));
        self.recordings.report_ended(&mut self.events);
        self.bridges.tick(&mut self.legs, &mut out);
        self.mixers.alone(&mut self.legs, &mut out);
    }

    // Sets the rate every leg renders at this tick: its room's (the highest audio rate among
    // its members' codecs), its bridge's (the higher of the pair's), or its codec's when alone.
    fn set_rates(&mut self) {
        for members in self.rooms.values() {
            let rate = members
                .iter()
                .filter_map(|id| self.legs.get(id))
                .map(|leg| leg.params.codec.audio_rate())
                .max()
                .unwrap_or(PROMPT_RATE);
            for id in members {
                if let Some(leg) = self.legs.get_mut(id) {
                    leg.set_rate(rate);
                }
            }
        }
        self.bridged_rates.clear();
        for (&id, leg) in &self.legs {
            let own = leg.params.codec.audio_rate();
            match leg.place {
                Place::Bridge(peer) => {
                    let theirs = self
                        .legs
                        .get(&peer)
                        .map_or(own, |p| p.params.codec.audio_rate());
                    self.bridged_rates.push((id, own.max(theirs)));
                }
                Place::Alone => self.bridged_rates.push((id, own)),
                Place::Room(_) => {}
            }
        }
        for &(id, rate) in &self.bridged_rates {
            if let Some(leg) = self.legs.get_mut(&id) {
                leg.set_rate(rate);
            }
        }
    }

    // Takes a leg out of its room or bridge; returns the room it was in, if any.
    fn isolate(&mut self, leg: LegId) -> Option<RoomId> {
        let room = self.leave_room(leg);
        self.unbridge(leg);
        room
    }
}
