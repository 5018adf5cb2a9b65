//! What one call into a guest may ask of imports that wait outside the
//! guest's CPU clock: a record write waits for the disk and a log line for
//! the log's writer, and the deadline counts neither (see [`crate::deadline`]),
//! so each call gets a bounded number of them.

use crate::Error;

/// `records.append` and `records.truncate` calls one call into a guest may
/// make: each waits until its change is on disk.
pub(crate) const MAX_RECORD_WRITES: u32 = 16;

/// Log lines one call into a guest may write; the host drops the rest.
pub(crate) const MAX_LOG_LINES: u32 = 64;

/// The imports one call into a guest has used so far; a fresh one for each
/// call.
#[derive(Debug, Default)]
pub(crate) struct CallAllowance {
    record_writes: u32,
    log_lines: u32,
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
        if self.record_writes == MAX_RECORD_WRITES {
            return Err(Error::Failed(format!(
                "records: at most {MAX_RECORD_WRITES} writes in one call into the guest"
            )));
        }
        self.record_writes += 1;
        Ok(())
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
