//! Two-party bridges: each leg hears the other directly, without a room mixer.
//!
//! Per tick and direction, the speaker's payload is relayed as it came from its jitter buffer
//! when both legs speak the same G.711 codec and the listener hears no prompt: no decode, no
//! encode, only the listener's own RTP header, re-packetized to the listener's ptime (G.711
//! bytes are samples, so the payload is cut or joined as is). Otherwise the speaker's decoded
//! frame, with the prompt added, is encoded by the listener's encoder. A silent (or muted)
//! speaker gives a silence frame. A listener that sends nothing (on hold) gets nothing.
//!
//! G.722 and Opus are never relayed, though both legs speak them: their decoders keep state
//! that the bytes they took built (ADPCM predictors, Opus' prediction across frames), so the
//! listener's far end must get every frame from one encoder. A relayed frame comes from the
//! speaker's; a frame that cannot be relayed (a lost packet concealed, a DTX pause, a gain, a
//! prompt) would come from the listener's own, and each switch between the two is heard as a
//! click. Their frames are decoded anyway (concealment needs every frame's samples), so what
//! this costs is one encode per frame and direction.

use std::collections::{BTreeMap, BTreeSet};

use crate::leg::{Leg, LegId, Legs, Speech};
use crate::output::Output;
use crate::{Codec, MAX_FRAME_LEN, PACKET_TIME, WorkerStats};

/// The bridges of one worker and the scratch space to render them.
#[derive(Debug, Default)]
pub(crate) struct Bridges {
    // Each pair once, lower id first.
    pairs: BTreeSet<(LegId, LegId)>,
    // One silent frame per codec, encoded once.
    silence: BTreeMap<Codec, Vec<u8>>,
    payload: Vec<u8>,
    // What each leg of the pair being rendered said.
    said: [Speech; 2],
}

impl Bridges {
    /// Records a bridge between `a` and `b` (the caller keeps each leg's `Place`).
    pub(crate) fn insert(&mut self, a: LegId, b: LegId) {
        self.pairs.insert(pair(a, b));
    }

    /// Forgets the bridge between `a` and `b`.
    pub(crate) fn remove(&mut self, a: LegId, b: LegId) {
        self.pairs.remove(&pair(a, b));
    }

    /// Sends every bridged leg one frame of what its peer said this tick (after `Leg::pull`).
    pub(crate) fn tick(&mut self, legs: &mut Legs, out: &mut Output<'_>) {
        let [said_a, said_b] = &mut self.said;
        for &(a, b) in &self.pairs {
            let a_speaks = legs.get(&a).is_some_and(|leg| leg.say(said_a));
            let b_speaks = legs.get(&b).is_some_and(|leg| leg.say(said_b));
            let (from_a, from_b) = (a_speaks.then_some(&*said_a), b_speaks.then_some(&*said_b));
            for (id, heard) in [(a, from_b), (b, from_a)] {
                if let Some(leg) = legs.get_mut(&id)
                    && !leg.held()
                {
                    let (silence, scratch) = (&mut self.silence, &mut self.payload);
                    let payload = render(silence, scratch, leg, heard, out.stats);
                    out.send(id, leg, payload);
                }
            }
        }
    }
}

fn pair(a: LegId, b: LegId) -> (LegId, LegId) {
    (a.min(b), a.max(b))
}

// The payload `listener` gets for `heard` (what its peer said, at the pair's rate) and its
// own prompt.
fn render<'a>(
    silence: &'a mut BTreeMap<Codec, Vec<u8>>,
    scratch: &'a mut Vec<u8>,
    listener: &mut Leg,
    heard: Option<&'a Speech>,
    stats: &mut WorkerStats,
) -> &'a [u8] {
    let len = listener.frame().len();
    let mut pcm = [0i16; MAX_FRAME_LEN];
    if let Some(overlay) = listener.overlay() {
        pcm[..len].copy_from_slice(overlay);
    }
    let prompted = listener.overlay().is_some();
    let encoder = &mut listener.outbound;
    let codec = encoder.codec();
    let frame_samples = codec.samples_per_frame(PACKET_TIME);
    // A stateless stream may take any encoder's bytes; a stateful one only its own encoder's.
    let stateless = encoder.is_stateless();
    match heard {
        // Relayed only when it fills exactly one frame (the speaker's packets are cut to frames
        // on receipt; a short one lacks a lost packet's share), so each tick adds one frame of
        // media to the listener's stream; its packetizer re-cuts those bytes to the listener's
        // ptime without decoding them.
        Some(speech)
            if stateless
                && speech.relayable
                && speech.codec == codec
                && !prompted
                && codec.payload_samples(&speech.payload) == Some(frame_samples) =>
        {
            stats.relayed_frames += 1;
            // What the listener hears is its encoder's input all the same: a later change of
            // the pair's rate primes the new conversion with it.
            encoder.skip(speech.frame());
            &speech.payload
        }
        // A stateless codec's silence is the same bytes every time.
        None if !prompted && stateless => {
            encoder.skip(&pcm[..len]);
            silence.entry(codec).or_insert_with(|| {
                let mut bytes = Vec::with_capacity(len);
                encoder.encode(&pcm[..len], &mut bytes);
                bytes
            })
        }
        heard => {
            // The speaker's own rendering (concealment, voice prompt, gain) in its own G.711
            // codec counts as relayed: only the listener's encoder touched it, and that keeps
            // no state. A stateful codec's frames are all decoded and encoded again.
            let same = heard.as_ref().is_some_and(|speech| speech.codec == codec);
            if same && !prompted && stateless {
                stats.relayed_frames += 1;
            } else {
                stats.bridged_transcodes += 1;
            }
            if let Some(speech) = heard {
                for (sample, &said) in pcm.iter_mut().zip(speech.frame()) {
                    *sample = sample.saturating_add(said);
                }
            }
            encoder.encode(&pcm[..len], scratch);
            scratch
        }
    }
}
