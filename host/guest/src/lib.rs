//! The Wasm guest runtime of Switchyard.
//!
//! Guests are WebAssembly components of the `switchyard:call` WIT package (see
//! `wit/`), of any version in [`WitVersion::SUPPORTED`] and of world `app` or
//! `call-flow` (which has no `control`): each version has its bindings, and
//! one implementation of the imports serves them all. A
//! [`Runtime`] compiles guests ([`Runtime::load`], through a [`CompileCache`]
//! on disk when it has one) and pre-instantiates them into [`Guest`]s; each
//! call gets its own [`Instance`] of its guest, so a trap or a timeout ends that
//! guest's part of one call only. Every call into a guest has a deadline (epoch
//! interruption) and every instance a memory cap ([`Limits`]); guests get no
//! filesystem (only the `records` import's files, see [`RecordFiles`]),
//! network, environment or arguments.
//!
//! What a guest asks of the host goes to a [`HostApi`] that the embedder (the
//! `switchyard` binary) implements; this crate owns the guest's config table and
//! its log lines, and throttles the lines the host writes on a guest's behalf
//! ([`LogThrottle`]).

// The integration tests' fake host, which unit tests share, names this crate as they do.
#[cfg(test)]
extern crate self as switchyard_guest;

mod bindings;
mod bounded_lists;
mod bounded_text;
mod budget;
pub mod bundled;
mod cache;
mod call_allowance;
mod config_keys;
mod context;
mod deadline;
mod exports;
mod guest;
mod host_api;
mod imports;
mod instance;
mod log_throttle;
mod no_blocking;
mod no_server;
mod records;
mod runtime;
#[cfg(test)]
mod test_wasm;
mod values;
mod version;

pub use bindings::control::Fault;
pub use bindings::rooms::JoinOptions;
pub use bindings::signaling::{Credentials, DialRequest};
pub use bindings::types::{
    CallFailure, CallProgress, Error, Event, InviteInfo, ParticipantInfo, ParticipantStatus,
    RoomInfo, SipHeader, TalkState,
};
pub use cache::CompileCache;
pub use config_keys::{ConfigKeys, on_one_line};
pub use guest::{Guest, GuestConfig};
pub use host_api::HostApi;
pub use instance::{GuestError, Instance};
pub use log_throttle::{Admitted, LogThrottle};
pub use no_server::NoServer;
pub use records::{DEFAULT_MAX_FILE_BYTES, MAX_APPEND_BYTES, RecordFiles, check_file_name};
pub use runtime::{GuestLimits, Limits, Runtime};
pub use switchyard_value::Value;
pub use version::WitVersion;
