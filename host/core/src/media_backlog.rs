//! How many commands wait for each media worker: counted up by the core as it
//! emits them, down by the worker as it is done with them, so that the core can
//! refuse a guest's media commands for a worker that has too many waiting.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::effect::MediaOp;
use crate::error::CoreError;

/// The most commands that may wait for one media worker before the core refuses
/// the media commands guests ask of it. A worker carries out a command in
/// microseconds, so a healthy one never has more than a few waiting per call
/// event; a guest looping a cheap command (a gain, a mute) within its deadline
/// can queue tens of thousands, on several guest threads at once, faster than
/// an overloaded worker takes them. At this many a worker's queue holds a few
/// MiB at most and drains within milliseconds once the worker has time. What
/// SIP drives (a leg added, updated or removed, a call ending), and the moves
/// and rejoins the core makes of its own accord, are never refused: the call
/// rate bounds them, and refusing them would leave the media out of step with
/// the core.
pub const MAX_MEDIA_BACKLOG: usize = 16_384;

/// The commands emitted to each media worker that the worker is not done with
/// yet: in the core's effects, on their way to the worker, or held by it for a
/// leg on its way there, and the guests' commands refused for each worker since
/// the start. Shared by the core, the media workers and the metrics (atomics:
/// counting takes no lock).
#[derive(Debug)]
pub struct MediaBacklog {
    waiting: Box<[AtomicUsize]>,
    refused: Box<[AtomicU64]>,
}

impl MediaBacklog {
    /// Nothing waiting for any of `workers` workers (at least one).
    pub fn new(workers: usize) -> MediaBacklog {
        let workers = workers.max(1);
        MediaBacklog {
            waiting: (0..workers).map(|_| AtomicUsize::new(0)).collect(),
            refused: (0..workers).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// How many commands wait for `worker`; none for a worker there is not.
    pub fn waiting(&self, worker: usize) -> usize {
        self.waiting
            .get(worker)
            .map_or(0, |count| count.load(Ordering::Relaxed))
    }

    /// How many guests' commands [`MediaBacklog::check`] refused because too
    /// many waited for `worker`, since the start; none for a worker there is not.
    pub fn refused(&self, worker: usize) -> u64 {
        self.refused
            .get(worker)
            .map_or(0, |count| count.load(Ordering::Relaxed))
    }

    /// One more command for `worker`: sent to it by another worker (a leg
    /// handed over, or lost on the way).
    pub fn add(&self, worker: usize) {
        if let Some(count) = self.waiting.get(worker) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `worker` is done with one command: it carried it out, dropped it, or
    /// never got it.
    pub fn done(&self, worker: usize) {
        if let Some(count) = self.waiting.get(worker) {
            // Never below zero: a miscount costs headroom, never every guest's media.
            let _ = count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
    }

    /// Counts what `op` becomes: one command for each worker it names (a
    /// move: the worker the leg goes to expects it, the one it leaves hands it
    /// over).
    pub(crate) fn emitted(&self, op: &MediaOp) {
        for worker in workers_of(op).into_iter().flatten() {
            self.add(worker);
        }
    }

    /// Refuses, as [`CoreError::Busy`], a guest's command for any of
    /// `workers` that has [`MAX_MEDIA_BACKLOG`] commands waiting, counting the
    /// refusal against the first such worker.
    pub fn check(&self, workers: impl IntoIterator<Item = usize>) -> Result<(), CoreError> {
        for worker in workers {
            let waiting = self.waiting(worker);
            if waiting >= MAX_MEDIA_BACKLOG {
                if let Some(refused) = self.refused.get(worker) {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                return Err(CoreError::Busy(format!(
                    "media worker {worker}: {waiting} commands waiting"
                )));
            }
        }
        Ok(())
    }
}

/// The workers `op` sends a command to, one each.
fn workers_of(op: &MediaOp) -> [Option<usize>; 2] {
    match *op {
        MediaOp::Move { from, to, .. } => [Some(from), Some(to)],
        MediaOp::AddLeg { worker, .. }
        | MediaOp::UpdateLeg { worker, .. }
        | MediaOp::RearmRtpTimeout { worker, .. }
        | MediaOp::RemoveLeg { worker, .. }
        | MediaOp::Join { worker, .. }
        | MediaOp::Leave { worker, .. }
        | MediaOp::Bridge { worker, .. }
        | MediaOp::Unbridge { worker, .. }
        | MediaOp::SetGain { worker, .. }
        | MediaOp::SetMuted { worker, .. }
        | MediaOp::SetDeaf { worker, .. }
        | MediaOp::SendDtmf { worker, .. }
        | MediaOp::Play { worker, .. }
        | MediaOp::Stop { worker, .. }
        | MediaOp::Announce { worker, .. }
        | MediaOp::StopAnnouncement { worker, .. }
        | MediaOp::StartRecording { worker, .. }
        | MediaOp::StopRecording { worker, .. } => [Some(worker), None],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_counts_for_both_workers_and_a_count_never_goes_below_zero() {
        let backlog = MediaBacklog::new(2);
        backlog.emitted(&MediaOp::Move {
            leg: switchyard_media::LegId(1),
            from: 0,
            to: 1,
        });
        assert_eq!((backlog.waiting(0), backlog.waiting(1)), (1, 1));
        backlog.done(0);
        backlog.done(0);
        assert_eq!(backlog.waiting(0), 0);
        assert_eq!(backlog.waiting(7), 0, "no such worker");
    }

    #[test]
    fn refusals_count_against_the_worker_over_the_limit() {
        let backlog = MediaBacklog::new(3);
        for _ in 0..MAX_MEDIA_BACKLOG {
            backlog.add(1);
        }
        assert!(backlog.check([0, 2]).is_ok());
        assert!(matches!(backlog.check([0, 1]), Err(CoreError::Busy(_))));
        assert!(matches!(backlog.check([1]), Err(CoreError::Busy(_))));
        assert_eq!(
            (backlog.refused(0), backlog.refused(1), backlog.refused(2)),
            (0, 2, 0)
        );
        backlog.done(1);
        assert!(backlog.check([1]).is_ok());
        assert_eq!(backlog.refused(1), 2, "a check let through counts nothing");
        assert_eq!(backlog.refused(7), 0, "no such worker");
    }

    #[test]
    fn a_rearmed_rtp_timeout_counts_once_for_its_worker() {
        let backlog = MediaBacklog::new(2);
        backlog.emitted(&MediaOp::RearmRtpTimeout {
            worker: 1,
            leg: switchyard_media::LegId(1),
        });
        assert_eq!((backlog.waiting(0), backlog.waiting(1)), (0, 1));
    }
}
