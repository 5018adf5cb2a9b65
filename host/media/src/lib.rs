//! Sans-IO media for Switchyard: RTP, jitter buffer, G.711, mixer, prompts, timing.
//!
//! Nothing in this crate opens a socket, spawns a thread or reads a clock (DESIGN.md,
//! Principle 1): time comes in as `now: Instant`, randomness from a seed given at construction,
//! and output is drained through `poll_transmit` / `poll_event` / `poll_timeout`. A [`Worker`] is
//! one timing core that owns rooms and their legs and ticks every packet time on absolute
//! deadlines (Principle 5); its [`MixMinus`] scales with talkers, not listeners (Principle 6).

mod codec;
mod dtmf;
pub mod g711;
mod jitter;
mod leg;
mod mixer;
mod playback;
mod prompt;
mod resample;
mod rtp;
mod ticker;
mod worker;

use std::time::Duration;

pub use codec::{Codec, SUPPORTED_ENCODINGS};
pub use dtmf::{DtmfError, DtmfReceiver};
pub use jitter::{JitterBuffer, JitterStats};
pub use leg::{LegId, LegParams};
pub use mixer::MixMinus;
pub use prompt::{Prompt, PromptError};
pub use worker::{
    MAX_CATCH_UP_TICKS, MediaEvent, MediaTransmit, RoomId, Worker, WorkerConfig, WorkerStats,
};

/// Sample rate of every room's mix, in Hz (narrowband now; 16 and 48 kHz rooms later).
pub const ROOM_RATE: u32 = 8000;

/// The only packet time the worker runs at now: one frame every 20 ms.
pub const PACKET_TIME: Duration = Duration::from_millis(20);

/// Samples in one frame at [`ROOM_RATE`] and [`PACKET_TIME`] (160).
pub const FRAME_LEN: usize = 160;
