//! The sending half of one leg's RTP session: SSRC, sequence number and timestamp.

use rand::Rng;
use rtp_rs::{RtpPacketBuildError, RtpPacketBuilder, Seq};

/// Numbers the packets of one outgoing RTP stream and builds them with `rtp-rs`.
#[derive(Debug)]
pub(crate) struct RtpSender {
    ssrc: u32,
    sequence: Seq,
    timestamp: u32,
    payload_type: u8,
    // The next audio packet starts a talkspurt: the stream's first, or the first after a gap.
    mark_next: bool,
    /// Packets and payload octets sent, for sender reports (RFC 3550 §6.4.1); they wrap.
    packets: u32,
    octets: u32,
}

impl RtpSender {
    /// A stream with a random SSRC, initial sequence number and timestamp drawn from `rng`
    /// (RFC 3550 §5.1 asks for random initial values; §8.1 for a random SSRC).
    pub(crate) fn new(rng: &mut impl Rng, payload_type: u8) -> Self {
        RtpSender {
            ssrc: rng.random(),
            sequence: Seq::from(rng.random::<u16>()),
            timestamp: rng.random(),
            payload_type,
            mark_next: true,
            packets: 0,
            octets: 0,
        }
    }

    /// Changes the payload type of later packets (a re-negotiated codec); the stream goes on.
    pub(crate) fn set_payload_type(&mut self, payload_type: u8) {
        self.payload_type = payload_type;
    }

    /// Builds the next packet carrying `payload`, which covers `samples` timestamp units, into
    /// `buffer` (its contents replaced), and advances the sequence number by one and the
    /// timestamp by `samples`. The marker bit is set on the first packet of the stream and the
    /// first after a gap (RFC 3551 §4.1: start of a talkspurt).
    pub(crate) fn packetize(
        &mut self,
        payload: &[u8],
        samples: u32,
        buffer: Vec<u8>,
    ) -> Result<Vec<u8>, RtpPacketBuildError> {
        let (payload_type, timestamp, marked) = (self.payload_type, self.timestamp, self.mark_next);
        let packet = self.build(payload_type, timestamp, marked, payload, buffer)?;
        self.mark_next = false;
        self.timestamp = self.timestamp.wrapping_add(samples);
        Ok(packet)
    }

    /// Builds the next packet of the stream with its own `payload_type`, `timestamp` and marker
    /// bit into `buffer`, and advances the sequence number only: a telephone-event packet, all
    /// of whose event's packets carry the event's start time (RFC 4733 §2.3.1) while the media
    /// time is accounted with [`skip`](Self::skip). The next audio packet is marked as it would
    /// have been: an event's packets are marked by their own rule (RFC 4733 §2.5.1.1), and a gap
    /// before or during the event is still a gap in the audio.
    pub(crate) fn packetize_event(
        &mut self,
        payload_type: u8,
        timestamp: u32,
        marked: bool,
        payload: &[u8],
        buffer: Vec<u8>,
    ) -> Result<Vec<u8>, RtpPacketBuildError> {
        self.build(payload_type, timestamp, marked, payload, buffer)
    }

    /// The timestamp the next audio packet carries.
    pub(crate) fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The stream's SSRC.
    pub(crate) fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Packets sent on the stream (modulo 2^32).
    pub(crate) fn packets(&self) -> u32 {
        self.packets
    }

    /// Payload octets sent on the stream (modulo 2^32).
    pub(crate) fn octets(&self) -> u32 {
        self.octets
    }

    fn build(
        &mut self,
        payload_type: u8,
        timestamp: u32,
        marked: bool,
        payload: &[u8],
        mut buffer: Vec<u8>,
    ) -> Result<Vec<u8>, RtpPacketBuildError> {
        let builder = RtpPacketBuilder::new()
            .payload_type(payload_type)
            .marked(marked)
            .sequence(self.sequence)
            .timestamp(timestamp)
            .ssrc(self.ssrc)
            .payload(payload);
        buffer.clear();
        buffer.resize(builder.target_length(), 0);
        let len = builder.build_into(&mut buffer)?;
        buffer.truncate(len);
        self.sequence = self.sequence.next();
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(payload.len() as u32);
        Ok(buffer)
    }

    /// Accounts for `samples` of media time that were not sent (skipped ticks): the timestamp
    /// moves on so it keeps tracking the sampling clock (RFC 3550 §5.1), the sequence number does
    /// not, since it counts packets sent.
    pub(crate) fn skip(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
    }

    /// [`skip`](Self::skip)s `samples` of media time the stream was silent for (a hold,
    /// skipped ticks): the next packet starts a talkspurt and is marked (RFC 3551 §4.1), so the
    /// peer's jitter buffer takes the gap as one, not as late packets.
    pub(crate) fn skip_gap(&mut self, samples: u32) {
        self.skip(samples);
        self.mark_next = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::SmallRng};
    use rtp_rs::RtpReader;

    #[test]
    fn numbers_packets_and_marks_the_first() {
        let mut sender = RtpSender::new(&mut SmallRng::seed_from_u64(7), 0);
        let a = sender.packetize(&[0xFF; 160], 160, Vec::new()).unwrap();
        sender.skip(320);
        let b = sender.packetize(&[0xFF; 160], 160, Vec::new()).unwrap();
        let (a, b) = (RtpReader::new(&a).unwrap(), RtpReader::new(&b).unwrap());
        assert!(a.mark() && !b.mark());
        assert_eq!(a.ssrc(), b.ssrc());
        assert_eq!(b.sequence_number() - a.sequence_number(), 1);
        assert_eq!(b.timestamp().wrapping_sub(a.timestamp()), 480);
        assert_eq!(b.payload().len(), 160);
        assert_eq!(b.payload_type(), 0);
        assert_eq!((sender.packets(), sender.octets()), (2, 320));
    }

    #[test]
    fn event_packets_leave_the_talkspurts_mark_to_the_next_audio_packet() {
        let mut sender = RtpSender::new(&mut SmallRng::seed_from_u64(7), 0);
        sender.packetize(&[0xFF; 160], 160, Vec::new()).unwrap();
        sender.skip_gap(1600);
        let event = sender
            .packetize_event(101, 42, false, &[1, 10, 0, 160], Vec::new())
            .unwrap();
        let audio = sender.packetize(&[0xFF; 160], 160, Vec::new()).unwrap();
        let next = sender.packetize(&[0xFF; 160], 160, Vec::new()).unwrap();
        let marks = [&event, &audio, &next].map(|p| RtpReader::new(p).unwrap().mark());
        assert_eq!(marks, [false, true, false]);
    }

    #[test]
    fn rejects_payload_types_above_127() {
        let mut sender = RtpSender::new(&mut SmallRng::seed_from_u64(7), 200);
        assert!(sender.packetize(&[0; 4], 4, Vec::new()).is_err());
    }
}
