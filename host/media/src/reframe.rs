//! The receive side of a peer's ptime: the payloads one leg's jitter buffer releases, of whatever
//! packet time the peer sends, cut and joined into the worker's 20 ms frames (or what is left of
//! one around a loss).

use crate::Playout;
use crate::packet_pool::PacketPool;

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

impl Gap {
    /// What covers a frame of two parts, covered by `self` and `other`: concealment if either
    /// is, else silence if either is.
    pub(crate) fn and(self, other: Gap) -> Gap {
        match (self, other) {
            (Gap::Lost, _) | (_, Gap::Lost) => Gap::Lost,
            (Gap::Idle, _) | (_, Gap::Idle) => Gap::Idle,
            (Gap::None, Gap::None) => Gap::None,
        }
    }
}

/// Cuts and joins a leg's incoming G.711 or G.722 payloads (one byte per RTP clock unit) into
/// the spans of audio a tick asks for, carrying over what a longer packet holds beyond them.
///
/// A 20 ms packet is one tick's frame as is; otherwise the span is copied into a buffer taken
/// from the leg's pool, and every packet taken apart goes back to it: 30 and 40 ms packets, or
/// two 10 ms packets per frame, cost no allocation. What is carried is less than one packet.
/// Opus packets cannot be cut: a leg of Opus decodes each whole and carries its audio instead
/// (see `RoomDecoder::take_packet`).
#[derive(Debug, Default)]
pub(crate) struct Reframer {
    carry: Vec<u8>,
}

impl Reframer {
    /// The next `len` bytes of the stream, from what is carried and what `pop` releases: all of
    /// them with [`Gap::None`], or fewer (`None` for none) with the [`Gap`] that ended them (a
    /// missing packet, or the sender's pause).
    pub(crate) fn next(
        &mut self,
        len: usize,
        pool: &mut PacketPool,
        mut pop: impl FnMut() -> Playout<Vec<u8>>,
    ) -> (Option<Vec<u8>>, Gap) {
        let mut span = if self.carry.is_empty() {
            match pop() {
                // The usual case: a 20 ms packet is the frame, no copy.
                Playout::Frame(packet) if packet.len() == len => return (Some(packet), Gap::None),
                Playout::Frame(packet) => self.cut(packet, len, pool.take(), pool),
                Playout::Lost => return (None, Gap::Lost),
                Playout::Idle => return (None, Gap::Idle),
            }
        } else {
            let mut span = pool.take();
            let taken = len.min(self.carry.len());
            span.extend_from_slice(&self.carry[..taken]);
            self.carry.drain(..taken);
            span
        };
        let mut gap = Gap::None;
        while span.len() < len {
            span = match pop() {
                Playout::Frame(packet) => self.cut(packet, len, span, pool),
                Playout::Lost => {
                    gap = Gap::Lost;
                    break;
                }
                Playout::Idle => {
                    gap = Gap::Idle;
                    break;
                }
            };
        }
        (Some(span), gap)
    }

    /// Forgets what is carried (the codec changed, or the leg stopped receiving).
    pub(crate) fn clear(&mut self) {
        self.carry.clear();
    }

    // Appends to `span` what `packet` holds of it (up to `len` bytes in all), carries the rest,
    // and gives the packet's buffer back to `pool`.
    fn cut(
        &mut self,
        packet: Vec<u8>,
        len: usize,
        mut span: Vec<u8>,
        pool: &mut PacketPool,
    ) -> Vec<u8> {
        let taken = (len - span.len()).min(packet.len());
        span.extend_from_slice(&packet[..taken]);
        self.carry.extend_from_slice(&packet[taken..]);
        pool.give(packet);
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: usize = 160;

    // The payload lengths of `ticks` ticks fed from `packets` (each of its length, then none).
    fn frames(packets: &[usize], ticks: usize) -> Vec<Option<usize>> {
        let mut queue = packets.iter().map(|&n| vec![0u8; n]);
        let mut reframer = Reframer::default();
        let mut pool = PacketPool::default();
        (0..ticks)
            .map(|_| {
                reframer
                    .next(FRAME, &mut pool, || pop(&mut queue))
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
        let mut pool = PacketPool::default();
        let mut next = |len| reframer.next(len, &mut pool, || pop(&mut queue)).0.unwrap();
        assert_eq!(next(FRAME), [1; 160]);
        assert_eq!(next(FRAME), [[1; 80], [2; 80]].concat());
        // What is left of a frame after a loss concealed in its first half.
        assert_eq!(next(80), [2; 80]);
        assert_eq!(next(FRAME), [2; 80]);
        reframer.clear();
        assert_eq!(
            reframer.next(FRAME, &mut pool, || Playout::Idle),
            (None, Gap::Idle)
        );
    }

    #[test]
    fn a_lost_packet_leaves_a_gap_to_conceal() {
        let mut reframer = Reframer::default();
        let mut pool = PacketPool::default();
        let mut pops = [Playout::Frame(vec![1u8; 80]), Playout::Lost].into_iter();
        let (payload, gap) = reframer.next(FRAME, &mut pool, || pops.next().unwrap());
        assert_eq!((payload.map(|p| p.len()), gap), (Some(80), Gap::Lost));
        assert_eq!(
            reframer.next(FRAME, &mut pool, || Playout::Lost),
            (None, Gap::Lost)
        );
    }

    #[test]
    fn packets_cut_apart_go_back_to_the_pool_for_later_spans() {
        let mut reframer = Reframer::default();
        let mut pool = PacketPool::default();
        let packet = vec![1u8; 320];
        let address = packet.as_ptr();
        let mut pops = [Playout::Frame(packet)].into_iter();
        let first = reframer.next(FRAME, &mut pool, || pops.next().unwrap()).0;
        assert_eq!(pool.spare(), 1, "the packet, emptied");
        let second = reframer.next(FRAME, &mut pool, || unreachable!("carried"));
        assert_eq!(second.0.map(|span| span.as_ptr()), Some(address));
        assert_eq!((first.map(|span| span.len()), pool.spare()), (Some(160), 0));
    }
}
