//! Keys a peer sends as tones in its audio: a leg that agreed no RFC 4733 `telephone-event`
//! reports them, once per press, as it reports events; one that agreed it leaves its audio
//! alone.

mod common;

use std::time::Duration;

use common::{keys_of, params, rtp, sdp_addr, tick, tone_at};
use switchyard_media::{Codec, Encoder, LegId, RoomId, Worker, WorkerConfig, q23_frequencies};

const A: LegId = LegId(1);
const B: LegId = LegId(2);

/// What one of the peer's 20 ms frames carries.
#[derive(Clone, Copy)]
enum Frame {
    /// A key's tones (its RFC 4733 event code).
    Key(u8),
    /// A key's tones under loud white noise, in which they are no key.
    NoisyKey(u8),
    /// Silence.
    Silence,
    /// Nothing: the packet is lost on the way.
    Lost,
}

/// A peer sending 20 ms packets of a key's tones, or of silence, one per tick.
struct KeyingPeer {
    leg: LegId,
    codec: Codec,
    encoder: Encoder,
    frames: usize,
}

impl KeyingPeer {
    fn new(leg: LegId, codec: Codec) -> Self {
        KeyingPeer {
            leg,
            codec,
            encoder: Encoder::new(codec),
            frames: 0,
        }
    }

    /// Sends `frames` frames of `key` (its RFC 4733 event code; none: silence), one a tick.
    fn send(&mut self, worker: &mut Worker, key: Option<u8>, frames: usize) {
        let frame = key.map_or(Frame::Silence, Frame::Key);
        for _ in 0..frames {
            self.send_frame(worker, frame);
        }
    }

    /// Sends one frame, or loses it, and ticks.
    fn send_frame(&mut self, worker: &mut Worker, frame: Frame) {
        let rate = self.codec.audio_rate();
        let n = rate as usize / 50;
        let start = self.frames * n;
        let key = |event| {
            let (low, high) = q23_frequencies(event);
            let low = tone_at(rate, f64::from(low), 5000.0, start, n);
            let high = tone_at(rate, f64::from(high), 5000.0, start, n);
            low.iter()
                .zip(&high)
                .map(|(a, b)| a + b)
                .collect::<Vec<i16>>()
        };
        let pcm: Vec<i16> = match frame {
            Frame::Key(event) => key(event),
            Frame::NoisyKey(event) => {
                let mut state = 0x2545_f491_u32;
                key(event)
                    .iter()
                    .map(|&s| {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        let noise = (state as i32 >> 16) / 3;
                        (i32::from(s) + noise).clamp(-32768, 32767) as i16
                    })
                    .collect()
            }
            Frame::Silence | Frame::Lost => vec![0; n],
        };
        if !matches!(frame, Frame::Lost) {
            let mut payload = Vec::new();
            self.encoder.encode(&pcm, &mut payload);
            let timestamp = (self.frames * self.codec.samples_per_frame(common::TICK)) as u32;
            let packet = rtp(
                self.codec.payload_type(),
                self.frames as u16,
                timestamp,
                0x4242,
                self.frames == 0,
                &payload,
            );
            let now = worker.next_tick() - Duration::from_millis(5);
            worker.handle_rtp(now, self.leg, sdp_addr(self.leg), &packet);
        }
        tick(worker);
        self.frames += 1;
    }
}

/// A worker with leg A of `codec`, agreeing `telephone-event` or not, in a room with B.
fn worker(codec: Codec, telephone_event: bool) -> Worker {
    let start = std::time::Instant::now();
    let mut worker = Worker::new(WorkerConfig::default(), start, 3);
    let mut a = params(codec, 5000 + A.0 as u16);
    if !telephone_event {
        a.telephone_event = None;
    }
    worker.add_leg(start, A, a);
    worker.add_leg(start, B, params(Codec::Pcmu, 5000 + B.0 as u16));
    for leg in [A, B] {
        worker.join(leg, RoomId("r".into()));
    }
    worker
}

/// The keys reported for leg A.
fn keys(worker: &mut Worker) -> Vec<char> {
    keys_of(worker, A)
}

#[test]
fn a_peer_without_telephone_event_has_its_tones_taken_as_keys_once_per_press() {
    for codec in [Codec::Pcmu, Codec::Pcma, Codec::G722] {
        let mut worker = worker(codec, false);
        let mut peer = KeyingPeer::new(A, codec);
        peer.send(&mut worker, None, 5);
        // 1, 2, 2 (two presses), # and *, each 100 ms with 60 ms between.
        for key in [1, 2, 2, 11, 10] {
            peer.send(&mut worker, Some(key), 5);
            peer.send(&mut worker, None, 3);
        }
        assert_eq!(keys(&mut worker), ['1', '2', '2', '#', '*'], "{codec:?}");
    }
}

#[test]
fn a_peer_that_agreed_telephone_event_has_its_audio_left_alone() {
    let mut worker = worker(Codec::Pcmu, true);
    let mut peer = KeyingPeer::new(A, Codec::Pcmu);
    peer.send(&mut worker, Some(5), 10);
    peer.send(&mut worker, None, 3);
    assert_eq!(keys(&mut worker), [] as [char; 0]);
}

#[test]
fn a_peer_that_renegotiates_telephone_event_away_is_listened_to() {
    let mut worker = worker(Codec::Pcmu, true);
    let mut peer = KeyingPeer::new(A, Codec::Pcmu);
    let now = worker.next_tick();
    let mut without = params(Codec::Pcmu, 5000 + A.0 as u16);
    without.telephone_event = None;
    worker.update_leg(now, A, without);
    peer.send(&mut worker, Some(0), 5);
    assert_eq!(keys(&mut worker), ['0']);
}

#[test]
fn a_noisy_or_lost_frame_within_a_press_is_no_second_key() {
    for codec in [Codec::Pcmu, Codec::G722] {
        let mut worker = worker(codec, false);
        let mut peer = KeyingPeer::new(A, codec);
        peer.send(&mut worker, None, 5);
        for spoilt in [Frame::NoisyKey(5), Frame::Lost] {
            peer.send(&mut worker, Some(5), 3);
            peer.send_frame(&mut worker, spoilt);
            peer.send(&mut worker, Some(5), 3);
            peer.send(&mut worker, None, 3);
        }
        assert_eq!(keys(&mut worker), ['5', '5'], "{codec:?}");
    }
}
