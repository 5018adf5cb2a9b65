//! Writes our RTCP reports (RFC 3550 §6.4, §6.5) into a reused buffer. The `rtcp-types`
//! crate reads the peer's, but its builders allocate for every packet and report block, and
//! a timing core allocates nothing in steady state; the tests read what this writes back with
//! that crate.

/// RTCP packet types (RFC 3550 §12.1).
const SENDER_REPORT: u8 = 200;
const RECEIVER_REPORT: u8 = 201;
const SOURCE_DESCRIPTION: u8 = 202;
const GOODBYE: u8 = 203;
/// The CNAME item of a source description (RFC 3550 §6.5.1).
const CNAME: u8 = 1;

use crate::reception::ReportFigures;

/// One report block (RFC 3550 §6.4.1): what was received, and the last sender report of the
/// stream's source (LSR, and DLSR in 1/65536 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) figures: ReportFigures,
    pub(crate) last_sender_report: u32,
    pub(crate) delay_since_last_sender_report: u32,
}

/// What a sender report states of the stream sent (RFC 3550 §6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SenderInfo {
    pub(crate) ntp: u64,
    pub(crate) rtp_timestamp: u32,
    pub(crate) packets: u32,
    pub(crate) octets: u32,
}

/// Writes into `buffer` (its contents replaced) the compound packet of `ssrc`'s report: a
/// sender report with `sender` or else a receiver report, with `block` if any, then a source
/// description of `ssrc` with `cname` (RFC 3550 §6.1: every compound packet has both).
pub(crate) fn write_report(
    buffer: &mut Vec<u8>,
    ssrc: u32,
    sender: Option<SenderInfo>,
    block: Option<Block>,
    cname: &[u8],
) {
    buffer.clear();
    let blocks = u8::from(block.is_some());
    let kind = if sender.is_some() {
        SENDER_REPORT
    } else {
        RECEIVER_REPORT
    };
    let start = header(buffer, blocks, kind);
    put_u32(buffer, ssrc);
    if let Some(sender) = sender {
        buffer.extend_from_slice(&sender.ntp.to_be_bytes());
        put_u32(buffer, sender.rtp_timestamp);
        put_u32(buffer, sender.packets);
        put_u32(buffer, sender.octets);
    }
    if let Some(block) = block {
        let figures = block.figures;
        put_u32(buffer, figures.ssrc);
        // The cumulative loss is a 24-bit two's complement field.
        let lost = figures.cumulative_lost as u32 & 0xFF_FFFF;
        put_u32(buffer, u32::from(figures.fraction_lost) << 24 | lost);
        put_u32(buffer, figures.extended_highest);
        put_u32(buffer, figures.jitter);
        put_u32(buffer, block.last_sender_report);
        put_u32(buffer, block.delay_since_last_sender_report);
    }
    finish(buffer, start);
    let start = header(buffer, 1, SOURCE_DESCRIPTION);
    put_u32(buffer, ssrc);
    let cname = &cname[..cname.len().min(255)];
    buffer.push(CNAME);
    buffer.push(cname.len() as u8);
    buffer.extend_from_slice(cname);
    // The item list ends with a null octet, then nulls to the next 32-bit boundary (§6.5).
    buffer.push(0);
    while !buffer.len().is_multiple_of(4) {
        buffer.push(0);
    }
    finish(buffer, start);
}

/// Appends the BYE of `ssrc` (RFC 3550 §6.6) to `buffer`, a compound packet from
/// [`write_report`]: a BYE is the last packet of its compound (§6.1).
pub(crate) fn append_goodbye(buffer: &mut Vec<u8>, ssrc: u32) {
    let start = header(buffer, 1, GOODBYE);
    put_u32(buffer, ssrc);
    finish(buffer, start);
}

/// Starts a packet of `kind` with `count` in its count field; returns where it starts.
fn header(buffer: &mut Vec<u8>, count: u8, kind: u8) -> usize {
    let start = buffer.len();
    // Version 2, no padding.
    buffer.extend_from_slice(&[0x80 | count, kind, 0, 0]);
    start
}

/// Fills in the length of the packet at `start`: 32-bit words less one (§6.4.1).
fn finish(buffer: &mut [u8], start: usize) {
    let words = ((buffer.len() - start) / 4 - 1) as u16;
    buffer[start + 2..start + 4].copy_from_slice(&words.to_be_bytes());
}

fn put_u32(buffer: &mut Vec<u8>, value: u32) {
    buffer.extend_from_slice(&value.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtcp_types::{Compound, Packet};

    const CNAME_VALUE: &[u8] = b"abcdefghijklmnop";

    fn block() -> Block {
        Block {
            figures: ReportFigures {
                ssrc: 0x1234,
                fraction_lost: 25,
                cumulative_lost: -3,
                extended_highest: 70_000,
                jitter: 80,
            },
            last_sender_report: 0xDEAD_BEEF,
            delay_since_last_sender_report: 65_536,
        }
    }

    #[test]
    fn a_sender_report_reads_back_as_written() {
        let mut buffer = Vec::new();
        let sender = SenderInfo {
            ntp: 0x0102_0304_0506_0708,
            rtp_timestamp: 160,
            packets: 50,
            octets: 8000,
        };
        write_report(&mut buffer, 0xAB, Some(sender), Some(block()), CNAME_VALUE);
        let mut packets = Compound::parse(&buffer).unwrap();
        let Some(Ok(Packet::Sr(report))) = packets.next() else {
            panic!("a sender report first");
        };
        assert_eq!(report.ssrc(), 0xAB);
        assert_eq!(report.ntp_timestamp(), sender.ntp);
        assert_eq!(report.rtp_timestamp(), 160);
        assert_eq!((report.packet_count(), report.octet_count()), (50, 8000));
        let blocks: Vec<_> = report.report_blocks().collect();
        assert_eq!(blocks.len(), 1);
        let read = &blocks[0];
        assert_eq!(read.ssrc(), 0x1234);
        assert_eq!(read.fraction_lost(), 25);
        assert_eq!(read.cumulative_lost(), 0xFF_FFFD);
        assert_eq!(read.extended_sequence_number(), 70_000);
        assert_eq!(read.interarrival_jitter(), 80);
        assert_eq!(read.last_sender_report_timestamp(), 0xDEAD_BEEF);
        assert_eq!(read.delay_since_last_sender_report_timestamp(), 65_536);
        let Some(Ok(Packet::Sdes(sdes))) = packets.next() else {
            panic!("a source description second");
        };
        let chunk = sdes.chunks().next().unwrap();
        assert_eq!(chunk.ssrc(), 0xAB);
        let item = chunk.items().next().unwrap();
        assert_eq!((item.type_(), item.value()), (CNAME, CNAME_VALUE));
        assert!(packets.next().is_none());
    }

    #[test]
    fn a_receiver_report_without_a_block_reads_back() {
        let mut buffer = vec![9; 100];
        write_report(&mut buffer, 7, None, None, b"x");
        let mut packets = Compound::parse(&buffer).unwrap();
        let Some(Ok(Packet::Rr(report))) = packets.next() else {
            panic!("a receiver report first");
        };
        assert_eq!((report.ssrc(), report.n_reports()), (7, 0));
        assert!(matches!(packets.next(), Some(Ok(Packet::Sdes(_)))));
        assert!(buffer.len().is_multiple_of(4));
    }

    #[test]
    fn a_goodbye_ends_the_compound_packet() {
        let mut buffer = Vec::new();
        write_report(&mut buffer, 7, None, Some(block()), b"x");
        append_goodbye(&mut buffer, 7);
        let packets: Vec<_> = Compound::parse(&buffer).unwrap().collect();
        assert_eq!(packets.len(), 3);
        assert!(matches!(packets[0], Ok(Packet::Rr(_))));
        assert!(matches!(packets[1], Ok(Packet::Sdes(_))));
        let Ok(Packet::Bye(bye)) = &packets[2] else {
            panic!("a BYE last: {packets:?}");
        };
        assert_eq!(bye.ssrcs().collect::<Vec<_>>(), [7]);
        assert!(bye.reason().is_none());
    }
}
