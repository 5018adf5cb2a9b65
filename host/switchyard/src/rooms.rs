//! Conference rooms and their participants: the host's truth, which guests read
//! and change through the `rooms` import and XML-RPC reads through them.

use std::collections::BTreeMap;
use switchyard_guest::{JoinOptions, ParticipantInfo, ParticipantStatus, RoomInfo};

/// Every open room.
#[derive(Debug, Default)]
pub struct Rooms {
    rooms: BTreeMap<String, Room>,
}

/// One room.
#[derive(Debug, Default)]
struct Room {
    participants: Vec<ParticipantInfo>,
    meta: BTreeMap<String, String>,
}

impl Rooms {
    /// Opens `room`; true if it was created.
    pub fn open(&mut self, room: &str) -> bool {
        if self.rooms.contains_key(room) {
            return false;
        }
        self.rooms.insert(room.to_owned(), Room::default());
        true
    }

    /// The room and its participants.
    pub fn info(&self, room: &str) -> Option<RoomInfo> {
        self.rooms.get(room).map(|r| RoomInfo {
            room: room.to_owned(),
            participants: r.participants.clone(),
        })
    }

    /// Every open room, in name order.
    pub fn names(&self) -> Vec<String> {
        self.rooms.keys().cloned().collect()
    }

    /// Deletes the room; returns the calls that were in it.
    pub fn remove(&mut self, room: &str) -> Option<Vec<String>> {
        self.rooms
            .remove(room)
            .map(|r| r.participants.into_iter().map(|p| p.call).collect())
    }

    /// Lists `call` in `room` (opening it), after taking it out of any other room.
    pub fn join(
        &mut self,
        call: &str,
        room: &str,
        options: JoinOptions,
        status: ParticipantStatus,
    ) {
        self.leave(call);
        self.rooms
            .entry(room.to_owned())
            .or_default()
            .participants
            .push(ParticipantInfo {
                call: call.to_owned(),
                number: options.number,
                status,
                reason: options.reason,
                muted: false,
                participant_id: options.participant_id,
            });
    }

    /// Takes `call` out of its room; returns the room's name.
    pub fn leave(&mut self, call: &str) -> Option<String> {
        for (name, room) in &mut self.rooms {
            let before = room.participants.len();
            room.participants.retain(|p| p.call != call);
            if room.participants.len() != before {
                return Some(name.clone());
            }
        }
        None
    }

    /// The room `call` is listed in.
    pub fn room_of(&self, call: &str) -> Option<&str> {
        self.rooms
            .iter()
            .find(|(_, r)| r.participants.iter().any(|p| p.call == call))
            .map(|(name, _)| name.as_str())
    }

    /// Changes the listed status (and, if given, the reason) of `call`.
    pub fn set_status(&mut self, call: &str, status: ParticipantStatus, reason: Option<&str>) {
        if let Some(p) = self.participant_mut(call) {
            p.status = status;
            if let Some(reason) = reason {
                reason.clone_into(&mut p.reason);
            }
        }
    }

    /// Sets a room's meta value; false if the room does not exist.
    pub fn set_meta(&mut self, room: &str, key: &str, value: &str) -> bool {
        match self.rooms.get_mut(room) {
            Some(r) => {
                r.meta.insert(key.to_owned(), value.to_owned());
                true
            }
            None => false,
        }
    }

    /// A room's meta value.
    pub fn get_meta(&self, room: &str, key: &str) -> Option<String> {
        self.rooms.get(room)?.meta.get(key).cloned()
    }

    fn participant_mut(&mut self, call: &str) -> Option<&mut ParticipantInfo> {
        self.rooms
            .values_mut()
            .flat_map(|r| r.participants.iter_mut())
            .find(|p| p.call == call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(number: &str) -> JoinOptions {
        JoinOptions {
            number: number.to_owned(),
            reason: "entered".to_owned(),
            participant_id: String::new(),
        }
    }

    #[test]
    fn joining_lists_and_moves_participants() {
        let mut rooms = Rooms::default();
        rooms.join("c1", "1", options("alice"), ParticipantStatus::Connecting);
        rooms.join("c2", "1", options("bob"), ParticipantStatus::Connected);
        assert_eq!(rooms.info("1").unwrap().participants.len(), 2);
        rooms.join("c1", "2", options("alice"), ParticipantStatus::Connected);
        assert_eq!(rooms.room_of("c1"), Some("2"));
        assert_eq!(rooms.info("1").unwrap().participants.len(), 1);
        assert_eq!(rooms.names(), ["1", "2"]);
    }

    #[test]
    fn status_and_meta_change_in_place() {
        let mut rooms = Rooms::default();
        assert!(rooms.open("9"));
        assert!(!rooms.open("9"));
        rooms.join("c1", "9", options("alice"), ParticipantStatus::Connecting);
        rooms.set_status("c1", ParticipantStatus::Finished, Some("BYE"));
        let p = &rooms.info("9").unwrap().participants[0];
        assert_eq!(
            (p.status, p.reason.as_str()),
            (ParticipantStatus::Finished, "BYE")
        );
        assert!(rooms.set_meta("9", "adminpin", "123"));
        assert!(!rooms.set_meta("nope", "adminpin", "123"));
        assert_eq!(rooms.get_meta("9", "adminpin").as_deref(), Some("123"));
        assert_eq!(rooms.remove("9"), Some(vec!["c1".to_owned()]));
        assert_eq!(rooms.leave("c1"), None);
    }
}
