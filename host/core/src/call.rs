//! One call and where it stands.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Instant;
use switchyard_media::{
    Codec, IncomingPayloadTypes, LegId, LegParams, MediaDirection, OpusParams, PlayId, RtcpPath,
    SUPPORTED_ENCODINGS, TelephoneEvent,
};
use switchyard_sip::CallKey;
use switchyard_sip::sdp::{self, Negotiated};

use crate::failover::Failover;
use crate::timers::TimerId;

/// Identifies a call for as long as it exists; shown as `c<n>` (the "call tag").
/// Its single leg has the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

impl CallId {
    /// The media leg of this call.
    pub fn leg(self) -> LegId {
        LegId(self.0)
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

impl FromStr for CallId {
    type Err = ();

    /// Parses `c<n>`, as [`Display`](fmt::Display) writes it.
    fn from_str(s: &str) -> Result<CallId, ()> {
        let digits = s.strip_prefix('c').ok_or(())?;
        if digits.starts_with('+') {
            return Err(());
        }
        digits.parse().map(CallId).map_err(|_| ())
    }
}

/// Where a call's audio goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attachment {
    /// It hears only its prompts.
    Alone,
    /// A participant of this room.
    Room(String),
    /// Two-party with this call.
    Bridge(CallId),
}

/// The SIP side of a call, as far as the core cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The INVITE waits for an answer.
    Offered,
    /// Our INVITE waits for the callee's answer.
    Dialing,
    /// 200 OK sent at this time.
    Answered(Instant),
    /// A rejection or hang-up is under way; `answered` is when it was answered, if it was.
    Ending { answered: Option<Instant> },
}

/// What the peer's Opus format parameters ask of what we send it; RFC 7587's defaults for a
/// peer that gave none (or another codec). The fmtp was checked when the session was agreed.
fn opus_params(format: &sdp::Format) -> OpusParams {
    let fmtp = format
        .fmtp
        .as_deref()
        .and_then(sdp::opus_fmtp)
        .unwrap_or_default();
    let default = OpusParams::default();
    OpusParams {
        max_playback_rate: fmtp.max_playback_rate.unwrap_or(default.max_playback_rate),
        inband_fec: fmtp.use_inband_fec,
        max_average_bitrate: fmtp.max_average_bitrate,
        cbr: fmtp.cbr,
    }
}

/// What the two sides of a call agreed for its audio.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) negotiated: Negotiated,
    pub(crate) codec: Codec,
    /// The payload types the peer sends with when they are not `negotiated`'s
    /// (see [`Session::agree_answer`]).
    pub(crate) incoming: Option<IncomingPayloadTypes>,
    /// The peer holds the call (see [`LegParams::peer_holds`]).
    pub(crate) peer_holds: bool,
}

impl Session {
    /// The media leg's parameters for this session.
    pub(crate) fn leg_params(&self) -> LegParams {
        let negotiated = &self.negotiated;
        LegParams {
            codec: self.codec,
            payload_type: negotiated.audio.payload_type,
            telephone_event: negotiated.telephone_event.map(|te| TelephoneEvent {
                payload_type: te.payload_type,
                clock_rate: te.clock_rate,
            }),
            incoming: self.incoming,
            remote: negotiated.remote.connection,
            direction: self.direction(),
            ptime_ms: negotiated.ptime,
            opus: opus_params(&negotiated.audio),
            rtcp: if negotiated.remote.rtcp_mux {
                RtcpPath::Muxed
            } else {
                RtcpPath::Separate(negotiated.remote.rtcp)
            },
            peer_holds: self.peer_holds,
        }
    }

    /// Whether the peer holds the call once its side of this session is described anew as
    /// `direction` (its new offer, or its answer to ours): it receives nothing, where it did
    /// so far or held already (RFC 3264 §8.4, RFC 6337 §5.3). A peer that never received (an
    /// announcement, early media answered sendonly) holds nothing.
    pub(crate) fn held_by_peer(&self, direction: sdp::Direction) -> bool {
        direction.is_hold() && (self.peer_holds || self.direction().sends())
    }

    /// Our side's direction of the audio stream (RFC 3264 §6.1).
    pub(crate) fn direction(&self) -> MediaDirection {
        match self.negotiated.direction {
            sdp::Direction::SendRecv => MediaDirection::SendRecv,
            sdp::Direction::SendOnly => MediaDirection::SendOnly,
            sdp::Direction::RecvOnly => MediaDirection::RecvOnly,
            sdp::Direction::Inactive => MediaDirection::Inactive,
        }
    }

    /// The peer's address for its media, unless it names the unspecified address (a hold,
    /// RFC 3264 §8.4), which is of no family.
    pub(crate) fn remote_ip(&self) -> Option<IpAddr> {
        Some(self.negotiated.remote.connection.ip()).filter(|ip| !ip.is_unspecified())
    }

    /// Whether our RTP socket on `local` can send to the peer's media address: it names
    /// none, or one of `local`'s family.
    pub(crate) fn reachable_from(&self, local: IpAddr) -> bool {
        self.remote_ip()
            .is_none_or(|remote| remote.is_ipv4() == local.is_ipv4())
    }

    /// The audio to use with a peer whose offer is `remote`, as
    /// [`sdp::negotiate`] chooses it; `None` if there is none.
    pub(crate) fn agree(remote: &sdp::Offer) -> Option<Session> {
        Session::of(sdp::negotiate(remote, SUPPORTED_ENCODINGS).ok()?)
    }

    /// The session of the audio `negotiated`.
    fn of(negotiated: Negotiated) -> Option<Session> {
        // The negotiation picks from SUPPORTED_ENCODINGS, so every pick has a codec.
        let codec = Codec::from_encoding(&negotiated.audio.encoding, negotiated.audio.clock_rate)?;
        Some(Session {
            negotiated,
            codec,
            incoming: None,
            peer_holds: false,
        })
    }

    /// The audio of our offer `ours` as the peer's `answer` agreed it: the answer's first
    /// codec that `ours` offered (RFC 3264 §6: an answer lists only formats of the offer it
    /// answers). The peer sends with the payload types `ours` gave the agreed codec and
    /// telephone-event (RFC 3264 §5.1), which the answer need not repeat (§6.1
    /// only recommends it); our direction is the answer's reversed, within the one `ours`
    /// offered (see [`sdp::Direction::answered_with`]). `None` if the answer has no codec
    /// of `ours`, if `ours` cannot be read as one audio stream, or if the answer's address
    /// is of another family than `ours`, which our RTP socket cannot send to.
    pub(crate) fn agree_answer(answer: &sdp::Offer, ours: &str) -> Option<Session> {
        let ours = sdp::Offer::parse(ours.as_bytes()).ok()?;
        let ours = ours.sole_stream()?;
        let offered = offered_encodings(ours);
        let mut session = Session::of(sdp::negotiate(answer, &offered).ok()?)?;
        if !session.reachable_from(ours.connection.ip()) {
            return None;
        }
        let answered = session.negotiated.remote.direction;
        session.negotiated.direction = ours.direction.answered_with(answered);
        session.incoming = incoming(ours, &session.negotiated);
        Some(session)
    }
}

/// Whether `format` is the encoding `name` at `clock_rate` (names compared
/// case-insensitively, as SDP's are).
fn is_encoding(format: &sdp::Format, name: &str, clock_rate: u32) -> bool {
    format.encoding.eq_ignore_ascii_case(name) && format.clock_rate == clock_rate
}

/// The `(encoding name, clock rate)` pairs of [`SUPPORTED_ENCODINGS`] that `ours` offers.
fn offered_encodings(ours: &sdp::Stream) -> Vec<(&'static str, u32)> {
    SUPPORTED_ENCODINGS
        .iter()
        .copied()
        .filter(|&(name, rate)| ours.formats.iter().any(|f| is_encoding(f, name, rate)))
        .collect()
}

/// The payload types `ours` gives the codec and telephone-event `agreed` from
/// the answer's stream, and the other G.711 law, when that stream lists it too (its sender
/// may use either, RFC 3264 §6.1); `None` when they are the answer's and there is no
/// other law.
fn incoming(ours: &sdp::Stream, agreed: &Negotiated) -> Option<IncomingPayloadTypes> {
    let answer = &agreed.remote;
    let same = |a: &sdp::Format, b: &sdp::Format| is_encoding(a, &b.encoding, b.clock_rate);
    let ours_for = |theirs: &sdp::Format| {
        ours.formats
            .iter()
            .find(|f| same(f, theirs))
            .map(|f| f.payload_type)
    };
    let audio = ours_for(&agreed.audio)?;
    let agreed_event = agreed.telephone_event.map(|te| te.payload_type);
    let telephone_event = agreed_event.and_then(|pt| {
        let theirs = answer.formats.iter().find(|f| f.payload_type == pt)?;
        ours_for(theirs)
    });
    let codec_of = |f: &sdp::Format| {
        Some(f)
            .filter(|f| sdp::supported_channels(f))
            .and_then(|f| Codec::from_encoding(&f.encoding, f.clock_rate))
    };
    let other_law = codec_of(&agreed.audio)
        .and_then(Codec::other_law)
        .and_then(|other| {
            let theirs = answer.formats.iter().find(|f| codec_of(f) == Some(other))?;
            ours_for(theirs)
        });
    let differ = audio != agreed.audio.payload_type || telephone_event != agreed_event;
    (differ || other_law.is_some()).then_some(IncomingPayloadTypes {
        audio,
        telephone_event,
        other_law,
    })
}

/// One call.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) key: CallKey,
    /// When its INVITE arrived (an incoming call) or was first sent (a placed one).
    pub(crate) started: Instant,
    /// The audio agreed: an incoming call's from its offer; a placed call's once
    /// the callee's (early) answer arrives.
    pub(crate) session: Option<Session>,
    /// Our address as the peer sees it, for SDP.
    pub(crate) local_ip: IpAddr,
    /// Changed only by [`Calls::set_phase`], which counts the calls being placed.
    phase: Phase,
    /// The worker its media leg lives on, once its media started (answered,
    /// or early media); none again once the leg is lost (`MediaEvent::LegLost`).
    pub(crate) worker: Option<usize>,
    /// The SDP this call was sent for its media (an answer, or our offer), once
    /// sent; an early answer is repeated in the 200 OK.
    pub(crate) local_sdp: Option<String>,
    /// Our RTP address, once a port is reserved for the call.
    pub(crate) local_rtp: Option<SocketAddr>,
    /// The other call of a forwarded call (B2BUA): the two end together until
    /// the guest parts them once both are answered.
    pub(crate) linked: Option<CallId>,
    /// A placed call's limit on ringing, until it is answered or ends.
    pub(crate) ring_timer: Option<TimerId>,
    /// A placed call's limit on its current target's silence, until it is answered or ends.
    pub(crate) target_timer: Option<TimerId>,
    /// A placed call was cancelled because nobody answered in time.
    pub(crate) unanswered: bool,
    /// A placed call's targets left to try, until it is answered.
    pub(crate) failover: Option<Box<Failover>>,
    /// A placed call's leg left the early bridge with its forwarded caller when
    /// it moved to another local end: the next target's early media bridges
    /// the two anew, once.
    pub(crate) rebridge_early: bool,
    pub(crate) attachment: Attachment,
    /// Its pending timers.
    pub(crate) timers: BTreeSet<TimerId>,
    /// Its guest has done something with the INVITE (answered, rejected or hung up).
    pub(crate) handled: bool,
    /// Its media leg is muted (a muted or listen-only participant).
    pub(crate) media_muted: bool,
    /// When the DTMF keys its guest sent will all have been sent, as far as
    /// the core can tell.
    pub(crate) keys_until: Option<Instant>,
    /// The hold (true) or resume (false) its guest asked for, until the peer
    /// answers an offer of ours of that direction or refuses one.
    pub(crate) hold_asked: Option<bool>,
    /// Its guest holds it: the peer agreed to our `sendonly`. Answers to the
    /// peer's own offers keep it held until the guest resumes (RFC 3264 §8.4,
    /// RFC 6337 §5.3).
    pub(crate) held: bool,
    /// Our offer of the session it kept after the peer answered an offer of ours with
    /// nothing we can use, as offered but for its o= line (which the endpoint stamps),
    /// while it awaits its outcome: answered unusably too or refused, the call ends.
    pub(crate) restoring_session: Option<String>,
    /// Its leg is in a talkspurt, as its media last reported: the leg's voice
    /// activity detection runs in rooms only, and goes with the leg from one
    /// room to the next, so a talkspurt under way when it leaves a room ends in
    /// the next.
    pub(crate) talking: bool,
    /// The next probe of its peer, while it is answered and receives no RTP
    /// (see `CallCore::watch_peer`).
    pub(crate) probe_timer: Option<TimerId>,
    /// When it was first put with others: into a room or a bridge, or linked
    /// to the other call of a forward (from its start: only its answer counts).
    pub(crate) with_others_since: Option<Instant>,
    /// It is answered, but not counted so yet: its 2xx may be held for the
    /// PRACK of its reliable early answer (RFC 3262 §3), which may never come.
    /// Its ACK shows the 2xx went.
    pub(crate) answer_uncounted: bool,
    /// The number of the prompt list last played to it
    /// ([`PromptRole::Heard`](switchyard_media::PromptRole::Heard)), or of its last stop of
    /// them: the end of any other list is not its guest's to hear.
    pub(crate) heard_play: PlayId,
}

impl Call {
    /// A call of `key` begun at `started` in `phase`, our media on `local_ip`: alone, with
    /// no audio agreed, no media, link, timer or failover yet, and not handled by its guest.
    pub(crate) fn new(key: CallKey, started: Instant, local_ip: IpAddr, phase: Phase) -> Call {
        Call {
            key,
            started,
            session: None,
            local_ip,
            phase,
            worker: None,
            local_sdp: None,
            local_rtp: None,
            linked: None,
            ring_timer: None,
            target_timer: None,
            unanswered: false,
            failover: None,
            rebridge_early: false,
            attachment: Attachment::Alone,
            timers: BTreeSet::new(),
            handled: false,
            media_muted: false,
            keys_until: None,
            hold_asked: None,
            held: false,
            restoring_session: None,
            talking: false,
            probe_timer: None,
            with_others_since: None,
            answer_uncounted: false,
            heard_play: PlayId::default(),
        }
    }

    /// Where its SIP side stands.
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// 1 while it is being placed ([`Phase::Dialing`]), else 0.
    fn placing(&self) -> usize {
        usize::from(self.phase == Phase::Dialing)
    }

    pub(crate) fn answered(&self) -> bool {
        matches!(self.phase, Phase::Answered(_))
    }

    pub(crate) fn ending(&self) -> bool {
        matches!(self.phase, Phase::Ending { .. })
    }

    /// When it was answered, whatever happened since.
    pub(crate) fn answered_at(&self) -> Option<Instant> {
        match self.phase {
            Phase::Offered | Phase::Dialing => None,
            Phase::Answered(at) => Some(at),
            Phase::Ending { answered } => answered,
        }
    }

    /// When it began and was answered, if its answer is still to be counted
    /// (see `answer_uncounted`); it is counted as taken.
    pub(crate) fn take_uncounted_answer(&mut self) -> Option<(Instant, Instant)> {
        let answered = self.answered_at().filter(|_| self.answer_uncounted)?;
        self.answer_uncounted = false;
        Some((self.started, answered))
    }

    /// Notes that it is put with others at `now`, unless it was before.
    pub(crate) fn put_with_others(&mut self, now: Instant) {
        self.with_others_since.get_or_insert(now);
    }

    /// Since when it has been connected, as SEMS counts a conference call:
    /// answered and with others, whichever came last; none if it never was both.
    pub(crate) fn connected_since(&self) -> Option<Instant> {
        Some(self.answered_at()?.max(self.with_others_since?))
    }

    pub(crate) fn room(&self) -> Option<&str> {
        match &self.attachment {
            Attachment::Room(room) => Some(room),
            _ => None,
        }
    }
}

/// Every call by its id, with how many of them are being placed ([`Phase::Dialing`]): the
/// count follows each call as it is filed, changes phase ([`Calls::set_phase`], the only
/// way to) and goes, so reading it costs the same however many calls there are.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    by_id: HashMap<CallId, Call>,
    placing: usize,
}

impl Calls {
    pub(crate) fn get(&self, id: &CallId) -> Option<&Call> {
        self.by_id.get(id)
    }

    pub(crate) fn get_mut(&mut self, id: &CallId) -> Option<&mut Call> {
        self.by_id.get_mut(id)
    }

    pub(crate) fn contains_key(&self, id: &CallId) -> bool {
        self.by_id.contains_key(id)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &CallId> {
        self.by_id.keys()
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Files `call` under `id`, in place of any call filed there.
    pub(crate) fn insert(&mut self, id: CallId, call: Call) {
        self.placing += call.placing();
        if let Some(old) = self.by_id.insert(id, call) {
            self.placing -= old.placing();
        }
    }

    pub(crate) fn remove(&mut self, id: &CallId) -> Option<Call> {
        let call = self.by_id.remove(id)?;
        self.placing -= call.placing();
        Some(call)
    }

    /// Moves the call `id` to `phase`; the call, or `None` if there is none.
    pub(crate) fn set_phase(&mut self, id: CallId, phase: Phase) -> Option<&mut Call> {
        let call = self.by_id.get_mut(&id)?;
        self.placing -= call.placing();
        call.phase = phase;
        self.placing += call.placing();
        Some(call)
    }

    /// How many calls are being placed ([`Phase::Dialing`]).
    pub(crate) fn placing(&self) -> usize {
        debug_assert_eq!(
            self.placing,
            self.by_id.values().map(Call::placing).sum::<usize>(),
            "the count of calls being placed follows their phases"
        );
        self.placing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_round_trip_through_their_tag() {
        assert_eq!(CallId(42).to_string(), "c42");
        assert_eq!("c42".parse::<CallId>(), Ok(CallId(42)));
        for bad in ["42", "c", "cx", "c-1", "c+1", "C1", ""] {
            assert_eq!(bad.parse::<CallId>(), Err(()), "{bad:?} must not parse");
        }
    }

    #[test]
    fn the_peers_opus_fmtp_configures_what_we_send_it() {
        let format = |fmtp: Option<&str>| sdp::Format {
            payload_type: 111,
            encoding: "opus".into(),
            clock_rate: 48_000,
            channels: 2,
            fmtp: fmtp.map(str::to_owned),
        };
        assert_eq!(opus_params(&format(None)), OpusParams::default());
        assert_eq!(
            opus_params(&format(Some(
                "maxplaybackrate=8000;useinbandfec=1;maxaveragebitrate=12000;cbr=1"
            ))),
            OpusParams {
                max_playback_rate: 8000,
                inband_fec: true,
                max_average_bitrate: Some(12_000),
                cbr: true,
            }
        );
    }
}
