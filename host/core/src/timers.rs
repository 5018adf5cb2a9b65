//! Every timer of the core, as data: guest timers and expiries.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use crate::call::CallId;

/// Identifies one timer; guests see the ids of the timers they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(pub u64);

/// What a timer does when it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TimerKind {
    /// A guest's timer: an event to the call.
    Guest(CallId),
    /// A finished participant leaves the room's list.
    ParticipantExpiry { room: String, call: CallId },
    /// An empty room is deleted.
    RoomExpiry(String),
    /// A placed call still unanswered is cancelled.
    RingTimeout(CallId),
    /// A placed call's INVITE to its current target had no response: the next target is tried.
    NextTarget(CallId),
    /// The peer of a call that sends no RTP is asked whether it is alive.
    PeerProbe(CallId),
}

/// Pending timers in deadline order. Every entry is removed when it fires or is
/// cancelled, so the set holds only what is pending.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    next: u64,
    due: BTreeMap<(Instant, TimerId), TimerKind>,
    deadline: HashMap<TimerId, Instant>,
}

impl Timers {
    /// Schedules `kind` at `at`.
    pub(crate) fn schedule(&mut self, at: Instant, kind: TimerKind) -> TimerId {
        self.next += 1;
        let id = TimerId(self.next);
        self.due.insert((at, id), kind);
        self.deadline.insert(id, at);
        id
    }

    /// The pending timer `id`, if any.
    pub(crate) fn get(&self, id: TimerId) -> Option<&TimerKind> {
        let at = self.deadline.get(&id)?;
        self.due.get(&(*at, id))
    }

    /// When the pending timer `id` fires, if it is pending.
    pub(crate) fn deadline(&self, id: TimerId) -> Option<Instant> {
        self.deadline.get(&id).copied()
    }

    /// Cancels `id`; what it would have done, if it was pending.
    pub(crate) fn cancel(&mut self, id: TimerId) -> Option<TimerKind> {
        let at = self.deadline.remove(&id)?;
        self.due.remove(&(at, id))
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.due.keys().next().map(|(at, _)| *at)
    }

    /// Removes and returns the earliest timer due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(TimerId, TimerKind)> {
        let (&(at, id), _) = self.due.first_key_value()?;
        if at > now {
            return None;
        }
        self.deadline.remove(&id);
        self.due.remove(&(at, id)).map(|kind| (id, kind))
    }

    /// How many are pending.
    pub(crate) fn len(&self) -> usize {
        self.due.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timers_fire_in_deadline_order_and_cancel_cleanly() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        let late = timers.schedule(t0 + Duration::from_secs(2), TimerKind::Guest(CallId(1)));
        let early = timers.schedule(t0 + Duration::from_secs(1), TimerKind::Guest(CallId(2)));
        let cancelled = timers.schedule(t0, TimerKind::RoomExpiry("9".into()));
        assert_eq!(
            timers.cancel(cancelled),
            Some(TimerKind::RoomExpiry("9".into()))
        );
        assert_eq!(
            timers.cancel(cancelled),
            None,
            "a second cancel finds nothing"
        );
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(timers.pop_due(t0), None, "nothing is due at t0");
        let fired: Vec<TimerId> =
            std::iter::from_fn(|| timers.pop_due(t0 + Duration::from_secs(5)))
                .map(|(id, _)| id)
                .collect();
        assert_eq!(fired, [early, late]);
        assert_eq!(
            (timers.len(), timers.deadline.len()),
            (0, 0),
            "nothing left behind"
        );
    }
}
