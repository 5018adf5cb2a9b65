//! The call model of Switchyard, sans-IO.
//!
//! A [`CallCore`] owns every call, leg, bridge, room and participant of a host,
//! with their state rules and lifecycles. Like `switchyard-sip` and
//! `switchyard-media` it opens no socket, spawns no thread and reads no clock:
//! inputs come in with `now` (SIP datagrams, media events, commands from guests
//! and control requests, time-outs), and what must happen is drained as
//! [`Effect`]s (media commands and guest work) and SIP datagrams through
//! `poll_effect` / `poll_transmit`, with `poll_timeout` saying when to call
//! `handle_timeout` next. What the core must ask of the outside world at once
//! (an RTP port, the local address a peer sees) goes through the [`Network`]
//! trait the shell implements.
//!
//! The model:
//! - A **call** has one leg, inbound or placed by the host ([`DialRequest`]),
//!   and is alone, in a two-party **bridge** with another call, or a
//!   **participant** of a **room**. A forwarded call (B2BUA) is an inbound
//!   call linked to the call placed for it: the callee's progress reaches the
//!   caller, its answer bridges them, and either side ending ends both until
//!   the guest parts them (unbridges them, or moves either to a room or
//!   another bridge) once both are answered.
//! - A room lists its participants, finished ones included, until
//!   `participants_expire_delay` after they finished; an empty room is deleted
//!   after `rooms_expire_delay` unless predefined, or earlier, oldest first,
//!   when more than `max_empty_rooms` wait.
//! - A call's **timers** fire as events to its guest and end with the call.
//! - An answered call whose peer sends no RTP (held either way, or inactive)
//!   is probed with in-dialog OPTIONS, and ends when the peer is gone.
//! - Each room lives on one media worker (timing core); a call that joins a room
//!   or a bridge on another worker moves there.
//!
//! Nothing here depends on the guest ABI: the embedder adapts these types to
//! whatever WIT version a guest speaks.

mod call;
mod call_rate;
mod core;
mod dial;
mod effect;
mod empty_rooms;
mod error;
mod failover;
pub mod kv;
mod media_backlog;
mod network;
mod placement;
mod rooms;
mod setup_times;
mod timers;

pub use crate::core::{
    CallCore, CallStats, CoreConfig, Footprint, MAX_MESSAGE_BYTES, RETRY_AFTER_S, RoomState,
};
pub use call::CallId;
pub use call_rate::{CallRate, Counted, RATE_LIMIT_RETRY_AFTER_S, WINDOW_S};
pub use dial::{DialRequest, MAX_CONTEXT_BYTES, MAX_DIAL_HEADERS};
pub use effect::{CallEvent, Effect, GuestOp, Invite, MediaOp, Message, RecordingEnd};
pub use error::CoreError;
pub use failover::MAX_TARGETS;
pub use media_backlog::{MAX_MEDIA_BACKLOG, MediaBacklog};
pub use network::{Network, NoMediaAddress};
pub use rooms::{
    JoinOptions, KEEP_META_KEY, MAX_META_BYTES, MAX_META_ENTRIES, MAX_META_KEY_BYTES,
    MAX_META_VALUE_BYTES, MAX_ROOM_NAME, ParticipantStatus, ParticipantView, RoomView,
    room_name_problem,
};
pub use setup_times::{SETUP_BOUNDS_S, SetupTimes};
pub use timers::TimerId;
