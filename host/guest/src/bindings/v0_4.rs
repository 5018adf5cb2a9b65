//! Bindings of `switchyard:call@0.4.0` (`wit/v0.4.0/`, world `app`): the
//! current version, whose types the host uses throughout.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../../wit/v0.4.0",
    world: "app",
});
