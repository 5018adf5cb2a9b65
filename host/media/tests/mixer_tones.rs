//! Mix-minus through the worker: three talkers with distinct tones, listeners, mute, and the
//! shared encode of non-talkers.

mod common;

use std::time::{Duration, Instant};

use common::*;
use switchyard_media::{
    Codec, FRAME_LEN, LegId, LegParams, MediaDirection, MediaEvent, MediaTransmit, RoomId,
    TalkChange, Worker, WorkerConfig,
};

const A: LegId = LegId(1);
const B: LegId = LegId(2);
const C: LegId = LegId(3);
const D: LegId = LegId(4);
const E: LegId = LegId(5);
const F: LegId = LegId(6);

struct Room {
    worker: Worker,
    peers: Vec<TonePeer>,
    codecs: Vec<(LegId, Codec)>,
}

impl Room {
    fn new() -> Self {
        let start = Instant::now();
        let mut worker = Worker::new(WorkerConfig::default(), start, 42);
        let codecs = vec![
            (A, Codec::Pcmu),
            (B, Codec::Pcma),
            (C, Codec::Pcmu),
            (D, Codec::Pcmu),
            (E, Codec::Pcmu),
            (F, Codec::Pcma),
        ];
        for &(leg, codec) in &codecs {
            worker.add_leg(start, leg, params(codec, 4000 + leg.0 as u16));
            worker.join(leg, RoomId("r".into()));
        }
        let peers = vec![
            TonePeer::new(A, Codec::Pcmu, 440.0),
            TonePeer::new(B, Codec::Pcma, 1000.0),
            TonePeer::new(C, Codec::Pcmu, 1700.0),
        ];
        Room {
            worker,
            peers,
            codecs,
        }
    }

    /// Each talker's packet arrives 5 ms before the tick; returns the tick's output.
    fn step(&mut self) -> Vec<MediaTransmit> {
        for peer in &mut self.peers {
            peer.send(&mut self.worker, Duration::from_millis(5));
        }
        tick(&mut self.worker)
    }

    /// Runs `ticks` ticks and returns what each leg heard, decoded and concatenated.
    fn listen(&mut self, ticks: usize) -> Vec<(LegId, Vec<i16>)> {
        let mut heard: Vec<(LegId, Vec<i16>)> = self
            .codecs
            .iter()
            .map(|&(leg, _)| (leg, Vec::new()))
            .collect();
        for _ in 0..ticks {
            let out = self.step();
            for (leg, pcm) in &mut heard {
                let codec = self.codecs.iter().find(|(l, _)| l == leg).unwrap().1;
                let sent = sent_by(&out, *leg);
                assert_eq!(sent.len(), 1, "one packet per leg per tick");
                pcm.extend(decode(codec, sent[0]));
            }
        }
        heard
    }
}

fn levels(pcm: &[i16]) -> [f64; 3] {
    [440.0, 1000.0, 1700.0].map(|f| goertzel(pcm, f, 8000.0))
}

#[test]
fn each_talker_hears_the_others_and_not_itself() {
    let mut room = Room::new();
    room.listen(10); // jitter buffer warm-up
    let heard = room.listen(50);
    for (leg, pcm) in &heard {
        let [t440, t1000, t1700] = levels(pcm);
        let (own, others): (Vec<f64>, Vec<f64>) = match *leg {
            A => (vec![t440], vec![t1000, t1700]),
            B => (vec![t1000], vec![t440, t1700]),
            C => (vec![t1700], vec![t440, t1000]),
            _ => (vec![], vec![t440, t1000, t1700]),
        };
        for level in others {
            assert!(level > 5000.0, "{leg:?} should hear the others: {level}");
        }
        for level in own {
            assert!(level < 60.0, "{leg:?} should not hear itself: {level}");
        }
    }
}

#[test]
fn muted_leg_hears_the_room_but_is_not_heard() {
    let mut room = Room::new();
    room.listen(10);
    room.worker.set_muted(C, true);
    room.listen(2);
    for (leg, pcm) in room.listen(50) {
        let [t440, t1000, t1700] = levels(&pcm);
        assert!(t1700 < 60.0, "{leg:?} hears the muted leg: {t1700}");
        match leg {
            A => assert!(t440 < 60.0 && t1000 > 5000.0),
            B => assert!(t1000 < 60.0 && t440 > 5000.0),
            _ => assert!(t440 > 5000.0 && t1000 > 5000.0, "{leg:?} hears the talkers"),
        }
    }
}

#[test]
fn a_leg_whose_peer_holds_the_call_is_not_heard_in_its_room_until_it_resumes() {
    let mut room = Room::new();
    room.listen(10);
    let talking = |worker: &mut Worker| -> Vec<TalkChange> {
        std::iter::from_fn(|| worker.poll_event())
            .filter_map(|event| match event {
                MediaEvent::Talk { leg: C, change } => Some(change),
                _ => None,
            })
            .collect()
    };
    talking(&mut room.worker);
    // C's phone holds the call (a=sendonly) and goes on sending: its hold music.
    let held = LegParams {
        direction: MediaDirection::RecvOnly,
        peer_holds: true,
        ..params(Codec::Pcmu, 4003)
    };
    let now = room.worker.next_tick();
    room.worker.update_leg(now, C, held);
    let mut heard = vec![Vec::new(); 3];
    for _ in 0..50 {
        let out = room.step();
        assert!(sent_by(&out, C).is_empty(), "C asked for nothing");
        for (pcm, (leg, codec)) in
            heard
                .iter_mut()
                .zip([(A, Codec::Pcmu), (B, Codec::Pcma), (D, Codec::Pcmu)])
        {
            pcm.extend(decode(codec, sent_by(&out, leg)[0]));
        }
    }
    assert_eq!(talking(&mut room.worker), [TalkChange::Stopped]);
    for pcm in &heard {
        let [_, _, t1700] = levels(&pcm[2 * FRAME_LEN..]);
        assert!(t1700 < 60.0, "the room hears C's hold music: {t1700}");
    }
    // Resumed: heard again.
    let now = room.worker.next_tick();
    room.worker.update_leg(now, C, params(Codec::Pcmu, 4003));
    for (leg, pcm) in room.listen(50) {
        if leg != C {
            let [_, _, t1700] = levels(&pcm[10 * FRAME_LEN..]);
            assert!(t1700 > 5000.0, "{leg:?} hears C again: {t1700}");
        }
    }
}

#[test]
fn non_talkers_share_one_encode_per_codec() {
    let mut room = Room::new();
    room.listen(10);
    let before = room.worker.stats().encodes;
    let out = room.step();
    // Three talkers' private mixes, plus one shared PCMU (D, E) and one shared PCMA (F).
    assert_eq!(room.worker.stats().encodes - before, 5);
    let payload = |leg| {
        rtp_rs::RtpReader::new(&sent_by(&out, leg)[0].payload)
            .unwrap()
            .payload()
            .to_vec()
    };
    assert_eq!(payload(D), payload(E));
    assert_ne!(payload(D), payload(A));

    room.worker.set_muted(C, true);
    let before = room.worker.stats().encodes;
    let out = room.step();
    // C is muted, so it is a listener now and shares D's and E's payload.
    assert_eq!(room.worker.stats().encodes - before, 4);
    let payload = |leg| {
        rtp_rs::RtpReader::new(&sent_by(&out, leg)[0].payload)
            .unwrap()
            .payload()
            .to_vec()
    };
    assert_eq!(payload(C), payload(D));
    assert_eq!(payload(E), payload(D));
}
