//! A leg's codec at its room's rate: what it receives decoded, concealed where lost and
//! converted to the room rate; what it hears converted to its codec's rate and encoded.

use crate::opus::MAX_PACKET_SAMPLES;
use crate::plc::Plc;
use crate::rate::RateConverter;
use crate::reframe::Gap;
use crate::{Codec, Decoder, Encoder, OpusParams};

/// Room for the longest Opus packet (RFC 6716 §3.2.5: 120 ms) decoded after less than a
/// frame carried from the packet before, in samples at 48 kHz.
const MAX_OPUS_DECODED: usize = MAX_PACKET_SAMPLES + 960;

/// What [`RoomDecoder::render`] made of a tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rendered {
    /// Some of the frame was lost and concealed.
    pub(crate) concealed: bool,
    /// That concealment is audible.
    pub(crate) audible: bool,
    /// Some of the frame is audio decoded from an earlier packet, one longer than a frame.
    pub(crate) carried: bool,
}

/// Decodes a leg's incoming payloads into frames at its room's rate, concealing what is lost.
///
/// Everything happens at the codec's own rate first (decode, concealment, silence), then the
/// whole frame is converted, so the converter sees one continuous signal. Concealment is the
/// codec's own for Opus (RFC 6716 §4.4, with in-band FEC from the next packet when there is
/// one) and G.711 Appendix I for the others, at the codec's audio rate (G.722's 16 kHz too).
#[derive(Debug)]
pub(crate) struct RoomDecoder {
    decoder: Decoder,
    to_room: RateConverter,
    plc: Option<Plc>,
    pcm: Vec<i16>,
    /// The first `carried` samples of `pcm`: decoded from a packet longer than a frame, not yet
    /// rendered (Opus only; the others' payloads are cut to frames before decoding).
    carried: usize,
}

impl RoomDecoder {
    /// A fresh decoder for `codec`, converting to `room_rate` Hz.
    pub(crate) fn new(codec: Codec, room_rate: u32) -> Self {
        let decoder = Decoder::new(codec);
        RoomDecoder {
            plc: (!decoder.conceals()).then(|| Plc::new(codec.audio_rate())),
            decoder,
            to_room: RateConverter::new(codec.audio_rate(), room_rate),
            // The other codecs' payloads come cut to one frame.
            pcm: vec![
                0;
                match codec {
                    Codec::Opus => MAX_OPUS_DECODED,
                    _ => codec.audio_rate() as usize / 50,
                }
            ],
            carried: 0,
        }
    }

    /// Samples (at the codec's rate, its RTP clock for Opus) decoded from earlier packets and
    /// not yet rendered: they open the next frame.
    pub(crate) fn carried(&self) -> usize {
        self.carried
    }

    /// Decodes a whole Opus `packet` (any duration up to 120 ms) after what is carried, to be
    /// rendered from the next frame on. Call only while less than a frame is carried. Returns
    /// false, and carries nothing more, for a packet that does not decode (not valid Opus).
    pub(crate) fn take_packet(&mut self, packet: &[u8]) -> bool {
        let room = &mut self.pcm[self.carried..];
        let decoded = self.decoder.decode(packet, room);
        self.carried += decoded;
        decoded > 0
    }

    /// Converts to `room_rate` Hz from now on, going on without a gap or a click (see
    /// [`RateConverter::retarget`]); the codec's state carries on.
    pub(crate) fn set_room_rate(&mut self, room_rate: u32) {
        self.to_room
            .retarget(self.decoder.codec().audio_rate(), room_rate);
    }

    /// Renders one room-rate `frame`: what was [`carried`](Self::carried), then `payload`
    /// decoded (what an Opus packet holds beyond the frame is carried to the next), the rest
    /// concealed when `gap` is [`Gap::Lost`] (Opus from `next`'s in-band FEC when it has some),
    /// silence otherwise.
    pub(crate) fn render(
        &mut self,
        payload: Option<&[u8]>,
        gap: Gap,
        next: Option<&[u8]>,
        frame: &mut [i16],
    ) -> Rendered {
        let len = self.to_room.input_len(frame.len());
        let mut rendered = Rendered {
            carried: self.carried > 0,
            ..Rendered::default()
        };
        let carried = std::mem::take(&mut self.carried);
        let decoded = carried
            + match payload {
                Some(payload) => self.decoder.decode(payload, &mut self.pcm[carried..]),
                None => 0,
            };
        let used = decoded.min(len);
        let (heard, rest) = self.pcm[..len].split_at_mut(used);
        if let Some(plc) = &mut self.plc {
            plc.good(heard);
        }
        if !rest.is_empty() {
            if gap == Gap::Lost {
                rendered.concealed = true;
                rendered.audible = match &mut self.plc {
                    Some(plc) => plc.conceal(rest),
                    None => {
                        self.decoder.conceal(next, rest);
                        true
                    }
                };
            } else {
                rest.fill(0);
                // Silence is history too: a loss after a pause conceals silence, and one that
                // ends in a pause fades out by the overlap-add.
                if let Some(plc) = &mut self.plc {
                    plc.good(rest);
                }
            }
        }
        self.to_room.process(&self.pcm[..len], frame);
        if decoded > len {
            self.pcm.copy_within(len..decoded, 0);
            self.carried = decoded - len;
        }
        rendered
    }
}

/// Encodes one listener's stream from room-rate frames: converts each to the codec's audio rate
/// and encodes it with the stream's own [`Encoder`].
#[derive(Debug)]
pub struct RoomEncoder {
    encoder: Encoder,
    opus: OpusParams,
    from_room: RateConverter,
    pcm: Vec<i16>,
}

impl RoomEncoder {
    /// A fresh encoder for `codec` (an Opus one sending what the peer's `opus` parameters ask),
    /// fed at `room_rate` Hz.
    ///
    /// # Panics
    /// If `room_rate` and the codec's audio rate are not whole multiples of each other (rooms
    /// run at 8, 16 or 48 kHz).
    pub fn new(codec: Codec, opus: &OpusParams, room_rate: u32) -> Self {
        RoomEncoder {
            encoder: Encoder::with_opus(codec, opus),
            opus: *opus,
            from_room: RateConverter::new(room_rate, codec.audio_rate()),
            pcm: Vec::new(),
        }
    }

    /// Its codec.
    pub fn codec(&self) -> Codec {
        self.encoder.codec()
    }

    /// Whether one encode can serve every listener of this codec (the encoder keeps no state
    /// and the conversion none but its last input, which is noted even for a frame it did not
    /// encode: G.711 in a room at its rate).
    pub fn is_stateless(&self) -> bool {
        self.encoder.is_stateless() && self.from_room.is_identity()
    }

    /// Sends what the peer's `opus` parameters ask from the next frame on; the stream's state
    /// carries on.
    pub fn configure_opus(&mut self, opus: &OpusParams) {
        self.opus = *opus;
        self.encoder.configure_opus(opus);
    }

    /// The Opus parameters it sends with.
    pub(crate) fn opus(&self) -> &OpusParams {
        &self.opus
    }

    /// Whether its state can be handed from one stream to another (see
    /// [`continue_from`](Self::continue_from)): Opus.
    pub(crate) fn copies_state(&self) -> bool {
        self.encoder.copies_state()
    }

    /// Goes on exactly where `other` (of the same codec, parameters and rates) is: its next
    /// frame encodes to the bytes `other`'s would. A listener whose stream came from a shared
    /// encoder moves to its own this way without a glitch at its decoder.
    pub(crate) fn continue_from(&mut self, other: &RoomEncoder) {
        if self.encoder.copy_state_from(&other.encoder) {
            self.from_room.copy_state_from(&other.from_room);
        }
    }

    /// A new encoder of `other`'s codec and parameters, fed at `room_rate` Hz, that goes on
    /// where `other` is (see [`continue_from`](Self::continue_from)).
    pub(crate) fn continuing(other: &RoomEncoder, room_rate: u32) -> RoomEncoder {
        let mut encoder = RoomEncoder::new(other.codec(), &other.opus, room_rate);
        encoder.continue_from(other);
        encoder
    }

    /// Codes the next frame without prediction from earlier ones (Opus), so that a decoder
    /// that followed another stream of the same audio until now takes it without a glitch.
    pub(crate) fn encode_independent(&mut self, frame: &[i16], out: &mut Vec<u8>) {
        self.encoder.set_independent(true);
        self.encode(frame, out);
        self.encoder.set_independent(false);
    }

    /// Takes frames at `room_rate` Hz from now on, going on from the last ones without a gap or
    /// a click; the codec's state carries on.
    pub fn set_room_rate(&mut self, room_rate: u32) {
        self.from_room
            .retarget(room_rate, self.encoder.codec().audio_rate());
    }

    /// Notes that the listener was sent bytes of its codec for `frame` that this encoder did
    /// not make (another listener's stateless encode, see [`is_stateless`](Self::is_stateless),
    /// a bridge peer's payload relayed, a cached silence), so that a change of the room's rate
    /// goes on from it as if it had been encoded here.
    pub(crate) fn skip(&mut self, frame: &[i16]) {
        self.from_room.skip(frame);
    }

    /// Forgets the frames fed so far, as a new conversion would (the codec's state carries
    /// on): for a stream that starts again after a break, whose next frames go on from
    /// silence, not from what it was fed before the break.
    pub(crate) fn forget_input(&mut self) {
        self.from_room.reset();
    }

    /// Encodes one room-rate frame into `out`, replacing its contents.
    pub fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) {
        self.pcm.resize(self.from_room.output_len(frame.len()), 0);
        self.from_room.process(frame, &mut self.pcm);
        self.encoder.encode(&self.pcm, out);
    }
}
