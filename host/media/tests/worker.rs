//! The worker end to end on virtual time.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rtp_rs::RtpReader;
use switchyard_media::{
    Codec, FRAME_LEN, IncomingPayloadTypes, LegId, LegParams, MAX_CATCH_UP_TICKS,
    MAX_KEYS_PER_SECOND, MediaDirection, MediaEvent, PlayId, Prompt, RoomId, RtcpPath,
    TelephoneEvent, Worker, WorkerConfig,
};

const A: LegId = LegId(1);
const B: LegId = LegId(2);

fn worker_with(legs: &[LegId], config: WorkerConfig) -> (Worker, Instant) {
    let start = Instant::now();
    let mut worker = Worker::new(config, start, 7);
    for &leg in legs {
        worker.add_leg(start, leg, params(Codec::Pcmu, 5000 + leg.0 as u16));
    }
    (worker, start)
}

#[test]
fn ticks_on_absolute_deadlines_without_drift() {
    let (mut worker, start) = worker_with(&[A, B], WorkerConfig::default());
    worker.join(A, RoomId("r".into()));
    let mut rng = SmallRng::seed_from_u64(99);
    let mut previous: Option<(u16, u32, u32)> = None;
    while worker.poll_timeout().unwrap() < start + TICK * 10_000 {
        let deadline = worker.poll_timeout().unwrap();
        let since_start = deadline - start;
        assert_eq!(
            since_start.as_nanos() % TICK.as_nanos(),
            0,
            "deadline off the grid"
        );
        // Woken late by up to 1.75 packet times: sometimes two ticks are due.
        let now = deadline + Duration::from_micros(rng.random_range(0..35_000));
        worker.handle_timeout(now);
        assert!(worker.poll_timeout().unwrap() > now);
        for sent in sent_by(&drain(&mut worker), A) {
            let (seq, ts, ssrc, marker) = header(sent);
            if let Some((pseq, pts, pssrc)) = previous {
                assert_eq!(
                    (seq, ts, ssrc),
                    (pseq.wrapping_add(1), pts.wrapping_add(160), pssrc)
                );
                assert!(!marker);
            } else {
                assert!(marker, "marker bit on the first packet");
            }
            previous = Some((seq, ts, ssrc));
        }
    }
    let stats = worker.stats();
    assert_eq!(stats.ticks, 10_000);
    assert_eq!(stats.skipped_ticks, 0);
    assert!(
        stats.late_ticks > 1000,
        "some wake-ups were a whole tick late"
    );
    assert_eq!(stats.packets_sent, 20_000);
    assert_eq!(worker.poll_timeout(), Some(start + TICK * 10_000));
}

#[test]
fn missed_ticks_catch_up_to_the_cap_then_resynchronise() {
    let (mut worker, start) = worker_with(&[A], WorkerConfig::default());
    let first = tick(&mut worker);
    let (seq0, ts0, _, _) = header(&first[0]);
    // Asleep for 300 ms: deadlines 20..=300 ms (15) are due.
    worker.handle_timeout(start + Duration::from_millis(305));
    let sent = drain(&mut worker);
    assert_eq!(sent.len(), MAX_CATCH_UP_TICKS as usize);
    let stats = worker.stats();
    assert_eq!(stats.skipped_ticks, 15 - u64::from(MAX_CATCH_UP_TICKS));
    assert_eq!(stats.ticks, 1 + u64::from(MAX_CATCH_UP_TICKS));
    assert_eq!(
        worker.poll_timeout(),
        Some(start + Duration::from_millis(320))
    );
    for (i, transmit) in sent.iter().enumerate() {
        let (seq, ts, _, _) = header(transmit);
        // Sequence numbers count packets; timestamps count media time, skipped ticks included.
        assert_eq!(seq, seq0.wrapping_add(1 + i as u16));
        assert_eq!(ts, ts0.wrapping_add(160 * (13 + i as u32)));
    }
}

#[test]
fn every_leg_gets_comfort_silence_every_tick() {
    let (mut worker, _) = worker_with(&[A, B], WorkerConfig::default());
    worker.join(A, RoomId("r".into()));
    for _ in 0..5 {
        let out = tick(&mut worker);
        assert_eq!(out.len(), 2);
        for t in &out {
            assert_eq!(
                RtpReader::new(&t.payload).unwrap().payload(),
                &[0xFF; FRAME_LEN][..]
            );
            assert_eq!(t.destination.port(), 5000 + t.leg.0 as u16);
        }
    }
    // Roomless legs share the silent encode with each other too.
    assert_eq!(worker.stats().encodes, 10);
}

fn prompt_of(samples: usize, value: i16) -> Arc<Prompt> {
    Arc::new(Prompt::from_pcm(vec![value; samples]))
}

#[test]
fn prompts_play_to_completion_then_report_done() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    // 4000 + 2640 samples: the last one falls in the 42nd frame.
    worker.play(
        A,
        vec![prompt_of(4000, 1000), prompt_of(2640, -2000)],
        false,
        PlayId(1),
    );
    let mut heard = Vec::new();
    for i in 0..42 {
        heard.extend(decode(Codec::Pcmu, &tick(&mut worker)[0]));
        let done = events(&mut worker);
        if i < 41 {
            assert!(done.is_empty(), "tick {i}: {done:?}");
        } else {
            assert_eq!(
                done,
                vec![MediaEvent::PromptDone {
                    leg: A,
                    play: PlayId(1)
                }]
            );
        }
    }
    let q = |x: i16| switchyard_media::g711::decode_ulaw(switchyard_media::g711::encode_ulaw(x));
    assert!(heard[..4000].iter().all(|&s| s == q(1000)));
    assert!(heard[4000..6640].iter().all(|&s| s == q(-2000)));
    assert!(heard[6640..].iter().all(|&s| s == 0));
    tick(&mut worker);
    assert!(events(&mut worker).is_empty());
}

#[test]
fn prompt_done_names_the_list_that_ended_not_the_one_it_replaced() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    worker.play(A, vec![prompt_of(8000, 1000)], false, PlayId(1));
    for _ in 0..5 {
        tick(&mut worker);
    }
    // Two frames' worth: it ends at the second tick after it replaced the first list.
    worker.play(A, vec![prompt_of(2 * FRAME_LEN, -1000)], false, PlayId(2));
    let mut done = Vec::new();
    for _ in 0..60 {
        tick(&mut worker);
        done.extend(events(&mut worker));
    }
    assert_eq!(
        done,
        vec![MediaEvent::PromptDone {
            leg: A,
            play: PlayId(2)
        }]
    );
}

#[test]
fn prompt_is_mixed_on_top_of_the_room() {
    let (mut worker, _) = worker_with(&[A, B], WorkerConfig::default());
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let mut peer = TonePeer::new(B, Codec::Pcmu, 1000.0);
    worker.play(
        A,
        vec![Arc::new(Prompt::from_pcm(tone(300.0, 5000.0, 0, 8000)))],
        false,
        PlayId(1),
    );
    let mut heard = Vec::new();
    for _ in 0..50 {
        peer.send(&mut worker, Duration::from_millis(1));
        heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), A)[0]));
    }
    let settled = &heard[8 * FRAME_LEN..];
    assert!(goertzel(settled, 1000.0, 8000.0) > 4000.0, "hears the room");
    assert!(
        goertzel(settled, 300.0, 8000.0) > 4000.0,
        "hears its prompt"
    );
}

#[test]
fn looped_prompt_never_ends_until_stopped() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    worker.play(
        A,
        vec![prompt_of(100, 500), prompt_of(30, -500)],
        true,
        PlayId(1),
    );
    for _ in 0..500 {
        tick(&mut worker);
    }
    assert!(events(&mut worker).is_empty());
    worker.stop_playback(A);
    let out = tick(&mut worker);
    assert_eq!(decode(Codec::Pcmu, &out[0]), vec![0; FRAME_LEN]);
    assert!(events(&mut worker).is_empty());
}

#[test]
fn a_spoken_prompt_replaces_the_legs_voice_in_its_room_until_stopped() {
    let (mut worker, _) = worker_with(&[A, B], WorkerConfig::default());
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room);
    let mut a = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let ring = Arc::new(Prompt::from_pcm(tone(425.0, 5000.0, 0, 8000)));
    worker.speak(A, vec![ring], true);
    let mut b_heard = Vec::new();
    let mut a_heard = Vec::new();
    for _ in 0..50 {
        a.send(&mut worker, Duration::from_millis(1));
        let out = tick(&mut worker);
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
        a_heard.extend(decode(Codec::Pcmu, sent_by(&out, A)[0]));
    }
    let settled = &b_heard[8 * FRAME_LEN..];
    assert!(
        goertzel(settled, 425.0, 8000.0) > 4000.0,
        "B hears the prompt"
    );
    assert!(
        goertzel(settled, 1000.0, 8000.0) < 100.0,
        "B does not hear what A sends meanwhile"
    );
    assert!(
        goertzel(&a_heard[8 * FRAME_LEN..], 425.0, 8000.0) < 100.0,
        "A does not hear its own voice prompt"
    );
    assert!(
        !events(&mut worker)
            .iter()
            .any(|e| matches!(e, MediaEvent::PromptDone { .. })),
        "a voice prompt reports no prompt-done"
    );

    worker.stop_speaking(A);
    let mut b_heard = Vec::new();
    for _ in 0..50 {
        a.send(&mut worker, Duration::from_millis(1));
        b_heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), B)[0]));
    }
    let settled = &b_heard[8 * FRAME_LEN..];
    assert!(
        goertzel(settled, 1000.0, 8000.0) > 4000.0,
        "A is heard again"
    );
    assert!(
        goertzel(settled, 425.0, 8000.0) < 100.0,
        "the prompt stopped"
    );
}

#[test]
fn a_muted_leg_speaks_no_prompt_and_a_bridge_peer_hears_one() {
    let (mut worker, _) = worker_with(&[A, B], WorkerConfig::default());
    worker.bridge(A, B);
    let ring = Arc::new(Prompt::from_pcm(tone(425.0, 5000.0, 0, 8000)));
    worker.speak(A, vec![ring], true);
    let mut b_heard = Vec::new();
    for _ in 0..30 {
        b_heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), B)[0]));
    }
    assert!(
        goertzel(&b_heard[8 * FRAME_LEN..], 425.0, 8000.0) > 4000.0,
        "the bridge peer hears the prompt"
    );
    worker.set_muted(A, true);
    let mut b_heard = Vec::new();
    for _ in 0..30 {
        if let Some(payload) = sent_by(&tick(&mut worker), B).first() {
            b_heard.extend(decode(Codec::Pcmu, payload));
        }
    }
    assert!(
        goertzel(&b_heard, 425.0, 8000.0) < 100.0,
        "nothing of a muted leg is heard"
    );
}

#[test]
fn an_announcement_is_heard_once_by_the_whole_room() {
    let (mut worker, _) = worker_with(&[A, B], WorkerConfig::default());
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room.clone());
    let mut a = TonePeer::new(A, Codec::Pcmu, 1000.0);
    // 30 frames of 600 Hz.
    worker.announce(
        &room,
        vec![Arc::new(Prompt::from_pcm(tone(
            600.0,
            5000.0,
            0,
            30 * FRAME_LEN,
        )))],
        false,
    );
    worker.announce(
        &RoomId("elsewhere".into()),
        vec![prompt_of(160, 100)],
        false,
    );
    let (mut a_heard, mut b_heard) = (Vec::new(), Vec::new());
    for _ in 0..60 {
        a.send(&mut worker, Duration::from_millis(1));
        let out = tick(&mut worker);
        a_heard.extend(decode(Codec::Pcmu, sent_by(&out, A)[0]));
        b_heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    for (who, heard) in [("A", &a_heard), ("B", &b_heard)] {
        assert!(
            goertzel(&heard[..30 * FRAME_LEN], 600.0, 8000.0) > 4000.0,
            "{who} hears the announcement"
        );
        assert!(
            goertzel(&heard[31 * FRAME_LEN..], 600.0, 8000.0) < 100.0,
            "{who}: it is played once"
        );
    }
    assert!(
        goertzel(&b_heard[40 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0,
        "the room goes on"
    );
    assert!(
        !events(&mut worker)
            .iter()
            .any(|e| matches!(e, MediaEvent::PromptDone { .. })),
        "an announcement reports no prompt-done"
    );
}

#[test]
fn a_looped_announcement_plays_past_its_length_until_stopped() {
    let (mut worker, _) = worker_with(&[A, B], WorkerConfig::default());
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(B, room.clone());
    // 10 frames of 600 Hz, phase-continuous around the loop (600 Hz is 12 cycles a frame).
    let music = Arc::new(Prompt::from_pcm(tone(600.0, 5000.0, 0, 10 * FRAME_LEN)));
    worker.announce(&room, vec![music], true);
    let mut heard = Vec::new();
    for _ in 0..100 {
        heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), B)[0]));
    }
    for lap in heard.chunks(10 * FRAME_LEN) {
        assert!(goertzel(lap, 600.0, 8000.0) > 4000.0, "every lap plays");
    }
    assert!(events(&mut worker).is_empty(), "it never ends by itself");

    worker.stop_announcement(&room);
    let mut heard = Vec::new();
    for _ in 0..20 {
        heard.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), A)[0]));
    }
    assert!(heard.iter().all(|&s| s == 0), "stopped at once");
}

#[test]
fn a_looped_announcement_ends_with_its_room() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.announce(&room, vec![prompt_of(FRAME_LEN, 3000)], true);
    assert_ne!(
        decode(Codec::Pcmu, &tick(&mut worker)[0]),
        vec![0; FRAME_LEN]
    );
    worker.leave(A);
    worker.join(A, room);
    for _ in 0..5 {
        assert_eq!(
            decode(Codec::Pcmu, &tick(&mut worker)[0]),
            vec![0; FRAME_LEN]
        );
    }
}

fn dtmf(seq: u16, ts: u32, event: u8, end: bool, duration: u16, marker: bool) -> Vec<u8> {
    let [hi, lo] = duration.to_be_bytes();
    let flags = if end { 0x80 | 10 } else { 10 };
    rtp(101, seq, ts, 0xD7, marker, &[event, flags, hi, lo])
}

#[test]
fn rfc4733_events_give_one_digit_per_press() {
    let (mut worker, start) = worker_with(&[A, B], WorkerConfig::default());
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    let mut seq = 0u16;
    let mut now = start;
    for (press, event) in [1u8, 2, 2, 11, 10].into_iter().enumerate() {
        let ts = 8000 * press as u32;
        let mut packets = Vec::new();
        for (i, duration) in [160u16, 320, 480].into_iter().enumerate() {
            packets.push(dtmf(seq, ts, event, false, duration, i == 0));
            seq += 1;
        }
        // The end packet, sent three times (RFC 4733 §2.5.1.4).
        for _ in 0..3 {
            packets.push(dtmf(seq, ts, event, true, 800, false));
            seq += 1;
        }
        // The network reorders and duplicates some of them.
        packets.swap(1, 2);
        packets.push(packets[4].clone());
        for packet in packets {
            now += Duration::from_millis(5);
            worker.handle_rtp(now, A, sdp_addr(A), &packet);
        }
    }
    let digits: Vec<char> = events(&mut worker)
        .into_iter()
        .map(|e| match e {
            MediaEvent::Dtmf { leg: A, digit } => digit,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(digits, vec!['1', '2', '2', '#', '*']);
    // Telephone-events are not audio: B hears silence.
    for _ in 0..5 {
        let out = tick(&mut worker);
        assert_eq!(decode(Codec::Pcmu, sent_by(&out, B)[0]), vec![0; FRAME_LEN]);
    }
}

#[test]
fn keys_a_gateway_stamps_alike_are_told_apart_by_their_marker_bits() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    let mut seq = 0;
    // Every key stamped with the same timestamp: the same key twice, then another.
    for event in [1, 1, 2] {
        press(&mut worker, &mut seq, 8_000, event);
    }
    assert_eq!(digits(&mut worker), ['1', '1', '2']);
}

#[test]
fn a_peer_stamping_every_event_packet_anew_gets_100_keys_a_second_reported() {
    let (mut worker, start) = worker_with(&[A], WorkerConfig::default());
    // 500 "presses" in one second: each packet a new event (a new timestamp).
    for n in 0..500u16 {
        let now = start + Duration::from_millis(2 * u64::from(n));
        let packet = dtmf(n, 160 * u32::from(n), 1, false, 160, true);
        worker.handle_rtp(now, A, sdp_addr(A), &packet);
    }
    assert_eq!(digits(&mut worker).len(), usize::from(MAX_KEYS_PER_SECOND));
    assert_eq!(
        worker.stats().keys_over_rate,
        500 - u64::from(MAX_KEYS_PER_SECOND)
    );
    // The next second reports keys again.
    let later = start + Duration::from_millis(1500);
    worker.handle_rtp(
        later,
        A,
        sdp_addr(A),
        &dtmf(600, 160_000, 2, false, 160, true),
    );
    assert_eq!(digits(&mut worker), ['2']);
}

/// The digits of the RFC 4733 events among `worker`'s events for leg A.
fn digits(worker: &mut Worker) -> Vec<char> {
    keys_of(worker, A)
}

/// Sends A's peer's press of `event` stamped `ts` (sequence numbers from `seq`), its end sent
/// three times, just before the next tick, and runs the tick.
fn press(worker: &mut Worker, seq: &mut u16, ts: u32, event: u8) {
    let now = worker.poll_timeout().unwrap() - Duration::from_millis(1);
    for (end, duration, marker) in [(false, 160, true), (true, 800, false), (true, 800, false)] {
        worker.handle_rtp(
            now,
            A,
            sdp_addr(A),
            &dtmf(*seq, ts, event, end, duration, marker),
        );
        *seq = seq.wrapping_add(1);
    }
    tick(worker);
}

/// Sends A's peer's 20 ms audio packets stamped from `ts` on (sequence numbers from `seq`, the
/// SSRC of its events), one a tick, for `ticks` ticks.
fn talk(worker: &mut Worker, seq: &mut u16, ts: u32, ticks: u32) {
    for k in 0..ticks {
        let now = worker.poll_timeout().unwrap() - Duration::from_millis(1);
        let packet = rtp(0, *seq, ts + 160 * k, 0xD7, false, &[0xFF; FRAME_LEN]);
        worker.handle_rtp(now, A, sdp_addr(A), &packet);
        *seq = seq.wrapping_add(1);
        tick(worker);
    }
}

#[test]
fn events_and_comfort_noise_in_the_audios_sequence_are_neither_lost_nor_concealed() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    let mut seq = 0;
    talk(&mut worker, &mut seq, 0, 10);
    // A key press in place of the audio: three packets of the audio's sequence.
    press(&mut worker, &mut seq, 1600, 5);
    talk(&mut worker, &mut seq, 2080, 10);
    // The talker goes quiet twice: comfort noise (not negotiated), then nothing for a while.
    for (ts, pause) in [(3680, 20), (9600, 5)] {
        let now = worker.poll_timeout().unwrap() - Duration::from_millis(1);
        let comfort_noise = rtp(13, seq, ts, 0xD7, false, &[0x40]);
        worker.handle_rtp(now, A, sdp_addr(A), &comfort_noise);
        seq += 1;
        for _ in 0..pause {
            tick(&mut worker);
        }
        if pause == 20 {
            talk(&mut worker, &mut seq, 8000, 10);
        }
    }
    let stats = worker.stats();
    assert_eq!(stats.jitter.lost, 0, "{:?}", stats.jitter);
    assert_eq!(stats.jitter.concealed, 0, "{:?}", stats.jitter);
    assert_eq!(stats.unknown_payload_type, 0);
    assert_eq!(stats.packets_received, 35);
    assert_eq!(stats.jitter.played, 30);
    assert_eq!(digits(&mut worker), ['5']);
}

#[test]
fn keepalives_in_the_audios_sequence_are_no_loss() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    let mut seq = 0;
    talk(&mut worker, &mut seq, 0, 10);
    // RFC 6263 keepalives in the pauses, numbered among the audio: one of a payload type
    // nobody agreed, one of the audio's with no payload.
    for (ts, pt, payload) in [(1600, 126, &[0x40][..]), (8000, 0, &[][..])] {
        let now = worker.poll_timeout().unwrap() - Duration::from_millis(1);
        worker.handle_rtp(now, A, sdp_addr(A), &rtp(pt, seq, ts, 0xD7, false, payload));
        seq += 1;
        for _ in 0..20 {
            tick(&mut worker);
        }
        talk(&mut worker, &mut seq, ts + 6400, 10);
    }
    let stats = worker.stats();
    assert_eq!(stats.jitter.lost, 0, "{:?}", stats.jitter);
    assert_eq!(stats.jitter.concealed, 0, "{:?}", stats.jitter);
    assert_eq!(stats.jitter.received, 30);
    assert_eq!(
        (stats.unknown_payload_type, stats.malformed_packets),
        (1, 0)
    );
}

#[test]
fn empty_keepalives_of_the_audios_type_keep_a_leg_alive_and_are_not_malformed() {
    let config = WorkerConfig {
        rtp_timeout: Some(Duration::from_millis(500)),
        ..WorkerConfig::default()
    };
    let (mut worker, _) = worker_with(&[A], config);
    let mut seq = 0;
    talk(&mut worker, &mut seq, 0, 10);
    // The peer pauses for 3 s, sending an RFC 6263 keepalive (the audio's payload type, no
    // payload) every 300 ms.
    let mut timeouts = Vec::new();
    for k in 0..150u32 {
        if k % 15 == 0 {
            let now = worker.poll_timeout().unwrap() - Duration::from_millis(1);
            let keepalive = rtp(0, seq, 1600 + 160 * k, 0xD7, false, &[]);
            worker.handle_rtp(now, A, sdp_addr(A), &keepalive);
            seq += 1;
        }
        tick(&mut worker);
        timeouts.extend(events(&mut worker));
    }
    assert_eq!(timeouts, []);
    talk(&mut worker, &mut seq, 1600 + 160 * 150, 10);
    let stats = worker.stats();
    assert_eq!((stats.malformed_packets, stats.packets_received), (0, 30));
    assert_eq!((stats.jitter.lost, stats.jitter.concealed), (0, 0));
    // Silence with no keepalive times the leg out.
    for _ in 0..30 {
        tick(&mut worker);
        timeouts.extend(events(&mut worker));
    }
    assert_eq!(timeouts, [MediaEvent::RtpTimeout { leg: A }]);
}

#[test]
fn a_marked_packet_looking_like_rtcp_is_rtp_unless_rtcp_is_muxed() {
    // PCMU numbered 77: each talkspurt opens with a second octet of 0x80 | 77 = 205, which
    // RFC 5761 §4 reads as RTCP only on a port that carries both.
    let (mut worker, start) = worker_with(&[], WorkerConfig::default());
    let pcmu_77 = LegParams {
        payload_type: 77,
        ..params(Codec::Pcmu, 5000 + A.0 as u16)
    };
    worker.add_leg(start, A, pcmu_77);
    for k in 0..5u16 {
        let now = worker.poll_timeout().unwrap() - Duration::from_millis(1);
        let packet = rtp(77, k, 160 * u32::from(k), 0xD7, k == 0, &[0xFF; FRAME_LEN]);
        worker.handle_rtp(now, A, sdp_addr(A), &packet);
        tick(&mut worker);
    }
    let stats = worker.stats();
    assert_eq!((stats.packets_received, stats.rtcp_malformed), (5, 0));
    assert_eq!(stats.jitter.played, 5, "{:?}", stats.jitter);
    assert_eq!((stats.jitter.lost, stats.jitter.concealed), (0, 0));
    // Where RTCP is muxed, the same range is RTCP: this one too short to be valid.
    let muxed = LegParams {
        rtcp: RtcpPath::Muxed,
        ..params(Codec::Pcmu, 5000 + B.0 as u16)
    };
    worker.add_leg(start, B, muxed);
    worker.handle_rtp(start, B, sdp_addr(B), &[0x80, 200, 0, 9]);
    let stats = worker.stats();
    assert_eq!((stats.rtcp_malformed, stats.malformed_packets), (1, 0));
}

#[test]
fn a_long_key_at_8_khz_beside_opus_is_one_key_with_its_segments_stamped_on_the_opus_clock() {
    let (mut worker, _) = worker_with(&[], WorkerConfig::default());
    let opus = LegParams {
        payload_type: 96,
        telephone_event: Some(TelephoneEvent {
            payload_type: 101,
            clock_rate: 8000,
        }),
        ..params(Codec::Opus, 5000 + A.0 as u16)
    };
    let now = worker.poll_timeout().unwrap();
    worker.add_leg(now, A, opus);
    // A key held for 20 s: three segments of 65535 units at 8 kHz, each stamped where the
    // last one ended on the 48 kHz clock.
    let step = 6 * u32::from(u16::MAX);
    for (seq, segment) in (0u16..).zip(0..3u32) {
        let now = worker.poll_timeout().unwrap() - Duration::from_millis(1);
        let packet = dtmf(seq, segment * step, 4, false, u16::MAX, segment == 0);
        worker.handle_rtp(now, A, sdp_addr(A), &packet);
        tick(&mut worker);
    }
    assert_eq!(digits(&mut worker), ['4']);
}

#[test]
fn a_key_after_a_re_negotiation_is_reported_though_stamped_earlier() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    let mut seq = 0;
    talk(&mut worker, &mut seq, 900_000, 5);
    press(&mut worker, &mut seq, 900_800, 1);
    assert_eq!(digits(&mut worker), ['1']);
    // A hold and a resume by re-INVITE; the stream resumes under the same SSRC from a source
    // on a clock of its own.
    let resumed = params(Codec::Pcmu, 5000 + A.0 as u16);
    let held = LegParams {
        direction: MediaDirection::SendOnly,
        ..resumed.clone()
    };
    for leg_params in [held, resumed] {
        let now = worker.poll_timeout().unwrap();
        worker.update_leg(now, A, leg_params);
        tick(&mut worker);
    }
    press(&mut worker, &mut seq, 3_200, 2);
    assert_eq!(digits(&mut worker), ['2']);
}

#[test]
fn a_key_after_the_audio_s_timestamps_jump_is_reported_though_stamped_earlier() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    let mut seq = 0;
    talk(&mut worker, &mut seq, 900_000, 5);
    press(&mut worker, &mut seq, 900_800, 1);
    talk(&mut worker, &mut seq, 901_600, 5);
    // A new source behind the same SSRC and sequence numbers, its timestamps from elsewhere.
    talk(&mut worker, &mut seq, 1_600, 5);
    press(&mut worker, &mut seq, 2_400, 2);
    assert_eq!(digits(&mut worker), ['1', '2']);
}

#[test]
fn a_key_that_starts_a_new_source_behind_the_same_ssrc_is_reported() {
    let (mut worker, _) = worker_with(&[A], WorkerConfig::default());
    let mut seq = 1_000;
    talk(&mut worker, &mut seq, 4_800_000, 5);
    press(&mut worker, &mut seq, 4_801_000, 5);
    // Another source behind the same SSRC (an SBC re-routed the call), silent with VAD: its
    // first packets are a key press, its sequence numbers and timestamps from elsewhere. Its
    // second packet confirms the jump; that and the later presses are new timelines' keys.
    let mut seq = 40_000;
    press(&mut worker, &mut seq, 1_600, 7);
    talk(&mut worker, &mut seq, 2_400, 3);
    press(&mut worker, &mut seq, 3_200, 8);
    assert_eq!(digits(&mut worker), ['5', '7', '8']);
}

#[test]
fn silence_raises_one_rtp_timeout_rearmed_by_traffic() {
    let config = WorkerConfig {
        rtp_timeout: Some(Duration::from_secs(1)),
        ..WorkerConfig::default()
    };
    let (mut worker, start) = worker_with(&[A], config);
    let mut peer = TonePeer::new(A, Codec::Pcmu, 500.0);
    let mut timeouts = Vec::new();
    for k in 0..300u32 {
        let deadline = worker.poll_timeout().unwrap();
        // The peer talks for the first 10 ticks and again around tick 150.
        if k < 10 || (150..155).contains(&k) {
            peer.send(&mut worker, Duration::ZERO);
        }
        tick(&mut worker);
        for event in events(&mut worker) {
            assert_eq!(event, MediaEvent::RtpTimeout { leg: A });
            timeouts.push(deadline - start);
        }
    }
    // Last packets at 180 ms and 3080 ms: timeouts at the first ticks one second later.
    assert_eq!(
        timeouts,
        vec![Duration::from_millis(1180), Duration::from_millis(4080)]
    );
}

#[test]
fn a_rearmed_rtp_timeout_fires_again_one_timeout_later_unless_rtp_comes() {
    let config = WorkerConfig {
        rtp_timeout: Some(Duration::from_secs(1)),
        ..WorkerConfig::default()
    };
    let (mut worker, start) = worker_with(&[A, B], config);
    // Both peers silent from the start: both time out once, at 1 s.
    let mut timeouts = Vec::new();
    for _ in 0..75 {
        let deadline = worker.next_tick();
        tick(&mut worker);
        timeouts.extend(
            events(&mut worker)
                .into_iter()
                .map(|e| (e, deadline - start)),
        );
    }
    let second = Duration::from_secs(1);
    assert_eq!(
        timeouts,
        [A, B].map(|leg| (MediaEvent::RtpTimeout { leg }, second))
    );
    let rearmed = worker.next_tick() - Duration::from_millis(7);
    worker.rearm_rtp_timeout(A, rearmed);
    worker.rearm_rtp_timeout(B, rearmed);
    // A's peer stays silent; B's talks from the re-arm on.
    let mut peer = TonePeer::new(B, Codec::Pcmu, 500.0);
    let mut timeouts = Vec::new();
    for _ in 0..150 {
        let deadline = worker.next_tick();
        peer.send(&mut worker, Duration::ZERO);
        tick(&mut worker);
        timeouts.extend(events(&mut worker).into_iter().map(|e| (e, deadline)));
    }
    // The first tick at or past one timeout after the re-arm.
    let due = rearmed + second + Duration::from_millis(7);
    assert_eq!(timeouts, [(MediaEvent::RtpTimeout { leg: A }, due)]);
}

#[test]
fn a_rearmed_rtp_timeout_leaves_the_legs_stream_decoded_as_before() {
    let start = Instant::now();
    let mut worker = worker_at(start, 7, &[(A, Codec::G722), (B, Codec::Pcmu)]);
    for leg in [A, B] {
        worker.join(leg, RoomId("r".into()));
    }
    let mut talker = TonePeer::new(A, Codec::G722, 440.0);
    let mut heard = Listener::new(B, Codec::Pcmu);
    for frame in 0..150 {
        let lead = Duration::from_millis(1);
        talker.send(&mut worker, lead);
        if frame == 75 {
            // Mid-stream: a packet waits in A's jitter buffer, its decoder's state runs on.
            worker.rearm_rtp_timeout(A, worker.next_tick() - lead);
        }
        heard.take(&tick(&mut worker));
    }
    let samples = &heard.heard[heard.heard.len() / 5..];
    assert_continuous_tone(&"B hearing A", samples, 8000);
    let jitter = worker.stats().jitter;
    assert_eq!(
        (jitter.played, jitter.concealed),
        (jitter.received, 0),
        "every packet played, none concealed: {jitter:?}"
    );
}

#[test]
fn an_rtp_timeout_past_the_clocks_end_never_fires() {
    let config = WorkerConfig {
        rtp_timeout: Some(Duration::from_secs(u64::MAX)),
        ..WorkerConfig::default()
    };
    let (mut worker, _) = worker_with(&[A], config);
    let mut peer = TonePeer::new(A, Codec::Pcmu, 500.0);
    peer.send(&mut worker, Duration::ZERO);
    for _ in 0..100 {
        tick(&mut worker);
        assert_eq!(events(&mut worker), Vec::new());
    }
}

#[test]
fn a_peer_numbering_its_payload_types_otherwise_is_heard_with_its_own() {
    // We offered PCMU as 98 and telephone-event as 101; the answer numbered them 0 and
    // 100. The peer sends with our numbers, and is sent its own.
    let (mut worker, start) = worker_with(&[], WorkerConfig::default());
    let params = LegParams {
        telephone_event: Some(TelephoneEvent {
            payload_type: 100,
            clock_rate: 8000,
        }),
        incoming: Some(IncomingPayloadTypes {
            audio: 98,
            telephone_event: Some(101),
            other_law: None,
        }),
        ..params(Codec::Pcmu, 5000 + A.0 as u16)
    };
    worker.add_leg(start, A, params);
    worker.handle_rtp(
        start,
        A,
        sdp_addr(A),
        &rtp(98, 1, 0, 5, false, &[0xFF; 160]),
    );
    worker.handle_rtp(
        start,
        A,
        sdp_addr(A),
        &rtp(0, 2, 160, 5, false, &[0xFF; 160]),
    );
    worker.handle_rtp(start, A, sdp_addr(A), &dtmf(3, 320, 5, true, 800, true));
    let stats = worker.stats();
    assert_eq!(
        stats.jitter.received, 1,
        "the audio in our numbering is taken"
    );
    assert_eq!(
        stats.unknown_payload_type, 1,
        "the answer's number is not what the peer sends"
    );
    assert_eq!(
        events(&mut worker),
        [MediaEvent::Dtmf { leg: A, digit: '5' }]
    );
}

#[test]
fn a_peer_sending_the_other_g711_law_its_answer_listed_is_heard() {
    let (mut worker, start) = worker_with(&[B], WorkerConfig::default());
    let params = LegParams {
        incoming: Some(IncomingPayloadTypes {
            audio: 8,
            telephone_event: Some(101),
            other_law: Some(0),
        }),
        ..params(Codec::Pcma, 5000 + A.0 as u16)
    };
    worker.add_leg(start, A, params);
    worker.join(A, RoomId("r".into()));
    worker.join(B, RoomId("r".into()));
    let mut peer = TonePeer::new(A, Codec::Pcmu, 700.0);
    let mut heard = Vec::new();
    for _ in 0..40 {
        peer.send(&mut worker, Duration::ZERO);
        let out = tick(&mut worker);
        heard.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
    }
    let power = |freq| goertzel(&heard[800..], freq, 8000.0);
    assert!(power(700.0) > 4000.0, "{}", power(700.0));
    // Decoded as the law it came in: a clean tone. Read as the leg's own law, the bytes give
    // a loud, distorted one.
    for harmonic in [2100.0, 3500.0] {
        assert!(
            power(harmonic) < power(700.0) / 100.0,
            "{harmonic} Hz: {}",
            power(harmonic)
        );
    }
    assert_eq!(worker.stats().unknown_payload_type, 0);
}

#[test]
fn bad_packets_are_counted_and_dropped() {
    let (mut worker, start) = worker_with(&[A], WorkerConfig::default());
    let good = rtp(0, 1, 0, 5, false, &[0xFF; 160]);
    let mut bad_version = good.clone();
    bad_version[0] = 0x40;
    let mut truncated_csrc = good[..14].to_vec();
    truncated_csrc[0] |= 0x03;
    let mut zero_padding = good.clone();
    zero_padding[0] |= 0x20;
    *zero_padding.last_mut().unwrap() = 0;
    let short_event = rtp(101, 3, 320, 5, false, &[1, 2]);
    for packet in [
        &[0x80u8, 0, 1][..],
        &bad_version,
        &truncated_csrc,
        &zero_padding,
        &short_event,
    ] {
        worker.handle_rtp(start, A, sdp_addr(A), packet);
    }
    worker.handle_rtp(start, A, sdp_addr(A), &rtp(126, 4, 480, 5, false, &[0x40]));
    worker.handle_rtp(start, LegId(77), sdp_addr(A), &good);
    worker.handle_rtp(start, A, sdp_addr(A), &good);
    let stats = worker.stats();
    assert_eq!(stats.malformed_packets, 5);
    assert_eq!(stats.unknown_payload_type, 1);
    assert_eq!(stats.unknown_leg_packets, 1);
    assert_eq!(stats.packets_received, 2);
    assert_eq!(stats.jitter.received, 1);
}

#[test]
fn joining_another_room_leaves_the_first() {
    let (mut worker, _) = worker_with(&[A, B, LegId(3)], WorkerConfig::default());
    let mut peer = TonePeer::new(A, Codec::Pcmu, 700.0);
    worker.join(A, RoomId("one".into()));
    worker.join(B, RoomId("one".into()));
    worker.join(LegId(3), RoomId("two".into()));
    worker.join(A, RoomId("two".into()));
    let (mut heard_b, mut heard_3) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        peer.send(&mut worker, Duration::ZERO);
        let out = tick(&mut worker);
        heard_b.extend(decode(Codec::Pcmu, sent_by(&out, B)[0]));
        heard_3.extend(decode(Codec::Pcmu, sent_by(&out, LegId(3))[0]));
    }
    assert!(goertzel(&heard_b, 700.0, 8000.0) < 1.0);
    assert!(goertzel(&heard_3, 700.0, 8000.0) > 4000.0);
    let now = worker.poll_timeout().unwrap();
    worker.remove_leg(now, A);
    assert!(sent_by(&tick(&mut worker), A).is_empty());
}

#[test]
fn same_seed_same_inputs_same_bytes() {
    let run = || {
        let (mut worker, _) = worker_with(&[A, B], WorkerConfig::default());
        worker.join(A, RoomId("r".into()));
        worker.join(B, RoomId("r".into()));
        let mut peer = TonePeer::new(A, Codec::Pcmu, 900.0);
        let mut all = Vec::new();
        for _ in 0..30 {
            peer.send(&mut worker, Duration::ZERO);
            all.extend(tick(&mut worker));
        }
        all
    };
    let first = run();
    // Each of the 30 ticks sends one packet to each of the two legs.
    assert_eq!(first.len(), 60);
    assert_eq!(first, run());
}

#[test]
fn renegotiation_keeps_the_outgoing_stream_unless_its_clock_rate_changes() {
    let (mut worker, start) = worker_with(&[A], WorkerConfig::default());
    let (seq0, ts0, ssrc0, _) = header(&tick(&mut worker)[0]);
    worker.add_leg(start, A, params(Codec::Pcma, 6000));
    let out = tick(&mut worker);
    let (seq, ts, ssrc, marker) = header(&out[0]);
    assert_eq!(
        (seq, ts, ssrc, marker),
        (seq0.wrapping_add(1), ts0.wrapping_add(160), ssrc0, false)
    );
    assert_eq!(RtpReader::new(&out[0].payload).unwrap().payload_type(), 8);
    assert_eq!(
        RtpReader::new(&out[0].payload).unwrap().payload(),
        &[0xD5; FRAME_LEN][..]
    );
    assert_eq!(out[0].destination.port(), 6000);
    // Opus runs on a 48 kHz clock: a new stream, its first packet marked.
    let opus = LegParams {
        payload_type: 111,
        ..params(Codec::Opus, 6000)
    };
    worker.add_leg(start, A, opus);
    let out = tick(&mut worker);
    let (_, _, opus_ssrc, marker) = header(&out[0]);
    assert_ne!(opus_ssrc, ssrc0);
    assert!(marker);
    assert_eq!(RtpReader::new(&out[0].payload).unwrap().payload_type(), 111);
    let (_, ts1, _, _) = header(&tick(&mut worker)[0]);
    let (_, ts2, ssrc2, _) = header(&tick(&mut worker)[0]);
    assert_eq!((ts2.wrapping_sub(ts1), ssrc2), (960, opus_ssrc));
}

#[test]
fn tick_lateness_is_counted_by_how_late() {
    let (mut worker, start) = worker_with(&[A], WorkerConfig::default());
    // The ticks due at start and at 20 ms run at 25 ms: 25 and 5 ms late; the one due at
    // 40 ms runs on time.
    worker.handle_timeout(start + Duration::from_millis(25));
    worker.handle_timeout(start + Duration::from_millis(40));
    let lateness = worker.stats().lateness;
    assert_eq!(lateness.buckets.iter().sum::<u64>(), 3);
    assert_eq!(lateness.later_than(20), 1);
    assert_eq!(lateness.later_than(2), 2);
    assert_eq!(lateness.buckets[0], 1, "on time: {lateness:?}");
}
