//! The per-instance store data: what a guest's imports reach.

use crate::bindings::{config, kv, log, media, records, rooms, signaling, timers, types};
use crate::{DialRequest, Error, GuestConfig, HostApi, JoinOptions, RoomInfo};
use std::sync::Arc;
use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The most prompts one `media.play` may queue.
const MAX_PROMPTS: usize = 256;
/// The longest timer a guest may start: a day.
const MAX_TIMER_MS: u32 = 86_400_000;
/// Longer guest log lines are cut here, so a guest cannot flood the log.
const MAX_LOG_LINE: usize = 4096;

/// The data of one guest instance's store.
pub(crate) struct Context {
    pub(crate) host: Arc<dyn HostApi>,
    pub(crate) guest: Arc<str>,
    pub(crate) config: Arc<GuestConfig>,
    pub(crate) limits: StoreLimits,
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
}

impl WasiView for Context {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for Context {}

impl signaling::Host for Context {
    fn answer(&mut self, call: String) -> Result<(), Error> {
        self.host.answer(&call)
    }

    fn reject(&mut self, call: String, code: u16, reason: String) -> Result<(), Error> {
        self.host.reject(&call, code, &reason)
    }

    fn hangup(&mut self, call: String) -> Result<(), Error> {
        self.host.hangup(&call)
    }

    fn bridge(&mut self, a: String, b: String) -> Result<(), Error> {
        self.host.bridge(&a, &b)
    }

    fn unbridge(&mut self, call: String) -> Result<(), Error> {
        self.host.unbridge(&call)
    }

    fn hold(&mut self, call: String, held: bool) -> Result<(), Error> {
        self.host.hold(&call, held)
    }

    fn dial(&mut self, request: DialRequest) -> Result<String, Error> {
        self.host.dial(request)
    }

    fn forward(&mut self, call: String, request: DialRequest) -> Result<String, Error> {
        self.host.forward(&call, request)
    }
}

impl media::Host for Context {
    fn play(&mut self, call: String, prompts: Vec<String>, looped: bool) -> Result<(), Error> {
        check_prompt_count("play", &prompts)?;
        self.host.play(&call, &prompts, looped)
    }

    fn stop(&mut self, call: String) -> Result<(), Error> {
        self.host.stop(&call)
    }

    fn speak(&mut self, call: String, prompts: Vec<String>, looped: bool) -> Result<(), Error> {
        check_prompt_count("speak", &prompts)?;
        self.host.speak(&call, &prompts, looped)
    }

    fn stop_speaking(&mut self, call: String) -> Result<(), Error> {
        self.host.stop_speaking(&call)
    }

    fn set_gain(&mut self, call: String, gain_db: f32) -> Result<(), Error> {
        self.host.set_gain(&call, gain_db)
    }
}

fn check_prompt_count(function: &str, prompts: &[String]) -> Result<(), Error> {
    if prompts.len() > MAX_PROMPTS {
        return Err(Error::InvalidArgument(format!(
            "{function} takes at most {MAX_PROMPTS} prompts, got {}",
            prompts.len()
        )));
    }
    Ok(())
}

impl rooms::Host for Context {
    fn open(&mut self, room: String) -> bool {
        self.host.open_room(&room)
    }

    fn info(&mut self, room: String) -> Option<RoomInfo> {
        self.host.room_info(&room)
    }

    fn list(&mut self) -> Vec<String> {
        self.host.list_rooms()
    }

    fn announce(&mut self, room: String, prompts: Vec<String>, looped: bool) -> Result<(), Error> {
        check_prompt_count("announce", &prompts)?;
        self.host.announce(&room, &prompts, looped)
    }

    fn stop_announcement(&mut self, room: String) -> Result<(), Error> {
        self.host.stop_announcement(&room)
    }

    fn close(&mut self, room: String) -> Result<(), Error> {
        self.host.close_room(&room)
    }

    fn join(&mut self, call: String, room: String, options: JoinOptions) -> Result<u32, Error> {
        self.host.join(&call, &room, options)
    }

    fn leave(&mut self, call: String) -> Result<(), Error> {
        self.host.leave(&call)
    }

    fn set_muted(&mut self, call: String, muted: bool) -> Result<(), Error> {
        self.host.set_muted(&call, muted)
    }

    fn set_listen_only(&mut self, call: String, listen_only: bool) -> Result<(), Error> {
        self.host.set_listen_only(&call, listen_only)
    }

    fn kick(&mut self, call: String) -> Result<(), Error> {
        self.host.kick(&call)
    }

    fn set_meta(&mut self, room: String, key: String, value: String) -> Result<(), Error> {
        self.host.set_meta(&room, &key, &value)
    }

    fn get_meta(&mut self, room: String, key: String) -> Option<String> {
        self.host.get_meta(&room, &key)
    }

    fn start_recording(&mut self, room: String, name: String) -> Result<(), Error> {
        self.host.start_recording(&room, &name)
    }

    fn stop_recording(&mut self, room: String) -> Result<(), Error> {
        self.host.stop_recording(&room)
    }
}

impl timers::Host for Context {
    fn start(&mut self, call: String, ms: u32) -> Result<u64, Error> {
        if ms > MAX_TIMER_MS {
            return Err(Error::InvalidArgument(format!(
                "a timer lasts at most {MAX_TIMER_MS} ms (a day), got {ms}"
            )));
        }
        self.host.start_timer(&call, ms)
    }

    fn cancel(&mut self, timer: u64) -> bool {
        self.host.cancel_timer(timer)
    }
}

impl kv::Host for Context {
    fn get(&mut self, key: String) -> Option<String> {
        self.host.kv_get(&self.guest, &key)
    }

    fn set(&mut self, key: String, value: String) -> Result<(), Error> {
        self.host.kv_set(&self.guest, &key, &value)
    }

    fn delete(&mut self, key: String) -> bool {
        self.host.kv_delete(&self.guest, &key)
    }

    fn list(&mut self, prefix: String, limit: u32) -> Vec<String> {
        self.host.kv_list(&self.guest, &prefix, limit)
    }
}

impl records::Host for Context {
    fn append(&mut self, file: String, text: String) -> Result<(), Error> {
        self.config.records().append(&file, &text)
    }

    fn truncate(&mut self, file: String) -> Result<(), Error> {
        self.config.records().truncate(&file)
    }
}

impl config::Host for Context {
    fn get(&mut self, key: String) -> Option<String> {
        self.config.get(&key).map(str::to_owned)
    }
}

impl log::Host for Context {
    fn log(&mut self, level: log::Level, message: String) {
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let cut = (0..=MAX_LOG_LINE)
                .rev()
                .find(|&i| message.is_char_boundary(i))
                .unwrap_or(0);
            message.truncate(cut);
            message.push('…');
        }
        let guest = &*self.guest;
        match level {
            log::Level::Trace => tracing::trace!(guest, "{message}"),
            log::Level::Debug => tracing::debug!(guest, "{message}"),
            log::Level::Info => tracing::info!(guest, "{message}"),
            log::Level::Warn => tracing::warn!(guest, "{message}"),
            log::Level::Error => tracing::error!(guest, "{message}"),
        }
    }
}
