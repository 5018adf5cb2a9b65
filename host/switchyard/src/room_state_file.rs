//! The rooms kept across restarts (`rooms.state_file`): every room's name,
//! meta (a guest's pins live there) and lock, and when an empty one expires
//! (unix seconds), as JSON. Read at start, where the rooms come back (empty, so
//! they expire unless joined, at the time they would have); written, whole
//! ([`durable_file::replace`]), within a quarter of a second of any change and
//! once more at shutdown, so a crash loses at most that quarter second. Only
//! its owner may read it (mode 0600): it holds the rooms' PINs.

use crate::durable_file;
use crate::file_owner::FileOwner;
use crate::host_api::lock;
use anyhow::{Context, anyhow};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchyard_core::{CallCore, RoomState};
use tracing::info;

/// How often the rooms are looked at, and written if they changed.
const WRITE_INTERVAL: Duration = Duration::from_millis(250);

/// The file's content: read, it owns its rooms' names and meta; written, it borrows them
/// from a snapshot of the rooms.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kept<'a> {
    rooms: Vec<KeptRoom<'a>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeptRoom<'a> {
    room: Cow<'a, str>,
    #[serde(default)]
    meta: Cow<'a, BTreeMap<String, String>>,
    #[serde(default)]
    locked: bool,
    /// When the room, empty, expires: unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
}

/// A `rooms.state_file`.
#[derive(Debug)]
pub struct RoomStateFile {
    path: PathBuf,
    _owner: FileOwner,
}

impl RoomStateFile {
    /// Reads `path` (none yet: no rooms) and brings every room of it back in
    /// `core`, however many (`rooms.max_empty` applies to rooms emptied
    /// later). A file that does not parse, or holds a room that cannot come
    /// back (a name the rooms do not take), is an error naming the file and
    /// the entry: starting without its rooms would overwrite them. So is a
    /// file another running process keeps ([`FileOwner`]), and one that is no regular file
    /// (a FIFO, found without waiting for a writer: [`durable_file::read`]).
    pub fn open(path: &Path, core: &Mutex<CallCore>) -> anyhow::Result<RoomStateFile> {
        let owner = FileOwner::claim(path)
            .map_err(|e| anyhow!("rooms.state_file: {}: {e}", path.display()))?;
        let bytes = durable_file::read(path)
            .with_context(|| format!("rooms.state_file: {}", path.display()))?;
        let kept: Kept<'_> = match bytes {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| anyhow!("rooms.state_file: {}: {e}", path.display()))?,
            None => Kept::default(),
        };
        let now = Instant::now();
        let unix_now = unix_seconds();
        let mut core = lock(core);
        let restored = kept.rooms.len();
        for (index, kept) in kept.rooms.into_iter().enumerate() {
            let state = RoomState {
                room: kept.room.into_owned(),
                meta: Arc::new(kept.meta.into_owned()),
                locked: kept.locked,
                expires_in: kept
                    .expires_at
                    .map(|at| Duration::from_secs(at.saturating_sub(unix_now))),
            };
            // Nothing is written unless the start succeeds, so a refused file
            // is left as it is.
            core.restore_room(now, &state).map_err(|e| {
                anyhow!(
                    "rooms.state_file: {}: rooms[{index}] ({:?}) cannot be restored: {e}; \
                     correct or remove the entry",
                    path.display(),
                    state.room
                )
            })?;
        }
        if restored > 0 {
            info!(rooms = restored, file = %path.display(), "rooms restored");
        }
        Ok(RoomStateFile {
            path: path.to_owned(),
            _owner: owner,
        })
    }

    /// The file's bytes for `rooms`, their states at `unix_now`.
    fn render(rooms: &[RoomState], unix_now: u64) -> Vec<u8> {
        let kept = Kept {
            rooms: rooms
                .iter()
                .map(|r| KeptRoom {
                    room: Cow::Borrowed(&r.room),
                    meta: Cow::Borrowed(&r.meta),
                    locked: r.locked,
                    // Rounded up: a room never comes back expiring sooner than it would have.
                    expires_at: r
                        .expires_in
                        .map(|left| unix_now + left.as_secs() + u64::from(left.subsec_nanos() > 0)),
                })
                .collect(),
        };
        serde_json::to_vec(&kept).expect("strings and booleans serialize")
    }

    /// Writes the rooms whenever they change, until `stop` resolves; then once
    /// more, so that the last changes of a run are kept.
    pub async fn keep(
        self: Arc<Self>,
        core: Arc<Mutex<CallCore>>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        durable_file::keep(
            self.path.clone(),
            durable_file::PRIVATE,
            WRITE_INTERVAL,
            stop,
            |written| {
                // The snapshot shares every room's meta: the lock is held only to take it,
                // and the rooms are rendered once it is released.
                let (version, rooms) = {
                    let core = lock(&core);
                    let version = core.rooms_version();
                    if written == Some(&version) {
                        return None;
                    }
                    (version, core.room_states(Instant::now()))
                };
                Some((version, Self::render(&rooms, unix_seconds())))
            },
        )
        .await;
    }
}

/// Seconds since 1970 by the system clock (0 before it).
fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file_owner::tests::{make_fifo, within_a_second};

    #[test]
    fn a_rooms_file_that_is_a_fifo_stops_the_start_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rooms.json");
        make_fifo(&path);
        let refused = within_a_second(&path, |path| {
            let host = crate::host_api::testing::host();
            RoomStateFile::open(path, host.core()).map(drop)
        });
        assert_eq!(
            format!("{:#}", refused.unwrap_err()),
            format!(
                "rooms.state_file: {}: not a regular file (a FIFO, a device or a directory)",
                path.display()
            )
        );
    }
}
