//! A call's timer for a wait that may be more than a day long: it keeps what
//! it waits for and, when a host timer (at most a day) fires before its end,
//! starts the next.

use crate::deadline::{Countdown, Deadline};
use switchyard_sdk::types::Error;
use switchyard_sdk::{timers, unix_seconds};

/// What a timer that fired means to a [`LongTimer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// Another timer of the call.
    Other,
    /// This one, before its end: the next timer runs.
    Early,
    /// This one, at its end: it is no longer pending.
    Due,
}

/// What a wait is for.
#[derive(Debug, Clone, Copy)]
enum Wait {
    /// A moment on the wall clock.
    At(Deadline),
    /// A length of time, counted by the timers that fired.
    Left(Countdown),
}

/// The host timer running for a wait.
#[derive(Debug, Clone, Copy)]
struct Pending {
    timer: u64,
    armed_s: u32,
    wait: Wait,
}

/// One wait of a call; none pending by default.
#[derive(Debug, Default)]
pub struct LongTimer {
    pending: Option<Pending>,
}

impl LongTimer {
    /// Waits `seconds` from now on `call`, in place of any wait pending. The
    /// wall clock plays no part: stepped back or forward meanwhile, the wait
    /// still takes `seconds`.
    pub fn start_s(&mut self, call: &str, seconds: u32) -> Result<(), Error> {
        self.arm(call, Wait::Left(Countdown::new(seconds)))
    }

    /// Waits for `deadline` (wall clock) on `call`, in place of any wait
    /// pending (one reached already fires at once).
    pub fn start(&mut self, call: &str, deadline: Deadline) -> Result<(), Error> {
        self.arm(call, Wait::At(deadline))
    }

    fn arm(&mut self, call: &str, wait: Wait) -> Result<(), Error> {
        self.cancel();
        let armed_s = match wait {
            Wait::At(deadline) => deadline.timer_s(unix_seconds()),
            Wait::Left(left) => left.timer_s(),
        };
        let timer = timers::start(call, armed_s * 1000)?;
        self.pending = Some(Pending {
            timer,
            armed_s,
            wait,
        });
        Ok(())
    }

    /// What `timer`, fired for `call`, means to this wait; fired before its
    /// end, it starts the next timer (an error doing so leaves nothing
    /// pending).
    pub fn on_timer(&mut self, call: &str, timer: u64) -> Result<Fired, Error> {
        let Some(pending) = self.pending.filter(|p| p.timer == timer) else {
            return Ok(Fired::Other);
        };
        self.pending = None;
        let rest = match pending.wait {
            Wait::At(deadline) if deadline.is_reached(unix_seconds()) => return Ok(Fired::Due),
            Wait::At(deadline) => Wait::At(deadline),
            Wait::Left(left) => {
                let left = left.after_timer(pending.armed_s);
                if left.is_over() {
                    return Ok(Fired::Due);
                }
                Wait::Left(left)
            }
        };
        self.arm(call, rest)?;
        Ok(Fired::Early)
    }

    /// Cancels the wait pending, if any.
    pub fn cancel(&mut self) {
        if let Some(pending) = self.pending.take() {
            timers::cancel(pending.timer);
        }
    }
}
