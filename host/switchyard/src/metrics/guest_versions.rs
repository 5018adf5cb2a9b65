//! Reading each loaded guest version's metrics at scrape time, labelled `guest` and `version`:
//! a version unloaded from the registry is gone from the next scrape, so the label sets are
//! bounded by the versions loaded.

use super::GuestMetrics;
use crate::guest_registry::Registry;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use std::sync::Arc;

/// The metrics of every version in a guest registry of `T`s.
pub struct GuestVersions<T> {
    guests: Arc<Registry<T>>,
}

impl<T> GuestVersions<T> {
    /// Reads the versions of `guests` at each scrape.
    pub fn new(guests: Arc<Registry<T>>) -> GuestVersions<T> {
        GuestVersions { guests }
    }
}

impl<T> std::fmt::Debug for GuestVersions<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GuestVersions")
    }
}

/// The failure counters: name, help, and where each version keeps it.
type Failure = (&'static str, &'static str, fn(&GuestMetrics) -> &Counter);

const FAILURES: [Failure; 3] = [
    (
        "guest_traps",
        "Guest export calls and instance starts that trapped.",
        |m| &m.traps,
    ),
    (
        "guest_timeouts",
        "Guest export calls and instance starts stopped at their deadline.",
        |m| &m.timeouts,
    ),
    (
        "guest_out_of_fuel",
        "Guest export calls and instance starts stopped when out of fuel.",
        |m| &m.out_of_fuel,
    ),
];

impl<T: Send + Sync + 'static> Collector for GuestVersions<T> {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let versions: Vec<_> = self
            .guests
            .list()
            .into_iter()
            .map(|v| {
                let labels = [("guest", v.name), ("version", v.version.to_string())];
                (labels, v.metrics)
            })
            .collect();
        let mut dispatch = encoder.encode_descriptor(
            "guest_dispatch_seconds",
            "Time of each call into a guest export, per guest version.",
            None,
            MetricType::Histogram,
        )?;
        for (labels, metrics) in &versions {
            metrics.dispatch.encode(dispatch.encode_family(labels)?)?;
        }
        for (name, help, counter) in FAILURES {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (labels, metrics) in &versions {
                counter(metrics).encode(family.encode_family(labels)?)?;
            }
        }
        Ok(())
    }
}
