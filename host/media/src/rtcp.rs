//! A leg's RTCP (RFC 3550 §6): its reports to the peer, each a compound packet of a sender or
//! receiver report and our CNAME, every few seconds; and the peer's reports, read for the
//! loss, jitter and round trip of the stream we send it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::Rng;
use rtcp_types::{Compound, Packet, ReportBlock};

use crate::latch;
use crate::packetizer::Packetizer;
use crate::reception::{Reception, ReportFigures, duration_of};
use crate::rtcp_writer::{Block, SenderInfo, write_report};
use crate::rtp::RtpSender;

/// The mean time between two reports (RFC 3550 §6.2: Tmin, 5 s), each drawn from half to one
/// and a half of it (§6.3.1); the first is drawn around half of it (§6.2, "initial"). The
/// leg's session has two members and no more, so the RFC's reconsideration of the interval
/// (and the compensation for it) would change nothing.
pub const RTCP_MIN_INTERVAL: Duration = Duration::from_secs(5);
/// Our sender reports remembered to time the round trip by: a peer reports on the last one it
/// had, normally our latest.
const SENT_REPORTS: usize = 4;
/// Characters of a CNAME: 96 random bits in base64 (RFC 7022 §5).
const CNAME_LEN: usize = 16;
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// RFC 5761 §4: on a port shared with RTP, a packet whose second octet is in this range is RTCP
/// (its packet type: 192–223 are never RTP payload types with the marker bit either way).
const MUXED_RTCP_TYPES: std::ops::RangeInclusive<u8> = 192..=223;

/// Where a leg's RTCP goes and comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcpPath {
    /// The RTP port carries it too (RFC 5761, `a=rtcp-mux` offered and answered).
    Muxed,
    /// A port of its own: the peer's is this address (its RTP port + 1, or its `a=rtcp`, RFC
    /// 3605), ours the leg's RTP port + 1.
    Separate(SocketAddr),
}

/// Which of a leg's reports is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportKind {
    /// One of its reports every few seconds.
    Regular,
    /// Its last, as it ends: the report, then the BYE of its stream (RFC 3550 §6.3.7).
    Last,
}

/// Which of a leg's two sockets a packet goes out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegSocket {
    /// The RTP port.
    Rtp,
    /// The RTCP port (the RTP port + 1).
    Rtcp,
}

/// Whether a packet that came to a leg's RTP port is RTCP multiplexed with it (RFC 5761 §4).
pub(crate) fn is_muxed_rtcp(packet: &[u8]) -> bool {
    packet
        .get(1)
        .is_some_and(|kind| MUXED_RTCP_TYPES.contains(kind))
}

/// What the peer's latest report says of the stream we send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerReport {
    /// The share of our packets it lost between its last two reports, in 256ths (RFC 3550
    /// §6.4.1: 0 to 255).
    pub fraction_lost: u8,
    /// Our packets it lost in all (negative when it got duplicates).
    pub cumulative_lost: i32,
    /// The interarrival jitter it measured.
    pub jitter: Duration,
    /// The round trip between us, from its report on our last sender report (RFC 3550
    /// §6.4.1); `None` until it reports on one.
    pub round_trip: Option<Duration>,
}

/// How a leg's RTP fares each way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegQuality {
    /// Packets of the peer's RTP received over the leg's life, across its changes of SSRC and
    /// restarts of its numbering (saturating at `u32::MAX`).
    pub received: u32,
    /// Packets of the peer's RTP expected less those received over the leg's life, each stream
    /// (an SSRC, a numbering) expected from its first sequence number to its highest (negative
    /// with duplicates).
    pub lost: i64,
    /// The interarrival jitter of the peer's stream under its latest SSRC (RFC 3550 A.8).
    pub jitter: Duration,
    /// The peer's latest report on our stream; `None` while it sent none.
    pub peer: Option<PeerReport>,
}

/// What a report from the peer added to the worker's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReportNotes {
    /// The round trip it let us measure (the latest, if it had several blocks on our stream).
    pub(crate) round_trip: Option<Duration>,
    /// Our packets it reports lost since its previous report (never negative).
    pub(crate) newly_lost: u64,
    /// Our packets it reports expected since its previous report.
    pub(crate) newly_expected: u64,
}

/// Where a leg's RTP goes, as its latch has it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RtpDestination {
    /// The source it latched onto, or the SDP's address (see `Latch::destination`).
    pub(crate) address: SocketAddr,
    /// It is a source latched on trial (see `Latch::on_trial`): one that never showed it is on
    /// the peer's path.
    pub(crate) on_trial: bool,
}

/// Who may report on a leg's stream (see [`Rtcp::receive`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RtcpPeer {
    /// Where our RTP goes.
    pub(crate) rtp_destination: RtpDestination,
    /// The RTCP address the peer's SDP named (its `a=rtcp`, else its RTP port + 1), unless
    /// RTCP is muxed.
    pub(crate) rtcp_address: Option<SocketAddr>,
    /// The SSRC of the peer's RTP stream, once a packet of it came.
    pub(crate) ssrc: Option<u32>,
    /// The SSRC of the peer's audio as last heard from a source not on trial, since its SDP
    /// address last moved: our reports, which name it, go to the peer's path alone, so a
    /// report under it is signed by that path. It differs from `ssrc` once a source on trial
    /// sent, until the peer's path sends again; it is `None` after a move until the new path
    /// sends.
    pub(crate) path_ssrc: Option<u32>,
}

/// Whether `a` and `b` are on one host (an IPv4 address and its IPv6-mapped form alike).
fn same_host(a: SocketAddr, b: SocketAddr) -> bool {
    a.ip().to_canonical() == b.ip().to_canonical()
}

/// What a valid compound packet says of who sent it and what it is about.
struct Validated {
    /// The SSRC of the report's sender.
    sender: u32,
    /// It has a report block on the stream `ours` named.
    reports_on_ours: bool,
}

/// Checks that `packet` is a valid compound RTCP packet (RFC 3550 A.2: version 2, lengths that
/// add up, every packet readable, a sender or receiver report first), and reads who sent it
/// and whether it reports on our stream `ours`.
fn validate(packet: &[u8], ours: u32) -> Result<Validated, Refused> {
    let mut sender = None;
    let mut reports_on_ours = false;
    for (index, packet) in Compound::parse(packet)
        .map_err(|_| Refused::Malformed)?
        .enumerate()
    {
        let on_ours = |block: ReportBlock<'_>| block.ssrc() == ours;
        match packet.map_err(|_| Refused::Malformed)? {
            Packet::Sr(report) => {
                sender = sender.or((index == 0).then(|| report.ssrc()));
                reports_on_ours |= report.report_blocks().any(on_ours);
            }
            Packet::Rr(report) => {
                sender = sender.or((index == 0).then(|| report.ssrc()));
                reports_on_ours |= report.report_blocks().any(on_ours);
            }
            _ if index == 0 => return Err(Refused::Malformed),
            _ => {}
        }
    }
    let sender = sender.ok_or(Refused::Malformed)?;
    Ok(Validated {
        sender,
        reports_on_ours,
    })
}

/// A report block of the peer's on our stream, as it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PeerFigures {
    fraction_lost: u8,
    cumulative_lost: i32,
    extended_highest: u32,
    /// In our stream's RTP timestamp units.
    jitter: u32,
}

/// How far behind the latest report an older one can be (in extended sequence numbers): one
/// reordered on its way lags by an interval's packets, minutes short of this. A count that
/// restarted lags further: RFC 3550 A.1 restarts it at cycle 0, a whole cycle (2^16) or more
/// back.
const REORDERED_REPORT_SPAN: u32 = 1 << 15;

/// How a reporter's report follows its latest one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sequel {
    /// It counts this many of our packets since.
    Since(u32),
    /// It was written before the latest one and overtaken on its way.
    Older,
    /// The reporter's count started over.
    Restarted,
}

/// What the peer's reports on our stream are counted from: the latest report of the source
/// that sends them, and the most packets it reported lost.
#[derive(Clone, Copy, Debug)]
struct Baseline {
    /// The SSRC the reports come under (the peer stream's, or a relay's).
    reporter: u32,
    /// The latest report's extended highest sequence number.
    extended_highest: u32,
    /// The most packets the reporter reported lost in all: only a loss above it is new.
    /// RFC 3550 §6.4.1 lets the count go down with duplicates, and back up as they are offset:
    /// counted from a lower one, those packets would be counted lost twice.
    most_lost: i32,
}

impl Baseline {
    /// A baseline at the report `figures` from `reporter`.
    fn new(reporter: u32, figures: &PeerFigures) -> Self {
        Baseline {
            reporter,
            extended_highest: figures.extended_highest,
            most_lost: figures.cumulative_lost,
        }
    }

    /// How the report `figures`, from the same reporter, follows the latest one.
    fn sequel(&self, figures: &PeerFigures) -> Sequel {
        let expected = figures.extended_highest.wrapping_sub(self.extended_highest);
        let behind = expected.wrapping_neg();
        if expected < 1 << 31 {
            Sequel::Since(expected)
        } else if behind < REORDERED_REPORT_SPAN {
            Sequel::Older
        } else {
            Sequel::Restarted
        }
    }

    /// Takes the report `figures`, of whose interval `expected` packets count: the packets it
    /// adds to those lost, at most `expected`.
    fn advance(&mut self, figures: &PeerFigures, expected: u32) -> u32 {
        self.extended_highest = figures.extended_highest;
        let fallen = i64::from(self.most_lost) - i64::from(figures.cumulative_lost);
        if fallen > i64::from(expected) {
            // More than duplicates of the interval's packets could offset: the count restarted
            // or the mark was bogus (a corrupt report). Held to the mark, no loss would count
            // until the count passed it again.
            self.most_lost = figures.cumulative_lost;
            return 0;
        }
        let lost = figures.cumulative_lost - self.most_lost;
        self.most_lost = self.most_lost.max(figures.cumulative_lost);
        u32::try_from(lost).unwrap_or(0).min(expected)
    }
}

impl ReportNotes {
    fn add(&mut self, other: ReportNotes) {
        self.round_trip = other.round_trip.or(self.round_trip);
        self.newly_lost += other.newly_lost;
        self.newly_expected += other.newly_expected;
    }
}

/// Why a packet taken as RTCP was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a valid compound RTCP packet (RFC 3550 A.2: version 2, lengths that add up, a
    /// sender or receiver report first).
    Malformed,
    /// Not the peer's: from another host, or the report of a stream other than the peer's.
    Foreign,
}

/// NTP time (RFC 5905's 64-bit format: seconds since 1900 and a 32-bit fraction) on the
/// worker's monotonic clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NtpClock {
    pub(crate) start: Instant,
    pub(crate) ntp_at_start: u64,
}

impl NtpClock {
    /// The NTP timestamp of `now`.
    pub(crate) fn at(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start);
        self.ntp_at_start.wrapping_add(ntp_units(elapsed))
    }
}

/// Seconds from the NTP era (1900) to the Unix epoch (RFC 5905 §6).
const NTP_UNIX_OFFSET_S: u64 = 2_208_988_800;

/// The time `since_unix_epoch` after the Unix epoch as an NTP timestamp (RFC 5905's 64-bit
/// format), for [`WorkerConfig::ntp_at_start`](crate::WorkerConfig::ntp_at_start).
pub fn ntp_timestamp(since_unix_epoch: Duration) -> u64 {
    (NTP_UNIX_OFFSET_S << 32).wrapping_add(ntp_units(since_unix_epoch))
}

/// `duration` in NTP units: seconds in the high 32 bits, their fraction in the low.
fn ntp_units(duration: Duration) -> u64 {
    let fraction = (u64::from(duration.subsec_nanos()) << 32) / 1_000_000_000;
    (duration.as_secs() << 32).wrapping_add(fraction)
}

/// The middle 32 bits of an NTP timestamp (RFC 3550 §6.4.1's LSR), in 1/65536 s.
fn middle(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// A duration in 1/65536 s (RFC 3550 §6.4.1's DLSR).
fn in_65536ths(duration: Duration) -> u32 {
    (duration.as_nanos() * 65_536 / 1_000_000_000).min(u128::from(u32::MAX)) as u32
}

/// A sender report of the peer's, as our next block on its stream names it.
#[derive(Clone, Copy, Debug)]
struct PeerSenderReport {
    /// The SSRC it came from.
    ssrc: u32,
    /// The middle 32 bits of its NTP timestamp (RFC 3550 §6.4.1's LSR).
    lsr: u32,
    /// When it came.
    at: Instant,
}

/// Where the peer's RTCP came from, and whose path that is.
#[derive(Clone, Copy, Debug)]
struct LearnedSource {
    /// The address the report came from.
    rtcp: SocketAddr,
    /// Where our RTP went when the report came: the path it is the source of, as any port but
    /// the SDP's RTCP address may be another party's, even on the SDP's host (behind the same
    /// NAT, on the same SBC). `None` when it came from the RTCP address the peer's SDP named:
    /// the peer's own word, which stays its source whatever the latch takes.
    rtp_destination: Option<SocketAddr>,
}

impl LearnedSource {
    /// The source of a report from `rtcp`, while our RTP goes to `rtp_destination`; `signalled`
    /// when `rtcp` is the RTCP address the peer's SDP named.
    fn new(rtcp: SocketAddr, rtp_destination: SocketAddr, signalled: bool) -> Self {
        LearnedSource {
            rtcp,
            rtp_destination: (!signalled).then_some(rtp_destination),
        }
    }

    /// Whether it is still the peer's while our RTP goes to `rtp`: it came from the SDP's RTCP
    /// address, or our RTP still goes where it went then, to a source not on trial.
    fn holds_for(&self, rtp: RtpDestination) -> bool {
        self.rtp_destination
            .is_none_or(|then| !rtp.on_trial && latch::same(then, rtp.address))
    }
}

/// One leg's RTCP state.
#[derive(Clone, Debug)]
pub(crate) struct Rtcp {
    cname: [u8; CNAME_LEN],
    next_report: Instant,
    /// Our packet count when we sent our previous report and the one before: a sender report
    /// goes out only if we sent since the one before (RFC 3550 §6.4).
    packets_at_reports: [u32; 2],
    /// Our latest sender reports: their LSR and when they went.
    sent_reports: [Option<(u32, Instant)>; SENT_REPORTS],
    /// The peer's latest sender report: its SSRC, its LSR and when it came.
    peer_sender_report: Option<PeerSenderReport>,
    /// The peer's latest report block on our stream.
    peer: Option<PeerFigures>,
    /// What the peer's next report on the stream we send now is counted from; `None` until a
    /// report starts it anew.
    baseline: Option<Baseline>,
    /// Of our packets on the stream we send now, those the peer's reports added to what it
    /// expected (modulo 2^32).
    reported_expected: u32,
    /// The latest round trip measured.
    round_trip: Option<Duration>,
    /// Where the peer's RTCP last came from since its stream last moved (symmetric RTCP, RFC
    /// 4961): ours goes there while it holds (see [`LearnedSource::holds_for`]).
    source: Option<LearnedSource>,
    /// The peer's RTCP path as last signalled with an address: whether a re-negotiation moves
    /// it (see [`renegotiated`](Self::renegotiated)).
    signalled: RtcpPath,
    /// Whether we sent a report on the stream we send now.
    reported: bool,
}

impl Rtcp {
    /// A leg's RTCP from `now`, to a peer whose SDP names `path`: its CNAME drawn from `rng`,
    /// its first report due after half the usual interval.
    pub(crate) fn new(now: Instant, path: RtcpPath, rng: &mut impl Rng) -> Self {
        let mut cname = [0; CNAME_LEN];
        for character in &mut cname {
            *character = BASE64[rng.random_range(0..BASE64.len())];
        }
        Rtcp {
            cname,
            next_report: now + interval(RTCP_MIN_INTERVAL / 2, rng),
            packets_at_reports: [0; 2],
            sent_reports: [None; SENT_REPORTS],
            peer_sender_report: None,
            peer: None,
            baseline: None,
            reported_expected: 0,
            round_trip: None,
            source: None,
            signalled: path,
            reported: false,
        }
    }

    /// Whether a report is due at `now`.
    pub(crate) fn due(&self, now: Instant) -> bool {
        now >= self.next_report
    }

    /// Where our RTCP goes by `path`, with our RTP going to `rtp` and the peer's SDP naming
    /// `sdp_rtp` for it. Muxed, where our RTP goes, unless that is a source on trial.
    /// Otherwise where the peer's RTCP came from, if that was its SDP's RTCP address, or our
    /// RTP went to `rtp` then and `rtp` is no source on trial; else its SDP's RTCP address
    /// while our RTP goes to its SDP's address too. `None` otherwise: a source on trial never
    /// showed it is on the peer's path, and to a NAT's source, its SDP's address being a
    /// private one, the NAT's port for its RTCP is unknown.
    pub(crate) fn destination(
        &self,
        path: RtcpPath,
        rtp: RtpDestination,
        sdp_rtp: SocketAddr,
    ) -> Option<(LegSocket, SocketAddr)> {
        // Our reports name the peer's SSRC and how far its numbering got, with which a packet
        // from anywhere moves the latch (see `Latch::follow`): while our RTP goes to a source
        // that never showed it is on the peer's path (a prober's, perhaps), they go nowhere
        // but to the RTCP address the peer's SDP named, its own word (never, when muxed). A
        // source learned elsewhere is the path's our RTP went to then: once our RTP left it
        // (the leg latched elsewhere, whichever way), it is a stream's the leg no longer
        // takes, a prober's that held the latch perhaps.
        let source = self
            .source
            .filter(|learned| learned.holds_for(rtp))
            .map(|learned| learned.rtcp);
        match (path, source) {
            (RtcpPath::Separate(_), Some(source)) => Some((LegSocket::Rtcp, source)),
            _ if rtp.on_trial => None,
            (RtcpPath::Muxed, _) => Some((LegSocket::Rtp, rtp.address)),
            (RtcpPath::Separate(address), None) => {
                latch::same(rtp.address, sdp_rtp).then_some((LegSocket::Rtcp, address))
            }
        }
    }

    /// Forgets where the peer's RTCP came from (its stream moved: a NAT that mapped it anew, a
    /// relay that failed over): ours goes where its next report comes from. Its reports still
    /// count from its latest: the same peer goes on counting our packets.
    pub(crate) fn relearn_source(&mut self) {
        self.source = None;
    }

    /// The peer's session was re-negotiated, its SDP naming `path` for its RTCP, and its RTP
    /// address moved or not (`rtp_moved`, see `Latch::relearn`). When either moved, the peer
    /// is forgotten: where its RTCP came from, and what its reports on our stream counted
    /// from; its next report counts from itself, as a new peer counts our packets anew. As for
    /// the latch, an unspecified address (a hold's `c=0.0.0.0`) moves nothing: the peer
    /// resumed at its address is the one it was.
    pub(crate) fn renegotiated(&mut self, path: RtcpPath, rtp_moved: bool) {
        let rtcp_moved = match (self.signalled, path) {
            (RtcpPath::Separate(before), RtcpPath::Separate(next)) => latch::moves(before, next),
            (before, next) => before != next,
        };
        if !matches!(path, RtcpPath::Separate(address) if address.ip().is_unspecified()) {
            self.signalled = path;
        }
        if rtp_moved || rtcp_moved {
            self.relearn_source();
            self.baseline = None;
        }
    }

    /// Our report at `now` (NTP time `ntp`) into `buffer`: a sender report if the stream `out`
    /// sends on sent since our report before last, else a receiver report, with a block on
    /// what `reception` got if anything; then our CNAME (RFC 3550 §6.1). The next report is
    /// scheduled.
    pub(crate) fn report(
        &mut self,
        now: Instant,
        ntp: u64,
        out: &Packetizer,
        reception: &mut Reception,
        mut buffer: Vec<u8>,
        rng: &mut impl Rng,
    ) -> Vec<u8> {
        self.next_report = now + interval(RTCP_MIN_INTERVAL, rng);
        self.reported = true;
        let block = reception.report().map(|figures| self.block(now, figures));
        let sender = out.sender();
        let sent = sender.packets();
        let sends = sent != self.packets_at_reports[0];
        self.packets_at_reports = [self.packets_at_reports[1], sent];
        let sender_info = sends.then(|| {
            self.sent_reports.rotate_right(1);
            self.sent_reports[0] = Some((middle(ntp), now));
            SenderInfo {
                ntp,
                // RFC 3550 §6.4.1: the same instant as the NTP time, on the RTP clock.
                rtp_timestamp: out.media_timestamp(),
                packets: sent,
                octets: sender.octets(),
            }
        });
        write_report(&mut buffer, sender.ssrc(), sender_info, block, &self.cname);
        buffer
    }

    /// Whether the peer heard of the stream `sender` sends: it sent RTP, or we reported.
    pub(crate) fn introduced(&self, sender: &RtpSender) -> bool {
        self.reported || sender.packets() > 0
    }

    /// Takes a compound RTCP packet that came at `now` from `source`, for the stream `sender`
    /// sends; what it adds to the packets the peer expected stays within those `sender` sent.
    /// Only the peer reports: the packet must come from the host our RTP goes to
    /// (`rtp_destination`) or that the peer's SDP named for its RTCP (`rtcp_address`), on any
    /// port (a NAT maps RTCP apart), and, once the peer's RTP stream is known (`peer_ssrc`),
    /// be that stream's report or have a block on ours. Nothing of a packet refused is taken.
    /// Ours go where it came from as [`learn_source`](Self::learn_source) says.
    pub(crate) fn receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        packet: &[u8],
        sender: &RtpSender,
        peer: RtcpPeer,
    ) -> Result<ReportNotes, Refused> {
        let ssrc = sender.ssrc();
        let from_peer = same_host(source, peer.rtp_destination.address)
            || peer
                .rtcp_address
                .is_some_and(|address| same_host(source, address));
        if !from_peer {
            return Err(Refused::Foreign);
        }
        let validated = validate(packet, ssrc)?;
        // A relay that reports under an SSRC of its own still reports on our stream, whose
        // SSRC is random and new to this call: a report of another call's stream names
        // neither.
        let peers = peer
            .ssrc
            .is_none_or(|peer_ssrc| peer_ssrc == validated.sender);
        if !peers && !validated.reports_on_ours {
            return Err(Refused::Foreign);
        }
        let mut notes = ReportNotes::default();
        for packet in Compound::parse(packet).map_err(|_| Refused::Malformed)? {
            let ours = |block: &ReportBlock<'_>| block.ssrc() == ssrc;
            let block = match packet.map_err(|_| Refused::Malformed)? {
                Packet::Sr(report) => {
                    // RFC 3550 §6.4.1: our block's LSR is that of the peer stream's own
                    // sender report, not a relay's (see `block`).
                    if peer.ssrc.is_none_or(|peer_ssrc| peer_ssrc == report.ssrc()) {
                        self.peer_sender_report = Some(PeerSenderReport {
                            ssrc: report.ssrc(),
                            lsr: middle(report.ntp_timestamp()),
                            at: now,
                        });
                    }
                    report
                        .report_blocks()
                        .filter(ours)
                        .last()
                        .map(|block| (report.ssrc(), block))
                }
                Packet::Rr(report) => report
                    .report_blocks()
                    .filter(ours)
                    .last()
                    .map(|block| (report.ssrc(), block)),
                _ => None,
            };
            if let Some((reporter, block)) = block {
                notes.add(self.peer_reported(now, reporter, &block, sender.packets()));
            }
        }
        self.learn_source(source, validated.sender, peer);
        Ok(notes)
    }

    /// Takes `source`, where a report of the peer's under `sender` came from, as where ours go
    /// (see [`destination`](Self::destination)) if it is the RTCP address the peer's SDP named,
    /// its own word; or, any other port of its host, if `sender` is the peer's audio as heard
    /// from its path (see [`RtcpPeer::path_ssrc`]) while our RTP goes to a source not on trial.
    /// Any party on its host (behind the same NAT, on the same SBC) may report, and ours would
    /// tell it the peer stream's SSRC and how far its numbering got: one that received our RTP
    /// (a prober once latched on trial) knows our SSRC, so a report that only names ours (a
    /// relay's) is read but moves nothing. While our RTP goes to a source on trial no other
    /// port is learned: ours never go to one learned then (see [`LearnedSource::holds_for`]).
    fn learn_source(&mut self, source: SocketAddr, sender: u32, peer: RtcpPeer) {
        let signalled = peer
            .rtcp_address
            .is_some_and(|address| latch::same(source, address));
        let signed = peer.path_ssrc == Some(sender) && !peer.rtp_destination.on_trial;
        if signalled || signed {
            let rtp_destination = peer.rtp_destination.address;
            self.source = Some(LearnedSource::new(source, rtp_destination, signalled));
        }
    }

    /// The stream we send starts over (a new SSRC): what the peer said of the old one no
    /// longer counts towards the new one's deltas.
    pub(crate) fn restart_sending(&mut self) {
        self.reported = false;
        self.peer = None;
        self.baseline = None;
        self.reported_expected = 0;
        self.packets_at_reports = [0; 2];
        self.sent_reports = [None; SENT_REPORTS];
    }

    /// Our report block on the peer's stream, with the LSR and DLSR of that stream's last
    /// sender report; 0 and 0 when none came from it (RFC 3550 §6.4.1), even if one came from
    /// another SSRC (a relay's, or the stream's before it changed SSRC).
    fn block(&self, now: Instant, figures: ReportFigures) -> Block {
        let (last_sender_report, delay) = self
            .peer_sender_report
            .filter(|report| report.ssrc == figures.ssrc)
            .map_or((0, 0), |report| {
                (
                    report.lsr,
                    in_65536ths(now.saturating_duration_since(report.at)),
                )
            });
        Block {
            figures,
            last_sender_report,
            delay_since_last_sender_report: delay,
        }
    }

    /// Reads the `block` on our stream, of which we sent `sent` packets, that `reporter` sent.
    /// Its figures count from the same reporter's previous report; another reporter's start
    /// anew, as a new peer counts our packets anew. One older than the reporter's latest
    /// changes nothing but the round trip.
    fn peer_reported(
        &mut self,
        now: Instant,
        reporter: u32,
        block: &ReportBlock<'_>,
        sent: u32,
    ) -> ReportNotes {
        let figures = PeerFigures {
            fraction_lost: block.fraction_lost(),
            // Sign-extend the 24-bit field.
            cumulative_lost: ((block.cumulative_lost() << 8) as i32) >> 8,
            extended_highest: block.extended_sequence_number(),
            jitter: block.interarrival_jitter(),
        };
        let round_trip = self.round_trip(now, block);
        let mut notes = ReportNotes {
            round_trip,
            ..ReportNotes::default()
        };
        self.round_trip = round_trip.or(self.round_trip);
        let followed = self
            .baseline
            .as_mut()
            .filter(|baseline| baseline.reporter == reporter)
            .map(|baseline| (baseline.sequel(&figures), baseline));
        match followed {
            // Its figures are behind the latest report's: counted from them, a later report
            // would count their interval's loss twice.
            Some((Sequel::Older, _)) => return notes,
            Some((Sequel::Since(expected), baseline)) => {
                // The peer cannot have expected packets we never sent: a lying or broken peer
                // must not skew the host's loss ratio. Packets in flight when a report was
                // written still count in a later one.
                let expected = expected.min(sent.wrapping_sub(self.reported_expected));
                self.reported_expected = self.reported_expected.wrapping_add(expected);
                notes.newly_expected = u64::from(expected);
                notes.newly_lost = u64::from(baseline.advance(&figures, expected));
            }
            // A first report, another reporter's, or one whose count restarted adds nothing.
            None | Some((Sequel::Restarted, _)) => {
                self.baseline = Some(Baseline::new(reporter, &figures));
            }
        }
        self.peer = Some(figures);
        notes
    }

    /// RFC 3550 §6.4.1: the time since we sent the sender report the block names, less the
    /// time the peer held it.
    fn round_trip(&self, now: Instant, block: &ReportBlock<'_>) -> Option<Duration> {
        let lsr = block.last_sender_report_timestamp();
        if lsr == 0 {
            return None;
        }
        let (_, sent) = self
            .sent_reports
            .iter()
            .flatten()
            .find(|(sent_lsr, _)| *sent_lsr == lsr)?;
        let held = Duration::from_nanos(
            u64::from(block.delay_since_last_sender_report_timestamp()) * 1_000_000_000 / 65_536,
        );
        now.saturating_duration_since(*sent).checked_sub(held)
    }

    /// The quality of the leg's streams: what `reception` got, and what the peer reports of
    /// ours, clocked at `clock_rate`.
    pub(crate) fn quality(&self, reception: &Reception, clock_rate: u32) -> LegQuality {
        let peer = self.peer.map(|peer| PeerReport {
            fraction_lost: peer.fraction_lost,
            cumulative_lost: peer.cumulative_lost,
            jitter: duration_of(peer.jitter, clock_rate),
            round_trip: self.round_trip,
        });
        let received = reception.total_received();
        LegQuality {
            received: u32::try_from(received).unwrap_or(u32::MAX),
            lost: i64::try_from(reception.total_expected())
                .unwrap_or(i64::MAX)
                .saturating_sub(i64::try_from(received).unwrap_or(i64::MAX)),
            jitter: reception.jitter(),
            peer,
        }
    }
}

/// RFC 3550 §6.3.1: `mean` times a random factor in [0.5, 1.5].
fn interval(mean: Duration, rng: &mut impl Rng) -> Duration {
    mean.mul_f64(rng.random_range(0.5..1.5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    #[test]
    fn the_quality_counts_the_peers_rtp_across_its_streams() {
        let now = Instant::now();
        let rtcp = Rtcp::new(now, RtcpPath::Muxed, &mut SmallRng::seed_from_u64(1));
        let mut reception = Reception::new(8000, Duration::from_millis(200));
        // 10 of the first SSRC's 100 lost, none of its successor's 100 (a transfer), then the
        // successor's numbering restarts and 5 of 100 are lost.
        for sequence in (0..100).filter(|s| !(10..20).contains(s)) {
            reception.count_audio(now, 0x77, sequence);
        }
        for sequence in 5000..5100 {
            reception.count_audio(now, 0x88, sequence);
        }
        for sequence in (30_000..30_101).filter(|s| !(30_050..30_055).contains(s)) {
            reception.count_audio(now, 0x88, sequence);
        }
        let quality = rtcp.quality(&reception, 8000);
        // 90 + 100 + 95 received (the jump's first packet no stream's), 100 + 100 + 100
        // expected.
        assert_eq!((quality.received, quality.lost), (285, 15), "{quality:?}");
    }

    #[test]
    fn ntp_time_counts_from_1900_in_32_bit_fractions() {
        // 2026-12-05T00:00:00Z, and half a second after it.
        let unix = Duration::from_secs(1_796_428_800);
        assert_eq!(ntp_timestamp(unix) >> 32, 1_796_428_800 + 2_208_988_800);
        let half = ntp_timestamp(unix + Duration::from_millis(500));
        assert_eq!(half - ntp_timestamp(unix), 1 << 31);
        assert_eq!(middle(half) & 0xFFFF, 0x8000);
        let start = Instant::now();
        let clock = NtpClock {
            start,
            ntp_at_start: ntp_timestamp(unix),
        };
        assert_eq!(
            clock.at(start + Duration::from_secs(2)),
            ntp_timestamp(unix) + (2 << 32)
        );
        assert_eq!(in_65536ths(Duration::from_millis(250)), 16_384);
    }
}
