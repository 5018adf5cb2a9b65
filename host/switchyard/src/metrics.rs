//! The Prometheus metrics served at `GET /metrics` on the control endpoint.
//!
//! The sans-IO cores keep plain counters and fixed-bucket histograms; this module owns the
//! `prometheus_client` registry and reads them at scrape time ([`collect`]). Only the guest
//! dispatch metrics are observed where they happen ([`GuestMetrics`], one set per loaded guest
//! version, kept by the guest registry so that they go when the version does).

mod collect;
mod config_reloads;
mod guest;
mod guest_versions;
mod process;

pub use collect::Sources;
pub use guest::GuestMetrics;

use crate::config_reload::ReloadStats;
use crate::guest_registry::Registry as Guests;
use config_reloads::ConfigReloads;
use guest_versions::GuestVersions;
use process::ProcessMetrics;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, prometheus_text};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use switchyard_control::MetricsSource;
use switchyard_guest::Guest;
use tracing::error;

/// The prefix of every metric's name but the standard process metrics'.
const PREFIX: &str = "switchyard";
/// The prefix of the standard process metrics.
const PROCESS_PREFIX: &str = "process";

/// The registry behind `GET /metrics`.
pub struct Metrics {
    registry: Registry,
}

impl Metrics {
    /// Metrics read from `sources`, from each version of `guests` and from the configuration
    /// reloads' `reloads` at each scrape.
    pub fn new(sources: Sources, guests: Arc<Guests<Guest>>, reloads: Arc<ReloadStats>) -> Metrics {
        Metrics::collecting([
            Box::new(sources),
            Box::new(GuestVersions::new(guests)),
            Box::new(ConfigReloads::new(reloads)),
        ])
    }

    fn collecting<const N: usize>(collectors: [Box<dyn Collector>; N]) -> Metrics {
        let mut registry = Registry::default();
        let own = registry.sub_registry_with_prefix(PREFIX);
        for collector in collectors {
            own.register_collector(collector);
        }
        registry
            .sub_registry_with_prefix(PROCESS_PREFIX)
            .register_collector(Box::new(ProcessMetrics));
        Metrics { registry }
    }
}

/// Encodes `metric`, without labels, as `name` described by `help`.
fn encode_unlabelled(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

impl MetricsSource for Metrics {
    fn render(&self) -> String {
        let mut text = String::new();
        if let Err(e) = prometheus_text::encode(&mut text, &self.registry) {
            // Writing to a String cannot fail; a collector's error leaves a partial text.
            error!("rendering the metrics failed: {e}");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_guest::GuestError;

    fn rendered(guests: &Arc<Guests<&'static str>>) -> String {
        Metrics::collecting([Box::new(GuestVersions::new(guests.clone()))]).render()
    }

    #[test]
    fn guest_label_sets_are_the_versions_loaded() {
        let guests = Arc::new(Guests::default());
        guests.add("conf", "one", "one.wasm".into(), [0; 32], None);
        let lease = guests.lease("conf").unwrap();
        lease.metrics().time(|| Ok::<_, GuestError>(())).unwrap();
        guests.add("conf", "two", "two.wasm".into(), [0; 32], None);

        let text = rendered(&guests);
        assert!(
            text.contains(
                "# HELP switchyard_guest_dispatch_seconds Time of each call into a guest export"
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE switchyard_guest_dispatch_seconds histogram\n"));
        assert!(text.contains("# TYPE switchyard_guest_traps_total counter\n"));
        let count = "switchyard_guest_dispatch_seconds_count";
        assert!(
            text.contains(&format!("{count}{{guest=\"conf\",version=\"1\"}} 1\n")),
            "{text}"
        );
        assert!(text.contains(&format!("{count}{{guest=\"conf\",version=\"2\"}} 0\n")));

        // The draining version is unloaded with its last call, and its labels with it.
        drop(lease);
        let text = rendered(&guests);
        assert!(!text.contains("version=\"1\""), "{text}");
        assert!(
            text.contains("switchyard_guest_out_of_fuel_total{guest=\"conf\",version=\"2\"} 0\n")
        );
    }

    /// The value of the one sample of `name` in `text`.
    fn sample(text: &str, name: &str) -> f64 {
        let line = text
            .lines()
            .find(|line| line.split(' ').next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    /// This process's CPU time so far, in seconds.
    fn cpu_seconds() -> f64 {
        let stat = procfs::process::Process::myself().unwrap().stat().unwrap();
        (stat.utime + stat.stime) as f64 / procfs::ticks_per_second() as f64
    }

    #[test]
    fn the_process_metrics_are_this_process() {
        // Work until the process has run for 20 ms at least (at most 10 s of waiting).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut x = 0u64;
        while cpu_seconds() < 0.02 && std::time::Instant::now() < deadline {
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
        }
        let spent = cpu_seconds();
        let text = rendered(&Arc::new(Guests::default()));
        for (name, kind) in [
            ("process_cpu_seconds_total", "counter"),
            ("process_open_fds", "gauge"),
            ("process_max_fds", "gauge"),
            ("process_resident_memory_bytes", "gauge"),
            ("process_virtual_memory_bytes", "gauge"),
            ("process_start_time_seconds", "gauge"),
            ("process_threads", "gauge"),
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} {kind}\n")),
                "{name}: {text}"
            );
        }
        let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as f64;
        // Other test threads open and close files meanwhile.
        assert!(
            (sample(&text, "process_open_fds") - open).abs() < 32.0,
            "{text}"
        );
        let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!(sample(&text, "process_max_fds"), soft as f64);
        assert!(
            sample(&text, "process_resident_memory_bytes") > 1e6,
            "{text}"
        );
        assert!(sample(&text, "process_threads") >= 1.0);
        // Seconds, not clock ticks: at least what was spent before, at most a second more.
        let cpu = sample(&text, "process_cpu_seconds_total");
        assert!(
            spent >= 0.02 && cpu >= spent && cpu < spent + 1.0,
            "{cpu} vs {spent}"
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let started = sample(&text, "process_start_time_seconds");
        assert!(
            started <= now + 1.0 && started > now - 3600.0,
            "{started} vs {now}"
        );
    }
}
