//! The configuration reloads' metrics, read at scrape time: as Prometheus names its own
//! (`prometheus_config_last_reload_successful`), so that the same alert rules fit.

use super::encode_unlabelled;
use crate::config_reload::{ReloadCounts, ReloadStats};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

/// The reloads of a server's configuration file.
#[derive(Debug)]
pub(super) struct ConfigReloads {
    stats: Arc<ReloadStats>,
}

impl ConfigReloads {
    /// Reads `stats` at each scrape.
    pub(super) fn new(stats: Arc<ReloadStats>) -> ConfigReloads {
        ConfigReloads { stats }
    }
}

impl Collector for ConfigReloads {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let ReloadCounts {
            files_loaded,
            files_not_loaded,
            last_successful,
            last_success,
            keys_waiting,
            guests_refusing,
        } = self.stats.counts();
        let mut reloads = encoder.encode_descriptor(
            "config_reloads",
            "Configuration reloads (SIGHUP, configReload), by result: applied (the file \
             loaded) or refused (it did not load, or the reload failed inside the server before \
             reading it; nothing changed).",
            None,
            MetricType::Counter,
        )?;
        for (result, count) in [("applied", files_loaded), ("refused", files_not_loaded)] {
            ConstCounter::new(count).encode(reloads.encode_family(&[("result", result)])?)?;
        }
        let e = &mut encoder;
        encode_unlabelled(
            e,
            "config_last_reload_successful",
            "Whether the last configuration reload's file loaded (1 before any).",
            &ConstGauge::new(i64::from(last_successful)),
        )?;
        let since_epoch = last_success
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        encode_unlabelled(
            e,
            "config_last_reload_success_timestamp_seconds",
            "When the last configuration reload whose file loaded ended, in seconds since the \
             epoch (the start before any).",
            &ConstGauge::new(since_epoch),
        )?;
        encode_unlabelled(
            e,
            "config_keys_awaiting_restart",
            "Changed configuration keys that apply only at the next restart, as of the last \
             reload whose file loaded.",
            &ConstGauge::new(i64::try_from(keys_waiting).unwrap_or(i64::MAX)),
        )?;
        encode_unlabelled(
            e,
            "config_guests_refusing_settings",
            "Guests that refused their changed settings at the last reload whose file loaded: \
             each keeps its running version and settings, and the next reload tries again.",
            &ConstGauge::new(i64::try_from(guests_refusing).unwrap_or(i64::MAX)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_reload::ReloadStats;
    use prometheus_client::encoding::prometheus_text;
    use prometheus_client::registry::Registry;
    use std::time::{Duration, SystemTime};

    fn rendered(stats: &Arc<ReloadStats>) -> String {
        let mut registry = Registry::default();
        registry
            .sub_registry_with_prefix("switchyard")
            .register_collector(Box::new(ConfigReloads::new(stats.clone())));
        let mut text = String::new();
        prometheus_text::encode(&mut text, &registry).unwrap();
        text
    }

    #[test]
    fn the_reloads_render_as_prometheus_names_its_own_from_the_start() {
        let started = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
        let text = rendered(&Arc::new(ReloadStats::new(started)));
        for expected in [
            "# TYPE switchyard_config_reloads_total counter\n",
            "switchyard_config_reloads_total{result=\"applied\"} 0\n",
            "switchyard_config_reloads_total{result=\"refused\"} 0\n",
            "# TYPE switchyard_config_last_reload_successful gauge\n",
            "switchyard_config_last_reload_successful 1\n",
            "# TYPE switchyard_config_last_reload_success_timestamp_seconds gauge\n",
            "switchyard_config_last_reload_success_timestamp_seconds 1700000000.5\n",
            "# TYPE switchyard_config_keys_awaiting_restart gauge\n",
            "switchyard_config_keys_awaiting_restart 0\n",
            "# TYPE switchyard_config_guests_refusing_settings gauge\n",
            "switchyard_config_guests_refusing_settings 0\n",
        ] {
            assert!(text.contains(expected), "{expected} in:\n{text}");
        }
    }
}
