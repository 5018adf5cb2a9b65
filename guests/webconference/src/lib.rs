//! A drop-in replacement for the SEMS webconference application, as a Switchyard guest.
//!
//! Dial-in: a call is routed to a room by `P-App-Param` or `direct_room_re`, or
//! asked for the room number by keypad (ended by `#` or `*`; bounded by
//! attempts, time-outs and a per-source limit on refused entries), and joins
//! it; the first participant hears `first_participant`, the others
//! `join_sound` and later `drop_sound`. Dial-out: `dialout` places a
//! call whose own instance joins it to the room. Control: the SEMS XML-RPC
//! functions, answered from the rooms the host keeps, with the guest's own
//! state (pins, time-outs, invitations) in room meta and its key-value store.
//!
//! The decisions are plain functions ([`routing`], [`admission`], [`adminpin`],
//! [`call_tag`], [`expiry`], [`dialout`], [`invited`], [`master`],
//! [`predefined`], [`feedback`], [`finished_muted`], [`muting`], [`remote_party`],
//! [`limits`], [`listing`], [`lonely_mark`], [`looping_mark`], [`entered_mark`], [`deadline`]) tested natively; the component
//! glue that calls the host is built for `wasm32` only, because a component's
//! export names cannot be linked into a native library.

pub mod adminpin;
pub mod admission;
pub mod call_tag;
pub mod deadline;
pub mod dialout;
pub mod entered_mark;
pub mod expiry;
pub mod feedback;
pub mod fields;
pub mod finished_muted;
pub mod invited;
pub mod limits;
pub mod listing;
pub mod lonely_mark;
pub mod looping_mark;
pub mod master;
pub mod muting;
pub mod predefined;
pub mod remote_party;
pub mod routing;

#[cfg(target_arch = "wasm32")]
mod component;
