//! Sans-IO media for Switchyard: RTP, jitter buffer, G.711, G.722 and Opus, mixer, prompts,
//! timing.
//!
//! Nothing in this crate opens a socket, spawns a thread or reads a clock (DESIGN.md,
//! Principle 1): time comes in as `now: Instant`, randomness from a seed given at construction,
//! and output is drained through `poll_transmit` / `poll_event` / `poll_timeout`. A [`Worker`] is
//! one timing core that owns rooms and their legs and ticks every packet time on absolute
//! deadlines (Principle 5); its [`MixMinus`] scales with talkers, not listeners (Principle 6),
//! under each room's [`Limiter`]. Each room mixes at the highest audio rate among its legs'
//! codecs (8 kHz for G.711, 16 kHz with G.722, 48 kHz with Opus); each leg decodes with its own
//! [`Decoder`] and converts to its room's rate, and hears the mix converted back to its codec's
//! rate and encoded by its own [`Encoder`] (G.711 listeners of a narrowband room share one).
//!
//! The [`Worker`] API, as the shell drives it:
//!
//! - Legs: [`add_leg`](Worker::add_leg), [`update_leg`](Worker::update_leg) (a re-negotiation:
//!   codec, remote address, direction such as hold, ptime), [`remove_leg`](Worker::remove_leg),
//!   [`set_muted`](Worker::set_muted) (also listen-only), [`set_gain`](Worker::set_gain) (the
//!   level of what it says), [`send_dtmf`](Worker::send_dtmf) (keys to its peer, as RFC 4733
//!   events or in-band tones).
//! - Where a leg is, at most one of: alone (hearing only its prompts), in a room
//!   ([`join`](Worker::join), [`leave`](Worker::leave); mixed mix-minus; deaf, hearing only
//!   its prompts, by [`set_deaf`](Worker::set_deaf)), or in a two-party
//!   bridge ([`bridge`](Worker::bridge), [`unbridge`](Worker::unbridge); each leg's payload
//!   relayed to the other as is when both speak one G.711 codec, without the mixer; G.722
//!   and Opus ones decoded and encoded again by the listener's own encoder).
//! - Prompts to one leg: [`play`](Worker::play), [`stop_playback`](Worker::stop_playback);
//!   prompts as a leg's voice: [`speak`](Worker::speak), [`stop_speaking`](Worker::stop_speaking);
//!   prompts into a room, once or looped (music on hold): [`announce`](Worker::announce),
//!   [`stop_announcement`](Worker::stop_announcement).
//! - Recording a room's mix, optionally with one track per member
//!   ([`RecordingTap::with_tracks`]): [`start_recording`](Worker::start_recording) with the
//!   [`RecordingTap`] of a bounded [`recording_queue`] whose reader writes the file off the
//!   timing core, [`stop_recording`](Worker::stop_recording).
//! - Moving a leg to another worker without a glitch: [`detach`](Worker::detach) gives a
//!   [`DetachedLeg`] (`Send`) with all its media state, [`attach`](Worker::attach) on the other
//!   worker carries on with the same RTP stream, buffered audio and prompt.
//! - I/O: [`handle_rtp`](Worker::handle_rtp) for each packet received, with its source address
//!   (a leg latches onto one source and takes packets from it only: symmetric RTP, see
//!   [`LATCH_GRACE`]),
//!   [`handle_timeout`](Worker::handle_timeout) at [`poll_timeout`](Worker::poll_timeout), then
//!   [`poll_transmit`](Worker::poll_transmit) and [`poll_event`](Worker::poll_event) until
//!   empty; [`stats`](Worker::stats) for the counters.

mod bridge;
mod codec;
mod decoder;
mod direction;
mod dtmf;
mod dtmf_detect;
mod dtmf_send;
mod dtmf_tone;
mod encoder;
pub mod g711;
mod g722;
mod gain;
mod handover;
mod jitter;
mod key_rate;
mod latch;
mod lateness;
mod leg;
mod limiter;
mod mixer;
mod mixing;
mod opus;
mod output;
mod packet_pool;
mod packetizer;
mod playback;
mod plc;
mod prompt;
mod rate;
mod reception;
mod recording;
mod reframe;
mod resample;
mod rtcp;
mod rtcp_writer;
mod rtp;
mod seq_map;
mod shared_encoders;
mod stream_ssrc;
mod ticker;
mod transcode;
mod transit;
mod vad;
mod worker;

use std::time::Duration;

pub use codec::{Codec, SUPPORTED_ENCODINGS};
pub use decoder::Decoder;
pub use direction::MediaDirection;
pub use dtmf::{DtmfError, DtmfReceiver};
pub use dtmf_detect::InbandDtmf;
pub use dtmf_send::{
    DTMF_GAP_TIME, DTMF_KEY_TIME, DtmfSendError, MAX_PENDING_KEYS, TelephoneEvent, check_dtmf,
};
pub use dtmf_tone::{Q23_HIGH_HZ, Q23_LOW_HZ, q23_frequencies};
pub use encoder::Encoder;
pub use gain::{MAX_GAIN_DB, MIN_GAIN_DB};
pub use handover::DetachedLeg;
pub use jitter::{Arrival, JitterBuffer, JitterStats, Playout};
pub use key_rate::MAX_KEYS_PER_SECOND;
pub use latch::LATCH_GRACE;
pub use lateness::{LATENESS_BOUNDS_MS, Lateness};
pub use leg::{IncomingPayloadTypes, LegId, LegParams};
pub use limiter::{LIMIT_CEILING, Limiter, RELEASE_DB_PER_FRAME};
pub use mixer::MixMinus;
pub use opus::OpusParams;
pub use playback::{PlayId, PromptRole};
pub use prompt::{Prompt, PromptError};
pub use recording::{
    MAX_RECORDED_TRACKS, MAX_RECORDING_BYTES, RecordedFrame, RecordedSamples, RecordingId,
    RecordingTap, recording_queue,
};
pub use rtcp::{LegQuality, LegSocket, PeerReport, RTCP_MIN_INTERVAL, RtcpPath, ntp_timestamp};
pub use transcode::RoomEncoder;
pub use vad::{HANGOVER_FRAMES, SILENCE_DBOV, TalkChange, VoiceActivity};
pub use worker::{
    MAX_CATCH_UP_TICKS, MediaEvent, MediaTransmit, RoomId, Worker, WorkerConfig, WorkerStats,
};

/// Sample rate of prompts, in Hz; rooms and legs at a higher rate convert them.
pub const PROMPT_RATE: u32 = 8000;

/// The only tick period the worker runs at now: one frame every 20 ms. Each leg's packets still
/// carry the ptime its peer asked for ([`LegParams::ptime_ms`]).
pub const PACKET_TIME: Duration = Duration::from_millis(20);

/// Samples in one [`PACKET_TIME`] frame at 8 kHz (160): a narrowband room's, a G.711 leg's
/// and a prompt's.
pub const FRAME_LEN: usize = 160;

/// Samples in one [`PACKET_TIME`] frame at the highest room rate, 48 kHz (960).
pub const MAX_FRAME_LEN: usize = 960;

/// The most a leg's jitter buffer delays playout, however bad the network's jitter: its target
/// delay adapts between [`WorkerConfig::jitter_delay`] and this.
pub const MAX_JITTER_DELAY: Duration = Duration::from_millis(200);
