//! Recording rooms: at most one recording per room, at most
//! [`CoreConfig::max_recordings`](crate::CoreConfig::max_recordings) at once, each ending with
//! its room, when its file takes no more, or when its media worker fails.

use switchyard_media::{RecordingId, RecordingTap, RoomId};

use super::CallCore;
use super::commands::check_room_name;
use crate::effect::{Effect, MediaOp, RecordingEnd};
use crate::error::CoreError;
use crate::rooms::Room;

impl CallCore {
    /// Records the room's mix into `tap` (what a listener outside the room would hear, see
    /// [`Worker::start_recording`](switchyard_media::Worker::start_recording)) until
    /// [`stop_recording`](Self::stop_recording), until the room is gone (closed or expired), or
    /// until the worker reports
    /// [`MediaEvent::RecordingEnded`](switchyard_media::MediaEvent::RecordingEnded) (its writer
    /// is gone), whoever joins or leaves meanwhile. Refused, dropping `tap`, as
    /// [`check_recording`](Self::check_recording) refuses.
    pub fn start_recording(&mut self, room: &str, tap: RecordingTap) -> Result<(), CoreError> {
        self.check_recording(room)?;
        if let Some(state) = self.rooms.get_mut(room) {
            state.recording = Some(tap.id());
        }
        self.media(MediaOp::StartRecording {
            worker: self.placement.room(room),
            room: RoomId(room.to_owned()),
            tap,
        });
        Ok(())
    }

    /// Whether [`start_recording`](Self::start_recording) would record `room` now, changing
    /// nothing: so that a recording the core would refuse costs no file. Refused when the room
    /// does not exist ([`CoreError::NoSuchRoom`]), is being recorded already,
    /// `max_recordings` rooms are, or the server is shutting down ([`CoreError::WrongState`]),
    /// or `room` is no room name ([`CoreError::InvalidArgument`]).
    pub fn check_recording(&self, room: &str) -> Result<(), CoreError> {
        check_room_name(room)?;
        let state = self.rooms.get(room).ok_or(CoreError::NoSuchRoom)?;
        if !self.accepting {
            // Past `stop_all_recordings`, nothing would stop it before the process exits.
            return Err(CoreError::state("the server is shutting down"));
        }
        if state.recording.is_some() {
            return Err(CoreError::state(format!(
                "room {room:?} is being recorded already"
            )));
        }
        let active = self
            .rooms
            .values()
            .filter(|r| r.recording.is_some())
            .count();
        if active >= self.config.max_recordings {
            return Err(CoreError::state(format!(
                "{active} rooms are being recorded, the most allowed at once"
            )));
        }
        Ok(())
    }

    /// Ends the room's recording.
    pub fn stop_recording(&mut self, room: &str) -> Result<(), CoreError> {
        check_room_name(room)?;
        let state = self.rooms.get_mut(room).ok_or(CoreError::NoSuchRoom)?;
        if state.recording.take().is_none() {
            return Err(CoreError::state(format!(
                "room {room:?} is not being recorded"
            )));
        }
        self.end_recording(room);
        Ok(())
    }

    /// The room's worker ended `recording` on its own, for `reason`: its file could not be
    /// written further or reached its size limit ([`RecordingEnd::File`]), or the worker
    /// failed ([`RecordingEnd::WorkerFailed`]). The room is not being recorded any more, it no
    /// longer counts toward `max_recordings`, and [`Effect::RecordingEnded`] says so. Nothing
    /// for a room gone or not being recorded, or whose recording now is another (the report
    /// crossed a stop and a new start).
    pub(super) fn recording_ended(
        &mut self,
        room: &str,
        recording: RecordingId,
        reason: RecordingEnd,
    ) {
        let Some(state) = self
            .rooms
            .get_mut(room)
            .filter(|state| state.recording == Some(recording))
        else {
            return;
        };
        state.recording = None;
        match reason {
            RecordingEnd::WorkerFailed => tracing::warn!(
                room,
                "the room's recording ended: its media worker failed; the file holds what came \
                 before"
            ),
            _ => tracing::warn!(room, "the room's recording ended: its file takes no more"),
        }
        self.effects.push_back(Effect::RecordingEnded {
            room: room.to_owned(),
            reason,
        });
    }

    /// `removed`, named `room`, is gone: it is kept no more, its recording, if any, ends,
    /// and [`Effect::RecordingEnded`] says so.
    pub(super) fn room_removed(&mut self, room: &str, removed: &Room) {
        self.rooms_version += 1;
        self.kept_rooms -= usize::from(removed.kept());
        if removed.recording.is_some() {
            self.end_recording(room);
            self.effects.push_back(Effect::RecordingEnded {
                room: room.to_owned(),
                reason: RecordingEnd::RoomGone,
            });
        }
    }

    /// Ends every room's recording: at shutdown, so that each file is completed before the
    /// process exits rather than left as a crash leaves it.
    pub fn stop_all_recordings(&mut self) {
        let recorded: Vec<String> = self
            .rooms
            .iter_mut()
            .filter_map(|(name, room)| room.recording.take().map(|_| name.clone()))
            .collect();
        for room in recorded {
            self.end_recording(&room);
        }
    }

    fn end_recording(&mut self, room: &str) {
        self.media(MediaOp::StopRecording {
            worker: self.placement.room(room),
            room: RoomId(room.to_owned()),
        });
    }
}
