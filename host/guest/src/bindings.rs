//! Host bindings generated from `wit/` (world `app`).

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "app",
});

pub use exports::switchyard::call::control;
pub use switchyard::call::{config, kv, log, media, records, rooms, signaling, timers, types};
