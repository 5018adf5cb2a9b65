//! The receive side of a peer's ptime: the payloads one leg's jitter buffer releases, of whatever
//! packet time the peer sends, cut and joined into the worker's 20 ms frames.

use crate::{Codec, PACKET_TIME, Playout};

/// What covers the part of a tick's frame that no payload does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gap {
    /// Nothing: the payload is a whole frame.
    None,
    /// Missing audio mid-talkspurt: to be concealed.
    Lost,
    /// The sender is not sending: silence.
    Idle,
}

/// Turns a leg's incoming payloads into one frame's payload per tick, carrying over what a
/// longer packet holds beyond the frame.
///
/// Each tick takes what is carried, then releases packets from the jitter buffer until a frame
/// is full: a 20 ms packet is one frame as is, a 40 ms packet two frames (the second tick pops
/// nothing), 30 ms packets three frames per two packets, 10 ms packets two packets per frame.
/// A tick that finds no packet while part of a frame is carried (a lost or late packet) gives
/// that part alone, with the [`Gap`] the jitter buffer reported for the rest. Opus packets cannot
/// be cut: each call takes one whole packet (a leg of Opus takes its packets itself, decoding
/// each whole and carrying its audio beyond the frame; see `RoomDecoder::take_packet`).
#[derive(Debug, Default)]
pub(crate) struct Reframer {
    carry: Vec<u8>,
}

impl Reframer {
    /// This tick's payload in `codec`, from what is carried and what `pop` releases (`None` when
    /// neither has anything), and what the rest of the frame is when the payload falls short.
    pub(crate) fn next(
        &mut self,
        codec: Codec,
        mut pop: impl FnMut() -> Playout<Vec<u8>>,
    ) -> (Option<Vec<u8>>, Gap) {
        // Opus packets are decoded whole: each is one tick's payload.
        let Some(frame_len) = codec.payload_len(codec.samples_per_frame(PACKET_TIME)) else {
            return match pop() {
                Playout::Frame(payload) => (Some(payload), Gap::None),
                Playout::Lost => (None, Gap::Lost),
                Playout::Idle => (None, Gap::Idle),
            };
        };
        if self.carry.is_empty() {
            let first = match pop() {
                Playout::Frame(payload) => payload,
                Playout::Lost => return (None, Gap::Lost),
                Playout::Idle => return (None, Gap::Idle),
            };
            // The usual case: a 20 ms packet is the frame, no copy.
            if first.len() == frame_len {
                return (Some(first), Gap::None);
            }
            self.carry = first;
        }
        let mut gap = Gap::None;
        while self.carry.len() < frame_len {
            match pop() {
                Playout::Frame(payload) => self.carry.extend_from_slice(&payload),
                Playout::Lost => {
                    gap = Gap::Lost;
                    break;
                }
                Playout::Idle => {
                    gap = Gap::Idle;
                    break;
                }
            }
        }
        let rest = self.carry.split_off(frame_len.min(self.carry.len()));
        (Some(std::mem::replace(&mut self.carry, rest)), gap)
    }

    /// Forgets what is carried (the codec changed, or the leg stopped receiving).
    pub(crate) fn clear(&mut self) {
        self.carry.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The payload lengths of `ticks` ticks fed from `packets` (each of its length, then none).
    fn frames(packets: &[usize], ticks: usize) -> Vec<Option<usize>> {
        let mut queue = packets.iter().map(|&n| vec![0u8; n]);
        let mut reframer = Reframer::default();
        (0..ticks)
            .map(|_| {
                reframer
                    .next(Codec::Pcmu, || pop(&mut queue))
                    .0
                    .map(|p| p.len())
            })
            .collect()
    }

    fn pop(queue: &mut impl Iterator<Item = Vec<u8>>) -> Playout<Vec<u8>> {
        queue.next().map_or(Playout::Idle, Playout::Frame)
    }

    #[test]
    fn packets_of_any_ptime_become_20_ms_frames() {
        assert_eq!(frames(&[160, 160], 3), [Some(160), Some(160), None]);
        let full = Some(160);
        assert_eq!(frames(&[320, 320], 5), [full, full, full, full, None]);
        assert_eq!(
            frames(&[240, 240, 240], 5),
            [full, full, full, full, Some(80)]
        );
        assert_eq!(frames(&[80; 4], 3), [Some(160), Some(160), None]);
    }

    #[test]
    fn a_missing_packet_leaves_a_short_frame() {
        assert_eq!(frames(&[80], 2), [Some(80), None]);
        assert_eq!(frames(&[240], 3), [Some(160), Some(80), None]);
    }

    #[test]
    fn the_bytes_stay_in_order() {
        let mut queue = [vec![1u8; 240], vec![2; 240]].into_iter();
        let mut reframer = Reframer::default();
        let a = reframer.next(Codec::Pcma, || pop(&mut queue)).0.unwrap();
        let b = reframer.next(Codec::Pcma, || pop(&mut queue)).0.unwrap();
        let c = reframer.next(Codec::Pcma, || pop(&mut queue)).0.unwrap();
        assert_eq!(a, [1; 160]);
        assert_eq!(b, [[1; 80], [2; 80]].concat());
        assert_eq!(c, [2; 160]);
        reframer.clear();
        assert_eq!(
            reframer.next(Codec::Pcma, || Playout::Idle),
            (None, Gap::Idle)
        );
    }

    #[test]
    fn a_lost_packet_leaves_a_gap_to_conceal() {
        let mut reframer = Reframer::default();
        let mut pops = [Playout::Frame(vec![1u8; 80]), Playout::Lost].into_iter();
        let (payload, gap) = reframer.next(Codec::Pcmu, || pops.next().unwrap());
        assert_eq!((payload.map(|p| p.len()), gap), (Some(80), Gap::Lost));
        assert_eq!(
            reframer.next(Codec::Pcmu, || Playout::Lost),
            (None, Gap::Lost)
        );
    }
}
