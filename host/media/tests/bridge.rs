//! Two-party bridges on virtual time.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use switchyard_media::{
    Codec, FRAME_LEN, LegId, MediaEvent, MediaTransmit, PlayId, Prompt, RoomId, Worker,
};

const A: LegId = LegId(1);
const B: LegId = LegId(2);
const C: LegId = LegId(3);
const LEAD: Duration = Duration::from_millis(1);
// With the default playout delay (20 ms on a clean network: at most one tick), a packet sent
// just before tick k plays at tick k.
const DELAY_TICKS: usize = 0;
const ULAW_SILENCE: [u8; FRAME_LEN] = [0xFF; FRAME_LEN];

fn worker(legs: &[(LegId, Codec)]) -> Worker {
    worker_at(Instant::now(), 7, legs)
}

/// The payload each of `legs` was sent at this tick (exactly one packet each).
fn heard(out: &[MediaTransmit], legs: &[LegId]) -> Vec<Vec<u8>> {
    legs.iter()
        .map(|&leg| {
            let sent = sent_by(out, leg);
            assert_eq!(sent.len(), 1, "{leg:?} gets one packet per tick");
            rtp_payload(&sent[0].payload).to_vec()
        })
        .collect()
}

#[test]
fn same_codec_bridge_relays_each_payload_unchanged() {
    let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    // Not a whole number of cycles per frame, so every frame's bytes differ.
    let mut peer_a = TonePeer::new(A, Codec::Pcmu, 1010.0);
    let mut peer_b = TonePeer::new(B, Codec::Pcmu, 730.0);
    let (mut said_a, mut said_b, mut heard_a, mut heard_b) = (vec![], vec![], vec![], vec![]);
    let mut to_b = Vec::new();
    for _ in 0..50 {
        said_a.push(rtp_payload(&peer_a.send(&mut worker, LEAD)).to_vec());
        said_b.push(rtp_payload(&peer_b.send(&mut worker, LEAD)).to_vec());
        let out = tick(&mut worker);
        let [a, b] = <[Vec<u8>; 2]>::try_from(heard(&out, &[A, B])).unwrap();
        heard_a.push(a);
        heard_b.push(b);
        to_b.push(header(sent_by(&out, B)[0]));
    }
    for ticked in [&heard_a, &heard_b] {
        assert!(
            ticked[..DELAY_TICKS].iter().all(|p| p[..] == ULAW_SILENCE),
            "silence while the peer's audio is buffering"
        );
    }
    assert_eq!(
        heard_b[DELAY_TICKS..],
        said_a[..50 - DELAY_TICKS],
        "B gets A's bytes"
    );
    assert_eq!(
        heard_a[DELAY_TICKS..],
        said_b[..50 - DELAY_TICKS],
        "A gets B's bytes"
    );
    // B's packets carry B's own stream, not A's peer's.
    for pair in to_b.windows(2) {
        let ((seq0, ts0, ssrc0, _), (seq1, ts1, ssrc1, marker)) = (pair[0], pair[1]);
        assert_eq!(
            (seq1, ts1, ssrc1, marker),
            (seq0.wrapping_add(1), ts0.wrapping_add(160), ssrc0, false),
            "B's stream numbers on by one packet and one frame"
        );
        assert_ne!(ssrc1, peer_a.ssrc, "relayed under B's own SSRC");
    }
    let stats = worker.stats();
    assert_eq!(
        stats.relayed_frames,
        2 * (50 - DELAY_TICKS as u64),
        "every frame after the playout delay relayed, both ways"
    );
    assert_eq!(stats.encodes, 0, "a same-codec bridge never uses the mixer");
    assert_eq!(stats.bridged_transcodes, 0, "nothing to transcode");
}

#[test]
fn pcmu_pcma_bridge_transcodes_each_frame() {
    let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcma)]);
    worker.bridge(A, B);
    let mut peer_a = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let mut peer_b = TonePeer::new(B, Codec::Pcma, 700.0);
    let (mut heard_a, mut heard_b) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        peer_a.send(&mut worker, LEAD);
        peer_b.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        heard_a.extend(decode(Codec::Pcmu, sent_by(&out, A)[0]));
        heard_b.extend(decode(Codec::Pcma, sent_by(&out, B)[0]));
    }
    let (heard_a, heard_b) = (&heard_a[4 * FRAME_LEN..], &heard_b[4 * FRAME_LEN..]);
    assert!(
        goertzel(heard_b, 1000.0, 8000.0) > 4000.0,
        "B hears A's tone"
    );
    assert!(
        goertzel(heard_b, 700.0, 8000.0) < 50.0,
        "B does not hear itself"
    );
    assert!(
        goertzel(heard_a, 700.0, 8000.0) > 4000.0,
        "A hears B's tone"
    );
    assert!(
        goertzel(heard_a, 1000.0, 8000.0) < 50.0,
        "A does not hear itself"
    );
    let stats = worker.stats();
    assert_eq!(
        stats.bridged_transcodes,
        2 * (50 - DELAY_TICKS as u64),
        "every frame after the playout delay transcoded, both ways"
    );
    assert_eq!(
        stats.relayed_frames, 0,
        "different codecs are never relayed"
    );
    assert_eq!(stats.encodes, 0, "transcoding goes around the mixer");
}

#[test]
fn prompt_on_a_bridged_leg_plays_over_the_peer() {
    let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    let mut peer_b = TonePeer::new(B, Codec::Pcmu, 1000.0);
    // One second: 50 frames.
    let prompt = Prompt::from_pcm(tone(300.0, 5000.0, 0, 8000));
    worker.play(A, vec![Arc::new(prompt)], false, PlayId(1));
    let mut heard_a = Vec::new();
    for _ in 0..50 {
        peer_b.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        heard_a.extend(decode(Codec::Pcmu, sent_by(&out, A)[0]));
        assert_eq!(
            rtp_payload(&sent_by(&out, B)[0].payload),
            &ULAW_SILENCE[..],
            "A says nothing"
        );
    }
    let settled = &heard_a[4 * FRAME_LEN..];
    assert!(goertzel(settled, 1000.0, 8000.0) > 4000.0, "A hears B");
    assert!(
        goertzel(settled, 300.0, 8000.0) > 4000.0,
        "A hears its prompt"
    );
    assert_eq!(
        events(&mut worker),
        vec![MediaEvent::PromptDone {
            leg: A,
            play: PlayId(1)
        }],
        "the prompt ends once, on its 50th frame"
    );
    let stats = worker.stats();
    assert_eq!(
        stats.bridged_transcodes, 50,
        "every prompt frame is rendered for A"
    );
    assert_eq!(
        stats.relayed_frames, 0,
        "nothing relayed while the prompt plays"
    );
    // With the prompt over, B's audio goes to A as is again.
    for _ in 0..10 {
        peer_b.send(&mut worker, LEAD);
        tick(&mut worker);
    }
    assert_eq!(worker.stats().relayed_frames, 10, "relaying resumes");
}

#[test]
fn unbridged_legs_hear_silence() {
    let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    let mut peer_a = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let mut peer_b = TonePeer::new(B, Codec::Pcmu, 700.0);
    for _ in 0..10 {
        peer_a.send(&mut worker, LEAD);
        peer_b.send(&mut worker, LEAD);
        tick(&mut worker);
    }
    let relayed = worker.stats().relayed_frames;
    assert!(relayed > 0, "bridged first");
    worker.unbridge(B);
    for _ in 0..10 {
        peer_a.send(&mut worker, LEAD);
        peer_b.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        assert!(
            heard(&out, &[A, B]).iter().all(|p| p[..] == ULAW_SILENCE),
            "alone, each hears silence"
        );
    }
    assert_eq!(
        worker.stats().relayed_frames,
        relayed,
        "no relay after unbridge"
    );
}

#[test]
fn joining_a_room_leaves_the_bridge() {
    let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcmu), (C, Codec::Pcmu)]);
    worker.bridge(A, B);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(C, room);
    let mut peer_a = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let mut heard_c = Vec::new();
    for _ in 0..30 {
        peer_a.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        let [_, b, _] = <[Vec<u8>; 3]>::try_from(heard(&out, &[A, B, C])).unwrap();
        assert_eq!(b, ULAW_SILENCE, "B, left alone, hears silence");
        heard_c.extend(decode(Codec::Pcmu, sent_by(&out, C)[0]));
    }
    assert!(
        goertzel(&heard_c[4 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0,
        "A talks in the room"
    );
    assert_eq!(worker.stats().relayed_frames, 0, "the bridge is gone");
}

#[test]
fn bridging_takes_legs_out_of_their_room_and_bridge() {
    const D: LegId = LegId(4);
    let legs = [A, B, C, D].map(|leg| (leg, Codec::Pcmu));
    let mut worker = worker(&legs);
    let room = RoomId("r".into());
    worker.join(A, room.clone());
    worker.join(C, room);
    worker.bridge(B, D);
    worker.bridge(A, B);
    let mut peer_a = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let mut peer_b = TonePeer::new(B, Codec::Pcmu, 700.0);
    let (mut said_a, mut heard_a, mut heard_b) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..30 {
        said_a.extend_from_slice(rtp_payload(&peer_a.send(&mut worker, LEAD)));
        peer_b.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        let [a, b, c, d] = <[Vec<u8>; 4]>::try_from(heard(&out, &[A, B, C, D])).unwrap();
        assert_eq!(c, ULAW_SILENCE, "A has left C's room");
        assert_eq!(d, ULAW_SILENCE, "B has left D's bridge");
        heard_a.extend(a);
        heard_b.extend(b);
    }
    assert_eq!(
        heard_b[DELAY_TICKS * FRAME_LEN..],
        said_a[..(30 - DELAY_TICKS) * FRAME_LEN],
        "B hears A as sent"
    );
    assert_eq!(
        worker.stats().relayed_frames,
        2 * (30 - DELAY_TICKS as u64),
        "A and B relay both ways"
    );
    assert!(heard_a.iter().any(|&byte| byte != 0xFF), "A hears B");
}

#[test]
fn removing_a_bridged_leg_leaves_its_peer_alone() {
    let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcmu), (C, Codec::Pcmu)]);
    worker.bridge(A, B);
    let mut peer_b = TonePeer::new(B, Codec::Pcmu, 700.0);
    for _ in 0..10 {
        peer_b.send(&mut worker, LEAD);
        tick(&mut worker);
    }
    let now = worker.next_tick();
    worker.remove_leg(now, B);
    for _ in 0..5 {
        let out = tick(&mut worker);
        assert!(sent_by(&out, B).is_empty(), "B is gone");
        assert_eq!(heard(&out, &[A]), vec![ULAW_SILENCE.to_vec()], "A is alone");
    }
    // A can be bridged again.
    worker.bridge(A, C);
    let mut peer_c = TonePeer::new(C, Codec::Pcmu, 1000.0);
    let mut heard_a = Vec::new();
    for _ in 0..20 {
        peer_c.send(&mut worker, LEAD);
        heard_a.extend(decode(Codec::Pcmu, sent_by(&tick(&mut worker), A)[0]));
    }
    assert!(
        goertzel(&heard_a[4 * FRAME_LEN..], 1000.0, 8000.0) > 4000.0,
        "A hears its new peer"
    );
}

#[test]
fn a_muted_leg_is_not_relayed() {
    let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    worker.set_muted(A, true);
    let mut peer_a = TonePeer::new(A, Codec::Pcmu, 1000.0);
    let mut peer_b = TonePeer::new(B, Codec::Pcmu, 700.0);
    let mut heard_a = Vec::new();
    for _ in 0..20 {
        peer_a.send(&mut worker, LEAD);
        peer_b.send(&mut worker, LEAD);
        let out = tick(&mut worker);
        assert_eq!(
            heard(&out, &[B]),
            vec![ULAW_SILENCE.to_vec()],
            "B hears nothing of muted A"
        );
        heard_a.extend(decode(Codec::Pcmu, sent_by(&out, A)[0]));
    }
    assert!(
        goertzel(&heard_a[4 * FRAME_LEN..], 700.0, 8000.0) > 4000.0,
        "muted A still hears B"
    );
    assert_eq!(
        worker.stats().relayed_frames,
        20 - DELAY_TICKS as u64,
        "only B's frames relayed"
    );
    worker.set_muted(A, false);
    peer_a.send(&mut worker, LEAD);
    peer_b.send(&mut worker, LEAD);
    let out = tick(&mut worker);
    assert_ne!(
        heard(&out, &[B])[0],
        ULAW_SILENCE,
        "unmuted A is heard again"
    );
    assert_eq!(
        worker.stats().relayed_frames,
        20 - DELAY_TICKS as u64 + 2,
        "both directions relayed once A is unmuted"
    );
}

#[test]
fn ten_ms_payloads_are_joined_into_frames_and_relayed() {
    let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    let start = worker.next_tick();
    // A peer packing 10 ms per packet: half a frame each, each packet's bytes its own.
    let halves: Vec<Vec<u8>> = (0..4u8)
        .map(|n| (0..FRAME_LEN as u8 / 2).map(|i| i + 16 * n).collect())
        .collect();
    for (seq, half) in halves.iter().enumerate() {
        let packet = rtp(0, seq as u16, seq as u32 * 80, 0xA, seq == 0, half);
        worker.handle_rtp(start, A, sdp_addr(A), &packet);
    }
    let mut to_b = Vec::new();
    for _ in 0..7 {
        to_b.push(heard(&tick(&mut worker), &[B]).remove(0));
    }
    // 10 ms packets wait up to 10 ms more for the second half of their frame: playout starts
    // at the second tick.
    assert_eq!(
        to_b[..3],
        [
            ULAW_SILENCE.to_vec(),
            halves[..2].concat(),
            halves[2..].concat(),
        ],
        "two packets per frame, in order"
    );
    // The stream stopping cannot be told from a loss for 60 ms: concealed, then silence.
    assert!(
        to_b[3..6].iter().all(|p| p[..] != ULAW_SILENCE),
        "concealed"
    );
    assert_eq!(to_b[6], ULAW_SILENCE.to_vec());
    let stats = worker.stats();
    assert_eq!(stats.jitter.concealed, 3);
    assert_eq!(
        stats.relayed_frames,
        2 + 3,
        "joined frames are relayed as is, and so is their concealment"
    );
    assert_eq!(stats.bridged_transcodes, 0);
}

#[test]
fn dtmf_from_either_bridged_leg_is_reported_not_relayed() {
    for (presser, peer) in [(A, B), (B, A)] {
        let mut worker = worker(&[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
        worker.bridge(A, B);
        let now = worker.next_tick();
        // Key 5, RFC 4733 event 5.
        worker.handle_rtp(
            now,
            presser,
            sdp_addr(presser),
            &rtp(101, 1, 0, 0xD7, true, &[5, 10, 0, 160]),
        );
        assert_eq!(
            events(&mut worker),
            vec![MediaEvent::Dtmf {
                leg: presser,
                digit: '5'
            }],
            "the key press of {presser:?} is reported"
        );
        for _ in 0..5 {
            assert_eq!(
                heard(&tick(&mut worker), &[peer]),
                vec![ULAW_SILENCE.to_vec()],
                "telephone-events are not audio for {peer:?}"
            );
        }
    }
}

#[test]
fn a_stateful_codec_s_stream_stays_continuous_through_gain_changes_and_a_loss() {
    for codec in [Codec::G722, Codec::Opus] {
        let mut worker = worker(&[(A, codec), (B, codec)]);
        worker.bridge(A, B);
        let mut peer_a = TonePeer::new(A, codec, 440.0);
        let mut heard_b = Listener::new(B, codec);
        for frame in 0..150 {
            // Each of these makes a frame other than the one A's peer sent whole: a gain for a
            // while, then a lost packet.
            match frame {
                40 => worker.set_gain(A, 0.5),
                60 => worker.set_gain(A, 0.0),
                _ => {}
            }
            let packet = peer_a.next_packet();
            if frame != 100 {
                let now = worker.next_tick() - LEAD;
                worker.handle_rtp(now, A, peer_a.source, &packet);
            }
            heard_b.take(&tick(&mut worker));
        }
        let rate = codec.audio_rate();
        // Past the codecs' start-up.
        let samples = &heard_b.heard[10 * rate as usize / 50..];
        assert_continuous_tone(&codec, samples, rate);
        let stats = worker.stats();
        assert_eq!(
            (stats.relayed_frames, stats.bridged_transcodes),
            (0, 2 * 150),
            "{codec:?}: every frame, both ways, from the listener's own encoder"
        );
    }
}
