//! What the guest runtime's tests share: a fake host and the test guests.

use std::sync::Mutex;
use std::time::Duration;
use switchyard_guest::{
    DialRequest, Error, HostApi, InviteInfo, JoinOptions, Limits, ParticipantInfo,
    ParticipantStatus, RoomInfo, SipHeader,
};

/// A room of the fake host: name, participants, meta values.
type FakeRoom = (String, Vec<ParticipantInfo>, Vec<(String, String)>);

/// A host that records what guests ask of it and keeps rooms in memory.
#[derive(Default)]
pub struct FakeHost {
    log: Mutex<Vec<String>>,
    rooms: Mutex<Vec<FakeRoom>>,
    kv: Mutex<Vec<(String, String)>>,
    /// Timers started so far: the next timer's id is one more.
    timers: Mutex<u64>,
    /// How long `answer` keeps the guest's thread waiting, as a thread that
    /// gets no core for that long.
    pub answer_stall: Duration,
}

impl FakeHost {
    fn record(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

/// The fake host's call that is gone: what is asked of it is refused.
fn refuse_gone(call: &str) -> Result<(), Error> {
    match call {
        "gone" => Err(Error::NoSuchCall),
        _ => Ok(()),
    }
}

impl HostApi for FakeHost {
    fn answer(&self, call: &str) -> Result<(), Error> {
        if !self.answer_stall.is_zero() {
            std::thread::sleep(self.answer_stall);
        }
        self.record(format!("answer {call}"));
        Ok(())
    }
    fn reject(&self, call: &str, code: u16, reason: &str) -> Result<(), Error> {
        self.record(format!("reject {call} {code} {reason}"));
        Ok(())
    }
    fn hangup(&self, call: &str) -> Result<(), Error> {
        self.record(format!("hangup {call}"));
        Ok(())
    }
    fn play(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        refuse_gone(call)?;
        self.record(format!("play {call} {} looped={looped}", prompts.join(",")));
        Ok(())
    }
    fn stop(&self, call: &str) -> Result<(), Error> {
        self.record(format!("stop {call}"));
        Ok(())
    }
    fn speak(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        self.record(format!(
            "speak {call} {} looped={looped}",
            prompts.join(",")
        ));
        Ok(())
    }
    fn announce(&self, room: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        self.record(format!(
            "announce {room} {} looped={looped}",
            prompts.join(",")
        ));
        Ok(())
    }
    fn stop_announcement(&self, room: &str) -> Result<(), Error> {
        self.record(format!("stop-announcement {room}"));
        Ok(())
    }
    fn set_gain(&self, call: &str, gain_db: f32) -> Result<(), Error> {
        self.record(format!("set-gain {call} {gain_db}"));
        Ok(())
    }
    fn stop_speaking(&self, call: &str) -> Result<(), Error> {
        self.record(format!("stop-speaking {call}"));
        Ok(())
    }
    fn open_room(&self, room: &str) -> bool {
        self.record(format!("open {room}"));
        let mut rooms = self.rooms.lock().unwrap();
        if rooms.iter().any(|r| r.0 == room) {
            return false;
        }
        rooms.push((room.to_owned(), Vec::new(), Vec::new()));
        true
    }
    fn room_info(&self, room: &str) -> Option<RoomInfo> {
        let rooms = self.rooms.lock().unwrap();
        rooms.iter().find(|r| r.0 == room).map(|r| RoomInfo {
            room: r.0.clone(),
            participants: r.1.clone(),
        })
    }
    fn list_rooms(&self) -> Vec<String> {
        self.rooms
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.0.clone())
            .collect()
    }
    fn close_room(&self, room: &str) -> Result<(), Error> {
        self.record(format!("close {room}"));
        Ok(())
    }
    fn join(&self, call: &str, room: &str, options: JoinOptions) -> Result<u32, Error> {
        self.record(format!(
            "join {call} {room} {} {:?}",
            options.number, options.reason
        ));
        let mut rooms = self.rooms.lock().unwrap();
        let participant = ParticipantInfo {
            call: call.to_owned(),
            number: options.number,
            status: ParticipantStatus::Connected,
            reason: options.reason,
            muted: false,
            participant_id: options.participant_id,
            listen_only: false,
            talking: false,
        };
        match rooms.iter_mut().find(|r| r.0 == room) {
            Some(r) => {
                let others =
                    r.1.iter()
                        .filter(|p| p.status != ParticipantStatus::Finished)
                        .count();
                r.1.push(participant);
                Ok(u32::try_from(others).unwrap_or(u32::MAX))
            }
            None => {
                rooms.push((room.to_owned(), vec![participant], Vec::new()));
                Ok(0)
            }
        }
    }
    fn leave(&self, call: &str) -> Result<(), Error> {
        self.record(format!("leave {call}"));
        Ok(())
    }
    fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), Error> {
        self.record(format!("set-meta {room} {key}={value}"));
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms
            .iter_mut()
            .find(|r| r.0 == room)
            .ok_or(Error::NoSuchRoom)?;
        r.2.retain(|(k, _)| k != key);
        r.2.push((key.to_owned(), value.to_owned()));
        Ok(())
    }
    fn get_meta(&self, room: &str, key: &str) -> Option<String> {
        let rooms = self.rooms.lock().unwrap();
        let r = rooms.iter().find(|r| r.0 == room)?;
        r.2.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
    fn swap_meta(
        &self,
        room: &str,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, Error> {
        self.record(format!("swap-meta {room} {key} {expected:?}->{value}"));
        let mut rooms = self.rooms.lock().unwrap();
        let r = rooms
            .iter_mut()
            .find(|r| r.0 == room)
            .ok_or(Error::NoSuchRoom)?;
        Ok(swap_entry(&mut r.2, key, expected, Some(value)))
    }
    fn start_recording(
        &self,
        room: &str,
        name: &str,
        admit: &mut dyn FnMut() -> Result<(), Error>,
    ) -> Result<(), Error> {
        admit()?;
        self.record(format!("start-recording {room} {name}"));
        Ok(())
    }
    fn stop_recording(&self, room: &str) -> Result<(), Error> {
        self.record(format!("stop-recording {room}"));
        Ok(())
    }
    fn bridge(&self, a: &str, b: &str) -> Result<(), Error> {
        self.record(format!("bridge {a} {b}"));
        Ok(())
    }
    fn unbridge(&self, call: &str) -> Result<(), Error> {
        self.record(format!("unbridge {call}"));
        Ok(())
    }
    fn hold(&self, call: &str, held: bool) -> Result<(), Error> {
        self.record(format!("hold {call} {held}"));
        Ok(())
    }
    fn dial(&self, _guest: &str, request: DialRequest) -> Result<String, Error> {
        let user = request.credentials.map(|c| c.username).unwrap_or_default();
        self.record(format!("dial {} as {user:?}", request.uri));
        Ok("c99".to_owned())
    }
    fn forward(&self, _guest: &str, call: &str, request: DialRequest) -> Result<String, Error> {
        self.record(format!("forward {call} {}", request.uri));
        Ok("c98".to_owned())
    }
    fn set_muted(&self, call: &str, muted: bool) -> Result<(), Error> {
        self.record(format!("set-muted {call} {muted}"));
        Ok(())
    }
    fn set_listen_only(&self, call: &str, listen_only: bool) -> Result<(), Error> {
        self.record(format!("set-listen-only {call} {listen_only}"));
        Ok(())
    }
    fn set_deaf(&self, call: &str, deaf: bool) -> Result<(), Error> {
        self.record(format!("set-deaf {call} {deaf}"));
        Ok(())
    }
    fn send_dtmf(&self, call: &str, digits: &str) -> Result<(), Error> {
        self.record(format!("send-dtmf {call} {digits}"));
        Ok(())
    }
    fn send_message(
        &self,
        guest: &str,
        from: &str,
        call: &str,
        message: &str,
    ) -> Result<(), Error> {
        refuse_gone(call)?;
        self.record(format!("send-message {guest} {from} {call} {message}"));
        Ok(())
    }
    fn kick(&self, call: &str) -> Result<(), Error> {
        self.record(format!("kick {call}"));
        Ok(())
    }
    fn start_timer(&self, call: &str, ms: u32) -> Result<u64, Error> {
        let mut timers = self.timers.lock().unwrap();
        *timers += 1;
        self.record(format!("start-timer {call} {ms} -> {timers}"));
        Ok(*timers)
    }
    fn cancel_timer(&self, call: &str, timer: u64) -> bool {
        self.record(format!("cancel-timer {call} {timer}"));
        true
    }
    fn kv_get(&self, guest: &str, key: &str) -> Option<String> {
        self.record(format!("kv-get {guest} {key}"));
        self.kv
            .lock()
            .unwrap()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
    fn kv_set(&self, guest: &str, key: &str, value: &str) -> Result<(), Error> {
        self.record(format!("kv-set {guest} {key}={value}"));
        let mut kv = self.kv.lock().unwrap();
        kv.retain(|(k, _)| k != key);
        kv.push((key.to_owned(), value.to_owned()));
        Ok(())
    }
    fn kv_delete(&self, guest: &str, key: &str) -> bool {
        self.record(format!("kv-delete {guest} {key}"));
        let mut kv = self.kv.lock().unwrap();
        let before = kv.len();
        kv.retain(|(k, _)| k != key);
        kv.len() != before
    }
    fn kv_swap(
        &self,
        guest: &str,
        key: &str,
        expected: Option<&str>,
        value: Option<&str>,
    ) -> Result<bool, Error> {
        self.record(format!("kv-swap {guest} {key} {expected:?}->{value:?}"));
        Ok(swap_entry(
            &mut self.kv.lock().unwrap(),
            key,
            expected,
            value,
        ))
    }
    fn kv_list(&self, guest: &str, prefix: &str, limit: u32) -> Vec<String> {
        self.record(format!("kv-list {guest} {prefix}"));
        let kv = self.kv.lock().unwrap();
        kv.iter()
            .map(|(k, _)| k.clone())
            .filter(|k| k.starts_with(prefix))
            .take(limit as usize)
            .collect()
    }
}

/// Compare-and-set of `key` among `entries`: to `value` (removed when `None`) if its value
/// is `expected` (`None`: not there); whether it was.
fn swap_entry(
    entries: &mut Vec<(String, String)>,
    key: &str,
    expected: Option<&str>,
    value: Option<&str>,
) -> bool {
    let current = entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str());
    if current != expected {
        return false;
    }
    entries.retain(|(k, _)| k != key);
    entries.extend(value.map(|v| (key.to_owned(), v.to_owned())));
    true
}

pub fn invite(call: &str, user: &str, headers: &[(&str, &str)]) -> InviteInfo {
    InviteInfo {
        call: call.to_owned(),
        request_uri: format!("sip:{user}@127.0.0.1"),
        request_user: user.to_owned(),
        from_uri: "sip:alice@127.0.0.1".to_owned(),
        from_user: "alice".to_owned(),
        from_display_name: None,
        to_uri: format!("sip:{user}@127.0.0.1"),
        sip_call_id: "abc@127.0.0.1".to_owned(),
        headers: headers
            .iter()
            .map(|(n, v)| SipHeader {
                name: (*n).to_owned(),
                value: (*v).to_owned(),
            })
            .collect(),
        source: "127.0.0.1:5062".to_owned(),
    }
}

/// The `misbehave` test guest, as the build script built it.
pub fn misbehave_wasm() -> Vec<u8> {
    std::fs::read(env!("SWITCHYARD_GUEST_MISBEHAVE"))
        .expect("the build script built the misbehave guest")
}

/// Limits small enough for tests that hit them.
pub fn small_limits() -> Limits {
    Limits {
        call_deadline: Duration::from_millis(50),
        memory_bytes: 8 << 20,
        ..Limits::default()
    }
}
