//! The receive side of a peer's ptime: the payloads one leg's jitter buffer releases, of whatever
//! packet time the peer sends, cut and joined into the worker's 20 ms frames.

use crate::{Codec, FRAME_LEN};

/// Turns a leg's incoming payloads into one frame's payload per tick, carrying over what a
/// longer packet holds beyond the frame.
///
/// Each tick takes what is carried, then releases packets from the jitter buffer until a frame
/// is full: a 20 ms packet is one frame as is, a 40 ms packet two frames (the second tick pops
/// nothing), 30 ms packets three frames per two packets, 10 ms packets two packets per frame.
/// A tick that finds no packet while part of a frame is carried (a lost or late packet) gives
/// that part alone; the decoder pads it with silence.
#[derive(Debug, Default)]
pub(crate) struct Reframer {
    carry: Vec<u8>,
}

impl Reframer {
    /// This tick's payload in `codec`, from what is carried and what `pop` releases; `None` when
    /// neither has anything.
    pub(crate) fn next(
        &mut self,
        codec: Codec,
        mut pop: impl FnMut() -> Option<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        let frame_len = codec.payload_len(FRAME_LEN);
        if self.carry.is_empty() {
            let first = pop()?;
            // The usual case: a 20 ms packet is the frame, no copy.
            if first.len() == frame_len {
                return Some(first);
            }
            self.carry = first;
        }
        while self.carry.len() < frame_len {
            match pop() {
                Some(payload) => self.carry.extend_from_slice(&payload),
                None => break,
            }
        }
        let rest = self.carry.split_off(frame_len.min(self.carry.len()));
        Some(std::mem::replace(&mut self.carry, rest))
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
            .map(|_| reframer.next(Codec::Pcmu, || queue.next()).map(|p| p.len()))
            .collect()
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
        let a = reframer.next(Codec::Pcma, || queue.next()).unwrap();
        let b = reframer.next(Codec::Pcma, || queue.next()).unwrap();
        let c = reframer.next(Codec::Pcma, || queue.next()).unwrap();
        assert_eq!(a, [1; 160]);
        assert_eq!(b, [[1; 80], [2; 80]].concat());
        assert_eq!(c, [2; 160]);
        reframer.clear();
        assert_eq!(reframer.next(Codec::Pcma, || None), None);
    }
}
