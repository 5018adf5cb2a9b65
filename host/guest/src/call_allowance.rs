//! What one call into a guest may ask of imports whose cost its CPU deadline
//! does not see: a record write waits for the disk and a log line for the
//! log's writer, a recording's start for the disk and a writer thread, and a
//! message or a list of prompts is copied into the core's queue, behind its
//! lock, until the host carries it out. The deadline counts
//! none of that (see [`crate::deadline`]), so each call gets a bounded number
//! of them.

use crate::Error;

/// `records.append` and `records.truncate` calls one call into a guest may
/// make: each waits until its change is on disk.
pub(crate) const MAX_RECORD_WRITES: u32 = 16;

/// `rooms.start-recording` calls one call into a guest may make that reach
/// the disk: each creates a file, waits until it is on disk and starts a
/// writer thread, and a stop frees its room at once for the next start.
pub(crate) const MAX_RECORDING_STARTS: u32 = 4;

/// Log lines one call into a guest may write; the host drops the rest.
pub(crate) const MAX_LOG_LINES: u32 = 64;

/// `messages.send` calls one call into a guest may make: each queues up to
/// 4 KiB, so one call queues at most 4 MiB of messages.
pub(crate) const MAX_MESSAGES: u32 = 1024;

/// Prompts one call into a guest may queue with `media.play`, `media.speak`
/// and `rooms.announce` together: sixteen of the longest lists.
pub(crate) const MAX_QUEUED_PROMPTS: u32 = 4096;

/// The imports one call into a guest has used so far; a fresh one for each
/// call.
#[derive(Debug, Default)]
pub(crate) struct CallAllowance {
    record_writes: u32,
    recording_starts: u32,
    log_lines: u32,
    messages: u32,
    prompts: u32,
}

/// What becomes of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogLine {
    /// Written.
    Write,
    /// Dropped, the first of this call's: the log says lines are dropped.
    FirstDropped,
    /// Dropped.
    Dropped,
}

impl CallAllowance {
    /// Takes one record write, or fails past [`MAX_RECORD_WRITES`].
    pub(crate) fn record_write(&mut self) -> Result<(), Error> {
        take(
            &mut self.record_writes,
            1,
            MAX_RECORD_WRITES,
            "records",
            "writes",
        )
    }

    /// Takes one recording start, or fails past [`MAX_RECORDING_STARTS`].
    pub(crate) fn recording_start(&mut self) -> Result<(), Error> {
        take(
            &mut self.recording_starts,
            1,
            MAX_RECORDING_STARTS,
            "rooms.start-recording",
            "recordings started",
        )
    }

    /// Takes one message, or fails past [`MAX_MESSAGES`].
    pub(crate) fn message(&mut self) -> Result<(), Error> {
        take(
            &mut self.messages,
            1,
            MAX_MESSAGES,
            "messages.send",
            "messages",
        )
    }

    /// Takes `count` prompts for `function`, or fails (taking none) when they
    /// would pass [`MAX_QUEUED_PROMPTS`].
    pub(crate) fn prompts(&mut self, function: &str, count: usize) -> Result<(), Error> {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        take(
            &mut self.prompts,
            count,
            MAX_QUEUED_PROMPTS,
            function,
            "prompts (play, speak and announce together)",
        )
    }

    /// Gives back `count` prompts taken for a list the host then refused: it queued nothing.
    pub(crate) fn give_prompts(&mut self, count: usize) {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        self.prompts = self.prompts.saturating_sub(count);
    }

    /// Gives back a message taken for a send the host then refused: it queued nothing.
    pub(crate) fn give_message(&mut self) {
        self.messages = self.messages.saturating_sub(1);
    }

    /// Takes one log line: written up to [`MAX_LOG_LINES`], dropped past it.
    pub(crate) fn log_line(&mut self) -> LogLine {
        let line = match self.log_lines {
            n if n < MAX_LOG_LINES => LogLine::Write,
            MAX_LOG_LINES => LogLine::FirstDropped,
            _ => return LogLine::Dropped,
        };
        self.log_lines += 1;
        line
    }
}

/// Adds `count` to `used`, or fails with a `failed` error naming `function`
/// and leaves it when the sum would pass `most`.
fn take(used: &mut u32, count: u32, most: u32, function: &str, what: &str) -> Result<(), Error> {
    match used.checked_add(count) {
        Some(total) if total <= most => {
            *used = total;
            Ok(())
        }
        _ => Err(Error::Failed(format!(
            "{function}: at most {most} {what} in one call into the guest"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_writes_are_refused_past_the_allowance() {
        let mut allowance = CallAllowance::default();
        for _ in 0..MAX_RECORD_WRITES {
            allowance.record_write().unwrap();
        }
        let refused = allowance.record_write();
        assert!(
            matches!(&refused, Err(Error::Failed(why)) if why.contains("at most 16 writes")),
            "{refused:?}"
        );
        assert!(
            CallAllowance::default().record_write().is_ok(),
            "a new call starts afresh"
        );
    }

    #[test]
    fn recording_starts_are_refused_past_the_allowance() {
        let mut allowance = CallAllowance::default();
        for _ in 0..MAX_RECORDING_STARTS {
            allowance.recording_start().unwrap();
        }
        let refused = allowance.recording_start();
        assert!(
            matches!(&refused, Err(Error::Failed(why))
                if why == "rooms.start-recording: at most 4 recordings started in one call into the guest"),
            "{refused:?}"
        );
    }

    #[test]
    fn messages_are_refused_past_the_allowance() {
        let mut allowance = CallAllowance::default();
        for _ in 0..MAX_MESSAGES {
            allowance.message().unwrap();
        }
        let refused = allowance.message();
        assert!(
            matches!(&refused, Err(Error::Failed(why))
                if why == "messages.send: at most 1024 messages in one call into the guest"),
            "{refused:?}"
        );
    }

    #[test]
    fn prompts_past_the_allowance_are_refused_whole() {
        let mut allowance = CallAllowance::default();
        allowance.prompts("play", 4000).unwrap();
        let refused = allowance.prompts("speak", 97);
        assert!(
            matches!(&refused, Err(Error::Failed(why)) if why.starts_with("speak: at most 4096 prompts")),
            "{refused:?}"
        );
        allowance.prompts("announce", 96).unwrap();
        assert!(allowance.prompts("play", 1).is_err(), "all 4096 are taken");
        assert!(allowance.prompts("play", usize::MAX).is_err());
    }

    #[test]
    fn log_lines_past_the_allowance_are_dropped_and_said_once() {
        let mut allowance = CallAllowance::default();
        let lines: Vec<LogLine> = (0..MAX_LOG_LINES + 3)
            .map(|_| allowance.log_line())
            .collect();
        assert!(
            lines[..MAX_LOG_LINES as usize]
                .iter()
                .all(|l| *l == LogLine::Write)
        );
        assert_eq!(
            lines[MAX_LOG_LINES as usize..],
            [LogLine::FirstDropped, LogLine::Dropped, LogLine::Dropped]
        );
    }
}
