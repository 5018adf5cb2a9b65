//! The host's imports, served to every supported WIT version by one
//! implementation: `serve_imports!` implements a version's `Host` traits on
//! [`Context`], and the types a version declares itself become the host's
//! through `From`.

use crate::bindings::{v0_1, v0_2, v0_3, v0_4};
use crate::context::{Context, check_timer, check_timer_call};
use crate::{Error, RoomInfo};

/// Implements the import traits of the bindings module `$v` on [`Context`];
/// a version's functions the older ones lack go in its `media`, `rooms` and
/// `kv` blocks.
macro_rules! serve_imports {
    (
        $v:ident
        $(, media: { $($media:tt)* }, rooms: { $($rooms:tt)* }, kv: { $($kv:tt)* })?
    ) => {
        impl $v::switchyard::call::signaling::Host for Context {
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

            fn dial(
                &mut self,
                request: $v::switchyard::call::signaling::DialRequest,
            ) -> Result<String, Error> {
                self.host.dial(&self.guest, request.into())
            }

            fn forward(
                &mut self,
                call: String,
                request: $v::switchyard::call::signaling::DialRequest,
            ) -> Result<String, Error> {
                self.host.forward(&self.guest, &call, request.into())
            }
        }

        impl $v::switchyard::call::media::Host for Context {
            fn play(
                &mut self,
                call: String,
                prompts: Vec<String>,
                looped: bool,
            ) -> Result<(), Error> {
                self.queue_prompts("play", &prompts, |host, p| host.play(&call, p, looped))
            }

            fn stop(&mut self, call: String) -> Result<(), Error> {
                self.host.stop(&call)
            }

            fn speak(
                &mut self,
                call: String,
                prompts: Vec<String>,
                looped: bool,
            ) -> Result<(), Error> {
                self.queue_prompts("speak", &prompts, |host, p| host.speak(&call, p, looped))
            }

            fn stop_speaking(&mut self, call: String) -> Result<(), Error> {
                self.host.stop_speaking(&call)
            }

            fn set_gain(&mut self, call: String, gain_db: f32) -> Result<(), Error> {
                self.host.set_gain(&call, gain_db)
            }

            $($($media)*)?
        }

        impl $v::switchyard::call::rooms::Host for Context {
            fn open(&mut self, room: String) -> bool {
                self.host.open_room(&room)
            }

            fn info(&mut self, room: String) -> Option<RoomInfo> {
                self.host.room_info(&room)
            }

            fn list(&mut self) -> Vec<String> {
                self.host.list_rooms()
            }

            fn announce(
                &mut self,
                room: String,
                prompts: Vec<String>,
                looped: bool,
            ) -> Result<(), Error> {
                self.queue_prompts("announce", &prompts, |host, p| {
                    host.announce(&room, p, looped)
                })
            }

            fn stop_announcement(&mut self, room: String) -> Result<(), Error> {
                self.host.stop_announcement(&room)
            }

            fn close(&mut self, room: String) -> Result<(), Error> {
                self.host.close_room(&room)
            }

            fn join(
                &mut self,
                call: String,
                room: String,
                options: $v::switchyard::call::rooms::JoinOptions,
            ) -> Result<u32, Error> {
                self.host.join(&call, &room, options.into())
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
                let allowance = &mut self.allowance;
                self.host
                    .start_recording(&room, &name, &mut || allowance.recording_start())
            }

            fn stop_recording(&mut self, room: String) -> Result<(), Error> {
                self.host.stop_recording(&room)
            }

            $($($rooms)*)?
        }

        impl $v::switchyard::call::timers::Host for Context {
            fn start(&mut self, call: String, ms: u32) -> Result<u64, Error> {
                check_timer(ms)?;
                check_timer_call(&self.call, &call)?;
                self.host.start_timer(&call, ms)
            }

            fn cancel(&mut self, timer: u64) -> bool {
                // The WIT names no call: a call cancels its own timers only.
                self.host.cancel_timer(&self.call, timer)
            }
        }

        impl $v::switchyard::call::kv::Host for Context {
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

            $($($kv)*)?
        }

        impl $v::switchyard::call::records::Host for Context {
            fn append(&mut self, file: String, text: String) -> Result<(), Error> {
                let allowance = &mut self.allowance;
                self.config
                    .records()
                    .append(&file, &text, || allowance.record_write())
            }

            fn truncate(&mut self, file: String) -> Result<(), Error> {
                let allowance = &mut self.allowance;
                self.config
                    .records()
                    .truncate(&file, || allowance.record_write())
            }
        }

        impl $v::switchyard::call::config::Host for Context {
            fn get(&mut self, key: String) -> Option<String> {
                self.config.get(&key).map(str::to_owned)
            }
        }

        impl $v::switchyard::call::log::Host for Context {
            fn log(&mut self, level: $v::switchyard::call::log::Level, message: String) {
                self.write_log(level.into(), &message);
            }
        }
    };
}

/// Implements the import traits of the bindings module `$v`, of 0.3.0 or later, on
/// [`Context`]: what [`serve_imports`] does, and what 0.3.0 added; a later version's
/// functions go in its `rooms` and `kv` blocks.
macro_rules! serve_imports_since_0_3 {
    ($v:ident $(, rooms: { $($rooms:tt)* }, kv: { $($kv:tt)* })?) => {
        serve_imports!($v, media: {
            fn send_dtmf(&mut self, call: String, digits: String) -> Result<(), Error> {
                self.host.send_dtmf(&call, &digits)
            }
        }, rooms: {
            fn set_deaf(&mut self, call: String, deaf: bool) -> Result<(), Error> {
                self.host.set_deaf(&call, deaf)
            }

            $($($rooms)*)?
        }, kv: {
            $($($kv)*)?
        });

        impl $v::switchyard::call::messages::Host for Context {
            fn send(&mut self, call: String, message: String) -> Result<(), Error> {
                self.allowance.message()?;
                self.host
                    .send_message(&self.guest, &self.call, &call, &message)
                    .inspect_err(|_| self.allowance.give_message())
            }
        }
    };
}

// Every version's `types` is 0.4.0's (see `bindings`), so one impl serves them all.
impl v0_4::switchyard::call::types::Host for Context {}

serve_imports!(v0_1);
serve_imports!(v0_2);
serve_imports_since_0_3!(v0_3);
serve_imports_since_0_3!(v0_4, rooms: {
    fn swap_meta(
        &mut self,
        room: String,
        key: String,
        expected: Option<String>,
        value: String,
    ) -> Result<bool, Error> {
        self.host.swap_meta(&room, &key, expected.as_deref(), &value)
    }
}, kv: {
    fn swap(
        &mut self,
        key: String,
        expected: Option<String>,
        value: Option<String>,
    ) -> Result<bool, Error> {
        self.host
            .kv_swap(&self.guest, &key, expected.as_deref(), value.as_deref())
    }
});

#[cfg(test)]
#[allow(
    dead_code,
    reason = "the integration tests' fake host, of which these tests use part"
)]
#[path = "../tests/support/mod.rs"]
mod support;

#[cfg(test)]
mod tests {
    use super::support::FakeHost;
    use super::*;
    use crate::budget::InstanceBudget;
    use crate::call_allowance::CallAllowance;
    use crate::deadline::CallClock;
    use crate::{GuestConfig, HostApi};
    use std::sync::Arc;
    use v0_4::switchyard::call::{kv, rooms};
    use wasmtime::component::ResourceTable;
    use wasmtime_wasi::WasiCtx;

    /// The store data of an instance of the guest `g` whose imports go to `host`.
    fn context(host: Arc<FakeHost>) -> Context {
        Context {
            host,
            guest: "g".into(),
            call: String::new(),
            config: Arc::new(GuestConfig::default()),
            limits: InstanceBudget::new(1 << 20, 1),
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            clock: CallClock::default(),
            allowance: CallAllowance::default(),
        }
    }

    #[test]
    fn rooms_swap_meta_of_0_4_0_swaps_the_rooms_value_from_the_one_expected() {
        let host = Arc::new(FakeHost::default());
        let mut context = context(host.clone());
        let mut swap = |expected: Option<&str>, value: &str| {
            rooms::Host::swap_meta(
                &mut context,
                "r".into(),
                "pin".into(),
                expected.map(str::to_owned),
                value.into(),
            )
        };
        assert!(matches!(swap(None, "1"), Err(Error::NoSuchRoom)));
        assert!(host.open_room("r"));
        assert!(matches!(swap(Some("1"), "2"), Ok(false)));
        assert!(matches!(swap(None, "1"), Ok(true)));
        assert!(matches!(swap(None, "2"), Ok(false)));
        assert!(matches!(swap(Some("1"), "2"), Ok(true)));
        assert_eq!(host.get_meta("r", "pin").as_deref(), Some("2"));
        assert_eq!(
            host.log()[2..],
            [
                "swap-meta r pin Some(\"1\")->2",
                "swap-meta r pin None->1",
                "swap-meta r pin None->2",
                "swap-meta r pin Some(\"1\")->2",
            ]
        );
    }

    #[test]
    fn kv_swap_of_0_4_0_swaps_in_the_guests_own_store() {
        let host = Arc::new(FakeHost::default());
        let mut context = context(host.clone());
        let mut swap = |expected: Option<&str>, value: Option<&str>| {
            kv::Host::swap(
                &mut context,
                "k".into(),
                expected.map(str::to_owned),
                value.map(str::to_owned),
            )
        };
        assert!(matches!(swap(Some("v"), Some("w")), Ok(false)));
        assert!(matches!(swap(None, Some("v")), Ok(true)));
        assert_eq!(host.kv_get("g", "k").as_deref(), Some("v"));
        assert!(matches!(swap(Some("w"), None), Ok(false)));
        assert!(matches!(swap(Some("v"), None), Ok(true)));
        assert_eq!(host.kv_get("g", "k"), None);
        assert_eq!(
            host.log(),
            [
                "kv-swap g k Some(\"v\")->Some(\"w\")",
                "kv-swap g k None->Some(\"v\")",
                "kv-get g k",
                "kv-swap g k Some(\"w\")->None",
                "kv-swap g k Some(\"v\")->None",
                "kv-get g k",
            ]
        );
    }
}
