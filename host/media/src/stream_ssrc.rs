//! Which SSRC a leg's incoming audio stream goes under, and which packets are of that stream.
//!
//! RFC 3550 A.1 keeps a source's state per SSRC, so the packets of another SSRC neither restart
//! nor disturb the stream's:
//! - Audio under a new SSRC is the stream starting over under it. A packet of the SSRC it
//!   replaced that arrives within a bound (the most a packet waits for playout) of the switch
//!   is a straggler of that stream, not of this one; later, the old SSRC coming back is a switch
//!   like any other.
//! - A packet that carries no audio (an RFC 4733 event, RFC 3389 comfort noise) is of the
//!   stream only under the audio's SSRC: events sent under an SSRC of their own are not numbered
//!   among the audio (RFC 4733 §2.5.1.1 lets them go either way).

use std::time::{Duration, Instant};

/// What an audio packet is to the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Membership {
    /// Of the stream, under its SSRC.
    Current,
    /// The first under a new SSRC: the stream starts over under it.
    New {
        /// It replaces another SSRC (rather than being the stream's first).
        replacing: bool,
    },
    /// A straggler of the SSRC the stream just replaced: not of the stream.
    Straggler,
}

/// The SSRC of one incoming audio stream.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StreamSsrc {
    ssrc: Option<u32>,
    /// The SSRC the stream last switched from, and until when its packets are stragglers.
    replaced: Option<(u32, Instant)>,
    /// How long after a switch the old SSRC's packets are stragglers.
    straggling: Duration,
}

impl StreamSsrc {
    /// No stream yet; the packets of a replaced SSRC will be stragglers for `straggling` after
    /// the switch.
    pub(crate) fn new(straggling: Duration) -> Self {
        StreamSsrc {
            ssrc: None,
            replaced: None,
            straggling,
        }
    }

    /// Takes an audio packet of `ssrc` arriving `at`.
    pub(crate) fn audio(&mut self, at: Instant, ssrc: u32) -> Membership {
        if self.ssrc == Some(ssrc) {
            return Membership::Current;
        }
        if self
            .replaced
            .is_some_and(|(old, until)| old == ssrc && at < until)
        {
            return Membership::Straggler;
        }
        let replacing = self.ssrc.replace(ssrc);
        if let Some(old) = replacing {
            self.replaced = Some((old, at + self.straggling));
        }
        Membership::New {
            replacing: replacing.is_some(),
        }
    }

    /// Whether a packet of `ssrc` that carries no audio is of the stream: it goes under the
    /// audio's SSRC.
    pub(crate) fn includes(&self, ssrc: u32) -> bool {
        self.ssrc == Some(ssrc)
    }

    /// The stream's SSRC, once its audio came.
    pub(crate) fn ssrc(&self) -> Option<u32> {
        self.ssrc
    }
}
