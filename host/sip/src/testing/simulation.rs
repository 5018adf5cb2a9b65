//! What every test harness on virtual time shares: running until a condition holds.

use std::time::Duration;

/// Steps a harness may take before it counts as stuck.
const STEP_BOUND: usize = 100_000;

/// A test harness that advances virtual time one thing at a time: endpoints, peers and a
/// [`Net`](super::Net) between them.
pub trait Simulation: Sized {
    /// Advances to the next thing that happens and handles it; `false` if nothing will.
    fn step(&mut self) -> bool;

    /// The virtual time since the harness started.
    fn elapsed(&self) -> Duration;

    /// Steps until `done` holds or virtual time passes `limit`; returns whether `done` held.
    /// Panics if neither happens within 100 000 steps.
    #[must_use = "false means `done` never held within the limit; assert it"]
    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        for _ in 0..STEP_BOUND {
            if done(self) {
                return true;
            }
            if self.elapsed() > limit || !self.step() {
                return done(self);
            }
        }
        panic!("simulation did not settle within the step bound");
    }

    /// Steps until nothing is scheduled anywhere (every transaction has ended), for at most
    /// 300 s of virtual time.
    fn settle(&mut self) {
        let limit = self.elapsed() + Duration::from_secs(300);
        // `done` never holds: this runs to the limit or until nothing is scheduled.
        let _ = self.run_until(limit, |_| false);
    }
}
