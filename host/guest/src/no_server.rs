//! The host of a guest's config check: it serves nothing, whether a server runs or not.

use crate::{DialRequest, Error, HostApi, JoinOptions, RoomInfo};

/// A host that serves nothing: every function on calls, rooms, timers, messages and the
/// key-value store fails with [`Error::WrongState`] or finds nothing. An instance of it can
/// read its config table and log, which is all a guest's config check needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoServer;

fn no_server<T>() -> Result<T, Error> {
    Err(Error::WrongState(
        "the guest is only being checked: its host serves nothing".to_owned(),
    ))
}

impl HostApi for NoServer {
    fn answer(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn reject(&self, _: &str, _: u16, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn hangup(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn bridge(&self, _: &str, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn unbridge(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn hold(&self, _: &str, _: bool) -> Result<(), Error> {
        no_server()
    }
    fn dial(&self, _: &str, _: DialRequest) -> Result<String, Error> {
        no_server()
    }
    fn forward(&self, _: &str, _: &str, _: DialRequest) -> Result<String, Error> {
        no_server()
    }
    fn play(&self, _: &str, _: &[String], _: bool) -> Result<(), Error> {
        no_server()
    }
    fn stop(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn speak(&self, _: &str, _: &[String], _: bool) -> Result<(), Error> {
        no_server()
    }
    fn stop_speaking(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn open_room(&self, _: &str) -> bool {
        false
    }
    fn set_gain(&self, _: &str, _: f32) -> Result<(), Error> {
        no_server()
    }
    fn send_dtmf(&self, _: &str, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn announce(&self, _: &str, _: &[String], _: bool) -> Result<(), Error> {
        no_server()
    }
    fn stop_announcement(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn room_info(&self, _: &str) -> Option<RoomInfo> {
        None
    }
    fn list_rooms(&self) -> Vec<String> {
        Vec::new()
    }
    fn close_room(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn join(&self, _: &str, _: &str, _: JoinOptions) -> Result<u32, Error> {
        no_server()
    }
    fn leave(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn set_muted(&self, _: &str, _: bool) -> Result<(), Error> {
        no_server()
    }
    fn set_listen_only(&self, _: &str, _: bool) -> Result<(), Error> {
        no_server()
    }
    fn set_deaf(&self, _: &str, _: bool) -> Result<(), Error> {
        no_server()
    }
    fn kick(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn set_meta(&self, _: &str, _: &str, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn get_meta(&self, _: &str, _: &str) -> Option<String> {
        None
    }
    fn swap_meta(&self, _: &str, _: &str, _: Option<&str>, _: &str) -> Result<bool, Error> {
        no_server()
    }
    fn start_recording(
        &self,
        _: &str,
        _: &str,
        _: &mut dyn FnMut() -> Result<(), Error>,
    ) -> Result<(), Error> {
        no_server()
    }
    fn stop_recording(&self, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn start_timer(&self, _: &str, _: u32) -> Result<u64, Error> {
        no_server()
    }
    fn cancel_timer(&self, _: &str, _: u64) -> bool {
        false
    }
    fn kv_get(&self, _: &str, _: &str) -> Option<String> {
        None
    }
    fn kv_set(&self, _: &str, _: &str, _: &str) -> Result<(), Error> {
        no_server()
    }
    fn kv_delete(&self, _: &str, _: &str) -> bool {
        false
    }
    fn kv_swap(&self, _: &str, _: &str, _: Option<&str>, _: Option<&str>) -> Result<bool, Error> {
        no_server()
    }
    fn kv_list(&self, _: &str, _: &str, _: u32) -> Vec<String> {
        Vec::new()
    }
    fn send_message(&self, _: &str, _: &str, _: &str, _: &str) -> Result<(), Error> {
        no_server()
    }
}
