//! The lists a guest passes to the host's imports, checked before they are copied: the
//! prompts of `media.play`, `media.speak` and `rooms.announce`, and the extra headers of
//! `signaling.dial` and `signaling.forward`. The canonical ABI lets every entry of a list
//! point at the same string in the guest's memory, so a list of a million entries naming one
//! string of a mebibyte would have the host copy a tebibyte out of a few mebibytes, in host
//! code, where no deadline reaches. These functions replace the generated ones of every WIT
//! version: they take the list as it lies in the guest's memory, and copy it only once its
//! length and its strings' bytes are within bounds. A dial request's other texts are
//! read in place too (see [`crate::bounded_text`]).

use wasmtime::StoreContextMut;
use wasmtime::component::{ComponentType, Lift, Linker, WasmList, WasmStr};

use crate::bounded_text::{JoinOptionsRef, read_texts};
use crate::context::Context;
use crate::{Credentials, DialRequest, Error, HostApi, SipHeader, WitVersion};

/// The most bytes the strings of one list may hold together: 256 entries of 256 bytes.
const MAX_LIST_BYTES: usize = 64 * 1024;

/// The most entries of one list of headers read at all (the host takes far fewer).
const MAX_HEADERS_READ: usize = 256;

/// Replaces `play`, `speak`, `announce`, `dial` and `forward` of every version in `linker`
/// with ones that check their lists before copying them.
pub(crate) fn bound_lists(linker: &mut Linker<Context>) -> wasmtime::Result<()> {
    replace_in_every_version(linker, replace)
}

/// Has `replace` define again, for the number of each version in
/// [`WitVersion::SUPPORTED`], imports `linker` already defines: shadowing is allowed for it
/// alone.
pub(crate) fn replace_in_every_version(
    linker: &mut Linker<Context>,
    replace: fn(&mut Linker<Context>, &str) -> wasmtime::Result<()>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let replaced = WitVersion::SUPPORTED
        .into_iter()
        .try_for_each(|version| replace(linker, version.number()));
    linker.allow_shadowing(false);
    replaced
}

type Store<'a> = StoreContextMut<'a, Context>;
type PromptArgs = (String, WasmList<WasmStr>, bool);

/// `dial-request` as it lies in the guest's memory: the same record in every version, its
/// texts and headers not yet copied.
#[derive(ComponentType, Lift)]
#[component(record)]
struct DialArgs {
    uri: WasmStr,
    from: WasmStr,
    to: WasmStr,
    headers: WasmList<HeaderRef>,
    credentials: Option<CredentialsRef>,
    context: WasmStr,
    room: Option<(WasmStr, JoinOptionsRef)>,
}

/// `credentials` as they lie in the guest's memory.
#[derive(ComponentType, Lift)]
#[component(record)]
struct CredentialsRef {
    username: WasmStr,
    password: WasmStr,
}

/// `sip-header` as it lies in the guest's memory.
#[derive(ComponentType, Lift)]
#[component(record)]
struct HeaderRef {
    name: WasmStr,
    value: WasmStr,
}

/// A host function taking a call or room, a list of prompts and whether to loop them.
type PlayPrompts = fn(&dyn HostApi, &str, &[String], bool) -> Result<(), Error>;

/// The imports taking a list of prompts: interface, function, and what the host does.
const PROMPT_FUNCTIONS: [(&str, &str, PlayPrompts); 3] = [
    ("media", "play", |host, call, prompts, looped| {
        host.play(call, prompts, looped)
    }),
    ("media", "speak", |host, call, prompts, looped| {
        host.speak(call, prompts, looped)
    }),
    ("rooms", "announce", |host, room, prompts, looped| {
        host.announce(room, prompts, looped)
    }),
];

fn replace(linker: &mut Linker<Context>, version: &str) -> wasmtime::Result<()> {
    for (interface, function, play) in PROMPT_FUNCTIONS {
        let mut instance = linker.instance(&format!("switchyard:call/{interface}@{version}"))?;
        instance.func_wrap(
            function,
            move |mut store: Store<'_>, (target, prompts, looped): PromptArgs| {
                if let Err(refused) = store.data_mut().take_prompts(function, prompts.len()) {
                    return Ok((Err(refused),));
                }
                let played = prompt_list(&mut store, &prompts, function)?
                    .and_then(|p| play(&*store.data().host, &target, &p, looped));
                if played.is_err() {
                    // A list refused queued nothing.
                    store.data_mut().allowance.give_prompts(prompts.len());
                }
                Ok((played,))
            },
        )?;
    }
    let mut signaling = linker.instance(&format!("switchyard:call/signaling@{version}"))?;
    signaling.func_wrap("dial", |mut store: Store<'_>, (request,): (DialArgs,)| {
        let request = dial_request(&mut store, request, "dial")?;
        let context = store.data();
        Ok((request.and_then(|r| context.host.dial(&context.guest, r)),))
    })?;
    signaling.func_wrap(
        "forward",
        |mut store: Store<'_>, (call, request): (String, DialArgs)| {
            // `forward` ignores the room (`dial-request` in the WIT): it is neither read
            // nor refused, however long its texts, and the host is given none.
            let request = DialArgs {
                room: None,
                ..request
            };
            let request = dial_request(&mut store, request, "forward")?;
            let context = store.data();
            Ok((request.and_then(|r| context.host.forward(&context.guest, &call, r)),))
        },
    )?;
    Ok(())
}

/// The prompts of `list`, which [`Context::take_prompts`] has taken, copied once their
/// strings are known to be at most [`MAX_LIST_BYTES`] together; the refusal for `function`
/// otherwise. A list that does not lie in the guest's memory is a trap.
fn prompt_list(
    store: &mut Store<'_>,
    list: &WasmList<WasmStr>,
    function: &str,
) -> wasmtime::Result<Result<Vec<String>, Error>> {
    copy_bounded(store, list, function, |name, store| {
        Ok(name.to_str(store)?.into_owned())
    })
}

/// The request of `dial` or `forward` (`function`) copied, once its headers are known to be
/// at most [`MAX_HEADERS_READ`] and [`MAX_LIST_BYTES`] together, and its texts short (see
/// [`read_texts`]), its room's among them: `forward` passes none.
fn dial_request(
    store: &mut Store<'_>,
    request: DialArgs,
    function: &str,
) -> wasmtime::Result<Result<DialRequest, Error>> {
    let texts = [
        ("uri", &request.uri),
        ("from", &request.from),
        ("to", &request.to),
        ("context", &request.context),
    ];
    let [uri, from, to, context] = match read_texts(store, function, texts)? {
        Ok(texts) => texts,
        Err(refused) => return Ok(Err(refused)),
    };
    let credentials = match &request.credentials {
        None => None,
        Some(given) => {
            let texts = [("username", &given.username), ("password", &given.password)];
            match read_texts(store, function, texts)? {
                Ok([username, password]) => Some(Credentials { username, password }),
                Err(refused) => return Ok(Err(refused)),
            }
        }
    };
    let room = match request.room {
        None => None,
        Some((room, options)) => {
            let [room] = match read_texts(store, function, [("room", &room)])? {
                Ok(room) => room,
                Err(refused) => return Ok(Err(refused)),
            };
            match options.read(store, function)? {
                Ok(options) => Some((room, options)),
                Err(refused) => return Ok(Err(refused)),
            }
        }
    };
    if request.headers.len() > MAX_HEADERS_READ {
        return Ok(Err(Error::InvalidArgument(format!(
            "{function}: {} extra headers, more than {MAX_HEADERS_READ}",
            request.headers.len()
        ))));
    }
    let headers = copy_bounded(store, &request.headers, function, |header, store| {
        Ok(SipHeader {
            name: header.name.to_str(store)?.into_owned(),
            value: header.value.to_str(store)?.into_owned(),
        })
    })?;
    Ok(headers.map(|headers| DialRequest {
        uri,
        from,
        to,
        headers,
        credentials,
        context,
        room,
    }))
}

/// What a list entry costs the host to copy.
trait Entry: Lift + Sized {
    /// The bytes of its strings, read in place.
    fn bytes(&self, store: &Store<'_>) -> wasmtime::Result<usize>;
}

impl Entry for WasmStr {
    fn bytes(&self, store: &Store<'_>) -> wasmtime::Result<usize> {
        Ok(self.to_str(store)?.len())
    }
}

impl Entry for HeaderRef {
    fn bytes(&self, store: &Store<'_>) -> wasmtime::Result<usize> {
        Ok(self.name.to_str(store)?.len() + self.value.to_str(store)?.len())
    }
}

/// The entries of `list` (already known to be few), each copied by `own`, once their
/// strings are known to hold at most [`MAX_LIST_BYTES`] together; the refusal for
/// `function` otherwise.
fn copy_bounded<T: Entry, U>(
    store: &mut Store<'_>,
    list: &WasmList<T>,
    function: &str,
    own: impl Fn(&T, &Store<'_>) -> wasmtime::Result<U>,
) -> wasmtime::Result<Result<Vec<U>, Error>> {
    let mut entries = Vec::with_capacity(list.len());
    for index in 0..list.len() {
        let entry = list
            .get(&mut *store, index)
            .ok_or_else(|| wasmtime::Error::msg("a list shorter than its length"))??;
        entries.push(entry);
    }
    let mut bytes = 0;
    for entry in &entries {
        bytes += entry.bytes(store)?;
        if bytes > MAX_LIST_BYTES {
            return Ok(Err(Error::InvalidArgument(format!(
                "{function}: a list of strings of more than {MAX_LIST_BYTES} bytes together"
            ))));
        }
    }
    let owned = entries
        .iter()
        .map(|entry| own(entry, store))
        .collect::<wasmtime::Result<_>>()?;
    Ok(Ok(owned))
}
