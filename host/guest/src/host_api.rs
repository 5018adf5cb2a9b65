//! What guests may ask of the host.

use crate::{DialRequest, Error, JoinOptions, RoomInfo};

/// The host side of the `signaling`, `media`, `rooms`, `timers`, `kv` and
/// `messages` imports, implemented by the embedder. Calls come from guest code running on
/// one of the embedder's guest threads, one at a time per instance, and must
/// return promptly: they change the host's state and queue the I/O, they never
/// wait for the network.
///
/// `call` arguments are call ids as the host gave them to guests; an id the
/// host does not know is [`Error::NoSuchCall`]; arguments the host cannot take
/// (a code outside 300–699, an empty room name, a call bridged to itself) are
/// [`Error::InvalidArgument`], checked by the host alone. `guest` arguments name the
/// guest whose instance is asking: state kept per guest (the key-value store)
/// is never shared between guests. The texts of a dial request (URI, From, To,
/// context) and of join options reach the host at most 4 KiB each: a guest's
/// longer ones are refused before they are copied out of its memory.
pub trait HostApi: Send + Sync + 'static {
    /// `signaling.answer`: 200 OK with the host's SDP answer.
    fn answer(&self, call: &str) -> Result<(), Error>;
    /// `signaling.reject`: a final non-2xx response; `code` is 300..=699.
    fn reject(&self, call: &str, code: u16, reason: &str) -> Result<(), Error>;
    /// `signaling.hangup`: BYE if answered, a rejection otherwise.
    fn hangup(&self, call: &str) -> Result<(), Error>;
    /// `signaling.bridge`: two answered calls connected to each other.
    fn bridge(&self, a: &str, b: &str) -> Result<(), Error>;
    /// `signaling.unbridge`: the call and its peer are alone again.
    fn unbridge(&self, call: &str) -> Result<(), Error>;
    /// `signaling.hold`: a new offer putting the call on hold or taking it off.
    fn hold(&self, call: &str, held: bool) -> Result<(), Error>;
    /// `signaling.dial` by the guest named `guest`, whose instance serves
    /// the placed call: places a call; returns its id at once.
    fn dial(&self, guest: &str, request: DialRequest) -> Result<String, Error>;
    /// `signaling.forward` by the guest named `guest`, whose instance serves
    /// the placed call: forwards an unanswered incoming call as a placed one
    /// (B2BUA); returns the placed call's id.
    fn forward(&self, guest: &str, call: &str, request: DialRequest) -> Result<String, Error>;
    /// `media.play`: the named prompts, in order, to this call only.
    fn play(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error>;
    /// `media.stop`.
    fn stop(&self, call: &str) -> Result<(), Error>;
    /// `media.speak`: the named prompts, in order, as the call's voice.
    fn speak(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error>;
    /// `media.stop-speaking`.
    fn stop_speaking(&self, call: &str) -> Result<(), Error>;
    /// `rooms.open`: true if the room was created.
    fn open_room(&self, room: &str) -> bool;
    /// `media.set-gain`: the gain on what the call says, in dB.
    fn set_gain(&self, call: &str, gain_db: f32) -> Result<(), Error>;
    /// `media.send-dtmf`: `digits` (1 to 32 of 0-9, *, #, A-D) to the call's
    /// peer after the keys it is still sending, as RFC 4733 events or
    /// in-band tones; more than 32 keys waiting is [`Error::InvalidArgument`].
    fn send_dtmf(&self, call: &str, digits: &str) -> Result<(), Error>;
    /// `rooms.announce`: the named prompts into the room, once or looped.
    fn announce(&self, room: &str, prompts: &[String], looped: bool) -> Result<(), Error>;
    /// `rooms.stop-announcement`.
    fn stop_announcement(&self, room: &str) -> Result<(), Error>;
    /// `rooms.info`.
    fn room_info(&self, room: &str) -> Option<RoomInfo>;
    /// `rooms.list`.
    fn list_rooms(&self) -> Vec<String>;
    /// `rooms.close`: hang everyone up and delete the room.
    fn close_room(&self, room: &str) -> Result<(), Error>;
    /// `rooms.join`: how many other participants of the room have not finished.
    fn join(&self, call: &str, room: &str, options: JoinOptions) -> Result<u32, Error>;
    /// `rooms.leave`.
    fn leave(&self, call: &str) -> Result<(), Error>;
    /// `rooms.set-muted`.
    fn set_muted(&self, call: &str, muted: bool) -> Result<(), Error>;
    /// `rooms.set-listen-only`.
    fn set_listen_only(&self, call: &str, listen_only: bool) -> Result<(), Error>;
    /// `rooms.set-deaf`: the participant hears nothing of its room (its own
    /// prompts still play) until it leaves it.
    fn set_deaf(&self, call: &str, deaf: bool) -> Result<(), Error>;
    /// `rooms.kick`.
    fn kick(&self, call: &str) -> Result<(), Error>;
    /// `rooms.set-meta`.
    fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), Error>;
    /// `rooms.get-meta`.
    fn get_meta(&self, room: &str, key: &str) -> Option<String>;
    /// `rooms.swap-meta`: `set_meta` only if the value of `key` is now `expected` (`None`:
    /// not set), with no other `set_meta` or `swap_meta` between the comparison and the
    /// write; `Ok(false)`, changing nothing, if it is another. The errors are `set_meta`'s.
    fn swap_meta(
        &self,
        room: &str,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, Error>;
    /// `rooms.start-recording`: the room's mix to a new WAV file named
    /// `name` (a plain file name, ".wav" added when missing) in the host's
    /// recording directory, until `stop_recording` or the room is gone.
    /// `admit` is asked once the start is known to be possible and before the
    /// host touches the disk: its refusal is the call's, and a start refused
    /// before it does not ask.
    fn start_recording(
        &self,
        room: &str,
        name: &str,
        admit: &mut dyn FnMut() -> Result<(), Error>,
    ) -> Result<(), Error>;
    /// `rooms.stop-recording`: ends the room's recording; its file is completed
    /// off the caller's thread.
    fn stop_recording(&self, room: &str) -> Result<(), Error>;
    /// `timers.start`: a timer of `call` that fires after `ms` milliseconds.
    fn start_timer(&self, call: &str, ms: u32) -> Result<u64, Error>;
    /// `timers.cancel` by an instance serving the call `call` ("" for an
    /// instance serving a control request): false if the timer is not
    /// pending or is not one `call` started.
    fn cancel_timer(&self, call: &str, timer: u64) -> bool;
    /// `kv.get` in `guest`'s store.
    fn kv_get(&self, guest: &str, key: &str) -> Option<String>;
    /// `kv.set` in `guest`'s store.
    fn kv_set(&self, guest: &str, key: &str, value: &str) -> Result<(), Error>;
    /// `kv.delete` in `guest`'s store: false if the key was not set.
    fn kv_delete(&self, guest: &str, key: &str) -> bool;
    /// `kv.swap` in `guest`'s store: `kv_set` (`kv_delete` when `value` is `None`) only if
    /// the value of `key` is now `expected` (`None`: not set), with no other write to the
    /// store between the comparison and the write; `Ok(false)`, changing nothing, if it is
    /// another. The errors are `kv_set`'s.
    fn kv_swap(
        &self,
        guest: &str,
        key: &str,
        expected: Option<&str>,
        value: Option<&str>,
    ) -> Result<bool, Error>;
    /// `kv.list` in `guest`'s store: keys starting with `prefix`, in byte order,
    /// at most `limit`.
    fn kv_list(&self, guest: &str, prefix: &str, limit: u32) -> Vec<String>;
    /// `messages.send` by an instance of the guest named `guest` serving the
    /// call `from` ("" for an instance serving a control request): `message`
    /// (at most 4 KiB) goes to `call`'s instance after the events queued for
    /// it, and is delivered only if that instance is of the same guest and
    /// takes messages.
    fn send_message(&self, guest: &str, from: &str, call: &str, message: &str)
    -> Result<(), Error>;
}
