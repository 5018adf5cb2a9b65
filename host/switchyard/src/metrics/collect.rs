//! Reading the host's counters at scrape time: the call core's, the SIP endpoint's, the media
//! workers' and the guest executor's.

use super::encode_unlabelled;
use crate::executor::GuestExecutor;
use crate::host_api::{CoreHost, lock};
use crate::media::MediaPool;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::{CallStats, MAX_MEDIA_BACKLOG, MediaBacklog, SETUP_BOUNDS_S};
use switchyard_media::{LATENESS_BOUNDS_MS, WorkerStats};
use switchyard_sip::Stats as SipStats;

/// What the metrics are read from.
pub struct Sources {
    /// The call core and its SIP endpoint.
    pub host: Arc<CoreHost>,
    /// The media workers.
    pub media: Arc<MediaPool>,
    /// The commands waiting for each media worker, shared with the core and the workers.
    pub media_backlog: Arc<MediaBacklog>,
    /// The guest threads and their call instances.
    pub executor: Arc<GuestExecutor>,
    /// The most call instances alive at once.
    pub instance_limit: usize,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sources")
    }
}

type Encoded = Result<(), std::fmt::Error>;

/// A family of counters with one label: name, help, the label's name, and each label value
/// with its count.
type Labelled<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, u64)]);

impl Collector for Sources {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Encoded {
        let (active, footprint, calls, sip) = {
            let core = lock(self.host.core());
            (
                core.active_calls(),
                core.footprint(),
                core.stats(),
                core.sip_stats(),
            )
        };
        let workers = self.media.worker_stats();
        let mut rtp = WorkerStats::default();
        for stats in &workers {
            rtp.accumulate(stats);
        }
        let e = &mut encoder;
        let gauges = [
            ("calls_active", "Calls in progress.", active),
            ("rooms", "Conference rooms open.", footprint.rooms),
            (
                "participants",
                "Room participants listed, finished ones until they expire.",
                footprint.participants,
            ),
            (
                "guest_instances",
                "Guest instances held by calls.",
                self.executor.instances(),
            ),
            (
                "guest_instances_limit",
                "The most guest instances calls may hold at once.",
                self.instance_limit,
            ),
        ];
        for (name, help, value) in gauges {
            let value = i64::try_from(value).unwrap_or(i64::MAX);
            encode_unlabelled(e, name, help, &ConstGauge::new(value))?;
        }
        let counters = [
            ("calls_answered", "Calls answered.", calls.connected),
            (
                "calls_failed",
                "Calls that ended or were refused without being answered.",
                calls.failed,
            ),
            (
                "rtp_packets_received",
                "Valid RTP packets received for known legs.",
                rtp.packets_received,
            ),
            (
                "rtp_packets_sent",
                "RTP packets made and handed to be sent, those whose send then failed \
                 included (switchyard_rtp_send_failures_total).",
                rtp.packets_sent,
            ),
            (
                "rtp_packets_lost",
                "RTP packets that never arrived (sequence gaps).",
                rtp.jitter.lost,
            ),
            (
                "rtp_packets_late",
                "RTP packets that arrived too late to be played.",
                rtp.jitter.late,
            ),
            (
                "rtp_packets_duplicate",
                "RTP packets received twice.",
                rtp.jitter.duplicates,
            ),
            (
                "rtp_frames_concealed",
                "Audio frames concealed for missing packets.",
                rtp.jitter.concealed,
            ),
            (
                "rtp_packets_reported_expected",
                "Our RTP packets peers expected, by their RTCP reports.",
                rtp.peer_reported_expected,
            ),
            (
                "rtp_packets_reported_lost",
                "Our RTP packets peers reported lost in their RTCP reports.",
                rtp.peer_reported_lost,
            ),
            (
                "rtcp_packets_received",
                "RTCP compound packets taken from legs' peers.",
                rtp.rtcp_received,
            ),
            (
                "rtcp_packets_sent",
                "RTCP reports made and handed to be sent, failed sends included.",
                rtp.rtcp_sent,
            ),
            (
                "recording_dropped_frames",
                "Frames of room recordings dropped because their writer fell behind; \
                 written as silence.",
                rtp.recording_dropped_frames,
            ),
            (
                "rtcp_round_trips",
                "Round trips measured from peers' RTCP reports on our sender reports.",
                rtp.round_trips,
            ),
            (
                "panics",
                "Panics in the server (bugs), caught or not; each is logged as an error.",
                crate::panics::count(),
            ),
            (
                "media_key_presses_dropped",
                "Key presses the media workers received but dropped because 4096 already \
                 waited for the signaling task.",
                self.media.dropped_key_presses(),
            ),
            (
                "media_worker_failures",
                "Media workers that failed (panicked) and were replaced; their calls ended.",
                self.media.failures(),
            ),
            (
                "guest_events_dropped",
                "Call events dropped because their guest was too far behind.",
                self.executor.dropped(),
            ),
        ];
        for (name, help, value) in counters {
            encode_unlabelled(e, name, help, &ConstCounter::new(value))?;
        }
        encode_unlabelled(
            e,
            "rtcp_round_trip_seconds",
            "The round trips measured, added up: divided by switchyard_rtcp_round_trips_total, \
             their mean.",
            &ConstCounter::new(rtp.round_trip_sum.as_secs_f64()),
        )?;
        let send_failures = self.media.send_failures();
        let refused = calls_refused(&calls);
        let invites_refused = sip_invites_refused(&sip);
        let labelled: [Labelled<'_>; 9] = [
            (
                "calls_started",
                "Calls started: received (incoming) or placed (outgoing).",
                "direction",
                &[("incoming", calls.total), ("outgoing", calls.placed)],
            ),
            (
                "calls_refused",
                "Incoming calls refused by the host, by cause; each is in calls_started \
                 (incoming) and calls_failed too.",
                "cause",
                &refused,
            ),
            (
                "sip_invites_refused",
                "New INVITEs the SIP endpoint answered with a refusal before any call started \
                 (not in calls_started), by cause.",
                "cause",
                &invites_refused,
            ),
            (
                "sip_requests_received",
                "Well-formed SIP requests received, retransmissions included, by method.",
                "method",
                &sip.requests_received.by_method(),
            ),
            (
                "sip_responses_sent",
                "SIP responses sent, retransmissions not included, by status class.",
                "class",
                &sip.responses_sent.by_class(),
            ),
            (
                "sip_messages_dropped",
                "SIP messages dropped unanswered, by cause.",
                "cause",
                &[
                    ("too_large", sip.dropped_too_large),
                    ("rate_limited", sip.dropped_rate_limited),
                    ("unparseable", sip.dropped_unparseable),
                    ("unroutable", sip.dropped_unroutable_requests),
                    ("malformed_response", sip.dropped_malformed_responses),
                    ("stray_response", sip.dropped_stray_responses),
                    ("stray_ack", sip.dropped_acks),
                ],
            ),
            (
                "rtp_packets_dropped",
                "RTP packets dropped, by cause.",
                "cause",
                &[
                    ("unlatched_source", rtp.foreign_source_dropped),
                    ("malformed", rtp.malformed_packets),
                    ("unknown_payload_type", rtp.unknown_payload_type),
                    ("not_receiving", rtp.not_receiving),
                    ("unknown_leg", rtp.unknown_leg_packets),
                    ("key_over_rate", rtp.keys_over_rate),
                ],
            ),
            (
                "rtp_send_failures",
                "RTP and RTCP packets made but not sent, by cause; each cause is logged at \
                 most every 10 s.",
                "cause",
                &send_failures,
            ),
            (
                "rtcp_packets_dropped",
                "RTCP packets dropped, by cause.",
                "cause",
                &[
                    ("unlatched_source", rtp.rtcp_foreign_source),
                    ("malformed", rtp.rtcp_malformed),
                ],
            ),
        ];
        for (name, help, label, values) in labelled {
            let mut family = e.encode_descriptor(name, help, None, MetricType::Counter)?;
            for &(value, count) in values {
                ConstCounter::new(count).encode(family.encode_family(&[(label, value)])?)?;
            }
        }
        encode_histogram(
            e.encode_descriptor(
                "call_setup_seconds",
                "Time to answer: from the INVITE received to the 200 OK sent (incoming), from \
                 the INVITE sent to the answer received (outgoing); unanswered calls are not \
                 observed.",
                None,
                MetricType::Histogram,
            )?,
            &buckets(&SETUP_BOUNDS_S, &calls.setup.buckets),
            calls.setup.sum,
        )?;
        let bounds = LATENESS_BOUNDS_MS.map(|ms| ms as f64 / 1000.0);
        let mut lateness = e.encode_descriptor(
            "media_tick_lateness_seconds",
            "How late each media tick ran after its deadline, per worker.",
            None,
            MetricType::Histogram,
        )?;
        for (worker, stats) in workers.iter().enumerate() {
            encode_histogram(
                lateness.encode_family(&[("worker", worker)])?,
                &buckets(&bounds, &stats.lateness.buckets),
                stats.lateness.sum,
            )?;
        }
        encode_media_backlog(e, &self.media_backlog, workers.len())
    }
}

/// Every refusal of an incoming call by the call core, by cause: the label values of
/// `switchyard_calls_refused_total` with their counts. A refusal is counted under one cause,
/// and, as the call had started, in `switchyard_calls_started_total{direction="incoming"}` and
/// `switchyard_calls_failed_total` too.
fn calls_refused(calls: &CallStats) -> [(&'static str, u64); 6] {
    [
        ("no_instance", calls.refused_no_instance),
        ("no_codec", calls.refused_no_codec),
        ("rate_limited", calls.refused_rate_limited),
        ("shutting_down", calls.refused_shutting_down),
        ("no_media_address", calls.refused_no_media_address),
        ("no_resources", calls.refused_no_resources),
    ]
}

/// Every new INVITE the SIP endpoint refused before any call started, by cause: the label
/// values of `switchyard_sip_invites_refused_total` with their counts. None of them is in
/// `switchyard_calls_started_total` or `switchyard_calls_refused_total`. `overloaded`: 503
/// for want of room in the transaction table; `unusable_offer`: 488, 415, 406 or 400 for the
/// SDP offer (a 400 is in `stats()`'s `sip_bad_requests_sent` too); `loop_detected`: 482;
/// `session_interval_too_small`: 422, after which a caller normally retries with a longer
/// interval (RFC 4028 §7.4), so a negotiation step rather than a lost call; `too_many_hops`:
/// 483 for Max-Forwards 0; `unsupported_extension`: 420; `bad_request`: 400 for a Contact or
/// Record-Route no dialog can be made with (in `sip_bad_requests_sent` too);
/// `unsupported_uri_scheme`: 416; `version_not_supported`: 505. A retransmission answered
/// again, by the INVITE's server transaction or (for a 503) from the endpoint's memory of its
/// recent refusals, is not counted again; a 416 or 505, sent outside any transaction before
/// the request is read whole, is counted again for each copy.
fn sip_invites_refused(sip: &SipStats) -> [(&'static str, u64); 9] {
    [
        ("overloaded", sip.invites_refused_overloaded),
        ("unusable_offer", sip.invites_refused_unusable_offer),
        ("loop_detected", sip.invites_refused_loop_detected),
        (
            "session_interval_too_small",
            sip.invites_refused_session_interval_too_small,
        ),
        ("too_many_hops", sip.invites_refused_too_many_hops),
        (
            "unsupported_extension",
            sip.invites_refused_unsupported_extension,
        ),
        ("bad_request", sip.invites_refused_bad_request),
        (
            "unsupported_uri_scheme",
            sip.invites_refused_unsupported_uri_scheme,
        ),
        (
            "version_not_supported",
            sip.invites_refused_version_not_supported,
        ),
    ]
}

/// Per worker (`0` … `workers - 1`), the commands waiting for it and the guests' commands
/// refused because too many waited.
fn encode_media_backlog(
    e: &mut DescriptorEncoder<'_>,
    backlog: &MediaBacklog,
    workers: usize,
) -> Encoded {
    let mut waiting = e.encode_descriptor(
        "media_commands_waiting",
        "Commands emitted to each media worker that it is not done with yet, per worker.",
        None,
        MetricType::Gauge,
    )?;
    for worker in 0..workers {
        let count = i64::try_from(backlog.waiting(worker)).unwrap_or(i64::MAX);
        ConstGauge::new(count).encode(waiting.encode_family(&[("worker", worker)])?)?;
    }
    let help = format!(
        "Guests' media commands refused busy because {MAX_MEDIA_BACKLOG} commands waited for \
         their media worker, per worker."
    );
    let mut refused =
        e.encode_descriptor("media_commands_refused", &help, None, MetricType::Counter)?;
    for worker in 0..workers {
        ConstCounter::new(backlog.refused(worker))
            .encode(refused.encode_family(&[("worker", worker)])?)?;
    }
    Ok(())
}

/// A histogram of fixed `buckets` (see [`buckets`]) whose observations add up to `sum`.
fn encode_histogram(
    mut encoder: MetricEncoder<'_>,
    buckets: &[(f64, u64)],
    sum: Duration,
) -> Encoded {
    let count = buckets.iter().map(|&(_, n)| n).sum();
    encoder.encode_histogram::<NoLabelSet>(sum.as_secs_f64(), count, buckets, None)
}

/// Fixed buckets as the encoder takes them: each upper bound with its own (not cumulative)
/// count, the last, over every bound, at +Inf.
fn buckets(bounds: &[f64], counts: &[u64]) -> Vec<(f64, u64)> {
    bounds
        .iter()
        .copied()
        .chain([f64::INFINITY])
        .zip(counts.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::prometheus_text;
    use prometheus_client::registry::Registry;

    #[derive(Debug)]
    struct Fixed;

    impl Collector for Fixed {
        fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Encoded {
            encode_histogram(
                encoder.encode_descriptor(
                    "fixed_seconds",
                    "Fixed.",
                    None,
                    MetricType::Histogram,
                )?,
                &buckets(&[0.5, 1.0], &[3, 0, 2]),
                Duration::from_millis(7250),
            )
        }
    }

    #[derive(Debug)]
    struct Backlog(MediaBacklog);

    impl Collector for Backlog {
        fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Encoded {
            encode_media_backlog(&mut encoder, &self.0, 2)
        }
    }

    #[test]
    fn the_media_backlog_renders_per_worker() {
        let backlog = MediaBacklog::new(2);
        for _ in 0..MAX_MEDIA_BACKLOG {
            backlog.add(1);
        }
        backlog.add(0);
        assert!(backlog.check([1]).is_err());
        let mut registry = Registry::default();
        registry
            .sub_registry_with_prefix("switchyard")
            .register_collector(Box::new(Backlog(backlog)));
        let mut text = String::new();
        prometheus_text::encode(&mut text, &registry).unwrap();
        for expected in [
            "# TYPE switchyard_media_commands_waiting gauge\n",
            "switchyard_media_commands_waiting{worker=\"0\"} 1\n",
            "switchyard_media_commands_waiting{worker=\"1\"} 16384\n",
            "# HELP switchyard_media_commands_refused_total Guests' media commands refused busy \
             because 16384 commands waited for their media worker, per worker.\n",
            "# TYPE switchyard_media_commands_refused_total counter\n",
            "switchyard_media_commands_refused_total{worker=\"0\"} 0\n",
            "switchyard_media_commands_refused_total{worker=\"1\"} 1\n",
        ] {
            assert!(text.contains(expected), "{expected} in:\n{text}");
        }
    }

    #[test]
    fn every_refusal_of_an_incoming_call_is_exported_under_its_cause() {
        let calls = CallStats {
            refused_no_instance: 1,
            refused_no_codec: 2,
            refused_rate_limited: 3,
            refused_shutting_down: 4,
            refused_no_media_address: 5,
            refused_no_resources: 6,
            ..CallStats::default()
        };
        assert_eq!(
            calls_refused(&calls),
            [
                ("no_instance", 1),
                ("no_codec", 2),
                ("rate_limited", 3),
                ("shutting_down", 4),
                ("no_media_address", 5),
                ("no_resources", 6),
            ]
        );
    }

    #[test]
    fn invites_the_sip_endpoint_refuses_are_exported_apart_from_refused_calls() {
        let sip = SipStats {
            invites_refused_overloaded: 6,
            invites_refused_unusable_offer: 7,
            invites_refused_session_interval_too_small: 8,
            invites_refused_loop_detected: 9,
            invites_refused_too_many_hops: 10,
            invites_refused_unsupported_extension: 11,
            invites_refused_bad_request: 12,
            invites_refused_unsupported_uri_scheme: 13,
            invites_refused_version_not_supported: 14,
            ..SipStats::default()
        };
        assert_eq!(
            sip_invites_refused(&sip),
            [
                ("overloaded", 6),
                ("unusable_offer", 7),
                ("loop_detected", 9),
                ("session_interval_too_small", 8),
                ("too_many_hops", 10),
                ("unsupported_extension", 11),
                ("bad_request", 12),
                ("unsupported_uri_scheme", 13),
                ("version_not_supported", 14),
            ]
        );
    }

    #[test]
    fn fixed_buckets_render_cumulative_with_an_overflow_bucket() {
        assert_eq!(
            buckets(&[0.5, 1.0], &[3, 0, 2]),
            [(0.5, 3), (1.0, 0), (f64::INFINITY, 2)]
        );
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Fixed));
        let mut text = String::new();
        prometheus_text::encode(&mut text, &registry).unwrap();
        assert_eq!(
            text,
            "# HELP fixed_seconds Fixed.\n\
             # TYPE fixed_seconds histogram\n\
             fixed_seconds_bucket{le=\"0.5\"} 3\n\
             fixed_seconds_bucket{le=\"1\"} 3\n\
             fixed_seconds_bucket{le=\"+Inf\"} 5\n\
             fixed_seconds_sum 7.25\n\
             fixed_seconds_count 5\n"
        );
    }
}
