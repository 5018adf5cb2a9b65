//! The per-instance store data: what a guest's imports reach, and the checks
//! and log formatting every version of the imports shares.

use crate::bindings::log::Level;
use crate::budget::InstanceBudget;
use crate::call_allowance::{CallAllowance, LogLine, MAX_LOG_LINES};
use crate::deadline::CallClock;
use crate::{Error, GuestConfig, HostApi};
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The most prompts one `media.play` may queue.
const MAX_PROMPTS: usize = 256;
/// The longest timer a guest may start: a day.
const MAX_TIMER_MS: u32 = 86_400_000;
/// Longer guest log lines (as written, escapes included) are cut here, so a
/// guest cannot flood the log.
pub(crate) const MAX_LOG_LINE: usize = 4096;

/// The data of one guest instance's store.
pub(crate) struct Context {
    pub(crate) host: Arc<dyn HostApi>,
    pub(crate) guest: Arc<str>,
    /// The call the instance serves, as its handler was last called for it;
    /// "" for an instance serving control requests.
    pub(crate) call: String,
    pub(crate) config: Arc<GuestConfig>,
    pub(crate) limits: InstanceBudget,
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    /// Where the current call into the guest stands against its deadline
    /// (see [`crate::deadline`]).
    pub(crate) clock: CallClock,
    /// The waiting imports the current call into the guest has used.
    pub(crate) allowance: CallAllowance,
}

impl WasiView for Context {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl Context {
    /// `log.log`: the message as [`one_line`] writes it, in the host's log
    /// under the guest's name, unless the current call wrote its
    /// [`MAX_LOG_LINES`] already.
    pub(crate) fn write_log(&mut self, level: Level, message: &str) {
        let guest = &*self.guest;
        match self.allowance.log_line() {
            LogLine::Write => {}
            LogLine::FirstDropped => {
                tracing::warn!(
                    guest,
                    "more than {MAX_LOG_LINES} log lines in one call; the rest of this call's are dropped"
                );
                return;
            }
            LogLine::Dropped => return,
        }
        let message = one_line(message);
        match level {
            Level::Trace => tracing::trace!(guest, "{message}"),
            Level::Debug => tracing::debug!(guest, "{message}"),
            Level::Info => tracing::info!(guest, "{message}"),
            Level::Warn => tracing::warn!(guest, "{message}"),
            Level::Error => tracing::error!(guest, "{message}"),
        }
    }

    /// Takes `prompts` prompts for `function` (`play`, `speak`, `announce`):
    /// a list of more than [`MAX_PROMPTS`] is an invalid argument, and one
    /// past the current call's allowance (see [`CallAllowance::prompts`]) is
    /// refused.
    pub(crate) fn take_prompts(&mut self, function: &str, prompts: usize) -> Result<(), Error> {
        if prompts > MAX_PROMPTS {
            return Err(Error::InvalidArgument(format!(
                "{function} takes at most {MAX_PROMPTS} prompts, got {prompts}"
            )));
        }
        self.allowance.prompts(function, prompts)
    }

    /// Queues `prompts` for `function` with `queue`, once [`take_prompts`](Self::take_prompts)
    /// has taken them; prompts the host refuses queue nothing and are given back.
    pub(crate) fn queue_prompts(
        &mut self,
        function: &str,
        prompts: &[String],
        queue: impl FnOnce(&dyn HostApi, &[String]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.take_prompts(function, prompts.len())?;
        queue(&*self.host, prompts).inspect_err(|_| self.allowance.give_prompts(prompts.len()))
    }
}

/// `message`, a text of the guest's choosing (a log line, a trap naming its
/// functions, an error quoting its names, its config check's answer), as one
/// line of the host's log, cut to [`MAX_LOG_LINE`] bytes (and `…`): its control
/// characters and Unicode line and paragraph separators, which would end the
/// line and let the rest pass for lines of the host's own, are written as Rust
/// escapes them (`\n`, `\r`, `\u{1b}`).
pub(crate) fn one_line(message: &str) -> String {
    let mut line = String::with_capacity(message.len().min(MAX_LOG_LINE));
    for c in message.chars() {
        let escaped = c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
        let len = if escaped {
            c.escape_default().len()
        } else {
            c.len_utf8()
        };
        if line.len() + len > MAX_LOG_LINE {
            line.push('…');
            break;
        }
        if escaped {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

/// Refuses a timer on `call` from an instance serving `serving` (`""` for a control
/// request's): a timer fires in its call's instance, the only one that may cancel it.
pub(crate) fn check_timer_call(serving: &str, call: &str) -> Result<(), Error> {
    if call != serving {
        return Err(Error::InvalidArgument(format!(
            "timers.start: {call:?} is not the call this instance serves"
        )));
    }
    Ok(())
}

/// Refuses a timer longer than [`MAX_TIMER_MS`].
pub(crate) fn check_timer(ms: u32) -> Result<(), Error> {
    if ms > MAX_TIMER_MS {
        return Err(Error::InvalidArgument(format!(
            "a timer lasts at most {MAX_TIMER_MS} ms (a day), got {ms}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_is_cut_after_whole_characters_and_escapes() {
        assert_eq!(
            one_line("a\r\n\u{2028}\u{85}\tb"),
            r"a\r\n\u{2028}\u{85}\tb"
        );
        let filled = "x".repeat(MAX_LOG_LINE - 1);
        assert_eq!(one_line(&format!("{filled}\n")), format!("{filled}…"));
        assert_eq!(one_line(&format!("{filled}é")), format!("{filled}…"));
        assert_eq!(one_line(&format!("{filled}y")), format!("{filled}y"));
    }

    #[test]
    fn an_instance_starts_timers_on_its_own_call_only() {
        assert!(check_timer_call("c7", "c7").is_ok());
        for (serving, call) in [("c7", "c8"), ("", "c7")] {
            assert!(
                matches!(
                    check_timer_call(serving, call),
                    Err(Error::InvalidArgument(_))
                ),
                "{serving:?} starting one on {call:?}"
            );
        }
    }
}
