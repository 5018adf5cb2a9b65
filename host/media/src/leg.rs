//! One call leg's media state: its receive path (RTP parse, jitter buffer, DTMF), its input for
//! the current tick, its prompt playback and its outgoing RTP stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use rtp_rs::RtpReader;

use crate::dtmf_detect::InbandDtmf;
use crate::dtmf_send::{DtmfSendError, DtmfSender, DtmfStep, EventPacket, TelephoneEvent};
use crate::gain::Gain;
use crate::key_rate::KeyRate;
use crate::latch::{Latch, Source};
use crate::opus::{self, OpusParams};
use crate::packet_pool::PacketPool;
use crate::packetizer::Packetizer;
use crate::playback::{PlayId, Playback, PromptRole};
use crate::rate::RateConverter;
use crate::reception::Reception;
use crate::reframe::{Gap, Reframer};
use crate::rtcp::{
    LegQuality, LegSocket, NtpClock, Refused, ReportKind, ReportNotes, Rtcp, RtcpPath, RtcpPeer,
    RtpDestination, is_muxed_rtcp,
};
use crate::rtcp_writer::append_goodbye;
use crate::rtp::RtpSender;
use crate::shared_encoders::SharedEncoders;
use crate::transcode::{Rendered, RoomDecoder, RoomEncoder};
use crate::vad::{TalkChange, VoiceActivity};
use crate::{
    Arrival, Codec, DtmfReceiver, JitterBuffer, JitterStats, MAX_FRAME_LEN, MAX_JITTER_DELAY,
    MediaDirection, MediaTransmit, PACKET_TIME, PROMPT_RATE, Playout, Prompt, RoomId,
};

/// Identifies a leg within a worker; the shell assigns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

/// What SDP negotiation settled for a leg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegParams {
    /// The audio codec both directions use.
    pub codec: Codec,
    /// The RTP payload type for `codec` (the static one, or a dynamic one from `a=rtpmap`).
    pub payload_type: u8,
    /// RFC 4733 `telephone-event`, if negotiated.
    pub telephone_event: Option<TelephoneEvent>,
    /// The payload types the peer's RTP comes with when they are not those above (`None`:
    /// the same). RFC 3264 §5.1: each side receives with the numbers of its own description,
    /// and the answer to our offer may number a codec otherwise than our offer did.
    pub incoming: Option<IncomingPayloadTypes>,
    /// The peer's RTP address from its SDP. The leg's RTP goes there until the leg latches onto
    /// the source its peer's packets actually come from (symmetric RTP, see
    /// [`LATCH_GRACE`](crate::LATCH_GRACE)); a changed `remote` latches afresh.
    pub remote: SocketAddr,
    /// Our direction for the stream, as in our SDP: whether the leg sends RTP and whether it
    /// takes (and expects) the peer's.
    pub direction: MediaDirection,
    /// The packet duration the peer asked to receive, in ms (its `a=ptime`; 20 when it gave
    /// none). Served as the nearest multiple of 10 ms (halves round up) within 10..=200 ms: 0–14
    /// → 10, 25 → 30, anything above 200 → 200.
    pub ptime_ms: u32,
    /// What the peer's Opus parameters ask of the stream we send it (ignored for other codecs).
    pub opus: OpusParams,
    /// Where the leg's RTCP goes and comes from.
    pub rtcp: RtcpPath,
    /// The peer holds the call: its new offer of the established session, or its answer to one
    /// of ours, was `sendonly` or `inactive` (RFC 3264 §8.4, RFC 6337 §5.3). What it sends
    /// meanwhile is its hold music, if anything, not its voice, which its room does not hear
    /// (prompts said for it still are); a bridge passes it on to the one party it holds. A
    /// first offer or answer that is `sendonly` (early media, an announcement) is no hold.
    pub peer_holds: bool,
}

/// The payload types a leg's peer sends with (see
/// [`LegParams::incoming`](field@LegParams::incoming)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncomingPayloadTypes {
    /// The audio codec's.
    pub audio: u8,
    /// RFC 4733 `telephone-event`'s, if negotiated.
    pub telephone_event: Option<u8>,
    /// The other G.711 law's, when the peer may send it too: an answer that listed PCMU and
    /// PCMA lets its sender use either (RFC 3264 §6.1). Its packets are converted to the leg's
    /// law on arrival.
    pub other_law: Option<u8>,
}

impl LegParams {
    /// The payload types the peer's RTP comes with.
    fn incoming(&self) -> IncomingPayloadTypes {
        self.incoming.unwrap_or(IncomingPayloadTypes {
            audio: self.payload_type,
            telephone_event: self.telephone_event.map(|te| te.payload_type),
            other_law: None,
        })
    }
}

/// What a packet from the leg's socket turned out to be, when it was not simply audio.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// Audio, buffered for playout.
    Audio,
    /// A telephone-event packet: a new key press, or `None` for a repeat or non-DTMF event.
    Event(Option<char>),
    /// A telephone-event packet of a new key press past [`MAX_KEYS_PER_SECOND`], not
    /// reported.
    ///
    /// [`MAX_KEYS_PER_SECOND`]: crate::MAX_KEYS_PER_SECOND
    KeyOverRate,
    /// Comfort noise (RFC 3389, static payload type 13 of RFC 3551), whether negotiated or
    /// not: silence.
    ComfortNoise,
    /// A packet of the audio's payload type with no payload: an RFC 6263 keepalive, which
    /// holds its place in the audio's sequence and keeps the leg from timing out.
    Keepalive,
    /// A valid RTP packet with a payload type this leg did not negotiate.
    UnknownPayloadType,
    /// A valid RTP packet for a leg that does not receive (our direction), dropped unread.
    NotReceiving,
    /// A valid RTP packet from a source other than the one the leg latched onto (or before the
    /// latching grace is over), dropped unread.
    ForeignSource,
    /// Not a valid RTP packet, or an unreadable payload.
    Malformed,
}

/// Where a leg's audio goes and what it hears besides its prompts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// In no room and no bridge: it hears only its prompts.
    Alone,
    /// A member of this room's mix.
    Room(RoomId),
    /// One end of a two-party bridge with this peer.
    Bridge(LegId),
}

/// What happened to a leg at a tick, for the worker to report.
#[derive(Debug, Default)]
pub(crate) struct TickNotes {
    /// The list played to it that ended at this tick.
    pub(crate) prompt_done: Option<PlayId>,
    pub(crate) timed_out: bool,
    /// A key its peer pressed in-band, heard this tick.
    pub(crate) key: Option<char>,
    /// A key its peer pressed in-band past [`MAX_KEYS_PER_SECOND`](crate::MAX_KEYS_PER_SECOND),
    /// not reported.
    pub(crate) key_over_rate: bool,
}

/// A worker's legs. Each is boxed: a map node holds eleven entries, and a leg is a couple of
/// KiB, so inline most of a node would be empty legs, and every insertion would move them.
pub(crate) type Legs = std::collections::BTreeMap<LegId, Box<Leg>>;

#[derive(Debug)]
pub(crate) struct Leg {
    pub(crate) params: LegParams,
    pub(crate) place: Place,
    pub(crate) muted: bool,
    /// In a room, it hears nothing of it: only its own prompts and in-band keys.
    pub(crate) deaf: bool,
    pub(crate) out: Packetizer,
    /// Encodes what the leg hears, from the room's rate.
    pub(crate) outbound: RoomEncoder,
    /// Its stream comes from its room's shared encoder, not `outbound` (see
    /// [`SharedEncoders`]).
    pub(crate) on_shared: bool,
    /// Its next frame begins a new passage of what it hears: its first, or its first in the
    /// room it just entered. Its far end cannot tell the shared stream's state taking over
    /// there from the cut itself.
    pub(crate) at_cut: bool,
    /// It heard the plain mix last tick (see [`SharedEncoders`]).
    pub(crate) plain_before: bool,
    /// Decodes what the leg receives, to the room's rate.
    inbound: RoomDecoder,
    /// The source the leg takes packets from and sends its own to.
    latch: Latch,
    /// Applied to the peer's decoded audio before anyone hears it.
    gain: Gain,
    jitter: JitterBuffer<Vec<u8>>,
    jitter_delay: Duration,
    reframer: Reframer,
    /// RTP clock units still to conceal of the last lost packet: a loss is concealed for as long
    /// as the packet lasted, so the packets after it play when they would have.
    lost_samples: usize,
    dtmf: DtmfReceiver,
    /// Hears the keys its peer sends as tones in its audio, when it agreed no RFC 4733
    /// `telephone-event` to send them with.
    inband: Option<InbandDtmf>,
    key_rate: KeyRate,
    /// The keys it sends its peer.
    keys: DtmfSender,
    /// What sending keys asks of this tick; valid after `pull`.
    key_step: Option<DtmfStep>,
    playback: Option<Playback>,
    /// Which list `playback` plays.
    heard_play: PlayId,
    /// Prompts said in the leg's name (`PromptRole::Said`).
    voice: Option<Playback>,
    /// This tick's `frame` is the voice's, not the leg's input.
    speaking: bool,
    /// Whether what the leg says is a talker's (in a room).
    pub(crate) vad: VoiceActivity,
    /// This tick's `frame` was summed into its room's mix.
    pub(crate) summed: bool,
    /// When its peer's RTP or RTCP last came.
    last_heard: Instant,
    timed_out: bool,
    /// What it received of its peer's stream, for its RTCP reports.
    reception: Reception,
    /// The SSRC of the peer's audio last taken from a source not on trial since its SDP address
    /// last moved (see [`RtcpPeer::path_ssrc`]).
    path_ssrc: Option<u32>,
    rtcp: Rtcp,
    /// This tick's payload from the jitter buffer, one frame's worth at most (less when a packet
    /// is missing: the part before or after its concealment), still encoded.
    input: Option<Vec<u8>>,
    /// Emptied payload buffers of earlier ticks, for the packets received next.
    spare_payloads: PacketPool,
    /// What the part of this tick's frame that `input` does not cover is: lost when any of it
    /// is concealed.
    gap: Gap,
    /// This tick's `frame` holds audible concealment.
    concealing: bool,
    /// This tick's `frame` opens with audio of an earlier (longer) Opus packet.
    carried_audio: bool,
    /// Ticks whose frame was concealed in whole or part, since the last `take_jitter_stats`.
    concealed: u64,
    /// The rate the leg's frames are rendered at: its room's, the pair's in a bridge, its
    /// codec's alone.
    rate: u32,
    /// This tick's input decoded (concealed where lost), or the voice prompt's frame: one
    /// frame at `rate` (`rate / 50` samples); valid after `pull`.
    frame: Vec<i16>,
    /// This tick's prompt frame at `rate`, valid when `has_overlay`.
    overlay: Vec<i16>,
    has_overlay: bool,
    /// Prompts (at [`PROMPT_RATE`]) to `rate`: those the leg hears, and its voice prompts.
    overlay_rate: RateConverter,
    voice_rate: RateConverter,
}

impl Leg {
    pub(crate) fn new(
        now: Instant,
        params: LegParams,
        jitter_delay: Duration,
        rng: &mut impl Rng,
    ) -> Self {
        let sender = RtpSender::new(rng, params.payload_type);
        let jitter = new_jitter(params.codec, jitter_delay);
        let rate = params.codec.audio_rate();
        let rtcp = Rtcp::new(now, params.rtcp, rng);
        let mut dtmf = DtmfReceiver::new();
        clock_events(&mut dtmf, &params);
        let inband = inband_detector(&params, rate);
        Leg {
            reception: Reception::new(params.codec.clock_rate(), max_delay(jitter_delay)),
            path_ssrc: None,
            rtcp,
            out: Packetizer::new(sender, params.codec, params.ptime_ms),
            outbound: RoomEncoder::new(params.codec, &params.opus, rate),
            on_shared: false,
            at_cut: true,
            plain_before: false,
            inbound: RoomDecoder::new(params.codec, rate),
            latch: Latch::new(params.remote),
            params,
            place: Place::Alone,
            muted: false,
            deaf: false,
            jitter,
            gain: Gain::UNITY,
            jitter_delay,
            reframer: Reframer::default(),
            lost_samples: 0,
            dtmf,
            inband,
            key_rate: KeyRate::default(),
            keys: DtmfSender::default(),
            key_step: None,
            playback: None,
            heard_play: PlayId::default(),
            voice: None,
            speaking: false,
            vad: VoiceActivity::default(),
            summed: false,
            last_heard: now,
            timed_out: false,
            input: None,
            spare_payloads: PacketPool::with_limit(MAX_SPARE_PAYLOADS),
            gap: Gap::Idle,
            concealing: false,
            carried_audio: false,
            concealed: 0,
            rate,
            frame: vec![0; frame_len(rate)],
            overlay: vec![0; frame_len(rate)],
            has_overlay: false,
            overlay_rate: RateConverter::new(PROMPT_RATE, rate),
            voice_rate: RateConverter::new(PROMPT_RATE, rate),
        }
    }

    /// The rate its frames are rendered at.
    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    /// Renders its frames at `rate` Hz (8, 16 or 48 kHz) from the next `pull` on: its room's
    /// rate, or its own codec's. Codec state carries on; only the conversions change.
    pub(crate) fn set_rate(&mut self, rate: u32) {
        if rate == self.rate {
            return;
        }
        self.rate = rate;
        self.frame.resize(frame_len(rate), 0);
        self.overlay.resize(frame_len(rate), 0);
        self.inbound.set_room_rate(rate);
        self.outbound.set_room_rate(rate);
        self.overlay_rate.retarget(PROMPT_RATE, rate);
        self.voice_rate.retarget(PROMPT_RATE, rate);
    }

    /// This tick's frame (valid after `pull`), at [`rate`](Self::rate).
    pub(crate) fn frame(&self) -> &[i16] {
        &self.frame[..self.frame_len()]
    }

    fn frame_len(&self) -> usize {
        frame_len(self.rate)
    }

    /// Adopts re-negotiated parameters at `now`, after the worker flushed the outgoing payload
    /// gathered under the old ones. The outgoing stream goes on, unless the RTP clock rate
    /// changes: then a new one starts, its SSRC, sequence number and timestamp drawn from `rng`.
    /// A leg on its room's `shared` stream leaves it for other codec or Opus parameters, or to
    /// send nothing, its own encoder going on from the shared one's state (see
    /// [`leave_shared_stream`](Self::leave_shared_stream)) before it takes them.
    /// Incoming audio buffered in the old codec or payload type, or for a leg that stops
    /// receiving, is discarded: the replaced buffer's counters are returned so the worker keeps
    /// them (zeros when it is kept). A leg that starts receiving counts its RTP timeout from
    /// `now`.
    pub(crate) fn update(
        &mut self,
        now: Instant,
        params: LegParams,
        shared: Option<&SharedEncoders>,
        rng: &mut impl Rng,
    ) -> JitterStats {
        if self.params.codec != params.codec
            || self.params.opus != params.opus
            || !params.direction.sends()
        {
            // Its far end's decoder followed the shared encoder, which goes on without it (or
            // is dropped): its own encoder takes over from there.
            self.leave_shared_stream(shared);
        }
        let old = &self.params;
        let mut replaced = JitterStats::default();
        if old.codec != params.codec
            || old.incoming().audio != params.incoming().audio
            || !params.direction.receives()
        {
            let fresh = new_jitter(params.codec, self.jitter_delay);
            replaced = std::mem::replace(&mut self.jitter, fresh).stats();
            self.reframer.clear();
            self.lost_samples = 0;
        }
        if old.codec != params.codec {
            self.inbound = RoomDecoder::new(params.codec, self.rate);
            self.outbound = RoomEncoder::new(params.codec, &params.opus, self.rate);
        } else if old.opus != params.opus {
            self.outbound.configure_opus(&params.opus);
        }
        clock_events(&mut self.dtmf, &params);
        if params.incoming().telephone_event.is_some() != old.incoming().telephone_event.is_some() {
            self.inband = inband_detector(&params, self.rate);
        }
        if params.direction.sends() && !old.direction.sends() {
            // Nothing was encoded during the hold: a change of rates since then must not prime
            // the conversion with what the leg heard before it.
            self.outbound.forget_input();
        }
        if params.direction.expects_steady_rtp() && !old.direction.expects_steady_rtp() {
            self.rearm_rtp_timeout(now);
        }
        if self.restarts_stream(&params) {
            self.out.restart(RtpSender::new(rng, params.payload_type));
            self.rtcp.restart_sending();
            self.reception.set_clock_rate(params.codec.clock_rate());
        }
        self.out
            .configure(params.codec, params.payload_type, params.ptime_ms);
        self.relearn_peer(&params);
        self.params = params;
        replaced
    }

    /// Takes a re-negotiation that left its parameters as they are (a session refresh, or a
    /// re-INVITE from a peer whose NAT mapped it anew): its peer's packets are latched afresh
    /// (see [`Latch::relearn`]) and its RFC 4733 events timed afresh, as at any
    /// re-negotiation; codecs, jitter buffer and outgoing stream carry on untouched.
    pub(crate) fn refresh(&mut self) {
        let params = self.params.clone();
        self.relearn_peer(&params);
    }

    /// Learns anew where the peer's packets come from as its session is re-negotiated to
    /// `next`, before the leg adopts it.
    fn relearn_peer(&mut self, next: &LegParams) {
        // RFC 3264 §8: a new offer may come from a new place, though its SDP address is the
        // same (a NAT that forgot its mapping while the call was on hold, or that mapped the
        // stream anew while its SDP stayed the same).
        let moved = self.latch.relearn(next.remote);
        if moved {
            // The audio heard so far is of the old path's: a report under its SSRC (its last,
            // with its BYE) signs no port of the new one.
            self.path_ssrc = None;
        }
        self.rtcp.renegotiated(next.rtcp, moved);
        // The same place may send from a new source under the same SSRC, its RFC 4733 events
        // stamped on another timeline (an SBC or a B2BUA that re-routed the call).
        self.dtmf.rebase();
    }

    /// Counts its RTP timeout afresh from `now`, to be raised again after as long a silence.
    pub(crate) fn rearm_rtp_timeout(&mut self, now: Instant) {
        self.last_heard = now;
        self.timed_out = false;
    }

    /// Whether adopting `params` starts a new outgoing stream, its own SSRC (see
    /// [`update`](Self::update)): the RTP clock rate changes.
    pub(crate) fn restarts_stream(&self, params: &LegParams) -> bool {
        self.params.codec.clock_rate() != params.codec.clock_rate()
    }

    /// The jitter buffer's counters, with the frames this leg concealed.
    pub(crate) fn jitter_stats(&self) -> JitterStats {
        let mut stats = self.jitter.stats();
        stats.concealed += self.concealed;
        stats
    }

    /// The jitter buffer's counters so far, with the frames concealed; they count from zero
    /// after this.
    pub(crate) fn take_jitter_stats(&mut self) -> JitterStats {
        let mut stats = self.jitter.take_stats();
        stats.concealed += std::mem::take(&mut self.concealed);
        stats
    }

    /// Plays `prompts` in `role` from their start, in place of any playing in that role.
    pub(crate) fn play(&mut self, prompts: Vec<Arc<Prompt>>, looped: bool, role: PromptRole) {
        let (playback, converter) = self.playback_of(role);
        *playback = Some(Playback::new(prompts, looped));
        // The conversion's filter still holds the end of the last prompt (and a change of
        // rates since was primed with it): the new one starts from silence.
        converter.reset();
    }

    /// Plays `prompts` to the leg itself as list `play`, which
    /// [`TickNotes::prompt_done`] names when it ends.
    pub(crate) fn play_heard(&mut self, prompts: Vec<Arc<Prompt>>, looped: bool, play: PlayId) {
        self.play(prompts, looped, PromptRole::Heard);
        self.heard_play = play;
    }

    /// Stops the prompts playing in `role`, if any.
    pub(crate) fn stop_playback(&mut self, role: PromptRole) {
        *self.playback_of(role).0 = None;
    }

    // The playback of `role` and its conversion to the leg's rate.
    fn playback_of(&mut self, role: PromptRole) -> (&mut Option<Playback>, &mut RateConverter) {
        match role {
            PromptRole::Heard => (&mut self.playback, &mut self.overlay_rate),
            PromptRole::Said => (&mut self.voice, &mut self.voice_rate),
        }
    }

    /// Queues `digits` to send its peer after the keys waiting (see
    /// [`Worker::send_dtmf`](crate::Worker::send_dtmf)); they wait while the leg does not send.
    pub(crate) fn send_dtmf(&mut self, digits: &str) -> Result<(), DtmfSendError> {
        self.keys.push(digits)
    }

    /// The telephone-event packet to send this tick in place of its audio, if a key goes as
    /// RFC 4733 events now.
    pub(crate) fn dtmf_event(&self) -> Option<EventPacket> {
        match self.key_step {
            Some(DtmfStep::Event(event)) => Some(event),
            _ => None,
        }
    }

    /// Ends the key going as RFC 4733 events before the leg adopts `next`, if `next` restarts
    /// its stream, changes its telephone-event format or stops it sending (a hold): every
    /// packet of an event carries its payload type and its start on its stream's timeline
    /// (RFC 4733 §2.3.1), so it cannot go on in another stream or format, nor after a gap in
    /// its stream, and the peer would play it on until its end came. Returns the event's end
    /// packet and how many times it is still to go on the current stream (RFC 4733 §2.5.1.4),
    /// unless the leg does not send; the rest of the key is silence either way (see
    /// [`DtmfSender::cut_event`]). `None` when no event goes or `next` keeps it as it is.
    ///
    /// A key going in-band when `next` stops the leg sending ends there too: its tone would go
    /// on after the hold, a second press to the peer's detector.
    pub(crate) fn end_key_event(&mut self, next: &LegParams) -> Option<(EventPacket, u16)> {
        if !next.direction.sends() {
            self.keys.cut_tone();
        }
        let format = self.keys.event_format()?;
        if next.direction.sends()
            && next.telephone_event == Some(format)
            && !self.restarts_stream(next)
        {
            return None;
        }
        let end = self.keys.cut_event()?;
        self.params.direction.sends().then_some(end)
    }

    /// Where the leg's RTP goes: the source it latched onto, else its SDP address.
    pub(crate) fn destination(&self) -> SocketAddr {
        self.latch.destination(self.params.remote)
    }

    /// Where the leg's RTP goes, and whether that is a source on trial, for its RTCP.
    fn rtp_destination(&self) -> RtpDestination {
        RtpDestination {
            address: self.destination(),
            on_trial: self.latch.on_trial(),
        }
    }

    /// Sets the gain applied to what the leg's peer says.
    pub(crate) fn set_gain(&mut self, gain: Gain) {
        self.gain = gain;
    }

    /// Whether `packet`, come to the leg's RTP port, is RTCP. RFC 5761 §4 tells them apart by
    /// the second octet only when RTCP is multiplexed with RTP: otherwise the port carries RTP
    /// alone, whose dynamic payload types 64–95 with the marker bit set look like RTCP.
    pub(crate) fn is_rtcp(&self, packet: &[u8]) -> bool {
        self.params.rtcp == RtcpPath::Muxed && is_muxed_rtcp(packet)
    }

    /// Takes one packet that came from `source` to the leg's socket, read at `now` and taken
    /// off the wire at `received`.
    pub(crate) fn receive(
        &mut self,
        now: Instant,
        received: Instant,
        source: SocketAddr,
        packet: &[u8],
    ) -> Received {
        let Ok(rtp) = RtpReader::new(packet) else {
            return Received::Malformed;
        };
        // Only valid RTP may latch; a foreign source neither refreshes the RTP timeout nor
        // presses keys (RFC 4733 events are part of the stream).
        let (ssrc, sequence) = (rtp.ssrc(), u16::from(rtp.sequence_number()));
        if self.latch.check(now, source, self.params.remote) == Source::Foreign {
            if !self.latch.follow(source, ssrc, sequence) {
                return Received::ForeignSource;
            }
            // The stream moved: its RTCP comes from elsewhere too, from a port unknown until
            // it reports from there.
            self.rtcp.relearn_source();
        }
        self.latch.heard(ssrc, sequence);
        // RFC 3264 §6.1: the direction is that of the media stream, and RFC 4733 events are one
        // of its payload formats; a leg that does not receive takes no DTMF either. Its peer
        // sends nothing (RFC 3264 §5.1) or was told we do not listen.
        if !self.params.direction.receives() {
            return Received::NotReceiving;
        }
        self.rearm_rtp_timeout(now);
        let pt = rtp.payload_type();
        let incoming = self.params.incoming();
        let other_law = Some(pt) == incoming.other_law;
        let audio = pt == incoming.audio || other_law;
        // What the jitter buffer takes as the stream's audio: a payload of its type that holds
        // samples (an RFC 6263 keepalive holds none).
        let samples = match audio && !rtp.payload().is_empty() {
            true => self.params.codec.payload_samples(rtp.payload()),
            false => None,
        };
        // RFC 3550 §6.4.1: the report is on the audio's stream, whose sequence numbers events,
        // comfort noise and keepalives sent in its place take too. Only audio the jitter buffer
        // takes moves the report to another SSRC, as it moves the buffer.
        match samples {
            Some(_) => self.count_audio(now, ssrc, sequence),
            None => self.reception.count_other(ssrc, sequence),
        }
        if Some(pt) == incoming.telephone_event {
            // RFC 4733 §2.5.1.1: events go in the audio's sequence, often in place of it; one
            // may be the first of a new source behind the same SSRC, whose events are timed
            // afresh.
            self.skip_in_sequence(ssrc, sequence);
            let (timestamp, marker) = (rtp.timestamp(), rtp.mark());
            let read = self
                .dtmf
                .receive_marked(ssrc, timestamp, marker, rtp.payload());
            return match read {
                Ok(Some(_)) if !self.key_rate.allow(now) => Received::KeyOverRate,
                Ok(digit) => Received::Event(digit),
                Err(_) => Received::Malformed,
            };
        }
        if pt == COMFORT_NOISE {
            // RFC 3389 §4: a sender that stops sending audio in silence says so with comfort
            // noise, in the audio's sequence; it plays as silence here.
            self.skip_in_sequence(ssrc, sequence);
            return Received::ComfortNoise;
        }
        if !audio || rtp.payload().is_empty() {
            // A packet of the audio's sequence that carries none of it (an RFC 6263 keepalive
            // with a payload type nobody agreed or no payload, comfort noise of a dynamic type)
            // holds its place there: no audio was lost in it.
            self.skip_in_sequence(ssrc, sequence);
            return match audio {
                true => Received::Keepalive,
                false => Received::UnknownPayloadType,
            };
        }
        let Some(samples) = samples else {
            return Received::Malformed;
        };
        self.reception.arrived(received, ssrc, rtp.timestamp());
        let arrival = Arrival {
            at: now,
            ssrc,
            sequence,
            timestamp: rtp.timestamp(),
            samples: samples as u32,
        };
        let mut payload = self.spare_payloads.take();
        payload.extend_from_slice(rtp.payload());
        if other_law {
            self.params.codec.convert_from_other_law(&mut payload);
        }
        if self.jitter.push(arrival, payload) {
            // RFC 4733 §2.3.1: events are stamped on the audio's clock, which just moved.
            self.dtmf.rebase();
        }
        Received::Audio
    }

    /// Counts an audio packet of `ssrc` numbered `sequence`, taken at `now`; from a source not
    /// on trial, `ssrc` is the peer's path's.
    fn count_audio(&mut self, now: Instant, ssrc: u32, sequence: u16) {
        self.reception.count_audio(now, ssrc, sequence);
        if !self.latch.on_trial() {
            self.path_ssrc = Some(ssrc);
        }
    }

    /// Notes a packet of the audio's sequence that carries no audio; when it restarted the
    /// stream, the events' timestamps start a new timeline too (RFC 4733 §2.3.1).
    fn skip_in_sequence(&mut self, ssrc: u32, sequence: u16) {
        if self.jitter.skip(ssrc, sequence) {
            self.dtmf.rebase();
        }
    }

    /// Takes an RTCP packet that came from `source` at `now`. A report from the peer is a sign
    /// of life, as its RTP is: a peer that sends no RTP while it has nothing to say (muted, or
    /// silence suppression without comfort noise) still reports.
    pub(crate) fn receive_rtcp(
        &mut self,
        now: Instant,
        source: SocketAddr,
        packet: &[u8],
    ) -> Result<ReportNotes, Refused> {
        let peer = RtcpPeer {
            rtp_destination: self.rtp_destination(),
            rtcp_address: match self.params.rtcp {
                RtcpPath::Separate(address) => Some(address),
                RtcpPath::Muxed => None,
            },
            ssrc: self.reception.ssrc(),
            path_ssrc: self.path_ssrc,
        };
        let notes = self
            .rtcp
            .receive(now, source, packet, self.out.sender(), peer)?;
        // `now` is the report's receive time, which may be older than RTP heard since.
        self.last_heard = self.last_heard.max(now);
        self.timed_out = false;
        Ok(notes)
    }

    /// Its RTCP report of `kind`, built in a buffer from `pool`, to send from the socket of leg
    /// `id` it names. A regular report goes when one is due at `now`; the last, with the BYE
    /// of its stream, once the peer heard of that stream (RFC 3550 §6.3.7: it sent RTP or
    /// reported). None goes while the peer's address is unknown (a placed call ringing) or a
    /// hold's 0.0.0.0, nor to a NAT-ed peer that sent no RTCP, nor while the leg's RTP goes to
    /// a source on trial, but to the RTCP address its SDP named if the report that last moved
    /// ours came from there (see [`Rtcp::destination`]).
    pub(crate) fn rtcp_report(
        &mut self,
        id: LegId,
        now: Instant,
        clock: &NtpClock,
        pool: &mut PacketPool,
        rng: &mut impl Rng,
        kind: ReportKind,
    ) -> Option<MediaTransmit> {
        let sender = self.out.sender();
        let goes = match kind {
            ReportKind::Regular => self.rtcp.due(now),
            ReportKind::Last => self.rtcp.introduced(sender),
        };
        if !goes {
            return None;
        }
        let (socket, destination) = self.rtcp_destination()?;
        let mut report = self.rtcp.report(
            now,
            clock.at(now),
            &self.out,
            &mut self.reception,
            pool.take(),
            rng,
        );
        if kind == ReportKind::Last {
            append_goodbye(&mut report, sender.ssrc());
        }
        Some(MediaTransmit {
            leg: id,
            socket,
            destination,
            payload: report,
        })
    }

    /// Where the leg's RTCP goes, and from which of its sockets; `None` while that is unknown,
    /// and during a hold by `c=0.0.0.0` (RFC 3264 §8.4), though the latch keeps the source it
    /// will take again.
    fn rtcp_destination(&self) -> Option<(LegSocket, SocketAddr)> {
        if self.params.remote.ip().is_unspecified() {
            return None;
        }
        let (socket, destination) =
            self.rtcp
                .destination(self.params.rtcp, self.rtp_destination(), self.params.remote)?;
        (!destination.ip().is_unspecified() && destination.port() != 0)
            .then_some((socket, destination))
    }

    /// How its streams fare each way.
    pub(crate) fn quality(&self) -> LegQuality {
        self.rtcp
            .quality(&self.reception, self.params.codec.clock_rate())
    }

    /// Takes the leg out of its room and returns the room; a leg in no room is left as it is.
    pub(crate) fn take_room(&mut self) -> Option<RoomId> {
        match std::mem::replace(&mut self.place, Place::Alone) {
            Place::Room(room) => Some(room),
            other => {
                self.place = other;
                None
            }
        }
    }

    /// Prepares the leg's input and prompt frames for the tick at `deadline`. The input stays
    /// encoded too, for a bridge to relay as is; it is decoded into `frame` as well, since the
    /// concealment of a later loss needs every frame's samples.
    pub(crate) fn pull(&mut self, deadline: Instant, rtp_timeout: Option<Duration>) -> TickNotes {
        let mut notes = TickNotes::default();
        if let Some(spent) = self.input.take() {
            self.spare_payloads.give(spent);
        }
        let rendered = self.render_input(deadline);
        let len = self.frame_len();
        self.concealing = rendered.audible;
        self.carried_audio = rendered.carried;
        self.concealed += u64::from(rendered.concealed);
        if let Some(key) = self.inband_key() {
            if self.key_rate.allow(deadline) {
                notes.key = Some(key);
            } else {
                notes.key_over_rate = true;
            }
        }
        // After concealment, whose history is what the peer sent.
        self.gain.apply(&mut self.frame[..len]);
        self.has_overlay = match &mut self.playback {
            Some(playback) => {
                if playback.fill_at(&mut self.overlay_rate, &mut self.overlay[..len]) {
                    notes.prompt_done = Some(self.heard_play);
                }
                true
            }
            None => false,
        };
        if notes.prompt_done.is_some() {
            self.playback = None;
        }
        // A key sent in-band is heard on top of everything else the leg hears. A leg that does
        // not send (see `held`) sends no key either: its keys wait, so that none is lost; the
        // one under way was ended as the leg stopped sending (see `end_key_event`).
        self.key_step = if self.params.direction.sends() {
            self.keys.next(self.params.telephone_event)
        } else {
            None
        };
        if self.key_step == Some(DtmfStep::Tone) {
            if !self.has_overlay {
                self.overlay[..len].fill(0);
            }
            self.keys.add_tone(self.rate, &mut self.overlay[..len]);
            self.has_overlay = true;
        }
        // A voice prompt replaces what the leg sends; it ends silently.
        self.speaking = match &mut self.voice {
            Some(voice) => {
                if voice.fill_at(&mut self.voice_rate, &mut self.frame[..len]) {
                    self.voice = None;
                }
                self.input = None;
                true
            }
            None => false,
        };
        // RFC 3264 §5.1: the peer of a sendonly or inactive stream sends no RTP, and one that
        // holds the call may send none, so silence from it is no sign of a dead call.
        if let Some(timeout) = rtp_timeout
            && self.params.direction.expects_steady_rtp()
            && !self.timed_out
            && self
                .last_heard
                .checked_add(timeout)
                .is_some_and(|silent_until| deadline >= silent_until)
        {
            self.timed_out = true;
            notes.timed_out = true;
        }
        notes
    }

    /// A key its peer pressed in-band, made certain by this tick's frame as the peer sent it
    /// (before the leg's gain). A lost frame's concealment is no key, but does not end a
    /// press either; a pause in the peer's stream does.
    fn inband_key(&mut self) -> Option<char> {
        let inband = self.inband.as_mut()?;
        if inband.rate() != self.rate {
            *inband = InbandDtmf::new(self.rate);
        }
        match self.gap {
            Gap::None => inband.push(&self.frame[..frame_len(self.rate)]),
            Gap::Lost => None,
            Gap::Idle => {
                inband.interrupt();
                None
            }
        }
    }

    // Renders this tick's frame of what the peer sent, span by span (in RTP clock units): what
    // is left of a lost packet, concealed; then what the jitter buffer releases, until the
    // frame is full, a packet is missing (concealed next, for as long as it lasted), or the
    // sender pauses (silence to the end). Sets `input` to the first payload taken and `gap` to
    // Lost when any of the frame is concealed, else Idle when any is silent.
    fn render_input(&mut self, deadline: Instant) -> Rendered {
        let codec = self.params.codec;
        let tick = codec.samples_per_frame(PACKET_TIME);
        let len = self.frame_len();
        let mut rendered = Rendered::default();
        self.gap = Gap::None;
        let mut done = 0;
        while done < tick {
            let (span, payload, gap) = match self.lost_samples {
                0 => self.take_span(deadline, tick - done),
                lost => {
                    let span = lost.min(tick - done);
                    self.lost_samples -= span;
                    (span, None, Gap::Lost)
                }
            };
            // RFC 7587 §3.3: the packet after a loss may carry it as in-band FEC, which is the
            // audio just before that packet: the end of the loss.
            let next = match (gap, self.lost_samples) {
                (Gap::Lost, 0) => self.jitter.peek_next().map(Vec::as_slice),
                _ => None,
            };
            // Opus packets were decoded as they were taken.
            let undecoded = payload.as_deref().filter(|_| codec != Codec::Opus);
            let frame = &mut self.frame[done * len / tick..(done + span) * len / tick];
            let part = self.inbound.render(undecoded, gap, next, frame);
            rendered.concealed |= part.concealed;
            rendered.audible |= part.audible;
            rendered.carried |= part.carried;
            self.gap = self.gap.and(gap);
            match (&self.input, payload) {
                (None, payload) => self.input = payload,
                (Some(_), Some(spent)) => self.spare_payloads.give(spent),
                (Some(_), None) => {}
            }
            done += span;
        }
        rendered
    }

    // Takes the next `want` clock units of the peer's stream from the jitter buffer. Returns the
    // span rendered from what was taken and its payload (the packet for Opus, when it is exactly
    // this tick's frame): all of `want` when the stream fills it, or ends in a pause (silence
    // after what was taken); only what was heard before a missing packet, whose loss is then
    // owed (`lost_samples`), taken to be as long as the last packet received, or before an Opus
    // packet that does not decode, owed for as long as that packet lasts.
    fn take_span(&mut self, deadline: Instant, want: usize) -> (usize, Option<Vec<u8>>, Gap) {
        let codec = self.params.codec;
        let (payload, gap) = match codec.payload_len(want) {
            Some(bytes) => {
                let jitter = &mut self.jitter;
                self.reframer
                    .next(bytes, &mut self.spare_payloads, || jitter.pop(deadline))
            }
            None => match self.take_opus(deadline, want) {
                Ok(taken) => taken,
                Err(lasted) => {
                    self.owe_concealment(lasted);
                    return (self.inbound.carried(), None, Gap::None);
                }
            },
        };
        if gap != Gap::Lost {
            return (want, payload, gap);
        }
        let heard = match codec {
            Codec::Opus => self.inbound.carried(),
            _ => payload
                .as_deref()
                .and_then(|payload| codec.payload_samples(payload))
                .unwrap_or(0),
        };
        self.owe_concealment(self.jitter.packet_samples() as usize);
        (heard, payload, Gap::None)
    }

    // Owes the concealment of `lost` clock units of the peer's stream, at most
    // `MAX_CONCEALED`: rendered next, before anything more is taken from the jitter buffer.
    fn owe_concealment(&mut self, lost: usize) {
        self.lost_samples = lost.min(self.params.codec.samples_per_frame(MAX_CONCEALED));
    }

    // Decodes Opus packets until `want` samples are carried, or the jitter buffer has none to
    // give: packets of any duration, 10 ms ones two per tick, a 60 ms one every third tick.
    // The payload returned is the packet when it is exactly this tick's whole frame. A packet
    // that does not decode ends the taking, `Err` with how long it lasts: it is lost, and
    // concealed in its place.
    fn take_opus(
        &mut self,
        deadline: Instant,
        want: usize,
    ) -> Result<(Option<Vec<u8>>, Gap), usize> {
        let frame = Codec::Opus.samples_per_frame(PACKET_TIME);
        let mut taken: Option<Vec<u8>> = None;
        let mut whole = true;
        while self.inbound.carried() < want {
            match self.jitter.pop(deadline) {
                Playout::Frame(packet) => {
                    whole = taken.is_none() && self.inbound.carried() == 0;
                    if let Some(spent) = taken.take() {
                        self.spare_payloads.give(spent);
                    }
                    if !self.inbound.take_packet(&packet) {
                        return Err(self.discard_undecodable(packet));
                    }
                    taken = Some(packet);
                }
                Playout::Lost => return Ok((None, Gap::Lost)),
                Playout::Idle => return Ok((None, Gap::Idle)),
            }
        }
        let exact = whole && want == frame && self.inbound.carried() == frame;
        Ok((taken.filter(|_| exact), Gap::None))
    }

    // How long the Opus `packet` that did not decode lasts, in clock units (as its TOC byte
    // says, else as long as the last packet received); its buffer is kept for the packets
    // received next.
    fn discard_undecodable(&mut self, packet: Vec<u8>) -> usize {
        let lasted =
            opus::nominal_samples(&packet).unwrap_or(self.jitter.packet_samples() as usize);
        self.spare_payloads.give(packet);
        lasted
    }

    /// Whether this leg sends nothing (its direction: it is on hold). Then this tick's media time
    /// is accounted on its outgoing stream and nothing is to be rendered for it.
    pub(crate) fn held(&mut self) -> bool {
        let held = !self.params.direction.sends();
        if held {
            self.out.skip_frames(1);
        }
        held
    }

    /// Whether this leg has sound this tick that its room or bridge peer may hear: a frame
    /// (received, concealed or said for it) and not muted. In a room, whether it is heard there
    /// ([`heard_in_room`](Self::heard_in_room)) and voice activity decide whether it is summed.
    pub(crate) fn has_sound(&self) -> bool {
        (self.input.is_some() || self.carried_audio || self.concealing || self.speaking)
            && !self.muted
    }

    /// Whether its room hears it this tick: it has sound (see [`has_sound`](Self::has_sound)),
    /// and what it says is a prompt or its peer does not hold the call (see
    /// [`LegParams::peer_holds`]); a bridge still passes on what a holding peer sends (see
    /// [`say`](Self::say)).
    pub(crate) fn heard_in_room(&self) -> bool {
        self.has_sound() && (self.speaking || !self.params.peer_holds)
    }

    /// Runs voice activity detection on this tick's frame (rendered by `pull`) for its room;
    /// returns the change of talking state it makes. A leg its room does not hear is silent.
    pub(crate) fn detect_voice(&mut self) -> Option<TalkChange> {
        if !self.heard_in_room() {
            return self.vad.silent();
        }
        let len = self.frame_len();
        self.vad.update(&self.frame[..len])
    }

    /// Puts what the bridge peer hears from this leg this tick into `speech`; false (and
    /// `speech` untouched) when the leg is silent or muted.
    pub(crate) fn say(&self, speech: &mut Speech) -> bool {
        if !self.has_sound() {
            return false;
        }
        // Only what came in, whole and untouched, can be relayed as is: not a voice prompt, a
        // frame concealed in whole or part, nor one whose level the gain changed.
        let concealed = self.gap == Gap::Lost;
        let relayable = !self.speaking && !concealed && self.gain.is_unity();
        speech.codec = self.params.codec;
        speech.payload.clear();
        speech.relayable = false;
        if relayable && let Some(input) = &self.input {
            speech.payload.extend_from_slice(input);
            speech.relayable = true;
        }
        let frame = self.frame();
        speech.frame[..frame.len()].copy_from_slice(frame);
        speech.len = frame.len();
        true
    }

    /// What the mixer needs to render and encode this leg's payload: its own frame if it was
    /// summed into its room's mix (`in_room`), its prompt frame, and its encoder. `N` must be
    /// its frame length ([`rate`](Self::rate) / 50).
    pub(crate) fn mix_inputs<const N: usize>(
        &mut self,
        in_room: bool,
    ) -> (Option<&[i16; N]>, Option<&[i16; N]>, &mut RoomEncoder) {
        debug_assert_eq!(N, self.frame_len());
        let own = (in_room && self.summed).then(|| first::<N>(&self.frame));
        let overlay = self.has_overlay.then(|| first::<N>(&self.overlay));
        (own, overlay, &mut self.outbound)
    }

    /// The Opus parameters of a room's shared stream this leg could take this tick: it hears
    /// the plain mix (nothing of its own summed, no prompt) and its codec keeps state that can
    /// be handed over.
    pub(crate) fn shareable(&self) -> Option<OpusParams> {
        (self.hears_plain_mix() && self.outbound.copies_state()).then(|| *self.outbound.opus())
    }

    /// Its own encoder.
    pub(crate) fn encoder(&self) -> &RoomEncoder {
        &self.outbound
    }

    /// Whether it hears its room's mix as it is this tick: nothing of its own summed in, no
    /// prompt on top, not deaf.
    pub(crate) fn hears_plain_mix(&self) -> bool {
        !self.summed && !self.has_overlay && !self.deaf
    }

    /// Moves the leg's stream from its room's shared encoder to its own, which goes on from the
    /// shared one's state (as it was after the last tick): nothing if it is not on it.
    pub(crate) fn leave_shared_stream(&mut self, shared: Option<&SharedEncoders>) {
        if !self.on_shared {
            return;
        }
        if let Some(encoder) = shared.and_then(|shared| shared.get(self.outbound.opus())) {
            self.outbound.continue_from(encoder);
        }
        self.on_shared = false;
    }

    /// Its prompt frame this tick, if a prompt is playing, at [`rate`](Self::rate).
    pub(crate) fn overlay(&self) -> Option<&[i16]> {
        self.has_overlay.then(|| &self.overlay[..self.frame_len()])
    }
}

/// The most emptied payload buffers a leg keeps: a tick releases one frame's packets (two at a
/// 10 ms ptime), so a few cover every steady state.
const MAX_SPARE_PAYLOADS: usize = 4;

/// The static payload type of comfort noise (RFC 3551 §6, RFC 3389).
const COMFORT_NOISE: u8 = 13;

/// The longest a lost packet is concealed: 120 ms, the longest an Opus packet lasts (RFC 6716
/// §3.2.1).
const MAX_CONCEALED: Duration = Duration::from_millis(120);

/// What a bridged leg said this tick; kept from tick to tick to reuse its memory.
#[derive(Debug)]
pub(crate) struct Speech {
    /// The speaker's codec.
    pub(crate) codec: Codec,
    /// `payload` holds the payload as received and may be relayed as is (a whole or partial
    /// frame).
    pub(crate) relayable: bool,
    pub(crate) payload: Vec<u8>,
    /// What it said, decoded (or concealed, or its voice prompt) at its rate, gain applied: the
    /// first `len` samples.
    frame: [i16; MAX_FRAME_LEN],
    len: usize,
}

impl Default for Speech {
    fn default() -> Self {
        Speech {
            codec: Codec::Pcmu,
            relayable: false,
            payload: Vec::new(),
            frame: [0; MAX_FRAME_LEN],
            len: 0,
        }
    }
}

impl Speech {
    /// What it said, at the speaker's rate.
    pub(crate) fn frame(&self) -> &[i16] {
        &self.frame[..self.len]
    }
}

/// The in-band key detector of a leg whose peer agreed no `telephone-event` (its keys come
/// as tones, if at all), at `rate`.
fn inband_detector(params: &LegParams, rate: u32) -> Option<InbandDtmf> {
    params
        .incoming()
        .telephone_event
        .is_none()
        .then(|| InbandDtmf::new(rate))
}

/// Tells `dtmf` the clock rates of the audio and the telephone-events `params` agreed.
fn clock_events(dtmf: &mut DtmfReceiver, params: &LegParams) {
    if let Some(events) = params.telephone_event {
        dtmf.set_clock_rates(params.codec.clock_rate(), events.clock_rate);
    }
}

// The first `N` samples of a frame buffer.
fn first<const N: usize>(samples: &[i16]) -> &[i16; N] {
    samples.first_chunk().expect("a frame is N samples")
}

/// Samples of one 20 ms frame at `rate` Hz.
fn frame_len(rate: u32) -> usize {
    rate as usize / 50
}

/// A jitter buffer for a leg of `codec` whose target delay adapts from `min_delay` up to
/// [`max_delay`].
fn new_jitter(codec: Codec, min_delay: Duration) -> JitterBuffer<Vec<u8>> {
    let max_delay = max_delay(min_delay);
    JitterBuffer::new(PACKET_TIME, codec.clock_rate(), min_delay, max_delay)
}

/// The most a leg's jitter buffer whose target starts at `min_delay` delays playout:
/// [`MAX_JITTER_DELAY`], or the minimum if it is higher.
fn max_delay(min_delay: Duration) -> Duration {
    MAX_JITTER_DELAY.max(min_delay)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;
    use crate::Encoder;

    // An Opus leg's playout, one tick at a time, of 20 ms packets of a tone that each arrive
    // just before their frame's tick, but one lasting 40 ms (by its TOC byte) in place of frames
    // 10 and 11, which does not decode: code 1, two frames of equal length in an odd number of
    // bytes (RFC 6716 §3.2.3). The leg's gap at each tick, and its jitter counters.
    fn playout_around_an_undecodable_packet() -> (Vec<Gap>, JitterStats) {
        let t0 = Instant::now();
        let params = LegParams {
            codec: Codec::Opus,
            payload_type: 111,
            telephone_event: None,
            incoming: None,
            remote: SocketAddr::from(([127, 0, 0, 1], 5000)),
            direction: MediaDirection::SendRecv,
            ptime_ms: 20,
            opus: OpusParams::default(),
            rtcp: RtcpPath::Muxed,
            peer_holds: false,
        };
        let delay = Duration::from_millis(60);
        let mut leg = Leg::new(t0, params, delay, &mut SmallRng::seed_from_u64(7));
        let mut encoder = Encoder::new(Codec::Opus);
        let mut gaps = Vec::new();
        let mut sequence = 0;
        for frame in 0..30u32 {
            let deadline = t0 + PACKET_TIME * frame;
            let pcm: Vec<i16> = (0..960)
                .map(|i| (6000.0 * (f64::from(frame * 960 + i) * 0.0576).sin()) as i16)
                .collect();
            let mut payload = Vec::new();
            encoder.encode(&pcm, &mut payload);
            let (payload, samples) = match frame {
                10 => (vec![0x79, 0, 0, 0], 1920),
                11 => (Vec::new(), 0),
                _ => (payload, 960),
            };
            if samples > 0 {
                let arrival = Arrival {
                    at: deadline - Duration::from_millis(1),
                    ssrc: 0xA,
                    sequence,
                    timestamp: frame * 960,
                    samples,
                };
                leg.jitter.push(arrival, payload);
                sequence += 1;
            }
            leg.pull(deadline, None);
            gaps.push(leg.gap);
        }
        (gaps, leg.take_jitter_stats())
    }

    #[test]
    fn an_opus_packet_that_does_not_decode_is_concealed_for_as_long_as_it_lasts() {
        let (gaps, stats) = playout_around_an_undecodable_packet();
        let lost: Vec<usize> = (0..gaps.len()).filter(|&k| gaps[k] == Gap::Lost).collect();
        assert_eq!(lost.len(), 2, "{gaps:?}");
        assert_eq!(lost[1], lost[0] + 1, "{gaps:?}");
        // The packets around it play on either side, each at its own tick.
        assert!(
            gaps[lost[1] + 1..].iter().all(|&gap| gap == Gap::None),
            "{gaps:?}"
        );
        assert_eq!(stats.concealed, 2, "{stats:?}");
        assert_eq!((stats.lost, stats.underruns), (0, 0), "{stats:?}");
    }
}
