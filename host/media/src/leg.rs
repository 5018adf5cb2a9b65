//! One call leg's media state: its receive path (RTP parse, jitter buffer, DTMF), its decoded
//! frame for the current tick, its prompt playback and its outgoing RTP stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use rtp_rs::RtpReader;

use crate::playback::Playback;
use crate::rtp::RtpSender;
use crate::{
    Codec, DtmfReceiver, FRAME_LEN, JitterBuffer, JitterStats, PACKET_TIME, Prompt, RoomId,
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
    /// The payload type of RFC 4733 `telephone-event`, if negotiated.
    pub telephone_event: Option<u8>,
    /// Where this leg's RTP goes.
    pub remote: SocketAddr,
}

/// What a packet from the leg's socket turned out to be, when it was not simply audio.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// Audio, buffered for playout.
    Audio,
    /// A telephone-event packet: a new key press, or `None` for a repeat or non-DTMF event.
    Event(Option<char>),
    /// A valid RTP packet with a payload type this leg did not negotiate.
    UnknownPayloadType,
    /// Not a valid RTP packet, or an unreadable payload.
    Malformed,
}

/// What happened to a leg at a tick, for the worker to report.
#[derive(Debug, Default)]
pub(crate) struct TickNotes {
    pub(crate) prompt_done: bool,
    pub(crate) timed_out: bool,
}

#[derive(Debug)]
pub(crate) struct Leg {
    pub(crate) params: LegParams,
    pub(crate) room: Option<RoomId>,
    pub(crate) muted: bool,
    pub(crate) sender: RtpSender,
    jitter: JitterBuffer<Vec<u8>>,
    jitter_delay: Duration,
    dtmf: DtmfReceiver,
    playback: Option<Playback>,
    last_heard: Instant,
    timed_out: bool,
    /// This tick's decoded frame, valid when `has_frame`.
    pub(crate) frame: [i16; FRAME_LEN],
    pub(crate) has_frame: bool,
    /// This tick's prompt frame, valid when `has_overlay`.
    pub(crate) overlay: [i16; FRAME_LEN],
    pub(crate) has_overlay: bool,
}

impl Leg {
    pub(crate) fn new(
        now: Instant,
        params: LegParams,
        jitter_delay: Duration,
        rng: &mut impl Rng,
    ) -> Self {
        Leg {
            sender: RtpSender::new(rng, params.payload_type),
            params,
            room: None,
            muted: false,
            jitter: JitterBuffer::new(PACKET_TIME, jitter_delay),
            jitter_delay,
            dtmf: DtmfReceiver::new(),
            playback: None,
            last_heard: now,
            timed_out: false,
            frame: [0; FRAME_LEN],
            has_frame: false,
            overlay: [0; FRAME_LEN],
            has_overlay: false,
        }
    }

    /// Adopts re-negotiated parameters. Audio buffered under the old ones is discarded; the
    /// buffer's counters are returned so the worker keeps them.
    pub(crate) fn update(&mut self, params: LegParams) -> JitterStats {
        let old = std::mem::replace(
            &mut self.jitter,
            JitterBuffer::new(PACKET_TIME, self.jitter_delay),
        );
        self.sender.set_payload_type(params.payload_type);
        self.params = params;
        old.stats()
    }

    pub(crate) fn jitter_stats(&self) -> JitterStats {
        self.jitter.stats()
    }

    pub(crate) fn play(&mut self, prompts: Vec<Arc<Prompt>>, looped: bool) {
        self.playback = Some(Playback::new(prompts, looped));
    }

    pub(crate) fn stop_playback(&mut self) {
        self.playback = None;
    }

    /// Takes one packet from the leg's socket.
    pub(crate) fn receive(&mut self, now: Instant, packet: &[u8]) -> Received {
        let Ok(rtp) = RtpReader::new(packet) else {
            return Received::Malformed;
        };
        self.last_heard = now;
        self.timed_out = false;
        let pt = rtp.payload_type();
        if Some(pt) == self.params.telephone_event {
            return match self
                .dtmf
                .receive(rtp.ssrc(), rtp.timestamp(), rtp.payload())
            {
                Ok(digit) => Received::Event(digit),
                Err(_) => Received::Malformed,
            };
        }
        if pt != self.params.payload_type {
            return Received::UnknownPayloadType;
        }
        if rtp.payload().is_empty() {
            return Received::Malformed;
        }
        let sequence = u16::from(rtp.sequence_number());
        self.jitter
            .push(now, rtp.ssrc(), sequence, rtp.payload().to_vec());
        Received::Audio
    }

    /// Prepares the leg's input and prompt frames for the tick at `deadline`.
    pub(crate) fn pull(&mut self, deadline: Instant, rtp_timeout: Option<Duration>) -> TickNotes {
        let mut notes = TickNotes::default();
        self.has_frame = match self.jitter.pop(deadline) {
            Some(payload) => {
                // A payload shorter than a frame (a peer with another ptime) is padded with
                // silence; a longer one is cut to the frame.
                let n = self.params.codec.decode(&payload, &mut self.frame);
                self.frame[n..].fill(0);
                true
            }
            None => false,
        };
        self.has_overlay = match &mut self.playback {
            Some(playback) => {
                notes.prompt_done = playback.fill(&mut self.overlay);
                true
            }
            None => false,
        };
        if notes.prompt_done {
            self.playback = None;
        }
        if let Some(timeout) = rtp_timeout
            && !self.timed_out
            && deadline >= self.last_heard + timeout
        {
            self.timed_out = true;
            notes.timed_out = true;
        }
        notes
    }

    /// Whether this tick's frame is summed into its room.
    pub(crate) fn talking(&self) -> bool {
        self.has_frame && !self.muted
    }
}
