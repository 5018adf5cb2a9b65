//! The keys of a guest's config table, declared in its component for the host to check.

/// Declares the keys of the guest's config table and what each holds, as a custom section
/// of the component (`switchyard-config`, one `key kind` line each). The host reads it when it
/// loads the guest: a key the guest does not declare, or a value not of its kind, is a
/// config error naming the key, and the guest is not loaded. A guest that declares nothing
/// gets its table unchecked.
///
/// Kinds: `flag` (`true`, `false`, `yes`, `no`, `1` or `0`), `number` (a whole number from 0
/// to 4294967295), `regex` (a regular expression in `regex-lite`'s syntax; empty matches
/// everything), `text` (anything), `addresses` (IP addresses separated by commas; empty: none).
///
/// ```text
/// switchyard_sdk::config_keys! {
///     "private_rooms": flag,
///     "max_room_attempts": number,
///     "direct_room_re": regex,
///     "participant_id_header": text,
/// }
/// ```
#[macro_export]
macro_rules! config_keys {
    ($($key:literal : $kind:ident),* $(,)?) => {
        const _: () = {
            const TEXT: &str = concat!($($key, " ", stringify!($kind), "\n"),*);
            // A custom section is data for the host, not code: nothing here is unsafe
            // but the attribute's name.
            #[allow(unsafe_code)]
            #[unsafe(link_section = "switchyard-config")]
            #[used]
            static KEYS: [u8; TEXT.len()] = $crate::config_section::<{ TEXT.len() }>(TEXT);
        };
    };
}

/// `text`'s bytes as an array of its length, for [`config_keys!`].
#[doc(hidden)]
pub const fn config_section<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    let mut section = [0; N];
    let mut at = 0;
    while at < N {
        section[at] = bytes[at];
        at += 1;
    }
    section
}
