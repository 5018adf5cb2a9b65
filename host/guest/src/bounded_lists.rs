//! The lists of prompts a guest passes to `media.play`, `media.speak` and `rooms.announce`,
//! checked before they are copied. The canonical ABI lets every entry of a list point at the
//! same string in the guest's memory, so a list of a million entries naming one string of a
//! mebibyte would have the host copy a tebibyte out of a few mebibytes, in host code, where
//! no deadline reaches. These functions replace the generated ones of every WIT version: they
//! take the list as it lies in the guest's memory, and copy it only once its length and its
//! strings' bytes are within bounds.

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, WasmList, WasmStr};

use crate::Error;
use crate::context::{Context, check_prompt_count};

/// The most bytes the prompts of one call may name together: 256 prompts of 256 bytes.
const MAX_PROMPT_BYTES: usize = 64 * 1024;

/// The WIT versions whose `media` and `rooms` imports are replaced.
const VERSIONS: [&str; 3] = ["0.1.0", "0.2.0", "0.3.0"];

/// Replaces `play`, `speak` and `announce` of every version in `linker` with ones that
/// check their list of prompts before copying it.
pub(crate) fn bound_prompt_lists(linker: &mut Linker<Context>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let replaced = VERSIONS
        .into_iter()
        .try_for_each(|version| replace(linker, version));
    linker.allow_shadowing(false);
    replaced
}

type PromptArgs = (String, WasmList<WasmStr>, bool);

fn replace(linker: &mut Linker<Context>, version: &str) -> wasmtime::Result<()> {
    let mut media = linker.instance(&format!("switchyard:call/media@{version}"))?;
    media.func_wrap(
        "play",
        |mut store: StoreContextMut<'_, Context>, (call, prompts, looped): PromptArgs| {
            let prompts = prompt_list(&mut store, &prompts, "play")?;
            Ok((prompts.and_then(|p| store.data().host.play(&call, &p, looped)),))
        },
    )?;
    media.func_wrap(
        "speak",
        |mut store: StoreContextMut<'_, Context>, (call, prompts, looped): PromptArgs| {
            let prompts = prompt_list(&mut store, &prompts, "speak")?;
            Ok((prompts.and_then(|p| store.data().host.speak(&call, &p, looped)),))
        },
    )?;
    let mut rooms = linker.instance(&format!("switchyard:call/rooms@{version}"))?;
    rooms.func_wrap(
        "announce",
        |mut store: StoreContextMut<'_, Context>, (room, prompts, looped): PromptArgs| {
            let prompts = prompt_list(&mut store, &prompts, "announce")?;
            Ok((prompts.and_then(|p| store.data().host.announce(&room, &p, looped)),))
        },
    )?;
    Ok(())
}

/// The prompts of `list`, copied once they are known to be at most [`check_prompt_count`]'s
/// number and [`MAX_PROMPT_BYTES`] together; the refusal for `function` otherwise. A list
/// that does not lie in the guest's memory is a trap.
fn prompt_list(
    store: &mut StoreContextMut<'_, Context>,
    list: &WasmList<WasmStr>,
    function: &str,
) -> wasmtime::Result<Result<Vec<String>, Error>> {
    if let Err(refused) = check_prompt_count(function, list.len()) {
        return Ok(Err(refused));
    }
    let mut names = Vec::with_capacity(list.len());
    for index in 0..list.len() {
        let name = list
            .get(&mut *store, index)
            .ok_or_else(|| wasmtime::Error::msg("a prompt list shorter than its length"))??;
        names.push(name);
    }
    let mut bytes = 0;
    for name in &names {
        bytes += name.to_str(&*store)?.len();
        if bytes > MAX_PROMPT_BYTES {
            return Ok(Err(Error::InvalidArgument(format!(
                "{function}'s prompts name more than {MAX_PROMPT_BYTES} bytes together"
            ))));
        }
    }
    let owned = names
        .iter()
        .map(|name| Ok(name.to_str(&*store)?.into_owned()))
        .collect::<wasmtime::Result<_>>()?;
    Ok(Ok(owned))
}
