//! Empty rooms waiting to expire, oldest first, so that when too many wait the
//! oldest can go early: a room per call at a high rate must not pile up rooms
//! for the whole expiry delay.

use std::collections::VecDeque;

use crate::timers::TimerId;

/// The expiry timers of empty rooms in the order they started. Every room
/// expires after the same delay, so this is also deadline order. An entry
/// goes stale when its room is joined, closed or expires; stale entries are
/// skipped, and dropped in bulk so they never outnumber the waiting rooms by
/// much.
#[derive(Debug, Default)]
pub(crate) struct EmptyRooms {
    order: VecDeque<(TimerId, String)>,
    waiting: usize,
}

impl EmptyRooms {
    /// `room` started waiting under timer `id`.
    pub(crate) fn started(&mut self, id: TimerId, room: &str) {
        self.order.push_back((id, room.to_owned()));
        self.waiting += 1;
    }

    /// A room stopped waiting (joined, closed or expired).
    pub(crate) fn stopped(&mut self) {
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// Rooms waiting now.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
    }

    /// The oldest room still waiting under the timer it started with, by
    /// `is_current(id, room)`; stale entries before it are dropped.
    pub(crate) fn oldest(
        &mut self,
        is_current: impl Fn(TimerId, &str) -> bool,
    ) -> Option<(TimerId, String)> {
        while let Some((id, room)) = self.order.pop_front() {
            if is_current(id, &room) {
                return Some((id, room));
            }
        }
        None
    }

    /// Drops stale entries once they make up most of the queue.
    pub(crate) fn compact(&mut self, is_current: impl Fn(TimerId, &str) -> bool) {
        if self.order.len() > 2 * self.waiting + 64 {
            self.order.retain(|(id, room)| is_current(*id, room));
        }
    }

    /// Entries held, stale ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_entries_are_skipped_and_compacted_away() {
        let mut rooms = EmptyRooms::default();
        for n in 0..1000 {
            rooms.started(TimerId(n), "busy");
            // The room is joined again at once: its entry goes stale.
            rooms.stopped();
            rooms.compact(|_, _| false);
        }
        assert!(
            rooms.len() <= 64 + 1,
            "stale entries must not pile up: {}",
            rooms.len()
        );
        rooms.started(TimerId(5000), "idle");
        let current = |id: TimerId, _: &str| id == TimerId(5000);
        assert_eq!(
            rooms.oldest(current),
            Some((TimerId(5000), "idle".to_owned()))
        );
        assert_eq!(rooms.oldest(current), None);
        assert_eq!(
            rooms.waiting(),
            1,
            "oldest() does not decide whether it stops waiting"
        );
    }
}
