//! SDP offer/answer (RFC 3264) for one audio stream.
//!
//! Parsing and printing use the `sdp` crate (webrtc-rs): it reads any RFC 4566 description
//! leniently and keeps attributes as text. What it leaves to us is reading the codec attributes
//! of one media description (its codec map merges every m= line, which is wrong when audio and
//! video reuse dynamic payload types) and the RFC 3551 static payload types.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Cursor;
use std::net::{IpAddr, SocketAddr};

use ::sdp::SessionDescription;
use ::sdp::description::common::{Address, Attribute, ConnectionInformation};
use ::sdp::description::media::{MediaDescription, MediaName, RangedPort};
use ::sdp::description::session::{Origin, TimeDescription, Timing};

use crate::peer_address::may_be_the_peers;

/// The packet time assumed when the offer names none (RFC 3551 §4.5: 20 ms for the common
/// frame-based and sample-based audio codecs).
pub const DEFAULT_PTIME: u32 = 20;
/// The telephone events the answer accepts: DTMF 0-9 * # A-D and flash (RFC 4733 §3.2).
pub const TELEPHONE_EVENTS: &str = "0-16";
/// The Opus format parameters we send, in offers and answers alike: what we want to receive
/// (RFC 7587 §7.1). In-band FEC, so a lost packet can be recovered from the next one; no
/// `stereo=1` (we prefer mono, and down-mix a stereo stream); the default `maxplaybackrate`
/// (48 kHz).
pub const OPUS_FMTP: &str = "useinbandfec=1";

/// The audio part of a remote description (an offer, or an answer to ours): its m= lines and
/// its audio streams over plain RTP. Which stream counts is [`negotiate`]'s choice (RFC 3264
/// §6), so a stream's fields are read from the [`Negotiated`] session, or from
/// [`Offer::sole_stream`] where there is no choice to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Every m= line of the description, in order; the answer repeats them (RFC 3264 §6).
    pub media: Vec<MediaLine>,
    /// The audio streams over plain RTP with a non-zero port, in order; never empty. A stream
    /// after the first that cannot be read is left out.
    streams: Vec<Stream>,
}

/// One audio stream over plain RTP of a remote description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// Which entry of the description's m= lines ([`Offer::media`]) it is.
    pub index: usize,
    /// Where the sender receives RTP: the c= address (media level over session level) and
    /// the m= port.
    pub connection: SocketAddr,
    /// Its formats, in the sender's order of preference (RFC 3264 §5.1), each payload type
    /// once: one listed again keeps its first place. Dynamic payload types without an rtpmap
    /// are left out.
    pub formats: Vec<Format>,
    /// `a=ptime`, if given as a positive whole number of ms (media level over session level).
    pub ptime: Option<u32>,
    /// `a=maxptime` (RFC 4566 §6: the most audio one packet may hold), read as `ptime` is.
    pub maxptime: Option<u32>,
    /// The sender's direction attribute (media level over session level; default sendrecv),
    /// made receive-nothing by c=0.0.0.0 (RFC 3264 §8.4).
    pub direction: Direction,
    /// Where the sender receives RTCP when it is not muxed: its `a=rtcp` (RFC 3605: a port,
    /// and an address where it is not the RTP one), else the RTP port + 1 (RFC 3550 §11).
    pub rtcp: SocketAddr,
    /// It offers RTCP on the RTP port (`a=rtcp-mux`, RFC 5761 §5.1.1).
    pub rtcp_mux: bool,
}

/// One payload format of an m= line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// RTP payload type.
    pub payload_type: u8,
    /// Encoding name as written in the rtpmap (or RFC 3551's name for static types).
    pub encoding: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels (1 unless the rtpmap says otherwise).
    pub channels: u16,
    /// The `a=fmtp` parameters for this payload type, verbatim.
    pub fmtp: Option<String>,
}

/// A media direction attribute (RFC 4566 §6, RFC 3264 §6.1); sendrecv when none is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv`.
    #[default]
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The direction to answer an offer of `self` with (RFC 3264 §6.1).
    pub fn answer(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            other => other,
        }
    }

    /// Whether a side whose description says this holds the call: it receives nothing,
    /// `sendonly` or `inactive` (RFC 3264 §8.4, RFC 6337 §5.3).
    pub fn is_hold(self) -> bool {
        matches!(self, Self::SendOnly | Self::Inactive)
    }

    /// The direction of a side that also does not receive: sendrecv becomes sendonly and
    /// recvonly inactive.
    pub fn without_receiving(self) -> Self {
        Self::of(self.sends(), false)
    }

    /// Our side's direction once our offer of `self` is answered with `answer`: the answer's
    /// reversed (RFC 3264 §6.1), within what we offered: an answer cannot make us send where we
    /// offered not to, nor receive where we offered not to (a held call stays held whatever the
    /// peer answers).
    pub fn answered_with(self, answer: Self) -> Self {
        let reversed = answer.answer();
        Self::of(
            self.sends() && reversed.sends(),
            self.receives() && reversed.receives(),
        )
    }

    /// Whether a side of this direction sends media.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether a side of this direction receives media.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The direction of a side that `sends` and `receives` as told.
    fn of(sends: bool, receives: bool) -> Self {
        match (sends, receives) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction an attribute named `name` states, if it is one.
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Self::SendRecv),
            "sendonly" => Some(Self::SendOnly),
            "recvonly" => Some(Self::RecvOnly),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }

    fn from_attributes(attributes: &[Attribute]) -> Option<Self> {
        attributes.iter().find_map(|a| Self::from_name(&a.key))
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The media, transport and format fields of one m= line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine {
    /// Media type (`audio`, `video`, ...).
    pub media: String,
    /// Transport protocol (`RTP/AVP`, `RTP/SAVP`, `udptl`, ...).
    pub proto: String,
    /// The format list, as written.
    pub formats: Vec<String>,
}

/// Why an SDP body cannot be used as an offer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    /// Not a well-formed session description; the text says what is wrong.
    #[error("malformed SDP: {0}")]
    Malformed(String),
    /// No audio stream over plain RTP (RTP/AVP or RTP/AVPF) with a non-zero port.
    #[error("no RTP/AVP audio stream in the offer")]
    NoAudio,
    /// The connection address is a host name, which a sans-IO core cannot resolve.
    #[error("connection address {0} is not an IP address")]
    UnsupportedAddress(String),
    /// The RTP or RTCP address is one the sender could not hold: multicast, broadcast, or
    /// loopback from a peer elsewhere (see [`Offer::sent_by`]).
    #[error("media address {0} is not the peer's")]
    ForeignAddress(IpAddr),
}

impl Offer {
    /// Parses an SDP description: its audio streams over plain RTP, of which the first one's
    /// errors are the description's.
    pub fn parse(body: &[u8]) -> Result<Self, OfferError> {
        let body = std::str::from_utf8(body)
            .map_err(|_| OfferError::Malformed("the body is not UTF-8 text".into()))?;
        let (usable, media) = media_lines(body)?;
        let session = SessionDescription::unmarshal(&mut Cursor::new(usable.as_bytes()))
            .map_err(|e| OfferError::Malformed(e.to_string()))?;
        if session.media_descriptions.len() != media.len() {
            return Err(OfferError::Malformed("unreadable m= line".into()));
        }
        let mut streams = session
            .media_descriptions
            .iter()
            .enumerate()
            .filter(|(i, m)| {
                m.media_name.media == "audio"
                    && m.media_name.port.value != 0
                    && matches!(media[*i].proto.as_str(), "RTP/AVP" | "RTP/AVPF")
            })
            .map(|(index, audio)| Stream::parse(&session, audio, index));
        let first = streams.next().ok_or(OfferError::NoAudio)??;
        let streams = std::iter::once(first)
            .chain(streams.filter_map(Result::ok))
            .collect();
        Ok(Self { media, streams })
    }

    /// The audio stream of a description that has one alone, as ours do and the answers to
    /// them; `None` when there are several, of which [`negotiate`] chooses.
    pub fn sole_stream(&self) -> Option<&Stream> {
        match self.streams.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The description, if the peer at `peer` that sent it could receive media at the RTP and
    /// RTCP addresses of every stream; `Err` with [`OfferError::ForeignAddress`] if one names
    /// a multicast or broadcast one, or a loopback one while `peer` is not on this host:
    /// sending there would aim this host's media at its own services, with content the peer
    /// chooses. The unspecified address is a hold (RFC 3264 §8.4), to which nothing is sent.
    pub fn sent_by(self, peer: IpAddr) -> Result<Self, OfferError> {
        let foreign = self
            .streams
            .iter()
            .flat_map(|stream| [stream.connection.ip(), stream.rtcp.ip()])
            .find(|&ip| !may_be_the_peers(ip, peer));
        match foreign {
            Some(foreign) => Err(OfferError::ForeignAddress(foreign)),
            None => Ok(self),
        }
    }
}

impl Stream {
    /// The audio stream `audio`, m= line `index` of `session`.
    fn parse(
        session: &SessionDescription,
        audio: &MediaDescription,
        index: usize,
    ) -> Result<Self, OfferError> {
        let connection = audio
            .connection_information
            .as_ref()
            .or(session.connection_information.as_ref())
            .and_then(|c| c.address.as_ref())
            .ok_or_else(|| OfferError::Malformed("no connection address for audio".into()))?;
        let ip: IpAddr = connection
            .address
            .parse()
            .map_err(|_| OfferError::UnsupportedAddress(connection.address.clone()))?;
        let port = u16::try_from(audio.media_name.port.value)
            .map_err(|_| OfferError::Malformed("audio port out of range".into()))?;
        let attributes = FormatAttributes::of(audio);
        let formats = payload_types(&audio.media_name.formats)?
            .into_iter()
            .filter_map(|pt| attributes.format(pt))
            .collect();
        let ptime = milliseconds(session, audio, "ptime");
        let maxptime = milliseconds(session, audio, "maxptime");
        let stated = Direction::from_attributes(&audio.attributes)
            .or_else(|| Direction::from_attributes(&session.attributes))
            .unwrap_or(Direction::SendRecv);
        // RFC 3264 §8.4: c=0.0.0.0 (RFC 2543's hold) means nothing is to be sent to the peer.
        let direction = if ip.is_unspecified() {
            stated.without_receiving()
        } else {
            stated
        };
        let rtcp = attribute(&audio.attributes, "rtcp")
            .and_then(|value| rtcp_address(value, ip))
            .unwrap_or_else(|| SocketAddr::new(ip, port.checked_add(1).unwrap_or(0)));
        let rtcp_mux = audio.attributes.iter().any(|a| a.key == "rtcp-mux");
        Ok(Self {
            index,
            connection: SocketAddr::new(ip, port),
            formats,
            ptime,
            maxptime,
            direction,
            rtcp,
            rtcp_mux,
        })
    }
}

/// Every m= line of `body` as written, and `body` with each one that cannot carry our audio
/// (anything but `audio` over RTP/AVP or RTP/AVPF) replaced by a rejected audio line. The sdp
/// crate refuses transports it does not list (TCP/BFCP, TCP/MSRP, UDPTL), and one such stream
/// would make the whole offer unreadable, where RFC 3264 §6 answers it with port 0 and keeps
/// the rest.
fn media_lines(body: &str) -> Result<(String, Vec<MediaLine>), OfferError> {
    let mut usable = String::with_capacity(body.len());
    let mut media = Vec::new();
    for line in body.split_inclusive('\n') {
        let Some(value) = line.strip_prefix("m=") else {
            usable.push_str(line);
            continue;
        };
        let fields: Vec<&str> = value.split_whitespace().collect();
        let [kind, _port, proto, formats @ ..] = fields.as_slice() else {
            return Err(OfferError::Malformed(format!("m={}", value.trim_end())));
        };
        if formats.is_empty() {
            return Err(OfferError::Malformed(format!("m={}", value.trim_end())));
        }
        let carries_audio = *kind == "audio" && matches!(*proto, "RTP/AVP" | "RTP/AVPF");
        if carries_audio {
            usable.push_str(line);
        } else {
            let end = &line[line.trim_end_matches(['\r', '\n']).len()..];
            usable.push_str("m=audio 0 RTP/AVP 0");
            usable.push_str(end);
        }
        media.push(MediaLine {
            media: (*kind).to_owned(),
            proto: (*proto).to_owned(),
            formats: formats.iter().map(|f| (*f).to_owned()).collect(),
        });
    }
    Ok((usable, media))
}

/// The address of an `a=rtcp` value (RFC 3605 §2.1: `port [IN IP4|IP6 address]`), the RTP
/// address `ip` unless it names another; `None` if unreadable.
fn rtcp_address(value: &str, ip: IpAddr) -> Option<SocketAddr> {
    let mut fields = value.split_whitespace();
    let port = fields.next()?.parse().ok()?;
    let ip = match (fields.next(), fields.next(), fields.next()) {
        (None, ..) => ip,
        (Some("IN"), Some("IP4" | "IP6"), Some(address)) => address.parse().ok()?,
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The `key` attribute (ptime, maxptime) of `audio`, else of `session`, in ms: `None` when
/// neither has it or its value is not a positive whole number. Some UAs send `a=ptime:0`,
/// which no packet can follow: it is read as no ptime at all.
fn milliseconds(session: &SessionDescription, audio: &MediaDescription, key: &str) -> Option<u32> {
    attribute(&audio.attributes, key)
        .or_else(|| attribute(&session.attributes, key))
        .and_then(|v| v.trim().parse().ok())
        .filter(|&ms| ms > 0)
}

fn attribute<'a>(attributes: &'a [Attribute], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_deref())
}

/// The RTP payload types of an m= line's format list, each once, at its first place: a type
/// listed again adds nothing to the order of preference (RFC 3264 §5.1). `Err` if one is not a
/// payload type (0-127, RFC 3551 §3).
fn payload_types(formats: &[String]) -> Result<Vec<u8>, OfferError> {
    let mut seen = HashSet::new();
    let mut distinct = Vec::new();
    for f in formats {
        let pt = f
            .parse::<u8>()
            .ok()
            .filter(|pt| *pt < 128)
            .ok_or_else(|| OfferError::Malformed(format!("bad RTP payload type {f:?}")))?;
        if seen.insert(pt) {
            distinct.push(pt);
        }
    }
    Ok(distinct)
}

/// The per-format attributes (rtpmap, fmtp) of one media description by payload type, read in
/// one pass: what each says after the type, from the first of its kind naming that type.
#[derive(Default)]
struct FormatAttributes<'a> {
    rtpmap: HashMap<u8, &'a str>,
    fmtp: HashMap<u8, &'a str>,
}

impl<'a> FormatAttributes<'a> {
    /// The per-format attributes of `media`; those without a payload type and a value after it
    /// are passed over.
    fn of(media: &'a MediaDescription) -> Self {
        let mut index = Self::default();
        for attribute in &media.attributes {
            let by_type = match attribute.key.as_str() {
                "rtpmap" => &mut index.rtpmap,
                "fmtp" => &mut index.fmtp,
                _ => continue,
            };
            if let Some((pt, value)) = attribute.value.as_deref().and_then(split_payload_type) {
                by_type.entry(pt).or_insert(value);
            }
        }
        index
    }

    /// Payload type `pt`: its rtpmap (RFC 4566 §6), else the RFC 3551 static assignment;
    /// `None` for an unknown dynamic type or an unreadable rtpmap.
    fn format(&self, pt: u8) -> Option<Format> {
        let (encoding, clock_rate, channels) = match self.rtpmap.get(&pt) {
            Some(rtpmap) => read_rtpmap(rtpmap)?,
            None => {
                let (name, rate, channels) = static_payload_type(pt)?;
                (name.to_owned(), rate, channels)
            }
        };
        Some(Format {
            payload_type: pt,
            encoding,
            clock_rate,
            channels,
            fmtp: self.fmtp.get(&pt).map(|fmtp| (*fmtp).to_owned()),
        })
    }
}

/// A per-format attribute value, `<payload type> <rest>`, split into the type and the rest.
fn split_payload_type(value: &str) -> Option<(u8, &str)> {
    let (first, rest) = value.trim().split_once(char::is_whitespace)?;
    Some((first.parse().ok()?, rest.trim()))
}

/// The encoding, clock rate and channels (1 unless given) of an rtpmap value after its payload
/// type: `<encoding>/<rate>[/<channels>]`.
fn read_rtpmap(rtpmap: &str) -> Option<(String, u32, u16)> {
    let mut parts = rtpmap.split('/');
    let encoding = parts.next()?.trim().to_owned();
    let clock_rate = parts.next()?.trim().parse().ok()?;
    let channels = match parts.next() {
        Some(c) => c.trim().parse().ok()?,
        None => 1,
    };
    Some((encoding, clock_rate, channels))
}

/// RFC 3551 §6, Table 4: the static audio payload types.
fn static_payload_type(pt: u8) -> Option<(&'static str, u32, u16)> {
    Some(match pt {
        0 => ("PCMU", 8000, 1),
        3 => ("GSM", 8000, 1),
        4 => ("G723", 8000, 1),
        5 => ("DVI4", 8000, 1),
        6 => ("DVI4", 16000, 1),
        7 => ("LPC", 8000, 1),
        8 => ("PCMA", 8000, 1),
        9 => ("G722", 8000, 1),
        10 => ("L16", 44100, 2),
        11 => ("L16", 44100, 1),
        12 => ("QCELP", 8000, 1),
        13 => ("CN", 8000, 1),
        14 => ("MPA", 90000, 1),
        15 => ("G728", 8000, 1),
        16 => ("DVI4", 11025, 1),
        17 => ("DVI4", 22050, 1),
        18 => ("G729", 8000, 1),
        _ => return None,
    })
}

/// The outcome of offer/answer for the audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The codec both sides use.
    pub audio: Format,
    /// The remote stream's telephone-event (RFC 4733), if it had one: at the audio codec's
    /// clock rate, else at another (see [`negotiate`]).
    pub telephone_event: Option<TelephoneEvent>,
    /// Packet time in ms: the remote stream's, else [`DEFAULT_PTIME`], at most its
    /// `a=maxptime` taken down to a multiple of 10 ms (at least 10 ms).
    pub ptime: u32,
    /// Our direction for the audio stream (RFC 3264 §6.1).
    pub direction: Direction,
    /// The remote description's m= lines, repeated in the answer (RFC 3264 §6).
    pub media: Vec<MediaLine>,
    /// The remote audio stream answered, the only one to read the peer's side from: where
    /// to send RTP and RTCP, whether RTCP is muxed (RFC 5761: the answer says so too), the
    /// peer's direction and formats.
    pub remote: Stream,
}

/// The telephone-event format (RFC 4733) of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Its payload type.
    pub payload_type: u8,
    /// Its RTP clock rate (`a=rtpmap`), the unit of its events' durations (RFC 4733 §2.3.5).
    /// Usually the audio codec's; a softphone offering Opus may have telephone-event at 8 kHz
    /// alone.
    pub clock_rate: u32,
}

/// Why no answer can be made to an offer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// No offered audio format is supported (the call should be rejected with 488).
    #[error("no common audio codec")]
    NoCommonCodec,
}

const TELEPHONE_EVENT: &str = "telephone-event";

/// Chooses the first format of the offer or answer (the offerer's preference order, RFC 3264
/// §6.1) whose (encoding, clock rate) is in `supported` (names compared case-insensitively) and
/// whose `a=fmtp` is valid for it (see [`valid_fmtp`]), plus its telephone-event: the one at
/// that format's clock rate, as RFC 4733 events share the audio stream's RTP clock, else the
/// first at another rate. Softphones offering Opus often have telephone-event at 8 kHz alone,
/// and their events are read all the same (a key is told by its timestamp and end bit, not its
/// duration's unit), so they keep Opus and still answer prompts with keys. An encoding at a
/// clock rate not listed (G722/16000, opus/16000), or of more than one channel (see
/// [`supported_channels`]), is not supported. The first audio stream with a supported format
/// is the one answered (RFC 3264 §6), and [`Negotiated::remote`]. `Err` if no stream has one.
pub fn negotiate(offer: &Offer, supported: &[(&str, u32)]) -> Result<Negotiated, NegotiationError> {
    offer
        .streams
        .iter()
        .find_map(|stream| {
            let (audio, telephone_event) = choose_formats(stream, supported)?;
            Some(Negotiated {
                audio,
                telephone_event,
                ptime: packet_time(stream),
                direction: stream.direction.answer(),
                media: offer.media.clone(),
                remote: stream.clone(),
            })
        })
        .ok_or(NegotiationError::NoCommonCodec)
}

/// The packet time to send `stream`: its ptime, else [`DEFAULT_PTIME`], cut to its maxptime
/// (RFC 4566 §6: ptime is a preference, maxptime a limit) taken down to whole
/// [`PTIME_STEP`]s, since packets are sent in those steps (a maxptime of 25 is
/// served 20 ms packets, not 30).
fn packet_time(stream: &Stream) -> u32 {
    let ptime = stream.ptime.unwrap_or(DEFAULT_PTIME);
    let limit = |most: u32| most.max(PTIME_STEP) / PTIME_STEP * PTIME_STEP;
    stream.maxptime.map_or(ptime, |most| ptime.min(limit(most)))
}

/// The steps packet times are sent in, in milliseconds.
const PTIME_STEP: u32 = 10;

/// The audio format and telephone-event [`negotiate`] chooses from `stream`, if it has a
/// supported format.
fn choose_formats(
    stream: &Stream,
    supported: &[(&str, u32)],
) -> Option<(Format, Option<TelephoneEvent>)> {
    let audio = stream
        .formats
        .iter()
        .filter(|f| !f.encoding.eq_ignore_ascii_case(TELEPHONE_EVENT))
        .find(|f| {
            supported
                .iter()
                .any(|(name, rate)| f.encoding.eq_ignore_ascii_case(name) && f.clock_rate == *rate)
                && supported_channels(f)
                && valid_fmtp(f)
        })?
        .clone();
    let mut events = stream
        .formats
        .iter()
        .filter(|f| f.encoding.eq_ignore_ascii_case(TELEPHONE_EVENT));
    let telephone_event = events
        .clone()
        .find(|f| f.clock_rate == audio.clock_rate)
        .or_else(|| events.next())
        .map(|f| TelephoneEvent {
            payload_type: f.payload_type,
            clock_rate: f.clock_rate,
        });
    Some((audio, telephone_event))
}

/// Whether we can carry `format`'s channels: one, or Opus's two, which its rtpmap always
/// names whatever is sent (RFC 7587 §7); our codecs are mono, and would take interleaved
/// stereo for twice as many mono samples.
pub fn supported_channels(format: &Format) -> bool {
    format.channels == 1 || format.encoding.eq_ignore_ascii_case("opus")
}

/// Whether `format`'s `a=fmtp` parameters are ones we can honour: for Opus, those
/// [`opus_fmtp`] reads; other encodings' parameters are not interpreted: always valid.
pub fn valid_fmtp(format: &Format) -> bool {
    if !format.encoding.eq_ignore_ascii_case("opus") {
        return true;
    }
    format
        .fmtp
        .as_deref()
        .is_none_or(|fmtp| opus_fmtp(fmtp).is_some())
}

/// What one side's Opus format parameters say about what it receives (RFC 7587 §6.1); absent
/// parameters have the RFC's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpusFmtp {
    /// `maxplaybackrate`, in Hz (8000..=48000); `None`: 48000.
    pub max_playback_rate: Option<u32>,
    /// `useinbandfec=1`: it decodes in-band FEC.
    pub use_inband_fec: bool,
    /// `maxaveragebitrate`, in bit/s (6000..=510000).
    pub max_average_bitrate: Option<u32>,
    /// `cbr=1`: it asks for constant bit rate.
    pub cbr: bool,
    /// `stereo=1`: it prefers stereo (mono is always allowed).
    pub stereo: bool,
}

/// Reads Opus format parameters (RFC 7587 §6.1); `None` when they are not ones we can honour:
/// `stereo`, `sprop-stereo`, `cbr`, `useinbandfec` and `usedtx` must be 0 or 1,
/// `maxplaybackrate` and `sprop-maxcapturerate` within 8000..=48000 Hz, `maxaveragebitrate`
/// within 6000..=510000 bit/s, `ptime`, `minptime` and `maxptime` whole ms; every parameter is
/// `name=value`, separated by `;`. Unknown parameters are ignored, as RFC 7587 §6.1 asks.
pub fn opus_fmtp(fmtp: &str) -> Option<OpusFmtp> {
    let mut read = OpusFmtp::default();
    for parameter in fmtp.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = parameter.split_once('=')?;
        let number = value.trim().parse::<u32>();
        let flag = || match number {
            Ok(0) => Some(false),
            Ok(1) => Some(true),
            _ => None,
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "stereo" => read.stereo = flag()?,
            "cbr" => read.cbr = flag()?,
            "useinbandfec" => read.use_inband_fec = flag()?,
            "sprop-stereo" | "usedtx" => {
                flag()?;
            }
            "maxplaybackrate" => {
                read.max_playback_rate = Some(number.ok().filter(|n| (8000..=48_000).contains(n))?);
            }
            "sprop-maxcapturerate" => {
                number.ok().filter(|n| (8000..=48_000).contains(n))?;
            }
            "maxaveragebitrate" => {
                read.max_average_bitrate =
                    Some(number.ok().filter(|n| (6000..=510_000).contains(n))?);
            }
            "ptime" | "minptime" | "maxptime" => {
                number.ok()?;
            }
            _ => {}
        }
    }
    Some(read)
}

/// The fmtp we write for the chosen audio format: ours for Opus ([`OPUS_FMTP`]; its parameters
/// describe what each side receives, RFC 7587 §7), the offer's verbatim for others.
fn local_fmtp(format: &Format) -> Option<String> {
    if format.encoding.eq_ignore_ascii_case("opus") {
        Some(OPUS_FMTP.to_owned())
    } else {
        format.fmtp.clone()
    }
}

/// The full SDP answer: v=, o= (session id and version `session_id`), s=, c= and m= for
/// `local_rtp`, t=0 0, the audio m= line with the chosen payload type (and telephone-event),
/// its rtpmap and fmtp lines (for Opus our own, [`OPUS_FMTP`]; else the offer's),
/// `a=fmtp:<te> 0-16`, a=ptime, the direction and, when the offer muxes RTCP, `a=rtcp-mux`
/// (RFC 5761 §5.1.1; our RTCP port is otherwise the RTP port + 1). Every other m= line
/// of the offer is rejected with port 0 (RFC 3264 §6).
pub fn answer(negotiated: &Negotiated, local_rtp: SocketAddr, session_id: u64) -> String {
    let media_descriptions = negotiated
        .media
        .iter()
        .enumerate()
        .map(|(index, line)| {
            if index == negotiated.remote.index {
                audio_description(negotiated, line, local_rtp.port())
            } else {
                MediaDescription {
                    media_name: media_name(line, 0, line.formats.clone()),
                    ..Default::default()
                }
            }
        })
        .collect();
    session(local_rtp, session_id, media_descriptions)
}

/// A new offer in a call whose session is `negotiated` (RFC 3264 §8): its m= lines (those
/// rejected stay rejected, port 0), its codec and telephone-event, at `local_rtp`, with our
/// `direction` (sendonly to hold, sendrecv to resume, §8.4); o= as in [`answer`], which the
/// endpoint rewrites to continue the call's.
pub fn renewed_offer(
    negotiated: &Negotiated,
    direction: Direction,
    local_rtp: SocketAddr,
    session_id: u64,
) -> String {
    let renewed = Negotiated {
        direction,
        ..negotiated.clone()
    };
    answer(&renewed, local_rtp, session_id)
}

/// `sdp`, written by this module, with `direction` in place of its direction attributes.
pub(crate) fn with_direction(sdp: &str, direction: Direction) -> String {
    sdp.split_inclusive("\r\n")
        .map(|line| {
            let attribute = line.trim_end().strip_prefix("a=");
            if attribute.and_then(Direction::from_name).is_some() {
                format!("a={}\r\n", direction.as_str())
            } else {
                line.to_owned()
            }
        })
        .collect()
}

/// An SDP offer of one RTP/AVP audio stream at `local_rtp`: `formats` in order of preference
/// with their rtpmap (and fmtp) lines, then telephone-event (RFC 4733, events 0-16) at each
/// `(payload type, clock rate)` of `telephone_events` (one per audio clock rate offered: RFC
/// 4733 §2.5.1.1, events run on their audio codec's clock), `a=ptime:`[`DEFAULT_PTIME`] and
/// `a=sendrecv`; o= session id and version `session_id`.
pub fn offer(
    formats: &[Format],
    telephone_events: &[(u8, u32)],
    local_rtp: SocketAddr,
    session_id: u64,
) -> String {
    let value = |key: &str, value: String| Attribute::new(key.into(), Some(value));
    let mut payload_types = Vec::new();
    let mut attributes = Vec::new();
    for format in formats {
        payload_types.push(format.payload_type.to_string());
        attributes.push(value("rtpmap", rtpmap(format)));
        if let Some(fmtp) = &format.fmtp {
            attributes.push(value("fmtp", format!("{} {fmtp}", format.payload_type)));
        }
    }
    for (te, rate) in telephone_events {
        payload_types.push(te.to_string());
        attributes.push(value("rtpmap", format!("{te} {TELEPHONE_EVENT}/{rate}")));
        attributes.push(value("fmtp", format!("{te} {TELEPHONE_EVENTS}")));
    }
    attributes.push(value("ptime", DEFAULT_PTIME.to_string()));
    attributes.push(Attribute::new(Direction::SendRecv.as_str().into(), None));
    let line = MediaLine {
        media: "audio".into(),
        proto: "RTP/AVP".into(),
        formats: Vec::new(),
    };
    let audio = MediaDescription {
        media_name: media_name(&line, local_rtp.port(), payload_types),
        attributes,
        ..Default::default()
    };
    session(local_rtp, session_id, vec![audio])
}

/// A whole session description around `media_descriptions`: v=, o= (session id and version
/// `session_id`), s=, c= for `local_rtp`'s address, t=0 0.
fn session(
    local_rtp: SocketAddr,
    session_id: u64,
    media_descriptions: Vec<MediaDescription>,
) -> String {
    let address_type = if local_rtp.is_ipv4() { "IP4" } else { "IP6" };
    let ip = local_rtp.ip().to_string();
    SessionDescription {
        version: 0,
        origin: Origin {
            username: "switchyard".into(),
            session_id,
            session_version: session_id,
            network_type: "IN".into(),
            address_type: address_type.into(),
            unicast_address: ip.clone(),
        },
        session_name: "switchyard".into(),
        connection_information: Some(ConnectionInformation {
            network_type: "IN".into(),
            address_type: address_type.into(),
            address: Some(Address {
                address: ip,
                ttl: None,
                range: None,
            }),
        }),
        time_descriptions: vec![TimeDescription {
            timing: Timing {
                start_time: 0,
                stop_time: 0,
            },
            repeat_times: Vec::new(),
        }],
        media_descriptions,
        ..Default::default()
    }
    .marshal()
}

/// The rtpmap value of `format`: `<pt> <encoding>/<rate>[/<channels>]`.
fn rtpmap(format: &Format) -> String {
    let mut rtpmap = format!(
        "{} {}/{}",
        format.payload_type, format.encoding, format.clock_rate
    );
    if format.channels > 1 {
        rtpmap.push_str(&format!("/{}", format.channels));
    }
    rtpmap
}

fn media_name(line: &MediaLine, port: u16, formats: Vec<String>) -> MediaName {
    MediaName {
        media: line.media.clone(),
        port: RangedPort {
            value: port as isize,
            range: None,
        },
        protos: line.proto.split('/').map(str::to_owned).collect(),
        formats,
    }
}

fn audio_description(negotiated: &Negotiated, line: &MediaLine, port: u16) -> MediaDescription {
    let audio = &negotiated.audio;
    let mut formats = vec![audio.payload_type.to_string()];
    let value = |key: &str, value: String| Attribute::new(key.into(), Some(value));
    let mut attributes = vec![value("rtpmap", rtpmap(audio))];
    if let Some(fmtp) = local_fmtp(audio) {
        attributes.push(value("fmtp", format!("{} {fmtp}", audio.payload_type)));
    }
    if let Some(te) = negotiated.telephone_event {
        let pt = te.payload_type;
        formats.push(pt.to_string());
        attributes.push(value(
            "rtpmap",
            format!("{pt} {TELEPHONE_EVENT}/{}", te.clock_rate),
        ));
        attributes.push(value("fmtp", format!("{pt} {TELEPHONE_EVENTS}")));
    }
    attributes.push(value("ptime", negotiated.ptime.to_string()));
    attributes.push(Attribute::new(negotiated.direction.as_str().into(), None));
    if negotiated.remote.rtcp_mux {
        attributes.push(Attribute::new("rtcp-mux".into(), None));
    }
    MediaDescription {
        media_name: media_name(line, port, formats),
        attributes,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SIPp's built-in `uac` scenario offer.
    const SIPP_UAC: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
        c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

    /// A Linphone-style offer: many codecs, telephone-event at three rates, a video stream
    /// reusing dynamic payload types, unknown attributes.
    const LINPHONE: &str = "v=0\r\no=alice 2236 3496 IN IP4 192.168.1.20\r\ns=Talk\r\n\
        c=IN IP4 192.168.1.20\r\nt=0 0\r\n\
        a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n\
        m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\na=rtpmap:96 opus/48000/2\r\n\
        a=fmtp:96 useinbandfec=1\r\na=rtpmap:97 SILK/16000\r\na=rtpmap:98 speex/16000\r\n\
        a=fmtp:98 vbr=on\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n\
        a=rtpmap:101 telephone-event/48000\r\na=rtpmap:99 telephone-event/16000\r\n\
        a=rtpmap:100 telephone-event/8000\r\na=rtcp-fb:* trr-int 1000\r\n\
        m=video 9078 RTP/AVP 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n\
        a=fmtp:97 profile-level-id=42801F\r\n";

    /// Asterisk-style: LF line ends, media-level c=, ptime, telephone-event 0-16.
    const ASTERISK_LF: &str = "v=0\no=- 1234 1234 IN IP4 10.1.1.1\ns=Asterisk\nc=IN IP4 0.0.0.0\n\
        t=0 0\nm=audio 10000 RTP/AVP 8 0 3 101\nc=IN IP4 10.1.1.1\na=rtpmap:8 PCMA/8000\n\
        a=rtpmap:0 PCMU/8000\na=rtpmap:3 GSM/8000\na=rtpmap:101 telephone-event/8000\n\
        a=fmtp:101 0-16\na=ptime:30\na=maxptime:150\na=sendonly\n";

    const G711: &[(&str, u32)] = &[("PCMU", 8000), ("PCMA", 8000)];

    #[test]
    fn our_offer_parses_back_and_negotiates_in_preference_order() {
        let formats = [
            Format {
                payload_type: 0,
                encoding: "PCMU".into(),
                clock_rate: 8000,
                channels: 1,
                fmtp: None,
            },
            Format {
                payload_type: 8,
                encoding: "PCMA".into(),
                clock_rate: 8000,
                channels: 1,
                fmtp: None,
            },
        ];
        let text = offer(
            &formats,
            &[(101, 8000)],
            "192.0.2.1:40000".parse().unwrap(),
            7,
        );
        assert!(text.contains("m=audio 40000 RTP/AVP 0 8 101\r\n"), "{text}");
        for line in [
            "o=switchyard 7 7 IN IP4 192.0.2.1\r\n",
            "a=rtpmap:101 telephone-event/8000\r\n",
            "a=fmtp:101 0-16\r\n",
            "a=ptime:20\r\n",
            "a=sendrecv\r\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in {text}");
        }
        let parsed = Offer::parse(text.as_bytes()).unwrap();
        assert_eq!(only(&parsed).connection, "192.0.2.1:40000".parse().unwrap());
        assert_eq!(only(&parsed).formats[..2], formats);
        let negotiated = negotiate(&parsed, &[("PCMA", 8000)]).unwrap();
        assert_eq!(negotiated.audio.payload_type, 8);
        assert_eq!(event_type(&negotiated), Some(101));
    }

    #[test]
    fn an_unspecified_address_is_a_hold_that_receives_nothing() {
        // RFC 2543's hold: no direction attribute, c=0.0.0.0.
        let held = SIPP_UAC.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
        let offer = Offer::parse(held.as_bytes()).unwrap();
        assert_eq!(only(&offer).direction, Direction::SendOnly);
        let negotiated = negotiate(&offer, G711).unwrap();
        assert_eq!(negotiated.direction, Direction::RecvOnly);
        let recvonly = held.replace(
            "a=rtpmap:0 PCMU/8000\r\n",
            "a=rtpmap:0 PCMU/8000\r\na=recvonly\r\n",
        );
        let offer = Offer::parse(recvonly.as_bytes()).unwrap();
        assert_eq!(only(&offer).direction, Direction::Inactive);
        assert_eq!(
            negotiate(&offer, G711).unwrap().direction,
            Direction::Inactive
        );
    }

    #[test]
    fn parses_sipp_offer() {
        let offer = Offer::parse(SIPP_UAC.as_bytes()).unwrap();
        assert_eq!(only(&offer).connection, "127.0.0.1:6000".parse().unwrap());
        assert_eq!(
            only(&offer).formats,
            [Format {
                payload_type: 0,
                encoding: "PCMU".into(),
                clock_rate: 8000,
                channels: 1,
                fmtp: None
            }]
        );
        assert_eq!(only(&offer).ptime, None);
        assert_eq!(only(&offer).direction, Direction::SendRecv);
        let negotiated = negotiate(&offer, G711).unwrap();
        assert_eq!(negotiated.audio.payload_type, 0);
        assert_eq!(event_type(&negotiated), None);
        assert_eq!(negotiated.ptime, 20);
    }

    #[test]
    fn linphone_offer_keeps_per_stream_payload_types() {
        let offer = Offer::parse(LINPHONE.as_bytes()).unwrap();
        assert_eq!(
            only(&offer).connection,
            "192.168.1.20:7078".parse().unwrap()
        );
        let names: Vec<_> = only(&offer)
            .formats
            .iter()
            .map(|f| {
                format!(
                    "{}:{}/{}/{}",
                    f.payload_type, f.encoding, f.clock_rate, f.channels
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "96:opus/48000/2",
                "97:SILK/16000/1",
                "98:speex/16000/1",
                "0:PCMU/8000/1",
                "8:PCMA/8000/1",
                "18:G729/8000/1",
                "101:telephone-event/48000/1",
                "99:telephone-event/16000/1",
                "100:telephone-event/8000/1"
            ]
        );
        assert_eq!(
            only(&offer).formats[0].fmtp.as_deref(),
            Some("useinbandfec=1")
        );
        assert_eq!(offer.media.len(), 2);

        let negotiated = negotiate(&offer, &[("pcma", 8000), ("PCMU", 8000)]).unwrap();
        assert_eq!(negotiated.audio.encoding, "PCMU");
        assert_eq!(event_type(&negotiated), Some(100));

        let opus = negotiate(&offer, &[("OPUS", 48000), ("PCMU", 8000)]).unwrap();
        assert_eq!(opus.audio.payload_type, 96);
        assert_eq!(event_type(&opus), Some(101));
    }

    /// The payload type of `negotiated`'s telephone-event.
    fn event_type(negotiated: &Negotiated) -> Option<u8> {
        negotiated.telephone_event.map(|te| te.payload_type)
    }

    #[test]
    fn opus_keeps_telephone_event_offered_at_another_rate_alone() {
        let with_events = |events: &str| {
            LINPHONE
                .replace("a=rtpmap:101 telephone-event/48000\r\n", "")
                .replace("a=rtpmap:99 telephone-event/16000\r\n", "")
                .replace("a=rtpmap:100 telephone-event/8000\r\n", events)
        };
        let supported = &[("opus", 48000), ("PCMA", 8000), ("PCMU", 8000)];
        let chosen = |events: &str| {
            let offer = Offer::parse(with_events(events).as_bytes()).unwrap();
            let negotiated = negotiate(&offer, supported).unwrap();
            (
                negotiated.audio.encoding.clone(),
                negotiated.telephone_event,
            )
        };
        let at = |payload_type, clock_rate| {
            Some(TelephoneEvent {
                payload_type,
                clock_rate,
            })
        };
        // Opus with telephone-event at 8 kHz alone, as many softphones offer it: Opus, and
        // the keys at 8 kHz.
        assert_eq!(
            chosen("a=rtpmap:100 telephone-event/8000\r\n"),
            ("opus".to_owned(), at(100, 8000))
        );
        // With telephone-event at 48 kHz too: that one.
        assert_eq!(
            chosen("a=rtpmap:100 telephone-event/8000\r\na=rtpmap:101 telephone-event/48000\r\n"),
            ("opus".to_owned(), at(101, 48000))
        );
        // With none at all: Opus without keys.
        assert_eq!(chosen(""), ("opus".to_owned(), None));

        // The answer gives the event format the rate it was offered at.
        let offer =
            Offer::parse(with_events("a=rtpmap:100 telephone-event/8000\r\n").as_bytes()).unwrap();
        let text = answer(
            &negotiate(&offer, supported).unwrap(),
            "192.0.2.1:4000".parse().unwrap(),
            7,
        );
        assert!(text.contains("m=audio 4000 RTP/AVP 96 100\r\n"), "{text}");
        assert!(
            text.contains("a=rtpmap:100 telephone-event/8000\r\na=fmtp:100 0-16\r\n"),
            "{text}"
        );
    }

    #[test]
    fn streams_of_transports_the_parser_does_not_know_are_answered_with_port_0() {
        // A video phone's offer: BFCP over TCP, then audio, then T.38 over UDPTL.
        let offer_text = format!(
            "{}m=application 5070 TCP/BFCP *\r\na=floorctrl:c-s\r\n\
             m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n\
             m=image 6002 UDPTL t38\r\n",
            SIPP_UAC.split("m=audio").next().unwrap()
        );
        let offer = Offer::parse(offer_text.as_bytes()).unwrap();
        assert_eq!(only(&offer).connection, "127.0.0.1:6000".parse().unwrap());
        assert_eq!(only(&offer).index, 1);
        let negotiated = negotiate(&offer, G711).unwrap();
        let text = answer(&negotiated, "192.0.2.1:40000".parse().unwrap(), 7);
        let media: Vec<&str> = text.lines().filter(|l| l.starts_with("m=")).collect();
        assert_eq!(
            media,
            [
                "m=application 0 TCP/BFCP *",
                "m=audio 40000 RTP/AVP 0",
                "m=image 0 UDPTL t38"
            ]
        );
        assert_eq!(
            Offer::parse(b"v=0\r\nm=audio 6000\r\n"),
            Err(OfferError::Malformed("m=audio 6000".into()))
        );
    }

    #[test]
    fn asterisk_offer_with_media_level_connection_and_direction() {
        let offer = Offer::parse(ASTERISK_LF.as_bytes()).unwrap();
        assert_eq!(only(&offer).connection, "10.1.1.1:10000".parse().unwrap());
        assert_eq!(only(&offer).ptime, Some(30));
        assert_eq!(only(&offer).direction, Direction::SendOnly);
        let negotiated = negotiate(&offer, G711).unwrap();
        assert_eq!(negotiated.audio.encoding, "PCMA");
        assert_eq!(negotiated.direction, Direction::RecvOnly);
        assert_eq!(negotiated.ptime, 30);
    }

    #[test]
    fn a_zero_ptime_is_none_and_negotiates_the_default() {
        for zero in [
            ASTERISK_LF.replace("a=ptime:30", "a=ptime:0"),
            ASTERISK_LF
                .replace("a=ptime:30\n", "")
                .replace("t=0 0\n", "t=0 0\na=ptime:0\n"),
        ] {
            let offer = Offer::parse(zero.as_bytes()).unwrap();
            assert_eq!(only(&offer).ptime, None, "{zero}");
            let negotiated = negotiate(&offer, G711).unwrap();
            assert_eq!(negotiated.ptime, DEFAULT_PTIME);
            let answered = answer(&negotiated, addr("192.0.2.1:40000"), 7);
            assert!(answered.contains("a=ptime:20\r\n"), "{answered}");
            assert!(!answered.contains("a=ptime:0"), "{answered}");
        }
        let no_limit = ASTERISK_LF.replace("a=maxptime:150", "a=maxptime:0");
        let offer = Offer::parse(no_limit.as_bytes()).unwrap();
        assert_eq!(only(&offer).maxptime, None);
        assert_eq!(negotiate(&offer, G711).unwrap().ptime, 30);
    }

    #[test]
    fn the_ptime_is_cut_to_the_maxptime() {
        let ptime = |ptime: &str, maxptime: &str| {
            let text = ASTERISK_LF
                .replace("a=ptime:30\n", ptime)
                .replace("a=maxptime:150", maxptime);
            negotiate(&Offer::parse(text.as_bytes()).unwrap(), G711)
                .unwrap()
                .ptime
        };
        assert_eq!(ptime("a=ptime:30\n", "a=maxptime:150"), 30);
        assert_eq!(ptime("a=ptime:60\n", "a=maxptime:40"), 40);
        assert_eq!(ptime("a=ptime:40\n", "a=maxptime:40"), 40);
        // No ptime: the default, cut all the same.
        assert_eq!(ptime("", "a=maxptime:10"), 10);
        assert_eq!(ptime("", "a=maxptime:60"), DEFAULT_PTIME);
        // Packets go in 10 ms steps: a limit between steps is served the step below.
        assert_eq!(ptime("a=ptime:30\n", "a=maxptime:25"), 20);
        assert_eq!(ptime("a=ptime:40\n", "a=maxptime:35"), 30);
        assert_eq!(ptime("", "a=maxptime:15"), 10);
    }

    #[test]
    fn rtcp_goes_to_the_next_port_unless_the_offer_names_one_or_muxes_it() {
        let plain = Offer::parse(SIPP_UAC.as_bytes()).unwrap();
        assert_eq!(only(&plain).rtcp, "127.0.0.1:6001".parse().unwrap());
        assert!(!only(&plain).rtcp_mux);
        let negotiated = negotiate(&plain, G711).unwrap();
        let ours = "127.0.0.1:20000".parse().unwrap();
        assert!(!answer(&negotiated, ours, 1).contains("rtcp-mux"));

        let with = |attributes: &str| {
            let sdp = format!("{SIPP_UAC}{attributes}");
            Offer::parse(sdp.as_bytes()).unwrap()
        };
        let elsewhere = with("a=rtcp:53020 IN IP4 10.0.0.9\r\n");
        assert_eq!(only(&elsewhere).rtcp, "10.0.0.9:53020".parse().unwrap());
        assert_eq!(
            only(&with("a=rtcp:7001\r\n")).rtcp,
            "127.0.0.1:7001".parse().unwrap()
        );
        // An unreadable a=rtcp leaves the default.
        for broken in [
            "a=rtcp:port\r\n",
            "a=rtcp:7001 IN IP4\r\n",
            "a=rtcp:7001 X\r\n",
        ] {
            assert_eq!(only(&with(broken)).rtcp, only(&plain).rtcp, "{broken}");
        }
        let muxed = with("a=rtcp-mux\r\n");
        assert!(only(&muxed).rtcp_mux);
        let negotiated = negotiate(&muxed, G711).unwrap();
        assert!(negotiated.remote.rtcp_mux);
        let answered = answer(&negotiated, ours, 1);
        assert!(answered.contains("a=rtcp-mux\r\n"), "{answered}");
        assert!(only(&Offer::parse(answered.as_bytes()).unwrap()).rtcp_mux);
    }

    #[test]
    fn missing_telephone_event_and_no_common_codec() {
        let offer = Offer::parse(
            SIPP_UAC
                .replace("0\r\na=rtpmap:0 PCMU", "18\r\na=rtpmap:18 G729")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            negotiate(&offer, G711),
            Err(NegotiationError::NoCommonCodec)
        );
        let only_events = Offer::parse(
            SIPP_UAC
                .replace(
                    "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000",
                    "RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000",
                )
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            negotiate(&only_events, &[("telephone-event", 8000)]),
            Err(NegotiationError::NoCommonCodec)
        );
    }

    #[test]
    fn g711_and_g722_of_more_than_one_channel_are_not_supported() {
        let stereo = |formats: &str| {
            let sdp = SIPP_UAC.replace("RTP/AVP 0\r\na=rtpmap:0 PCMU/8000", formats);
            Offer::parse(sdp.as_bytes()).unwrap()
        };
        let offer = stereo("RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000/2\r\na=rtpmap:8 PCMA/8000");
        assert_eq!(negotiate(&offer, G711).unwrap().audio.encoding, "PCMA");
        let offer = stereo("RTP/AVP 0 9\r\na=rtpmap:0 PCMU/8000/2\r\na=rtpmap:9 G722/8000/2");
        assert_eq!(
            negotiate(&offer, &[("PCMU", 8000), ("G722", 8000)]),
            Err(NegotiationError::NoCommonCodec)
        );
        // Opus's two channels are nominal (RFC 7587 §7).
        let offer = stereo("RTP/AVP 111\r\na=rtpmap:111 opus/48000/2");
        assert_eq!(
            negotiate(&offer, &[("opus", 48_000)])
                .unwrap()
                .audio
                .channels,
            2
        );
    }

    #[test]
    fn a_later_audio_stream_is_answered_when_the_first_has_no_codec_in_common() {
        let text = SIPP_UAC.replace(
            "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
            "m=audio 5000 RTP/AVP 18\r\nm=audio 5002 RTP/AVP 0\r\n",
        );
        let offer = Offer::parse(text.as_bytes()).unwrap();
        let negotiated = negotiate(&offer, G711).unwrap();
        assert_eq!(negotiated.remote.index, 1);
        assert_eq!(negotiated.remote.connection, addr("127.0.0.1:5002"));
        let answered = answer(&negotiated, addr("192.0.2.1:40000"), 7);
        let media: Vec<&str> = answered.lines().filter(|l| l.starts_with("m=")).collect();
        assert_eq!(media, ["m=audio 0 RTP/AVP 18", "m=audio 40000 RTP/AVP 0"]);
        // The first stream that negotiates is the one answered.
        let both = text.replace("RTP/AVP 18", "RTP/AVP 8");
        let negotiated = negotiate(&Offer::parse(both.as_bytes()).unwrap(), G711).unwrap();
        assert_eq!(negotiated.remote.index, 0);
        // A later stream's address must be the peer's too.
        let foreign = text.replace(
            "m=audio 5002 RTP/AVP 0\r\n",
            "m=audio 5002 RTP/AVP 0\r\nc=IN IP4 224.0.0.9\r\n",
        );
        let peer = "127.0.0.1".parse().unwrap();
        assert_eq!(
            Offer::parse(foreign.as_bytes()).unwrap().sent_by(peer),
            Err(OfferError::ForeignAddress("224.0.0.9".parse().unwrap()))
        );
    }

    #[test]
    fn the_answered_stream_alone_says_where_and_how_the_peer_receives() {
        let text = SIPP_UAC.replace(
            "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
            "m=audio 5000 RTP/AVP 18\r\na=sendonly\r\na=ptime:30\r\na=rtcp:5009\r\n\
             m=audio 5002 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\na=sendrecv\r\na=rtcp-mux\r\n",
        );
        let offer = Offer::parse(text.as_bytes()).unwrap();
        // Two streams: which one counts is for the negotiation to say.
        assert_eq!(offer.sole_stream(), None);
        let negotiated = negotiate(&offer, G711).unwrap();
        let remote = &negotiated.remote;
        assert_eq!(remote.index, 1);
        assert_eq!(remote.connection, addr("127.0.0.2:5002"));
        assert_eq!(remote.rtcp, addr("127.0.0.2:5003"));
        assert!(remote.rtcp_mux);
        assert_eq!(remote.direction, Direction::SendRecv);
        assert_eq!(negotiated.direction, Direction::SendRecv);
        assert_eq!(negotiated.ptime, DEFAULT_PTIME);
        let answered = answer(&negotiated, addr("192.0.2.1:40000"), 7);
        assert!(
            answered.contains("a=sendrecv\r\na=rtcp-mux\r\n"),
            "{answered}"
        );
        // The first stream's attributes are its own when it is the one answered.
        let first = negotiate(&offer, &[("G729", 8000)]).unwrap();
        assert_eq!(first.remote.connection, addr("127.0.0.1:5000"));
        assert_eq!(first.remote.rtcp, addr("127.0.0.1:5009"));
        assert!(!first.remote.rtcp_mux);
        assert_eq!(first.direction, Direction::RecvOnly);
        assert_eq!(first.ptime, 30);
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn only(offer: &Offer) -> &Stream {
        offer.sole_stream().expect("one audio stream")
    }

    #[test]
    fn static_types_without_rtpmap_and_unknown_dynamic_types() {
        let offer = Offer::parse(
            SIPP_UAC
                .replace("RTP/AVP 0\r\na=rtpmap:0 PCMU/8000", "RTP/AVP 120 9 8")
                .as_bytes(),
        )
        .unwrap();
        let types: Vec<_> = only(&offer)
            .formats
            .iter()
            .map(|f| (f.payload_type, f.encoding.as_str()))
            .collect();
        assert_eq!(types, [(9, "G722"), (8, "PCMA")]);
    }

    #[test]
    fn broken_and_unusable_offers() {
        assert!(matches!(
            Offer::parse(b"hello"),
            Err(OfferError::Malformed(_))
        ));
        assert!(matches!(
            Offer::parse(SIPP_UAC.replace("RTP/AVP 0", "RTP/AVP zero").as_bytes()),
            Err(OfferError::Malformed(_))
        ));
        assert!(matches!(
            Offer::parse(SIPP_UAC.replace("c=IN IP4 127.0.0.1\r\n", "").as_bytes()),
            Err(OfferError::Malformed(_))
        ));
        assert_eq!(
            Offer::parse(SIPP_UAC.replace("m=audio 6000", "m=audio 0").as_bytes()),
            Err(OfferError::NoAudio)
        );
        assert_eq!(
            Offer::parse(SIPP_UAC.replace("RTP/AVP", "RTP/SAVP").as_bytes()),
            Err(OfferError::NoAudio)
        );
        assert_eq!(
            Offer::parse(
                SIPP_UAC
                    .replace("c=IN IP4 127.0.0.1", "c=IN IP4 media.example.com")
                    .as_bytes()
            ),
            Err(OfferError::UnsupportedAddress("media.example.com".into()))
        );
    }

    #[test]
    fn answer_text_is_complete_and_reparses() {
        let offer = Offer::parse(LINPHONE.as_bytes()).unwrap();
        let negotiated = negotiate(&offer, G711).unwrap();
        let text = answer(&negotiated, "203.0.113.5:40000".parse().unwrap(), 42);
        assert_eq!(
            text,
            "v=0\r\no=switchyard 42 42 IN IP4 203.0.113.5\r\ns=switchyard\r\n\
             c=IN IP4 203.0.113.5\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 100\r\n\
             a=rtpmap:0 PCMU/8000\r\na=rtpmap:100 telephone-event/8000\r\n\
             a=fmtp:100 0-16\r\na=ptime:20\r\na=sendrecv\r\nm=video 0 RTP/AVP 96 97\r\n"
        );
        let reparsed = Offer::parse(text.as_bytes()).unwrap();
        assert_eq!(
            only(&reparsed).connection,
            "203.0.113.5:40000".parse().unwrap()
        );
        assert_eq!(only(&reparsed).formats.len(), 2);
    }

    #[test]
    fn answer_gives_our_opus_fmtp_channels_and_ipv6() {
        let offer = Offer::parse(LINPHONE.as_bytes()).unwrap();
        let negotiated = negotiate(&offer, &[("opus", 48000)]).unwrap();
        let text = answer(&negotiated, "[2001:db8::1]:4000".parse().unwrap(), 7);
        assert!(text.contains("c=IN IP6 2001:db8::1\r\n"), "{text}");
        assert!(
            text.contains("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"),
            "{text}"
        );
        assert!(
            text.contains("a=rtpmap:101 telephone-event/48000\r\n"),
            "{text}"
        );
    }

    fn opus(fmtp: Option<&str>) -> Format {
        Format {
            payload_type: 111,
            encoding: "opus".into(),
            clock_rate: 48_000,
            channels: 2,
            fmtp: fmtp.map(str::to_owned),
        }
    }

    #[test]
    fn opus_fmtp_reads_what_the_peer_receives() {
        assert_eq!(
            opus_fmtp(
                "maxplaybackrate=16000; useinbandfec=1;stereo=1; cbr=1;maxaveragebitrate=20000"
            ),
            Some(OpusFmtp {
                max_playback_rate: Some(16_000),
                use_inband_fec: true,
                max_average_bitrate: Some(20_000),
                cbr: true,
                stereo: true,
            })
        );
        assert_eq!(
            opus_fmtp("x-unknown=7; usedtx=1"),
            Some(OpusFmtp::default())
        );
        for bad in [
            "stereo=2",
            "maxplaybackrate=96000",
            "maxaveragebitrate=100",
            "ptime",
            "cbr=yes",
        ] {
            assert_eq!(opus_fmtp(bad), None, "{bad}");
        }
    }

    #[test]
    fn our_wideband_offer_lists_events_at_every_clock_rate() {
        let formats = [
            Format {
                fmtp: Some(OPUS_FMTP.into()),
                ..opus(None)
            },
            Format {
                payload_type: 9,
                encoding: "G722".into(),
                clock_rate: 8000,
                channels: 1,
                fmtp: None,
            },
        ];
        let text = offer(
            &formats,
            &[(101, 8000), (110, 48_000)],
            "192.0.2.1:40000".parse().unwrap(),
            7,
        );
        for line in [
            "m=audio 40000 RTP/AVP 111 9 101 110\r\n",
            "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n",
            "a=rtpmap:9 G722/8000\r\n",
            "a=rtpmap:101 telephone-event/8000\r\n",
            "a=rtpmap:110 telephone-event/48000\r\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in {text}");
        }
        let parsed = Offer::parse(text.as_bytes()).unwrap();
        let g722 = negotiate(&parsed, &[("G722", 8000)]).unwrap();
        assert_eq!(g722.audio.payload_type, 9);
        assert_eq!(event_type(&g722), Some(101));
        let opus = negotiate(&parsed, &[("opus", 48_000), ("G722", 8000)]).unwrap();
        assert_eq!(opus.audio.payload_type, 111);
        assert_eq!(event_type(&opus), Some(110));
    }

    #[test]
    fn a_stereo_opus_offer_is_answered_with_our_mono_fmtp() {
        let stereo = LINPHONE.replace(
            "a=fmtp:96 useinbandfec=1",
            "a=fmtp:96 stereo=1; sprop-stereo=1; maxplaybackrate=16000; useinbandfec=1",
        );
        let offer = Offer::parse(stereo.as_bytes()).unwrap();
        assert_eq!(
            only(&offer).formats[0].fmtp.as_deref(),
            Some("stereo=1; sprop-stereo=1; maxplaybackrate=16000; useinbandfec=1")
        );
        let negotiated = negotiate(&offer, &[("opus", 48_000)]).unwrap();
        // The offer's parameters are kept: they say what the offerer receives.
        assert_eq!(negotiated.audio.fmtp, only(&offer).formats[0].fmtp);
        let text = answer(&negotiated, "192.0.2.1:4000".parse().unwrap(), 7);
        assert!(
            text.contains("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"),
            "{text}"
        );
        assert!(!text.contains("stereo"), "{text}");
    }

    #[test]
    fn bad_opus_fmtp_and_unsupported_rates_fall_to_the_next_codec() {
        for fmtp in [
            "stereo=2",
            "useinbandfec",
            "maxplaybackrate=96000",
            "maxplaybackrate=fast",
            "maxaveragebitrate=100",
            "ptime=-20",
        ] {
            assert!(!valid_fmtp(&opus(Some(fmtp))), "{fmtp}");
            let offer = Offer::parse(
                LINPHONE
                    .replace("a=fmtp:96 useinbandfec=1", &format!("a=fmtp:96 {fmtp}"))
                    .as_bytes(),
            )
            .unwrap();
            let negotiated = negotiate(&offer, &[("opus", 48_000), ("PCMU", 8000)]).unwrap();
            assert_eq!(negotiated.audio.encoding, "PCMU", "{fmtp}");
        }
        for fmtp in [
            "useinbandfec=1; usedtx=0",
            "maxplaybackrate=8000;sprop-maxcapturerate=48000",
            "x-unknown=whatever; cbr=1",
            "",
        ] {
            assert!(valid_fmtp(&opus(Some(fmtp))), "{fmtp}");
        }
        // opus and G.722 only exist at their RFC clock rates.
        let odd = SIPP_UAC.replace(
            "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000",
            "RTP/AVP 96 97\r\na=rtpmap:96 opus/16000\r\na=rtpmap:97 G722/16000",
        );
        let offer = Offer::parse(odd.as_bytes()).unwrap();
        assert_eq!(
            negotiate(&offer, &[("opus", 48_000), ("G722", 8000)]),
            Err(NegotiationError::NoCommonCodec)
        );
    }

    #[test]
    fn a_payload_type_listed_again_keeps_its_first_place_and_negotiates_as_once() {
        let once = SIPP_UAC.replace(
            "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000",
            "RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16",
        );
        let repeated = once.replace("RTP/AVP 8 0 101", "RTP/AVP 8 0 8 101 0 101 8");
        let once = Offer::parse(once.as_bytes()).unwrap();
        let repeated = Offer::parse(repeated.as_bytes()).unwrap();
        let types: Vec<_> = only(&repeated)
            .formats
            .iter()
            .map(|f| f.payload_type)
            .collect();
        assert_eq!(types, [8, 0, 101]);
        assert_eq!(only(&repeated), only(&once));
        let local = addr("203.0.113.5:40000");
        for supported in [G711, &[("PCMU", 8000)]] {
            let expected = negotiate(&once, supported).unwrap();
            let negotiated = negotiate(&repeated, supported).unwrap();
            assert_eq!(negotiated.audio, expected.audio);
            assert_eq!(negotiated.telephone_event, expected.telephone_event);
            assert_eq!(answer(&negotiated, local, 1), answer(&expected, local, 1));
        }
    }

    #[test]
    fn each_format_reads_the_first_rtpmap_and_fmtp_naming_it() {
        // Attributes of several formats interleaved, some repeated or unreadable: a format
        // takes the first rtpmap and fmtp naming its type, even an unreadable rtpmap (100).
        let sdp = SIPP_UAC.replace(
            "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000",
            "RTP/AVP 96 97 98 0 100 101\r\n\
             a=fmtp:97 mode=20\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:98\r\n\
             a=rtpmap:97 iLBC/8000\r\na=fmtp:97 mode=30\r\na=fmtp:96 useinbandfec=1\r\n\
             a=rtpmap:98 speex/16000\r\na=rtpmap:100 speex\r\na=rtpmap:100 speex/8000\r\n\
             a=fmtp:x y\r\na=rtpmap:99 G726-32/8000\r\na=fmtp:0 x=1\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=rtpmap:96 opus/16000\r\na=fmtp:101 0-15",
        );
        let offer = Offer::parse(sdp.as_bytes()).unwrap();
        let read: Vec<_> = only(&offer)
            .formats
            .iter()
            .map(|f| {
                let fmtp = f.fmtp.as_deref().unwrap_or("-");
                let (pt, name, rate, channels) =
                    (f.payload_type, &f.encoding, f.clock_rate, f.channels);
                format!("{pt}:{name}/{rate}/{channels} {fmtp}")
            })
            .collect();
        assert_eq!(
            read,
            [
                "96:opus/48000/2 useinbandfec=1",
                "97:iLBC/8000/1 mode=20",
                "98:speex/16000/1 -",
                "0:PCMU/8000/1 x=1",
                "101:telephone-event/8000/1 0-15"
            ]
        );
    }
}
