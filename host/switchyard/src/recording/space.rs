//! The disk space the recordings may take together (`recording.max_total_mb`): what is left of
//! it is measured from the directory whenever a recording starts or one is deleted, and again
//! when a writer runs short of it (see [`writer`](super::writer)), and taken by each writer
//! before it writes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The bytes the recordings may still take, shared by the recorder and every writer.
#[derive(Debug)]
pub struct Space {
    left: AtomicU64,
    /// The most the recordings may take.
    max_bytes: u64,
    /// Where the recordings are, if anywhere.
    dir: Option<PathBuf>,
}

impl Space {
    /// `max_bytes` for the recordings in `dir`, all of it left until [measured](Self::measure).
    pub fn new(max_bytes: u64, dir: Option<PathBuf>) -> Space {
        Space {
            left: AtomicU64::new(max_bytes),
            max_bytes,
            dir,
        }
    }

    /// The most bytes the recordings may take together.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Measures what the recordings in the directory take (every regular `.wav` file there not
    /// starting with `.`, each as far as its writes reached the disk, which for one being
    /// written is within a checkpoint of what its writer took), and sets what is left to the
    /// rest of [`max_bytes`](Self::max_bytes): files deleted by hand since the last measure
    /// free their space here. Returns the bytes taken; without a directory, where no
    /// recording is, 0, and nothing is set. Err: the directory cannot be read.
    pub fn measure(&self) -> Result<u64, String> {
        let Some(dir) = &self.dir else {
            return Ok(0);
        };
        let used: u64 = switchyard_control::files::recordings(dir)?
            .iter()
            .map(|(_, meta)| meta.len())
            .sum();
        self.left
            .store(self.max_bytes.saturating_sub(used), Ordering::Relaxed);
        Ok(used)
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
        let space = Space::new(1000, None);
        assert_eq!(space.take(600), 600);
        assert_eq!(space.take(600), 400, "only the rest");
        assert_eq!(space.take(1), 0);
        space.give(3);
        assert_eq!(space.take(10), 3, "what was given back");
    }

    #[test]
    fn a_measure_leaves_what_the_recordings_do_not_take() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old.wav"), [0; 300]).unwrap();
        std::fs::write(dir.path().join("notes.txt"), [0; 200]).unwrap();
        let space = Space::new(1000, Some(dir.path().to_owned()));
        assert_eq!(space.take(900), 900);
        assert_eq!(space.measure(), Ok(300));
        assert_eq!(space.take(u64::MAX), 700);
    }
}
