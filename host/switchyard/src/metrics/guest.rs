//! One guest version's metrics, kept with the version in the guest registry so that they go
//! when it is unloaded: how long each call into one of its exports took, and how many of those
//! calls and of its instances' starts ended in a trap, past the deadline or out of fuel.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use std::time::Instant;
use switchyard_guest::GuestError;

/// The upper bounds of the dispatch-time buckets, in seconds.
const DISPATCH_BOUNDS_S: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// Handles on one guest version's metrics; clones share them.
#[derive(Clone, Debug)]
pub struct GuestMetrics {
    pub(super) dispatch: Histogram,
    pub(super) traps: Counter,
    pub(super) timeouts: Counter,
    pub(super) out_of_fuel: Counter,
}

impl Default for GuestMetrics {
    fn default() -> Self {
        GuestMetrics {
            dispatch: Histogram::new(DISPATCH_BOUNDS_S),
            traps: Counter::default(),
            timeouts: Counter::default(),
            out_of_fuel: Counter::default(),
        }
    }
}

impl GuestMetrics {
    /// Runs `export`, one call into a guest export, and counts it: its time in the dispatch
    /// histogram, its failure as [`GuestMetrics::counted`] counts it. Nothing is locked while
    /// it runs.
    pub fn time<R>(&self, export: impl FnOnce() -> Result<R, GuestError>) -> Result<R, GuestError> {
        let start = Instant::now();
        let result = export();
        self.dispatch.observe(start.elapsed().as_secs_f64());
        self.counted(result)
    }

    /// Returns `result`, having counted its failure as a trap, a deadline overrun or running
    /// out of fuel; untimed, for what is no call into an export, such as starting an instance
    /// (whose start function may trap, or whose memory may be refused).
    pub fn counted<R>(&self, result: Result<R, GuestError>) -> Result<R, GuestError> {
        let failure = match &result {
            Err(GuestError::Trap { .. }) => Some(&self.traps),
            Err(GuestError::Timeout { .. }) => Some(&self.timeouts),
            Err(GuestError::OutOfFuel { .. }) => Some(&self.out_of_fuel),
            _ => None,
        };
        if let Some(counter) = failure {
            counter.inc();
        }
        result
    }

    /// The failures counted as traps.
    #[cfg(test)]
    pub(crate) fn traps(&self) -> u64 {
        self.traps.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_is_timed_and_failures_count_by_kind() {
        let metrics = GuestMetrics::default();
        let fail = |error: GuestError| metrics.time(|| Err::<(), _>(error)).unwrap_err();
        let (guest, export) = ("conf".to_owned(), "on-event");
        fail(GuestError::Timeout {
            guest: guest.clone(),
            export,
        });
        fail(GuestError::OutOfFuel {
            guest: guest.clone(),
            export,
        });
        for _ in 0..2 {
            fail(GuestError::Trap {
                guest: guest.clone(),
                export,
                message: "unreachable".into(),
            });
        }
        fail(GuestError::BadResult {
            guest,
            message: "not a tree".into(),
        });
        assert_eq!(metrics.time(|| Ok(7)).unwrap(), 7);
        assert_eq!(
            (
                metrics.traps.get(),
                metrics.timeouts.get(),
                metrics.out_of_fuel.get()
            ),
            (2, 1, 1)
        );
        let trap = GuestError::Trap {
            guest: "conf".into(),
            export: "instantiate",
            message: "memory refused".into(),
        };
        metrics.counted(Err::<(), _>(trap)).unwrap_err();
        assert_eq!(metrics.traps(), 3, "a start that failed is a trap");
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("dispatch", "Dispatch.", metrics.dispatch.clone());
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("\ndispatch_count 6\n"), "{text}");
    }
}
