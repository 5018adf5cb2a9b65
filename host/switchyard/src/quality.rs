//! How each call's RTP fared, told as its leg ends: a log line and a `quality` event on the
//! event stream, with what the leg received of its peer's stream and what the peer's RTCP
//! reported of ours.

use std::time::Duration;

use serde_json::{Value, json};
use switchyard_core::CallId;
use switchyard_media::{LegId, LegQuality, PeerReport, RoomId};

use crate::events::Events;

/// Logs and publishes `quality`, the figures of `leg` as it ended in `room` (if any), under its
/// call's tag (a leg is numbered as its call).
pub fn report(events: &Events, leg: LegId, room: Option<&RoomId>, quality: &LegQuality) {
    let call = CallId(leg.0);
    let jitter_ms = millis(quality.jitter);
    let lost_percent = lost_percent(quality);
    match quality.peer {
        Some(peer) => tracing::info!(
            %call,
            received = quality.received,
            lost = quality.lost,
            "leg ended: {lost_percent:.1}% of its peer's RTP lost, jitter {jitter_ms:.1} ms; \
             its peer reports {} of ours lost ({:.1}% lately), jitter {:.1} ms, round trip {}",
            peer.cumulative_lost,
            percent_lately(&peer),
            millis(peer.jitter),
            peer.round_trip.map_or_else(
                || "unknown".to_owned(),
                |rtt| format!("{:.0} ms", millis(rtt))
            ),
        ),
        None => tracing::info!(
            %call,
            received = quality.received,
            lost = quality.lost,
            "leg ended: {lost_percent:.1}% of its peer's RTP lost, jitter {jitter_ms:.1} ms; \
             its peer sent no RTCP report on ours",
        ),
    }
    events.quality(room.map(|room| room.0.as_str()), figures(call, quality));
}

/// The event's data: the call, what it received (`received`, `lost`, `lost_percent`,
/// `jitter_ms`) and what its peer reported (`peer`: `lost`, `lost_percent_lately`,
/// `jitter_ms`, `round_trip_ms`; null without a report).
fn figures(call: CallId, quality: &LegQuality) -> Value {
    let peer = quality.peer.map(|peer| {
        json!({
            "lost": peer.cumulative_lost,
            "lost_percent_lately": percent_lately(&peer),
            "jitter_ms": millis(peer.jitter),
            "round_trip_ms": peer.round_trip.map(millis),
        })
    });
    json!({
        "call": call.to_string(),
        "received": quality.received,
        "lost": quality.lost,
        "lost_percent": lost_percent(quality),
        "jitter_ms": millis(quality.jitter),
        "peer": peer,
    })
}

/// The share of the peer's packets lost, in percent of those expected (0 when none were).
fn lost_percent(quality: &LegQuality) -> f64 {
    let expected = f64::from(quality.received) + quality.lost as f64;
    if expected > 0.0 {
        100.0 * quality.lost.max(0) as f64 / expected
    } else {
        0.0
    }
}

/// The share of our packets the peer lost between its last two reports, in percent.
fn percent_lately(peer: &PeerReport) -> f64 {
    f64::from(peer.fraction_lost) * 100.0 / 256.0
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_name_the_call_and_both_ways() {
        let quality = LegQuality {
            received: 990,
            lost: 10,
            jitter: Duration::from_micros(2500),
            peer: Some(PeerReport {
                fraction_lost: 64,
                cumulative_lost: 3,
                jitter: Duration::from_millis(1),
                round_trip: Some(Duration::from_millis(41)),
            }),
        };
        let data = figures(CallId(17), &quality);
        assert_eq!(data["call"], "c17");
        assert_eq!(data["lost_percent"], 1.0);
        assert_eq!(data["jitter_ms"], 2.5);
        assert_eq!(data["peer"]["lost"], 3);
        assert_eq!(data["peer"]["lost_percent_lately"], 25.0);
        assert_eq!(data["peer"]["round_trip_ms"], 41.0);
        let silent = LegQuality {
            received: 0,
            lost: 0,
            jitter: Duration::ZERO,
            peer: None,
        };
        let data = figures(CallId(1), &silent);
        assert_eq!(
            (data["lost_percent"].as_f64(), &data["peer"]),
            (Some(0.0), &Value::Null)
        );
    }
}
