//! A leg in transit between two workers (timing cores), carrying all of its media state.

use std::time::{Duration, Instant};

use crate::leg::Leg;

/// A leg taken out of a worker by [`Worker::detach`](crate::Worker::detach), to carry on in
/// another one with [`Worker::attach`](crate::Worker::attach) exactly where it was: parameters,
/// direction and ptime, outgoing RTP stream (SSRC, sequence number, timestamp, payload gathered
/// towards its next packet), buffered incoming audio, DTMF
/// receiver, prompt playback, mute flag, gain, the source it latched onto, RTP-timeout
/// bookkeeping, and its RTCP: the statistics of what it received, its report schedule, its
/// sender reports the peer may name and what the peer reported. Opaque; `Send`, so the
/// shell can pass it between tasks.
#[derive(Debug)]
pub struct DetachedLeg {
    leg: Box<Leg>,
    // The detaching worker's next deadline: where the leg's next packet was due.
    due: Instant,
}

impl DetachedLeg {
    /// Wraps a leg whose next packet was due at `due` on its worker's schedule.
    pub(crate) fn new(leg: Box<Leg>, due: Instant) -> Self {
        DetachedLeg { leg, due }
    }

    /// The leg, ready to tick on a schedule whose next deadline is `next` and whose period is
    /// `period`.
    ///
    /// The outgoing timestamp advances one frame per tick, as on any tick, so the stream
    /// continues +1 sequence number and +1 packet of timestamp (at any ptime). The two schedules
    /// are offset by less than a tick; that offset is not media time, and the peer's jitter
    /// buffer absorbs the one shorter or longer gap between packets. Whole ticks that passed with
    /// no packet (a slow handover) are media time: they are added to the timestamp as for skipped
    /// ticks (dropping any payload gathered towards the next packet), so it keeps tracking the
    /// sampling clock (RFC 3550 §5.1).
    pub(crate) fn land(mut self, next: Instant, period: Duration) -> Box<Leg> {
        let missed = next.saturating_duration_since(self.due).as_nanos() / period.as_nanos();
        self.leg.out.skip_frames(missed as u32);
        self.leg
    }
}
