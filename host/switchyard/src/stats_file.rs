//! The `stats` file, in SEMS's format: calls in total, failed calls and
//! connected seconds, one number a line. As in SEMS, a call counts once it is
//! over, received or placed alike: in the total, and then among the failed
//! if it was never answered, else with its seconds. Counts continue across
//! restarts: the file read at start is the base the counters of this run are
//! added to.
//!
//! The file is replaced whole ([`durable_file::replace`]), so a crash at any
//! moment leaves the old or the new counts, never a mix. It is written at
//! start (so that it exists, and a directory that cannot take it shows at
//! once), at most once a second while counts change, and once more at
//! shutdown.

use crate::durable_file;
use crate::file_owner::FileOwner;
use crate::host_api::lock;
use anyhow::{Context, anyhow};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchyard_core::{CallCore, CallStats};

/// The file's name inside its directory.
pub(crate) const FILE_NAME: &str = "stats";
/// How often the counts are looked at, and written if they changed.
const WRITE_INTERVAL: Duration = Duration::from_secs(1);
/// The file's mode: readable by all, as SEMS's is, since it holds only
/// counts and monitoring reads it.
const FILE_MODE: u32 = 0o644;

/// The counters of SEMS's server-info string and stats file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Calls over (ended or refused), received or placed.
    pub total: u64,
    /// Calls over that were never connected: answered and put with others
    /// (a room, a bridge, a forward), as SEMS counts a call that entered a
    /// conference ([`CallStats::not_connected`]).
    pub failed: u64,
    /// Seconds the connected calls that are over were connected.
    pub seconds: u64,
}

impl Counters {
    /// These counters plus what `stats` counted since start.
    pub fn plus(self, stats: &CallStats) -> Counters {
        Counters {
            total: self.total + stats.finished,
            failed: self.failed + stats.not_connected,
            seconds: self.seconds + stats.connected_seconds,
        }
    }

    /// Calls over that were connected.
    pub fn connected(&self) -> u64 {
        self.total.saturating_sub(self.failed)
    }

    /// Reads the file's text: three unsigned numbers, one a line.
    pub fn parse(text: &str) -> Result<Counters, String> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let mut next = |what: &str, line: usize| -> Result<u64, String> {
            let value = lines
                .next()
                .ok_or_else(|| format!("line {line}: the {what} count is missing"))?;
            value
                .parse()
                .map_err(|_| format!("line {line}: {value:?} is not a count of {what}"))
        };
        let counters = Counters {
            total: next("calls", 1)?,
            failed: next("failed calls", 2)?,
            seconds: next("connected seconds", 3)?,
        };
        if counters.failed > counters.total {
            return Err(format!(
                "{} failed calls of {} in total",
                counters.failed, counters.total
            ));
        }
        Ok(counters)
    }

    /// The file's text.
    pub fn render(&self) -> String {
        format!("{}\n{}\n{}\n", self.total, self.failed, self.seconds)
    }
}

/// The stats file of a `records.stats_dir`.
#[derive(Debug)]
pub struct StatsFile {
    dir: PathBuf,
    base: Counters,
    _owner: FileOwner,
}

impl StatsFile {
    /// Reads `<dir>/stats` (none yet, or an empty one: counts start at zero). A file that
    /// does not hold three counts is an error naming it: counting on from zero would
    /// overwrite the history it holds. So is a file another running process
    /// keeps ([`FileOwner`]), and one that is no regular file (a FIFO, found without waiting
    /// for a writer: [`durable_file::read`]).
    pub fn open(dir: &Path) -> anyhow::Result<StatsFile> {
        let path = dir.join(FILE_NAME);
        let owner = FileOwner::claim(&path)
            .map_err(|e| anyhow!("records.stats_dir: {}: {e}", path.display()))?;
        let bytes = durable_file::read(&path)
            .with_context(|| format!("records.stats_dir: {}", path.display()))?;
        let text = bytes.as_deref().map(String::from_utf8_lossy);
        let base = match text.as_deref() {
            None => Counters::default(),
            // SEMS writes its file in place, so a crash during a write leaves it empty: there
            // is no history to keep.
            Some(text) if text.trim().is_empty() => {
                tracing::warn!(path = %path.display(), "the stats file is empty: counting from zero");
                Counters::default()
            }
            Some(text) => Counters::parse(text)
                .map_err(|e| anyhow!("records.stats_dir: {}: {e}", path.display()))?,
        };
        Ok(StatsFile {
            dir: dir.to_owned(),
            base,
            _owner: owner,
        })
    }

    /// What the file held at start.
    pub fn base(&self) -> Counters {
        self.base
    }

    /// Writes the counts at once, then every second while they change, until
    /// `stop` resolves; then once more, so the last calls of a run are kept.
    pub async fn keep(
        self: Arc<Self>,
        core: Arc<Mutex<CallCore>>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let base = self.base;
        let path = self.dir.join(FILE_NAME);
        durable_file::keep(path, FILE_MODE, WRITE_INTERVAL, stop, |written| {
            let counters = base.plus(&lock(&core).stats());
            (written != Some(&counters)).then(|| (counters, counters.render().into_bytes()))
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file_owner::tests::{make_fifo, within_a_second};

    #[test]
    fn counts_continue_from_the_file() {
        let base = Counters::parse("10\n4\n600\n").unwrap();
        // Of three calls over, one was never answered and one answered but
        // never put with others (it hung up at a prompt).
        let run = CallStats {
            total: 3,
            connected: 2,
            finished: 3,
            failed: 1,
            not_connected: 2,
            connected_seconds: 90,
            ..CallStats::default()
        };
        let now = base.plus(&run);
        assert_eq!(
            now,
            Counters {
                total: 13,
                failed: 6,
                seconds: 690
            }
        );
        assert_eq!(now.connected(), 7);
        assert_eq!(Counters::parse(&now.render()), Ok(now));
    }

    #[test]
    fn placed_calls_count_as_sems_counts_its_dial_outs() {
        // One received call never answered, one placed call answered and over,
        // one received call answered and still up.
        let run = CallStats {
            total: 2,
            placed: 1,
            connected: 2,
            finished: 2,
            failed: 1,
            not_connected: 1,
            connected_seconds: 30,
            ..CallStats::default()
        };
        let now = Counters::default().plus(&run);
        assert_eq!(
            now,
            Counters {
                total: 2,
                failed: 1,
                seconds: 30
            }
        );
        assert_eq!(now.connected(), 1, "the call still up is not counted yet");
    }

    #[test]
    fn a_file_without_three_counts_is_refused_with_the_line() {
        let missing = Counters::parse("10\n4\n").unwrap_err();
        assert!(missing.contains("line 3"), "{missing}");
        let garbage = Counters::parse("10\nfour\n5\n").unwrap_err();
        assert!(
            garbage.contains("line 2") && garbage.contains("four"),
            "{garbage}"
        );
        assert!(
            Counters::parse("1\n2\n3\n").is_err(),
            "more failed than total"
        );
    }

    #[test]
    fn a_written_file_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            StatsFile::open(dir.path()).unwrap().base(),
            Counters::default()
        );
        let counters = Counters {
            total: 7,
            failed: 1,
            seconds: 42,
        };
        durable_file::replace(
            &dir.path().join(FILE_NAME),
            counters.render().as_bytes(),
            FILE_MODE,
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("stats")).unwrap(),
            "7\n1\n42\n"
        );
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, [".stats.lock", "stats"], "no temporary is left");
        assert_eq!(StatsFile::open(dir.path()).unwrap().base(), counters);
    }

    #[test]
    fn a_damaged_file_stops_the_start_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stats"), "x\n").unwrap();
        let error = StatsFile::open(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("records.stats_dir") && error.contains("stats"),
            "{error}"
        );
    }

    #[test]
    fn a_stats_file_that_is_a_fifo_stops_the_start_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        make_fifo(&dir.path().join("stats"));
        let refused = within_a_second(dir.path(), |dir| StatsFile::open(dir).map(drop));
        assert_eq!(
            format!("{:#}", refused.unwrap_err()),
            format!(
                "records.stats_dir: {}/stats: not a regular file (a FIFO, a device or a \
                 directory)",
                dir.path().display()
            )
        );
    }

    #[test]
    fn an_empty_file_left_by_a_crash_during_a_write_counts_from_zero() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stats"), " \n").unwrap();
        assert_eq!(
            StatsFile::open(dir.path()).unwrap().base(),
            Counters::default()
        );
    }
}
