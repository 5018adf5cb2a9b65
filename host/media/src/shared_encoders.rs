//! A room's shared encoders for a codec with state (Opus): every listener who hears the room's
//! plain mix (nothing of its own summed in, no prompt) with the same parameters takes the bytes
//! of one encode, as G.711 listeners share one.
//!
//! A stateful stream cannot jump between encoders: its far end decodes with the state the
//! bytes it got built. So a listener takes the shared stream only when its far end cannot tell:
//! at the start of its stream, or while the room is quiet; and when it needs its own mix (it
//! talks, or a prompt plays to it, or it leaves the room) its own encoder first takes the
//! shared one's state, so that its stream goes on exactly where the shared one was.

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
}

impl SharedEncoders {
    /// Starts a tick of a room mixed at `rate`: an encoder no listener took in the last tick
    /// is dropped (nobody's stream follows it any more).
    pub(crate) fn begin(&mut self, rate: u32) {
        self.entries.retain(|entry| entry.used);
        for entry in &mut self.entries {
            entry.used = false;
            entry.encoded = false;
            if entry.rate != rate {
                entry.encoder.set_room_rate(rate);
                entry.rate = rate;
            }
        }
    }

    /// The shared Opus encoder for `opus`, as it was after the last tick's encode (before this
    /// tick's), if a listener takes it.
    pub(crate) fn get(&self, opus: &OpusParams) -> Option<&RoomEncoder> {
        self.entries
            .iter()
            .find(|entry| entry.encoder.opus() == opus)
            .map(|entry| &entry.encoder)
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
                self.entries.push(SharedEncoder {
                    encoder: RoomEncoder::new(crate::Codec::Opus, opus, rate),
                    rate,
                    payload: Vec::new(),
                    encoded: false,
                    used: false,
                });
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[index];
        entry.used = true;
        let encodes = !entry.encoded;
        if encodes {
            let mut pcm = [0; N];
            mix(&mut pcm);
            entry.encoder.encode(&pcm, &mut entry.payload);
            entry.encoded = true;
        }
        (&entry.payload, encodes)
    }
}
