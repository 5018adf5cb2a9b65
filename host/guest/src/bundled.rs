//! Guests compiled from `guests/` by the build script and embedded in the host.

/// The `webconference` guest (a SEMS webconference replacement), as a component.
pub const WEBCONFERENCE: &[u8] = include_bytes!(env!("SWITCHYARD_GUEST_WEBCONFERENCE"));

/// The `nway` guest (MeetMe-style conferences and n-way calls), as a component.
pub const NWAY: &[u8] = include_bytes!(env!("SWITCHYARD_GUEST_NWAY"));
