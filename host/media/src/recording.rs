//! Recording a room's mix, and optionally one track per member: the worker pushes each tick's
//! frame into a bounded queue that a writer drains off the timing core. The tick never waits
//! for the writer: a frame the queue has no room for (in frames, or in bytes: see
//! [`MAX_RECORDING_BYTES`]) is dropped and counted. Each frame's buffers come back to the
//! worker when the writer drops the frame, so recording allocates nothing in steady state.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use crate::packet_pool::BufferPool;
use crate::rate::RateConverter;
use crate::{LegId, MAX_FRAME_LEN, MediaEvent, PROMPT_RATE, RoomId};

/// The most tracks a recording with tracks holds: the first members of its room to be heard,
/// up to this many; those after them are in the mix only.
pub const MAX_RECORDED_TRACKS: usize = 64;

/// The most bytes of samples one recording holds in memory: in the frames queued for its
/// writer or being written, and in its spare buffers (at most an eighth of it). A frame that
/// would take more is dropped, as when the queue is full: a recording with many tracks has
/// fewer frames queued (a frame of 64 tracks at 48 kHz takes 125 kB: 58 frames, 1.2 s).
pub const MAX_RECORDING_BYTES: usize = 8 << 20;

/// The spare buffers' share of [`MAX_RECORDING_BYTES`]: buffers given back beyond it are freed.
const SPARE_BYTES: usize = MAX_RECORDING_BYTES / 8;

/// One frame of a room's mix, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedFrame {
    /// Samples per second of `samples`: the room's mix rate.
    pub rate: u32,
    /// Frames of this length that were due just before this one and not queued; a writer that
    /// stands silence in for them keeps the recording in time. They were dropped because the
    /// queue was full, or belong to ticks the worker skipped (it woke too late to run them),
    /// or are the silence that opened the recording while its room had no member here: held
    /// back (a second at most) so that the rate of the room's first mix, not a guess, sets
    /// the recording's.
    pub dropped_before: u32,
    /// The mix, mono 16-bit PCM; with tracks, each heard member's frame as well
    /// ([`RecordedSamples::tracks`]).
    pub samples: RecordedSamples,
}

/// The samples of a [`RecordedFrame`]: a slice of mono 16-bit PCM, the mix, and the tracks of
/// a recording with tracks. Dropped, the buffers of a frame the worker queued go back to its
/// tap, whose next frames reuse them.
pub struct RecordedSamples {
    /// The mix, then each track's frame, all of one length.
    samples: Vec<i16>,
    /// The leg of each track, in order.
    legs: Vec<LegId>,
    spare: Option<SpareBuffers>,
}

impl RecordedSamples {
    /// `samples` holding a mix followed by one track per leg of `legs`, in order, all of one
    /// length; they go back to no tap. Panics when `samples` cannot be cut so.
    pub fn with_tracks(samples: Vec<i16>, legs: Vec<LegId>) -> Self {
        assert_eq!(
            samples.len() % (1 + legs.len()),
            0,
            "a mix and {} tracks of one length",
            legs.len()
        );
        RecordedSamples {
            samples,
            legs,
            spare: None,
        }
    }

    /// The frame of each member its room heard this tick (what the member sent into the room:
    /// decoded or concealed, after its gain, at the recording's rate), by leg, each as long
    /// as the mix. Members not heard, or not in the room, have none: their track is silent.
    /// Always empty unless the tap was [`with_tracks`](RecordingTap::with_tracks).
    pub fn tracks(&self) -> impl Iterator<Item = (LegId, &[i16])> {
        let len = self.mix_len();
        self.legs
            .iter()
            .copied()
            .zip(self.samples[len..].chunks_exact(len.max(1)))
    }

    fn mix_len(&self) -> usize {
        self.samples.len() / (1 + self.legs.len())
    }
}

impl Deref for RecordedSamples {
    type Target = [i16];

    /// The mix.
    fn deref(&self) -> &[i16] {
        &self.samples[..self.mix_len()]
    }
}

impl From<Vec<i16>> for RecordedSamples {
    /// A mix without tracks, whose samples go back to no tap.
    fn from(samples: Vec<i16>) -> Self {
        RecordedSamples {
            samples,
            legs: Vec::new(),
            spare: None,
        }
    }
}

impl Clone for RecordedSamples {
    /// A copy that goes back to no tap.
    fn clone(&self) -> Self {
        RecordedSamples {
            samples: self.samples.clone(),
            legs: self.legs.clone(),
            spare: None,
        }
    }
}

impl PartialEq for RecordedSamples {
    fn eq(&self, other: &Self) -> bool {
        (&self.samples, &self.legs) == (&other.samples, &other.legs)
    }
}

impl Eq for RecordedSamples {}

impl std::fmt::Debug for RecordedSamples {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.legs.is_empty() {
            return self.samples.fmt(f);
        }
        f.debug_struct("RecordedSamples")
            .field("mix", &&**self)
            .field("tracks", &self.tracks().collect::<Vec<_>>())
            .finish()
    }
}

impl Drop for RecordedSamples {
    fn drop(&mut self) {
        if let Some(spare) = self.spare.take() {
            spare.give(
                std::mem::take(&mut self.samples),
                std::mem::take(&mut self.legs),
            );
        }
    }
}

/// The emptied buffers of one recording's frames (samples, and legs of tracks), shared by its
/// taps and the frames they queued, with the bytes of the frames out (queued, or held by the
/// writer): at most as many buffers as its queue holds, and [`SPARE_BYTES`] of samples. A
/// buffer keeps the room it grew to, so a recording with tracks allocates only while its
/// buffers grow to its room's size. Neither side waits for the other: buffers given back
/// while the worker takes some are freed, and the worker takes new ones while some are given
/// back.
#[derive(Clone, Debug)]
struct SpareBuffers(Arc<Spares>);

#[derive(Debug)]
struct Spares {
    pools: Mutex<Pools>,
    /// Bytes of the sample buffers of the frames out.
    out: AtomicUsize,
}

#[derive(Debug)]
struct Pools {
    samples: BufferPool<i16>,
    legs: BufferPool<LegId>,
    /// Bytes of the spare sample buffers.
    bytes: usize,
}

/// The bytes a sample buffer holds on to.
fn bytes_of(samples: &Vec<i16>) -> usize {
    samples.capacity() * size_of::<i16>()
}

impl SpareBuffers {
    fn new(limit: usize) -> Self {
        SpareBuffers(Arc::new(Spares {
            // New buffers are made as large as the frame they are taken for.
            pools: Mutex::new(Pools {
                samples: BufferPool::new(limit, 0),
                legs: BufferPool::new(limit, 0),
                bytes: 0,
            }),
            out: AtomicUsize::new(0),
        }))
    }

    /// Empty buffers with room for `len` samples and `tracks` legs (spare ones if at hand,
    /// grown at once if too small); `None` when the frames out would then take more than
    /// [`MAX_RECORDING_BYTES`] leaves them.
    fn take(&self, len: usize, tracks: usize) -> Option<(Vec<i16>, Vec<LegId>)> {
        let out = self.0.out.load(Ordering::Relaxed);
        if out + len * size_of::<i16>() > MAX_RECORDING_BYTES - SPARE_BYTES {
            return None;
        }
        let (mut samples, mut legs) = match self.0.pools.try_lock() {
            Ok(mut pools) => {
                let samples = pools.samples.take();
                pools.bytes -= bytes_of(&samples);
                (samples, pools.legs.take())
            }
            Err(_) => (Vec::new(), Vec::new()),
        };
        samples.reserve_exact(len);
        legs.reserve_exact(tracks);
        self.0.out.fetch_add(bytes_of(&samples), Ordering::Relaxed);
        Some((samples, legs))
    }

    /// Takes back the buffers of a frame out, keeping them for a later frame unless the
    /// limits are reached or the spares are busy.
    fn give(&self, samples: Vec<i16>, legs: Vec<LegId>) {
        let bytes = bytes_of(&samples);
        self.0.out.fetch_sub(bytes, Ordering::Relaxed);
        if let Ok(mut pools) = self.0.pools.try_lock()
            && !pools.samples.is_full()
            && pools.bytes + bytes <= SPARE_BYTES
        {
            pools.bytes += bytes;
            pools.samples.give(samples);
            pools.legs.give(legs);
        }
    }
}

/// The worker's end of a recording queue, given to
/// [`Worker::start_recording`](crate::Worker::start_recording). The recording ends when every
/// clone of it is dropped: the reader then gets what is queued, then a disconnection. When the
/// reader is dropped first, the worker ends the recording and raises
/// [`MediaEvent::RecordingEnded`].
#[derive(Clone, Debug)]
pub struct RecordingTap {
    sender: SyncSender<RecordedFrame>,
    spare: SpareBuffers,
    id: RecordingId,
    tracks: bool,
    // Frames dropped since the last one queued.
    dropped: u32,
}

/// Which recording a [`RecordingTap`] feeds: unique in the process, the same in every clone of
/// the tap, so that a report of a recording's end is not taken for a later recording's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordingId(u64);

/// A recording queue holding at most `capacity` frames (at least one): the tap for the worker
/// and the receiver for the writer.
pub fn recording_queue(capacity: usize) -> (RecordingTap, Receiver<RecordedFrame>) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let capacity = capacity.max(1);
    let (sender, receiver) = sync_channel(capacity);
    let id = RecordingId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let tap = RecordingTap {
        sender,
        spare: SpareBuffers::new(capacity),
        id,
        tracks: false,
        dropped: 0,
    };
    (tap, receiver)
}

/// What became of a frame pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pushed {
    Queued,
    Dropped,
    /// The reader is gone: nothing more will be read.
    Closed,
}

impl RecordingTap {
    /// The recording this tap feeds.
    pub fn id(&self) -> RecordingId {
        self.id
    }

    /// The same tap, asking for tracks: each frame holds, besides the mix, the frame of every
    /// member its room hears ([`RecordedSamples::tracks`]), for the first
    /// [`MAX_RECORDED_TRACKS`] members heard.
    pub fn with_tracks(mut self) -> Self {
        self.tracks = true;
        self
    }

    /// Queues a frame at `rate` of a mix of `len` samples and at most `tracks` tracks, which
    /// with their legs `fill` writes into empty buffers.
    fn push(
        &mut self,
        rate: u32,
        len: usize,
        tracks: usize,
        fill: impl FnOnce(&mut Vec<i16>, &mut Vec<LegId>),
    ) -> Pushed {
        let Some((mut samples, mut legs)) = self.spare.take(len * (1 + tracks), tracks) else {
            self.miss(1);
            return Pushed::Dropped;
        };
        fill(&mut samples, &mut legs);
        let frame = RecordedFrame {
            rate,
            dropped_before: self.dropped,
            samples: RecordedSamples {
                samples,
                legs,
                spare: Some(self.spare.clone()),
            },
        };
        match self.sender.try_send(frame) {
            Ok(()) => {
                self.dropped = 0;
                Pushed::Queued
            }
            Err(TrySendError::Full(_)) => {
                self.miss(1);
                Pushed::Dropped
            }
            Err(TrySendError::Disconnected(_)) => Pushed::Closed,
        }
    }

    /// Counts `frames` due and not queued: the next frame queued tells the writer of them.
    fn miss(&mut self, frames: u32) {
        self.dropped = self.dropped.saturating_add(frames);
    }
}

/// One room's recording: its queue and the rate it records at, the room's at its first frame
/// (silence before it, while the room had no member here, waits for it). A room's rate changes
/// as legs of other codecs come and go; later frames are converted, so the files keep one
/// rate.
#[derive(Debug)]
struct Recording {
    tap: RecordingTap,
    rate: Option<u32>,
    /// The mix's converter, while the room's rate differs (see [`convert`]).
    converter: Option<(u32, RateConverter)>,
    /// The legs that have a track: at most [`MAX_RECORDED_TRACKS`].
    tracks: BTreeMap<LegId, Track>,
    /// Frames pushed so far.
    pushed: u64,
}

/// A leg's track in a recording.
#[derive(Debug, Default)]
struct Track {
    /// Its converter, while the room's rate differs from the recording's.
    converter: Option<(u32, RateConverter)>,
    /// The last frame, counted as [`Recording::pushed`], its leg was heard in.
    heard_in: u64,
}

impl Recording {
    fn new(tap: RecordingTap) -> Self {
        Recording {
            tap,
            rate: None,
            converter: None,
            tracks: BTreeMap::new(),
            pushed: 0,
        }
    }

    /// Writes the silence still waiting for the room's first mix at the prompts' rate, so that
    /// a recording that ends before its room had a member here is a file of silence.
    fn flush_waiting_silence(&mut self) {
        if self.rate.is_none() && self.tap.dropped > 0 {
            self.tap.dropped -= 1;
            let _ = self.push(
                PROMPT_RATE,
                &[0; PROMPT_RATE as usize / 50],
                std::iter::empty(),
            );
        }
    }

    /// Pushes `frame`, at `rate`, and with tracks the frames of `heard` (each member's, as
    /// long as `frame`), converted to the recording's rate. A track's converter starts afresh
    /// when its leg was not heard in the frame before: nothing from before the break leaks in.
    fn push<'a>(
        &mut self,
        rate: u32,
        frame: &[i16],
        heard: impl Iterator<Item = (LegId, &'a [i16])> + Clone,
    ) -> Pushed {
        let recorded = *self.rate.get_or_insert(rate);
        self.pushed += 1;
        let Recording {
            tap,
            converter,
            tracks,
            pushed,
            ..
        } = self;
        let with_tracks = tap.tracks;
        let heard_count = if with_tracks {
            heard.clone().count().min(MAX_RECORDED_TRACKS)
        } else {
            0
        };
        let len = frame.len() * recorded as usize / rate as usize;
        tap.push(recorded, len, heard_count, |samples, legs| {
            convert(converter, rate, recorded, frame, samples);
            if !with_tracks {
                return;
            }
            for (leg, heard) in heard {
                if tracks.len() >= MAX_RECORDED_TRACKS && !tracks.contains_key(&leg) {
                    continue;
                }
                let track = tracks.entry(leg).or_default();
                if track.heard_in + 1 != *pushed
                    && let Some((_, converter)) = &mut track.converter
                {
                    converter.reset();
                }
                track.heard_in = *pushed;
                convert(&mut track.converter, rate, recorded, heard, samples);
                legs.push(leg);
            }
        })
    }
}

/// Appends `input`, at `from` Hz, to `out` at `to` Hz, through `converter` (made anew when
/// the rate converted from changes, so that each stream keeps its converter's state).
fn convert(
    converter: &mut Option<(u32, RateConverter)>,
    from: u32,
    to: u32,
    input: &[i16],
    out: &mut Vec<i16>,
) {
    if from == to {
        out.extend_from_slice(input);
        return;
    }
    if converter.as_ref().is_none_or(|(rate, _)| *rate != from) {
        *converter = Some((from, RateConverter::new(from, to)));
    }
    let Some((_, converter)) = converter.as_mut() else {
        unreachable!("set just above");
    };
    let start = out.len();
    out.resize(start + converter.output_len(input.len()), 0);
    converter.process(input, &mut out[start..]);
}

/// How many ticks of silence opening a recording wait for the room's first mix to set its rate
/// (1 s): a room nobody joins by then is recorded at the prompts' rate, so that a file of its
/// silence is written (and survives a crash) rather than nothing.
const SILENCE_WAITS_TICKS: u32 = 50;

/// The recordings of a worker's rooms, at most one per room, and their counters.
#[derive(Debug, Default)]
pub(crate) struct Recordings {
    taps: BTreeMap<RoomId, Recording>,
    /// Recordings that ended because their reader was gone, not yet reported.
    ended: Vec<(RoomId, RecordingId)>,
    /// Frames queued for a writer.
    pub(crate) queued: u64,
    /// Frames dropped because a queue was full.
    pub(crate) dropped: u64,
}

impl Recordings {
    /// Records `room` into `tap`, ending any recording of it before.
    pub(crate) fn start(&mut self, room: RoomId, tap: RecordingTap) {
        self.taps.insert(room, Recording::new(tap));
    }

    /// Ends the recording of `room`, if any.
    pub(crate) fn stop(&mut self, room: &RoomId) {
        if let Some(mut recording) = self.taps.remove(room) {
            recording.flush_waiting_silence();
        }
    }

    /// Ends every recording of a failed worker (their taps are dropped), each as a
    /// [`MediaEvent::RecordingLost`].
    pub(crate) fn end_all(&mut self) -> impl Iterator<Item = MediaEvent> {
        std::mem::take(&mut self.taps)
            .into_iter()
            .map(|(room, mut recording)| {
                recording.flush_waiting_silence();
                MediaEvent::RecordingLost {
                    room,
                    recording: recording.tap.id,
                }
            })
    }

    /// Whether `room` is being recorded.
    pub(crate) fn contains(&self, room: &RoomId) -> bool {
        self.taps.contains_key(room)
    }

    /// Pushes this tick's frame of `room`'s mix, and of its members heard (`heard`: each one's
    /// leg and frame, for a recording with tracks), if it is being recorded; a recording whose
    /// reader is gone ends.
    pub(crate) fn record<'a>(
        &mut self,
        room: &RoomId,
        rate: u32,
        frame: &[i16],
        heard: impl Iterator<Item = (LegId, &'a [i16])> + Clone,
    ) {
        let Some(recording) = self.taps.get_mut(room) else {
            return;
        };
        let (pushed, id) = (recording.push(rate, frame, heard), recording.tap.id);
        if !self.count(pushed) {
            self.taps.remove(room);
            self.ended.push((room.clone(), id));
        }
    }

    /// Pushes a frame of silence for every recorded room for which `sounding` is false (it
    /// has no member on this worker this tick), so the recording keeps time; a recording whose
    /// reader is gone ends. A recording that has no frame yet only counts the silence, for up
    /// to [`SILENCE_WAITS_TICKS`]: its first frame's rate, which is the recording's, is not
    /// known yet, and the frame tells the writer of the silence before it
    /// ([`RecordedFrame::dropped_before`]).
    pub(crate) fn record_silence(&mut self, sounding: impl Fn(&RoomId) -> bool) {
        const SILENCE: [i16; MAX_FRAME_LEN] = [0; MAX_FRAME_LEN];
        let mut taps = std::mem::take(&mut self.taps);
        taps.retain(|room, recording| {
            if sounding(room) {
                return true;
            }
            let rate = match recording.rate {
                Some(rate) => rate,
                None if recording.tap.dropped < SILENCE_WAITS_TICKS => {
                    recording.tap.miss(1);
                    return true;
                }
                None => PROMPT_RATE,
            };
            let silence = &SILENCE[..rate as usize / 50];
            let going_on = self.count(recording.push(rate, silence, std::iter::empty()));
            if !going_on {
                self.ended.push((room.clone(), recording.tap.id));
            }
            going_on
        });
        self.taps = taps;
    }

    /// Counts `ticks` the worker skipped as frames due and not queued in every recording, so
    /// that each keeps time: the writer stands silence in for them.
    pub(crate) fn skip_ticks(&mut self, ticks: u32) {
        for recording in self.taps.values_mut() {
            recording.tap.miss(ticks);
        }
    }

    /// Raises [`MediaEvent::RecordingEnded`] into `events` for each recording that ended
    /// because its reader was gone since the last call: once per recording.
    pub(crate) fn report_ended(&mut self, events: &mut VecDeque<MediaEvent>) {
        events.extend(
            self.ended
                .drain(..)
                .map(|(room, recording)| MediaEvent::RecordingEnded { room, recording }),
        );
    }

    // Counts a push; false when the recording is over.
    fn count(&mut self, pushed: Pushed) -> bool {
        match pushed {
            Pushed::Queued => self.queued += 1,
            Pushed::Dropped => self.dropped += 1,
            Pushed::Closed => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Queues a frame of `samples` at 8 kHz.
    fn push(tap: &mut RecordingTap, samples: &[i16]) -> Pushed {
        tap.push(8000, samples.len(), 0, |buffer, _| {
            buffer.extend_from_slice(samples)
        })
    }

    #[test]
    fn a_full_queue_drops_and_tells_the_next_frame_how_many() {
        let (mut tap, receiver) = recording_queue(2);
        for fill in 1..=5 {
            push(&mut tap, &[fill; 4]);
        }
        assert_eq!(receiver.try_recv().unwrap().samples[0], 1);
        assert_eq!(receiver.try_recv().unwrap().samples[0], 2);
        assert_eq!(push(&mut tap, &[6; 4]), Pushed::Queued);
        let next = receiver.try_recv().unwrap();
        assert_eq!(
            (next.samples[0], next.dropped_before, next.rate),
            (6, 3, 8000)
        );
        drop(receiver);
        assert_eq!(push(&mut tap, &[7; 4]), Pushed::Closed);
    }

    #[test]
    fn a_frame_s_buffer_comes_back_for_a_later_frame_once_the_writer_drops_it() {
        let (mut tap, receiver) = recording_queue(2);
        push(&mut tap, &[1; 160]);
        let first = receiver.try_recv().unwrap();
        let address = first.samples.as_ptr();
        let copy = first.clone();
        drop(first);
        push(&mut tap, &[2; 160]);
        let second = receiver.try_recv().unwrap();
        assert_eq!(second.samples.as_ptr(), address, "the same buffer");
        assert_eq!(
            (&*second.samples, &*copy.samples),
            (&[2; 160][..], &[1; 160][..])
        );
        // A writer that holds on to frames gets new buffers; those coming back are kept up to
        // the queue's capacity.
        let held: Vec<_> = (0..4)
            .map(|_| {
                push(&mut tap, &[3; 160]);
                receiver.try_recv().unwrap()
            })
            .collect();
        drop(held);
        assert_eq!(tap.spare.0.pools.lock().unwrap().samples.spare(), 2);
    }

    #[test]
    fn the_frames_out_and_the_spare_buffers_stay_within_their_bytes() {
        // A frame of 64 tracks at 48 kHz.
        const LEN: usize = 65 * 960;
        let (mut tap, receiver) = recording_queue(1000);
        let pushed: Vec<_> = (0..100).map(|_| push(&mut tap, &[1; LEN])).collect();
        let queued = pushed.iter().filter(|&&p| p == Pushed::Queued).count();
        let fits = (MAX_RECORDING_BYTES - SPARE_BYTES) / (2 * LEN);
        assert_eq!(queued, fits, "{pushed:?}");
        assert!(pushed[fits..].iter().all(|&p| p == Pushed::Dropped));
        let frames: Vec<_> = receiver.try_iter().collect();
        assert_eq!(frames.len(), fits);
        drop(frames);
        let pools = tap.spare.0.pools.lock().unwrap();
        assert_eq!(
            pools.samples.spare(),
            SPARE_BYTES / (2 * LEN),
            "the rest freed"
        );
        assert!(pools.bytes <= SPARE_BYTES);
        drop(pools);
        assert_eq!(tap.spare.0.out.load(Ordering::Relaxed), 0);
        assert_eq!(push(&mut tap, &[1; LEN]), Pushed::Queued, "room again");
        let next = receiver.try_recv().unwrap();
        assert_eq!(next.dropped_before, (100 - fits) as u32);
    }

    #[test]
    fn a_recording_whose_reader_is_gone_ends() {
        let mut recordings = Recordings::default();
        let room = RoomId("r".into());
        let (tap, receiver) = recording_queue(1);
        let recording = tap.id();
        assert_ne!(recording, recording_queue(1).0.id(), "each its own");
        recordings.start(room.clone(), tap);
        recordings.record(&room, 8000, &[1; 4], std::iter::empty());
        recordings.record(&room, 8000, &[2; 4], std::iter::empty());
        assert_eq!((recordings.queued, recordings.dropped), (1, 1));
        drop(receiver);
        recordings.record_silence(|_| false);
        assert!(!recordings.contains(&room));
        let mut events = VecDeque::new();
        recordings.report_ended(&mut events);
        recordings.report_ended(&mut events);
        assert_eq!(events, [MediaEvent::RecordingEnded { room, recording }]);
    }

    #[test]
    fn a_recording_keeps_the_rate_of_its_first_frame() {
        let mut recordings = Recordings::default();
        let room = RoomId("r".into());
        let (tap, receiver) = recording_queue(8);
        recordings.start(room.clone(), tap);
        recordings.record(&room, 16_000, &[100; 320], std::iter::empty());
        // A 48 kHz leg joined: the room mixes at 48 kHz now.
        recordings.record(&room, 48_000, &[100; 960], std::iter::empty());
        // Everyone left this worker.
        recordings.record_silence(|_| false);
        let frames: Vec<_> = receiver.try_iter().collect();
        let shapes: Vec<_> = frames.iter().map(|f| (f.rate, f.samples.len())).collect();
        assert_eq!(shapes, [(16_000, 320), (16_000, 320), (16_000, 320)]);
        assert!(frames[2].samples.iter().all(|&s| s == 0));
    }
}

#[cfg(test)]
mod track_tests {
    use super::*;

    const A: LegId = LegId(1);
    const B: LegId = LegId(2);

    #[test]
    fn tracks_go_with_the_mix_at_the_recording_s_rate_and_only_when_asked_for() {
        let room = RoomId("r".into());
        let mut recordings = Recordings::default();
        let (tap, receiver) = recording_queue(8);
        recordings.start(room.clone(), tap.with_tracks());
        let (a, b) = ([10; 320], [20; 320]);
        recordings.record(
            &room,
            16_000,
            &[30; 320],
            [(A, &a[..]), (B, &b[..])].into_iter(),
        );
        // The room went to 48 kHz: tracks are converted as the mix is.
        let (a, b) = ([10; 960], [20; 960]);
        recordings.record(
            &room,
            48_000,
            &[30; 960],
            [(B, &b[..]), (A, &a[..])].into_iter(),
        );
        let frames: Vec<_> = receiver.try_iter().collect();
        for frame in &frames {
            assert_eq!((frame.rate, frame.samples.len()), (16_000, 320));
            let tracks: Vec<_> = frame
                .samples
                .tracks()
                .map(|(leg, t)| (leg, t.len()))
                .collect();
            assert_eq!(tracks.len(), 2);
            assert!(tracks.iter().all(|&(_, len)| len == 320));
        }
        let last: Vec<_> = frames[1]
            .samples
            .tracks()
            .map(|(leg, t)| (leg, t[319]))
            .collect();
        assert_eq!(
            last,
            [(B, 20), (A, 10)],
            "each its own frame, in the order heard"
        );

        let (tap, receiver) = recording_queue(8);
        recordings.start(room.clone(), tap);
        recordings.record(&room, 16_000, &[30; 320], [(A, &[10; 320][..])].into_iter());
        let frame = receiver.try_recv().unwrap();
        assert_eq!(frame.samples.tracks().count(), 0, "a mix-only recording");
        assert_eq!(frame.samples.len(), 320);
    }

    #[test]
    fn a_track_converted_after_a_break_holds_nothing_from_before_it() {
        let room = RoomId("r".into());
        let mut recordings = Recordings::default();
        let (tap, receiver) = recording_queue(8);
        recordings.start(room.clone(), tap.with_tracks());
        // Recorded at 8 kHz; the room then mixes at 16 kHz, so A's track is converted.
        recordings.record(&room, 8000, &[0; 160], std::iter::empty());
        let loud = [20_000; 320];
        recordings.record(&room, 16_000, &[0; 320], [(A, &loud[..])].into_iter());
        recordings.record(&room, 16_000, &[0; 320], std::iter::empty());
        let quiet = [0; 320];
        recordings.record(&room, 16_000, &[0; 320], [(A, &quiet[..])].into_iter());
        let frames: Vec<_> = receiver.try_iter().collect();
        let (_, back) = frames[3].samples.tracks().next().unwrap();
        assert_eq!(back, [0; 160], "A's first frame after it was away");
    }

    #[test]
    fn a_recording_holds_at_most_its_cap_of_tracks_and_keeps_those_it_has() {
        let room = RoomId("r".into());
        let mut recordings = Recordings::default();
        let (tap, receiver) = recording_queue(8);
        recordings.start(room.clone(), tap.with_tracks());
        let frame = [1; 160];
        let many = (0..=MAX_RECORDED_TRACKS as u64).map(|id| (LegId(id), &frame[..]));
        recordings.record(&room, 8000, &frame, many);
        let first = receiver.try_recv().unwrap();
        assert_eq!(first.samples.tracks().count(), MAX_RECORDED_TRACKS);
        let late = LegId(MAX_RECORDED_TRACKS as u64);
        let again = [(late, &frame[..]), (LegId(0), &frame[..])];
        recordings.record(&room, 8000, &frame, again.into_iter());
        let legs: Vec<_> = receiver
            .try_recv()
            .unwrap()
            .samples
            .tracks()
            .map(|(leg, _)| leg)
            .collect();
        assert_eq!(legs, [LegId(0)]);
    }
}
