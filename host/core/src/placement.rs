//! Which media worker (timing core) a leg lives on.

use switchyard_media::LegId;

/// Maps rooms and lone legs to media workers. A room lives on one worker, so
/// its mix is one loop; a leg not in a room lives on the worker its number picks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    workers: usize,
}

impl Placement {
    /// `workers` is at least one.
    pub(crate) fn new(workers: usize) -> Placement {
        Placement {
            workers: workers.max(1),
        }
    }

    /// The worker of `room`: a stable hash (FNV-1a), the same in every run, so
    /// placement is reproducible in tests and logs.
    pub(crate) fn room(&self, room: &str) -> usize {
        let hash = room.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        (hash % self.workers as u64) as usize
    }

    /// The worker of a leg in no room.
    pub(crate) fn leg(&self, leg: LegId) -> usize {
        (leg.0 % self.workers as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_is_stable_and_in_range() {
        let placement = Placement::new(3);
        let first: Vec<usize> = (0..50).map(|n| placement.room(&n.to_string())).collect();
        let again: Vec<usize> = (0..50).map(|n| placement.room(&n.to_string())).collect();
        assert_eq!(first, again, "a room must always map to the same worker");
        assert!(
            first.iter().all(|&w| w < 3),
            "workers out of range: {first:?}"
        );
        assert!(
            (0..3).all(|w| first.contains(&w)),
            "50 rooms should use all 3 workers: {first:?}"
        );
        assert_eq!(
            Placement::new(0).leg(LegId(7)),
            0,
            "zero workers acts as one"
        );
    }
}
