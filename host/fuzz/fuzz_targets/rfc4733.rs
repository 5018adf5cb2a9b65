//! RFC 4733 telephone-event payloads, as (SSRC, timestamp, payload) in any order.
//!
//! A key is only ever reported for a DTMF event code (0–15), and a packet repeating the
//! one before it (same SSRC, timestamp and event: an event's later packets, RFC 4733
//! §2.5.1.2) never reports one again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_media::DtmfReceiver;

fuzz_target!(|data: &[u8]| {
    let mut receiver = DtmfReceiver::new();
    let mut previous: Option<(u32, u32, u8)> = None;
    for record in data.chunks(12).take(1024) {
        let ssrc = u32::from(record[0] & 1);
        let timestamp = record
            .get(1..5)
            .map_or(0, |b| u32::from_be_bytes(b.try_into().unwrap()));
        let payload = record.get(5..).unwrap_or(&[]);
        let received = receiver.receive(ssrc, timestamp, payload);
        if let Ok(Some(key)) = received {
            assert!("0123456789*#ABCD".contains(key), "key {key:?}");
            assert!(payload[0] < 16, "event {} is no DTMF key", payload[0]);
            assert_ne!(
                previous,
                Some((ssrc, timestamp, payload[0])),
                "a repeated packet reported {key:?} again"
            );
        }
        let event = payload.first().copied().unwrap_or_default();
        previous = received.is_ok().then_some((ssrc, timestamp, event));
    }
});
