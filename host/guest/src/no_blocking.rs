//! Guests may not block their thread. WASI's `poll` and `pollable.block` (behind
//! `std::thread::sleep` and any wait on a pollable) would sleep in host code,
//! where no deadline reaches: epochs interrupt only the guest's own code, and a
//! guest's deadline counts its thread's CPU time. A few sleeping guests would
//! hold every guest thread. Both trap instead; a guest waits with the host's
//! `timers`, and its other WASI calls (clocks, random, the empty stdio) return
//! at once.

use crate::context::Context;
use wasmtime::component::Linker;

/// The WASI interface whose blocking functions are replaced; the name the
/// linked WASI defines it under (a test sleeps in a guest to show the
/// replacement holds).
const WASI_POLL: &str = "wasi:io/poll@0.2.12";

/// Replaces `poll` and `pollable.block` of `linker`'s WASI with functions that
/// trap, naming what the guest should use instead.
pub(crate) fn forbid_blocking(linker: &mut Linker<Context>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let replaced = replace(linker);
    linker.allow_shadowing(false);
    replaced
}

fn replace(linker: &mut Linker<Context>) -> wasmtime::Result<()> {
    let mut poll = linker.instance(WASI_POLL)?;
    for name in ["poll", "[method]pollable.block"] {
        poll.func_new(name, move |_, _, _, _| {
            Err(wasmtime::Error::msg(format!(
                "{WASI_POLL} {name}: a guest may not block its thread; it waits with \
                 switchyard:call/timers"
            )))
        })?;
    }
    Ok(())
}
