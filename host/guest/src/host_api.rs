//! What guests may ask of the host.

use crate::{Error, JoinOptions, RoomInfo};

/// The host side of the `signaling`, `media` and `rooms` imports, implemented by
/// the embedder. Calls come from guest code running on the embedder's own thread,
/// one at a time per instance, and must return promptly: they change the host's
/// state and queue the I/O, they never wait for the network.
///
/// `call` arguments are call ids as the host gave them to guests; an id the
/// host does not know is [`Error::NoSuchCall`].
pub trait HostApi: Send + Sync + 'static {
    /// `signaling.answer`: 200 OK with the host's SDP answer.
    fn answer(&self, call: &str) -> Result<(), Error>;
    /// `signaling.reject`: a final non-2xx response; `code` is 300..=699.
    fn reject(&self, call: &str, code: u16, reason: &str) -> Result<(), Error>;
    /// `signaling.hangup`: BYE if answered, a rejection otherwise.
    fn hangup(&self, call: &str) -> Result<(), Error>;
    /// `media.play`: the named prompts, in order, to this call only.
    fn play(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error>;
    /// `media.stop`.
    fn stop(&self, call: &str) -> Result<(), Error>;
    /// `rooms.open`: true if the room was created.
    fn open_room(&self, room: &str) -> bool;
    /// `rooms.info`.
    fn room_info(&self, room: &str) -> Option<RoomInfo>;
    /// `rooms.list`.
    fn list_rooms(&self) -> Vec<String>;
    /// `rooms.close`: hang everyone up and delete the room.
    fn close_room(&self, room: &str) -> Result<(), Error>;
    /// `rooms.join`.
    fn join(&self, call: &str, room: &str, options: JoinOptions) -> Result<(), Error>;
    /// `rooms.leave`.
    fn leave(&self, call: &str) -> Result<(), Error>;
    /// `rooms.set-meta`.
    fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), Error>;
    /// `rooms.get-meta`.
    fn get_meta(&self, room: &str, key: &str) -> Option<String>;
}
