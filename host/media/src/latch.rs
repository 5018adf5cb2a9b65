//! Symmetric RTP: which source address a leg takes packets from, and where its own packets go.
//!
//! RFC 4961 (symmetric RTP) has an endpoint send from the address it receives on. A peer behind
//! a NAT advertises a private address in its SDP that cannot be reached, but its packets arrive
//! from the NAT's public mapping, and packets sent back there reach it. So a leg latches onto
//! one source and then:
//!
//! - takes packets only from that source: anyone else who can reach the leg's port cannot inject
//!   audio or key presses;
//! - sends its own RTP there, not to the SDP address.
//!
//! The rule, as in the usual "symmetric RTP" / "comedia" practice of media relays:
//!
//! 1. A packet from the SDP address (`c=` and `m=` port) latches the leg at once.
//! 2. A packet from any other source is held off for [`LATCH_GRACE`] after the first packet the
//!    leg received: dropped (and counted), since the peer at its SDP address may simply be a
//!    little slower than someone probing the port. The first such packet arriving when the
//!    grace is over latches the leg to its source.
//! 3. Once latched, packets from every other source are dropped, but for two:
//!    - one that continues the latched stream ([`Latch::follow`]): its SSRC, and a sequence
//!      number at most [`MAX_CONTINUATION`] past the last one taken. That is the same stream
//!      from a source that moved with no new SDP (a NAT that mapped it anew, a media relay that
//!      failed over), and the leg latches there. Only a party on the stream's path knows its
//!      SSRC and where its numbering stands: someone probing the port from elsewhere would have
//!      to guess 43 bits;
//!    - the SDP address, unless it is a private one: a source that only outlasted the grace
//!      may be a prober that found the port before the peer's first packet came ("RTP
//!      bleed"), however long the peer stays silent (ringing, early media one way), and the
//!      address the peer signalled is its own word. A private SDP address (RFC 1918, RFC 6598,
//!      RFC 4193, link-local) is a peer behind a NAT, from which no genuine packet reaches a
//!      leg latched elsewhere: one claiming it is forged, and does not take the call.
//!
//! Every re-negotiation of the peer's session (a re-INVITE or UPDATE: a resume, a move, a refresh)
//! starts over ([`Latch::relearn`]): a NAT that forgot its mapping while the call was on hold maps
//! the resumed stream to a new port. While the SDP address stays the same (an unspecified one,
//! `c=0.0.0.0` for a hold, changes nothing), the source latched before goes on receiving the leg's
//! RTP and is latched again at its first packet, so a refresh costs a peer behind a NAT nothing. A
//! source that latched meanwhile only by outlasting the grace is on trial: a peer on hold or in DTX
//! stays silent for as long as it likes, and one behind a NAT never sends from its SDP address to
//! take the latch back, so a prober sending all along would otherwise keep its media. The source
//! latched before takes the latch back from a source on trial, from its own address (a prober
//! cannot receive there) or from anywhere with its stream going on (its SSRC and numbering, as in
//! [`Latch::follow`]: a prober knows neither), and the next re-negotiation keeps it, not the one
//! on trial. A peer that resumes from a new mapping with a stream of its own is latched on trial
//! after the grace; at each later re-negotiation the first source on trial is latched again at its
//! first packet (or its stream going on), still on trial, and a later one that outlasts the grace
//! while it is silent does not replace it. When the SDP address moves, the source latched before is the path the peer left (a PBX
//! that hands the media to a phone, a relay failing over): it may go on sending for a while, so it
//! is latched again only [`LEFT_PATH_GRACE`] after its first packet, when nothing else latched
//! first, and is then an ordinary source again; a new peer behind a NAT is heard at the new
//! address, and a peer that only changed the address it signals (one that learned its public
//! address) is heard again after that second. The first address a leg that started without one (a
//! late offer, a hold at setup) is given is no move. Addresses compare on the canonical IP, so an
//! IPv4 peer seen on a dual-stack socket (`::ffff:a.b.c.d`) matches its SDP IPv4 address.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How long after a leg's first packet a source other than its SDP address is refused before the
/// leg latches to it: three 20 ms packet times, enough for a peer at the SDP address that
/// starts together with a faster prober to be heard first, short enough that a caller behind
/// a NAT loses only its first few packets, before its playout even starts.
pub const LATCH_GRACE: Duration = Duration::from_millis(60);

/// How long after its first packet since the SDP address moved the source latched before the
/// move is latched again, if nothing else latched first: longer than a PBX or relay that handed
/// the media on goes on relaying, short for a peer that only signalled anew.
pub const LEFT_PATH_GRACE: Duration = Duration::from_secs(1);

/// How far past the last sequence number taken a packet from another source may be numbered and
/// still continue the latched stream: packets lost while the source moved.
pub const MAX_CONTINUATION: u16 = 32;

/// Whether a packet's source is the one the leg takes packets from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The latched source (or the packet that latched it): read it.
    Accepted,
    /// Any other source: drop the packet unread.
    Foreign,
}

/// One leg's latching state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Latch {
    latched: Option<SocketAddr>,
    // Whether `latched` only outlasted the grace while `previous` was known: it may be a prober
    // that beat a silent peer, so it never takes the place of `previous`.
    on_trial: bool,
    // The source latched before the last re-negotiation, while the SDP address is unchanged.
    previous: Option<Known>,
    // The first source latched on trial since `previous` was: latched again at its first packet
    // after a re-negotiation, or when its stream goes on, still on trial (a peer back from a new
    // mapping with a stream of its own need not win the grace again at every re-negotiation),
    // and kept when a later source outlasts the grace while it is silent.
    trial: Option<Known>,
    // The source latched before the SDP address last moved: the path the peer left.
    left: Option<SocketAddr>,
    // The last SDP address that was not unspecified (unspecified until one is given): whether a
    // re-negotiation moves the peer.
    signalled: SocketAddr,
    // When the first packet since the last reset arrived, from a source other than `left`.
    first_seen: Option<Instant>,
    // When the first packet from `left` since the last reset arrived.
    left_first_seen: Option<Instant>,
    // The SSRC and sequence number of the last packet taken from `latched`.
    last: Option<(u32, u16)>,
}

/// A source latched before a re-negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Known {
    source: SocketAddr,
    // The SSRC and sequence number of the last packet taken from it.
    last: Option<(u32, u16)>,
}

impl Latch {
    /// The state of a new leg whose SDP address is `sdp`.
    pub(crate) fn new(sdp: SocketAddr) -> Latch {
        Latch {
            latched: None,
            on_trial: false,
            previous: None,
            trial: None,
            left: None,
            signalled: sdp,
            first_seen: None,
            left_first_seen: None,
            last: None,
        }
    }

    /// Judges a valid RTP packet from `source` arriving at `now`, for a leg whose SDP address is
    /// `sdp`, latching when the rule says so.
    pub(crate) fn check(&mut self, now: Instant, source: SocketAddr, sdp: SocketAddr) -> Source {
        if self.latched.is_some_and(|latched| same(latched, source)) {
            return Source::Accepted;
        }
        if same(source, sdp) && (self.latched.is_none() || !private(sdp.ip())) {
            return self.latch(source, false);
        }
        if self.on_trial && self.is_previous(source) {
            // The peer's own mapping: a prober cannot receive there, so it gains nothing by
            // claiming it, and the peer may have restarted its stream (a new SSRC).
            return self.latch(source, false);
        }
        if self.latched.is_some() {
            return Source::Foreign;
        }
        if self.left.is_some_and(|left| same(left, source)) {
            let first = *self.left_first_seen.get_or_insert(now);
            if now < first + LEFT_PATH_GRACE {
                return Source::Foreign;
            }
            self.left = None;
            return self.latch(source, false);
        }
        let first = *self.first_seen.get_or_insert(now);
        if self.is_previous(source) {
            self.latch(source, false)
        } else if self.trial.is_some_and(|trial| same(trial.source, source)) {
            self.latch(source, true)
        } else if now >= first + LATCH_GRACE {
            self.latch(source, self.previous.is_some() || self.trial.is_some())
        } else {
            Source::Foreign
        }
    }

    /// Whether `source` is the one latched before the last re-negotiation.
    fn is_previous(&self, source: SocketAddr) -> bool {
        self.previous
            .is_some_and(|previous| same(previous.source, source))
    }

    fn latch(&mut self, source: SocketAddr, on_trial: bool) -> Source {
        self.latched = Some(source);
        self.on_trial = on_trial;
        Source::Accepted
    }

    /// Takes note of the stream position of a packet [`check`](Self::check) accepted.
    pub(crate) fn heard(&mut self, ssrc: u32, sequence: u16) {
        self.last = Some((ssrc, sequence));
    }

    /// Whether a packet from `source`, which [`check`](Self::check) found foreign, continues the
    /// latched stream, or, while nothing or only a source on trial is latched, the one latched
    /// before the last re-negotiation or the first one on trial since (its SSRC, numbered at
    /// most [`MAX_CONTINUATION`] past the last packet heard from it): then the leg latches to
    /// `source`, on trial only if it continues a stream on trial.
    pub(crate) fn follow(&mut self, source: SocketAddr, ssrc: u32, sequence: u16) -> bool {
        if self.latched.is_some() && continues(self.last, ssrc, sequence) {
            self.latched = Some(source);
            return true;
        }
        if self.latched.is_some() && !self.on_trial {
            return false;
        }
        let goes_on =
            |known: Option<Known>| known.is_some_and(|k| continues(k.last, ssrc, sequence));
        if goes_on(self.previous) {
            self.latch(source, false);
            true
        } else if goes_on(self.trial) {
            self.latch(source, true);
            true
        } else {
            false
        }
    }

    /// Where the leg's RTP goes: the latched source, else the one latched before the last
    /// re-negotiation, else the SDP address.
    pub(crate) fn destination(&self, sdp: SocketAddr) -> SocketAddr {
        self.latched
            .or(self.previous.map(|previous| previous.source))
            .unwrap_or(sdp)
    }

    /// Whether the leg's RTP goes to a source latched on trial: one that only outlasted the
    /// grace while the source latched before was silent, and so never showed it is on the
    /// peer's path (a prober may do as much). It stays on trial, at every re-negotiation that
    /// keeps the SDP address too, until the latch leaves it (see the module's doc).
    pub(crate) fn on_trial(&self) -> bool {
        self.on_trial
    }

    /// The source the peer is known at and its stream's position: the latched source unless it
    /// is on trial, else the one latched before the last re-negotiation.
    fn known(&self) -> Option<Known> {
        match self.latched {
            Some(source) if !self.on_trial => Some(Known {
                source,
                last: self.last,
            }),
            _ => self.previous,
        }
    }

    /// The peer's session was re-negotiated, its SDP address now `sdp`: the next packets latch
    /// afresh. Unless the address moved (an unspecified one, a hold, is no move, nor is the
    /// first address of a leg that had none), the source latched so far stays the destination
    /// and latches again at its first packet, or when its stream goes on from elsewhere; if it
    /// moved, that source is latched again only by [`LEFT_PATH_GRACE`]. A source latched on
    /// trial is never the one latched so far: the one latched before it is, and the one on trial
    /// latches again at its first packet, on trial still. Returns whether the address moved.
    pub(crate) fn relearn(&mut self, sdp: SocketAddr) -> bool {
        let before = self.known();
        let trial = match self.latched {
            Some(_) if !self.on_trial => None,
            Some(source) if self.trial.is_none_or(|trial| same(trial.source, source)) => {
                Some(Known {
                    source,
                    last: self.last,
                })
            }
            // Nothing latched, or a later source on trial: the first one stays.
            _ => self.trial,
        };
        let moved = moves(self.signalled, sdp);
        let (previous, trial, left) = match moved {
            true => (None, None, before.map(|known| known.source).or(self.left)),
            false => (before, trial, self.left),
        };
        *self = Latch {
            previous,
            trial,
            left,
            ..Latch::new(if sdp.ip().is_unspecified() {
                self.signalled
            } else {
                sdp
            })
        };
        moved
    }
}

/// Whether `ip` is an address behind a NAT rather than one packets come from on the Internet:
/// private (RFC 1918), shared (RFC 6598), unique local (RFC 4193) or link-local.
fn private(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [first, second, ..] = v4.octets();
            v4.is_private() || v4.is_link_local() || (first == 100 && second & 0xC0 == 64)
        }
        IpAddr::V6(v6) => v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

/// Whether a packet of `ssrc` numbered `sequence` goes on from `last`: the same SSRC, at most
/// [`MAX_CONTINUATION`] packets on.
fn continues(last: Option<(u32, u16)>, ssrc: u32, sequence: u16) -> bool {
    last.is_some_and(|(last_ssrc, last)| {
        last_ssrc == ssrc && (1..=MAX_CONTINUATION).contains(&sequence.wrapping_sub(last))
    })
}

/// Whether a peer that signalled `before` moves by signalling `next`: they differ, and neither
/// is unspecified (a hold's `c=0.0.0.0`, RFC 3264 §8.4, or a leg given no address yet).
pub(crate) fn moves(before: SocketAddr, next: SocketAddr) -> bool {
    let unspecified = |address: SocketAddr| address.ip().is_unspecified();
    !unspecified(before) && !unspecified(next) && !same(before, next)
}

/// Whether `a` and `b` are one address: the same port on the same host, an IPv4 address and its
/// IPv6-mapped form alike (a dual-stack socket sees IPv4 peers in that form).
pub(crate) fn same(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_sdp_address_latches_at_once_and_shuts_out_the_rest() {
        let (t0, sdp) = (Instant::now(), addr("192.0.2.1:4000"));
        let mut latch = Latch::new(sdp);
        assert_eq!(latch.destination(sdp), sdp);
        assert_eq!(
            latch.check(t0, addr("[::ffff:192.0.2.1]:4000"), sdp),
            Source::Accepted
        );
        let later = t0 + Duration::from_secs(5);
        assert_eq!(
            latch.check(later, addr("192.0.2.1:4001"), sdp),
            Source::Foreign
        );
        assert_eq!(latch.check(later, sdp, sdp), Source::Accepted);
        assert_eq!(latch.destination(sdp), addr("[::ffff:192.0.2.1]:4000"));
    }

    #[test]
    fn another_source_latches_after_the_grace_unless_the_sdp_one_comes_first() {
        let (t0, sdp) = (Instant::now(), addr("10.0.0.5:4000"));
        let nat = addr("203.0.113.9:31000");
        let mut latch = Latch::new(sdp);
        assert_eq!(latch.check(t0, nat, sdp), Source::Foreign);
        let almost = t0 + LATCH_GRACE - Duration::from_millis(1);
        assert_eq!(latch.check(almost, nat, sdp), Source::Foreign);
        assert_eq!(latch.check(t0 + LATCH_GRACE, nat, sdp), Source::Accepted);
        assert_eq!(latch.destination(sdp), nat);
        let prober = addr("198.51.100.7:5001");
        assert_eq!(latch.check(t0 + LATCH_GRACE, prober, sdp), Source::Foreign);

        let moved = addr("10.0.0.6:4000");
        latch.relearn(moved);
        assert_eq!(latch.destination(moved), moved, "the new SDP address");
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(latch.check(t1, prober, moved), Source::Foreign);
        assert_eq!(latch.check(t1, moved, moved), Source::Accepted);
        assert_eq!(
            latch.check(t1 + LATCH_GRACE, prober, moved),
            Source::Foreign
        );
    }

    #[test]
    fn a_public_sdp_address_takes_the_latch_back_however_late_a_private_one_never() {
        let (t0, sdp) = (Instant::now(), addr("192.0.2.1:4000"));
        // A prober found the port before the peer's first packet; the peer stays silent while
        // its call rings.
        let prober = addr("198.51.100.7:5001");
        let mut latch = Latch::new(sdp);
        latch.check(t0, prober, sdp);
        assert_eq!(latch.check(t0 + LATCH_GRACE, prober, sdp), Source::Accepted);
        latch.heard(0xBAD, 1);
        assert!(latch.follow(addr("198.51.100.7:5002"), 0xBAD, 2));
        let answered = t0 + Duration::from_secs(20);
        assert_eq!(latch.check(answered, sdp, sdp), Source::Accepted);
        assert_eq!(latch.destination(sdp), sdp);
        assert_eq!(latch.check(answered, prober, sdp), Source::Foreign);

        // A peer behind a NAT: a packet claiming its private SDP address is forged.
        for private in [
            "10.0.0.5:4000",
            "100.64.1.2:4000",
            "[fd00::5]:4000",
            "[fe80::5]:4000",
        ] {
            let (private, nat) = (addr(private), addr("203.0.113.9:31000"));
            let mut latch = Latch::new(private);
            latch.check(t0, nat, private);
            assert_eq!(
                latch.check(t0 + LATCH_GRACE, nat, private),
                Source::Accepted
            );
            let soon = t0 + LATCH_GRACE + Duration::from_millis(20);
            assert_eq!(
                latch.check(soon, private, private),
                Source::Foreign,
                "{private}"
            );
            assert_eq!(latch.destination(private), nat);
            assert_eq!(latch.check(soon, nat, private), Source::Accepted);
        }
    }

    #[test]
    fn the_path_left_by_a_move_is_latched_again_only_after_sending_alone_for_a_second() {
        let (t0, old_sdp) = (Instant::now(), addr("192.0.2.1:4000"));
        let mut latch = Latch::new(old_sdp);
        assert_eq!(latch.check(t0, old_sdp, old_sdp), Source::Accepted);
        // Moved to a phone behind a NAT: private SDP address, packets from its mapping; the
        // old path goes on sending for a while, and first.
        let (new_sdp, nat) = (addr("10.0.0.5:4000"), addr("203.0.113.9:31000"));
        latch.relearn(new_sdp);
        let t1 = t0 + Duration::from_secs(1);
        for ms in (0..200).step_by(20) {
            let at = t1 + Duration::from_millis(ms);
            assert_eq!(
                latch.check(at, old_sdp, new_sdp),
                Source::Foreign,
                "{ms} ms"
            );
        }
        let t2 = t1 + Duration::from_millis(200);
        assert_eq!(latch.check(t2, nat, new_sdp), Source::Foreign);
        assert_eq!(
            latch.check(t2 + LATCH_GRACE, nat, new_sdp),
            Source::Accepted
        );
        assert_eq!(latch.destination(new_sdp), nat);
        let t3 = t1 + LEFT_PATH_GRACE;
        assert_eq!(latch.check(t3, old_sdp, new_sdp), Source::Foreign);

        // A peer behind a NAT that only changed the address it signals (it learned its public
        // one) keeps sending from its mapping: heard again after the second.
        let (private, public) = (addr("10.0.0.5:4000"), addr("203.0.113.9:4000"));
        let mut latch = Latch::new(private);
        latch.check(t0, nat, private);
        assert_eq!(
            latch.check(t0 + LATCH_GRACE, nat, private),
            Source::Accepted
        );
        latch.relearn(public);
        assert_eq!(latch.check(t1, nat, public), Source::Foreign);
        let almost = t1 + LEFT_PATH_GRACE - Duration::from_millis(1);
        assert_eq!(latch.check(almost, nat, public), Source::Foreign);
        assert_eq!(
            latch.check(t1 + LEFT_PATH_GRACE, nat, public),
            Source::Accepted
        );
        assert_eq!(latch.destination(public), nat);
        // Latched again, it is an ordinary source: a hold and resume cost it nothing.
        latch.relearn(public);
        let t4 = t1 + Duration::from_secs(30);
        assert_eq!(latch.check(t4, nat, public), Source::Accepted);
    }

    #[test]
    fn two_moves_in_a_row_keep_the_path_left_and_a_hold_is_no_move() {
        let (t0, relay) = (Instant::now(), addr("192.0.2.1:4000"));
        let mut latch = Latch::new(relay);
        assert_eq!(latch.check(t0, relay, relay), Source::Accepted);
        // Moved twice before anything latched (a glare, a second re-INVITE).
        let (first, second) = (addr("192.0.2.2:4000"), addr("10.0.0.5:4000"));
        latch.relearn(first);
        latch.relearn(second);
        let t1 = t0 + Duration::from_secs(1);
        for ms in (0..200).step_by(20) {
            let at = t1 + Duration::from_millis(ms);
            assert_eq!(latch.check(at, relay, second), Source::Foreign, "{ms} ms");
        }

        // A peer behind a NAT held with c=0.0.0.0 and resumed with its address as before: its
        // mapping latches again at its first packet.
        let (private, nat) = (addr("10.0.0.5:4000"), addr("203.0.113.9:31000"));
        let mut latch = Latch::new(private);
        latch.check(t0, nat, private);
        assert_eq!(
            latch.check(t0 + LATCH_GRACE, nat, private),
            Source::Accepted
        );
        let held = addr("0.0.0.0:4000");
        latch.relearn(held);
        latch.relearn(private);
        assert_eq!(latch.destination(private), nat);
        assert_eq!(latch.check(t1, nat, private), Source::Accepted);

        // A leg that started with no address (a late offer): its first one is no move, and the
        // mapping latched meanwhile latches again at once.
        let none = addr("0.0.0.0:0");
        let mut latch = Latch::new(none);
        latch.check(t0, nat, none);
        assert_eq!(latch.check(t0 + LATCH_GRACE, nat, none), Source::Accepted);
        latch.relearn(private);
        assert_eq!(latch.check(t1, nat, private), Source::Accepted);
    }

    #[test]
    fn a_resumed_stream_from_a_new_nat_mapping_is_latched_again() {
        let (t0, sdp) = (Instant::now(), addr("10.0.0.5:4000"));
        let (before, after) = (addr("203.0.113.9:31000"), addr("203.0.113.9:31522"));
        let mut latch = Latch::new(sdp);
        latch.check(t0, before, sdp);
        assert_eq!(latch.check(t0 + LATCH_GRACE, before, sdp), Source::Accepted);
        // A refresh with the same SDP: the mapping latched so far comes back at once.
        latch.relearn(sdp);
        assert_eq!(latch.destination(sdp), before);
        let t1 = t0 + Duration::from_secs(60);
        assert_eq!(latch.check(t1, before, sdp), Source::Accepted);
        // A resume after a hold the NAT outlived: the same SDP, packets from a new port.
        latch.relearn(sdp);
        let t2 = t1 + Duration::from_secs(300);
        assert_eq!(
            latch.destination(sdp),
            before,
            "until the new source is heard"
        );
        assert_eq!(latch.check(t2, after, sdp), Source::Foreign);
        assert_eq!(latch.check(t2 + LATCH_GRACE, after, sdp), Source::Accepted);
        assert_eq!(latch.destination(sdp), after);
        let stranger = addr("198.51.100.7:5001");
        assert_eq!(
            latch.check(t2 + LATCH_GRACE, stranger, sdp),
            Source::Foreign
        );
    }

    /// A leg whose SDP address is `sdp` (private) latched at `t0` to the peer's mapping `nat`,
    /// its stream (SSRC 0x5EED) heard up to number 100.
    fn latched_behind_a_nat(t0: Instant, sdp: SocketAddr, nat: SocketAddr) -> Latch {
        let mut latch = Latch::new(sdp);
        latch.check(t0, nat, sdp);
        assert_eq!(latch.check(t0 + LATCH_GRACE, nat, sdp), Source::Accepted);
        latch.heard(0x5EED, 100);
        latch
    }

    /// The peer's mapping in [`on_trial`].
    const NAT: &str = "203.0.113.9:31000";

    /// [`latched_behind_a_nat`] at [`NAT`], then re-negotiated while the peer was silent:
    /// `source`, sending a stream of its own (`ssrc`, heard up to number 4), outlasted the
    /// grace and is latched on trial at the time returned.
    fn on_trial(sdp: SocketAddr, source: SocketAddr, ssrc: u32) -> (Latch, Instant) {
        let t0 = Instant::now();
        let mut latch = latched_behind_a_nat(t0, sdp, addr(NAT));
        latch.relearn(sdp);
        let t1 = t0 + Duration::from_secs(60);
        assert_eq!(latch.check(t1, source, sdp), Source::Foreign);
        assert!(!latch.follow(source, ssrc, 1), "no stream known goes on");
        assert_eq!(latch.check(t1 + LATCH_GRACE, source, sdp), Source::Accepted);
        latch.heard(ssrc, 4);
        (latch, t1 + LATCH_GRACE)
    }

    #[test]
    fn the_stream_latched_before_a_refresh_takes_the_latch_back_from_a_source_on_trial() {
        let (sdp, nat, prober) = (addr("10.0.0.5:4000"), addr(NAT), addr("198.51.100.7:5001"));
        // A refresh while the peer is silent (on hold, in DTX): a prober outlasts the grace.
        let (mut latch, t1) = on_trial(sdp, prober, 0xBAD);
        // The next refresh keeps the peer, not the prober, which is latched again on trial.
        latch.relearn(sdp);
        assert_eq!(latch.destination(sdp), nat);
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!(latch.check(t2, prober, sdp), Source::Accepted);
        latch.heard(0xBAD, 8);
        // The peer's stream goes on, from a new mapping: it takes the latch back, and the
        // prober is shut out.
        let t3 = t2 + Duration::from_secs(1);
        let rebound = addr("203.0.113.9:31400");
        assert_eq!(latch.check(t3, rebound, sdp), Source::Foreign);
        assert!(!latch.follow(rebound, 0x5EED, 100), "not numbered on");
        assert!(latch.follow(rebound, 0x5EED, 101));
        latch.heard(0x5EED, 101);
        assert_eq!(latch.destination(sdp), rebound);
        assert_eq!(latch.check(t3, prober, sdp), Source::Foreign);
        assert!(!latch.follow(prober, 0xBAD, 9));
        // Back for good: after a refresh, its stream from a new mapping latches at once.
        latch.relearn(sdp);
        let moved = addr("203.0.113.9:31522");
        let t4 = t3 + Duration::from_secs(60);
        assert_eq!(latch.check(t4, moved, sdp), Source::Foreign);
        assert!(latch.follow(moved, 0x5EED, 102));
        assert_eq!(latch.destination(sdp), moved);
    }

    #[test]
    fn a_peer_back_from_a_new_mapping_with_a_new_stream_need_not_win_the_grace_again() {
        let (sdp, rebound) = (addr("10.0.0.5:4000"), addr("203.0.113.9:31522"));
        let prober = addr("198.51.100.7:5001");
        let (mut latch, t1) = on_trial(sdp, rebound, 0xF00D);
        // At the next refresh it is latched again at its first packet, ahead of any prober.
        latch.relearn(sdp);
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!(latch.check(t2, rebound, sdp), Source::Accepted);
        assert_eq!(latch.destination(sdp), rebound);
        assert_eq!(latch.check(t2 + LATCH_GRACE, prober, sdp), Source::Foreign);
        assert!(!latch.follow(prober, 0xBAD, 9));
    }

    #[test]
    fn a_prober_outlasting_the_grace_while_a_peer_on_trial_is_silent_does_not_replace_it() {
        let (sdp, rebound) = (addr("10.0.0.5:4000"), addr("203.0.113.9:31522"));
        let prober = addr("198.51.100.7:5001");
        let (mut latch, t1) = on_trial(sdp, rebound, 0xF00D);
        // A hold: the peer falls silent, and a prober outlasts the grace.
        latch.relearn(sdp);
        let t2 = t1 + Duration::from_secs(60);
        latch.check(t2, prober, sdp);
        assert_eq!(latch.check(t2 + LATCH_GRACE, prober, sdp), Source::Accepted);
        latch.heard(0xBAD, 9);
        // The resume: the peer's stream, going on from yet another mapping, is latched at once.
        latch.relearn(sdp);
        let t3 = t2 + Duration::from_secs(60);
        let again = addr("203.0.113.9:40000");
        assert_eq!(latch.check(t3, again, sdp), Source::Foreign);
        assert!(latch.follow(again, 0xF00D, 5));
        assert_eq!(latch.destination(sdp), again);
        assert_eq!(latch.check(t3 + LATCH_GRACE, prober, sdp), Source::Foreign);
        assert!(!latch.follow(prober, 0xBAD, 10));
    }

    #[test]
    fn the_peers_own_mapping_takes_the_latch_back_from_a_source_on_trial() {
        let (sdp, nat, prober) = (addr("10.0.0.5:4000"), addr(NAT), addr("198.51.100.7:5001"));
        let (mut latch, t1) = on_trial(sdp, prober, 0xBAD);
        // The peer restarted its stream (a new SSRC) from the mapping it had.
        let t2 = t1 + Duration::from_secs(1);
        assert_eq!(latch.check(t2, nat, sdp), Source::Accepted);
        assert_eq!(latch.destination(sdp), nat);
        assert_eq!(latch.check(t2, prober, sdp), Source::Foreign);
        // Trusted now: the prober does not come back at the next refresh.
        latch.relearn(sdp);
        let t3 = t2 + Duration::from_secs(60);
        assert_eq!(latch.check(t3, prober, sdp), Source::Foreign);
        assert_eq!(latch.check(t3, nat, sdp), Source::Accepted);
    }

    #[test]
    fn a_source_continuing_the_latched_stream_is_followed() {
        let (t0, sdp) = (Instant::now(), addr("192.0.2.1:4000"));
        let mut latch = Latch::new(sdp);
        assert_eq!(latch.check(t0, sdp, sdp), Source::Accepted);
        latch.heard(0x5EED, 100);
        let moved = addr("198.51.100.7:31000");
        // Another stream, or this one numbered too far on, or back: foreign.
        for (ssrc, sequence) in [
            (0x0BAD, 101),
            (0x5EED, 100 + MAX_CONTINUATION + 1),
            (0x5EED, 99),
        ] {
            assert!(!latch.follow(moved, ssrc, sequence), "{ssrc:x} {sequence}");
            assert_eq!(latch.destination(sdp), sdp);
        }
        // The stream going on from elsewhere, a few packets lost on the way.
        assert!(latch.follow(moved, 0x5EED, 103));
        assert_eq!(latch.destination(sdp), moved);
        latch.heard(0x5EED, 103);
        assert_eq!(latch.check(t0, moved, sdp), Source::Accepted);
        assert_eq!(
            latch.check(t0, sdp, sdp),
            Source::Accepted,
            "the signalled address takes it back"
        );
        assert_eq!(
            latch.check(t0, addr("198.51.100.8:31000"), sdp),
            Source::Foreign
        );
        // Numbering wraps.
        latch.heard(0x5EED, u16::MAX);
        assert!(latch.follow(sdp, 0x5EED, 1));
        // Before anything latched, nothing is followed.
        let mut fresh = Latch::new(sdp);
        fresh.heard(0x5EED, 1);
        assert!(!fresh.follow(moved, 0x5EED, 2));
    }
}
