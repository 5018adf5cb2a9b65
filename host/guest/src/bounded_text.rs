//! The texts the host keeps from a guest's `rooms.join` (the participant's number, reason
//! and id), from its `signaling.dial` and `signaling.forward` requests (the URI, From,
//! To and context, and the name and listing of a dial's room), and the reason phrase of its
//! `signaling.reject`, checked before they are copied ([`bound_texts`]). A
//! string of the canonical ABI may be as long as the guest's memory; lifted as a `String`,
//! each would be copied whole into host memory before the host could refuse it. These are
//! read in place instead, and copied only once they are known to be short.

use wasmtime::StoreContextMut;
use wasmtime::component::{ComponentType, Lift, Linker, WasmStr};

use crate::bounded_lists::replace_in_every_version;
use crate::context::Context;
use crate::{Error, JoinOptions};

/// The most bytes of one text read at all: a dial's context may be 4 KiB, and the host
/// takes less of the others (2 KiB of a URI or a participant's number).
const MAX_TEXT_READ: usize = 4096;

type Store<'a> = StoreContextMut<'a, Context>;

/// The longest reason phrase `signaling.reject` takes: the response keeps it for as long
/// as the transaction may retransmit (32 s over UDP), and a reason phrase is one line of a
/// response that must fit a datagram.
const MAX_REJECT_REASON: usize = 256;

/// `join-options` as it lies in the guest's memory: the same record in every version.
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct JoinOptionsRef {
    number: WasmStr,
    reason: WasmStr,
    #[component(name = "participant-id")]
    participant_id: WasmStr,
}

impl JoinOptionsRef {
    /// The options copied, once each text is at most [`MAX_TEXT_READ`] bytes; the refusal
    /// for `function` otherwise.
    pub(crate) fn read(
        &self,
        store: &Store<'_>,
        function: &str,
    ) -> wasmtime::Result<Result<JoinOptions, Error>> {
        let texts = [
            ("number", &self.number),
            ("reason", &self.reason),
            ("participant-id", &self.participant_id),
        ];
        Ok(
            read_texts(store, function, texts)?.map(|[number, reason, participant_id]| {
                JoinOptions {
                    number,
                    reason,
                    participant_id,
                }
            }),
        )
    }
}

/// The texts of `fields` (each named for the refusal), copied once each is known to be
/// at most [`MAX_TEXT_READ`] bytes; the refusal for `function` naming the first longer
/// one otherwise. A text that does not lie in the guest's memory is a trap.
pub(crate) fn read_texts<const N: usize>(
    store: &Store<'_>,
    function: &str,
    fields: [(&str, &WasmStr); N],
) -> wasmtime::Result<Result<[String; N], Error>> {
    let mut texts = Vec::with_capacity(N);
    for (field, text) in fields {
        match read_text(store, function, field, text, MAX_TEXT_READ)? {
            Ok(text) => texts.push(text),
            Err(refused) => return Ok(Err(refused)),
        }
    }
    Ok(Ok(texts.try_into().expect("one text per field")))
}

/// `text` (the `field` of `function`'s arguments) copied once it is known to be at most
/// `most` bytes; the refusal naming it otherwise. A text that does not lie in the guest's
/// memory is a trap.
fn read_text(
    store: &Store<'_>,
    function: &str,
    field: &str,
    text: &WasmStr,
    most: usize,
) -> wasmtime::Result<Result<String, Error>> {
    // Borrowed from the guest's memory: nothing is copied yet.
    let text = text.to_str(store)?;
    if text.len() > most {
        return Ok(Err(Error::InvalidArgument(format!(
            "{function}: {field} is {} bytes, more than {most}",
            text.len()
        ))));
    }
    Ok(Ok(text.into_owned()))
}

/// Replaces `rooms.join` and `signaling.reject` of every version in `linker` with ones that
/// check their texts before copying them: the join's options, and a reject's reason phrase
/// (at most [`MAX_REJECT_REASON`] bytes).
pub(crate) fn bound_texts(linker: &mut Linker<Context>) -> wasmtime::Result<()> {
    replace_in_every_version(linker, replace)
}

fn replace(linker: &mut Linker<Context>, version: &str) -> wasmtime::Result<()> {
    let mut rooms = linker.instance(&format!("switchyard:call/rooms@{version}"))?;
    rooms.func_wrap(
        "join",
        |store: Store<'_>, (call, room, options): (String, String, JoinOptionsRef)| {
            let options = options.read(&store, "join")?;
            let host = &*store.data().host;
            Ok((options.and_then(|options| host.join(&call, &room, options)),))
        },
    )?;
    let mut signaling = linker.instance(&format!("switchyard:call/signaling@{version}"))?;
    signaling.func_wrap(
        "reject",
        |store: Store<'_>, (call, code, reason): (String, u16, WasmStr)| {
            let reason = read_text(&store, "reject", "reason", &reason, MAX_REJECT_REASON)?;
            let host = &*store.data().host;
            Ok((reason.and_then(|reason| host.reject(&call, code, &reason)),))
        },
    )?;
    Ok(())
}
