//! Keys sent to a leg's peer: RFC 4733 telephone-events on its stream, or ITU-T Q.23 tones
//! in-band on top of what it hears.

mod common;

use std::time::{Duration, Instant};

use common::*;
use rtp_rs::RtpReader;
use switchyard_media::{
    Codec, DtmfReceiver, DtmfSendError, InbandDtmf, LegId, LegParams, MAX_PENDING_KEYS,
    MediaDirection, MediaTransmit, Q23_HIGH_HZ, Q23_LOW_HZ, RoomId, TelephoneEvent, Worker,
    q23_frequencies,
};

const A: LegId = LegId(1);
const B: LegId = LegId(2);

/// One packet A was sent: payload type, sequence number, timestamp, SSRC, marker, payload.
#[derive(Debug)]
struct Sent {
    pt: u8,
    seq: u16,
    ts: u32,
    ssrc: u32,
    marker: bool,
    payload: Vec<u8>,
}

fn read(transmit: &MediaTransmit) -> Sent {
    let rtp = RtpReader::new(&transmit.payload).unwrap();
    Sent {
        pt: rtp.payload_type(),
        seq: u16::from(rtp.sequence_number()),
        ts: rtp.timestamp(),
        ssrc: rtp.ssrc(),
        marker: rtp.mark(),
        payload: rtp.payload().to_vec(),
    }
}

/// The duration field of a telephone-event packet (RFC 4733 §2.3.5).
fn duration(event: &Sent) -> u16 {
    u16::from_be_bytes([event.payload[2], event.payload[3]])
}

fn ticks(worker: &mut Worker, n: usize) -> Vec<Sent> {
    (0..n).flat_map(|_| of_a(&tick(worker))).collect()
}

/// A's packets among `transmits`.
fn of_a(transmits: &[MediaTransmit]) -> Vec<Sent> {
    transmits.iter().filter(|t| t.leg == A).map(read).collect()
}

/// Whether a telephone-event packet has the end bit (RFC 4733 §2.3.2).
fn is_end(event: &Sent) -> bool {
    event.payload[1] & 0x80 != 0
}

#[test]
fn keys_go_as_rfc_4733_events_on_the_legs_stream() {
    let mut worker = worker_at(Instant::now(), 9, &[(A, Codec::Pcmu)]);
    let before = ticks(&mut worker, 3);
    worker.send_dtmf(A, "1#").unwrap();
    let sent = ticks(&mut worker, 20);
    let all: Vec<&Sent> = before.iter().chain(&sent).collect();

    // One packet per tick; the sequence numbers go on through the events.
    assert_eq!(all.len(), 23);
    for pair in all.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq.wrapping_add(1));
    }
    let audio_ts = before.last().unwrap().ts;
    let mut receiver = DtmfReceiver::new();
    let keys: Vec<char> = sent
        .iter()
        .filter(|s| s.pt == 101)
        .filter_map(|s| receiver.receive(1, s.ts, &s.payload).unwrap())
        .collect();
    assert_eq!(keys, ['1', '#']);

    // Each key: 5 packets while it sounds, then the end packet twice more, then 60 ms of
    // silence of which the last 20 ms is audio again.
    for (key, code) in [(0, 1u8), (1, 11)] {
        let event = &sent[key * 8..key * 8 + 8];
        let start = audio_ts.wrapping_add(160 * (1 + 8 * key as u32));
        for (i, packet) in event[..7].iter().enumerate() {
            assert_eq!(packet.pt, 101, "key {key} packet {i}");
            assert_eq!(packet.ts, start, "an event's packets share its start time");
            assert_eq!(packet.marker, i == 0, "the marker on the first packet only");
            assert_eq!(duration(packet), 160 * (i as u16 + 1).min(5));
            assert_eq!(packet.payload[0], code);
            assert_eq!(is_end(packet), i >= 4, "the end bit on the last three");
        }
        assert_eq!(event[7].pt, 0, "audio between the keys");
        assert_eq!(
            event[7].ts,
            start.wrapping_add(7 * 160),
            "media time went on"
        );
    }
    assert!(sent[16..].iter().all(|s| s.pt == 0 && !s.marker));
}

#[test]
fn events_at_8_khz_beside_opus_count_durations_at_8_khz_on_the_opus_timeline() {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 6);
    let mut opus = params(Codec::Opus, 5001);
    opus.payload_type = 96;
    opus.telephone_event = Some(TelephoneEvent {
        payload_type: 101,
        clock_rate: 8000,
    });
    worker.add_leg(start, A, opus);
    let before = ticks(&mut worker, 3);
    worker.send_dtmf(A, "9").unwrap();
    let sent = ticks(&mut worker, 8);
    let events: Vec<&Sent> = sent.iter().filter(|s| s.pt == 101).collect();
    let durations: Vec<u16> = events.iter().map(|e| duration(e)).collect();
    assert_eq!(
        durations,
        [160, 320, 480, 640, 800, 800, 800],
        "20 ms is 160 units of the events' 8 kHz clock"
    );
    // Stamped where the Opus stream stands: 960 units of 48 kHz after the last audio.
    let start_ts = before.last().unwrap().ts.wrapping_add(960);
    assert!(events.iter().all(|e| e.ts == start_ts));
    let after = &sent[events.len()];
    assert_eq!(after.pt, 96);
    assert_eq!(
        after.ts,
        start_ts.wrapping_add(7 * 960),
        "media time went on"
    );
}

#[test]
fn events_are_updated_at_the_legs_packet_time() {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 6);
    let mut at_40_ms = params(Codec::Pcmu, 5001);
    at_40_ms.ptime_ms = 40;
    worker.add_leg(start, A, at_40_ms);
    let before = ticks(&mut worker, 4);
    worker.send_dtmf(A, "7").unwrap();
    let sent = ticks(&mut worker, 10);
    let events: Vec<&Sent> = sent.iter().filter(|s| s.pt == 101).collect();
    let durations: Vec<u16> = events.iter().map(|e| duration(e)).collect();
    assert_eq!(
        durations,
        [160, 480, 800, 800, 800],
        "an update every 40 ms"
    );
    let ends: Vec<bool> = events.iter().map(|e| is_end(e)).collect();
    assert_eq!(ends, [false, false, true, true, true]);
    let start_ts = before.last().unwrap().ts.wrapping_add(320);
    assert!(events.iter().all(|e| e.ts == start_ts));
    let after = &sent[events.len()];
    assert_eq!(after.pt, 0);
    assert_eq!(after.payload.len(), 320, "40 ms audio packets again");
    assert_eq!(after.ts, start_ts.wrapping_add(7 * 160));
    let all: Vec<&Sent> = before.iter().chain(&sent).collect();
    for pair in all.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq.wrapping_add(1));
    }
}

#[test]
fn keys_go_in_band_on_top_of_what_the_leg_hears() {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 4);
    let mut without_events = params(Codec::Pcmu, 5001);
    without_events.telephone_event = None;
    worker.add_leg(start, A, without_events);
    worker.add_leg(start, B, params(Codec::Pcmu, 5002));
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let mut peer = TonePeer::new(B, Codec::Pcmu, 440.0);
    let mut run = |worker: &mut Worker, ticks: usize| {
        let mut listener = Listener::new(A, Codec::Pcmu);
        for _ in 0..ticks {
            peer.send(worker, Duration::from_millis(5));
            let sent = tick(worker);
            assert!(sent_by(&sent, A).iter().all(|t| header_pt(t) == 0));
            listener.take(&sent);
        }
        listener.heard
    };
    run(&mut worker, 30);
    worker.send_dtmf(A, "1D").unwrap();
    let heard = run(&mut worker, 16);
    for (key, code) in [(0, 1u8), (1, 15)] {
        let sounding = &heard[key * 8 * 160..(key * 8 + 5) * 160];
        let (low, high) = q23_frequencies(code);
        for freq in Q23_LOW_HZ.into_iter().chain(Q23_HIGH_HZ) {
            let level = goertzel(sounding, f64::from(freq), 8000.0);
            if freq == low || freq == high {
                assert!(level > 4000.0, "key {key}: {freq} Hz at {level}");
            } else {
                assert!(level < 1000.0, "key {key}: {freq} Hz at {level}");
            }
        }
        assert!(
            goertzel(sounding, 440.0, 8000.0) > 3000.0,
            "the room is still heard under the key"
        );
        let gap = &heard[(key * 8 + 5) * 160..(key * 8 + 8) * 160];
        assert!(
            goertzel(gap, f64::from(low), 8000.0) < 1000.0,
            "silent between keys"
        );
    }
}

fn header_pt(transmit: &MediaTransmit) -> u8 {
    RtpReader::new(&transmit.payload).unwrap().payload_type()
}

#[test]
fn at_most_32_keys_wait_and_only_keys_are_taken() {
    let mut worker = worker_at(Instant::now(), 2, &[(A, Codec::Pcmu)]);
    let keys = "0123456789*#ABCD".repeat(2);
    assert_eq!(keys.len(), MAX_PENDING_KEYS);
    worker.send_dtmf(A, &keys).unwrap();
    assert_eq!(
        worker.send_dtmf(A, "1"),
        Err(DtmfSendError::TooMany {
            pending: 32,
            asked: 1
        })
    );
    assert_eq!(worker.send_dtmf(A, "9x"), Err(DtmfSendError::NotAKey('x')));
    assert_eq!(worker.send_dtmf(A, "a"), Err(DtmfSendError::NotAKey('a')));
    assert_eq!(worker.send_dtmf(A, ""), Err(DtmfSendError::Empty));
    // Once the first key is sent to its end, one more fits.
    ticks(&mut worker, 8);
    assert_eq!(worker.send_dtmf(A, "1"), Ok(()));
    assert!(worker.send_dtmf(A, "1").is_err());
}

#[test]
fn a_key_under_way_at_a_hold_ends_before_it_and_the_stream_resumes_marked() {
    let sending = params(Codec::Pcmu, 5001);
    // RFC 3264 §8.4: a peer holds by a=sendonly (we answer recvonly) or by c=0.0.0.0.
    let holds = [
        LegParams {
            direction: MediaDirection::RecvOnly,
            ..sending.clone()
        },
        LegParams {
            direction: MediaDirection::Inactive,
            remote: "0.0.0.0:5001".parse().unwrap(),
            ..sending.clone()
        },
    ];
    for held in holds {
        let what = held.direction;
        let mut worker = worker_at(Instant::now(), 9, &[(A, Codec::Pcmu)]);
        let audio = ticks(&mut worker, 2);
        worker.send_dtmf(A, "1").unwrap();
        let started = ticks(&mut worker, 2);
        // The hold comes two packets into the key.
        worker.update_leg(worker.next_tick(), A, held);
        let closing = of_a(&drain(&mut worker));
        assert!(ticks(&mut worker, 25).is_empty(), "{what:?}: nothing sent");
        worker.send_dtmf(A, "2").unwrap();
        assert!(ticks(&mut worker, 25).is_empty(), "{what:?}: nothing sent");
        worker.update_leg(worker.next_tick(), A, sending.clone());
        let resumed = ticks(&mut worker, 12);

        // RFC 4733 §2.5.1.4: "1" ends before the hold, on its stream, its end three times,
        // stamped at its start and lasting the 40 ms it sounded.
        let start_ts = audio[1].ts.wrapping_add(160);
        assert_eq!(closing.len(), 3, "{what:?}");
        for end in &closing {
            assert_eq!((end.ssrc, end.pt, end.ts), (audio[0].ssrc, 101, start_ts));
            assert!(is_end(end) && !end.marker, "{what:?}");
            assert_eq!((end.payload[0], duration(end)), (1, 320), "{what:?}");
        }
        // RFC 3551 §4.1: the first packet after the hold starts a talkspurt: audio, marked,
        // stamped after the media time of the hold.
        let first = &resumed[0];
        assert_eq!((first.pt, first.marker), (0, true), "{what:?}");
        assert_eq!(first.ts, start_ts.wrapping_add(52 * 160), "{what:?}");
        // The rest of the silence after "1", then "2" as an event of its own.
        assert!(resumed[..3].iter().all(|s| s.pt == 0), "{what:?}");
        let two: Vec<&Sent> = resumed.iter().filter(|s| s.pt == 101).collect();
        assert_eq!(two.len(), 7, "{what:?}");
        assert!(
            two.iter()
                .all(|e| e.payload[0] == 2 && e.ts == resumed[3].ts)
        );
        assert!(
            two[0].marker && two[1..].iter().all(|e| !e.marker),
            "{what:?}"
        );
        assert!(
            resumed[10..].iter().all(|s| s.pt == 0 && !s.marker),
            "{what:?}"
        );
        let all: Vec<&Sent> = audio
            .iter()
            .chain(&started)
            .chain(&closing)
            .chain(&resumed)
            .collect();
        for pair in all.windows(2) {
            assert_eq!(pair[0].ssrc, pair[1].ssrc, "{what:?}: one stream");
            assert_eq!(pair[1].seq, pair[0].seq.wrapping_add(1), "{what:?}");
        }
        let mut receiver = DtmfReceiver::new();
        let keys: Vec<char> = all
            .iter()
            .filter(|s| s.pt == 101)
            .filter_map(|s| receiver.receive(s.ssrc, s.ts, &s.payload).unwrap())
            .collect();
        assert_eq!(keys, ['1', '2'], "{what:?}: each key once");
    }
}

#[test]
fn a_key_going_in_band_at_a_hold_ends_there_and_is_heard_once() {
    let mut sending = params(Codec::Pcmu, 5001);
    sending.telephone_event = None;
    let held = LegParams {
        direction: MediaDirection::RecvOnly,
        ..sending.clone()
    };
    let mut worker = worker_at(Instant::now(), 9, &[(A, Codec::Pcmu)]);
    worker.update_leg(worker.next_tick(), A, sending.clone());
    let mut listener = Listener::new(A, Codec::Pcmu);
    let run = |worker: &mut Worker, ticks: usize, listener: &mut Listener| {
        for _ in 0..ticks {
            listener.take(&tick(worker));
        }
    };
    run(&mut worker, 2, &mut listener);
    worker.send_dtmf(A, "1").unwrap();
    // The hold comes 40 ms into the key, long enough for the peer to have heard it.
    run(&mut worker, 2, &mut listener);
    worker.update_leg(worker.next_tick(), A, held);
    let before_hold = listener.heard.len();
    run(&mut worker, 25, &mut listener);
    assert_eq!(listener.heard.len(), before_hold, "nothing sent on hold");
    // The peer hears nothing while the call is held.
    listener.heard.resize(before_hold + 25 * 160, 0);
    worker.send_dtmf(A, "2").unwrap();
    worker.update_leg(worker.next_tick(), A, sending);
    let resumed = listener.heard.len();
    run(&mut worker, 14, &mut listener);

    let (low, high) = q23_frequencies(1);
    let after = &listener.heard[resumed..resumed + 3 * 160];
    for freq in [low, high] {
        let level = goertzel(after, f64::from(freq), 8000.0);
        assert!(level < 1000.0, "{freq} Hz at {level} after the resume");
    }
    let mut detector = InbandDtmf::new(8000);
    let keys: Vec<char> = listener
        .heard
        .chunks_exact(160)
        .filter_map(|block| detector.push(block))
        .collect();
    assert_eq!(keys, ['1', '2'], "each key once");
}

#[test]
fn audio_after_a_key_that_outlived_skipped_ticks_starts_a_talkspurt() {
    let mut worker = worker_at(Instant::now(), 9, &[(A, Codec::Pcmu)]);
    let mut sent = ticks(&mut worker, 2);
    worker.send_dtmf(A, "1").unwrap();
    sent.extend(ticks(&mut worker, 1));
    // The shell wakes 200 ms late, in the middle of the key: the oldest ticks are skipped.
    let late = worker.next_tick() + Duration::from_millis(200);
    worker.handle_timeout(late);
    sent.extend(of_a(&drain(&mut worker)));
    assert!(worker.stats().skipped_ticks > 0);
    sent.extend(ticks(&mut worker, 8));
    let events: Vec<&Sent> = sent.iter().filter(|s| s.pt == 101).collect();
    assert_eq!(events.len(), 7);
    assert!(events[0].marker && events[1..].iter().all(|e| !e.marker));
    // RFC 3551 §4.1: the audio after the gap starts a talkspurt; the event's updates, which
    // carry its start time (RFC 4733 §2.3.1), do not.
    let after = sent.iter().skip(2).find(|s| s.pt == 0).unwrap();
    assert!(after.marker, "the first audio after the gap is marked");
    let later: Vec<&Sent> = sent.iter().skip(2).filter(|s| s.pt == 0).skip(1).collect();
    assert!(!later.is_empty() && later.iter().all(|s| !s.marker));
}

/// Sends keys "1" and "2" from a PCMU leg with telephone-event 101/8000 and moves it to
/// `next` two packets into "1". Returns A's packets before the move, those the move queued
/// (before any tick), and those of the 12 ticks after it.
fn keys_across_a_renegotiation(next: LegParams) -> (Vec<Sent>, Vec<Sent>, Vec<Sent>) {
    let mut worker = worker_at(Instant::now(), 9, &[(A, Codec::Pcmu)]);
    worker.send_dtmf(A, "12").unwrap();
    let before = ticks(&mut worker, 2);
    worker.update_leg(worker.next_tick(), A, next);
    let closing = of_a(&drain(&mut worker));
    (before, closing, ticks(&mut worker, 12))
}

/// Checks that every telephone-event packet among `sent` (any but the audio's payload type
/// `audio_pt`) is stamped on the audio's timeline of `clock_rate` Hz: at most 200 ms (more than
/// the 140 ms a key's packets last) before the next audio packet's timestamp.
fn assert_events_on_the_audio_timeline(sent: &[Sent], audio_pt: u8, clock_rate: u32) {
    let events = sent.iter().enumerate().filter(|(_, s)| s.pt != audio_pt);
    for (i, event) in events {
        let audio = sent[i..]
            .iter()
            .find(|s| s.pt == audio_pt)
            .expect("audio after the event");
        let ahead = audio.ts.wrapping_sub(event.ts);
        assert!(
            ahead <= clock_rate / 5,
            "event packet {i} stamped {ahead} units before the next audio"
        );
    }
}

#[test]
fn a_key_under_way_when_the_stream_restarts_ends_on_the_old_stream() {
    let mut opus = params(Codec::Opus, 5001);
    opus.telephone_event = Some(TelephoneEvent {
        payload_type: 110,
        clock_rate: 48_000,
    });
    let (before, closing, sent) = keys_across_a_renegotiation(opus);
    let old_ssrc = before[0].ssrc;
    let new_stream: Vec<&Sent> = sent.iter().filter(|s| s.ssrc != old_ssrc).collect();
    assert_eq!(new_stream.len(), sent.len(), "the new stream only");
    assert!(
        new_stream[0].marker,
        "the new stream's first packet is marked"
    );
    assert!(
        new_stream.iter().all(|s| s.pt != 101),
        "nothing under the old telephone-event payload type"
    );
    assert_events_on_the_audio_timeline(&sent, 111, 48_000);
    // "1" ended before the change: its end, three times, on the old stream, stamped at its
    // start and lasting the 40 ms it sounded.
    assert_eq!(closing.len(), 3);
    for end in &closing {
        assert_eq!((end.ssrc, end.pt, end.ts), (old_ssrc, 101, before[0].ts));
        assert!(is_end(end) && !end.marker);
        assert_eq!(duration(end), 320);
    }
    // "2" goes after its 60 ms of silence, as a new event of the new format.
    let events: Vec<&Sent> = sent.iter().filter(|s| s.pt == 110).collect();
    assert_eq!(events.len(), 7);
    assert!(sent[..3].iter().all(|s| s.pt == 111));
    assert!(events[0].marker && events[0].payload[0] == 2);
    assert_eq!(duration(events[6]), 4800, "100 ms at 48 kHz");
    let mut receiver = DtmfReceiver::new();
    let keys: Vec<char> = before
        .iter()
        .chain(&closing)
        .chain(&sent)
        .filter(|s| s.pt == 101 || s.pt == 110)
        .filter_map(|s| receiver.receive(s.ssrc, s.ts, &s.payload).unwrap())
        .collect();
    assert_eq!(keys, ['1', '2'], "each key once");
}

#[test]
fn a_key_under_way_when_its_payload_type_changes_ends_under_the_old_one() {
    let mut renumbered = params(Codec::Pcmu, 5001);
    renumbered.telephone_event = Some(TelephoneEvent {
        payload_type: 96,
        clock_rate: 8000,
    });
    let (before, closing, sent) = keys_across_a_renegotiation(renumbered);
    assert!(
        sent.iter().all(|s| s.pt != 101),
        "nothing under the old telephone-event payload type"
    );
    assert_events_on_the_audio_timeline(&sent, 0, 8000);
    assert_eq!(closing.len(), 3);
    assert!(closing.iter().all(|end| end.pt == 101 && is_end(end)));
    let events: Vec<&Sent> = sent.iter().filter(|s| s.pt == 96).collect();
    assert_eq!(events.len(), 7);
    assert!(events[0].marker && events[0].payload[0] == 2);
    // One stream all along: the sequence numbers go on.
    let all: Vec<&Sent> = before.iter().chain(&closing).chain(&sent).collect();
    for pair in all.windows(2) {
        assert_eq!(pair[0].ssrc, pair[1].ssrc);
        assert_eq!(pair[1].seq, pair[0].seq.wrapping_add(1));
    }
}
