//! Call deadlines counted in the CPU time of the thread that runs the call.
//!
//! The engine's epoch advances every [`EPOCH_TICK`] of wall-clock time. A call
//! is checked first at the next epoch ([`FIRST_CHECK_TICKS`]): most calls end
//! before it and cost nothing more. At the first check the call's thread reads
//! its CPU clock as the call's start ([`on_epoch_deadline`]); from then on the
//! call goes on until its thread has run for the deadline, checked at each
//! epoch the rest could have passed by. A guest that loops is stopped once it
//! has burnt its deadline plus what it ran before its first check (about a
//! tick at most: the epoch advanced meanwhile); a healthy guest whose thread
//! waited for a core on a starved machine is not.

use std::time::Duration;
use wasmtime::{Trap, UpdateDeadline};

/// How often the epoch advances; deadlines are checked at this grain.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Where a call into a guest stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum CallClock {
    /// Not checked yet: the call began less than a tick ago, or its thread
    /// has not run guest code since the epoch advanced.
    #[default]
    Unchecked,
    /// The calling thread's CPU time at the call's first check.
    CheckedAt(Duration),
}

/// The epoch deadline a call begins with, in ticks: the next epoch checks it.
pub(crate) const FIRST_CHECK_TICKS: u64 = 1;

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

/// At a call's epoch deadline: the first time, start its clock and let it go
/// on for `limit`; later, interrupt it if its thread has run for `limit`
/// since, or else let it go on until the rest could have passed.
pub(crate) fn on_epoch_deadline(
    clock: &mut CallClock,
    limit: Duration,
) -> wasmtime::Result<UpdateDeadline> {
    let now = thread_cpu_time();
    match *clock {
        CallClock::Unchecked => {
            *clock = CallClock::CheckedAt(now);
            Ok(UpdateDeadline::Continue(ticks_for(limit)))
        }
        CallClock::CheckedAt(start) => decide(now.saturating_sub(start), limit),
    }
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
    fn the_first_check_starts_the_clock_and_gives_the_whole_deadline() {
        let mut clock = CallClock::default();
        let limit = Duration::from_millis(100);
        let first = on_epoch_deadline(&mut clock, limit).unwrap();
        assert!(matches!(first, UpdateDeadline::Continue(20)));
        let CallClock::CheckedAt(start) = clock else {
            panic!("the first check starts the clock: {clock:?}");
        };
        assert!(start <= thread_cpu_time());
        // Checked again at once: almost nothing run, so nearly the whole deadline is left.
        let again = on_epoch_deadline(&mut clock, limit).unwrap();
        assert!(matches!(again, UpdateDeadline::Continue(19 | 20)));
        assert_eq!(clock, CallClock::CheckedAt(start), "the start stays");
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
