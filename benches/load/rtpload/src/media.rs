//! The media phase: every participant sends 20 ms PCMU on absolute deadlines,
//! while what the server sends back is read in batches, stamped by the kernel
//! and tallied per stream.

use crate::stream::Stream;
use crate::sys::{self, Incoming, MAX_BATCH, Outgoing, PACKET_LEN};
use std::net::{SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// The packet time.
pub const PERIOD: Duration = Duration::from_millis(20);
/// Send slots per period: the participants are spread over them in equal blocks,
/// as independent phones are spread over the period.
const PHASES: u32 = 4;
/// Samples of one 20 ms PCMU frame.
const FRAME: usize = 160;
/// Datagrams read by one `recvmmsg`.
const RECV_BATCH: usize = 256;
/// The most batches read from one socket per wake-up.
const MAX_BATCHES_PER_WAKE: usize = 64;
/// Marks a source port that is no participant's.
const NOBODY: u32 = u32::MAX;

/// One participant's media.
#[derive(Debug, Clone, Copy)]
pub struct Participant {
    /// The index of the socket it sends from and receives on.
    pub socket: usize,
    /// The server's RTP address for its call.
    pub server: SocketAddrV4,
    /// Whether it sends a tone; otherwise μ-law silence.
    pub talker: bool,
}

/// Totals over the measured interval.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    /// Packets the kernel took for sending.
    pub sent: u64,
    /// Packets dropped at sending (a full socket buffer).
    pub unsent: u64,
    /// RTP packets received from the participants' server legs.
    pub received: u64,
    /// Of those, the packets more than 20 ms behind their stream's schedule.
    pub late: u64,
    /// Packets missing by sequence number.
    pub lost: u64,
    /// Participants that received nothing.
    pub silent_streams: u64,
    /// Datagrams from ports that are no participant's server leg.
    pub foreign: u64,
    /// Send slots (a quarter of the participants each) that went out more than
    /// a slot (5 ms) after their deadline: the generator fell behind.
    pub slots_behind: u64,
    /// Send slots in the measured interval.
    pub slots: u64,
}

/// Sends for `warmup` and then `duration` more, tallying only the latter; `mark`
/// is called with `"measure start"` and `"measure end"` as that interval begins
/// and ends. Participants of one socket must be contiguous in `participants`.
pub fn run(
    sockets: &[UdpSocket],
    participants: &[Participant],
    warmup: Duration,
    duration: Duration,
    mut mark: impl FnMut(&str),
) -> Totals {
    let mut outgoing = Outgoing::new(
        participants
            .iter()
            .enumerate()
            .map(|(index, p)| (template(index, p.talker), p.server)),
    );
    let mut receiver = Receiver::new(sockets, participants);
    let slot = PERIOD / PHASES;
    let warmup_slots = slots_in(warmup, slot);
    let total_slots = warmup_slots + slots_in(duration, slot);
    let start = Instant::now() + PERIOD;
    let mut totals = Totals::default();
    for k in 0..=total_slots {
        receiver.receive_until(sockets, start + slot * k);
        if k == warmup_slots {
            receiver.tally = true;
            mark("measure start");
        }
        if k == total_slots {
            break;
        }
        if receiver.tally {
            totals.slots += 1;
            totals.slots_behind += u64::from(Instant::now() > start + slot * (k + 1));
        }
        let frame = k / PHASES;
        let phase = (k % PHASES) as usize;
        let block = participants.len() * phase / PHASES as usize
            ..participants.len() * (phase + 1) / PHASES as usize;
        for index in block.clone() {
            stamp(outgoing.packet_mut(index), index, frame);
        }
        let mut first = block.start;
        // Each round sends at least one participant's packet, so this ends.
        while first < block.end {
            let socket = participants[first].socket;
            let run = participants[first..block.end]
                .iter()
                .take(MAX_BATCH)
                .take_while(|p| p.socket == socket)
                .count();
            let sent = outgoing.send(&sockets[socket], first..first + run) as u64;
            if receiver.tally {
                totals.sent += sent;
                totals.unsent += run as u64 - sent;
            }
            first += run;
        }
    }
    receiver.tally = false;
    mark("measure end");
    for stream in &receiver.streams {
        totals.received += stream.received();
        totals.late += stream.late();
        totals.lost += stream.lost();
        totals.silent_streams += u64::from(stream.received() == 0);
    }
    totals.foreign = receiver.foreign;
    totals
}

/// How many whole `slot`s `span` holds.
fn slots_in(span: Duration, slot: Duration) -> u32 {
    u32::try_from(span.as_nanos() / slot.as_nanos()).expect("a span of fewer than 2^32 slots")
}

/// Participant `index`'s packet before its first send: RTP version 2, PCMU,
/// its own SSRC, and a 400 Hz tone (a whole number of cycles per frame) or silence.
fn template(index: usize, talker: bool) -> [u8; PACKET_LEN] {
    let mut packet = [0xFF; PACKET_LEN];
    packet[..2].copy_from_slice(&[0x80, 0]);
    packet[8..12].copy_from_slice(&(0x5359_0000 ^ index as u32).to_be_bytes());
    if talker {
        for (n, code) in packet[12..].iter_mut().enumerate() {
            let phase = 2.0 * std::f64::consts::PI * 400.0 * n as f64 / 8000.0;
            *code = ulaw((8000.0 * phase.sin()) as i16);
        }
    }
    packet
}

/// Writes frame `frame`'s sequence number and timestamp into participant `index`'s packet.
fn stamp(packet: &mut [u8; PACKET_LEN], index: usize, frame: u32) {
    let seq = (index as u16).wrapping_mul(7919).wrapping_add(frame as u16);
    let ts = (index as u32)
        .wrapping_mul(40_009)
        .wrapping_add(frame.wrapping_mul(FRAME as u32));
    packet[2..4].copy_from_slice(&seq.to_be_bytes());
    packet[4..8].copy_from_slice(&ts.to_be_bytes());
}

/// G.711 μ-law encoding of one sample.
fn ulaw(sample: i16) -> u8 {
    let sign = if sample < 0 { 0x80 } else { 0 };
    let magnitude = i32::from(sample).abs().min(32_635) + 0x84;
    let exponent = (31 - magnitude.leading_zeros() as i32 - 7).max(0);
    let mantissa = (magnitude >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// The receiving side: each participant's stream, found by the server leg's port.
struct Receiver {
    streams: Vec<Stream>,
    /// Participant index by source port, or [`NOBODY`].
    by_port: Vec<u32>,
    incoming: Incoming,
    poll: Vec<libc::pollfd>,
    foreign: u64,
    tally: bool,
}

impl Receiver {
    fn new(sockets: &[UdpSocket], participants: &[Participant]) -> Self {
        let mut by_port = vec![NOBODY; 1 << 16];
        for (index, p) in participants.iter().enumerate() {
            by_port[usize::from(p.server.port())] = index as u32;
        }
        Receiver {
            streams: vec![Stream::default(); participants.len()],
            by_port,
            incoming: Incoming::new(RECV_BATCH),
            poll: sys::poll_set(sockets),
            foreign: 0,
            tally: false,
        }
    }

    /// Reads whatever arrives until `deadline`, and what is waiting even when
    /// `deadline` has passed.
    fn receive_until(&mut self, sockets: &[UdpSocket], deadline: Instant) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if sys::wait_readable(&mut self.poll, left) {
                self.drain(sockets);
            }
            if left.is_zero() {
                return;
            }
        }
    }

    /// Reads what every socket holds, up to [`MAX_BATCHES_PER_WAKE`] batches each.
    fn drain(&mut self, sockets: &[UdpSocket]) {
        for socket in sockets {
            for _ in 0..MAX_BATCHES_PER_WAKE {
                let count = self.incoming.receive(socket);
                for i in 0..count {
                    let datagram = self.incoming.datagram(i);
                    match self.by_port[usize::from(datagram.source_port)] {
                        NOBODY => self.foreign += u64::from(self.tally),
                        index => self.streams[index as usize].record(
                            datagram.bytes,
                            datagram.arrived_ns,
                            self.tally,
                        ),
                    }
                }
                if count < RECV_BATCH {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_matches_g711() {
        assert_eq!(ulaw(0), 0xFF);
        assert_eq!(ulaw(-1), 0x7F);
        assert_eq!(ulaw(32_767), 0x80);
        assert_eq!(ulaw(-32_768), 0x00);
    }

    #[test]
    fn stamps_advance_one_frame() {
        let mut packet = template(3, false);
        stamp(&mut packet, 3, 0);
        let first = (
            u16::from_be_bytes([packet[2], packet[3]]),
            packet[4..8].to_vec(),
        );
        stamp(&mut packet, 3, 1);
        assert_eq!(
            u16::from_be_bytes([packet[2], packet[3]]),
            first.0.wrapping_add(1)
        );
        let ts = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        assert_eq!(ts(&packet[4..8]), ts(&first.1).wrapping_add(160));
    }
}
