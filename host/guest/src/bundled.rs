//! Guests compiled from `guests/` by the build script and embedded in the host.

/// The `webconference` guest (a SEMS webconference replacement), as a component.
pub const WEBCONFERENCE: &[u8] = include_bytes!(env!("SWITCHYARD_GUEST_WEBCONFERENCE"));

/// The `nway` guest (MeetMe-style conferences and n-way calls), as a component.
pub const NWAY: &[u8] = include_bytes!(env!("SWITCHYARD_GUEST_NWAY"));

/// The guest embedded under `name`, if one is.
pub fn named(name: &str) -> Option<&'static [u8]> {
    match name {
        "webconference" => Some(WEBCONFERENCE),
        "nway" => Some(NWAY),
        _ => None,
    }
}
