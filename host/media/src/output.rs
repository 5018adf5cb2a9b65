//! The per-tick output side of a worker: each leg's payload packetized on its own RTP stream, at
//! its peer's ptime, and queued for the shell.

use std::collections::VecDeque;
use std::net::SocketAddr;

use rtp_rs::RtpPacketBuildError;

use crate::leg::{Leg, LegId, LegParams};
use crate::packet_pool::PacketPool;
use crate::packetizer::Departure;
use crate::shared_encoders::SharedEncoders;
use crate::{LegSocket, MediaTransmit, MixMinus, WorkerStats};

/// The worker's transmit queues, packet buffers and counters, borrowed apart from its legs,
/// rooms and bridges.
pub(crate) struct Output<'a> {
    pub(crate) transmits: &'a mut VecDeque<MediaTransmit>,
    /// Packets to send half a tick after the others ([`Departure::HalfTickLater`]).
    pub(crate) deferred: &'a mut VecDeque<MediaTransmit>,
    pub(crate) pool: &'a mut PacketPool,
    pub(crate) stats: &'a mut WorkerStats,
}

impl Output<'_> {
    /// Sends `id` what `mixer` renders for it this tick: the mix, minus its own frame when it
    /// was summed into it `in_room`, plus its prompt; the bytes of the room's `shared` encode
    /// when it hears the plain mix with a stateful codec and its far end cannot tell the jump
    /// to the shared stream (see [`SharedEncoders`]).
    pub(crate) fn mixed<const N: usize>(
        &mut self,
        mixer: &mut MixMinus<N>,
        id: LegId,
        leg: &mut Leg,
        in_room: bool,
        shared: Option<&mut SharedEncoders>,
    ) {
        if leg.held() {
            return;
        }
        let plain = leg.hears_plain_mix();
        let plain_before = std::mem::replace(&mut leg.plain_before, plain);
        if let Some(shared) = shared
            && let Some(opus) = leg.shareable()
        {
            // In the order of their cost: the last makes an encoder.
            let unnoticed = leg.on_shared
                || leg.at_cut
                || mixer.quiet()
                || (plain_before && shared.independent(&opus))
                || shared.adopt(leg.encoder(), leg.rate());
            if unnoticed {
                let (payload, encoded) =
                    shared.payload::<N>(&opus, leg.rate(), |pcm| mixer.render(None, None, pcm));
                if encoded {
                    mixer.count_encode();
                }
                leg.on_shared = true;
                self.send(id, leg, payload);
                return;
            }
            shared.ask_independent(&opus);
        }
        let (own, overlay, encoder) = leg.mix_inputs(in_room);
        let payload = mixer.payload(own, overlay, encoder);
        self.send(id, leg, payload);
    }

    /// Adds one frame's `payload` to the leg's outgoing stream and queues the packets it
    /// completes (none, one or two, as its ptime asks); while the leg sends a key as RFC 4733
    /// events, the tick's event packet goes instead.
    pub(crate) fn send(&mut self, id: LegId, leg: &mut Leg, payload: &[u8]) {
        let destination = leg.destination();
        leg.at_cut = false;
        let (transmits, deferred) = (&mut *self.transmits, &mut *self.deferred);
        let stats = &mut *self.stats;
        match leg.dtmf_event() {
            Some(event) => leg.out.push_event(&event, self.pool, |packet| {
                queue(transmits, stats, id, destination, packet);
            }),
            None => leg.out.push(payload, self.pool, |packet, departure| {
                let queue_of = match departure {
                    Departure::Now => &mut *transmits,
                    Departure::HalfTickLater => &mut *deferred,
                };
                queue(queue_of, stats, id, destination, packet);
            }),
        }
    }

    /// Queues what the leg's outgoing stream owes under its current parameters before it adopts
    /// `next`: the payload gathered towards its next packet, as one shorter packet, and the end
    /// packets of a key going as RFC 4733 events that `next` cuts short (see
    /// [`Leg::end_key_event`]).
    pub(crate) fn flush(&mut self, id: LegId, leg: &mut Leg, next: &LegParams) {
        let destination = leg.destination();
        let (transmits, stats) = (&mut *self.transmits, &mut *self.stats);
        let mut emit = |packet| queue(transmits, stats, id, destination, packet);
        leg.out.flush(self.pool, &mut emit);
        if let Some((end, times)) = leg.end_key_event(next) {
            leg.out.end_event(&end, times, self.pool, emit);
        }
    }
}

fn queue(
    transmits: &mut VecDeque<MediaTransmit>,
    stats: &mut WorkerStats,
    leg: LegId,
    destination: SocketAddr,
    packet: Result<Vec<u8>, RtpPacketBuildError>,
) {
    match packet {
        Ok(payload) => {
            stats.packets_sent += 1;
            transmits.push_back(MediaTransmit {
                leg,
                socket: LegSocket::Rtp,
                destination,
                payload,
            });
        }
        Err(_) => stats.build_errors += 1,
    }
}
