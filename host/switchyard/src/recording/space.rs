//! The disk space the recordings may take together (`recording.max_total_mb`): what is left of
//! it is measured from the directory whenever a recording starts or one is deleted, and taken by
//! each writer before it writes.

use std::sync::atomic::{AtomicU64, Ordering};

/// The bytes the recordings may still take, shared by the recorder and every writer.
#[derive(Debug)]
pub struct Space {
    left: AtomicU64,
}

impl Space {
    /// `bytes` left.
    pub fn new(bytes: u64) -> Space {
        Space {
            left: AtomicU64::new(bytes),
        }
    }

    /// Sets what is left to `bytes`, as measured.
    pub fn set(&self, bytes: u64) {
        self.left.store(bytes, Ordering::Relaxed);
    }

    /// Takes `wanted` bytes, or all that is left when less is; returns how many were taken.
    pub fn take(&self, wanted: u64) -> u64 {
        let mut taken = 0;
        // The closure never declines, so the update always succeeds.
        let _ = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                taken = left.min(wanted);
                Some(left - taken)
            });
        taken
    }

    /// Gives back `bytes` taken and not used.
    pub fn give(&self, bytes: u64) {
        // The closure never declines, so the update always succeeds.
        let _ = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                Some(left.saturating_add(bytes))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_taken_never_exceeds_what_is_left() {
        let space = Space::new(1000);
        assert_eq!(space.take(600), 600);
        assert_eq!(space.take(600), 400, "only the rest");
        assert_eq!(space.take(1), 0);
        space.set(7);
        assert_eq!(space.take(10), 7);
        space.give(3);
        assert_eq!(space.take(10), 3, "what was given back");
    }
}
