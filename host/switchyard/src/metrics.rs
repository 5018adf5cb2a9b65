//! The Prometheus metrics served at `GET /metrics` on the control endpoint.
//!
//! The sans-IO cores keep plain counters and fixed-bucket histograms; this module owns the
//! `prometheus_client` registry and reads them at scrape time ([`collect`]). Only the guest
//! dispatch metrics are observed where they happen ([`GuestMetrics`], one set per loaded guest
//! version, kept by the guest registry so that they go when the version does).

mod collect;
mod guest;
mod guest_versions;

pub use collect::Sources;
pub use guest::GuestMetrics;

use crate::guest_registry::Registry as Guests;
use guest_versions::GuestVersions;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use switchyard_control::MetricsSource;
use switchyard_guest::Guest;
use tracing::error;

/// The prefix of every metric's name.
const PREFIX: &str = "switchyard";

/// The registry behind `GET /metrics`.
pub struct Metrics {
    registry: Registry,
}

impl Metrics {
    /// Metrics read from `sources` and from each version of `guests` at each scrape.
    pub fn new(sources: Sources, guests: Arc<Guests<Guest>>) -> Metrics {
        Metrics::collecting([Box::new(sources), Box::new(GuestVersions::new(guests))])
    }

    fn collecting<const N: usize>(collectors: [Box<dyn Collector>; N]) -> Metrics {
        let mut registry = Registry::with_prefix(PREFIX);
        for collector in collectors {
            registry.register_collector(collector);
        }
        Metrics { registry }
    }
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
        guests.add("conf", "one", "one.wasm".into());
        let lease = guests.lease("conf").unwrap();
        lease.metrics().time(|| Ok::<_, GuestError>(())).unwrap();
        guests.add("conf", "two", "two.wasm".into());

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
}
