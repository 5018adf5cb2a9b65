//! Bindings of the draft `switchyard:call@0.1.0` (`wit/v0.1.0/`, world
//! `app`). Its `types` interface is the same as 0.4.0's and is bound to the
//! 0.4.0 types; the few types the other interfaces declare themselves are
//! converted here.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../../wit/v0.1.0",
    world: "app",
    with: {
        "switchyard:call/types@0.1.0": crate::bindings::v0_4::switchyard::call::types,
    },
});

convert_declared_types!();
