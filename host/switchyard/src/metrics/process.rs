//! The standard process metrics (`process_cpu_seconds_total`, `process_open_fds`,
//! `process_max_fds`, `process_virtual_memory_bytes`, `process_resident_memory_bytes`,
//! `process_start_time_seconds`, `process_threads`), read from `/proc/self` at scrape time, so
//! that the memory and descriptors each call costs can be watched beside the calls.

use super::encode_unlabelled;
use crate::system_limits::open_files_limit;
use procfs::WithCurrentSystemInfo;
use procfs::process::Process;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use tracing::debug;

/// This process, read at each scrape; a metric `/proc` cannot give is left out of that scrape.
#[derive(Debug, Default)]
pub(super) struct ProcessMetrics;

impl Collector for ProcessMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let process = match Process::myself() {
            Ok(process) => process,
            Err(e) => {
                debug!("process metrics: {e}");
                return Ok(());
            }
        };
        let mut gauges: Vec<(&str, &str, u64)> = Vec::new();
        if let Ok(stat) = process.stat() {
            let ticks = procfs::ticks_per_second() as f64;
            encode_unlabelled(
                &mut encoder,
                "cpu_seconds",
                "Total user and system CPU time spent in seconds.",
                &ConstCounter::new((stat.utime + stat.stime) as f64 / ticks),
            )?;
            gauges.push((
                "virtual_memory_bytes",
                "Virtual memory size in bytes.",
                stat.vsize,
            ));
            gauges.push((
                "resident_memory_bytes",
                "Resident memory size in bytes.",
                stat.rss_bytes().get(),
            ));
            gauges.push((
                "threads",
                "Number of OS threads in the process.",
                stat.num_threads.max(0) as u64,
            ));
            if let Ok(boot) = procfs::boot_time_secs() {
                let started = boot as f64 + stat.starttime as f64 / ticks;
                encode_unlabelled(
                    &mut encoder,
                    "start_time_seconds",
                    "Start time of the process since unix epoch in seconds.",
                    &ConstGauge::new(started),
                )?;
            }
        }
        if let Ok(open) = process.fd_count() {
            gauges.push(("open_fds", "Number of open file descriptors.", open as u64));
        }
        // Unlimited is shown as the largest value, not left out.
        if let Ok(max) = open_files_limit(&process) {
            gauges.push(("max_fds", "Maximum number of open file descriptors.", max));
        }
        for (name, help, value) in gauges {
            let value = i64::try_from(value).unwrap_or(i64::MAX);
            encode_unlabelled(&mut encoder, name, help, &ConstGauge::new(value))?;
        }
        Ok(())
    }
}
