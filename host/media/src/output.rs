//! The per-tick output side of a worker: each leg's payload packetized on its own RTP stream and
//! queued for the shell.

use std::collections::VecDeque;

use crate::leg::{Leg, LegId};
use crate::{FRAME_LEN, MediaTransmit, MixMinus, WorkerStats};

/// The worker's transmit queue and counters, borrowed apart from its legs, rooms and bridges.
pub(crate) struct Output<'a> {
    pub(crate) transmits: &'a mut VecDeque<MediaTransmit>,
    pub(crate) stats: &'a mut WorkerStats,
}

impl Output<'_> {
    /// Sends `id` what `mixer` renders for it this tick: the mix, minus its own frame when it
    /// is a talker `in_room`, plus its prompt.
    pub(crate) fn mixed(
        &mut self,
        mixer: &mut MixMinus<FRAME_LEN>,
        id: LegId,
        leg: &mut Leg,
        in_room: bool,
    ) {
        let own = (in_room && leg.talking()).then_some(&leg.frame);
        let payload = mixer.payload(own, leg.overlay(), leg.params.codec);
        self.send(id, leg, payload);
    }

    /// Packetizes one frame's `payload` on the leg's outgoing stream and queues it.
    pub(crate) fn send(&mut self, id: LegId, leg: &mut Leg, payload: &[u8]) {
        match leg.sender.packetize(payload, FRAME_LEN as u32) {
            Ok(packet) => {
                self.stats.packets_sent += 1;
                self.transmits.push_back(MediaTransmit {
                    leg: id,
                    destination: leg.params.remote,
                    payload: packet,
                });
            }
            Err(_) => self.stats.build_errors += 1,
        }
    }
}
