//! One timing core: a set of rooms and their legs, ticking every packet time (DESIGN.md,
//! Principle 5).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::leg::{Leg, Received};
use crate::ticker::Ticker;
use crate::{FRAME_LEN, JitterStats, LegId, LegParams, MixMinus, PACKET_TIME, Prompt};

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
    /// length ([`FRAME_LEN`] samples at 8 kHz) the worker runs now.
    pub packet_time: Duration,
    /// Silence from a leg for this long raises [`MediaEvent::RtpTimeout`] once (re-armed when
    /// RTP arrives again); `None` never does.
    pub rtp_timeout: Option<Duration>,
    /// Target playout delay of every leg's jitter buffer.
    pub jitter_delay: Duration,
}

impl Default for WorkerConfig {
    /// 20 ms packets, a 60 s RTP timeout and a 40 ms playout delay.
    fn default() -> Self {
        WorkerConfig {
            packet_time: PACKET_TIME,
            rtp_timeout: Some(Duration::from_secs(60)),
            jitter_delay: Duration::from_millis(40),
        }
    }
}

/// An RTP packet for the shell to send from the leg's socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaTransmit {
    /// The leg whose socket sends it.
    pub leg: LegId,
    /// The leg's remote RTP address.
    pub destination: SocketAddr,
    /// The whole RTP packet.
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
    },
    /// A key press received as RFC 4733 telephone-events, reported once per press.
    Dtmf {
        /// The leg that pressed it.
        leg: LegId,
        /// '0'–'9', '*', '#' or 'A'–'D'.
        digit: char,
    },
    /// No RTP arrived from the leg for [`WorkerConfig::rtp_timeout`].
    RtpTimeout {
        /// The silent leg.
        leg: LegId,
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
    /// Valid RTP packets received for known legs.
    pub packets_received: u64,
    /// Packets dropped as invalid RTP or with an unreadable payload.
    pub malformed_packets: u64,
    /// Valid RTP packets dropped for a payload type the leg did not negotiate.
    pub unknown_payload_type: u64,
    /// Packets dropped because their leg is unknown.
    pub unknown_leg_packets: u64,
    /// RTP packets queued for sending.
    pub packets_sent: u64,
    /// Packets that could not be built (a negotiated payload type above 127).
    pub build_errors: u64,
    /// Frames encoded; a payload shared by the non-talkers of a room counts once per codec.
    pub encodes: u64,
    /// Jitter buffer counters summed over all legs, removed ones included.
    pub jitter: JitterStats,
}

/// One timing core: owns a set of rooms and their legs; ticks every packet time on absolute
/// deadlines.
///
/// Every tick pulls one frame per leg from its jitter buffer, decodes it, mixes each room
/// (mix-minus, non-talkers sharing one encode per codec), adds each leg's private prompt, encodes
/// and packetizes. Every leg gets a packet every tick, comfort silence included, so NATs and
/// peers stay happy. Legs in no room hear only their prompts. Calls naming an unknown leg are
/// ignored.
#[derive(Debug)]
pub struct Worker {
    config: WorkerConfig,
    ticker: Ticker,
    rng: SmallRng,
    legs: BTreeMap<LegId, Leg>,
    rooms: BTreeMap<RoomId, BTreeSet<LegId>>,
    mixer: MixMinus<FRAME_LEN>,
    transmits: VecDeque<MediaTransmit>,
    events: VecDeque<MediaEvent>,
    stats: WorkerStats,
    // Jitter counters of removed legs and replaced buffers.
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
            "the worker runs {FRAME_LEN}-sample frames at 8 kHz only"
        );
        Worker {
            config,
            ticker: Ticker::new(start, config.packet_time),
            rng: SmallRng::seed_from_u64(seed),
            legs: BTreeMap::new(),
            rooms: BTreeMap::new(),
            mixer: MixMinus::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: WorkerStats::default(),
            retired: JitterStats::default(),
        }
    }

    /// Adds a leg, in no room, unmuted, with a new outgoing RTP stream; its RTP timeout counts
    /// from `now`. Adding a leg that exists adopts the new parameters (a re-negotiation): room,
    /// mute, playback and the outgoing stream carry on, buffered incoming audio is dropped.
    pub fn add_leg(&mut self, now: Instant, leg: LegId, params: LegParams) {
        if let Some(existing) = self.legs.get_mut(&leg) {
            let stats = existing.update(params);
            self.retired.accumulate(&stats);
            return;
        }
        let state = Leg::new(now, params, self.config.jitter_delay, &mut self.rng);
        self.legs.insert(leg, state);
    }

    /// Removes a leg, taking it out of its room. Packets already queued for it stay queued.
    pub fn remove_leg(&mut self, leg: LegId) {
        self.leave(leg);
        if let Some(state) = self.legs.remove(&leg) {
            self.retired.accumulate(&state.jitter_stats());
        }
    }

    /// Puts a leg in a room (created on first join). A leg is in at most one room: joining
    /// another leaves the first.
    pub fn join(&mut self, leg: LegId, room: RoomId) {
        if !self.legs.contains_key(&leg) {
            return;
        }
        self.leave(leg);
        self.rooms.entry(room.clone()).or_default().insert(leg);
        if let Some(state) = self.legs.get_mut(&leg) {
            state.room = Some(room);
        }
    }

    /// Takes a leg out of its room (a room left empty is gone). It then hears only its prompts.
    pub fn leave(&mut self, leg: LegId) {
        let Some(room) = self.legs.get_mut(&leg).and_then(|state| state.room.take()) else {
            return;
        };
        if let Some(members) = self.rooms.get_mut(&room) {
            members.remove(&leg);
            if members.is_empty() {
                self.rooms.remove(&room);
            }
        }
    }

    /// Mutes or unmutes a leg. A muted leg still hears its room; nothing it says reaches it.
    pub fn set_muted(&mut self, leg: LegId, muted: bool) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.muted = muted;
        }
    }

    /// Plays `prompts` in order to this leg only, mixed on top of what it hears from its room,
    /// replacing whatever was playing (which then reports nothing). When the list ends,
    /// [`MediaEvent::PromptDone`] follows; a looped list never ends (unless it has no samples at
    /// all: then it ends at the next tick).
    pub fn play(&mut self, leg: LegId, prompts: Vec<Arc<Prompt>>, looped: bool) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.play(prompts, looped);
        }
    }

    /// Stops a leg's prompts without a [`MediaEvent::PromptDone`].
    pub fn stop_playback(&mut self, leg: LegId) {
        if let Some(state) = self.legs.get_mut(&leg) {
            state.stop_playback();
        }
    }

    /// Takes a packet that arrived at `now` on the leg's socket. Audio in the negotiated payload
    /// type goes to the leg's jitter buffer; RFC 4733 telephone-events become
    /// [`MediaEvent::Dtmf`] (once per press) and are not mixed; anything else is counted and
    /// dropped.
    pub fn handle_rtp(&mut self, now: Instant, leg: LegId, packet: &[u8]) {
        let Some(state) = self.legs.get_mut(&leg) else {
            self.stats.unknown_leg_packets += 1;
            return;
        };
        match state.receive(now, packet) {
            Received::Malformed => {
                self.stats.malformed_packets += 1;
                return;
            }
            Received::UnknownPayloadType => self.stats.unknown_payload_type += 1,
            Received::Event(Some(digit)) => self.events.push_back(MediaEvent::Dtmf { leg, digit }),
            Received::Event(None) | Received::Audio => {}
        }
        self.stats.packets_received += 1;
    }

    /// Runs every tick due at `now`, each with its own deadline as its time, oldest first.
    ///
    /// Late-tick policy: when the shell wakes late, up to [`MAX_CATCH_UP_TICKS`] overdue ticks
    /// run back to back (the newest ones); older ones are skipped and counted, their media time
    /// added to every outgoing RTP timestamp (the peer sees a gap, not compressed time) while
    /// jitter buffers and prompts simply resume. The schedule stays on the
    /// `start + k × packet_time` grid either way.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = self.ticker.due(now, MAX_CATCH_UP_TICKS);
        if due.skipped > 0 {
            self.stats.skipped_ticks += due.skipped;
            let samples = (due.skipped as u32).wrapping_mul(FRAME_LEN as u32);
            for leg in self.legs.values_mut() {
                leg.sender.skip(samples);
            }
        }
        let period = self.ticker.period();
        for i in 0..due.count {
            let deadline = due.first + period * i;
            if now >= deadline + period {
                self.stats.late_ticks += 1;
            }
            self.tick(deadline);
        }
    }

    /// The next tick deadline (absolute). A worker always has one.
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(self.ticker.deadline())
    }

    /// The next packet to send, in the order produced.
    pub fn poll_transmit(&mut self) -> Option<MediaTransmit> {
        self.transmits.pop_front()
    }

    /// The next event, in the order produced.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// The counters since construction.
    pub fn stats(&self) -> WorkerStats {
        let mut stats = self.stats;
        stats.encodes = self.mixer.encodes();
        stats.jitter = self.retired;
        for leg in self.legs.values() {
            stats.jitter.accumulate(&leg.jitter_stats());
        }
        stats
    }

    fn tick(&mut self, deadline: Instant) {
        self.stats.ticks += 1;
        for (&id, leg) in &mut self.legs {
            let notes = leg.pull(deadline, self.config.rtp_timeout);
            if notes.prompt_done {
                self.events.push_back(MediaEvent::PromptDone { leg: id });
            }
            if notes.timed_out {
                self.events.push_back(MediaEvent::RtpTimeout { leg: id });
            }
        }
        let mut out = Output {
            mixer: &mut self.mixer,
            transmits: &mut self.transmits,
            stats: &mut self.stats,
        };
        for members in self.rooms.values() {
            out.mixer.begin();
            for id in members {
                if let Some(leg) = self.legs.get(id).filter(|leg| leg.talking()) {
                    out.mixer.add_talker(&leg.frame);
                }
            }
            for id in members {
                if let Some(leg) = self.legs.get_mut(id) {
                    out.send(*id, leg, true);
                }
            }
        }
        // Legs in no room form one room without talkers, so their silence is shared too.
        out.mixer.begin();
        for (&id, leg) in &mut self.legs {
            if leg.room.is_none() {
                out.send(id, leg, false);
            }
        }
    }
}

// The per-tick output side of a worker, borrowed apart from its legs and rooms.
struct Output<'a> {
    mixer: &'a mut MixMinus<FRAME_LEN>,
    transmits: &'a mut VecDeque<MediaTransmit>,
    stats: &'a mut WorkerStats,
}

impl Output<'_> {
    fn send(&mut self, id: LegId, leg: &mut Leg, in_room: bool) {
        let own = (in_room && leg.talking()).then_some(&leg.frame);
        let overlay = leg.has_overlay.then_some(&leg.overlay);
        let payload = self.mixer.payload(own, overlay, leg.params.codec);
        match leg.sender.packetize(payload, FRAME_LEN as u32) {
            Ok(packet) => {
                self.stats.packets_sent += 1;
                self.transmits.push_back(MediaTransmit {
                    leg: id,
                    destination: leg.params.remote,
                    payload: packet,
                });
            }
            Err(_) => self.stats.build_errors += 1,
        }
    }
}
