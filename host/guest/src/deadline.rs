//! Call deadlines counted in the CPU time of the thread that runs the call.
//!
//! The engine's epoch advances every [`EPOCH_TICK`] of wall-clock time, and a
//! call reaching its epoch deadline asks [`on_epoch_deadline`] whether to go
//! on: only when its thread has spent the whole deadline running (the guest's
//! code and the host functions it called) is the call interrupted. A guest
//! that loops is stopped as soon as it has burnt its deadline; a healthy guest
//! whose thread waited for a core on a starved machine is not.

use std::time::Duration;
use wasmtime::{Trap, UpdateDeadline};

/// How often the epoch advances; deadlines are checked at this grain.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The CPU time the calling thread has run so far.
pub(crate) fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// The epoch ticks until `time` has passed on the wall clock, at least one.
pub(crate) fn ticks_for(time: Duration) -> u64 {
    let ticks = time.as_nanos().div_ceil(EPOCH_TICK.as_nanos());
    u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
}

/// At a call's epoch deadline: interrupt it if its thread has run for
/// `limit` since `armed_at` (its CPU time when the call began), or else let
/// it go on until the rest of `limit` could have passed.
pub(crate) fn on_epoch_deadline(
    armed_at: Duration,
    limit: Duration,
) -> wasmtime::Result<UpdateDeadline> {
    decide(thread_cpu_time().saturating_sub(armed_at), limit)
}

// The decision for a call that has run `used` of its `limit`.
fn decide(used: Duration, limit: Duration) -> wasmtime::Result<UpdateDeadline> {
    match limit.checked_sub(used) {
        Some(left) if !left.is_zero() => Ok(UpdateDeadline::Continue(ticks_for(left))),
        _ => Err(Trap::Interrupt.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn continues_for(used_ms: u64, limit_ms: u64) -> Option<u64> {
        match decide(
            Duration::from_millis(used_ms),
            Duration::from_millis(limit_ms),
        ) {
            Ok(UpdateDeadline::Continue(ticks)) => Some(ticks),
            Ok(_) => panic!("only Continue or an interrupt"),
            Err(e) => {
                assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
                None
            }
        }
    }

    #[test]
    fn a_call_that_has_run_its_deadline_is_interrupted() {
        assert_eq!(continues_for(100, 100), None);
        assert_eq!(continues_for(250, 100), None);
    }

    #[test]
    fn a_call_that_waited_rather_than_ran_goes_on_for_the_rest() {
        // 10 ms run of 100: 90 ms more, 18 ticks of 5 ms.
        assert_eq!(continues_for(10, 100), Some(18));
        assert_eq!(continues_for(0, 100), Some(20));
        // Under a tick left: one more tick.
        assert_eq!(continues_for(99, 100), Some(1));
    }

    #[test]
    fn ticks_round_up_and_are_never_zero() {
        assert_eq!(ticks_for(Duration::ZERO), 1);
        assert_eq!(ticks_for(Duration::from_millis(5)), 1);
        assert_eq!(ticks_for(Duration::from_micros(5001)), 2);
        assert_eq!(ticks_for(Duration::MAX), u64::MAX);
    }

    #[test]
    fn the_thread_cpu_clock_counts_work_not_sleep() {
        let start = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(50));
        let slept = thread_cpu_time() - start;
        assert!(slept < Duration::from_millis(25), "sleeping cost {slept:?}");
        let start = thread_cpu_time();
        let mut x = 0u64;
        // Work until the thread has run 20 ms (bounded: at most 10^10 steps).
        for i in 0..10_000_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
            if i % 100_000 == 0 && thread_cpu_time() - start >= Duration::from_millis(20) {
                break;
            }
        }
        std::hint::black_box(x);
        assert!(thread_cpu_time() - start >= Duration::from_millis(20));
    }
}
