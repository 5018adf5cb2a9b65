//! A call's timer for a moment that may be more than a day away: it keeps its
//! [`Deadline`] and, when a host timer (at most a day) fires before it, starts
//! the next.

use crate::deadline::Deadline;
use switchyard_sdk::types::Error;
use switchyard_sdk::{timers, unix_seconds};

/// What a timer that fired means to a [`LongTimer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// Another timer of the call.
    Other,
    /// This one, before its deadline: the next timer runs.
    Early,
    /// This one, at its deadline: it is no longer pending.
    Due,
}

/// One wait of a call for its deadline; none pending by default.
#[derive(Debug, Default)]
pub struct LongTimer {
    pending: Option<(u64, Deadline)>,
}

impl LongTimer {
    /// Waits `seconds` from now on `call`, in place of any wait pending.
    pub fn start_s(&mut self, call: &str, seconds: u32) -> Result<(), Error> {
        self.start(call, Deadline::after(unix_seconds(), seconds))
    }

    /// Waits for `deadline` on `call`, in place of any wait pending (one
    /// reached already fires at once).
    pub fn start(&mut self, call: &str, deadline: Deadline) -> Result<(), Error> {
        self.cancel();
        let timer = timers::start(call, deadline.timer_s(unix_seconds()) * 1000)?;
        self.pending = Some((timer, deadline));
        Ok(())
    }

    /// What `timer`, fired for `call`, means to this wait; fired before the
    /// deadline, it starts the next timer (an error doing so leaves nothing
    /// pending).
    pub fn on_timer(&mut self, call: &str, timer: u64) -> Result<Fired, Error> {
        let Some((_, deadline)) = self.pending.filter(|&(id, _)| id == timer) else {
            return Ok(Fired::Other);
        };
        self.pending = None;
        if deadline.is_reached(unix_seconds()) {
            return Ok(Fired::Due);
        }
        self.start(call, deadline)?;
        Ok(Fired::Early)
    }

    /// Cancels the wait pending, if any.
    pub fn cancel(&mut self) {
        if let Some((timer, _)) = self.pending.take() {
            timers::cancel(timer);
        }
    }
}
