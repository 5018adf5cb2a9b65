//! Recording a room's mix: the worker pushes each tick's frame into a bounded queue that a
//! writer drains off the timing core. The tick never waits for the writer: a frame the queue
//! has no room for is dropped and counted. Each frame's buffer comes back to the worker when
//! the writer drops the frame, so recording allocates nothing in steady state.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use crate::packet_pool::BufferPool;
use crate::rate::RateConverter;
use crate::{MAX_FRAME_LEN, MediaEvent, PROMPT_RATE, RoomId};

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
    /// Mono 16-bit PCM.
    pub samples: RecordedSamples,
}

/// The samples of a [`RecordedFrame`]: a slice of mono 16-bit PCM. Dropped, the buffer of a
/// frame the worker queued goes back to its tap, whose next frames reuse it.
pub struct RecordedSamples {
    samples: Vec<i16>,
    spare: Option<SpareBuffers>,
}

impl Deref for RecordedSamples {
    type Target = [i16];

    fn deref(&self) -> &[i16] {
        &self.samples
    }
}

impl From<Vec<i16>> for RecordedSamples {
    /// Samples that go back to no tap.
    fn from(samples: Vec<i16>) -> Self {
        RecordedSamples {
            samples,
            spare: None,
        }
    }
}

impl Clone for RecordedSamples {
    /// A copy that goes back to no tap.
    fn clone(&self) -> Self {
        self.samples.clone().into()
    }
}

impl PartialEq for RecordedSamples {
    fn eq(&self, other: &Self) -> bool {
        self.samples == other.samples
    }
}

impl Eq for RecordedSamples {}

impl std::fmt::Debug for RecordedSamples {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.samples.fmt(f)
    }
}

impl Drop for RecordedSamples {
    fn drop(&mut self) {
        if let Some(spare) = self.spare.take() {
            spare.give(std::mem::take(&mut self.samples));
        }
    }
}

/// The emptied sample buffers of one recording's frames, shared by its taps and the frames
/// they queued: at most as many as its queue holds, so that a writer dropping each frame it
/// wrote leaves at most twice that many buffers, and the one it holds. Neither side waits for
/// the other: a buffer given back while the worker takes one is freed, and the worker takes a
/// new one while a buffer is given back.
#[derive(Clone, Debug)]
struct SpareBuffers(Arc<Mutex<BufferPool<i16>>>);

impl SpareBuffers {
    fn new(limit: usize) -> Self {
        SpareBuffers(Arc::new(Mutex::new(BufferPool::new(limit, MAX_FRAME_LEN))))
    }

    /// An empty buffer with room for any frame: a spare one if there is one at hand.
    fn take(&self) -> Vec<i16> {
        match self.0.try_lock() {
            Ok(mut pool) => pool.take(),
            Err(_) => Vec::with_capacity(MAX_FRAME_LEN),
        }
    }

    /// Keeps `buffer` for a later frame, unless the limit is reached or the spares are busy.
    fn give(&self, buffer: Vec<i16>) {
        if let Ok(mut pool) = self.0.try_lock() {
            pool.give(buffer);
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

    fn push(&mut self, rate: u32, samples: &[i16]) -> Pushed {
        let mut buffer = self.spare.take();
        buffer.extend_from_slice(samples);
        let frame = RecordedFrame {
            rate,
            dropped_before: self.dropped,
            samples: RecordedSamples {
                samples: buffer,
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
/// as legs of other codecs come and go; later frames are converted, so the file keeps one
/// rate.
#[derive(Debug)]
struct Recording {
    tap: RecordingTap,
    rate: Option<u32>,
    /// The rate converted from, and its converter, while the room's rate differs.
    converter: Option<(u32, RateConverter)>,
    converted: Vec<i16>,
}

impl Recording {
    fn new(tap: RecordingTap) -> Self {
        Recording {
            tap,
            rate: None,
            converter: None,
            converted: Vec::with_capacity(MAX_FRAME_LEN),
        }
    }

    /// Writes the silence still waiting for the room's first mix at the prompts' rate, so that
    /// a recording that ends before its room had a member here is a file of silence.
    fn flush_waiting_silence(&mut self) {
        if self.rate.is_none() && self.tap.dropped > 0 {
            self.tap.dropped -= 1;
            let _ = self.push(PROMPT_RATE, &[0; PROMPT_RATE as usize / 50]);
        }
    }

    /// Pushes `frame`, at `rate`, converted to the recording's rate.
    fn push(&mut self, rate: u32, frame: &[i16]) -> Pushed {
        let recorded = *self.rate.get_or_insert(rate);
        if rate == recorded {
            return self.tap.push(rate, frame);
        }
        if self
            .converter
            .as_ref()
            .is_none_or(|(from, _)| *from != rate)
        {
            self.converter = Some((rate, RateConverter::new(rate, recorded)));
        }
        let Some((_, converter)) = self.converter.as_mut() else {
            unreachable!("set just above");
        };
        self.converted.resize(converter.output_len(frame.len()), 0);
        converter.process(frame, &mut self.converted);
        self.tap.push(recorded, &self.converted)
    }
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

    /// Ends every recording (their taps are dropped), each as a
    /// [`MediaEvent::RecordingEnded`].
    pub(crate) fn end_all(&mut self) -> impl Iterator<Item = MediaEvent> {
        std::mem::take(&mut self.taps)
            .into_iter()
            .map(|(room, mut recording)| {
                recording.flush_waiting_silence();
                MediaEvent::RecordingEnded {
                    room,
                    recording: recording.tap.id,
                }
            })
    }

    /// Whether `room` is being recorded.
    pub(crate) fn contains(&self, room: &RoomId) -> bool {
        self.taps.contains_key(room)
    }

    /// Pushes this tick's frame of `room`'s mix, if it is being recorded; a recording whose
    /// reader is gone ends.
    pub(crate) fn record(&mut self, room: &RoomId, rate: u32, frame: &[i16]) {
        let Some(recording) = self.taps.get_mut(room) else {
            return;
        };
        let (pushed, id) = (recording.push(rate, frame), recording.tap.id);
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
            let going_on = self.count(recording.push(rate, &SILENCE[..rate as usize / 50]));
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

    #[test]
    fn a_full_queue_drops_and_tells_the_next_frame_how_many() {
        let (mut tap, receiver) = recording_queue(2);
        for fill in 1..=5 {
            tap.push(8000, &[fill; 4]);
        }
        assert_eq!(receiver.try_recv().unwrap().samples[0], 1);
        assert_eq!(receiver.try_recv().unwrap().samples[0], 2);
        assert_eq!(tap.push(8000, &[6; 4]), Pushed::Queued);
        let next = receiver.try_recv().unwrap();
        assert_eq!(
            (next.samples[0], next.dropped_before, next.rate),
            (6, 3, 8000)
        );
        drop(receiver);
        assert_eq!(tap.push(8000, &[7; 4]), Pushed::Closed);
    }

    #[test]
    fn a_frame_s_buffer_comes_back_for_a_later_frame_once_the_writer_drops_it() {
        let (mut tap, receiver) = recording_queue(2);
        tap.push(8000, &[1; 160]);
        let first = receiver.try_recv().unwrap();
        let address = first.samples.as_ptr();
        let copy = first.clone();
        drop(first);
        tap.push(8000, &[2; 160]);
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
                tap.push(8000, &[3; 160]);
                receiver.try_recv().unwrap()
            })
            .collect();
        drop(held);
        assert_eq!(tap.spare.0.lock().unwrap().spare(), 2);
    }

    #[test]
    fn a_recording_whose_reader_is_gone_ends() {
        let mut recordings = Recordings::default();
        let room = RoomId("r".into());
        let (tap, receiver) = recording_queue(1);
        let recording = tap.id();
        assert_ne!(recording, recording_queue(1).0.id(), "each its own");
        recordings.start(room.clone(), tap);
        recordings.record(&room, 8000, &[1; 4]);
        recordings.record(&room, 8000, &[2; 4]);
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
        recordings.record(&room, 16_000, &[100; 320]);
        // A 48 kHz leg joined: the room mixes at 48 kHz now.
        recordings.record(&room, 48_000, &[100; 960]);
        // Everyone left this worker.
        recordings.record_silence(|_| false);
        let frames: Vec<_> = receiver.try_iter().collect();
        let shapes: Vec<_> = frames.iter().map(|f| (f.rate, f.samples.len())).collect();
        assert_eq!(shapes, [(16_000, 320), (16_000, 320), (16_000, 320)]);
        assert!(frames[2].samples.iter().all(|&s| s == 0));
    }
}
