//! A room's shared encoders for a codec with state (Opus): every listener who hears the room's
//! plain mix (nothing of its own summed in, no prompt) with the same parameters takes the bytes
//! of one encode, as G.711 listeners share one.
//!
//! A stateful stream cannot jump between encoders: its far end decodes with the state the
//! bytes it got built. So a listener takes the shared stream only when its far end cannot tell:
//! at the start of its stream; while the room is quiet; when no shared encoder of its
//! parameters exists yet (one is made that goes on from the listener's own); or, having heard
//! the plain mix from its own encoder for a tick, at a shared frame coded without prediction,
//! which it asks for (one such frame per join, for everyone on the stream: a little less
//! efficient than the others, and otherwise the same). When it needs its own mix (it talks, or
//! a prompt plays to it, or it leaves the room) its own encoder first takes the shared one's
//! state, so that its stream goes on exactly where the shared one was.

use crate::{OpusParams, RoomEncoder};

/// The shared encoders of one room, one per set of Opus parameters its listeners ask for.
#[derive(Debug, Default)]
pub(crate) struct SharedEncoders {
    entries: Vec<SharedEncoder>,
}

#[derive(Debug)]
struct SharedEncoder {
    encoder: RoomEncoder,
    rate: u32,
    payload: Vec<u8>,
    // Encoded this tick.
    encoded: bool,
    // Taken by a listener this tick.
    used: bool,
    // This tick's frame is coded without prediction.
    independent: bool,
    // A listener asked for the next tick's frame to be.
    independent_asked: bool,
}

impl SharedEncoders {
    /// Starts a tick of a room mixed at `rate`: an encoder no listener took in the last tick
    /// is dropped (nobody's stream follows it any more).
    pub(crate) fn begin(&mut self, rate: u32) {
        self.entries.retain(|entry| entry.used);
        for entry in &mut self.entries {
            entry.used = false;
            entry.encoded = false;
            entry.independent = std::mem::take(&mut entry.independent_asked);
            if entry.rate != rate {
                entry.encoder.set_room_rate(rate);
                entry.rate = rate;
            }
        }
    }

    /// The shared Opus encoder for `opus`, as it was after the last tick's encode (before this
    /// tick's), if a listener takes it.
    pub(crate) fn get(&self, opus: &OpusParams) -> Option<&RoomEncoder> {
        self.entry(opus).map(|entry| &entry.encoder)
    }

    /// Whether a listener of `opus` may take the shared stream this tick after hearing the same
    /// mix from its own encoder last tick: this tick's frame is coded without prediction.
    pub(crate) fn independent(&self, opus: &OpusParams) -> bool {
        self.entry(opus).is_some_and(|entry| entry.independent)
    }

    /// Asks for the next tick's frame of `opus`' shared stream to be coded without prediction,
    /// for a listener to join it then; nothing if no shared encoder of `opus` runs.
    pub(crate) fn ask_independent(&mut self, opus: &OpusParams) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.encoder.opus() == opus) {
            entry.independent_asked = true;
        }
    }

    /// Makes the shared encoder of `own`'s parameters, going on where `own` is, so that its
    /// listener takes the shared stream at once; false (nothing changes) if one runs already.
    pub(crate) fn adopt(&mut self, own: &RoomEncoder, rate: u32) -> bool {
        if self.entry(own.opus()).is_some() {
            return false;
        }
        self.entries
            .push(SharedEncoder::new(RoomEncoder::continuing(own, rate), rate));
        true
    }

    fn entry(&self, opus: &OpusParams) -> Option<&SharedEncoder> {
        self.entries
            .iter()
            .find(|entry| entry.encoder.opus() == opus)
    }

    /// This tick's shared Opus payload for listeners with `opus` in a room at `rate`: `mix`
    /// renders the room's plain mix, encoded on the first request of the tick; and whether this
    /// request encoded it.
    pub(crate) fn payload<const N: usize>(
        &mut self,
        opus: &OpusParams,
        rate: u32,
        mix: impl FnOnce(&mut [i16; N]),
    ) -> (&[u8], bool) {
        let index = match self.entries.iter().position(|e| e.encoder.opus() == opus) {
            Some(index) => index,
            None => {
                let encoder = RoomEncoder::new(crate::Codec::Opus, opus, rate);
                self.entries.push(SharedEncoder::new(encoder, rate));
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[index];
        entry.used = true;
        let encodes = !entry.encoded;
        if encodes {
            let mut pcm = [0; N];
            mix(&mut pcm);
            if entry.independent {
                entry.encoder.encode_independent(&pcm, &mut entry.payload);
            } else {
                entry.encoder.encode(&pcm, &mut entry.payload);
            }
            entry.encoded = true;
        }
        (&entry.payload, encodes)
    }
}

impl SharedEncoder {
    fn new(encoder: RoomEncoder, rate: u32) -> Self {
        SharedEncoder {
            encoder,
            rate,
            payload: Vec::new(),
            encoded: false,
            used: false,
            independent: false,
            independent_asked: false,
        }
    }
}
