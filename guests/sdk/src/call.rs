//! [`Call`]: one call, with the host's commands on it as methods.

use crate::rooms::JoinOptions;
use crate::signaling::DialRequest;
use crate::types::Error;
use crate::{media, messages, rooms, signaling, timers};
use std::fmt;
use std::time::Duration;

/// One call, by its id: the commands a flow gives the host about it.
///
/// Every method is one host call of the WIT API and returns what the host
/// answered: an [`Error`] says the command was not carried out (the call is
/// gone, is in the wrong state, or an argument was refused).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Call {
    id: String,
}

/// A timer started with [`Call::start_timer`]; [`Event::Timer`](crate::Event::Timer)
/// carries it back when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(u64);

impl TimerId {
    /// The timer of the host's id (as the raw WIT API numbers timers).
    pub const fn from_raw(id: u64) -> Self {
        TimerId(id)
    }

    /// The host's id of the timer.
    pub const fn raw(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TimerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timer {}", self.0)
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// The longest timer the host accepts: a day.
pub const MAX_TIMER: Duration = Duration::from_secs(86_400);

impl Call {
    /// The call with the host's id `id` (an [`InviteInfo::call`](crate::types::InviteInfo),
    /// or an id a control function was given).
    pub fn new(id: impl Into<String>) -> Self {
        Call { id: id.into() }
    }

    /// The host's id of the call (its "call tag").
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Answers the call (200 OK).
    pub fn answer(&self) -> Result<(), Error> {
        signaling::answer(&self.id)
    }

    /// Rejects the unanswered call with a final response (300-699), e.g.
    /// `reject(486, "Busy Here")`; 3xx, 401, 405, 407, 415, 420-423 and 494,
    /// whose responses need header fields this cannot give, are an
    /// `invalid-argument` error.
    pub fn reject(&self, code: u16, reason: &str) -> Result<(), Error> {
        signaling::reject(&self.id, code, reason)
    }

    /// Ends the call: BYE if it was answered, a rejection otherwise.
    /// [`Event::Hangup`](crate::Event::Hangup) follows; no `Timer`, `Dtmf`,
    /// `PromptDone` or `Talk` event comes before it any more.
    pub fn hangup(&self) -> Result<(), Error> {
        signaling::hangup(&self.id)
    }

    /// Plays the named prompts to this call, once, one after the other,
    /// replacing what it was playing; [`Event::PromptDone`](crate::Event::PromptDone)
    /// follows the last one.
    pub fn play(&self, prompts: &[&str]) -> Result<(), Error> {
        media::play(&self.id, &owned(prompts), false)
    }

    /// Plays the named prompts to this call over and over (no
    /// [`Event::PromptDone`](crate::Event::PromptDone)), until [`Call::stop_playing`]
    /// or another [`Call::play`]. A list with no audio (no prompts, or only
    /// empty ones) ends at once, with `PromptDone`.
    pub fn play_looped(&self, prompts: &[&str]) -> Result<(), Error> {
        media::play(&self.id, &owned(prompts), true)
    }

    /// Stops what the call is played (no [`Event::PromptDone`](crate::Event::PromptDone)).
    pub fn stop_playing(&self) -> Result<(), Error> {
        media::stop(&self.id)
    }

    /// Puts the call into `room` (opening it if needed), leaving any room or
    /// bridge it was in; returns how many others in the room have not
    /// finished (0: the call is alone there).
    pub fn join(&self, room: &str, options: &JoinOptions) -> Result<u32, Error> {
        rooms::join(&self.id, room, options)
    }

    /// Takes the call out of its room; it then hears only its prompts.
    pub fn leave(&self) -> Result<(), Error> {
        rooms::leave(&self.id)
    }

    /// Mutes or unmutes the call in its room.
    pub fn set_muted(&self, muted: bool) -> Result<(), Error> {
        rooms::set_muted(&self.id, muted)
    }

    /// Makes the call listen-only in its room (it hears, it is never mixed), or not.
    pub fn set_listen_only(&self, listen_only: bool) -> Result<(), Error> {
        rooms::set_listen_only(&self.id, listen_only)
    }

    /// Makes the call talk-only in its room (it hears nothing of the room,
    /// only its own prompts; it is mixed as before), or not. Leaving the
    /// room ends it.
    pub fn set_deaf(&self, deaf: bool) -> Result<(), Error> {
        rooms::set_deaf(&self.id, deaf)
    }

    /// Hangs the call up as a participant removed from its room (its
    /// reason becomes "kicked").
    pub fn kick(&self) -> Result<(), Error> {
        rooms::kick(&self.id)
    }

    /// Sends keys (0-9, *, #, A-D; at most 32 waiting) to the call's peer,
    /// as RFC 4733 events or in-band tones, whichever its session takes.
    pub fn send_dtmf(&self, digits: &str) -> Result<(), Error> {
        media::send_dtmf(&self.id, digits)
    }

    /// Sends `message` (at most 4 KiB) to the flow of this call in its own
    /// instance of this guest, as [`CallFlow::on_message`](crate::CallFlow::on_message)
    /// after the events queued for it. The host drops it, without telling the
    /// sender, if the call is served by another guest or ends first, or if 32
    /// events and messages already wait for the call. On the `from` of a
    /// message a control request's instance sent (id `""`) it is
    /// [`Error::NoSuchCall`]; past 1,024 messages in one call into the guest,
    /// [`Error::Failed`].
    pub fn send_message(&self, message: &str) -> Result<(), Error> {
        messages::send(&self.id, message)
    }

    /// Connects this answered call to another, two-party.
    pub fn bridge(&self, other: &Call) -> Result<(), Error> {
        signaling::bridge(&self.id, &other.id)
    }

    /// Takes the call and its peer out of their bridge.
    pub fn unbridge(&self) -> Result<(), Error> {
        signaling::unbridge(&self.id)
    }

    /// Puts the answered call on hold (`true`) or takes it off hold;
    /// [`Event::Held`](crate::Event::Held) reports the outcome.
    pub fn hold(&self, held: bool) -> Result<(), Error> {
        signaling::hold(&self.id, held)
    }

    /// Forwards this unanswered call to `request`'s target (B2BUA) and returns
    /// the placed call; its own instance starts with [`CallFlow::on_dialed`](crate::CallFlow::on_dialed).
    pub fn forward(&self, request: &DialRequest) -> Result<Call, Error> {
        signaling::forward(&self.id, request).map(Call::new)
    }

    /// Starts a timer that fires once, `after` from now, as
    /// [`Event::Timer`](crate::Event::Timer) with the id returned. The host
    /// takes at most [`MAX_TIMER`], in whole milliseconds, and 64 pending
    /// timers per call; a longer time, or a call other than the one this
    /// instance serves, is an `invalid-argument` error.
    pub fn start_timer(&self, after: Duration) -> Result<TimerId, Error> {
        let ms = timer_ms(after)?;
        timers::start(&self.id, ms).map(TimerId)
    }

    /// Cancels a pending timer of the call this instance serves (whichever
    /// call it is asked on); false if it already fired, was cancelled, never
    /// existed or is another call's.
    pub fn cancel_timer(&self, timer: TimerId) -> bool {
        timers::cancel(timer.0)
    }
}

/// Places a call (`sip:` or `sips:` URI in `request`) and returns it at once;
/// its own instance starts with [`CallFlow::on_dialed`](crate::CallFlow::on_dialed)
/// given `request.context`. A request past its sizes (see [`DialRequest::to`])
/// is an `invalid-argument` error.
pub fn dial(request: &DialRequest) -> Result<Call, Error> {
    signaling::dial(request).map(Call::new)
}

impl JoinOptions {
    /// A participant shown as `number`, with reason "entered" and no
    /// participant id. The host takes a number of at most 2 KiB, a reason and
    /// a participant id of at most 256 bytes each (`invalid-argument` past
    /// them).
    pub fn number(number: impl Into<String>) -> Self {
        JoinOptions {
            number: number.into(),
            reason: "entered".to_owned(),
            participant_id: String::new(),
        }
    }
}

impl DialRequest {
    /// A call to `uri` from the host's own identity, with no extra headers, no
    /// credentials, an empty context and no room; set the fields to change that.
    ///
    /// The host takes a `uri`, `from` and `to` of at most 2 KiB each, at most
    /// 32 extra headers with at most 64 KiB of names and values together, a
    /// credentials' user name and password of at most 256 bytes each, a
    /// `context` of at most 4 KiB, and a `room`'s options as
    /// [`JoinOptions::number`] says; past them, `invalid-argument`.
    pub fn to(uri: impl Into<String>) -> Self {
        DialRequest {
            uri: uri.into(),
            from: String::new(),
            to: String::new(),
            headers: Vec::new(),
            credentials: None,
            context: String::new(),
            room: None,
        }
    }
}

fn owned(prompts: &[&str]) -> Vec<String> {
    prompts.iter().map(|p| (*p).to_owned()).collect()
}

/// `after` in whole milliseconds for `timers.start`; more than
/// [`MAX_TIMER`] is refused here, as the host would refuse it.
fn timer_ms(after: Duration) -> Result<u32, Error> {
    if after > MAX_TIMER {
        return Err(Error::InvalidArgument(format!(
            "a timer of {after:?} is longer than a day"
        )));
    }
    Ok(u32::try_from(after.as_millis()).expect("a day fits in u32 milliseconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_are_whole_milliseconds_up_to_a_day() {
        assert_eq!(timer_ms(Duration::from_millis(1500)).unwrap(), 1500);
        assert_eq!(timer_ms(Duration::from_micros(2999)).unwrap(), 2);
        assert_eq!(timer_ms(MAX_TIMER).unwrap(), 86_400_000);
        assert!(matches!(
            timer_ms(MAX_TIMER + Duration::from_millis(1)),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn helpers_fill_in_the_defaults() {
        let options = JoinOptions::number("alice");
        assert_eq!(
            (options.number.as_str(), options.reason.as_str()),
            ("alice", "entered")
        );
        assert!(options.participant_id.is_empty());
        let request = DialRequest::to("sip:bob@example.com");
        assert_eq!(request.uri, "sip:bob@example.com");
        assert!(request.from.is_empty() && request.credentials.is_none() && request.room.is_none());
        let call = Call::new("c1");
        assert_eq!((call.id(), call.to_string()), ("c1", "c1".to_owned()));
        assert_eq!(TimerId::from_raw(7).raw(), 7);
    }
}
