//! What the reloads since start came to, for the metrics.

use super::report::Outcome;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// The reloads' counts, updated as each ends.
#[derive(Debug)]
pub struct ReloadStats {
    counts: Mutex<ReloadCounts>,
}

/// The reloads since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReloadCounts {
    /// Reloads whose file loaded: what changed applied, or waits for a restart.
    pub files_loaded: u64,
    /// Reloads whose file did not load, and changed nothing: it does not load, or the reload
    /// failed inside the server before it was read
    /// ([`Failure::Internal`](super::report::Failure::Internal)).
    pub files_not_loaded: u64,
    /// Whether the last reload's file loaded; true before any reload.
    pub last_successful: bool,
    /// When the last reload whose file loaded ended; the start before any.
    pub last_success: SystemTime,
    /// The changed keys that wait for the next restart, as of that reload.
    pub keys_waiting: usize,
    /// The guests that refused their changed settings at that reload (each keeps its running
    /// version and settings until a reload it takes).
    pub guests_refusing: usize,
}

impl ReloadStats {
    /// No reload yet, for a server that started with its file at `started`.
    pub fn new(started: SystemTime) -> ReloadStats {
        ReloadStats {
            counts: Mutex::new(ReloadCounts {
                files_loaded: 0,
                files_not_loaded: 0,
                last_successful: true,
                last_success: started,
                keys_waiting: 0,
                guests_refusing: 0,
            }),
        }
    }

    /// The counts now.
    pub fn counts(&self) -> ReloadCounts {
        *self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a reload that came to `outcome`, ending at `at`: a failure of either kind as a
    /// file not loaded, the last reload then not successful.
    pub fn record(&self, outcome: &Outcome, at: SystemTime) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            Ok(report) => {
                counts.files_loaded += 1;
                counts.last_successful = true;
                counts.last_success = at;
                counts.keys_waiting = report.waiting.len();
                counts.guests_refusing = report.refused.len();
            }
            Err(_) => {
                counts.files_not_loaded += 1;
                counts.last_successful = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_reload::Waiting;
    use crate::config_reload::report::{Failure, Report};
    use std::time::Duration;

    #[test]
    fn a_reload_whose_file_loads_is_a_success_and_sets_the_keys_waiting() {
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let stats = ReloadStats::new(started);
        let at_start = ReloadCounts {
            files_loaded: 0,
            files_not_loaded: 0,
            last_successful: true,
            last_success: started,
            keys_waiting: 0,
            guests_refusing: 0,
        };
        assert_eq!(stats.counts(), at_start);

        let mut report = Report::new("my.toml".into());
        report.waiting = ["sip.listen", "rtp.port_max"]
            .map(|key| Waiting {
                key: key.to_owned(),
                why: None,
            })
            .to_vec();
        let later = started + Duration::from_secs(60);
        stats.record(&Ok(report), later);
        let loaded = ReloadCounts {
            files_loaded: 1,
            last_success: later,
            keys_waiting: 2,
            ..at_start
        };
        assert_eq!(stats.counts(), loaded);

        let refused = Err(Failure::NotLoaded("my.toml:9:1: unclosed table".to_owned()));
        stats.record(&refused, later + Duration::from_secs(60));
        assert_eq!(
            stats.counts(),
            ReloadCounts {
                files_not_loaded: 1,
                last_successful: false,
                ..loaded
            },
            "the last success and its keys are kept"
        );
        stats.record(&Ok(Report::new("my.toml".into())), later);
        assert!(stats.counts().last_successful);
        assert_eq!(stats.counts().keys_waiting, 0);

        stats.record(&Err(Failure::Internal), later);
        assert_eq!(
            stats.counts().files_not_loaded,
            2,
            "nothing read: not loaded"
        );
        assert!(!stats.counts().last_successful);
    }
}
