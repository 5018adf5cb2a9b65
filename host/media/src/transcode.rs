//! A leg's codec at the room's rate: what it receives decoded and converted to the room rate,
//! what it hears converted to its codec's rate and encoded.

use crate::rate::RateConverter;
use crate::{Codec, Decoder, Encoder};

/// The longest Opus packet decoded (RFC 6716 §3.2.5: 120 ms), in samples at 48 kHz.
const MAX_DECODED: usize = 5760;

/// Decodes a leg's incoming payloads into room-rate frames.
#[derive(Debug)]
pub(crate) struct RoomDecoder {
    decoder: Decoder,
    to_room: RateConverter,
    pcm: Vec<i16>,
}

impl RoomDecoder {
    /// A fresh decoder for `codec`, converting to `room_rate` Hz.
    pub(crate) fn new(codec: Codec, room_rate: u32) -> Self {
        RoomDecoder {
            decoder: Decoder::new(codec),
            to_room: RateConverter::new(codec.audio_rate(), room_rate),
            pcm: vec![0; MAX_DECODED],
        }
    }

    /// Decodes `payload` into the start of `frame` (room rate); returns the samples written. An
    /// Opus packet longer than the frame is decoded whole and cut to it.
    pub(crate) fn decode(&mut self, payload: &[u8], frame: &mut [i16]) -> usize {
        let decoded = self.decoder.decode(payload, &mut self.pcm);
        let input = decoded.min(self.to_room.input_len(frame.len()));
        let out = self.to_room.output_len(input);
        self.to_room.process(&self.pcm[..input], &mut frame[..out]);
        out
    }

    /// Whether the codec conceals its own losses (Opus), so [`conceal`](Self::conceal) is to be
    /// used rather than generic concealment.
    pub(crate) fn conceals(&self) -> bool {
        self.decoder.conceals()
    }

    /// Fills `frame` for a lost packet with the codec's own concealment, from `next`'s in-band
    /// FEC when it has some.
    pub(crate) fn conceal(&mut self, next: Option<&[u8]>, frame: &mut [i16]) {
        let input = self.to_room.input_len(frame.len());
        let pcm = &mut self.pcm[..input];
        self.decoder.conceal(next, pcm);
        self.to_room.process(pcm, frame);
    }
}

/// Encodes one listener's stream from room-rate frames: converts each to the codec's audio rate
/// and encodes it with the stream's own [`Encoder`].
#[derive(Debug)]
pub struct RoomEncoder {
    encoder: Encoder,
    from_room: RateConverter,
    pcm: Vec<i16>,
}

impl RoomEncoder {
    /// A fresh encoder for `codec`, fed at `room_rate` Hz.
    ///
    /// # Panics
    /// If `room_rate` and the codec's audio rate are not whole multiples of each other (rooms
    /// run at 8, 16 or 48 kHz).
    pub fn new(codec: Codec, room_rate: u32) -> Self {
        RoomEncoder {
            encoder: Encoder::new(codec),
            from_room: RateConverter::new(room_rate, codec.audio_rate()),
            pcm: Vec::new(),
        }
    }

    /// Its codec.
    pub fn codec(&self) -> Codec {
        self.encoder.codec()
    }

    /// Whether one encode can serve every listener of this codec (the encoder and the
    /// conversion keep no state: G.711 in a room at its rate).
    pub fn is_stateless(&self) -> bool {
        self.encoder.is_stateless() && self.from_room.is_identity()
    }

    /// Encodes one room-rate frame into `out`, replacing its contents.
    pub fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) {
        self.pcm.resize(self.from_room.output_len(frame.len()), 0);
        self.from_room.process(frame, &mut self.pcm);
        self.encoder.encode(&self.pcm, out);
    }
}
