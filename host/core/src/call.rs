//! One call and where it stands.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Instant;
use switchyard_media::{Codec, LegId};
use switchyard_sip::CallKey;
use switchyard_sip::sdp::Negotiated;

use crate::timers::TimerId;

/// Identifies a call for as long as it exists; shown as `c<n>` (the "call tag").
/// Its single leg has the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

impl CallId {
    /// The media leg of this call.
    pub fn leg(self) -> LegId {
        LegId(self.0)
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

impl FromStr for CallId {
    type Err = ();

    /// Parses `c<n>`, as [`Display`](fmt::Display) writes it.
    fn from_str(s: &str) -> Result<CallId, ()> {
        let digits = s.strip_prefix('c').ok_or(())?;
        if digits.starts_with('+') {
            return Err(());
        }
        digits.parse().map(CallId).map_err(|_| ())
    }
}

/// Where a call's audio goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attachment {
    /// It hears only its prompts.
    Alone,
    /// A participant of this room.
    Room(String),
    /// Two-party with this call.
    Bridge(CallId),
}

/// The SIP side of a call, as far as the core cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The INVITE waits for an answer.
    Offered,
    /// 200 OK sent at this time.
    Answered(Instant),
    /// A rejection or hang-up is under way; `answered` is when it was answered, if it was.
    Ending { answered: Option<Instant> },
}

/// One call.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) key: CallKey,
    pub(crate) negotiated: Negotiated,
    pub(crate) codec: Codec,
    /// Our address as the peer sees it, for SDP.
    pub(crate) local_ip: IpAddr,
    pub(crate) phase: Phase,
    /// The worker its media leg lives on, once answered.
    pub(crate) worker: Option<usize>,
    pub(crate) attachment: Attachment,
    /// Its pending timers.
    pub(crate) timers: BTreeSet<TimerId>,
    /// Its guest has done something with the INVITE (answered, rejected or hung up).
    pub(crate) handled: bool,
    /// Its media leg is muted (a muted or listen-only participant).
    pub(crate) media_muted: bool,
}

impl Call {
    pub(crate) fn answered(&self) -> bool {
        matches!(self.phase, Phase::Answered(_))
    }

    pub(crate) fn ending(&self) -> bool {
        matches!(self.phase, Phase::Ending { .. })
    }

    /// When it was answered, whatever happened since.
    pub(crate) fn answered_at(&self) -> Option<Instant> {
        match self.phase {
            Phase::Offered => None,
            Phase::Answered(at) => Some(at),
            Phase::Ending { answered } => answered,
        }
    }

    pub(crate) fn room(&self) -> Option<&str> {
        match &self.attachment {
            Attachment::Room(room) => Some(room),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_round_trip_through_their_tag() {
        assert_eq!(CallId(42).to_string(), "c42");
        assert_eq!("c42".parse::<CallId>(), Ok(CallId(42)));
        for bad in ["42", "c", "cx", "c-1", "c+1", "C1", ""] {
            assert_eq!(bad.parse::<CallId>(), Err(()), "{bad:?} must not parse");
        }
    }
}
