//! One tick of a worker's rooms and lone legs, each mixed at its own rate (8, 16 or 48 kHz).
//!
//! A room mixes at the highest audio rate among its legs' codecs; every member's frames are
//! rendered at that rate (converted at the leg), so narrowband rooms pay nothing for wideband
//! ones. One [`MixMinus`] per frame length serves every room of that rate in turn.

use std::collections::{BTreeSet, VecDeque};

use crate::leg::{Legs, Place};
use crate::output::Output;
use crate::playback::Playback;
use crate::rate::RateConverter;
use crate::recording::Recordings;
use crate::shared_encoders::SharedEncoders;
use crate::{LegId, Limiter, MAX_FRAME_LEN, MediaEvent, MixMinus, PROMPT_RATE, RoomId};

/// Prompts a whole room hears, converted to the room's rate, and the frame of them this tick.
#[derive(Debug)]
pub(crate) struct Announcement {
    playback: Playback,
    converter: RateConverter,
    frame: [i16; MAX_FRAME_LEN],
}

impl Announcement {
    /// `playback` into a room, from its next tick.
    pub(crate) fn new(playback: Playback) -> Self {
        Announcement {
            playback,
            converter: RateConverter::new(PROMPT_RATE, PROMPT_RATE),
            frame: [0; MAX_FRAME_LEN],
        }
    }

    // The next frame at `rate` (the room's); whether the prompts ended with it.
    fn next_frame<const N: usize>(&mut self, rate: u32) -> (bool, &[i16; N]) {
        self.converter.retarget(PROMPT_RATE, rate);
        let ended = self
            .playback
            .fill_at(&mut self.converter, &mut self.frame[..N]);
        let frame = self
            .frame
            .first_chunk()
            .expect("a frame fits MAX_FRAME_LEN");
        (ended, frame)
    }
}

/// One room's share of a tick.
pub(crate) struct RoomTick<'a> {
    pub(crate) members: &'a BTreeSet<LegId>,
    pub(crate) announcement: Option<&'a mut Announcement>,
    pub(crate) limiter: Option<&'a mut Limiter>,
    /// The most talkers summed, the loudest first; 0 sums every talker.
    pub(crate) max_talkers: usize,
    /// The room's recording, which takes the mix as a listener outside the room hears it, and
    /// for tracks what each member the room hears sends into it.
    pub(crate) recording: Option<(&'a mut Recordings, &'a RoomId)>,
    /// The room's shared encoders of stateful codecs.
    pub(crate) shared: Option<&'a mut SharedEncoders>,
}

/// A mixer per room rate, and the scratch space of a tick.
#[derive(Debug, Default)]
pub(crate) struct Mixers {
    narrow: MixMinus<160>,
    wide: MixMinus<320>,
    full: MixMinus<960>,
    /// This tick's talkers of the room being mixed, with their ranks (see [`talker_rank`]): kept
    /// to reuse its memory.
    talkers: Vec<(i16, LegId)>,
}

impl Mixers {
    /// Frames encoded by every mixer (see [`MixMinus::encodes`]).
    pub(crate) fn encodes(&self) -> u64 {
        self.narrow.encodes() + self.wide.encodes() + self.full.encodes()
    }

    /// Mixes one room at `rate` (its members' rate) and sends every member its payload; returns
    /// whether the room's announcement ended.
    pub(crate) fn room(
        &mut self,
        rate: u32,
        room: RoomTick<'_>,
        legs: &mut Legs,
        events: &mut VecDeque<MediaEvent>,
        out: &mut Output<'_>,
    ) -> bool {
        let talkers = &mut self.talkers;
        match rate {
            8000 => mix_room(&mut self.narrow, talkers, rate, room, legs, events, out),
            16_000 => mix_room(&mut self.wide, talkers, rate, room, legs, events, out),
            _ => mix_room(&mut self.full, talkers, rate, room, legs, events, out),
        }
    }

    /// Sends every leg in no room and no bridge its prompt, or silence (shared per codec where
    /// the codec allows, as in a room without talkers).
    pub(crate) fn alone(&mut self, legs: &mut Legs, out: &mut Output<'_>) {
        alone(&mut self.narrow, legs, out);
        alone(&mut self.wide, legs, out);
        alone(&mut self.full, legs, out);
    }
}

fn mix_room<const N: usize>(
    mixer: &mut MixMinus<N>,
    talkers: &mut Vec<(i16, LegId)>,
    rate: u32,
    room: RoomTick<'_>,
    legs: &mut Legs,
    events: &mut VecDeque<MediaEvent>,
    out: &mut Output<'_>,
) -> bool {
    mixer.begin();
    talkers.clear();
    let mut shared = room.shared;
    if let Some(shared) = shared.as_deref_mut() {
        shared.begin(rate);
    }
    for &id in room.members {
        let Some(leg) = legs.get_mut(&id) else {
            continue;
        };
        let was_summed = std::mem::replace(&mut leg.summed, false);
        if let Some(change) = leg.detect_voice() {
            events.push_back(MediaEvent::Talk { leg: id, change });
        }
        if leg.heard_in_room() && leg.vad.active() {
            talkers.push((talker_rank(leg.vad.talker_level_dbov(), was_summed), id));
        }
    }
    let cap = room.max_talkers;
    if cap > 0 && talkers.len() > cap {
        // The loudest `cap`, in no particular order.
        talkers.select_nth_unstable_by(cap - 1, |a, b| b.0.cmp(&a.0));
        talkers.truncate(cap);
    }
    for (_, id) in talkers.iter() {
        if let Some(leg) = legs.get_mut(id) {
            let frame = leg.frame().first_chunk().expect("frames are the room's");
            mixer.add_talker(frame);
            leg.summed = true;
        }
    }
    let mut ended = false;
    if let Some(announcement) = room.announcement {
        let (done, frame) = announcement.next_frame::<N>(rate);
        mixer.add_talker(frame);
        ended = done;
    }
    if let Some(limiter) = room.limiter {
        mixer.limit(limiter);
    }
    if let Some((recordings, id)) = room.recording {
        let mut mix = [0; N];
        mixer.render(None, None, &mut mix);
        let heard = room.members.iter().filter_map(|id| {
            let leg = legs.get(id).filter(|leg| leg.heard_in_room())?;
            Some((*id, leg.frame()))
        });
        recordings.record(id, rate, &mix, heard);
    }
    // Before any shared encode of this tick: a listener that now needs its own mix takes the
    // shared encoder's state first.
    for id in room.members {
        if let Some(leg) = legs.get_mut(id)
            && leg.on_shared
            && !leg.hears_plain_mix()
        {
            leg.leave_shared_stream(shared.as_deref());
        }
    }
    let mut deaf = false;
    for id in room.members {
        if let Some(leg) = legs.get_mut(id) {
            if leg.deaf {
                deaf = true;
            } else {
                out.mixed(mixer, *id, leg, true, shared.as_deref_mut());
            }
        }
    }
    if deaf {
        // A deaf member hears none of the room: an empty mix, under its own prompt.
        mixer.begin();
        for id in room.members {
            if let Some(leg) = legs.get_mut(id)
                && leg.deaf
            {
                out.mixed(mixer, *id, leg, false, None);
            }
        }
    }
    ended
}

/// How much louder a talker must be than one summed last tick to take its place under a room's
/// cap, in dB of talker level.
const TALKER_HOLD_DB: i16 = 3;

/// Where a talker stands for a room's cap, the highest first: its talker level (over a few
/// hundred ms, see [`talker_level_dbov`](crate::VoiceActivity::talker_level_dbov)), raised
/// by [`TALKER_HOLD_DB`] when it was summed last tick.
fn talker_rank(talker_level_dbov: i8, was_summed: bool) -> i16 {
    // A frame's own level swings with every syllable: ranked by it, talkers of similar loudness
    // swap places every few frames, each swap a hard cut in the middle of a word. Ranked by the
    // level of the last few hundred ms, and holding a seat until someone is clearly louder,
    // the set of talkers heard stays put while they talk and changes when another talker
    // takes over, as listeners expect of a conference bridge.
    i16::from(talker_level_dbov) + if was_summed { TALKER_HOLD_DB } else { 0 }
}

fn alone<const N: usize>(mixer: &mut MixMinus<N>, legs: &mut Legs, out: &mut Output<'_>) {
    mixer.begin();
    for (&id, leg) in legs.iter_mut() {
        if leg.place == Place::Alone && leg.rate() as usize / 50 == N {
            out.mixed(mixer, id, leg, false, None);
        }
    }
}
